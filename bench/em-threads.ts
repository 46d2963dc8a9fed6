// Multi-core EM (src/parallel/em-threads.ts) on the full MNIST training set (60000×784), K = 10,
// diagonal, 20 iterations, tol 0, one hard-assignment start (the digit labels, as gmm-mnist.ts): ms per
// iteration with 1 and 2 threads (bit-identical results checked), sklearn side by side in the
// same run (default BLAS threads, i.e. both cores) when /usr/bin/python3 can import sklearn,
// final ℓ agreement (goal 1e-4 relative), GFLOP/s at the conventional 7·n·d·K flop per
// iteration against the machine's 128-bit SIMD limit, and the peak RSS of a full-MNIST fit
// measured with /usr/bin/time -v in a child process (goal: < 2× the data as f32).
//   node build/bench/em-threads.js [--iters 20] [--threads 1,2] [--no-sklearn] [--no-rss] [--json]
// --json prints one JSON document {machine, rows: [{workload, ours, reference, ratio, unit}], ...}.
// Wall times depend on the machine's load (printed); "cpu" is the process CPU time of all threads.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Matrix } from "../src/core/matrix.js";
import { nodeCore } from "../src/core/node.js";
import { parseIdx } from "../src/data/idx.js";
import { defaultMnistDir, loadMnist, loadMnistInto, mnistFileNames } from "../src/data/mnist.js";
import { chunkedWorkspace, serialRunner } from "../src/mixture/chunked.js";
import { covarianceEntry } from "../src/mixture/covariance.js";
import { runEm } from "../src/mixture/em.js";
import { GaussianMixture, GMM_DEFAULTS } from "../src/mixture/gaussian-mixture.js";
import { oneHot } from "../src/mixture/init.js";
import { EmThreadPool } from "../src/parallel/em-threads.js";
import { findPython, npyBytes } from "./gmm-sklearn.js";
import { flag, json, log } from "./lib/flags.js";

const K = 10;
/** The estimator's default regCovar (sklearn's too). */
const REG = GMM_DEFAULTS.regCovar;
const SELF = fileURLToPath(import.meta.url);


/** The hard-assignment start shared by every run (ours and sklearn's): the digit labels. */
function startLabels(digits: Uint8Array): Int32Array {
  return Int32Array.from(digits);
}

interface OurRun {
  threads: number;
  nllTrace: number[];
  nll: number;
  fitMs: number;
  cpuMs: number;
  /** Mean wall ms of iterations 2..N (between successive onIteration calls: one E + M step). */
  iterMs: number;
  chunksByThread?: number[];
}

/** GaussianMixture.fit with `threads` E-step threads (1: no pool, the library default); closes the pool. */
function ourFit(
  X: Matrix, labels: Int32Array, iters: number, threads: number,
  pool: EmThreadPool | undefined = threads > 1 ? new EmThreadPool({ threads }) : undefined,
): OurRun {
  const stamps: number[] = [];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const gm = new GaussianMixture({
    nComponents: K, covarianceType: "diag", init: { labels }, nInit: 1, tol: 0, maxIter: iters, regCovar: REG, pool,
    onIteration: () => stamps.push(performance.now()),
  }).fit(X);
  const fitMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const chunksByThread = pool?.chunksByThread();
  void pool?.close();
  const iterMs = stamps.length > 1 ? (stamps[stamps.length - 1] - stamps[0]) / (stamps.length - 1) : fitMs;
  return { threads, nllTrace: gm.nllTrace, nll: gm.nll, fitMs, cpuMs: (c.user + c.system) / 1000, iterMs, chunksByThread };
}

// sklearn from the same start (its own M-step on the one-hot labels), default BLAS threads.
const SKLEARN_SCRIPT = String.raw`
import sys, json, time
import numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.mixture._gaussian_mixture import _estimate_gaussian_parameters
X = np.load(sys.argv[1]).astype(np.float64); labels = np.load(sys.argv[2]); K = int(sys.argv[3]); n_iter = int(sys.argv[4]); reg = float(sys.argv[5])
n = X.shape[0]
resp = np.zeros((n, K)); resp[np.arange(n), labels] = 1.0
w, m, c = _estimate_gaussian_parameters(X, resp, reg, "diag"); w = w / w.sum()
gm = GaussianMixture(n_components=K, covariance_type="diag", reg_covar=reg, max_iter=n_iter, tol=0.0,
                     init_params="random", weights_init=w, means_init=m, precisions_init=1.0 / c, random_state=0)
t0, c0 = time.perf_counter(), time.process_time(); gm.fit(X); t1, c1 = time.perf_counter(), time.process_time()
print(json.dumps({"nll": float(-gm.score(X) * n), "n_iter": int(gm.n_iter_), "fit_ms": (t1 - t0) * 1e3, "cpu_ms": (c1 - c0) * 1e3}))
`;

