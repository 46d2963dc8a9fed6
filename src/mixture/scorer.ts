// A fitted mixture loaded once into a Core, to score and label data a chunk at a time: the
// workspace and its prepared constants (precisions, Cholesky factors) stay in the arena, so a
// file of any length costs one preparation and memory for one chunk. GaussianMixture's
// predict/predictProba/scoreSamples go through it too. Node-free.
import { inArena, type Matrix } from "../core/matrix.js";
import type { Core, Region } from "../core/wasm.js";
import { UserError } from "../util/errors.js";
import { CHUNK_ROWS, chunkRowsFor, runChunk, statsBlockLayout, type EstepJob, type StatsBlockLayout } from "./chunked.js";
import { covarianceEntry, type CovarianceType, type CovarianceWorkspace } from "./covariance.js";

/** The learned state that scoring and sampling read (a fitted GaussianMixture is one). */
export interface MixtureParams {
  readonly covarianceType: CovarianceType;
  /** K. */
  readonly weights: Float64Array;
  /** K×d row-major. */
  readonly means: Float64Array;
  /** The covariance type's layout: diag K×d, spherical K, full K×d×d. */
  readonly variances: Float64Array;
  /** d. */
  readonly nFeatures: number;
}

/** The learned state of `m` as plain arrays (a class instance carries more: options, a Core), to post to a worker. */
export function plainParams(m: MixtureParams): MixtureParams {
  return { covarianceType: m.covarianceType, weights: m.weights, means: m.means, variances: m.variances, nFeatures: m.nFeatures };
}

export class MixtureScorer {
  readonly model: MixtureParams;
  readonly K: number;
  readonly d: number;
  private readonly core: Core;
  private readonly ws: CovarianceWorkspace;
  private readonly layout: StatsBlockLayout;
  /** Byte address of the statistics block and of the scratch of chunkLogLikelihood's kernel. */
  private readonly block: number;
  private readonly scratch: number;

  /** Allocates in `core`'s arena (the caller frees it, e.g. with core.scoped around the scorer's use). */
  constructor(model: MixtureParams, core: Core) {
    this.core = core;
    this.model = plainParams(model);
    this.K = model.weights.length;
    this.d = model.nFeatures;
    const ws = covarianceEntry(model.covarianceType).workspace(core, this.K, this.d);
    ws.weights.view().set(model.weights);
    ws.means.view().set(model.means);
    ws.variances.view().set(model.variances);
    ws.prepare();
    this.ws = ws;
    this.layout = statsBlockLayout(ws.estepPlan);
    this.block = core.allocBytes(this.layout.blockBytes);
    this.scratch = core.f64(Math.max(1, ws.estepPlan.scratchLength)).ptr;
  }

  /** log π_k + log N(x_i | θ_k): Float64Array n×K. */
  weightedLogProb(X: Matrix): Float64Array {
    this.check(X);
    return this.core.scoped(() => this.ws.logprob(inArena(X, this.core) ? X.region : this.core.putF32(X.data), X.rows));
  }

  /** weightedLogProb of `rows` rows of X (f32 rows×d, a region of this scorer's core): Float64Array rows×K. */
  weightedLogProbRegion(X: Region<Float32Array>, rows: number): Float64Array {
    return this.ws.logprob(X, rows);
  }

  /** Index of the most probable component per row: Int32Array n. */
  predict(X: Matrix): Int32Array {
    return mostProbable(this.weightedLogProb(X), this.K);
  }

  /** Responsibilities p(k | x_i): Float64Array n×K row-major, rows sum to 1. */
  predictProba(X: Matrix): Float64Array {
    return responsibilities(this.weightedLogProb(X), this.K);
  }

  /** log p(x_i) per row: Float64Array n. */
  scoreSamples(X: Matrix): Float64Array {
    const lp = this.weightedLogProb(X);
    const K = this.K;
    const out = new Float64Array(X.rows);
    for (let i = 0; i < X.rows; i++) out[i] = logSumExp(lp.subarray(i * K, (i + 1) * K));
    return out;
  }

  /**
   * Σ_i log p(x_i) over the rows of X by the fit's fused E-step kernel, run on X as one chunk:
   * the same bits as the fit's E-step gives for a chunk holding these rows.
   */
  chunkLogLikelihood(X: Matrix): number {
    this.check(X);
    const core = this.core;
    return core.scoped(() => this.estepChunk(inArena(X, core) ? X.region : core.putF32(X.data), X.rows));
  }

  /** f64 values of one chunk's statistics block (statsBlockLayout of the fit's E-step plan). */
  get blockLength(): number {
    return this.layout.blockBytes / 8;
  }

