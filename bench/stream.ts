// The streamed fit's cost (docs/scale.md): rows drawn from a seeded 5-component diagonal mixture
// in d = 100 dimensions into float32 .npy files (the largest first; the smaller ones are its
// first rows), then one child process per fit under /usr/bin/time -v (peak RSS): K = 5,
// 3 iterations (tol 0), the k-means++ start, --threads threads.
//   - the cost curve: streamed fits (ShardPool: each thread its own WebAssembly memory, reading its
//     chunks from the file) of n = 1e5 … 1.2e7 rows — the last 4.8 GB, beyond one 4 GiB memory;
//   - the reference: the in-memory fit (EmThreadPool, the same threads) of the first 1e6 rows, and
//     whether the streamed fit of those rows gives its bits.
// Seconds per iteration = (end − first E-step) / iterations: each interval holds one M-step and one
// E-step; "start" is the rest (k-means++, the start's two passes, one E-step less).
//   node build/bench/stream.js [--ns 1e5,1e6,1e7,1.2e7] [--d 100] [--k 5] [--iters 3] [--threads N]
//                              [--reference 1e6] [--dir DIR] [--keep] [--json]
// The files go to --dir (default: the system's temporary directory) and are deleted at the end
// unless --keep. --json prints one JSON document {machine, rows, curve, reference} for bench/run.ts.
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { toCoreMatrix } from "../src/core/matrix.js";
import { nodeCore } from "../src/core/node.js";
import { npyHeader } from "../src/data/npy.js";
import { openRowFile, readMatrixFile } from "../src/data/row-source.js";
import { GaussianMixture, type GaussianMixtureOptions } from "../src/mixture/gaussian-mixture.js";
import { MixtureSampler } from "../src/mixture/sample.js";
import type { MixtureParams } from "../src/mixture/scorer.js";
import { EmThreadPool } from "../src/parallel/em-threads.js";
import { ShardPool } from "../src/parallel/shard-workers.js";
import { Rng } from "../src/util/rng.js";
import { flag, json, log } from "./lib/flags.js";

const SELF = fileURLToPath(import.meta.url);


/** What one fit reports (a child process prints it as JSON). */
interface FitFigures {
  mode: "streamed" | "memory";
  n: number;
  d: number;
  threads: number;
  nll: number;
  nllTrace: number[];
  startSeconds: number;
  secondsPerIteration: number;
  cpuSecondsPerIteration: number;
  /** Chunks each thread ran (streamed). */
  chunksByThread?: number[];
}

/** The generating mixture: K components in d dimensions, means N(0, 3²), variances in [0.5, 1.5]. */
function truth(K: number, d: number): MixtureParams {
  const rng = new Rng(11);
  const w = Array.from({ length: K }, (_, k) => k + 2);
  const total = w.reduce((a, b) => a + b, 0);
  return {
    covarianceType: "diag",
    nFeatures: d,
    weights: Float64Array.from(w, (v) => v / total),
    means: Float64Array.from({ length: K * d }, () => 3 * rng.normal()),
    variances: Float64Array.from({ length: K * d }, () => 0.5 + rng.uniform()),
  };
}

/** An n×d float32 .npy file of the mixture's rows (seed 1), written 64 Ki rows at a time. */
function writeRows(path: string, n: number, model: MixtureParams): void {
  const d = model.nFeatures;
  const sampler = new MixtureSampler(model, 1);
  const block = 65536;
  const X = new Float32Array(block * d);
  const labels = new Int32Array(block);
  const fd = openSync(path, "w");
  try {
    writeSync(fd, npyHeader("<f4", [n, d]));
    for (let first = 0; first < n; first += block) {
      const rows = Math.min(block, n - first);
      sampler.next(rows, X, labels);
      writeSync(fd, new Uint8Array(X.buffer, 0, rows * d * 4));
    }
  } finally {
    closeSync(fd);
  }
}

/** The first n rows of the n0-row .npy file `from` as an .npy file of their own. */
function writePrefix(from: string, path: string, n: number, d: number): void {
  const src = openSync(from, "r");
  const dst = openSync(path, "w");
  try {
    const head = npyHeader("<f4", [n, d]);
    writeSync(dst, head);
    const buf = new Uint8Array(64 << 20);
    // both headers are 128 bytes (np.save pads the shape to 21 digits), so the rows start at the same offset
    for (let at = 0, left = n * d * 4; left > 0; ) {
      const got = readSync(src, buf, 0, Math.min(buf.length, left), head.length + at);
      writeSync(dst, buf, 0, got);
      at += got;
      left -= got;
    }
  } finally {
    closeSync(src);
    closeSync(dst);
  }
}

