// The covariance variants of the Gaussian mixture, as a table keyed by covarianceType.
// Each entry owns its buffers in the arena and the kernel calls over them, and knows its
// variance layout, so the EM loop (em.ts), the estimator, the experiments and the CLI never
// branch on the type. A new type is one more entry here (and its kernels).
import type { Core, Region } from "../core/wasm.js";
import { UserError } from "../util/errors.js";
import { forEachRowChunk, type AnyEstepPlan } from "./chunked.js";
import { fullCovParameterCount, fullWorkspace } from "./full-kernels.js";
import { cholesky } from "../linalg/cholesky.js";

/**
 * The per-fit state of one covariance type in linear memory, and the kernels over it. Its
 * E-step is a plan (one row kernel and its arguments) that chunkedWorkspace runs; EM runs on
 * the MixtureWorkspace that chunkedWorkspace returns.
 */
export interface CovarianceWorkspace {
  readonly K: number;
  readonly d: number;
  /** K f64. */
  readonly weights: Region<Float64Array>;
  /** K×d f64, row-major. */
  readonly means: Region<Float64Array>;
  /** Layout per type (varianceLength): diag K×d, spherical K, full K×d×d. */
  readonly variances: Region<Float64Array>;
  /** Statistics (reset first) from given responsibilities resp (n×K, row-major): the start of EM; overwrites `means` with their shift; follow with mstep. */
  statsFromResp(X: Region<Float32Array>, n: number, resp: Float64Array): void;
  /**
   * ADDS to the statistics those of n rows of X with responsibilities resp (n×K f64 region),
   * shifted by `means`: pass 2 of a start that runs chunk by chunk (init.ts).
   */
  addRespStats(X: Region<Float32Array>, n: number, resp: Region<Float64Array>): void;
  /** M-step: parameters from the statistics (regCovar added to every variance), then prepare(). The statistics are shifted by `means`: leave it as the last E-step/statsFromResp left it. */
  mstep(regCovar: number): void;
  /** Recompute the E-step's constants from weights/means/variances (after setting them directly). */
  prepare(): void;
  /** log π_k + log N(x_i | θ_k) for n rows of X (f32 region, n×d) → new Float64Array n×K. */
  logprob(X: Region<Float32Array>, n: number): Float64Array;
  /** The fused E-step for the prepared parameters: its row kernel and arguments (chunked.ts). */
  readonly estepPlan: AnyEstepPlan;
}

/** What EM runs on (em.ts): a CovarianceWorkspace with its E-step put together by chunkedWorkspace. */
export interface MixtureWorkspace extends Omit<CovarianceWorkspace, "estepPlan"> {
  /** Fused E-step: the statistics of the n rows of X (reset first); returns Σ_i log p(x_i). */
  estep(X: Region<Float32Array>, n: number): number;
}

/**
 * One component's variance as reports and `sortByWeight` give it: spherical a number, diag the
 * d variances, full the d×d covariance as d rows.
 */
export type ComponentVariance = number | number[] | number[][];

/** One covariance type: its parameter count, its variance layout and its workspace. */
export interface CovarianceEntry {
  /** Free covariance parameters (sklearn's count, for bic/aic). */
  nCovParameters(K: number, d: number): number;
  /** Length of the flat `variances` array of K components in d dimensions. */
  varianceLength(K: number, d: number): number;
  /** Component k's variance, cut out of the flat `variances` (length varianceLength(K, d)). */
  componentVariance(variances: ArrayLike<number>, k: number, d: number): ComponentVariance;
  /** The d per-feature variances (the covariance's diagonal) of a componentVariance value. */
  featureVariances(v: ComponentVariance, d: number): number[];
  /**
   * For sampling: a function that turns z ~ N(0, I_d) into A·z ~ N(0, S_k) in place, with
   * A·Aᵀ = S_k (√s·I, diag(√v) or the Cholesky factor L_k) computed once, for component k.
   */
  normalScaler(variances: ArrayLike<number>, k: number, d: number): (z: Float64Array) => void;
  /** What a table of per-component variances shows, as its heading (parameters.md). */
  readonly varianceHeading: string;
  /** Allocate the per-fit buffers in the arena (freed by the caller's core.scoped). */
  workspace(core: Core, K: number, d: number): CovarianceWorkspace;
}

