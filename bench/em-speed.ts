// EM at the speed limit (issue 13): emlab against the same EM written as ten lines of numpy in
// float32 GEMM form (OpenBLAS, default threads) and against scikit-learn 1.2's GaussianMixture
// (float64, default threads), side by side in one run, on two workloads:
//   mnist  full MNIST train, 60000×784, K = 10, diagonal, start: the digit labels;
//   dense  1,000,000×50 drawn from a known 16-component diagonal mixture (seed 13), K = 16,
//          start: the generating labels.
// Every side runs 20 iterations (tol 0) from the same hard assignment; ms per iteration, the
// final ℓ against scikit-learn's (goal 1e-6 relative), the E-step path emlab chose (docs/gmm.md,
// "Which path") and GFLOP/s for the arithmetic that path does, against the 128-bit SIMD limit.
//   node build/bench/em-speed.js [--iters 20] [--only mnist,dense] [--threads N] [--json]
// --json prints one JSON document {machine, workloads, rows, table} (bench/run.ts reads it).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Matrix } from "../src/core/matrix.js";
import { nodeCore } from "../src/core/node.js";
import { loadMnist } from "../src/data/mnist.js";
import { GaussianMixture } from "../src/mixture/gaussian-mixture.js";
import { EmThreadPool } from "../src/parallel/em-threads.js";
import { defaultThreads } from "../src/parallel/pool.js";
import { Rng } from "../src/util/rng.js";
import { findPython, npyBytes } from "./gmm-sklearn.js";
import { flag, json, log } from "./lib/flags.js";


const REG = 1e-6;


interface Workload {
  name: string;
  title: string;
  X: Matrix;
  labels: Int32Array;
  K: number;
}

function mnistWorkload(): Workload {
  const m = loadMnist("train");
  return { name: "mnist", title: "MNIST train 60000×784, K = 10", X: m.images, labels: Int32Array.from(m.labels), K: 10 };
}

/**
 * n rows from a K-component diagonal mixture with known parameters (seed 13): weights ∝ 1 + U,
 * means 3·N(0, 1) per feature, standard deviations 0.5 + U; the labels are the drawn components.
 */
export function denseMixture(n: number, d: number, K: number, seed = 13): { X: Matrix; labels: Int32Array } {
  const rng = new Rng(seed);
  const w = Array.from({ length: K }, () => 1 + rng.uniform());
  const total = w.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const v of w) cdf.push((acc += v / total));
  const means = Float64Array.from({ length: K * d }, () => 3 * rng.normal());
  const sds = Float64Array.from({ length: K * d }, () => 0.5 + rng.uniform());
  const data = new Float32Array(n * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    let k = 0;
    while (k < K - 1 && u >= cdf[k]) k++;
    labels[i] = k;
    for (let j = 0; j < d; j++) data[i * d + j] = means[k * d + j] + sds[k * d + j] * rng.normal();
  }
  return { X: { data, rows: n, cols: d }, labels };
}

function denseWorkload(): Workload {
  const { X, labels } = denseMixture(1_000_000, 50, 16);
  return { name: "dense", title: "dense mixture 1,000,000×50, K = 16", X, labels, K: 16 };
}

