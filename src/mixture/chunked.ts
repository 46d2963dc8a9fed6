// The fused E-step split into fixed row chunks, so that running it on one thread or on
// several gives the same bits. Each chunk accumulates its statistics into its own block;
// the blocks, and the per-chunk log-likelihoods, are then summed in chunk order. The
// decomposition depends only on (n, the statistics' size), never on the thread count or on
// which thread ran which chunk. Node-free: a serial runner lives here; the worker-thread
// runner (src/parallel/em-threads.ts) implements the same ChunkRunner over shared memory.
import type { Core, CoreExports, Region } from "../core/wasm.js";
import type { MixtureWorkspace } from "./covariance.js";

/** Rows per chunk (before the memory cap of chunkRowsFor doubles it): a constant, never derived from the thread count. */
export const CHUNK_ROWS = 2048;
/** Per-chunk statistics blocks may take this many bytes in all; larger statistics get larger chunks. */
export const CHUNK_STATS_BUDGET_BYTES = 64 * 2 ** 20;
/** The claim word packs (generation, chunk index) in 15 + 16 bits, so at most 65535 chunks. */
export const MAX_CHUNKS = 0xffff;

/**
 * A kernel argument of an E-step plan: a number is passed as is; the names are filled per
 * chunk: "x" (the chunk's first row), "rows" (rows in the chunk), "scratch" (the running
 * thread's scratch), "stat<i>" (the chunk's block for statistic i).
 */
export type PlanArg = number | "x" | "rows" | "scratch" | `stat${number}`;

/**
 * How a workspace's fused E-step splits by rows: the kernel accumulates (+=, never zeroes) into
 * `stats` and returns Σ log p over the rows it was given. Exposed by a MixtureWorkspace as
 * `estepPlan` (see /work/notes/h11-wiring.patch).
 */
export interface EstepPlan {
  /** Export name of the kernel in core.wasm / core-mt.wasm, e.g. "estepDiagF32". */
  kernel: string;
  /** Kernel arguments, with the per-chunk names of PlanArg. */
  args: PlanArg[];
  /** Where the reduced statistics go (the regions mstep reads), f64. */
  stats: Region<Float64Array>[];
  /** f64 of scratch each thread needs. */
  scratchLength: number;
}

/** One E-step pass, as plain numbers and strings (posted to worker threads as is). */
export interface EstepJob {
  kernel: string;
  args: PlanArg[];
  /** Byte address of chunk 0's block; block c starts at blocksPtr + c·blockBytes. */
  blocksPtr: number;
  blockBytes: number;
  /** Byte offset of statistic i inside a block. */
  statOffsets: number[];
  /** Byte address of each thread's scratch (thread 0 is the calling thread). */
  scratchPtrs: number[];
  xPtr: number;
  rowBytes: number;
  n: number;
  chunkRows: number;
  nChunks: number;
}

/** Runs every chunk of a job and stores chunk c's Σ log p in ll[c]; returns when all are done. */
export interface ChunkRunner {
  /** The Core whose linear memory every thread of the runner sees: fits must allocate in it. */
  readonly core: Core;
  /** Threads that run chunks, the calling thread included (scratch regions to allocate). */
  readonly threads: number;
  run(job: EstepJob, ll: Float64Array): void;
}

/** Rows per chunk for n rows and statsLength f64 of statistics: CHUNK_ROWS, doubled while the blocks exceed the budget. */
export function chunkRowsFor(n: number, statsLength: number): number {
  let rows = CHUNK_ROWS;
  while (rows < n && Math.ceil(n / rows) * statsLength * 8 > CHUNK_STATS_BUDGET_BYTES) rows *= 2;
  while (Math.ceil(n / rows) > MAX_CHUNKS) rows *= 2;
  return rows;
}

/** Run chunk c of `job` with the kernels `exports`, using the scratch at scratchPtr; returns its Σ log p. */
export function runChunk(exports: CoreExports, job: EstepJob, c: number, scratchPtr: number): number {
  const first = c * job.chunkRows;
  const rows = Math.min(job.chunkRows, job.n - first);
  const block = job.blocksPtr + c * job.blockBytes;
  const args = job.args.map((a) => {
    if (typeof a === "number") return a;
    if (a === "x") return job.xPtr + first * job.rowBytes;
    if (a === "rows") return rows;
    if (a === "scratch") return scratchPtr;
    return block + job.statOffsets[Number(a.slice(4))];
  });
  return exports[job.kernel](...args) as number;
}

