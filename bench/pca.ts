// PCA of the MNIST training set on the WASM core, against numpy side by side.
// Times the covariance (exact u8 kernel; the general f32 kernel too) and eigh separately,
// then checks eigenvalues and eigenvectors against numpy.linalg.eigh (LAPACK) on MNIST and
// on a correlated random 2000×300 matrix X = Z·L. Timings are single cold runs (one call
// each, as a user sees them); CPU time is this thread's. numpy runs with its default
// BLAS threads; when python3 + numpy are missing the reference columns say "skipped".
// Run: node build/bench/pca.js
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeCore } from "../src/core/node.js";
import { matrix, type Matrix } from "../src/core/matrix.js";
import { loadMnist, defaultMnistDir } from "../src/data/mnist.js";
import { PCA } from "../src/decomposition/pca.js";
import { covariance } from "../src/linalg/covariance.js";
import { eigh, type Eigh } from "../src/linalg/eigh.js";
import { Rng } from "../src/util/rng.js";

const core = nodeCore();

function timed<T>(fn: () => T): { value: T; ms: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { value, ms, cpuMs: (c.user + c.system) / 1000 };
}

// numpy: covariance in float64 (np.cov, divisor n − 1) and eigh, timed separately; plus eigh
// of *our* covariance, to compare the eigensolvers on the very same matrix.
const NUMPY_SCRIPT = String.raw`
import sys, json, time, os
import numpy as np
kind, src, ours, outdir = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
if kind == "idx":
    raw = np.fromfile(src, dtype=np.uint8, offset=16)
    X = raw.reshape(-1, 784).astype(np.float64) / 255.0
else:
    n, d = int(sys.argv[5]), int(sys.argv[6])
    X = np.fromfile(src, dtype=np.float32).reshape(n, d).astype(np.float64)
t0 = time.perf_counter(); C = np.cov(X, rowvar=False); t_cov = time.perf_counter() - t0
t0 = time.perf_counter(); w, V = np.linalg.eigh(C); t_eig = time.perf_counter() - t0
d = C.shape[0]
Co = np.fromfile(ours, dtype=np.float64).reshape(d, d)
w2, V2 = np.linalg.eigh(Co)
C.tofile(os.path.join(outdir, "np_cov.bin"))
w[::-1].copy().tofile(os.path.join(outdir, "np_w.bin")); V[:, ::-1].T.copy().tofile(os.path.join(outdir, "np_v.bin"))
w2[::-1].copy().tofile(os.path.join(outdir, "np_w2.bin")); V2[:, ::-1].T.copy().tofile(os.path.join(outdir, "np_v2.bin"))
print(json.dumps({"covMs": 1e3 * t_cov, "eighMs": 1e3 * t_eig, "numpy": np.__version__}))
`;

interface NumpyResult {
  covMs: number;
  eighMs: number;
  numpy: string;
  cov: Float64Array;
  /** numpy's pipeline: eigh(np.cov(X)); rows are eigenvectors, values decreasing. */
  full: Eigh;
  /** numpy's eigh of our covariance. */
  same: Eigh;
}

function numpyReference(kind: "idx" | "f32", src: string, ours: Float64Array, dir: string, n = 0, d = 0): NumpyResult | string {
  const oursPath = join(dir, "ours_cov.bin");
  writeFileSync(oursPath, new Uint8Array(ours.buffer, ours.byteOffset, ours.byteLength));
  const r = spawnSync("python3", ["-c", NUMPY_SCRIPT, kind, src, oursPath, dir, String(n), String(d)], { encoding: "utf8" });
  if (r.error || r.status !== 0) return `skipped (${(r.error?.message ?? r.stderr).trim().split("\n").pop()})`;
  const f64 = (name: string) => {
    const b = readFileSync(join(dir, name)); // may be a view into Node's shared pool: copy its own bytes
    return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  const parsed = JSON.parse(r.stdout);
  return {
    ...parsed,
    cov: f64("np_cov.bin"),
    full: { values: f64("np_w.bin"), vectors: f64("np_v.bin") },
    same: { values: f64("np_w2.bin"), vectors: f64("np_v2.bin") },
  };
}

/** max_i |λ_i − μ_i| / max(|μ_i|, floor·max|μ|). */
function eigenvalueError(a: Float64Array, ref: Float64Array, floor: number): number {
  const top = Math.max(...Array.from(ref, Math.abs));
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(a[i] - ref[i]) / Math.max(Math.abs(ref[i]), floor * top));
  return worst;
}

