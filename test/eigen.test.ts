import { test } from "uvu";
import * as assert from "uvu/assert";
import { nodeCore } from "../src/core/node.js";
import { eigh, sqrtmPsd } from "../src/linalg/eigh.js";
import { covariance } from "../src/linalg/covariance.js";
import { matrix } from "../src/core/matrix.js";
import { Rng } from "../src/util/rng.js";
import { covarianceTwin, jacobiEigen, matmulTwin, maxAbsDiff } from "./twin/linalg-twin.js";

const core = nodeCore();

/** A symmetric n×n matrix Bᵀ·B / n + shift·I with B standard normal (well-spread spectrum). */
function randomSymmetric(rng: Rng, n: number, shift = 0): Float64Array {
  const B = rng.fillNormal(new Float64Array(n * n)) as Float64Array;
  const A = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < n; i++) {
      const b = B[k * n + i];
      for (let j = 0; j < n; j++) A[i * n + j] += (b * B[k * n + j]) / n;
    }
  }
  for (let i = 0; i < n; i++) A[i * n + i] += shift;
  return A;
}

/** Qᵀ·diag(λ)·Q for a random orthogonal Q (from Jacobi on a random matrix): prescribed spectrum. */
function withSpectrum(rng: Rng, lambda: number[]): Float64Array {
  const n = lambda.length;
  const Q = jacobiEigen(randomSymmetric(rng, n), n).vectors;
  const A = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i * n + j] += lambda[k] * Q[k * n + i] * Q[k * n + j];
  }
  return A;
}

/** Invariants every decomposition must satisfy: sorted, A·v = λv, V·Vᵀ = I, sign rule. */
function checkInvariants(A: Float64Array, n: number, tol: number): ReturnType<typeof eigh> {
  const r = eigh(A, n, { core });
  const { values, vectors } = r;
  const scale = Math.max(1, ...Array.from(values, Math.abs));
  for (let i = 1; i < n; i++) assert.ok(values[i] <= values[i - 1], `sorted at ${i}`);
  // A·Vᵀ (column i = A·v_i) against Vᵀ·Λ.
  const Vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) Vt[k * n + i] = vectors[i * n + k];
  const AV = matmulTwin(A, Vt, n, n, n);
  for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) Vt[k * n + i] *= values[i];
  assert.ok(maxAbsDiff(AV, Vt) <= tol * scale, `A·v = λv (n=${n}): ${maxAbsDiff(AV, Vt)}`);
  const VVt = matmulTwin(vectors, transpose(vectors, n), n, n, n);
  const I = new Float64Array(n * n).map((_, i) => (i % (n + 1) === 0 ? 1 : 0));
  assert.ok(maxAbsDiff(VVt, I) <= tol, `orthonormal (n=${n}): ${maxAbsDiff(VVt, I)}`);
  for (let i = 0; i < n; i++) {
    const row = vectors.subarray(i * n, (i + 1) * n);
    let best = 0;
    for (let k = 1; k < n; k++) if (Math.abs(row[k]) > Math.abs(row[best])) best = k;
    assert.ok(row[best] > 0, `largest entry of vector ${i} is positive`);
  }
  return r;
}

function transpose(M: Float64Array, n: number): Float64Array {
  const T = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) T[j * n + i] = M[i * n + j];
  return T;
}

/** Vectors equal up to sign, where the eigenvalue is separated from its neighbours. */
function sameUpToSign(a: Float64Array, b: Float64Array, values: Float64Array, n: number, tol: number): void {
  const scale = Math.max(1e-300, ...Array.from(values, Math.abs));
  for (let i = 0; i < n; i++) {
    const gap = Math.min(i > 0 ? values[i - 1] - values[i] : Infinity, i < n - 1 ? values[i] - values[i + 1] : Infinity);
    if (gap < 1e-6 * scale) continue;
    let dot = 0;
    for (let k = 0; k < n; k++) dot += a[i * n + k] * b[i * n + k];
    const s = Math.sign(dot) || 1;
    let err = 0;
    for (let k = 0; k < n; k++) err = Math.max(err, Math.abs(a[i * n + k] - s * b[i * n + k]));
    assert.ok(err <= tol, `vector ${i}: ${err}`);
  }
}

test("eigh: invariants and agreement with Jacobi for n = 1, 2, 3, 5, 17, 64, 100", () => {
  const rng = new Rng(7);
  for (const n of [1, 2, 3, 5, 17, 64, 100]) {
    const A = randomSymmetric(rng, n, n === 5 ? -3 : 0); // n = 5: an indefinite matrix
    const r = checkInvariants(A, n, 1e-10);
    const ref = jacobiEigen(A, n);
    const scale = Math.max(1, Math.abs(ref.values[0]));
    assert.ok(maxAbsDiff(r.values, ref.values) <= 1e-11 * scale, `values n=${n}: ${maxAbsDiff(r.values, ref.values)}`);
    sameUpToSign(r.vectors, ref.vectors, ref.values, n, 1e-7);
  }
});

test("eigh: 1×1 and 2×2 by hand", () => {
  const one = eigh([4], 1, { core });
  assert.equal(Array.from(one.values), [4]);
  assert.equal(Array.from(one.vectors), [1]);
  const two = eigh([2, 1, 1, 2], 2, { core });
  assert.ok(Math.abs(two.values[0] - 3) < 1e-14 && Math.abs(two.values[1] - 1) < 1e-14);
  const h = Math.SQRT1_2;
  assert.ok(maxAbsDiff(two.vectors.subarray(0, 2), [h, h]) < 1e-14);
});

