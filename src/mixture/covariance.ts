// The covariance variants of the Gaussian mixture, as a table keyed by covarianceType.
// Each entry owns its buffers in the arena and the kernel calls over them, so the EM loop
// (em.ts) and the estimator never branch on the type. A new type ("full") is one more entry.
import type { Core, Region } from "../core/wasm.js";
import { UserError } from "../util/errors.js";
import type { EstepPlan } from "./chunked.js";
import { fullCovParameterCount, fullWorkspace } from "./full-kernels.js";

export type CovarianceType = "full" | "diag" | "spherical";

/** The per-fit state of one covariance type in linear memory, and the kernels over it. */
export interface MixtureWorkspace {
  readonly K: number;
  readonly d: number;
  /** K f64. */
  readonly weights: Region<Float64Array>;
  /** K×d f64, row-major. */
  readonly means: Region<Float64Array>;
  /** Layout per type: diag K×d, spherical K, full K×d×d. */
  readonly variances: Region<Float64Array>;
  /** Statistics (reset first) from given responsibilities resp (n×K, row-major): the start of EM; overwrites `means` with their shift; follow with mstep. */
  statsFromResp(X: Region<Float32Array>, n: number, resp: Float64Array): void;
  /** Fused E-step for the prepared parameters: zero, then accumulate the statistics; returns Σ_i log p(x_i). */
  estep(X: Region<Float32Array>, n: number): number;
  /** M-step: parameters from the statistics (regCovar added to every variance), then prepare(). The statistics are shifted by `means`: leave it as the last estep/statsFromResp left it. */
  mstep(regCovar: number): void;
  /** Recompute the E-step's constants from weights/means/variances (after setting them directly). */
  prepare(): void;
  /** log π_k + log N(x_i | θ_k) for n rows of X (f32 region, n×d) → new Float64Array n×K. */
  logprob(X: Region<Float32Array>, n: number): Float64Array;
  /** How estep splits by rows (chunked.ts): present when the E-step kernel only accumulates. */
  readonly estepPlan?: EstepPlan;
}

/** One covariance type: its parameter count, its variance layout and its workspace. */
export interface CovarianceEntry {
  /** Free covariance parameters (sklearn's count, for bic/aic). */
  nCovParameters(K: number, d: number): number;
  /** Length of the `variances` array. */
  varianceLength(K: number, d: number): number;
  /** Allocate the per-fit buffers in the arena (freed by the caller's core.scoped). */
  workspace(core: Core, K: number, d: number): MixtureWorkspace;
}

// ---------------------------------------------------------------------------------------
// diag and spherical: one kernel family (assembly/estep.ts, assembly/mstep.ts). Spherical
// parameters are expanded into the diagonal precision layout by its prepare kernel, so
// both share the fused E-step and the statistics Σr, Σr·(x − c_k), Σr·(x − c_k)². The shift
// c_k is the `means` region itself: the E-step centres on the means it uses, statsFromResp
// writes the weighted means there first, and the M-step reads it before overwriting it with
// μ = c + Σr(x − c)/n_k (docs/gmm.md, "Shifted statistics").

function diagonalFamily(K: number, d: number, core: Core, spherical: boolean): MixtureWorkspace {
  const e = core.exports;
  const weights = core.f64(K);
  const means = core.f64(K * d);
  const variances = core.f64(spherical ? K : K * d);
  const prec = core.f64(K * d);
  const logConst = core.f64(K);
  const sumR = core.f64(K);
  const sumX = core.f64(K * d);
  const sumX2 = core.f64(K * d);
  // E-step: two rows × (K log-probabilities + the row promoted to f64); statsFromResp: d + K;
  // spherical M-step: K×d diagonal variances.
  const scratch = core.f64(spherical ? Math.max(K * d, 2 * (K + d)) : 2 * (K + d));
  const resetStats = () => {
    sumR.view().fill(0);
    sumX.view().fill(0);
    sumX2.view().fill(0);
  };
  const prepare = () =>
    (spherical ? e.prepareSphericalF64 : e.prepareDiagF64)(logConst.ptr, prec.ptr, weights.ptr, variances.ptr, K, d);
  return {
    K, d, weights, means, variances, prepare,
    // means.ptr is also the statistics' shift: one value for every chunk of an E-step, so the
    // per-chunk blocks add up to the whole E-step's shifted statistics.
    estepPlan: {
      kernel: "estepDiagF32",
      args: ["stat0", "stat1", "stat2", "scratch", "x", "rows", d, K, means.ptr, prec.ptr, logConst.ptr],
      stats: [sumR, sumX, sumX2],
      scratchLength: 2 * (K + d),
    },
    statsFromResp(X, n, resp) {
      resetStats();
      core.scoped(() => {
        const r = core.putF64(resp);
        e.statsFromRespF32(sumR.ptr, sumX.ptr, sumX2.ptr, means.ptr, scratch.ptr, X.ptr, r.ptr, n, d, K);
      });
    },
    estep(X, n) {
      resetStats();
      return e.estepDiagF32(sumR.ptr, sumX.ptr, sumX2.ptr, scratch.ptr, X.ptr, n, d, K, means.ptr, prec.ptr, logConst.ptr);
    },
    mstep(regCovar) {
      if (spherical) {
        e.mstepSphericalF64(weights.ptr, means.ptr, variances.ptr, scratch.ptr, sumR.ptr, sumX.ptr, sumX2.ptr, means.ptr, K, d, regCovar);
      } else {
        e.mstepDiagF64(weights.ptr, means.ptr, variances.ptr, sumR.ptr, sumX.ptr, sumX2.ptr, means.ptr, K, d, regCovar);
      }
      prepare();
    },
    logprob(X, n) {
      return core.scoped(() => {
        const out = core.f64(n * K);
        e.logprobDiagF32(out.ptr, scratch.ptr, X.ptr, n, d, K, means.ptr, prec.ptr, logConst.ptr);
        return out.view().slice();
      });
    },
  };
}

/** The covariance types available, keyed by covarianceType. */
export const COVARIANCE_TYPES: Record<CovarianceType, CovarianceEntry> = {
  // Algorithm 1 with full S_k: Cholesky factors, log|S_k| from their diagonal (assembly/full.ts).
  full: {
    nCovParameters: fullCovParameterCount,
    varianceLength: (K, d) => K * d * d,
    workspace: fullWorkspace,
  },
  diag: {
    nCovParameters: (K, d) => K * d,
    varianceLength: (K, d) => K * d,
    workspace: (core, K, d) => diagonalFamily(K, d, core, false),
  },
  spherical: {
    nCovParameters: (K) => K,
    varianceLength: (K) => K,
    workspace: (core, K, d) => diagonalFamily(K, d, core, true),
  },
};

/** The table entry for `type`; throws `unknown covarianceType: …` for anything else. */
export function covarianceEntry(type: string): CovarianceEntry {
  const entry = Object.prototype.hasOwnProperty.call(COVARIANCE_TYPES, type)
    ? COVARIANCE_TYPES[type as CovarianceType]
    : undefined;
  if (!entry) throw new UserError(`unknown covarianceType: ${type}`);
  return entry;
}