/** max_i |λ_i − μ_i| / max|μ|: backward-stable solvers promise O(n·ε) here. */
function eigenvalueAbsError(a: Float64Array, ref: Float64Array): number {
  const top = Math.max(...Array.from(ref, Math.abs));
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(a[i] - ref[i]));
  return worst / top;
}

/** Eigenvalue rows: relative error with floors 1e-10 and 1e-6 of λ_max, and the absolute error / λ_max. */
function eigenvalueRows(label: string, a: Float64Array, ref: Float64Array): string[] {
  return [
    `${label} eigenvalues, rel. floor 1e-10·λmax`.padEnd(51) + sci(eigenvalueError(a, ref, 1e-10)),
    `${label} eigenvalues, rel. floor 1e-6·λmax`.padEnd(51) + sci(eigenvalueError(a, ref, 1e-6)),
    `${label} eigenvalues, max |Δλ| / λmax`.padEnd(51) + sci(eigenvalueAbsError(a, ref)),
  ];
}

/**
 * Largest entry-wise difference of eigenvectors (up to sign) over the eigenvalues whose
 * gap to both neighbours is at least 1e-6·λ_max (closer ones are not individually defined).
 */
function eigenvectorError(a: Eigh, ref: Eigh, n: number, only?: number): { err: number; compared: number } {
  const top = Math.max(...Array.from(ref.values, Math.abs));
  let err = 0;
  let compared = 0;
  for (let i = 0; i < (only ?? n); i++) {
    const v = ref.values;
    const gap = Math.min(i > 0 ? v[i - 1] - v[i] : Infinity, i < n - 1 ? v[i] - v[i + 1] : Infinity);
    if (gap < 1e-6 * top) continue;
    let dot = 0;
    for (let k = 0; k < n; k++) dot += a.vectors[i * n + k] * ref.vectors[i * n + k];
    const s = dot < 0 ? -1 : 1;
    for (let k = 0; k < n; k++) err = Math.max(err, Math.abs(a.vectors[i * n + k] - s * ref.vectors[i * n + k]));
    compared++;
  }
  return { err, compared };
}

function relMaxDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  let top = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
    top = Math.max(top, Math.abs(b[i]));
  }
  return m / top;
}

function correlatedMatrix(n: number, d: number, seed: number): Matrix {
  const rng = new Rng(seed);
  const L = rng.fillNormal(new Float64Array(d * d));
  // Decaying column scales give a spread spectrum (condition ~1e6), as real data has.
  for (let k = 0; k < d; k++) for (let j = 0; j < d; j++) L[k * d + j] *= Math.exp(-k / 25);
  const Z = new Float64Array(d);
  const data = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    rng.fillNormal(Z);
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += Z[k] * L[k * d + j];
      data[r * d + j] = s + 1;
    }
  }
  return matrix(data, n, d);
}

const fmt = (ms: number | undefined) => (ms === undefined ? "—" : ms.toFixed(0).padStart(7));
const sci = (x: number) => x.toExponential(2);

