// Rows as shards: a data set cut into fixed row chunks, and per-chunk operations run on every
// chunk wherever its rows are. Each operation (CHUNK_OPS, one entry per kind of pass) reads
// one chunk and writes a few f64 — a statistics block, a sum, a row — that the caller reduces
// in chunk order, so the answer depends only on the chunk decomposition, never on which thread
// or machine ran a chunk. Two RowShards exist: inMemoryShards (rows already in a Core's arena,
// run on this thread: the in-memory fit's start) and ShardPool (src/parallel/shard-workers.ts:
// rows read from a file by worker threads, each in its own WebAssembly memory: the streamed
// fit). docs/scale.md. Node-free.
import type { Core, Region } from "../core/wasm.js";
import { startOps } from "./init.js";
import { MixtureScorer, type MixtureParams } from "./scorer.js";

/** One chunk of rows, in the core of the thread that runs an operation on it. */
export interface ChunkRows {
  /** f32 rows×d, row-major. */
  readonly X: Region<Float32Array>;
  readonly rows: number;
  /** Index of the chunk's first row in the data set. */
  readonly first: number;
}

/**
 * A kind of pass over the chunks. `prepare` runs once per pass on each thread, in that thread's
 * core (what it allocates there is freed after the pass), and returns the function that writes
 * chunk c's result into `out` (the pass's stride of f64; an op writes what its caller reads).
 */
export interface ChunkOp<A> {
  prepare(core: Core, args: A, memo?: ChunkMemo): (chunk: ChunkRows, out: Float64Array) => void;
}

/**
 * What an operation may keep about a chunk from one pass to the next, when the same thread sees
 * the same chunk every pass (in memory; a worker of a ShardPool does not): a cache, never a
 * change of result.
 */
export type ChunkMemo = Map<string, unknown>;

/** The model an E-step or a labelling pass uses (a fitted GaussianMixture's learned state, as plain arrays). */
export type ModelArgs = { model: MixtureParams };

/**
 * The operations a pass can run, by name. The start's passes (k-means++ distances, the moments
 * and statistics of a start's responsibilities, one row) are init.ts's; the E-step and the
 * log-probabilities are MixtureScorer's, the same kernels and chunk shapes as the in-memory fit.
 */
export const CHUNK_OPS = {
  ...startOps,
  /** out: the chunk's statistics block (MixtureScorer.blockLength f64), then its Σ log p(x_i). */
  estep: {
    prepare(core: Core, { model }: ModelArgs) {
      const scorer = new MixtureScorer(model, core);
      const length = scorer.blockLength;
      return (chunk: ChunkRows, out: Float64Array) => {
        out[length] = scorer.estepChunk(chunk.X, chunk.rows, out.subarray(0, length));
      };
    },
  },
  /** out: log π_k + log N(x_i | θ_k) of the chunk's rows, rows×K row-major (predict, predictProba). */
  logprob: {
    prepare(core: Core, { model }: ModelArgs) {
      const scorer = new MixtureScorer(model, core);
      return (chunk: ChunkRows, out: Float64Array) => out.set(scorer.weightedLogProbRegion(chunk.X, chunk.rows));
    },
  },
} satisfies Record<string, ChunkOp<never>>;

/** The name of a pass's operation. */
export type ChunkOpName = keyof typeof CHUNK_OPS;

/** A pass: an operation and its arguments (plain data: posted to worker threads as is). */
export type ChunkTask = { [O in ChunkOpName]: { op: O; args: Parameters<(typeof CHUNK_OPS)[O]["prepare"]>[1] } }[ChunkOpName];

/** Which chunks a pass runs and how long each one's result is. */
export interface PassShape {
  /** Rows per chunk (only the data's last chunk is shorter). */
  chunkRows: number;
  /** f64 of result per chunk. */
  stride: number;
  /** Chunks [from, to) (default: every chunk). */
  from?: number;
  to?: number;
}

/** Receives chunk c's result (stride f64, valid only during the call), in chunk order. */
export type ChunkFold = (c: number, result: Float64Array) => void;

/**
 * n×d rows in chunks that a pass visits wherever they are. `map` runs a task on chunks
 * [from, to) and hands their results to `fold` one by one in chunk order, so a caller that sums
 * them sums in the same order whoever ran which chunk.
 */
export interface RowShards {
  /** n, the rows. */
  readonly n: number;
  /** d, values per row. */
  readonly d: number;
  map(task: ChunkTask, shape: PassShape, fold: ChunkFold): void;
}

/** Chunks of chunkRows rows over n rows. */
function chunkCount(n: number, chunkRows: number): number {
  return Math.ceil(n / chunkRows);
}

/** Is `x` a RowShards (rather than a Matrix)? */
export function isRowShards(x: unknown): x is RowShards {
  return typeof x === "object" && x !== null && typeof (x as RowShards).map === "function";
}

/** The function that runs `task` on one chunk (CHUNK_OPS[task.op].prepare). */
export function prepareTask(core: Core, task: ChunkTask, memo?: ChunkMemo): (chunk: ChunkRows, out: Float64Array) => void {
  const op = CHUNK_OPS[task.op] as ChunkOp<unknown>;
  return op.prepare(core, task.args, memo);
}

/** The chunk range of a pass, checked. */
export function passRange(n: number, { chunkRows, stride, from = 0, to }: PassShape): { from: number; to: number } {
  const nChunks = chunkCount(n, chunkRows);
  const end = to ?? nChunks;
  if (!(Number.isInteger(chunkRows) && chunkRows >= 1 && Number.isInteger(stride) && stride >= 0)) {
    throw new RangeError(`pass: chunkRows ${chunkRows} and stride ${stride} must be integers ≥ 1 and ≥ 0`);
  }
  if (!(Number.isInteger(from) && Number.isInteger(end) && from >= 0 && from <= end && end <= nChunks)) {
    throw new RangeError(`pass: chunks [${from}, ${end}) outside the ${nChunks} chunks of ${n} rows`);
  }
  return { from, to: end };
}

/** Chunk c of n rows of d values at X (a region of core): its sub-region. */
export function chunkOf(core: Core, X: Region<Float32Array>, n: number, d: number, chunkRows: number, c: number): ChunkRows {
  const first = c * chunkRows;
  const rows = Math.min(chunkRows, n - first);
  const ptr = X.ptr + first * d * 4;
  const length = rows * d;
  return { X: { ptr, length, view: () => new Float32Array(core.memory.buffer, ptr, length) }, rows, first };
}

/** The rows of X (f32 n×d, a region of `core`) as shards run on this thread, in chunk order. */
export function inMemoryShards(core: Core, X: Region<Float32Array>, n: number, d: number): RowShards {
  const memo: ChunkMemo = new Map();
  return {
    n,
    d,
    map(task, shape, fold) {
      const { from, to } = passRange(n, shape);
      const out = new Float64Array(shape.stride);
      core.scoped(() => {
        const run = prepareTask(core, task, memo);
        for (let c = from; c < to; c++) {
          out.fill(0);
          run(chunkOf(core, X, n, d, shape.chunkRows, c), out);
          fold(c, out);
        }
      });
    },
  };
}
