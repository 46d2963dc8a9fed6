// Full-covariance mixture: TypeScript glue over the kernels of assembly/full.ts, one function
// per kernel call, over the arena regions of one model (FullRegions). fullWorkspace packages
// them as covariance.ts's CovarianceWorkspace, whose E-step plan names estepFullF32; EM runs
// it through chunkedWorkspace (chunked.ts) and the loop in em.ts. The mathematics (Cholesky
// factor, W = L⁻¹, log|S| from the diagonal, shifted moments, the M-step, the cost): docs/gmm.md,
// "Full covariances". Node-free.
import type { Core, Region } from "../core/wasm.js";
import { UserError } from "../util/errors.js";
import { forEachRowChunk } from "./chunked.js";
import type { CovarianceWorkspace } from "./covariance.js";

/** Arena regions (f64) of one full-covariance model: parameters, factors, statistics, scratch. */
export interface FullRegions {
  readonly K: number;
  readonly d: number;
  /** K mixture weights π_k. */
  readonly weights: Region<Float64Array>;
  /** K×d means; also the shift c_k of the statistics (the E-step centres on them). */
  readonly means: Region<Float64Array>;
  /** K×d×d covariance matrices S_k, row-major, symmetric. */
  readonly covariances: Region<Float64Array>;
  /** K×d×d inverse Cholesky factors W_k = L_k⁻¹ (lower; sklearn's precisions_cholesky_ transposed). */
  readonly precChol: Region<Float64Array>;
  /** K log-determinants log|S_k|. */
  readonly logDet: Region<Float64Array>;
  /** K log-weights log π_k. */
  readonly logWeights: Region<Float64Array>;
  /** K: Σ_i r_ik. */
  readonly sumR: Region<Float64Array>;
  /** K×d: Σ_i r_ik (x_i − c_k). */
  readonly sumX: Region<Float64Array>;
  /** K×d×d: Σ_i r_ik (x_i − c_k)(x_i − c_k)ᵀ (upper triangle valid). */
  readonly sumXX: Region<Float64Array>;
  /** Kernel scratch: fullScratchLength(d, K) f64. */
  readonly scratch: Region<Float64Array>;
}

/** Learned state of a full-covariance mixture (copies, outside the arena). */
export interface FullParams {
  weights: Float64Array; // K
  means: Float64Array; // K×d
  covariances: Float64Array; // K×d×d
}

/** Allocate the regions of a K-component, d-dimensional full model in `core`'s arena. */
export function fullAlloc(core: Core, K: number, d: number): FullRegions {
  if (!(Number.isInteger(K) && K >= 1)) throw new RangeError(`fullAlloc: K must be an integer ≥ 1, got ${K}`);
  if (!(Number.isInteger(d) && d >= 1)) throw new RangeError(`fullAlloc: d must be an integer ≥ 1, got ${d}`);
  return {
    K,
    d,
    weights: core.f64(K),
    means: core.f64(K * d),
    covariances: core.f64(K * d * d),
    precChol: core.f64(K * d * d),
    logDet: core.f64(K),
    logWeights: core.f64(K),
    sumR: core.f64(K),
    sumX: core.f64(K * d),
    sumXX: core.f64(K * d * d),
    scratch: core.f64(core.exports.fullScratchLength(d, K)),
  };
}

/** Copy parameters (weights K, means K×d, covariances K×d×d) into the regions. */
export function fullSetParams(r: FullRegions, p: FullParams): void {
  const { K, d } = r;
  checkLength("weights", p.weights, K);
  checkLength("means", p.means, K * d);
  checkLength("covariances", p.covariances, K * d * d);
  r.weights.view().set(p.weights);
  r.means.view().set(p.means);
  r.covariances.view().set(p.covariances);
}

/** Copy the current parameters out of the arena. */
export function fullGetParams(r: FullRegions): FullParams {
  return {
    weights: r.weights.view().slice(),
    means: r.means.view().slice(),
    covariances: r.covariances.view().slice(),
  };
}

/**
 * Factor every covariance (S_k = L_k L_kᵀ → W_k = L_k⁻¹, log|S_k|) and take log π_k.
 * Throws a UserError naming the component when S_k is not positive definite.
 */
export function fullPrepare(core: Core, r: FullRegions): void {
  const failed = core.call("precisionCholeskyF64", {
    precChol: r.precChol.ptr, logDet: r.logDet.ptr, scratch: r.scratch.ptr, covariances: r.covariances.ptr, d: r.d, k: r.K,
  });
  if (failed >= 0) throw choleskyError(failed);
  const w = r.weights.view();
  const lw = r.logWeights.view();
  // π_k ≥ 10·eps / Σ nk after an M-step, so the log is finite; a zero weight set by hand gives −∞ (never chosen).
  for (let k = 0; k < r.K; k++) lw[k] = Math.log(w[k]);
}

/** The error a failed Cholesky becomes: says what to change. */
export function choleskyError(k: number): UserError {
  return new UserError(
    `Cholesky failed for component ${k}: the covariance is not positive definite — ` +
      "use fewer components, a larger regCovar, or scale the input",
  );
}

/**
 * Statistics of given responsibilities resp (n×K row-major, rows sum to 1): writes the
 * weighted means into r.means (the shift) and the shifted statistics; follow with fullMstep.
 */