// Both references from the same hard start. numpy: the ten lines in float32 (X2 = X*X
// once, as data); its M-step on the one-hot labels gives the start. sklearn: its own M-step on
// the one-hot labels (weights normalised by Σ n_k as ours), then fit with tol 0.
const REFERENCE_SCRIPT = String.raw`
import sys, json, time
import numpy as np
xf, lf, K, n_iter, reg = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
X = np.load(xf); labels = np.load(lf); n, d = X.shape
out = {}
X2 = X * X
def mstep(R):
    nk = R.sum(0) + 10 * np.finfo(np.float32).eps
    M = (R.T @ X) / nk[:, None]
    return nk / nk.sum(), M, (R.T @ X2) / nk[:, None] - M * M + reg
R = np.zeros((n, K), np.float32); R[np.arange(n), labels] = 1
w, M, V = mstep(R)
t0 = time.perf_counter()
for it in range(n_iter):
    P = 1 / V
    c = (M * M * P).sum(1) + np.log(V).sum(1) + d * np.log(2 * np.pi) - 2 * np.log(w)
    L = -0.5 * (X2 @ P.T - 2 * X @ (M * P).T + c)
    mx = L.max(1, keepdims=True); lse = mx + np.log(np.exp(L - mx).sum(1, keepdims=True))
    R = np.exp(L - lse)
    w, M, V = mstep(R)
t1 = time.perf_counter()
out["numpy"] = {"ms_per_iter": (t1 - t0) * 1e3 / n_iter, "nll": float(-lse.astype(np.float64).sum()), "dtype": str(L.dtype)}
del X2, R, L
from sklearn.mixture import GaussianMixture
from sklearn.mixture._gaussian_mixture import _estimate_gaussian_parameters
X = X.astype(np.float64)
resp = np.zeros((n, K)); resp[np.arange(n), labels] = 1.0
w, m, c = _estimate_gaussian_parameters(X, resp, reg, "diag"); w = w / w.sum()
del resp
gm = GaussianMixture(n_components=K, covariance_type="diag", reg_covar=reg, max_iter=n_iter, tol=0.0,
                     init_params="random", weights_init=w, means_init=m, precisions_init=1.0 / c, random_state=0)
t0 = time.perf_counter(); gm.fit(X); t1 = time.perf_counter()
out["sklearn"] = {"ms_per_iter": (t1 - t0) * 1e3 / gm.n_iter_, "nll": float(-gm.score(X) * n), "n_iter": int(gm.n_iter_)}
print(json.dumps(out))
`;

interface Reference {
  numpy: { ms_per_iter: number; nll: number; dtype: string };
  sklearn: { ms_per_iter: number; nll: number; n_iter: number };
}

