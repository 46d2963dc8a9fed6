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
import type { MessagePort, Worker } from "node:worker_threads";
import { Core, type CoreExports } from "../core/wasm.js";
import { MAX_CHUNKS, runChunk, type ChunkRunner, type EstepJob } from "../mixture/chunked.js";
import {
  chunksByThread, claimChunks, drainErrors, newControl, openPass, passFailed, readyCount, startWorkers, waitDone, workerError,
} from "./claims.js";

/** Path of the threads build: build/core-mt.wasm (this file compiles to build/src/parallel/em-threads.js). */
export const CORE_MT_WASM_PATH = fileURLToPath(new URL("../../core-mt.wasm", import.meta.url));
const WORKER_URL = new URL("./em-worker.js", import.meta.url);

const PAGE = 65536;
/** Pages of the shared memory: must match asconfig's threads target (initialMemory, maximumMemory). */
const INITIAL_PAGES = 16;
const MAXIMUM_PAGES = 65536;

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
  private readonly workers: Worker[];
  private readonly errorPorts: MessagePort[];
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
    this.control = newControl(threads);
    const control = this.control.buffer as SharedArrayBuffer;
    const ll = new SharedArrayBuffer(MAX_CHUNKS * 8);
    this.ll = new Float64Array(ll);
    ({ workers: this.workers, errorPorts: this.errorPorts } = startWorkers(WORKER_URL, threads, (thread, errors): WorkerMessage => (
      { type: "init", module, memory, control, ll, thread, errors }
    )));
  }

  /** Every chunk of `job`, on this thread and the workers; chunk c's Σ log p lands in ll[c]. */
  run(job: EstepJob, ll: Float64Array): void {
    if (this.closed) throw new Error("EmThreadPool: run after close");
    if (job.nChunks > MAX_CHUNKS) throw new RangeError(`EmThreadPool: ${job.nChunks} chunks, at most ${MAX_CHUNKS}`);
    if (job.scratchPtrs.length < this.threads) throw new Error("EmThreadPool: the job has fewer scratch regions than threads");
    drainErrors(this.errorPorts);
    this.gen = (this.gen + 1) & 0x7fff;
    openPass(this.control, this.gen);
    const msg: WorkerMessage = { type: "run", gen: this.gen, job };
    for (const w of this.workers) w.postMessage(msg);
    let own: unknown;
    try {
      own = runClaimedChunks(this.core.exports, this.control, this.ll, this.gen, job, 0);
    } finally {
      // Even when this thread's chunk threw: the caller may free the blocks once run returns.
      waitDone(this.control, job.nChunks, "EmThreadPool");
    }
    if (own !== undefined) throw own;
    if (passFailed(this.control)) throw new Error(`EM worker failed: ${this.workerError()}`);
    for (let c = 0; c < job.nChunks; c++) ll[c] = this.ll[c];
  }

  /**
   * Resolves when every worker has instantiated the module. Never needed for correctness (the
   * calling thread runs whatever chunks the workers have not claimed), only to be sure the
   * workers take part from the first E-step, as a benchmark or a test of the split wants.
   */
  async ready(): Promise<void> {
    while (readyCount(this.control) < this.threads - 1) {
      if (passFailed(this.control)) throw new Error(`EM worker failed: ${this.workerError()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Chunks each thread has run so far (index 0: the calling thread). */
  chunksByThread(): number[] {
    return chunksByThread(this.control, this.threads);
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

  /** The failed worker's message. */
  private workerError(): string {
    return workerError<{ message: string }>(this.errorPorts)?.message ?? "a kernel threw in a worker thread";
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

/**
 * Claim chunks of E-step `gen` until none is left, running each; chunk c's Σ log p goes to
 * ll[c]. Returns the first error this thread hit, or undefined. Shared by the calling thread
 * and the workers.
 */
export function runClaimedChunks(
  exports: CoreExports, ctl: Int32Array, ll: Float64Array, gen: number, job: EstepJob, thread: number,
): unknown {
  return claimChunks(ctl, gen, job.nChunks, thread, (c) => {
    ll[c] = runChunk(exports, job, c, job.scratchPtrs[thread]);
  });
}

/** Bytes of the shared memory's maximum (the address space the pool reserves, not resident). */
export const SHARED_MEMORY_MAX_BYTES = MAXIMUM_PAGES * PAGE;
