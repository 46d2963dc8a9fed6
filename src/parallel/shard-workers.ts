// The rows of a file as shards on worker threads (shards.ts's RowShards): each thread — the
// calling one and threads − 1 workers — has its own instance of build/core.wasm, with its own
// memory, and reads the chunks it claims straight from the file into that memory by position
// (row-file.ts). No memory is shared but a small results buffer, so neither the data nor the
// thread count is bound to one 4 GiB WebAssembly memory: a thread holds one chunk at a time.
// A pass posts a task (shards.ts's CHUNK_OPS: plain data) to the workers, the calling thread
// runs chunks too, then waits for the last one (claims.ts), so fit() stays synchronous. Chunk
// c's result lands in its own slot, whoever ran it, and the caller reduces the slots in chunk
// order: the thread count changes no bit. Memory: docs/scale.md. Node only.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { MessagePort, Worker } from "node:worker_threads";
import { CORE_WASM_PATH } from "../core/node.js";
import { loadCoreSync, type Core, type Region } from "../core/wasm.js";
import { RowFileReader, type RowFileLayout } from "../data/row-file.js";
import { passRange, prepareTask, type ChunkFold, type ChunkRows, type ChunkTask, type PassShape, type RowShards } from "../mixture/shards.js";
import { UserError } from "../util/errors.js";
import {
  chunksByThread, claimChunks, drainErrors, failPass, MAX_CLAIMS, newControl, openPass, passFailed, readyCount,
  startWorkers, waitDone, workerError,
} from "./claims.js";

const WORKER_URL = new URL("./shard-worker.js", import.meta.url);

/**
 * Chunks per thread in one window of a pass: a window's results wait in a buffer until the
 * calling thread folds them in chunk order, so memory holds a window, never a pass.
 */
const WINDOW_CHUNKS_PER_THREAD = 32;

/** A pass's task, posted once; the windows that follow run it. */
export interface TaskMessage {
  type: "task";
  task: ChunkTask;
  chunkRows: number;
}

/** One window of the current task: chunks [from, to). */
export interface WindowMessage {
  type: "window";
  gen: number;
  from: number;
  to: number;
  stride: number;
  /** Where chunk from + i writes its result: at i·stride f64. */
  results: SharedArrayBuffer;
}

/** Messages from the pool to a worker. */
export type ShardWorkerMessage =
  | { type: "init"; module: WebAssembly.Module; layout: RowFileLayout; control: SharedArrayBuffer; thread: number; errors: MessagePort }
  | TaskMessage
  | WindowMessage;

/** A worker's failure, as it posts it on its error port. */
export interface ShardWorkerError {
  name: string;
  message: string;
}

/** Options of ShardPool. */
export interface ShardPoolOptions {
  /** Threads that read and run chunks, the calling thread included (default: os.availableParallelism()). */
  threads?: number;
}

/**
 * The n×d rows of a binary row file (row-file.ts's layout: .npy, raw float32, a CSV's float32
 * copy) as RowShards: GaussianMixture.fit(pool) fits them streamed, with the in-memory fit's
 * bits. Call close() when done (the workers are unref'd: a forgotten pool does not keep Node alive).
 */
export class ShardPool implements RowShards {
  readonly layout: RowFileLayout;
  readonly threads: number;
  private readonly here: ThreadState;
  private readonly workers: Worker[];
  private readonly errorPorts: MessagePort[];
  private readonly control: Int32Array;
  private results = new SharedArrayBuffer(8);
  private gen = 0;
  private closed = false;

