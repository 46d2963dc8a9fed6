// Our GaussianMixture against sklearn.mixture.GaussianMixture from the same hard-assignment
// start, tol 0, N iterations: final ℓ of both and their relative difference (goal ≤ 1e-6).
// sklearn runs in a spawned python3 one-off script when python3 with sklearn is importable;
// otherwise the reference is "skipped". Run: node build/bench/gmm-sklearn.js
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Matrix } from "../src/core/matrix.js";
import { nodeCore } from "../src/core/node.js";
import { gmmDefaultPaths, loadData } from "../src/data/datasets.js";
import { GaussianMixture, GMM_DEFAULTS, type CovarianceType } from "../src/mixture/gaussian-mixture.js";
import { Rng } from "../src/util/rng.js";

/** A .npy file (format 1.0, little-endian, C order) holding `data` with `shape`. */
export function npyBytes(data: Float32Array | Int32Array, shape: number[]): Buffer {
  const descr = data instanceof Float32Array ? "<f4" : "<i4";
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += " ".repeat(pad % 64) + "\n";
  const pre = Buffer.alloc(10);
  pre.write("\x93NUMPY", 0, "latin1");
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, "latin1"), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

/** A python3 that can import sklearn, or null. */
export function findPython(): string | null {
  for (const py of [process.env.PYTHON, "python3", "/usr/bin/python3"]) {
    if (!py) continue;
    const r = spawnSync(py, ["-c", "import sklearn, numpy"], { stdio: "ignore" });
    if (r.status === 0) return py;
  }
  return null;
}

// sklearn's own M-step on the one-hot labels gives the start; weights normalised by Σ n_k as ours.
// init_params="random" only avoids a k-means run whose result the *_init arguments override.
const SKLEARN_SCRIPT = String.raw`
import sys, json, time
import numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.mixture._gaussian_mixture import _estimate_gaussian_parameters
xf, lf, K, cov, reg, n_iter, n_timed = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
X = np.load(xf).astype(np.float64)
labels = np.load(lf)
n = X.shape[0]
resp = np.zeros((n, K)); resp[np.arange(n), labels] = 1.0
w, m, c = _estimate_gaussian_parameters(X, resp, reg, cov)
w = w / w.sum()
prec = np.linalg.inv(c) if cov == "full" else 1.0 / c
gm = GaussianMixture(n_components=K, covariance_type=cov, reg_covar=reg, max_iter=n_iter, tol=0.0,
                     init_params="random", weights_init=w, means_init=m, precisions_init=prec, random_state=0)
t0 = time.perf_counter(); gm.fit(X); t1 = time.perf_counter()
nll = float(-gm.score(X) * n)
# optional: time sklearn's own E-step + M-step per iteration, continuing from the fitted state
step_ms, step_cpu_ms = [], []
for _ in range(n_timed):
    s0, c0 = time.perf_counter(), time.process_time()
    _, log_resp = gm._e_step(X); gm._m_step(X, log_resp)
    step_ms.append((time.perf_counter() - s0) * 1e3); step_cpu_ms.append((time.process_time() - c0) * 1e3)
print(json.dumps({"nll": nll, "n_iter": int(gm.n_iter_), "fit_ms": (t1 - t0) * 1e3, "step_ms": step_ms, "step_cpu_ms": step_cpu_ms}))
`;

export interface SklearnResult {
  nll: number;
  nIter: number;
  fitMs: number;
  /** Wall time of `timedSteps` extra sklearn E+M steps after the fit, one per entry. */
  stepMs: number[];
  /** Process CPU time of the same steps (steadier than wall time on a shared machine). */
  stepCpuMs: number[];
}

