// The chunk-claiming protocol of the worker-thread runners (em-threads.ts over one shared
// memory, shard-workers.ts over one memory per thread): control words in a SharedArrayBuffer,
// chunks claimed one at a time by compare-exchange, a done counter the calling thread waits on
// with Atomics.wait (so fit() stays synchronous), and a failure flag after which every thread
// keeps claiming but skips the work, so the count of done chunks still reaches the total.
// Which thread runs which chunk changes no result: each chunk's result has its own slot.
// Node only (Atomics.wait on the calling thread).
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";

// Control words (Int32Array over a SharedArrayBuffer). CLAIM packs (generation << 16 | next chunk):
// a worker claims chunk i of generation g only by compare-exchanging exactly that word, so a
// late message from an earlier pass can never take a chunk of the current one.
const CLAIM = 0;
const DONE = 1;
const FAILED = 2;
/** Workers that are ready (each adds 1 once). */
const READY = 3;
/** Chunks run by thread t (cumulative) at RUN_BY_THREAD + t. */
const RUN_BY_THREAD = 4;
/** If no chunk finishes for this long, a worker is presumed dead (the wait cannot see 'exit' events). */
const STALL_MS = 120_000;

/** The claim word packs the chunk index in 16 bits: at most this many chunks per pass. */
export const MAX_CLAIMS = 0xffff;

/**
 * threads − 1 workers running the script at `url`, worker t sent init(t, port) with the port it
 * posts its errors on (the other end is errorPorts[t − 1], read synchronously by workerError).
 * The workers and ports are unref'd, so a pool nobody closes does not keep Node alive.
 */
export function startWorkers<M>(url: URL, threads: number, init: (thread: number, errors: MessagePort) => M): { workers: Worker[]; errorPorts: MessagePort[] } {
  const workers: Worker[] = [];
  const errorPorts: MessagePort[] = [];
  for (let t = 1; t < threads; t++) {
    const w = new Worker(url);
    // A worker's error also comes through its error port and FAILED; without this listener it
    // would be rethrown on the calling thread as an unhandled 'error' event.
    w.on("error", () => {});
    w.unref();
    const { port1, port2 } = new MessageChannel();
    port1.unref();
    w.postMessage(init(t, port2), [port2]);
    workers.push(w);
    errorPorts.push(port1);
  }
  return { workers, errorPorts };
}

/** A new control block for `threads` threads (the calling thread is thread 0). */
export function newControl(threads: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer((RUN_BY_THREAD + threads) * 4));
}

/** The calling thread: open pass `gen` (15 bits, nonzero) before posting it to the workers. */
export function openPass(ctl: Int32Array, gen: number): void {
  Atomics.store(ctl, DONE, 0);
  Atomics.store(ctl, FAILED, 0);
  Atomics.store(ctl, CLAIM, gen << 16);
}

/** Whether a thread of the current pass has failed. */
export function passFailed(ctl: Int32Array): boolean {
  return Atomics.load(ctl, FAILED) !== 0;
}

/**
 * Claim chunks 0 … count − 1 of pass `gen` until none is left, running `runOne(i)` for each;
 * DONE is incremented after each. Returns the first error this thread hit (after which it, like
 * every thread, only counts the chunks it claims), or undefined. Shared by the calling thread
 * and the workers.
 */
export function claimChunks(ctl: Int32Array, gen: number, count: number, thread: number, runOne: (i: number) => void): unknown {
  let error: unknown;
  for (;;) {
    const v = Atomics.load(ctl, CLAIM);
    const i = v & 0xffff;
    if (v >>> 16 !== gen || i >= count) break;
    if (Atomics.compareExchange(ctl, CLAIM, v, v + 1) !== v) continue;
    try {
      if (Atomics.load(ctl, FAILED) === 0) {
        runOne(i);
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
  return error;
}

/** A thread that cannot take part in a pass (its preparation threw) marks it failed; it still claims and counts chunks. */
export function failPass(ctl: Int32Array): void {
  Atomics.store(ctl, FAILED, 1);
}

/** The calling thread: block until `count` chunks of the current pass are done. */
export function waitDone(ctl: Int32Array, count: number, what: string): void {
  let last = Atomics.load(ctl, DONE);
  let since = Date.now();
  while (last < count) {
    Atomics.wait(ctl, DONE, last, 1000);
    const now = Atomics.load(ctl, DONE);
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since > STALL_MS) {
      throw new Error(`${what}: no chunk finished for ${STALL_MS / 1000} s (a worker died?)`);
    }
  }
}

/** Worker side: count this worker as ready. */
export function markReady(ctl: Int32Array): void {
  Atomics.add(ctl, READY, 1);
}

/** Workers that are ready so far. */
export function readyCount(ctl: Int32Array): number {
  return Atomics.load(ctl, READY);
}

/** Chunks each thread has run so far (index 0: the calling thread). */
export function chunksByThread(ctl: Int32Array, threads: number): number[] {
  return Array.from({ length: threads }, (_, t) => Atomics.load(ctl, RUN_BY_THREAD + t));
}

/** Drop error messages left on the ports by an earlier failed pass that nobody read. */
export function drainErrors(ports: MessagePort[]): void {
  for (const port of ports) while (receiveMessageOnPort(port)) {}
}

/**
 * The message a failed worker posted on its port: it is posted just after the worker counts its
 * chunks done, so allow it a moment. undefined when none arrives.
 */
export function workerError<M>(ports: MessagePort[]): M | undefined {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let tries = 0; tries < 100; tries++) {
    for (const port of ports) {
      const m = receiveMessageOnPort(port);
      if (m) return m.message as M;
    }
    Atomics.wait(pause, 0, 0, 10);
  }
  return undefined;
}