function references(py: string, w: Workload, iters: number): Reference {
  const dir = mkdtempSync(join(tmpdir(), "emlab-em-speed-"));
  try {
    const xf = join(dir, "X.npy");
    const lf = join(dir, "labels.npy");
    writeFileSync(xf, npyBytes(w.X.data, [w.X.rows, w.X.cols]));
    writeFileSync(lf, npyBytes(w.labels, [w.labels.length]));
    const r = spawnSync(py, ["-c", REFERENCE_SCRIPT, xf, lf, String(w.K), String(iters), String(REG)], { encoding: "utf8", maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as Reference;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface OurRun {
  density: number;
  msPerIter: number;
  nll: number;
  nllTrace: number[];
  path: string;
  flopPerIter: number;
}

/** GaussianMixture.fit with the library's defaults (as the CLI: a pool of `threads` when > 1), from the labels. */
function ours(w: Workload, iters: number, threads: number): OurRun {
  const pool = threads > 1 ? new EmThreadPool({ threads }) : undefined;
  const stamps: number[] = [];
  try {
    const gm = new GaussianMixture({
      nComponents: w.K, covarianceType: "diag", init: { labels: w.labels }, nInit: 1, tol: 0, maxIter: iters, regCovar: REG, pool,
      onIteration: () => stamps.push(performance.now()),
    }).fit(w.X);
    const msPerIter = (stamps[stamps.length - 1] - stamps[0]) / (stamps.length - 1);
    const path = firstChunkPath(w, gm);
    const { rows: n, cols: d } = w.X;
    let nnz = 0;
    for (const v of w.X.data) if (v !== 0) nnz++;
    // Distances only (4 flop per value and component: dense (x − μ)²·p, sparse x²·p + x·b over the
    // non-zeros); the statistics (5 flop per value of each kept responsibility) come on top.
    const flopPerIter = 4 * w.K * (path === "sparse" ? nnz : n * d);
    return { msPerIter, nll: gm.nll, nllTrace: gm.nllTrace, path, flopPerIter, density: nnz / (n * d) };
  } finally {
    void pool?.close();
  }
}

/** The path estepDiagSparsePath gives the first 2048-row chunk under the fitted parameters. */
function firstChunkPath(w: Workload, gm: GaussianMixture): "sparse" | "dense" {
  const core = nodeCore();
  const { cols: d } = w.X;
  const sizes = { d, k: w.K };
  const rows = Math.min(2048, w.X.rows);
  return core.scoped(() => {
    const x = core.putF32(w.X.data.subarray(0, rows * d)).ptr;
    const means = core.putF64(gm.means).ptr;
    const prec = core.f64(w.K * d).ptr;
    const logConst = core.f64(w.K).ptr;
    core.call("prepareDiagF64", { ...sizes, logConst, prec, weights: core.putF64(gm.weights).ptr, variances: core.putF64(gm.variances).ptr });
    const quad = core.f64(w.K).ptr;
    core.call("prepareDiagSparseF64", { ...sizes, pbT: core.f64(core.call("sparseParamsLength", sizes)).ptr, quad, means, prec });
    return core.call("estepDiagSparsePath", { ...sizes, x, quad, n: rows }) === 1 ? "sparse" : "dense";
  });
}

/**
 * The core clock while busy, measured: a WebAssembly loop whose iterations form one dependent
 * chain of an i64 multiply (3 cycles on x86 cores since Haswell and Zen) and an xor (1 cycle),
 * best of 7. (/proc/cpuinfo gives the nominal 2.1 GHz of this VM; the cores run faster.)
 */
function measureClockGHz(): number {
  // (func (param n i32) (param x i64) (param y i64) (result i64) (local i i32)
  //   (loop x = (x * y) ^ u64(i); i += 1; br_if (i < n)) x)
  const bytes = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x08, 0x01, 0x60, 0x03, 0x7f, 0x7e, 0x7e, 0x01, 0x7e,
    0x03, 0x02, 0x01, 0x00,
    0x07, 0x09, 0x01, 0x05, 0x63, 0x68, 0x61, 0x69, 0x6e, 0x00, 0x00,
    0x0a, 0x22, 0x01, 0x20, 0x01, 0x01, 0x7f, 0x03, 0x40,
    0x20, 0x01, 0x20, 0x02, 0x7e, 0x20, 0x03, 0xad, 0x85, 0x21, 0x01,
    0x20, 0x03, 0x41, 0x01, 0x6a, 0x22, 0x03, 0x20, 0x00, 0x48, 0x0d, 0x00, 0x0b,
    0x20, 0x01, 0x0b,
  ]);
  const chain = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.chain as (n: number, x: bigint, y: bigint) => bigint;
  let best = 0;
  for (let r = 0; r < 7; r++) {
    const n = 50_000_000;
    const t0 = performance.now();
    chain(n, 3n, 0x5deece66dn);
    best = Math.max(best, (4 * n) / (performance.now() - t0) / 1e6);
  }
  return best;
}

function fmt(v: number, digits = 1): string {
  return v.toFixed(digits);
}

function main(): void {
  const iters = Number(flag("iters") ?? 20);
  const only = flag("only")?.split(",");
  const threads = Number(flag("threads") ?? defaultThreads());
  nodeCore();
  const mhz = Math.round(measureClockGHz() * 1000);
  const machine = {
    cpu: cpus()[0]?.model ?? "unknown", mhz, cores: availableParallelism(), node: process.version,
    loadavgBefore: loadavg().map((v) => +v.toFixed(2)), date: new Date().toISOString(),
  };
  log(`machine: ${machine.cpu}, ${machine.cores} cores at ${mhz} MHz (measured), node ${machine.node}; load average ${machine.loadavgBefore.join(" ")}; emlab threads ${threads}`);
  const py = findPython();
  if (!py) log("numpy/sklearn: skipped (no python3 that imports sklearn)");
  const makers: Record<string, () => Workload> = { mnist: mnistWorkload, dense: denseWorkload };
  const results = [];
  for (const name of Object.keys(makers)) {
    if (only && !only.includes(name)) continue;
    const w = makers[name]();
    log(`${w.title}, diag, ${iters} iterations, tol 0, regCovar ${REG}, start: the labels`);
    const r = ours(w, iters, threads);
    const ref = py ? references(py, w, iters) : undefined;
    // 128-bit lanes, no FMA: 2 multiply + 2 add pipes → 4 vector ops per cycle and core
    // (docs/gmm.md, "Cost"): f64x2 8 flop/cycle, f32x4 16. FMA would not raise it for this
    // mix: its two pipes do the two multiply-adds per value and component in one cycle too.
    const gflops = r.flopPerIter / r.msPerIter / 1e6;
    const peak64 = (8 * mhz * 1e6 * threads) / 1e9;
    const rel = ref ? Math.abs(r.nll - ref.sklearn.nll) / Math.abs(ref.sklearn.nll) : null;
    log(`  emlab   ${fmt(r.msPerIter)} ms/iteration, E-step path ${r.path} (density ${fmt(100 * r.density)}%), ${fmt(gflops, 2)} GFLOP/s = ${fmt((100 * gflops) / peak64, 0)}% of the f64x2 limit (${fmt(peak64)} GFLOP/s on ${threads} cores), final nll ${r.nll.toPrecision(15)}`);
    if (ref) {
      log(`  numpy   ${fmt(ref.numpy.ms_per_iter)} ms/iteration (float32 GEMM form, default BLAS threads), final nll ${ref.numpy.nll.toPrecision(15)}`);
      log(`  sklearn ${fmt(ref.sklearn.ms_per_iter)} ms/iteration (float64, default BLAS threads), final nll ${ref.sklearn.nll.toPrecision(15)}`);
      const vsNumpy = ref.numpy.ms_per_iter / r.msPerIter;
      const vsSk = ref.sklearn.ms_per_iter / r.msPerIter;
      log(
        `  ratios: numpy/emlab ${fmt(vsNumpy, 2)}× ${vsNumpy >= 2 ? "[ok ≥ 2×]" : "[BELOW 2×]"}, sklearn/emlab ${fmt(vsSk, 2)}× ${vsSk >= 5 ? "[ok ≥ 5×]" : "[BELOW 5×]"}; ` +
          `final nll vs sklearn ${rel!.toExponential(2)} ${rel! <= 1e-6 ? "[ok ≤ 1e-6]" : "[ABOVE 1e-6]"}`,
      );
    }
    results.push({ name: w.name, title: w.title, ours: { ...r, gflops, peak64 }, ref: ref ?? null, nllRelDiff: rel });
  }
  const table = threeWayTable(results, threads, iters);
  log("");
  log(table);
  log(`load average after: ${loadavg().map((v) => v.toFixed(2)).join(" ")}`);
  if (json) {
    const rows = results.flatMap((x) => [
      { workload: `EM ${x.title} diag vs numpy float32 GEMM (ms/iteration)`, ours: +fmt(x.ours.msPerIter), reference: x.ref ? +fmt(x.ref.numpy.ms_per_iter) : null, ratio: x.ref ? +(x.ref.numpy.ms_per_iter / x.ours.msPerIter).toFixed(2) : null, unit: "ms" },
      { workload: `EM ${x.title} diag vs scikit-learn (ms/iteration)`, ours: +fmt(x.ours.msPerIter), reference: x.ref ? +fmt(x.ref.sklearn.ms_per_iter) : null, ratio: x.ref ? +(x.ref.sklearn.ms_per_iter / x.ours.msPerIter).toFixed(2) : null, unit: "ms" },
    ]);
    console.log(JSON.stringify({ bench: "em-speed", machine: { ...machine, loadavgAfter: loadavg() }, iters, threads, workloads: results, rows, table }));
  }
}

/** The three-way table: ms per iteration of each side, the two ratios and the ℓ agreement. */
function threeWayTable(
  results: { title: string; ours: OurRun & { gflops: number }; ref: Reference | null; nllRelDiff: number | null }[], threads: number, iters: number,
): string {
  const head = [`workload (diag, ${iters} it.)`, `emlab (${threads} thr.)`, "numpy f32 GEMM", "scikit-learn", "numpy/emlab", "sklearn/emlab", "ℓ vs sklearn"];
  const rows = results.map((x) => [
    x.title, `${fmt(x.ours.msPerIter)} ms (${x.ours.path})`,
    x.ref ? `${fmt(x.ref.numpy.ms_per_iter)} ms` : "—", x.ref ? `${fmt(x.ref.sklearn.ms_per_iter)} ms` : "—",
    x.ref ? `${fmt(x.ref.numpy.ms_per_iter / x.ours.msPerIter, 2)}×` : "—", x.ref ? `${fmt(x.ref.sklearn.ms_per_iter / x.ours.msPerIter, 2)}×` : "—",
    x.nllRelDiff === null ? "—" : x.nllRelDiff.toExponential(1),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (c: string[]) => "| " + c.map((s, i) => s.padEnd(w[i])).join(" | ") + " |";
  return [line(head), "|" + w.map((n) => "-".repeat(n + 2)).join("|") + "|", ...rows.map(line)].join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
