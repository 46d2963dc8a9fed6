// Gaussian mixture by EM, sklearn-like. The class wires small functions together:
// covariance.ts (the table of covariance types and their kernels), init.ts (starting
// points), em.ts (the loop). Mathematics: docs/gmm.md.
import { CoreMatrix, inArena, type Matrix } from "../core/matrix.js";
import { getCore, type Core } from "../core/wasm.js";
import { UserError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import { CHUNK_STATS_BUDGET_BYTES, chunkedWorkspace, chunkRowsFor, statsBlockLayout, type ChunkRunner } from "./chunked.js";
import { covarianceEntry, type ComponentVariance, type CovarianceType } from "./covariance.js";
import { runEm } from "./em.js";
import { MixtureSampler } from "./sample.js";
import { checkDataLength, MixtureScorer } from "./scorer.js";
import { isRandomInit, startStatistics, type InitMethod, type InitSpec } from "./init.js";
import { inMemoryShards, isRowShards, type RowShards } from "./shards.js";
import { shardedSteps } from "./streamed.js";
import { checkFits } from "../core/wasm.js";
import type { CovarianceEntry } from "./covariance.js";

export type { ComponentVariance, CovarianceType } from "./covariance.js";
export type { InitMethod, InitSpec } from "./init.js";

/**
 * The estimator's defaults, once: the CLI, the experiments, the report and the benches import
 * them instead of repeating the numbers. `nInit(init)` is the restart rule: several starts
 * for a random init, one for explicit labels or means (nothing random to restart).
 */
export const GMM_DEFAULTS = Object.freeze({
  covarianceType: "diag" as CovarianceType,
  maxIter: 500,
  tol: 1e-5,
  regCovar: 1e-6,
  init: "kmeans++" as InitMethod,
  nInit: (init: InitSpec): number => (isRandomInit(init) ? 5 : 1),
  seed: 0,
});

export interface GaussianMixtureOptions {
  /** K ≥ 1 components. */
  nComponents: number;
  /** Default GMM_DEFAULTS.covarianceType ("diag"). */
  covarianceType?: CovarianceType;
  /** Default GMM_DEFAULTS.maxIter (500). */
  maxIter?: number;
  /** Default GMM_DEFAULTS.tol (1e-5); stop when |ℓt − ℓt−1| ≤ tol·|ℓt|; 0 runs exactly maxIter iterations. */
  tol?: number;
  /** Default GMM_DEFAULTS.regCovar (1e-6), added to every variance (sklearn's reg_covar). */
  regCovar?: number;
  /** Default GMM_DEFAULTS.init ("kmeans++"). */
  init?: InitSpec;
  /** Restarts, best final ℓ kept; default GMM_DEFAULTS.nInit(init): 5 for random starts, 1 for explicit labels/means. */
  nInit?: number;
  /** Default GMM_DEFAULTS.seed (0); the same seed gives bit-identical results. */
  seed?: number;
  /** Default getCore() (or the pool's core). */
  core?: Core;
  /**
   * Threads for the E-step (Node: `new EmThreadPool({ threads })` from src/parallel/em-threads.ts;
   * fit allocates in pool.core, and uses a CoreMatrix already there in place). Default: this
   * thread only. Same bits with or without a pool.
   */
  pool?: ChunkRunner;
  onIteration?: (iter: number, nll: number) => void;
}

const JSON_KIND = "GaussianMixture";
const JSON_VERSION = 1;

export class GaussianMixture {
  readonly options: GaussianMixtureOptions;
  /** K. */
  weights!: Float64Array;
  /** K×d row-major. */
  means!: Float64Array;
  /** diag: K×d; spherical: K; full: K×d×d. */
  variances!: Float64Array;
  nIter!: number;
  converged!: boolean;
  /** ℓ of eq. (1) (−Σ log p(x_i)) at each iteration's E-step. */
  nllTrace!: number[];
  /** ℓ for the parameters returned. */
  nll!: number;
  /** d, the number of features seen by fit. */
  nFeatures!: number;

  constructor(options: GaussianMixtureOptions) {
    this.options = options;
  }

  get covarianceType(): CovarianceType {
    return this.options.covarianceType ?? GMM_DEFAULTS.covarianceType;
  }

  /** Alias of nFeatures (the shape sortByWeight reads). */
  get d(): number {
    return this.nFeatures;
  }

  /**
   * Fit by EM on X (f32 row-major n×d), or on rows that stay where they are (RowShards: e.g. a
   * file read chunk by chunk by a ShardPool, src/parallel/shard-workers.ts — the same bits as
   * the in-memory fit of the same rows); keeps the best of nInit starts by final ℓ. A CoreMatrix
   * in the fit's core (pool.core with a pool) is used in place; any other Matrix is copied in.
   */
  fit(X: Matrix | RowShards): this {
    const o = resolveOptions(this.options);
    const entry = covarianceEntry(o.covarianceType);
    const pool = this.options.pool;
    const fitCore = () => pool?.core ?? this.options.core ?? getCore();
    if (pool && this.options.core && this.options.core !== pool.core) throw new Error("options.core and options.pool.core differ");
    const sharded = isRowShards(X);
    const inPlace = !sharded && X instanceof CoreMatrix && inArena(X, fitCore());
    if (!sharded) {
      checkFitsMemory(X, o.nComponents, entry, inPlace ? fitCore() : undefined);
      checkFitInput(X, o.nComponents);
    }
    const n = sharded ? X.n : X.rows;
    const d = sharded ? X.d : X.cols;
    if (sharded) checkShape(n, d, o.nComponents);
    const K = o.nComponents;
    const core = fitCore();
    const rng = new Rng(o.seed);
    let best: FitState | undefined;
    core.scoped(() => {
      const ws = entry.workspace(core, K, d);
      // The E-step and the start run in the same fixed row chunks (chunked.ts's rule, from n and
      // the statistics' size), with or without a pool, in memory or streamed, so neither the
      // thread count nor where the rows are changes a bit of the fit.
      const chunkRows = chunkRowsFor(n, statsBlockLayout(ws.estepPlan).statsLength);
      // Nothing below may hold a view of X across an allocation: the kernels take X's pointer.
      const Xr = sharded ? undefined : inArena(X, core) ? X.region : core.putF32(X.data);
      const shards = sharded ? X : inMemoryShards(core, Xr!, n, d);
      const fitOnce = sharded
        ? () => runEm(shardedSteps(ws, o.covarianceType, chunkRows), X, n, o)
        : () => runEm(chunkedWorkspace(ws, core, { maxRows: n, runner: pool }), Xr!, n, o);
      for (let r = 0; r < o.nInit; r++) {
        startStatistics(o.init, shards, core, ws, o.covarianceType, chunkRows, rng);
        ws.mstep(o.regCovar);
        const run = fitOnce();
        if (!Number.isFinite(run.nll)) {
          throw new Error(
            `EM reached a non-finite likelihood (${run.nll}): scale the input or raise regCovar (now ${o.regCovar})`,
          );
        }
        if (!best || run.nll < best.nll) {
          best = { ...run, weights: ws.weights.view().slice(), means: ws.means.view().slice(), variances: ws.variances.view().slice() };
        }
      }
    });
    Object.assign(this, best!, { nFeatures: d });
    return this;
  }

  /** Index of the most probable component per row: Int32Array n. */
  predict(X: Matrix): Int32Array {
    return this.withScorer(X, (s) => s.predict(X));
  }

  /** Responsibilities p(k | x_i): Float64Array n×K row-major, rows sum to 1. */
  predictProba(X: Matrix): Float64Array {
    return this.withScorer(X, (s) => s.predictProba(X));
  }

  /** log p(x_i) per row: Float64Array n. */
  scoreSamples(X: Matrix): Float64Array {
    return this.withScorer(X, (s) => s.scoreSamples(X));
  }

  /** Mean log p(x_i) over the rows of X. */
  score(X: Matrix): number {
    const s = this.scoreSamples(X);
    let acc = 0;
    for (const v of s) acc += v;
    return acc / X.rows;
  }

  /** Bayesian information criterion: −2·Σ log p(x_i) + p·ln n (lower is better). */
  bic(X: Matrix): number {
    return -2 * this.score(X) * X.rows + this.nParameters() * Math.log(X.rows);
  }

  /** Akaike information criterion: −2·Σ log p(x_i) + 2p. */
  aic(X: Matrix): number {
    return -2 * this.score(X) * X.rows + 2 * this.nParameters();
  }

  /** Free parameters: K−1 weights + K·d means + the covariance type's count. */
  nParameters(): number {
    this.checkFitted();
    const K = this.weights.length;
    const d = this.nFeatures;
    return K - 1 + K * d + covarianceEntry(this.covarianceType).nCovParameters(K, d);
  }

  /** Plain-JSON model: {kind: "GaussianMixture", version: 1, ...}. */
  toJSON(): object {
    this.checkFitted();
    const { nComponents, maxIter, tol, regCovar, init, nInit, seed } = resolveOptions(this.options);
    return {
      kind: JSON_KIND,
      version: JSON_VERSION,
      covarianceType: this.covarianceType,
      nComponents,
      nFeatures: this.nFeatures,
      options: { maxIter, tol, regCovar, init: typeof init === "string" ? init : undefined, nInit, seed },
      weights: Array.from(this.weights),
      means: Array.from(this.means),
      variances: Array.from(this.variances),
      nIter: this.nIter,
      converged: this.converged,
      nll: this.nll,
      nllTrace: this.nllTrace,
    };
  }

  /** Load a model written by toJSON (checks kind, version and array lengths). */
  static fromJSON(json: unknown): GaussianMixture {
    const j = json as Record<string, any>;
    if (!j || typeof j !== "object" || j.kind !== JSON_KIND) {
      throw new UserError(`not a GaussianMixture model (kind: ${j && typeof j === "object" ? j.kind : typeof j})`);
    }
    if (j.version !== JSON_VERSION) throw new UserError(`GaussianMixture model version ${j.version} is not supported (expected ${JSON_VERSION})`);
    const entry = covarianceEntry(j.covarianceType);
    const K = j.nComponents;
    const d = j.nFeatures;
    if (!Number.isInteger(K) || K < 1 || !Number.isInteger(d) || d < 1) throw new UserError("GaussianMixture model: bad nComponents or nFeatures");
    const arr = (name: string, len: number) => {
      const a = j[name];
      if (!Array.isArray(a) || a.length !== len || !a.every((v) => typeof v === "number" && Number.isFinite(v))) {
        throw new UserError(`GaussianMixture model: ${name} must be ${len} finite numbers`);
      }
      return Float64Array.from(a);
    };
    const opts = j.options ?? {};
    const gm = new GaussianMixture({
      nComponents: K,
      covarianceType: j.covarianceType,
      maxIter: opts.maxIter,
      tol: opts.tol,
      regCovar: opts.regCovar,
      init: opts.init,
      nInit: opts.nInit,
      seed: opts.seed,
    });
    return Object.assign(gm, {
      weights: arr("weights", K),
      means: arr("means", K * d),
      variances: arr("variances", entry.varianceLength(K, d)),
      nFeatures: d,
      nIter: j.nIter ?? 0,
      converged: j.converged ?? false,
      nll: j.nll ?? NaN,
      nllTrace: Array.isArray(j.nllTrace) ? j.nllTrace : [],
    });
  }

  // -------------------------------------------------------------------------------------
  // reuse: scoring new data (scorer.ts) and sampling (sample.ts)

  /**
   * n rows drawn from the mixture (X: f32 n×d) and the component of each (labels: Int32Array n);
   * the same seed gives the same bits.
   */
  sample(n: number, seed: number = GMM_DEFAULTS.seed): { X: Matrix; labels: Int32Array } {
    this.checkFitted();
    if (!(Number.isSafeInteger(n) && n >= 0)) throw new UserError(`sample: n must be an integer ≥ 0, got ${n}`);
    const X = new Float32Array(n * this.nFeatures);
    const labels = new Int32Array(n);
    new MixtureSampler(this, seed).next(n, X, labels);
    return { X: { data: X, rows: n, cols: this.nFeatures }, labels };
  }

  /** Run `fn` with this model loaded into the core that holds X (a CoreMatrix, scored in place) or the default one. */
  private withScorer<T>(X: Matrix, fn: (s: MixtureScorer) => T): T {
    this.checkFitted();
    const core = X instanceof CoreMatrix && !X.released ? X.core : this.options.core ?? getCore();
    return core.scoped(() => fn(new MixtureScorer(this, core)));
  }

  private checkFitted(): void {
    if (!this.weights) throw new Error("GaussianMixture is not fitted: call fit(X) first");
  }
}

interface FitState {
  weights: Float64Array;
  means: Float64Array;
  variances: Float64Array;
  nllTrace: number[];
  nll: number;
  nIter: number;
  converged: boolean;
}

// ---------------------------------------------------------------------------------------
// input checks

type Resolved = Required<Omit<GaussianMixtureOptions, "core" | "pool" | "onIteration">> & Pick<GaussianMixtureOptions, "onIteration">;

function resolveOptions(o: GaussianMixtureOptions): Resolved {
  const D = GMM_DEFAULTS;
  const init: InitSpec = o.init ?? D.init;
  const r: Resolved = {
    nComponents: o.nComponents,
    covarianceType: o.covarianceType ?? D.covarianceType,
    maxIter: o.maxIter ?? D.maxIter,
    tol: o.tol ?? D.tol,
    regCovar: o.regCovar ?? D.regCovar,
    init,
    nInit: o.nInit ?? D.nInit(init),
    seed: o.seed ?? D.seed,
    onIteration: o.onIteration,
  };
  if (!Number.isInteger(r.nComponents) || r.nComponents < 1) throw new UserError(`nComponents must be an integer ≥ 1, got ${r.nComponents}`);
  if (!Number.isInteger(r.maxIter) || r.maxIter < 0) throw new UserError(`maxIter must be an integer ≥ 0, got ${r.maxIter}`);
  if (!(r.tol >= 0)) throw new UserError(`tol must be ≥ 0, got ${r.tol}`);
  if (!(r.regCovar >= 0) || !Number.isFinite(r.regCovar)) throw new UserError(`regCovar must be finite and ≥ 0, got ${r.regCovar}`);
  if (!Number.isInteger(r.nInit) || r.nInit < 1) throw new UserError(`nInit must be an integer ≥ 1, got ${r.nInit}`);
  return r;
}

function checkFitInput(X: Matrix, K: number): void {
  checkShape(X.rows, X.cols, K);
  checkDataLength(X);
  const x = X.data;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new UserError(`X[${Math.floor(i / X.cols)}][${i % X.cols}] = ${x[i]} is not finite`);
  }
}

