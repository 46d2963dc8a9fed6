// Mini-batches for training loops: a seeded shuffle per epoch and an iterator that gathers the
// shuffled rows into one reused Float32Array per batch.
//
// Last partial batch: with `dropLast: false` (default, as PyTorch's DataLoader) the final batch
// holds the n mod batchSize remaining rows, so every row is seen once per epoch; graphs with a
// symbolic batch dim accept it. With `dropLast: true` every batch has exactly batchSize rows
// (needed by graphs with a fixed batch dim); the n mod batchSize rows left over differ each epoch
// because the order is reshuffled.

import type { Matrix } from "../core/matrix.js";
import type { Rng } from "../util/rng.js";

/** Options of `batches`. */
export interface BatchOptions {
  batchSize: number;
  /** Drop the last batch when it has fewer than batchSize rows (default false). */
  dropLast?: boolean;
}

/** One mini-batch: `x` is rows×cols row-major (a view of a buffer reused by the next batch). */
export interface Batch {
  /** 0-based position of the batch within the epoch. */
  index: number;
  rows: number;
  x: Float32Array;
  /** Row indices into the data, in batch order. */
  ids: Int32Array;
}

/** Number of batches of an epoch over n rows. */
export function batchCount(n: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/** This epoch's row order: a permutation of 0..n−1 drawn from `rng` (advances it). */
export function epochOrder(rng: Rng, n: number): Int32Array {
  return rng.permutation(n);
}

/** Copies rows `ids` of `data` into `out` (ids.length×cols, row-major). */
export function gatherRows(data: Matrix, ids: ArrayLike<number>, out: Float32Array): Float32Array {
  const { cols } = data;
  for (let i = 0; i < ids.length; i++) out.set(data.data.subarray(ids[i] * cols, (ids[i] + 1) * cols), i * cols);
  return out;
}

/**
 * Batches of `data` in the given row order. The yielded `x` is overwritten by the next batch:
 * consume it (e.g. await the session.run) before advancing.
 */
export function* batches(data: Matrix, order: Int32Array, opts: BatchOptions): Generator<Batch> {
  const { batchSize, dropLast = false } = opts;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batches: batch size must be an integer ≥ 1, got ${batchSize}`);
  if (order.length > data.rows) throw new RangeError(`batches: order has ${order.length} rows, data ${data.rows}`);
  const buf = new Float32Array(batchSize * data.cols);
  const count = batchCount(order.length, batchSize, dropLast);
  for (let k = 0; k < count; k++) {
    const ids = order.subarray(k * batchSize, Math.min(order.length, (k + 1) * batchSize));
    const x = ids.length === batchSize ? buf : buf.subarray(0, ids.length * data.cols);
    yield { index: k, rows: ids.length, x: gatherRows(data, ids, x), ids };
  }
}

/** A run of consecutive batches of equal size, stacked for a loop graph (src/onnx/loop.ts). */
export interface BatchChunk {
  /** 0-based position of the chunk's first batch within the epoch. */
  index: number;
  /** Number of batches (= loop iterations) in the chunk. */
  steps: number;
  /** Rows of each of its batches. */
  rows: number;
  /** steps×rows×cols row-major: batch i is rows i·rows … (i+1)·rows − 1 (a view of a reused buffer). */
  x: Float32Array;
  /** Row indices into the data, in stacking order. */
  ids: Int32Array;
}

/**
 * The batches of `batches(data, order, …)` grouped into chunks of up to `steps` batches each, so
 * that a loop graph runs a chunk per session.run. Every chunk's batches have the same number of
 * rows: a short last batch is a chunk of its own. `x` is overwritten by the next chunk.
 */
export function* batchChunks(data: Matrix, order: Int32Array, opts: BatchOptions & { steps: number }): Generator<BatchChunk> {
  const { batchSize, steps, dropLast = false } = opts;
  if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`batchChunks: steps per chunk must be an integer ≥ 1, got ${steps}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batchChunks: batch size must be an integer ≥ 1, got ${batchSize}`);
  if (order.length > data.rows) throw new RangeError(`batchChunks: order has ${order.length} rows, data ${data.rows}`);
  const buf = new Float32Array(steps * batchSize * data.cols);
  const full = Math.floor(order.length / batchSize);
  for (let k = 0; k < full; k += steps) {
    const n = Math.min(steps, full - k);
    const ids = order.subarray(k * batchSize, (k + n) * batchSize);
    yield { index: k, steps: n, rows: batchSize, x: gatherRows(data, ids, buf.subarray(0, ids.length * data.cols)), ids };
  }
  const rest = order.length - full * batchSize;
  if (rest > 0 && !dropLast) {
    const ids = order.subarray(full * batchSize);
    yield { index: full, steps: 1, rows: rest, x: gatherRows(data, ids, buf.subarray(0, rest * data.cols)), ids };
  }
}

/** Identity order 0..n−1 (evaluation passes go through the data in file order). */
export function inOrder(n: number): Int32Array {
  const o = new Int32Array(n);
  for (let i = 0; i < n; i++) o[i] = i;
  return o;
}
