// The chunked E-step (src/mixture/chunked.ts) on several threads over ONE shared WebAssembly
// memory: build/core-mt.wasm (asconfig target "threads": shared, imported memory) is
// instantiated on the calling thread and in each worker on the same memory, so the workers
// read X and write their chunks' statistics in place — nothing is copied per iteration.
// The calling thread stays synchronous (fit() is): it posts the job, runs chunks itself, then
// blocks in Atomics.wait until the workers' chunks are done. Which thread runs which chunk is
// decided by an atomic counter, and changes no bit of the result. Node only.
//
// Instantiating core-mt.wasm in a worker re-applies its data segments: they are AssemblyScript's
// constant exp/log tables below heapBase (re-written with the same bytes); nothing above
// heapBase, where the arena lives, is touched, and the module has no start function.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { Core, type CoreExports } from "../core/wasm.js";
import { MAX_CHUNKS, runChunk, type ChunkRunner, type EstepJob } from "../mixture/chunked.js";

/** Path of the threads build: build/core-mt.wasm (this file compiles to build/src/parallel/em-threads.js). */
export const CORE_MT_WASM_PATH = fileURLToPath(new URL("../../core-mt.wasm", import.meta.url));
const WORKER_URL = new URL("./em-worker.js", import.meta.url);

const PAGE = 65536;
/** Pages of the shared memory: must match asconfig's threads target (initialMemory, maximumMemory). */
const INITIAL_PAGES = 16;
const MAXIMUM_PAGES = 65536;

// Control words (Int32Array over a SharedArrayBuffer). CLAIM packs (generation << 16 | next chunk):
// a worker claims chunk i of generation g only by compare-exchanging exactly that word, so a
// late message from an earlier E-step can never take a chunk of the current one.
const CLAIM = 0;
const DONE = 1;
const FAILED = 2;
/** Workers that have instantiated the module (each adds 1 once). */
const READY = 3;
/** Chunks run by thread t (cumulative) at RUN_BY_THREAD + t. */
const RUN_BY_THREAD = 4;
/** If no chunk finishes for this long, a worker is presumed dead (the wait cannot see 'exit' events). */
const STALL_MS = 120_000;

/** Message from the pool to a worker. */
export type WorkerMessage =
  | {
      type: "init"; module: WebAssembly.Module; memory: WebAssembly.Memory;
      control: SharedArrayBuffer; ll: SharedArrayBuffer; thread: number;
      /** Where the worker posts a failed chunk's error (read synchronously with receiveMessageOnPort). */
      errors: MessagePort;
    }
  | { type: "run"; gen: number; job: EstepJob };

/** Options of EmThreadPool. */
export interface EmThreadPoolOptions {
  /** Threads running chunks, the calling thread included (default: os.availableParallelism()). */
  threads?: number;
}

/**
 * A persistent pool of `threads − 1` workers sharing `core`'s memory, usable as the ChunkRunner
 * of chunkedWorkspace (and as GaussianMixture's `pool`). Fits must allocate in `pool.core`; data
 * placed there first (a CoreMatrix, e.g. loadMnistInto(pool.core, …)) are fitted without a copy.
 * Call close() when done (the workers are unref'd, so a forgotten pool does not keep Node alive).
 */
export class EmThreadPool implements ChunkRunner {
  readonly core: Core;
  readonly threads: number;
  private readonly workers: Worker[] = [];
  private readonly errorPorts: MessagePort[] = [];
  private readonly control: Int32Array;
  private readonly ll: Float64Array;
  private gen = 0;
  private closed = false;

