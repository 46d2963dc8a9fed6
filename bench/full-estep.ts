// One full-covariance EM iteration (Cholesky + fused E-step/statistics + M-step) on the WASM
// core: ms and GFLOP/s for MNIST-PCA-like shapes. Useful flops per iteration are
// 2·n·K·d(d+1): d(d+1)/2 multiply-adds for x ↦ W_k(x − μ_k) and as many for the weighted
// rank-1 update of the second moments (the Cholesky's O(K·d³) is counted as free).
// When python3 with sklearn and numpy is importable, sklearn's _e_step + _m_step on the same
// data (one BLAS thread) is timed side by side; otherwise it prints "skipped".
// Run: node build/bench/full-estep.js
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeCore } from "../src/core/node.js";
import { chunkedWorkspace } from "../src/mixture/chunked.js";
import { fullWorkspace } from "../src/mixture/full-kernels.js";
import { GMM_DEFAULTS } from "../src/mixture/gaussian-mixture.js";
import { oneHot } from "../src/mixture/init.js";

/** The estimator's default regCovar, given to sklearn too. */
const REG = GMM_DEFAULTS.regCovar;
import { Rng } from "../src/util/rng.js";

/** n rows of d dims from K overlapping Gaussian blobs (no responsibility underflows to 0, so no block is skipped) with random correlated covariances. */
function blobs(rng: Rng, n: number, d: number, K: number): { X: Float32Array; labels: Int32Array } {
  const centers = rng.fillNormal(new Float64Array(K * d)).map((v) => 1.5 * v);
  const mix = rng.fillNormal(new Float64Array(K * d * d)).map((v) => v / Math.sqrt(d));
  const X = new Float32Array(n * d);
  const labels = new Int32Array(n);
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const k = rng.int(K);
    labels[i] = k;
    rng.fillNormal(z);
    for (let a = 0; a < d; a++) {
      let v = centers[k * d + a] + 0.3 * z[a];
      for (let m = 0; m < d; m++) v += mix[(k * d + a) * d + m] * z[m];
      X[i * d + a] = v;
    }
  }
  return { X, labels };
}

// Same start (one M-step from the labels), then time repeated _e_step + _m_step.
const SKLEARN_SCRIPT = String.raw`
import sys, json, time
import numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.mixture._gaussian_mixture import _estimate_gaussian_parameters
X = np.load(sys.argv[1]).astype(np.float64); labels = np.load(sys.argv[2]); K = int(sys.argv[3]); reps = int(sys.argv[4]); reg = float(sys.argv[5])
n = X.shape[0]
resp = np.zeros((n, K)); resp[np.arange(n), labels] = 1.0
w, m, c = _estimate_gaussian_parameters(X, resp, reg, "full")
gm = GaussianMixture(n_components=K, covariance_type="full", reg_covar=reg, max_iter=1, tol=0.0, init_params="random",
                     weights_init=w / w.sum(), means_init=m, precisions_init=np.linalg.inv(c), random_state=0)
gm.fit(X)
times = []
for _ in range(reps):
    t0 = time.perf_counter(); _, log_resp = gm._e_step(X); gm._m_step(X, log_resp); times.append(time.perf_counter() - t0)
print(json.dumps({"ms": 1e3 * sorted(times)[len(times) // 2], "nll": float(-gm.score_samples(X).sum())}))
`;

function npy(data: Float32Array | Int32Array, shape: number[]): Buffer {
  const descr = data instanceof Float32Array ? "<f4" : "<i4";
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  header += " ".repeat((64 - ((10 + header.length + 1) % 64)) % 64) + "\n";
  const pre = Buffer.alloc(10);
  pre.write("\x93NUMPY", 0, "latin1");
  pre[6] = 1;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, "latin1"), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

/** A python3 that can import sklearn and numpy (PATH's, then the system's), or null. */
function findPython(): string | null {
  for (const py of [process.env.PYTHON, "python3", "/usr/bin/python3"]) {
    if (py && spawnSync(py, ["-c", "import sklearn, numpy"], { stdio: "ignore" }).status === 0) return py;
  }
  return null;
}

const PYTHON = findPython();

/**
 * sklearn's median ms per EM iteration and its ℓ after 1 + reps iterations from the labels'
 * M-step, or null when python3/sklearn is unavailable.
 */
function sklearnRef(X: Float32Array, labels: Int32Array, n: number, d: number, K: number, reps: number): { ms: number; nll: number } | null {
  if (PYTHON === null) return null;
  const dir = mkdtempSync(join(tmpdir(), "emlab-full-"));
  try {
    writeFileSync(join(dir, "X.npy"), npy(X, [n, d]));
    writeFileSync(join(dir, "l.npy"), npy(labels, [n]));
    const env = { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
    const r = spawnSync(PYTHON, ["-c", SKLEARN_SCRIPT, join(dir, "X.npy"), join(dir, "l.npy"), String(K), String(reps), String(REG)], {
      env, encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`sklearn reference failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(n: number, d: number, K: number, reps: number): void {
  const core = nodeCore();
  const { X, labels } = blobs(new Rng(n + K), n, d, K);
  core.scoped(() => {
    // The fit's path: the E-step in row chunks (chunked.ts), one thread; mstep ends with the Cholesky.
    const ws = chunkedWorkspace(fullWorkspace(core, K, d), core, { maxRows: n });
    const Xr = core.putF32(X);
    ws.statsFromResp(Xr, n, oneHot(labels, K));
    ws.mstep(REG);
    const times: number[] = [];
    for (let t = 0; t <= reps; t++) {
      const t0 = performance.now();
      ws.estep(Xr, n);
      ws.mstep(REG);
      if (t > 0) times.push(performance.now() - t0); // the first round warms the JIT up
    }
    // ℓ of the parameters after 1 + reps iterations, the state sklearn is scored in.
    const finalNll = -ws.estep(Xr, n);
    times.sort((a, b) => a - b);
    const ms = times[times.length >> 1];
    const best = times[0];
    const gflops = (2 * n * K * d * (d + 1)) / (ms * 1e6);
    const sk = sklearnRef(X, labels, n, d, K, reps);
    const skText =
      sk === null
        ? "sklearn skipped (python3 + sklearn not importable)"
        : `sklearn ${sk.ms.toFixed(1)} ms/iter (1 thread), final ℓ rel. diff ${(Math.abs(finalNll - sk.nll) / Math.abs(sk.nll)).toExponential(1)}`;
    console.log(
      `n=${n} d=${d} K=${K}: ${ms.toFixed(1)} ms/iter (median of ${reps}; best ${best.toFixed(1)}), ${gflops.toFixed(2)} GFLOP/s, ℓ=${finalNll.toFixed(1)}; ${skText}`,
    );
  });
}

run(6000, 50, 5, 9);
run(6000, 50, 10, 7);
run(60000, 50, 10, 3);