const dir = mkdtempSync(join(tmpdir(), "emlab-pca-"));
try {
  const rows: string[] = [];
  // ---- MNIST
  const mn = loadMnist("train");
  const { rows: n, cols: d } = mn.images;
  const covU8 = timed(() => covariance({ matrix: mn.images, bytes: mn.bytes, scale: 1 / 255 }, { core }));
  const eig = timed(() => eigh(covU8.value.cov, d, { core }));
  const covF32 = timed(() => covariance(mn.images, { core }));
  const np = numpyReference("idx", join(defaultMnistDir(), "train-images-idx3-ubyte"), covU8.value.cov, dir);
  console.log(`MNIST train: ${n}×${d}; node ${process.version}; numpy ${typeof np === "string" ? np : np.numpy}`);
  console.log("                         ours wall  ours cpu    numpy   (ms)");
  const npCov = typeof np === "string" ? undefined : np.covMs;
  const npEig = typeof np === "string" ? undefined : np.eighMs;
  console.log(`covariance, u8 exact      ${fmt(covU8.ms)}   ${fmt(covU8.cpuMs)}  ${fmt(npCov)}`);
  console.log(`covariance, f32 general   ${fmt(covF32.ms)}   ${fmt(covF32.cpuMs)}  ${fmt(npCov)}`);
  console.log(`eigh 784×784              ${fmt(eig.ms)}   ${fmt(eig.cpuMs)}  ${fmt(npEig)}`);
  console.log(`PCA total (u8 + eigh)     ${fmt(covU8.ms + eig.ms)}   ${fmt(covU8.cpuMs + eig.cpuMs)}  ${fmt(npCov === undefined ? undefined : npCov + npEig!)}`);
  const pca = new PCA({ nComponents: 50, core }).fit({ matrix: mn.images, bytes: mn.bytes });
  const tr = timed(() => pca.transform(mn.images));
  const inv = timed(() => pca.inverseTransform(tr.value));
  console.log(`transform → 50 (f32x4)    ${fmt(tr.ms)}   ${fmt(tr.cpuMs)}        —`);
  console.log(`inverseTransform 50 → 784 ${fmt(inv.ms)}   ${fmt(inv.cpuMs)}        —`);
  if (typeof np !== "string") {
    rows.push(`MNIST: cov u8 vs np.cov (max |Δ| / max |C|)        ${sci(relMaxDiff(covU8.value.cov, np.cov))}`);
    rows.push(`MNIST: cov f32 vs np.cov                           ${sci(relMaxDiff(covF32.value.cov, np.cov))}`);
    rows.push(...eigenvalueRows("MNIST: vs numpy pipeline,", eig.value.values, np.full.values));
    rows.push(...eigenvalueRows("MNIST: vs LAPACK on our cov,", eig.value.values, np.same.values));
    const vFull = eigenvectorError(eig.value, np.full, d);
    const vSame = eigenvectorError(eig.value, np.same, d);
    const v50 = eigenvectorError(eig.value, np.full, d, 50);
    rows.push(`MNIST: eigenvectors vs numpy pipeline, top 50      ${sci(v50.err)} (${v50.compared} compared)`);
    rows.push(`MNIST: eigenvectors vs numpy pipeline, separated   ${sci(vFull.err)} (${vFull.compared} of ${d} separated)`);
    rows.push(`MNIST: eigenvectors vs LAPACK on our cov           ${sci(vSame.err)} (${vSame.compared} of ${d} separated)`);
  }

  // ---- correlated random matrix
  const R = correlatedMatrix(2000, 300, 12345);
  const rcov = timed(() => covariance(R, { core }));
  const reig = timed(() => eigh(rcov.value.cov, 300, { core }));
  const rpath = join(dir, "random.f32");
  writeFileSync(rpath, new Uint8Array(R.data.buffer));
  const rnp = numpyReference("f32", rpath, rcov.value.cov, dir, R.rows, R.cols);
  console.log(`\nrandom X = Z·L, 2000×300:`);
  console.log(`covariance, f32 general   ${fmt(rcov.ms)}   ${fmt(rcov.cpuMs)}  ${fmt(typeof rnp === "string" ? undefined : rnp.covMs)}`);
  console.log(`eigh 300×300              ${fmt(reig.ms)}   ${fmt(reig.cpuMs)}  ${fmt(typeof rnp === "string" ? undefined : rnp.eighMs)}`);
  if (typeof rnp !== "string") {
    rows.push(`random: cov f32 vs np.cov                          ${sci(relMaxDiff(rcov.value.cov, rnp.cov))}`);
    rows.push(...eigenvalueRows("random: vs numpy pipeline,", reig.value.values, rnp.full.values));
    rows.push(...eigenvalueRows("random: vs LAPACK on our cov,", reig.value.values, rnp.same.values));
    const v = eigenvectorError(reig.value, rnp.full, 300);
    rows.push(`random: eigenvectors vs numpy pipeline             ${sci(v.err)} (${v.compared} of 300 separated)`);
    const vs = eigenvectorError(reig.value, rnp.same, 300);
    rows.push(`random: eigenvectors vs LAPACK on our cov          ${sci(vs.err)} (${vs.compared} of 300 separated)`);
  }
  console.log("\nagreement with numpy" + (rows.length ? "" : ": skipped (no python3 + numpy)"));
  for (const r of rows) console.log("  " + r);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