  constructor({ threads = availableParallelism() }: EmThreadPoolOptions = {}) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be an integer ≥ 1, got ${threads}`);
    this.threads = threads;
    const module = new WebAssembly.Module(readFileSync(CORE_MT_WASM_PATH));
    const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
    this.core = new Core(instantiateShared(module, memory));
    const control = new SharedArrayBuffer((RUN_BY_THREAD + threads) * 4);
    const ll = new SharedArrayBuffer(MAX_CHUNKS * 8);
    this.control = new Int32Array(control);
    this.ll = new Float64Array(ll);
    for (let t = 1; t < threads; t++) {
      const w = new Worker(WORKER_URL);
      // An uncaught worker error is also reported through its error port and FAILED; without
      // this listener it would be rethrown on the main thread as an unhandled 'error' event.
      w.on("error", () => {});
      w.unref();
      const { port1, port2 } = new MessageChannel();
      port1.unref();
      const init: WorkerMessage = { type: "init", module, memory, control, ll, thread: t, errors: port2 };
      w.postMessage(init, [port2]);
      this.workers.push(w);
      this.errorPorts.push(port1);
    }
  }

  /** Every chunk of `job`, on this thread and the workers; chunk c's Σ log p lands in ll[c]. */
  run(job: EstepJob, ll: Float64Array): void {
    if (this.closed) throw new Error("EmThreadPool: run after close");
    if (job.nChunks > MAX_CHUNKS) throw new RangeError(`EmThreadPool: ${job.nChunks} chunks, at most ${MAX_CHUNKS}`);
    if (job.scratchPtrs.length < this.threads) throw new Error("EmThreadPool: the job has fewer scratch regions than threads");
    const ctl = this.control;
    // Errors of an earlier failed run that nobody read (this thread's own error won the race).
    for (const port of this.errorPorts) while (receiveMessageOnPort(port)) {}
    this.gen = (this.gen + 1) & 0x7fff;
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, FAILED, 0);
    Atomics.store(ctl, CLAIM, this.gen << 16);
    const msg: WorkerMessage = { type: "run", gen: this.gen, job };
    for (const w of this.workers) w.postMessage(msg);
    try {
      runClaimedChunks(this.core.exports, ctl, this.ll, this.gen, job, 0);
    } finally {
      // Even when this thread's chunk threw: the caller may free the blocks once run returns.
      this.waitDone(job.nChunks);
    }
    if (Atomics.load(ctl, FAILED) !== 0) throw new Error(`EM worker failed: ${this.workerError()}`);
    for (let c = 0; c < job.nChunks; c++) ll[c] = this.ll[c];
  }

  /**
   * Resolves when every worker has instantiated the module. Never needed for correctness (the
   * calling thread runs whatever chunks the workers have not claimed), only to be sure the
   * workers take part from the first E-step, as a benchmark or a test of the split wants.
   */
  async ready(): Promise<void> {
    while (Atomics.load(this.control, READY) < this.threads - 1) {
      if (Atomics.load(this.control, FAILED) !== 0) throw new Error(`EM worker failed: ${this.workerError()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Chunks each thread has run so far (index 0: the calling thread). */
  chunksByThread(): number[] {
    return Array.from({ length: this.threads }, (_, t) => Atomics.load(this.control, RUN_BY_THREAD + t));
  }

  /** Chunks run so far by all threads. */
  get chunksRun(): number {
    return this.chunksByThread().reduce((a, b) => a + b, 0);
  }

  /** Terminate the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const port of this.errorPorts) port.close();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** The failed worker's message: it is posted just after the worker counts its chunks done, so allow it a moment. */
  private workerError(): string {
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let tries = 0; tries < 100; tries++) {
      for (const port of this.errorPorts) {
        const m = receiveMessageOnPort(port);
        if (m) return (m.message as { message: string }).message;
      }
      Atomics.wait(pause, 0, 0, 10);
    }
    return "a kernel threw in a worker thread";
  }

  private waitDone(nChunks: number): void {
    const ctl = this.control;
    let last = Atomics.load(ctl, DONE);
    let since = Date.now();
    while (last < nChunks) {
      Atomics.wait(ctl, DONE, last, 1000);
      const now = Atomics.load(ctl, DONE);
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since > STALL_MS) {
        throw new Error(`EmThreadPool: no chunk finished for ${STALL_MS / 1000} s (a worker died?)`);
      }
    }
  }
}

/** Instantiate core-mt.wasm on `memory` (shared) and return its exports as a Core expects them. */
export function instantiateShared(module: WebAssembly.Module, memory: WebAssembly.Memory): CoreExports {
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort(_msg: number, _file: number, line: number, col: number) {
        throw new Error(`core-mt.wasm aborted at ${line}:${col}`);
      },
    },
  });
  return { ...(instance.exports as Record<string, unknown>), memory } as CoreExports;
}

/** Worker side: count this worker as ready (see EmThreadPool.ready). */
export function markWorkerReady(control: Int32Array): void {
  Atomics.add(control, READY, 1);
}

/**
 * Claim chunks of generation `gen` until none is left, running each; chunk c's Σ log p goes
 * to ll[c] and DONE is incremented after it. Shared by the calling thread and the workers.
 */
export function runClaimedChunks(
  exports: CoreExports, ctl: Int32Array, ll: Float64Array, gen: number, job: EstepJob, thread: number,
): void {
  let error: unknown;
  for (;;) {
    const v = Atomics.load(ctl, CLAIM);
    const c = v & 0xffff;
    if (v >>> 16 !== gen || c >= job.nChunks) break;
    if (Atomics.compareExchange(ctl, CLAIM, v, v + 1) !== v) continue;
    // After a failure every thread keeps claiming but skips the work, so DONE still reaches nChunks.
    try {
      if (Atomics.load(ctl, FAILED) === 0) {
        ll[c] = runChunk(exports, job, c, job.scratchPtrs[thread]);
        Atomics.add(ctl, RUN_BY_THREAD + thread, 1);
      }
    } catch (e) {
      Atomics.store(ctl, FAILED, 1);
      error ??= e;
    } finally {
      Atomics.add(ctl, DONE, 1);
      Atomics.notify(ctl, DONE);
    }
  }
  if (error !== undefined) throw error;
}

/** Bytes of the shared memory's maximum (the address space the pool reserves, not resident). */
export const SHARED_MEMORY_MAX_BYTES = MAXIMUM_PAGES * PAGE;