test("eigh: repeated eigenvalues, diagonal and zero matrices", () => {
  const rng = new Rng(11);
  const spectrum = [5, 5, 5, 2, 2, 1, 0, 0, -1];
  const r = checkInvariants(withSpectrum(rng, spectrum), spectrum.length, 1e-10);
  assert.ok(maxAbsDiff(r.values, spectrum) < 1e-12, `repeated: ${Array.from(r.values)}`);

  const diag = [3, -1, 7, 0, 2, 2];
  const D = new Float64Array(36);
  diag.forEach((v, i) => (D[i * 6 + i] = v));
  const rd = checkInvariants(D, 6, 1e-14);
  assert.equal(Array.from(rd.values), [7, 3, 2, 2, 0, -1]);

  const rz = checkInvariants(new Float64Array(49), 7, 1e-14);
  assert.equal(Array.from(rz.values), new Array(7).fill(0));
});

test("eigh: rejects bad shapes and non-finite entries", () => {
  assert.throws(() => eigh([1, 2, 3], 2, { core }), /expected 2×2/);
  assert.throws(() => eigh([1, NaN, NaN, 1], 2, { core }), /finite/);
  assert.equal(eigh([], 0, { core }).values.length, 0);
});

test("sqrtmPsd: S·S ≈ A, S symmetric, tiny negative eigenvalues clamped", () => {
  const rng = new Rng(3);
  for (const n of [1, 4, 33]) {
    const A = randomSymmetric(rng, n);
    const S = sqrtmPsd(A, n, { core });
    assert.ok(maxAbsDiff(S, transpose(S, n)) === 0, "symmetric");
    assert.ok(maxAbsDiff(matmulTwin(S, S, n, n, n), A) < 1e-11, `n=${n}`);
  }
  // Rank 1 with round-off: [1 1; 1 1] + a −1e-17 perturbation keeps √ finite.
  const S = sqrtmPsd([1, 1, 1, 1 - 1e-16], 2, { core });
  assert.ok(S.every(Number.isFinite));
  assert.ok(maxAbsDiff(matmulTwin(S, S, 2, 2, 2), [1, 1, 1, 1]) < 1e-8);
});

test("covariance: f32 kernel against the twin for odd n and d", () => {
  const rng = new Rng(5);
  for (const [n, d] of [[2, 1], [3, 5], [129, 7], [300, 13], [257, 4]]) {
    const data = new Float32Array(n * d);
    for (let i = 0; i < data.length; i++) data[i] = 10 + rng.normal() * (1 + (i % d));
    const got = covariance(matrix(data, n, d), { core });
    const ref = covarianceTwin(data, n, d);
    assert.is(got.kernel, "f32");
    assert.ok(maxAbsDiff(got.mean, ref.mean) < 1e-12 * 20, `mean ${n}×${d}`);
    assert.ok(maxAbsDiff(got.cov, ref.cov) < 1e-12 * d * d, `cov ${n}×${d}: ${maxAbsDiff(got.cov, ref.cov)}`);
    assert.ok(maxAbsDiff(got.cov, transpose(got.cov, d)) === 0, "symmetric");
  }
});

test("covariance: exact u8 kernel against the twin (odd n and d, zero columns, >1 chunk)", () => {
  const rng = new Rng(9);
  for (const [n, d, scale] of [[2, 1, 1], [5, 3, 1 / 255], [1031, 37, 1 / 255], [700, 17, 0.5]]) {
    const bytes = new Uint8Array(n * d);
    for (let i = 0; i < bytes.length; i++) {
      const col = i % d;
      // Column 1 is all zero (skipped by the kernel), column 2 sparse, the rest dense.
      bytes[i] = col === 1 ? 0 : col === 2 ? (rng.uniform() < 0.05 ? 255 : 0) : rng.int(256);
    }
    const X = matrix(Float32Array.from(bytes, (b) => b * scale), n, d);
    const got = covariance({ matrix: X, bytes, scale }, { core });
    const ref = covarianceTwin(bytes, n, d, scale);
    assert.is(got.kernel, "u8");
    const top = Math.max(...Array.from(ref.cov, Math.abs));
    assert.ok(maxAbsDiff(got.mean, ref.mean) <= 1e-14 * 255 * scale, `mean ${n}×${d}`);
    assert.ok(maxAbsDiff(got.cov, ref.cov) <= 1e-13 * top, `cov ${n}×${d}: ${maxAbsDiff(got.cov, ref.cov)}`);
  }
});

test("covariance: constant data give a zero matrix on both paths", () => {
  const n = 600, d = 5;
  const zeros = new Uint8Array(n * d);
  const X0 = matrix(new Float32Array(n * d), n, d);
  const u8 = covariance({ matrix: X0, bytes: zeros }, { core });
  assert.ok(u8.cov.every((v) => v === 0) && u8.mean.every((v) => v === 0));
  const X7 = matrix(new Float32Array(n * d).fill(7.25), n, d);
  const f32 = covariance(X7, { core });
  assert.ok(f32.cov.every((v) => v === 0) && f32.mean.every((v) => v === 7.25));
});

test("covariance: rejects one row and bytes that disagree with the matrix", () => {
  assert.throws(() => covariance(matrix(new Float32Array(3), 1, 3), { core }), /at least 2 rows/);
  const X = matrix(new Float32Array([0, 1, 0, 1]), 2, 2);
  assert.throws(() => covariance({ matrix: X, bytes: new Uint8Array([0, 1, 0, 2]), scale: 1 }, { core }), /bytes\[3\]/);
});

test.run();