  constructor(layout: RowFileLayout, { threads = availableParallelism() }: ShardPoolOptions = {}) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be an integer ≥ 1, got ${threads}`);
    this.layout = layout;
    this.threads = threads;
    const module = new WebAssembly.Module(readFileSync(CORE_WASM_PATH));
    this.control = newControl(threads);
    this.here = new ThreadState(loadCoreSync(module), layout, this.control, 0);
    const control = this.control.buffer as SharedArrayBuffer;
    ({ workers: this.workers, errorPorts: this.errorPorts } = startWorkers(WORKER_URL, threads, (thread, errors): ShardWorkerMessage => (
      { type: "init", module, layout, control, thread, errors }
    )));
  }

  get n(): number {
    return this.layout.rows;
  }

  get d(): number {
    return this.layout.cols;
  }

  map(task: ChunkTask, shape: PassShape, fold: ChunkFold): void {
    if (this.closed) throw new Error("ShardPool: map after close");
    const { from, to } = passRange(this.n, shape);
    const { chunkRows, stride } = shape;
    const window = Math.min(MAX_CLAIMS, WINDOW_CHUNKS_PER_THREAD * this.threads);
    const bytes = Math.min(window, to - from) * stride * 8;
    if (this.results.byteLength < bytes) this.results = new SharedArrayBuffer(bytes);
    const message: TaskMessage = { type: "task", task, chunkRows };
    for (const w of this.workers) w.postMessage(message);
    this.here.setTask(message);
    for (let start = from; start < to; start += window) {
      const end = Math.min(to, start + window);
      this.runWindow({ type: "window", gen: 0, from: start, to: end, stride, results: this.results });
      const results = new Float64Array(this.results, 0, (end - start) * stride);
      for (let c = start; c < end; c++) fold(c, results.subarray((c - start) * stride, (c - start + 1) * stride));
    }
  }

  /** Every chunk of one window, on this thread and the workers; returns when all are done. */
  private runWindow(w: WindowMessage): void {
    drainErrors(this.errorPorts);
    this.gen = (this.gen % 0x7fff) + 1;
    const window = { ...w, gen: this.gen };
    openPass(this.control, this.gen);
    for (const worker of this.workers) worker.postMessage(window);
    let own: unknown;
    try {
      own = this.here.runWindow(window);
    } finally {
      // Even when this thread failed: the results buffer must not be reused while workers write.
      waitDone(this.control, w.to - w.from, "ShardPool");
    }
    if (own !== undefined) throw own;
    if (passFailed(this.control)) {
      const e = workerError<ShardWorkerError>(this.errorPorts) ?? { name: "Error", message: "a chunk failed in a worker thread" };
      throw e.name === "UserError" ? new UserError(e.message) : new Error(`shard worker failed: ${e.message}`);
    }
  }

  /**
   * Resolves when every worker is ready. Never needed for correctness (the calling thread runs
   * whatever chunks the workers have not claimed), only to be sure that the workers take part
   * from the first pass, as a test of the split wants.
   */
  async ready(): Promise<void> {
    while (readyCount(this.control) < this.threads - 1) await new Promise((r) => setTimeout(r, 5));
  }

  /** Chunks each thread has run so far (index 0: the calling thread). */
  chunksByThread(): number[] {
    return chunksByThread(this.control, this.threads);
  }

  /** Bytes of the calling thread's WebAssembly memory (each worker's grows alike): one chunk and the model, whatever n. */
  get memoryBytes(): number {
    return this.here.memoryBytes;
  }

  /** Terminate the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const port of this.errorPorts) port.close();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * One thread's part: its Core, the file, and the current task prepared in the core (kept from
 * its task message to the next one). runWindow reads and runs the chunks this thread claims and
 * returns the first error it hit (undefined if none), once no chunk of the window is left.
 */
export class ThreadState {
  private readonly core: Core;
  private readonly layout: RowFileLayout;
  private readonly control: Int32Array;
  private readonly thread: number;
  /** The arena's top before the current task's allocations. */
  private mark: number | undefined;
  private prepared: { run: (chunk: ChunkRows, out: Float64Array) => void; X: Region<Float32Array>; chunkRows: number } | undefined;
  private prepareError: unknown;

  constructor(core: Core, layout: RowFileLayout, control: Int32Array, thread: number) {
    this.core = core;
    this.layout = layout;
    this.control = control;
    this.thread = thread;
  }

  get memoryBytes(): number {
    return this.core.memory.buffer.byteLength;
  }

  /** Prepare `m.task` (the previous task's memory is freed first); a failure is kept for its windows. */
  setTask(m: TaskMessage): void {
    if (this.mark !== undefined) this.core.release(this.mark);
    this.mark = this.core.mark();
    this.prepared = undefined;
    this.prepareError = undefined;
    try {
      const run = prepareTask(this.core, m.task);
      this.prepared = { run, X: this.core.f32(m.chunkRows * this.layout.cols), chunkRows: m.chunkRows };
    } catch (e) {
      this.prepareError = e;
    }
  }

  runWindow(w: WindowMessage): unknown {
    const { core, layout } = this;
    const d = layout.cols;
    const count = w.to - w.from;
    const prepared = this.prepared;
    if (!prepared) {
      // this thread cannot run chunks: the window fails; the chunks it claims are only counted
      failPass(this.control);
      claimChunks(this.control, w.gen, count, this.thread, () => {});
      return this.prepareError ?? new Error("ShardPool: a window came before its task");
    }
    const results = new Float64Array(w.results);
    const { run, X, chunkRows } = prepared;
    let file: RowFileReader | undefined;
    try {
      file = new RowFileReader(layout);
    } catch (e) {
      failPass(this.control);
      claimChunks(this.control, w.gen, count, this.thread, () => {});
      return e;
    }
    const reader = file;
    try {
      return claimChunks(this.control, w.gen, count, this.thread, (i) => {
        const first = (w.from + i) * chunkRows;
        const rows = Math.min(chunkRows, layout.rows - first);
        reader.readRows(first, rows, X.view().subarray(0, rows * d), false);
        // the SIMD check; the reader names the value when there is one
        const bad = core.call("firstNonFiniteF32", { x: X.ptr, n: rows * d });
        if (bad >= 0) throw reader.nonFiniteError(first, bad);
        const chunk = { ptr: X.ptr, length: rows * d, view: () => X.view().subarray(0, rows * d) };
        const out = results.subarray(i * w.stride, (i + 1) * w.stride);
        out.fill(0);
        core.scoped(() => run({ X: chunk, rows, first }, out));
      });
    } finally {
      reader.close();
    }
  }
}
