// M-step kernels of the diagonal and spherical Gaussian mixture, and the per-iteration
// "prepare" kernels that turn parameters into the constants the fused E-step reads.
// See docs/gmm.md for the derivation of the updates and the guards.

import { LOG_2PI, NK_EPS } from "./simd";

/** Smallest positive normal f64: floor of every variance and weight a kernel divides by or logs (reached only with regCovar = 0). */
const TINY: f64 = 2.2250738585072014e-308;

/**
 * Diagonal M-step from statistics shifted by c = shift (K×d): sumR K, sumX K×d = Σ r·(x − c_k),
 * sumX2 K×d = Σ r·(x − c_k)² (all f64; estepDiagF32 shifts by its means, statsFromRespF32 by
 * the weighted means it writes). n_k = sumR_k + 10·eps; weights (K) = n_k / Σ n_k;
 * δ = sumX / n_k; means (K×d) = c + δ; variances (K×d) = max(sumX2 / n_k − δ², 0) + regCovar.
 * means may alias shift (each entry is read before it is written).
 */
export function mstepDiagF64(
  weights: usize, means: usize, variances: usize,
  sumR: usize, sumX: usize, sumX2: usize, shift: usize, d: i32, k: i32, regCovar: f64,
): void {
  let total: f64 = 0;
  for (let c = 0; c < k; c++) {
    const nk = load<f64>(sumR + (<usize>c << 3)) + NK_EPS;
    total += nk;
    store<f64>(weights + (<usize>c << 3), nk);
    const base = <usize>c * <usize>d;
    for (let j = 0; j < d; j++) {
      const o = (base + <usize>j) << 3;
      const delta = load<f64>(sumX + o) / nk; // nk ≥ 10·eps > 0
      // Shifted moments: the cancellation costs eps·δ², and δ = μ_new − c → 0 as EM converges,
      // where the raw E[x²] − μ² lost eps·μ² (docs/gmm.md). Still clamp: a constant feature can
      // round below 0 by an ulp of δ².
      const s = load<f64>(sumX2 + o) / nk - delta * delta;
      store<f64>(means + o, load<f64>(shift + o) + delta);
      store<f64>(variances + o, (s > 0 ? s : 0) + regCovar);
    }
  }
  for (let c = 0; c < k; c++) {
    const o = <usize>c << 3;
    store<f64>(weights + o, load<f64>(weights + o) / total); // total ≥ K·10·eps > 0
  }
}

/**
 * Spherical M-step (sklearn's definition: the mean over features of the diagonal variances):
 * as mstepDiagF64 (same shifted statistics, means may alias shift) but variances has K
 * entries; scratch: K×d f64 (the diagonal variances).
 */
export function mstepSphericalF64(
  weights: usize, means: usize, variances: usize, scratch: usize,
  sumR: usize, sumX: usize, sumX2: usize, shift: usize, d: i32, k: i32, regCovar: f64,
): void {
  mstepDiagF64(weights, means, scratch, sumR, sumX, sumX2, shift, d, k, regCovar);
  for (let c = 0; c < k; c++) {
    const base = <usize>c * <usize>d;
    let s: f64 = 0;
    for (let j = 0; j < d; j++) s += load<f64>(scratch + ((base + <usize>j) << 3));
    store<f64>(variances + (<usize>c << 3), s / <f64>d); // d ≥ 1
  }
}

/**
 * Constants for the E-step from diagonal parameters: prec (K×d) = 1/s_kj and
 * logConst (K) = log π_k − ½ Σ_j log(2π s_kj). weights K, variances K×d (f64).
 */
export function prepareDiagF64(
  logConst: usize, prec: usize, weights: usize, variances: usize, d: i32, k: i32,
): void {
  for (let c = 0; c < k; c++) {
    const base = <usize>c * <usize>d;
    let logDet: f64 = 0;
    for (let j = 0; j < d; j++) {
      const o = (base + <usize>j) << 3;
      const s = Math.max(load<f64>(variances + o), TINY);
      store<f64>(prec + o, 1 / s);
      logDet += Math.log(s);
    }
    const w = Math.max(load<f64>(weights + (<usize>c << 3)), TINY); // log 0 guard
    store<f64>(logConst + (<usize>c << 3), Math.log(w) - 0.5 * (<f64>d * LOG_2PI + logDet));
  }
}

/**
 * Constants for the E-step from spherical parameters (variances: K f64), in the diagonal
 * layout the E-step reads: prec (K×d) = 1/s_k, logConst (K) = log π_k − ½ d log(2π s_k).
 */
export function prepareSphericalF64(
  logConst: usize, prec: usize, weights: usize, variances: usize, d: i32, k: i32,
): void {
  for (let c = 0; c < k; c++) {
    const s = Math.max(load<f64>(variances + (<usize>c << 3)), TINY);
    const p = 1 / s;
    const base = <usize>c * <usize>d;
    for (let j = 0; j < d; j++) store<f64>(prec + ((base + <usize>j) << 3), p);
    const w = Math.max(load<f64>(weights + (<usize>c << 3)), TINY); // log 0 guard
    store<f64>(logConst + (<usize>c << 3), Math.log(w) - 0.5 * <f64>d * (LOG_2PI + Math.log(s)));
  }
}