interface SklearnRun {
  nll: number;
  nIter: number;
  fitMs: number;
  cpuMs: number;
}

function sklearnFit(py: string, X: Matrix, labels: Int32Array, iters: number): SklearnRun {
  const dir = mkdtempSync(join(tmpdir(), "emlab-em-threads-"));
  try {
    const xf = join(dir, "X.npy");
    const lf = join(dir, "labels.npy");
    writeFileSync(xf, npyBytes(X.data, [X.rows, X.cols]));
    writeFileSync(lf, npyBytes(labels, [labels.length]));
    const r = spawnSync(py, ["-c", SKLEARN_SCRIPT, xf, lf, String(K), String(iters), String(REG)], { encoding: "utf8", maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
    const o = JSON.parse(r.stdout.trim().split("\n").pop()!);
    return { nll: o.nll, nIter: o.n_iter, fitMs: o.fit_ms, cpuMs: o.cpu_ms };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * --rss-child MODE THREADS ITERS: one full-MNIST fit, for /usr/bin/time -v. "fit": the public
 * path, loadMnistInto(core) + GaussianMixture.fit (core = the pool's, or the default with 1
 * thread), which fits the arena matrix in place; "copy": the older loadMnist + fit (the data
 * exists three times: the IDX bytes, the f32 Matrix and fit's copy in the arena); "arena": the
 * IDX bytes converted into the pool's arena by hand and runEm called directly (the floor).
 */
function rssChild(mode: string, threads: number, iters: number): void {
  if (mode === "fit" || mode === "copy") {
    const pool = threads > 1 ? new EmThreadPool({ threads }) : undefined;
    const core = pool?.core ?? nodeCore();
    const m = mode === "fit" ? loadMnistInto(core, "train") : loadMnist("train");
    const r = ourFit(m.images, startLabels(m.labels), iters, threads, pool);
    console.log(JSON.stringify({ nll: r.nll, nllTrace: r.nllTrace }));
    return;
  }
  const [imagesName, labelsName] = mnistFileNames("train").map((f) => join(defaultMnistDir(), f));
  const digits = parseIdx(new Uint8Array(readFileSync(labelsName)), labelsName).data;
  let idx: { dims: number[]; data: Uint8Array } | undefined = parseIdx(new Uint8Array(readFileSync(imagesName)), imagesName);
  const [n, h, w] = idx.dims;
  const d = h * w;
  const pool = new EmThreadPool({ threads });
  const core = pool.core;
  const X = core.f32(n * d);
  const xv = X.view();
  for (let i = 0; i < xv.length; i++) xv[i] = idx.data[i] / 255;
  idx = undefined; // the bytes are garbage from here on
  const ws = chunkedWorkspace(covarianceEntry("diag").workspace(core, K, d), core, { maxRows: n, runner: pool });
  ws.statsFromResp(X, n, oneHot(startLabels(digits), K));
  ws.mstep(REG);
  const run = runEm(ws, X, n, { maxIter: iters, tol: 0, regCovar: REG });
  void pool.close();
  console.log(JSON.stringify({ nll: run.nll, nllTrace: run.nllTrace }));
}

/** Peak RSS (MiB) of `rssChild(mode)` under /usr/bin/time -v, with the fit's ℓ, or an explanation. */
function peakRss(mode: string, threads: number, iters: number): { mib: number; nll: number; nllTrace: number[] } | string {
  const r = spawnSync("/usr/bin/time", ["-v", process.execPath, SELF, "--rss-child", mode, String(threads), String(iters)], {
    encoding: "utf8",
    maxBuffer: 1 << 22,
  });
  if (r.error) return `skipped (${r.error.message})`;
  if (r.status !== 0) return `failed: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`;
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  if (!kb) return "skipped (no 'Maximum resident set size' in /usr/bin/time's output)";
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  return { mib: Number(kb[1]) / 1024, nll: out.nll, nllTrace: out.nllTrace };
}

const RSS_MODES: Record<string, string> = {
  fit: "loadMnistInto + GaussianMixture.fit (public path, in place)",
  copy: "loadMnist + GaussianMixture.fit (copies)",
  arena: "bytes into the arena by hand + runEm",
};

/**
 * E-steps on the same parameters, alternating 1 thread and `threads` threads (A B A B …) so that
 * both see the same machine load: median wall ms of each, and the results' bits compared.
 */
function interleavedEsteps(X: Matrix, labels: Int32Array, threads: number, reps: number) {
  const pool = new EmThreadPool({ threads });
  const core = pool.core;
  try {
    return core.scoped(() => {
      const { rows: n, cols: d } = X;
      const Xr = core.putF32(X.data);
      const base = covarianceEntry("diag").workspace(core, K, d);
      base.statsFromResp(Xr, n, oneHot(labels, K));
      base.mstep(REG);
      const one = chunkedWorkspace(base, core, { maxRows: n, runner: serialRunner(core) });
      const many = chunkedWorkspace(base, core, { maxRows: n, runner: pool });
      const t1: number[] = [];
      const tN: number[] = [];
      let same = true;
      for (let r = 0; r < reps; r++) {
        let t0 = performance.now();
        const a = one.estep(Xr, n);
        t1.push(performance.now() - t0);
        t0 = performance.now();
        const b = many.estep(Xr, n);
        tN.push(performance.now() - t0);
        same &&= Object.is(a, b);
      }
      const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
      return { oneMs: median(t1), manyMs: median(tN), same };
    });
  } finally {
    void pool.close();
  }
}

/**
 * With the kernel's autogroup scheduling on, CPU time is shared between sessions, not threads:
 * on a loaded machine a second thread then adds no CPU share, and wall-time speedups vanish.
 */
function schedulerNote(cores: number): string | null {
  let autogroup = false;
  try {
    autogroup = readFileSync("/proc/sys/kernel/sched_autogroup_enabled", "utf8").trim() === "1";
  } catch {
    return null;
  }
  const load = loadavg()[0];
  if (!autogroup || load <= cores) return null;
  return (
    `note: sched_autogroup is on and the load (${load.toFixed(1)}) exceeds the ${cores} cores: this session gets a fixed ` +
    "share of the CPU whatever its thread count, so wall-time thread speedups are not observable now; compare cpu times"
  );
}

function sameBits(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

function main(): void {
  const child = process.argv.indexOf("--rss-child");
  if (child >= 0) return rssChild(process.argv[child + 1], Number(process.argv[child + 2]), Number(process.argv[child + 3]));
  const iters = Number(flag("iters") ?? 20);
  const threadList = (flag("threads") ?? "1,2").split(",").map(Number);
  nodeCore();
  const machine = {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: availableParallelism(),
    node: process.version,
    loadavgBefore: loadavg().map((v) => +v.toFixed(2)),
    date: new Date().toISOString(),
  };
  log(`machine: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}; load average ${machine.loadavgBefore.join(" ")}`);
  const sharing = schedulerNote(machine.cores);
  if (sharing) log(sharing);

  const m = loadMnist("train");
  const X = m.images;
  const { rows: n, cols: d } = X;
  const labels = startLabels(m.labels);
  const flop = 7 * n * d * K;
  log(`MNIST train ${n}×${d} (f32: ${((n * d * 4) / 2 ** 20).toFixed(1)} MiB), K = ${K}, diag, ${iters} iterations, tol 0, start: the digit labels`);

  const runs = threadList.map((t) => {
    const r = ourFit(X, labels, iters, t);
    const split = r.chunksByThread ? `, chunks per thread ${r.chunksByThread.join("/")}` : "";
    log(
      `emlab ${t} thread${t > 1 ? "s" : " "}: ${r.iterMs.toFixed(1)} ms/iteration (fit ${r.fitMs.toFixed(0)} ms, ` +
        `cpu ${(r.cpuMs / iters).toFixed(1)} ms/iteration), ${(flop / r.iterMs / 1e6).toFixed(2)} GFLOP/s, final nll ${r.nll.toPrecision(12)}${split}`,
    );
    return r;
  });
  const identical = runs.every((r) => sameBits(r.nllTrace, runs[0].nllTrace) && Object.is(r.nll, runs[0].nll));
  log(`nllTrace and final nll bit-identical across ${threadList.join(", ")} threads: ${identical ? "yes" : "NO"}`);

  const maxThreads = Math.max(...threadList);
  let interleaved: ReturnType<typeof interleavedEsteps> | undefined;
  if (maxThreads > 1) {
    interleaved = interleavedEsteps(X, labels, maxThreads, 8);
    log(
      `E-step alone, 1 and ${maxThreads} threads alternating (same load for both), median of 8: ` +
        `${interleaved.oneMs.toFixed(1)} ms vs ${interleaved.manyMs.toFixed(1)} ms = ${(interleaved.oneMs / interleaved.manyMs).toFixed(2)}× ` +
        `(Σ log p bit-identical: ${interleaved.same ? "yes" : "NO"})`,
    );
  }

  const py = process.argv.includes("--no-sklearn") ? null : findPython();
  let sk: SklearnRun | undefined;
  if (py) {
    sk = sklearnFit(py, X, labels, iters);
    const rel = Math.abs(runs[0].nll - sk.nll) / Math.abs(sk.nll);
    log(
      `sklearn (default BLAS threads): ${(sk.fitMs / sk.nIter).toFixed(1)} ms/iteration (fit ${sk.fitMs.toFixed(0)} ms, cpu ${(sk.cpuMs / sk.nIter).toFixed(1)} ms/iteration), ` +
        `final nll ${sk.nll.toPrecision(12)}; relative difference ${rel.toExponential(2)} ${rel <= 1e-4 ? "[ok ≤ 1e-4]" : "[ABOVE 1e-4]"}`,
    );
  } else log("sklearn: skipped (no python3 that imports sklearn, or --no-sklearn)");

  // 128-bit SIMD limit, reasoned from the core: 2 FP multiply + 2 FP add pipes (Zen 4 and most
  // x86 cores since Haswell have ≥ 2 + 2 at 128 bits) and no FMA in WebAssembly SIMD 1.0,
  // so 4 vector ops per cycle: f64x2 → 8 flop/cycle, f32x4 → 16 flop/cycle per core.
  const mhz = cpus()[0]?.speed || 0;
  const peak64 = (8 * mhz * 1e6 * machine.cores) / 1e9;
  const best = runs.reduce((a, b) => (b.iterMs < a.iterMs ? b : a));
  if (mhz > 0) {
    log(
      `SIMD limit at ${mhz} MHz × ${machine.cores} cores: f64x2 ${peak64.toFixed(1)} GFLOP/s, f32x4 ${(2 * peak64).toFixed(1)} GFLOP/s; ` +
        `best run ${(flop / best.iterMs / 1e6).toFixed(2)} GFLOP/s = ${((100 * flop) / best.iterMs / 1e6 / peak64).toFixed(0)}% of the f64x2 limit`,
    );
  }

  const rss: Record<string, unknown> = {};
  if (!process.argv.includes("--no-rss")) {
    const dataMiB = (n * d * 4) / 2 ** 20;
    const rssIters = 3;
    const fitNll: Record<string, number[]> = {};
    for (const t of [1, 2]) {
      for (const mode of Object.keys(RSS_MODES)) {
        const r = peakRss(mode, t, rssIters);
        const key = `${mode}-${t}`;
        if (typeof r === "string") {
          rss[key] = r;
          log(`peak RSS (${mode}, ${t} thread${t > 1 ? "s" : ""}): ${r}`);
          continue;
        }
        const ratio = r.mib / dataMiB;
        rss[key] = { mib: +r.mib.toFixed(1), ratio: +ratio.toFixed(3), nll: r.nll };
        fitNll[key] = [...r.nllTrace, r.nll];
        log(
          `peak RSS, full MNIST, ${t} thread${t > 1 ? "s" : " "}, ${rssIters} iterations, ${RSS_MODES[mode]}: ` +
            `${r.mib.toFixed(0)} MiB = ${ratio.toFixed(2)}× the data as f32 ${ratio < 2 ? "[ok < 2×]" : "[ABOVE 2×]"}, final nll ${r.nll}`,
        );
      }
    }
    const traces = Object.values(fitNll);
    const same = traces.length > 0 && traces.every((v) => sameBits(v, traces[0]));
    rss.nllIdentical = same;
    log(`nllTrace and final nll bit-identical across the RSS runs (${Object.keys(fitNll).join(", ")}): ${same ? "yes" : "NO"}`);
  }

  const loadAfter = loadavg().map((v) => +v.toFixed(2));
  log(`load average after: ${loadAfter.join(" ")}`);
  const two = runs.find((r) => r.threads === 2) ?? best;
  const rows = runs.map((r) => ({
    workload: `EM MNIST 60000×784 K=10 diag, ${r.threads} thread${r.threads > 1 ? "s" : ""} (ms/iteration)`,
    ours: +r.iterMs.toFixed(1),
    reference: sk ? +(sk.fitMs / sk.nIter).toFixed(1) : null,
    ratio: sk ? +(sk.fitMs / sk.nIter / r.iterMs).toFixed(2) : null,
    unit: "ms",
  }));
  if (interleaved) {
    rows.push({
      workload: `EM E-step MNIST K=10 diag, ${maxThreads} threads vs 1 thread, interleaved (ms)`,
      ours: +interleaved.manyMs.toFixed(1),
      reference: +interleaved.oneMs.toFixed(1),
      ratio: +(interleaved.oneMs / interleaved.manyMs).toFixed(2),
      unit: "ms",
    });
  }
  if (json) {
    console.log(JSON.stringify({
      bench: "em-threads", machine: { ...machine, loadavgAfter: loadAfter, schedulerNote: sharing }, iters, identical,
      ours: runs.map(({ nllTrace: _t, ...r }) => ({ ...r, gflops: flop / r.iterMs / 1e6 })),
      interleaved: interleaved ?? null, sklearn: sk ?? null, nllRelDiff: sk ? Math.abs(two.nll - sk.nll) / Math.abs(sk.nll) : null, rss, rows,
    }));
  }
}

main();
