// Full-covariance mixture: TypeScript glue over the kernels of assembly/full.ts.
// Node-free. The estimator (gaussian-mixture.ts) owns the EM loop; per fit it does:
//
//   const r = fullAlloc(core, K, d);               // inside core.scoped(...) around the fit
//   const X = core.putF32(data);                   // f32 n×d, once per fit
//   fullStatsFromLabels(core, r, X, n, labels);     // init: statistics of a hard assignment
//   fullMstep(core, r, regCovar);                  //       → weights, means, covariances
//   loop:
//     fullPrepare(core, r);                        // Cholesky → W_k = L_k⁻¹, log|S_k|, log π_k (throws UserError)
//     const ll = fullEstepStats(core, r, X, n);    // Σ log p(x_i) of the CURRENT parameters + statistics
//     nll = −ll; test convergence on nll;
//     fullMstep(core, r, regCovar);                // new parameters from the statistics
//   after the loop: fullGetParams(r) copies the learned state out of the arena.
//
// As in sklearn, the ℓ returned by an E-step belongs to the parameters that E-step used; the
// ℓ of the parameters left after the final M-step needs one more fullPrepare + fullEstepStats
// (or the estimator stops after an E-step, as sklearn does with its final E-step).
// The statistics are taken around the current means (shifted moments), so data with a large
// offset loses no precision in a single pass over X (see the header of assembly/full.ts).
//
// fullWorkspace() packages the same calls as the MixtureWorkspace of covariance.ts, so the
// table entry is: full: { nCovParameters: fullCovParameterCount, varianceLength: (K, d) => K * d * d,
// workspace: fullWorkspace }.
import type { Core, Region } from "../core/wasm.js";
import { UserError } from "../util/errors.js";
import type { MixtureWorkspace } from "./covariance.js";

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
  readonly sumRX: Region<Float64Array>;
  /** K×d×d: Σ_i r_ik (x_i − c_k)(x_i − c_k)ᵀ (upper triangle valid). */
  readonly sumRXX: Region<Float64Array>;
  /** Kernel scratch: max(fullWorkLength(d, K), d×d) f64. */
  readonly work: Region<Float64Array>;
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
  const workLength = Math.max(core.exports.fullWorkLength(d, K) as number, d * d);
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
    sumRX: core.f64(K * d),
    sumRXX: core.f64(K * d * d),
    work: core.f64(workLength),
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
  const failed: number = core.exports.precisionCholeskyF64(
    r.precChol.ptr, r.logDet.ptr, r.covariances.ptr, r.K, r.d, r.work.ptr,
  );
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
 * E-step over X (f32 n×d region): zeroes and fills sumR/sumRX/sumRXX (around the current
 * means) and returns Σ_i log p(x_i) under the current parameters. Call fullPrepare first.
 */
export function fullEstepStats(core: Core, r: FullRegions, X: Region<Float32Array>, n: number): number {
  checkRows(X, n, r.d);
  zeroStats(r);
  return core.exports.estepFullF32(
    r.sumR.ptr, r.sumRX.ptr, r.sumRXX.ptr,
    X.ptr, n, r.d,
    r.means.ptr, r.precChol.ptr, r.logDet.ptr, r.logWeights.ptr, r.K, r.work.ptr,
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
    core.exports.statsFullRespF32(
      r.sumR.ptr, r.sumRX.ptr, r.sumRXX.ptr, r.means.ptr, X.ptr, n, r.d, R.ptr, r.K, r.work.ptr,
    );
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
 * of the last fullEstepStats / fullStatsFrom*; the means they were shifted by are overwritten.
 */
export function fullMstep(core: Core, r: FullRegions, regCovar: number): void {
  if (!(regCovar >= 0)) throw new RangeError(`regCovar must be ≥ 0, got ${regCovar}`);
  core.exports.mstepFullF64(
    r.weights.ptr, r.means.ptr, r.covariances.ptr,
    r.sumR.ptr, r.sumRX.ptr, r.sumRXX.ptr, r.means.ptr,
    r.K, r.d, regCovar,
  );
}

/** log π_k + log N(x_i | μ_k, S_k) for X (f32 n×d region) → new Float64Array n×K. Call fullPrepare first. */
export function fullLogProb(core: Core, r: FullRegions, X: Region<Float32Array>, n: number): Float64Array {
  checkRows(X, n, r.d);
  return core.scoped(() => {
    const out = core.f64(n * r.K);
    core.exports.logprobFullF32(
      out.ptr, X.ptr, n, r.d, r.means.ptr, r.precChol.ptr, r.logDet.ptr, r.logWeights.ptr, r.K, r.work.ptr,
    );
    return out.view().slice();
  });
}

/** Free covariance parameters of a full model: K·d(d+1)/2 (sklearn's count, for bic/aic). */
export function fullCovParameterCount(K: number, d: number): number {
  return (K * d * (d + 1)) / 2;
}

/**
 * The full-covariance MixtureWorkspace (covariance.ts's contract) over fullAlloc's regions:
 * `variances` is the K×d×d covariance region; mstep and prepare throw the Cholesky UserError.
 */
export function fullWorkspace(core: Core, K: number, d: number): MixtureWorkspace {
  const r = fullAlloc(core, K, d);
  return {
    K,
    d,
    weights: r.weights,
    means: r.means,
    variances: r.covariances,
    estepPlan: {
      kernel: "estepFullF32",
      args: ["stat0", "stat1", "stat2", "x", "rows", d, r.means.ptr, r.precChol.ptr, r.logDet.ptr, r.logWeights.ptr, K, "scratch"],
      stats: [r.sumR, r.sumRX, r.sumRXX],
      scratchLength: r.work.length,
    },
    statsFromResp: (X, n, resp) => fullStatsFromResp(core, r, X, n, resp),
    estep: (X, n) => fullEstepStats(core, r, X, n),
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
  r.sumRX.view().fill(0);
  r.sumRXX.view().fill(0);
}

function checkRows(X: Region<Float32Array>, n: number, d: number): void {
  if (!(Number.isInteger(n) && n >= 0 && X.length >= n * d)) {
    throw new RangeError(`X holds ${X.length} values, fewer than ${n} rows × ${d} columns`);
  }
}

function checkLength(name: string, a: ArrayLike<number>, expected: number): void {
  if (a.length !== expected) throw new RangeError(`${name} has ${a.length} values, expected ${expected}`);
}