/** One fit in this process: --child MODE FILE THREADS K ITERS. */
async function child(mode: "streamed" | "memory", file: string, threads: number, K: number, iters: number): Promise<void> {
  const stamps: number[] = [];
  const cpu: number[] = [];
  const opts: GaussianMixtureOptions = {
    nComponents: K, covarianceType: "diag", init: "kmeans++", nInit: 1, seed: 1, maxIter: iters, tol: 0,
    onIteration: () => {
      stamps.push(performance.now());
      const c = process.cpuUsage();
      cpu.push((c.user + c.system) / 1e6);
    },
  };
  let gm: GaussianMixture;
  let n: number;
  let d: number;
  let chunksByThread: number[] | undefined;
  let t0: number;
  if (mode === "streamed") {
    const rows = openRowFile(file);
    const pool = new ShardPool(rows.layout, { threads });
    await pool.ready();
    [n, d] = [pool.n, pool.d];
    nodeCore();
    t0 = performance.now();
    gm = new GaussianMixture(opts).fit(pool);
    chunksByThread = pool.chunksByThread();
    await pool.close();
  } else {
    const pool = threads > 1 ? new EmThreadPool({ threads }) : undefined;
    await pool?.ready();
    const core = pool?.core ?? nodeCore();
    const { matrix } = readMatrixFile(file);
    [n, d] = [matrix.rows, matrix.cols];
    const X = toCoreMatrix(core, matrix);
    t0 = performance.now();
    gm = new GaussianMixture({ ...opts, pool, core: pool ? undefined : core }).fit(X);
    await pool?.close();
  }
  const end = performance.now();
  const c = process.cpuUsage();
  const perIter = (end - stamps[0]) / 1000 / iters;
  const figures: FitFigures = {
    mode, n, d, threads, nll: gm.nll, nllTrace: gm.nllTrace, chunksByThread,
    startSeconds: (stamps[0] - t0) / 1000 - perIter,
    secondsPerIteration: perIter,
    cpuSecondsPerIteration: ((c.user + c.system) / 1e6 - cpu[0]) / iters,
  };
  console.log(JSON.stringify(figures));
}