function checkShape(n: number, d: number, K: number): void {
  if (n < 1 || d < 1) throw new UserError(`X has ${n}×${d} values: need at least one row and one column`);
  if (K > n) throw new UserError(`nComponents = ${K} exceeds the ${n} rows of X`);
}

/**
 * Refuse, before anything reads X.data, a fit whose buffers cannot fit in WASM32's 4 GiB: X (f32),
 * the E-step's chunk blocks (at most CHUNK_STATS_BUDGET_BYTES), one chunk of start
 * responsibilities, parameters, statistics and scratch (f64).
 */
function checkFitsMemory(X: Matrix, K: number, entry: CovarianceEntry, inPlaceCore?: Core): void {
  const { rows: n, cols: d } = X;
  // X in place: it is already below the arena's top, so count only what the fit adds above it.
  const xBytes = inPlaceCore ? 0 : 4 * n * d;
  const statsLength = 3 * entry.varianceLength(K, d);
  checkFits(
    // + the sparse E-step's feature-major parameters 2·d·(K + 1) and a thread's scratch K·d + 5·(d + 4)
    xBytes + CHUNK_STATS_BUDGET_BYTES + 8 * chunkRowsFor(n, statsLength) * K + 8 * (statsLength + 4 * K * d + 2 * d * (K + 1) + K * d + 5 * (d + 4)),
    `GaussianMixture.fit on ${n}×${d} values with nComponents = ${K}`,
    inPlaceCore,
  );
}

/**
 * Components reordered by increasing weight, ties by index (the homework's report order), as
 * plain arrays; each variance in the covariance type's per-component shape (ComponentVariance).
 */
export function sortByWeight(m: {
  weights: ArrayLike<number>;
  means: ArrayLike<number>;
  variances: ArrayLike<number>;
  covarianceType: CovarianceType;
  d: number;
}): { weights: number[]; means: number[][]; variances: ComponentVariance[] } {
  const entry = covarianceEntry(m.covarianceType);
  const K = m.weights.length;
  const d = m.d;
  const order = Array.from({ length: K }, (_, k) => k).sort((a, b) => m.weights[a] - m.weights[b] || a - b);
  return {
    weights: order.map((k) => m.weights[k]),
    means: order.map((k) => Array.from({ length: d }, (_, j) => m.means[k * d + j])),
    variances: order.map((k) => entry.componentVariance(m.variances, k, d)),
  };
}