  /**
   * The fit's E-step on `rows` rows of X (f32 rows×d, a region of this scorer's core) as one
   * chunk: returns their Σ log p(x_i); with `block` (blockLength f64), also the chunk's
   * statistics, which the fit sums over chunks in chunk order (chunked.ts's reduceChunkBlocks).
   */
  estepChunk(X: Region<Float32Array>, rows: number, block?: Float64Array): number {
    const plan = this.ws.estepPlan;
    const { blockBytes, statOffsets } = this.layout;
    const core = this.core;
    // the kernel adds into the block
    new Uint8Array(core.memory.buffer, this.block, blockBytes).fill(0);
    const job: EstepJob = {
      kernel: plan.kernel, args: plan.args as Record<string, number>, blocksPtr: this.block, blockBytes, statOffsets,
      scratchPtrs: [this.scratch], xPtr: X.ptr, rowBytes: this.d * 4, n: rows, chunkRows: rows, nChunks: 1,
    };
    const ll = runChunk(core.exports, job, 0, this.scratch);
    block?.set(new Float64Array(core.memory.buffer, this.block, blockBytes / 8));
    return ll;
  }

  /** Rows per chunk of the fit's E-step on n rows (chunked.ts): what sourceLogLikelihood must read at a time. */
  fitChunkRows(n: number): number {
    return chunkRowsFor(n, this.layout.statsLength);
  }

  private check(X: Matrix): void {
    if (X.cols !== this.d) throw new UserError(`X has ${X.cols} columns, the model was fitted on ${this.d}`);
    checkDataLength(X);
  }
}

/** Rows of a data source, a chunk at a time (src/data/row-source.ts's RowSource is one). */
export interface ChunkedRows {
  /** n, when known before reading. */
  readonly rows?: number;
  /** The rows in order, at most maxRows per chunk (only the last shorter); every call starts again. */
  chunks(maxRows: number): Iterable<Matrix>;
}

/**
 * n and Σ_i log p(x_i) over every row of `source`, summed exactly as GaussianMixture.fit sums
 * its final E-step (chunks of scorer.fitChunkRows(n) rows, in order), so −logLikelihood equals
 * the fit's nll to the last bit on the same rows. With n unknown (CSV), the first pass reads
 * CHUNK_ROWS at a time; only when n turns out large enough for the fit to have used bigger
 * chunks is the file read a second time with those.
 */
export function sourceLogLikelihood(scorer: MixtureScorer, source: ChunkedRows): { n: number; logLikelihood: number } {
  const pass = (chunkRows: number) => {
    let n = 0;
    let ll = 0;
    for (const chunk of source.chunks(chunkRows)) {
      ll += scorer.chunkLogLikelihood(chunk);
      n += chunk.rows;
    }
    return { n, logLikelihood: ll };
  };
  const first = pass(source.rows === undefined ? CHUNK_ROWS : scorer.fitChunkRows(source.rows));
  if (source.rows !== undefined || scorer.fitChunkRows(first.n) === CHUNK_ROWS) return first;
  return pass(scorer.fitChunkRows(first.n));
}

/** The most probable component of each row of weighted log-probabilities lp (n×K): Int32Array n, ties to the lower index. */
export function mostProbable(lp: Float64Array, K: number): Int32Array {
  const n = lp.length / K;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let k = 1; k < K; k++) if (lp[i * K + k] > lp[i * K + b]) b = k;
    out[i] = b;
  }
  return out;
}

/** Weighted log-probabilities lp (n×K) turned in place into responsibilities p(k | x_i) (rows sum to 1); returns lp. */
export function responsibilities(lp: Float64Array, K: number): Float64Array {
  for (let i = 0; i < lp.length / K; i++) {
    const row = lp.subarray(i * K, (i + 1) * K);
    const lse = logSumExp(row);
    for (let k = 0; k < K; k++) row[k] = Math.exp(row[k] - lse);
  }
  return lp;
}

/** A data array shorter than rows×cols would let the kernels read past it into other arena buffers. */
export function checkDataLength(X: Matrix): void {
  if (X.data.length < X.rows * X.cols) {
    throw new UserError(`X.data has ${X.data.length} values, fewer than rows×cols = ${X.rows}×${X.cols} = ${X.rows * X.cols}`);
  }
}

export function logSumExp(v: Float64Array): number {
  let m = -Infinity;
  for (const a of v) m = Math.max(m, a);
  if (m === -Infinity) return m;
  let s = 0;
  for (const a of v) s += Math.exp(a - m); // s ∈ [1, K]
  return m + Math.log(s);
}