/** A fit in a child process under /usr/bin/time -v: its figures and peak RSS (MiB). */
function measured(mode: "streamed" | "memory", file: string, threads: number, K: number, iters: number): FitFigures & { peakRssMiB: number } {
  const r = spawnSync("/usr/bin/time", ["-v", process.execPath, SELF, "--child", mode, file, String(threads), String(K), String(iters)], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${mode} fit of ${file} failed: ${r.stderr.trim().split("\n").slice(-5).join(" | ")}`);
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  if (!kb) throw new Error("no 'Maximum resident set size' in /usr/bin/time's output");
  return { ...(JSON.parse(r.stdout.trim().split("\n").pop()!) as FitFigures), peakRssMiB: Number(kb[1]) / 1024 };
}

const fmt = (v: number, digits = 2) => v.toFixed(digits);

async function main(): Promise<void> {
  const c = process.argv.indexOf("--child");
  if (c >= 0) {
    const [mode, file, threads, K, iters] = process.argv.slice(c + 1);
    return child(mode as "streamed" | "memory", file, Number(threads), Number(K), Number(iters));
  }
  const ns = (flag("ns") ?? "1e5,1e6,1e7,1.2e7").split(",").map(Number).sort((a, b) => a - b);
  const d = Number(flag("d") ?? 100);
  const K = Number(flag("k") ?? 5);
  const iters = Number(flag("iters") ?? 3);
  const threads = Number(flag("threads") ?? availableParallelism());
  const nRef = Number(flag("reference") ?? 1e6);
  const dir = mkdtempSync(join(flag("dir") ?? tmpdir(), "emlab-bench-stream-"));
  const machine = { cpu: cpus()[0]?.model, cores: availableParallelism(), loadavg: loadavg(), date: new Date().toISOString() };
  log(`bench/stream: d = ${d}, K = ${K}, ${iters} iterations (tol 0), k-means++ start, ${threads} threads; ${machine.cpu}, load ${machine.loadavg.map((v) => v.toFixed(1)).join(" ")}, ${machine.date}`);
  try {
    const model = truth(K, d);
    const nMax = ns[ns.length - 1];
    const path = (m: number) => join(dir, `rows-${m}.npy`);
    let t = performance.now();
    writeRows(path(nMax), nMax, model);
    for (const m of new Set([...ns, nRef])) if (m !== nMax) writePrefix(path(nMax), path(m), m, d);
    log(`data: ${[...new Set([...ns, nRef])].map((m) => `${m} rows (${fmt((m * d * 4) / 2 ** 30)} GiB)`).join(", ")} written in ${fmt((performance.now() - t) / 1000, 1)} s`);

    log("\nstreamed fits (each thread its own WebAssembly memory, reading its chunks from the file)");
    log("        n   data GiB   start s   s/iteration   ns/row/iteration   CPU s/iteration   peak RSS MiB");
    const curve: (FitFigures & { peakRssMiB: number })[] = [];
    for (const m of ns) {
      t = performance.now();
      const f = measured("streamed", path(m), threads, K, iters);
      curve.push(f);
      log(`${String(f.n).padStart(9)}   ${fmt((f.n * f.d * 4) / 2 ** 30).padStart(8)}   ${fmt(f.startSeconds).padStart(7)}   ${fmt(f.secondsPerIteration, 3).padStart(11)}   ${fmt((f.secondsPerIteration / f.n) * 1e9, 1).padStart(16)}   ${fmt(f.cpuSecondsPerIteration, 3).padStart(15)}   ${fmt(f.peakRssMiB, 0).padStart(12)}   (n = ${f.n}, d = ${f.d} read from the file; chunks per thread ${f.chunksByThread})`);
    }
    const streamedRef = ns.includes(nRef) ? curve.find((f) => f.n === nRef)! : measured("streamed", path(nRef), threads, K, iters);
    const memory = measured("memory", path(nRef), threads, K, iters);
    const same = Object.is(memory.nll, streamedRef.nll) && memory.nllTrace.every((v, i) => Object.is(v, streamedRef.nllTrace[i]));
    const refNs = (memory.secondsPerIteration / memory.n) * 1e9;
    log(`\nin memory (EmThreadPool, one shared memory), n = ${memory.n}: start ${fmt(memory.startSeconds)} s, ${fmt(memory.secondsPerIteration, 3)} s/iteration = ${fmt(refNs, 1)} ns/row/iteration, CPU ${fmt(memory.cpuSecondsPerIteration, 3)} s/iteration, peak RSS ${fmt(memory.peakRssMiB, 0)} MiB`);
    log(`streamed n = ${streamedRef.n} vs in memory: NLL ${streamedRef.nll} vs ${memory.nll}, trace ${same ? "bit-identical" : "DIFFERENT"}`);
    const last = curve[curve.length - 1];
    const lastNs = (last.secondsPerIteration / last.n) * 1e9;
    log(`largest: n = ${last.n}, d = ${last.d} (${fmt((last.n * last.d * 4) / 1e9)} GB of float32), ${fmt(last.secondsPerIteration, 3)} s/iteration, peak RSS ${fmt(last.peakRssMiB / 1024)} GiB (goal ≤ 3), per-row cost ${fmt(lastNs / refNs)}× the in-memory fit of ${memory.n} rows (goal ≤ 1.3)`);
    if (json) {
      const rows = [
        { workload: `streamed ${last.n}×${last.d} vs in-memory ${memory.n}×${memory.d}, K = ${K}: ns per row and iteration`, ours: +lastNs.toFixed(2), reference: +refNs.toFixed(2), ratio: +(refNs / lastNs).toFixed(2), unit: "ns" },
        { workload: `streamed ${last.n}×${last.d}: peak RSS (MiB), reference = the 3 GiB goal`, ours: +last.peakRssMiB.toFixed(0), reference: 3072, ratio: +(3072 / last.peakRssMiB).toFixed(2), unit: "MiB" },
      ];
      console.log(JSON.stringify({ machine, rows, curve, reference: { memory, streamed: streamedRef, bitIdentical: same } }));
    }
  } finally {
    if (!process.argv.includes("--keep")) rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  }
}

await main();
