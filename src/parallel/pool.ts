// A small worker_threads pool: independent tasks run on a fixed set of workers, each worker
// taking the next queued task when it finishes one. Results come back in task order, so what
// a run returns never depends on the number of threads or on scheduling. Node only.
import { Worker, parentPort, type TransferListItem } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { UserError } from "../util/errors.js";

/** One unit of work: `input` is structured-cloned to the worker; `transfer` buffers are moved, not copied. */
export interface Task<I> {
  input: I;
  transfer?: TransferListItem[];
}

/** What a worker handler may return: a bare value, or a value with buffers to move back. */
export type Reply<O> = O | { result: O; transfer: TransferListItem[]; [replyTag]: true };

const replyTag = Symbol("reply");

/** Wrap a handler's result with buffers to transfer back to the parent (zero-copy). */
export function withTransfer<O>(result: O, transfer: TransferListItem[]): Reply<O> {
  return { result, transfer, [replyTag]: true };
}

interface Job {
  id: number;
  task: Task<unknown>;
  resolve(value: unknown): void;
  reject(err: Error): void;
  cancelled(): boolean;
}

type Message = { id: number; ok: true; result: unknown } | { id: number; ok: false; name: string; message: string };

/** Cores this process may use (os.availableParallelism). */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

/**
 * `size` workers running `script` (an ES module that calls `serveTasks`). `run` may be called
 * many times; `close` terminates the workers.
 */
export class WorkerPool<I, O> {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Job>();
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  constructor(script: URL, size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`WorkerPool: size must be an integer ≥ 1, got ${size}`);
    for (let i = 0; i < size; i++) {
      const w = new Worker(script);
      w.on("message", (m: Message) => this.onMessage(w, m));
      w.on("error", (e: Error) => this.onCrash(w, e));
      w.on("exit", (code) => {
        if (!this.closed) this.onCrash(w, new Error(`worker exited with code ${code}`));
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Run every task; resolves to the results in task order. The first failure rejects with
   * the worker's error message (a UserError stays a UserError) and drops this run's queued tasks.
   * `onDone(done, total)` is called after each task completes.
   */
  run(tasks: Task<I>[], onDone?: (done: number, total: number) => void): Promise<O[]> {
    if (this.closed) return Promise.reject(new Error("WorkerPool: run after close"));
    const results = new Array<O>(tasks.length);
    let done = 0;
    let failed = false;
    return new Promise<O[]>((resolve, reject) => {
      if (tasks.length === 0) return resolve(results);
      tasks.forEach((task, i) => {
        this.queue.push({
          id: this.nextId++,
          task,
          cancelled: () => failed,
          resolve: (value) => {
            if (failed) return;
            results[i] = value as O;
            done++;
            onDone?.(done, tasks.length);
            if (done === tasks.length) resolve(results);
          },
          reject: (err) => {
            if (failed) return;
            failed = true;
            reject(err);
          },
        });
      });
      this.dispatch();
    });
  }

  /** Terminate every worker; queued tasks are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new Error("WorkerPool: closed");
    for (const job of this.queue.splice(0)) job.reject(err);
    for (const job of this.busy.values()) job.reject(err);
    this.busy.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const job = this.queue.shift()!;
      if (job.cancelled()) continue;
      const w = this.idle.pop()!;
      this.busy.set(w, job);
      w.postMessage({ id: job.id, input: job.task.input }, job.task.transfer ?? []);
    }
  }

  private onMessage(w: Worker, m: Message): void {
    const job = this.busy.get(w);
    if (!job || job.id !== m.id) return;
    this.busy.delete(w);
    this.idle.push(w);
    if (m.ok) job.resolve(m.result);
    else job.reject(m.name === "UserError" ? new UserError(m.message) : new Error(m.message));
    this.dispatch();
  }

  /** An uncaught error or an unexpected exit: fail the worker's job and every queued one. */
  private onCrash(w: Worker, e: Error): void {
    const job = this.busy.get(w);
    this.busy.delete(w);
    const i = this.workers.indexOf(w);
    if (i >= 0) this.workers.splice(i, 1);
    const k = this.idle.indexOf(w);
    if (k >= 0) this.idle.splice(k, 1);
    job?.reject(e);
    if (this.workers.length === 0) for (const q of this.queue.splice(0)) q.reject(e);
  }
}

/** Run `tasks` on min(tasks, threads) fresh workers of `script`, then terminate them. */
export async function runInWorkers<I, O>(
  script: URL,
  tasks: Task<I>[],
  options: { threads?: number; onDone?: (done: number, total: number) => void } = {},
): Promise<O[]> {
  if (tasks.length === 0) return [];
  const threads = Math.min(tasks.length, options.threads ?? defaultThreads());
  const pool = new WorkerPool<I, O>(script, threads);
  try {
    return await pool.run(tasks, options.onDone);
  } finally {
    await pool.close();
  }
}

/** Inside a worker script: answer each task message with `handler(input)` (or its error). */
export function serveTasks<I, O>(handler: (input: I) => Reply<O> | Promise<Reply<O>>): void {
  const port = parentPort;
  if (!port) throw new Error("serveTasks: not running in a worker thread");
  port.on("message", async ({ id, input }: { id: number; input: I }) => {
    try {
      const out = await handler(input);
      if (out !== null && typeof out === "object" && replyTag in (out as object)) {
        const r = out as { result: O; transfer: TransferListItem[] };
        port.postMessage({ id, ok: true, result: r.result }, r.transfer);
      } else {
        port.postMessage({ id, ok: true, result: out });
      }
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      port.postMessage({ id, ok: false, name: err.name, message: err.message });
    }
  });
}
