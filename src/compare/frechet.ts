// Fréchet distance between two Gaussians fitted to feature vectors (the FID formula, here in a
// PCA feature space): FD = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½). The square roots are
// symmetric PSD roots from the core's eigendecomposition (sqrtmPsd). Node-free. See docs/gan.md.
import type { Matrix } from "../core/matrix.js";
import { getCore, type Core } from "../core/wasm.js";
import { covariance } from "../linalg/covariance.js";
import { sqrtmPsd } from "../linalg/eigh.js";

/** A Gaussian summary of features: mean (d) and covariance (d×d row-major, divisor n − 1), f64. */
export interface GaussianStats {
  mean: Float64Array;
  cov: Float64Array;
  d: number;
  n: number;
}

export interface FrechetOptions {
  core?: Core;
}

/** Mean and covariance of the rows of X (n×d, n ≥ 2), computed on the core. */
export function gaussianStats(X: Matrix, options: FrechetOptions = {}): GaussianStats {
  const { mean, cov, n, d } = covariance(X, { core: options.core ?? getCore() });
  return { mean, cov, d, n };
}

/** C = A·B for d×d row-major f64 matrices (d is small: 50). */
function matmul(A: Float64Array, B: Float64Array, d: number): Float64Array {
  const C = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const a = A[i * d + k];
      if (a === 0) continue;
      for (let j = 0; j < d; j++) C[i * d + j] += a * B[k * d + j];
    }
  }
  return C;
}

function trace(A: Float64Array, d: number): number {
  let t = 0;
  for (let i = 0; i < d; i++) t += A[i * d + i];
  return t;
}

/** The Fréchet distance between N(a.mean, a.cov) and N(b.mean, b.cov); ≥ 0 up to round-off. */
export function frechetDistance(a: GaussianStats, b: GaussianStats, options: FrechetOptions = {}): number {
  const core = options.core ?? getCore();
  const d = a.d;
  if (b.d !== d) throw new RangeError(`frechetDistance: dimensions ${a.d} and ${b.d} differ`);
  let dm = 0;
  for (let i = 0; i < d; i++) dm += (a.mean[i] - b.mean[i]) ** 2;
  const s1 = sqrtmPsd(a.cov, d, { core });
  const m = matmul(matmul(s1, b.cov, d), s1, d);
  // S₁Σ₂S₁ is symmetric in exact arithmetic; symmetrise away the round-off before the eigensolver
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      const v = 0.5 * (m[i * d + j] + m[j * d + i]);
      m[i * d + j] = v;
      m[j * d + i] = v;
    }
  }
  const cross = trace(sqrtmPsd(m, d, { core }), d);
  return dm + trace(a.cov, d) + trace(b.cov, d) - 2 * cross;
}