/** The calling thread runs every chunk in order: the reference the threaded runner must match bit for bit. */
export function serialRunner(core: Core): ChunkRunner {
  return {
    core,
    threads: 1,
    run(job, ll) {
      for (let c = 0; c < job.nChunks; c++) ll[c] = runChunk(core.exports, job, c, job.scratchPtrs[0]);
    },
  };
}

/** Options of chunkedWorkspace. */
export interface ChunkedOptions {
  /** Most rows an estep will be given (sizes the per-chunk blocks). */
  maxRows: number;
  /** Default serialRunner(core); its core must be `core`. */
  runner?: ChunkRunner;
}

/**
 * `ws` with its E-step run chunk by chunk (through `runner`) and reduced in chunk order;
 * everything else (statsFromResp, mstep, prepare, logprob) is ws's own. ws must expose an
 * estepPlan; allocates the blocks in `core`'s arena (free them with the caller's scope).
 */
export function chunkedWorkspace(
  ws: MixtureWorkspace & { readonly estepPlan?: EstepPlan },
  core: Core,
  { maxRows, runner = serialRunner(core) }: ChunkedOptions,
): MixtureWorkspace {
  const plan = ws.estepPlan;
  if (!plan) throw new Error("chunkedWorkspace: this workspace has no estepPlan");
  if (runner.core !== core) throw new Error("chunkedWorkspace: the runner works on another Core's memory");
  const statsLength = plan.stats.reduce((s, r) => s + r.length, 0);
  const chunkRows = chunkRowsFor(Math.max(1, maxRows), statsLength);
  const maxChunks = Math.max(1, Math.ceil(maxRows / chunkRows));
  const { statOffsets, blockBytes } = statsBlockLayout(plan);
  const blocks = core.allocBytes(maxChunks * blockBytes);
  const scratchPtrs = Array.from({ length: runner.threads }, () => core.f64(Math.max(1, plan.scratchLength)).ptr);
  const ll = new Float64Array(maxChunks);
  const rowBytes = ws.d * 4;

  const estep = (X: Region<Float32Array>, n: number): number => {
    if (!(Number.isInteger(n) && n >= 0 && n <= maxRows && X.length >= n * ws.d)) {
      throw new RangeError(`chunked estep: ${n} rows (at most ${maxRows}) over a region of ${X.length} values`);
    }
    const nChunks = Math.ceil(n / chunkRows);
    new Uint8Array(core.memory.buffer, blocks, nChunks * blockBytes).fill(0);
    const job: EstepJob = {
      kernel: plan.kernel, args: plan.args, blocksPtr: blocks, blockBytes, statOffsets, scratchPtrs,
      xPtr: X.ptr, rowBytes, n, chunkRows, nChunks,
    };
    runner.run(job, ll);
    reduceBlocks(core, plan.stats, blocks, blockBytes, statOffsets, nChunks);
    let total = 0;
    for (let c = 0; c < nChunks; c++) total += ll[c];
    return total;
  };
  return {
    K: ws.K, d: ws.d, weights: ws.weights, means: ws.means, variances: ws.variances,
    statsFromResp: (X, n, resp) => ws.statsFromResp(X, n, resp),
    estep,
    mstep: (regCovar) => ws.mstep(regCovar),
    prepare: () => ws.prepare(),
    logprob: (X, n) => ws.logprob(X, n),
  };
}

/** Where each statistic of `plan` sits in a chunk's block: on a 16-byte boundary, as the kernels' v128 loads expect. */
export function statsBlockLayout(plan: EstepPlan): { statOffsets: number[]; blockBytes: number } {
  const statOffsets: number[] = [];
  let blockBytes = 0;
  for (const s of plan.stats) {
    statOffsets.push(blockBytes);
    blockBytes += align16(s.length * 8);
  }
  return { statOffsets, blockBytes };
}

/** stats[i] = Σ_c block_c[i], summed in chunk order c = 0, 1, … (0 when there are no chunks). */
function reduceBlocks(
  core: Core, stats: Region<Float64Array>[], blocks: number, blockBytes: number, statOffsets: number[], nChunks: number,
): void {
  const buf = core.memory.buffer;
  stats.forEach((s, i) => {
    const dst = s.view();
    if (nChunks === 0) {
      dst.fill(0);
      return;
    }
    dst.set(new Float64Array(buf, blocks + statOffsets[i], s.length));
    for (let c = 1; c < nChunks; c++) {
      const src = new Float64Array(buf, blocks + c * blockBytes + statOffsets[i], s.length);
      for (let j = 0; j < dst.length; j++) dst[j] += src[j];
    }
  });
}

function align16(x: number): number {
  return Math.ceil(x / 16) * 16;
}