// ---------------------------------------------------------------------------------------
// diag and spherical: one kernel family (assembly/estep.ts, assembly/mstep.ts). Spherical
// parameters are expanded into the diagonal precision layout by its prepare kernel, so
// both share the fused E-step and the statistics Σr, Σr·(x − c_k), Σr·(x − c_k)². The shift
// c_k is the `means` region itself: the E-step centres on the means it uses, statsFromResp
// writes the weighted means there first, and the M-step reads it before overwriting it with
// μ = c + Σr(x − c)/n_k (docs/gmm.md, "Shifted statistics").

function diagonalFamily(K: number, d: number, core: Core, spherical: boolean): CovarianceWorkspace {
  const weights = core.f64(K);
  const means = core.f64(K * d);
  const variances = core.f64(spherical ? K : K * d);
  const prec = core.f64(K * d);
  const logConst = core.f64(K);
  const sumR = core.f64(K);
  const sumX = core.f64(K * d);
  const sumX2 = core.f64(K * d);
  const sizes = { d, k: K };
  // The sparse E-step's feature-major parameters and q_k (assembly/estep-sparse.ts; docs/gmm.md, "Which path").
  const pbT = core.f64(core.call("sparseParamsLength", sizes));
  const quad = core.f64(K);
  // E-step: estepDiagSparseScratch (dense: two rows × (K log-probabilities + the row promoted to
  // f64); sparse: W and the compacted row); statsFromResp: d + K; spherical M-step: K×d.
  const estepScratch = core.call("estepDiagSparseScratch", sizes);
  const scratch = core.f64(Math.max(estepScratch, d + K, spherical ? K * d : 0));
  const prepared = { ...sizes, weights: weights.ptr, variances: variances.ptr, logConst: logConst.ptr, prec: prec.ptr };
  const prepare = () => {
    core.call(spherical ? "prepareSphericalF64" : "prepareDiagF64", prepared);
    core.call("prepareDiagSparseF64", { ...sizes, pbT: pbT.ptr, quad: quad.ptr, means: means.ptr, prec: prec.ptr });
  };
  // means.ptr is also the statistics' shift (the M-step's `shift`, aliased with its output).
  const mstepArgs = {
    ...sizes, weights: weights.ptr, means: means.ptr, variances: variances.ptr,
    sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, shift: means.ptr,
  };
  const components = { ...sizes, means: means.ptr, prec: prec.ptr, logConst: logConst.ptr };
  return {
    K, d, weights, means, variances, prepare,
    // means is the shift of every chunk of an E-step, so the per-chunk blocks add up to the
    // whole E-step's shifted statistics. Each chunk takes the sparse or the dense path by its
    // own rows (estepDiagSparsePath): chunks are fixed, so are the paths, for any thread count.
    estepPlan: {
      kernel: "estepDiagByDensityF32",
      args: { ...components, pbT: pbT.ptr, quad: quad.ptr },
      stats: { sumR, sumX, sumX2 },
      scratchLength: estepScratch,
    },
    statsFromResp(X, n, resp) {
      for (const r of [sumR, sumX, sumX2]) r.view().fill(0);
      core.scoped(() => {
        const r = core.putF64(resp);
        core.call("statsFromRespDiagF32", {
          ...sizes, n, sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, shift: means.ptr, scratch: scratch.ptr, x: X.ptr, resp: r.ptr,
        });
      });
    },
    addRespStats(X, n, resp) {
      core.call("respStatsDiagF32", { ...sizes, n, sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, scratch: scratch.ptr, x: X.ptr, resp: resp.ptr, shift: means.ptr });
    },
    mstep(regCovar) {
      if (spherical) core.call("mstepSphericalF64", { ...mstepArgs, scratch: scratch.ptr, regCovar });
      else core.call("mstepDiagF64", { ...mstepArgs, regCovar });
      prepare();
    },
    logprob(X, n) {
      return core.scoped(() => {
        const out = core.f64(n * K);
        forEachRowChunk(n, (first, rows) =>
          core.call("logprobDiagF32", {
            ...components, n: rows, out: out.ptr + first * K * 8, scratch: scratch.ptr, x: X.ptr + first * d * 4,
          }),
        );
        return out.view().slice();
      });
    },
  };
}