/** sklearn's final ℓ after nIter iterations from the hard assignment `labels` (one BLAS thread). */
export function sklearnReference(
  py: string, X: Matrix, labels: Int32Array, K: number, cov: CovarianceType, regCovar: number, nIter: number, timedSteps = 0,
): SklearnResult {
  const dir = mkdtempSync(join(tmpdir(), "emlab-gmm-"));
  try {
    const xf = join(dir, "X.npy");
    const lf = join(dir, "labels.npy");
    writeFileSync(xf, npyBytes(X.data, [X.rows, X.cols]));
    writeFileSync(lf, npyBytes(labels, [labels.length]));
    const env = { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
    const r = spawnSync(py, ["-c", SKLEARN_SCRIPT, xf, lf, String(K), cov, String(regCovar), String(nIter), String(timedSteps)], {
      env,
      encoding: "utf8",
      maxBuffer: 1 << 20,
    });
    if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
    const o = JSON.parse(r.stdout.trim().split("\n").pop()!);
    return { nll: o.nll, nIter: o.n_iter, fitMs: o.fit_ms, stepMs: o.step_ms, stepCpuMs: o.step_cpu_ms };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Our fit from the same start: final ℓ and the fit's wall time. */
export function ours(X: Matrix, labels: Int32Array, K: number, cov: CovarianceType, regCovar: number, nIter: number) {
  const t0 = performance.now();
  const gm = new GaussianMixture({ nComponents: K, covarianceType: cov, init: { labels }, tol: 0, maxIter: nIter, regCovar }).fit(X);
  return { gm, fitMs: performance.now() - t0 };
}

/** A random diagonal mixture sample (f32), for a data set that is not the bundled one. */
function randomMixtureData(seed: number, n: number, d: number, K: number): Matrix {
  const rng = new Rng(seed);
  const means = Array.from({ length: K }, () => Array.from({ length: d }, () => 2 * rng.normal()));
  const sds = Array.from({ length: K }, () => Array.from({ length: d }, () => 0.5 + rng.uniform()));
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const k = rng.int(K);
    for (let j = 0; j < d; j++) data[i * d + j] = means[k][j] + sds[k][j] * rng.normal();
  }
  return { data, rows: n, cols: d };
}

function randomLabels(seed: number, n: number, K: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(K));
}

function compare(name: string, py: string | null, X: Matrix, labels: Int32Array, K: number, cov: CovarianceType, nIter: number) {
  const regCovar = GMM_DEFAULTS.regCovar;
  const { gm, fitMs } = ours(X, labels, K, cov, regCovar, nIter);
  let line = `${name} (n=${X.rows}, d=${X.cols}, K=${K}, ${cov}, ${nIter} iterations): emlab nll ${gm.nll.toPrecision(15)} (${fitMs.toFixed(0)} ms)`;
  if (!py) {
    console.log(line + "; sklearn skipped (python3 with sklearn not importable)");
    return;
  }
  const sk = sklearnReference(py, X, labels, K, cov, regCovar, nIter);
  const rel = Math.abs(gm.nll - sk.nll) / Math.abs(sk.nll);
  line += `; sklearn nll ${sk.nll.toPrecision(15)} (n_iter ${sk.nIter}, ${sk.fitMs.toFixed(0)} ms); relative difference ${rel.toExponential(2)}`;
  console.log(line + (rel <= 1e-6 ? "  [ok ≤ 1e-6]" : "  [ABOVE 1e-6]"));
}

function main(): void {
  nodeCore();
  const py = findPython();
  const { csv } = gmmDefaultPaths();
  if (existsSync(csv)) {
    const X = loadData("gmm-default").matrix;
    compare("bundled gmm_dataset.csv", py, X, randomLabels(1, X.rows, 5), 5, "diag", 100);
    compare("bundled gmm_dataset.csv", py, X, randomLabels(1, X.rows, 5), 5, "spherical", 100);
    compare("bundled gmm_dataset.csv", py, X, randomLabels(1, X.rows, 5), 5, "full", 100);
  } else console.log(`bundled data set ${csv} not present: skipped`);
  const R = randomMixtureData(7, 4000, 13, 4);
  compare("random mixture", py, R, randomLabels(2, R.rows, 6), 6, "diag", 200);
  compare("random mixture", py, R, randomLabels(3, R.rows, 6), 6, "spherical", 200);
  compare("random mixture", py, R, randomLabels(4, R.rows, 6), 6, "full", 200);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
