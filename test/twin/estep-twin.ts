// Float64 twin of one fused diagonal E-step (every kernel of assembly/estep.ts and
// assembly/estep-sparse.ts): the statistics shifted by the means, computed from the per-point
// responsibilities of gmm-twin.ts with no cut and no fusion.
import { eStep, type TwinParams } from "./gmm-twin.js";

export interface TwinStats {
  /** K: Σ_i r_ik. */
  sumR: Float64Array;
  /** K×d: Σ_i r_ik (x_ij − μ_kj). */
  sumX: Float64Array;
  /** K×d: Σ_i r_ik (x_ij − μ_kj)². */
  sumX2: Float64Array;
  /** Σ_i log p(x_i). */
  ll: number;
}

/** The shifted statistics and Σ log p of n rows of X (f32 row-major n×d) under diagonal parameters p. */
export function estepTwin(X: Float32Array, n: number, d: number, p: TwinParams): TwinStats {
  const K = p.weights.length;
  const { resp, nll } = eStep(X, n, d, p);
  const sumR = new Float64Array(K);
  const sumX = new Float64Array(K * d);
  const sumX2 = new Float64Array(K * d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      const r = resp[i][k];
      sumR[k] += r;
      for (let j = 0; j < d; j++) {
        const u = X[i * d + j] - p.means[k][j];
        sumX[k * d + j] += r * u;
        sumX2[k * d + j] += r * u * u;
      }
    }
  }
  return { sumR, sumX, sumX2, ll: -nll };
}