export function fullStatsFromResp(core: Core, r: FullRegions, X: Region<Float32Array>, n: number, resp: ArrayLike<number>): void {
  checkRows(X, n, r.d);
  checkLength("resp", resp, n * r.K);
  core.scoped(() => {
    const R = core.putF64(resp);
    zeroStats(r);
    core.call("statsFromRespFullF32", {
      sumR: r.sumR.ptr, sumX: r.sumX.ptr, sumXX: r.sumXX.ptr, shift: r.means.ptr, scratch: r.scratch.ptr,
      x: X.ptr, resp: R.ptr, n, d: r.d, k: r.K,
    });
  });
}

/** Statistics of a hard assignment (labels: n integers in 0..K−1); follow with fullMstep. */
export function fullStatsFromLabels(core: Core, r: FullRegions, X: Region<Float32Array>, n: number, labels: ArrayLike<number>): void {
  checkLength("labels", labels, n);
  const resp = new Float64Array(n * r.K);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!(Number.isInteger(l) && l >= 0 && l < r.K)) {
      throw new RangeError(`labels[${i}] = ${l} is not a component index in 0..${r.K - 1}`);
    }
    resp[i * r.K + l] = 1;
  }
  fullStatsFromResp(core, r, X, n, resp);
}

/**
 * M-step: weights, means and covariances (+ regCovar on the diagonal) from the statistics
 * of the last E-step or fullStatsFrom*; the means they were shifted by are overwritten.
 */
export function fullMstep(core: Core, r: FullRegions, regCovar: number): void {
  if (!(regCovar >= 0)) throw new RangeError(`regCovar must be ≥ 0, got ${regCovar}`);
  core.call("mstepFullF64", {
    weights: r.weights.ptr, means: r.means.ptr, covariances: r.covariances.ptr,
    sumR: r.sumR.ptr, sumX: r.sumX.ptr, sumXX: r.sumXX.ptr, shift: r.means.ptr,
    d: r.d, k: r.K, regCovar,
  });
}

/** log π_k + log N(x_i | μ_k, S_k) for X (f32 n×d region) → new Float64Array n×K. Call fullPrepare first. */
export function fullLogProb(core: Core, r: FullRegions, X: Region<Float32Array>, n: number): Float64Array {
  checkRows(X, n, r.d);
  return core.scoped(() => {
    const out = core.f64(n * r.K);
    forEachRowChunk(n, (first, rows) =>
      core.call("logprobFullF32", {
        ...components(r), out: out.ptr + first * r.K * 8, scratch: r.scratch.ptr, x: X.ptr + first * r.d * 4, n: rows,
      }),
    );
    return out.view().slice();
  });
}

/** Free covariance parameters of a full model: K·d(d+1)/2 (sklearn's count, for bic/aic). */
export function fullCovParameterCount(K: number, d: number): number {
  return (K * d * (d + 1)) / 2;
}

/** The prepared parameters as the E-step and logprob kernels take them. */
function components(r: FullRegions) {
  return {
    means: r.means.ptr, precChol: r.precChol.ptr, logDet: r.logDet.ptr, logWeights: r.logWeights.ptr, d: r.d, k: r.K,
  };
}

/**
 * The full-covariance CovarianceWorkspace (covariance.ts's contract) over the regions `r`
 * (default: new ones): `variances` is the K×d×d covariance region; mstep and prepare throw the
 * Cholesky UserError.
 */
export function fullWorkspace(core: Core, K: number, d: number, r: FullRegions = fullAlloc(core, K, d)): CovarianceWorkspace {
  if (r.K !== K || r.d !== d) throw new RangeError(`fullWorkspace: regions of K=${r.K}, d=${r.d} for K=${K}, d=${d}`);
  return {
    K,
    d,
    weights: r.weights,
    means: r.means,
    variances: r.covariances,
    // The E-step centres on the means: they are the statistics' shift for every chunk.
    estepPlan: {
      kernel: "estepFullF32",
      args: components(r),
      stats: { sumR: r.sumR, sumX: r.sumX, sumXX: r.sumXX },
      scratchLength: r.scratch.length,
    },
    statsFromResp: (X, n, resp) => fullStatsFromResp(core, r, X, n, resp),
    addRespStats(X, n, resp) {
      checkRows(X, n, d);
      core.call("respStatsFullF32", {
        sumR: r.sumR.ptr, sumX: r.sumX.ptr, sumXX: r.sumXX.ptr, scratch: r.scratch.ptr, x: X.ptr, resp: resp.ptr, shift: r.means.ptr, n, d, k: K,
      });
    },
    mstep(regCovar) {
      fullMstep(core, r, regCovar);
      fullPrepare(core, r);
    },
    prepare: () => fullPrepare(core, r),
    logprob: (X, n) => fullLogProb(core, r, X, n),
  };
}

function zeroStats(r: FullRegions): void {
  r.sumR.view().fill(0);
  r.sumX.view().fill(0);
  r.sumXX.view().fill(0);
}

function checkRows(X: Region<Float32Array>, n: number, d: number): void {
  if (!(Number.isInteger(n) && n >= 0 && X.length >= n * d)) {
    throw new RangeError(`X holds ${X.length} values, fewer than ${n} rows × ${d} columns`);
  }
}

function checkLength(name: string, a: ArrayLike<number>, expected: number): void {
  if (a.length !== expected) throw new RangeError(`${name} has ${a.length} values, expected ${expected}`);
}