/** `len` values of `a` from `start`, as a plain array. */
function slice(a: ArrayLike<number>, start: number, len: number): number[] {
  return Array.from({ length: len }, (_, i) => a[start + i]);
}

/** z ← diag(s)·z. */
function scaleBy(s: number[]): (z: Float64Array) => void {
  return (z) => {
    for (let j = 0; j < s.length; j++) z[j] *= s[j];
  };
}

/** z ← L·z for a lower-triangular L (d×d row-major), in place from the last row up. */
function lowerTimes(L: Float64Array, d: number): (z: Float64Array) => void {
  return (z) => {
    for (let i = d - 1; i >= 0; i--) {
      let s = 0;
      for (let j = 0; j <= i; j++) s += L[i * d + j] * z[j];
      z[i] = s;
    }
  };
}

/**
 * The covariance types available, keyed by covarianceType, in the order the CLI lists them
 * (the default, "diag", first).
 */
export const COVARIANCE_TYPES = {
  diag: {
    nCovParameters: (K, d) => K * d,
    varianceLength: (K, d) => K * d,
    componentVariance: (v, k, d) => slice(v, k * d, d),
    featureVariances: (v) => v as number[],
    normalScaler: (v, k, d) => scaleBy(slice(v, k * d, d).map(Math.sqrt)),
    varianceHeading: "Variances (diagonal)",
    workspace: (core, K, d) => diagonalFamily(K, d, core, false),
  },
  spherical: {
    nCovParameters: (K) => K,
    varianceLength: (K) => K,
    componentVariance: (v, k) => v[k],
    featureVariances: (v, d) => Array.from({ length: d }, () => v as number),
    normalScaler: (v, k, d) => scaleBy(new Array<number>(d).fill(Math.sqrt(v[k]))),
    varianceHeading: "Variances (one per component, spherical)",
    workspace: (core, K, d) => diagonalFamily(K, d, core, true),
  },
  // Algorithm 1 with full S_k: Cholesky factors, log|S_k| from their diagonal (assembly/full.ts).
  full: {
    nCovParameters: fullCovParameterCount,
    varianceLength: (K, d) => K * d * d,
    componentVariance: (v, k, d) => Array.from({ length: d }, (_, r) => slice(v, (k * d + r) * d, d)),
    featureVariances: (v) => (v as number[][]).map((row, j) => row[j]),
    normalScaler: (v, k, d) => lowerTimes(cholesky(slice(v, k * d * d, d * d), d), d),
    varianceHeading: "Variances (diagonal of each covariance matrix; the full matrices are in parameters.json)",
    workspace: fullWorkspace,
  },
} satisfies Record<string, CovarianceEntry>;

/** `"diag" | "spherical" | "full"`: the keys of COVARIANCE_TYPES. */
export type CovarianceType = keyof typeof COVARIANCE_TYPES;

/** The covariance type names in the table's order (CLI choices, help text, tests). */
export const COVARIANCE_TYPE_NAMES = Object.freeze(Object.keys(COVARIANCE_TYPES) as CovarianceType[]);

/** The table entry for `type`; throws `unknown covarianceType: …` for anything else. */
export function covarianceEntry(type: string): CovarianceEntry {
  if (!Object.prototype.hasOwnProperty.call(COVARIANCE_TYPES, type)) {
    throw new UserError(`unknown covarianceType: ${type} (expected ${COVARIANCE_TYPE_NAMES.join(", ")})`);
  }
  return COVARIANCE_TYPES[type as CovarianceType];
}
