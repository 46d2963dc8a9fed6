// The fused E-step split into fixed row chunks, so that running it on one thread or on
// several gives the same bits. Each chunk accumulates its statistics into its own block;
// the blocks, and the per-chunk log-likelihoods, are then summed in chunk order. The
// decomposition depends only on (n, the statistics' size), never on the thread count or on
// which thread ran which chunk. This is the only way an E-step runs (a fit on one thread uses
// the serial runner below); the worker-thread runner (src/parallel/em-threads.ts) implements
// the same ChunkRunner over shared memory. Node-free.
import {
  callKernel, kernelSignature, type AccumulatedParam, type CoreKernels, type KernelArgs, type RowKernelName,
} from "../core/kernels.js";
import type { Core, Region } from "../core/wasm.js";
import type { CovarianceWorkspace, MixtureWorkspace } from "./covariance.js";

/** Rows per chunk (before the memory cap of chunkRowsFor doubles it): a constant, never derived from the thread count. */
export const CHUNK_ROWS = 2048;
/** Per-chunk statistics blocks may take this many bytes in all; larger statistics get larger chunks. */
export const CHUNK_STATS_BUDGET_BYTES = 64 * 2 ** 20;
/** The claim word packs (generation, chunk index) in 15 + 16 bits, so at most 65535 chunks. */
export const MAX_CHUNKS = 0xffff;

/** The parameters every row kernel takes that change from chunk to chunk (besides its statistics). */
type PerChunkParam = "x" | "n" | "scratch";

/**
 * How a workspace's fused E-step splits by rows, for row kernel K (kernels.ts: a kernel that
 * declares the statistics it accumulates, and takes `x`, `n` and `scratch`). The kernel adds
 * (+=) into its statistics and returns Σ log p over the rows it was given.
 */
export interface EstepPlan<K extends RowKernelName> {
  kernel: K;
  /** Every other argument of the kernel, by parameter name: the same for every chunk. */
  args: Omit<KernelArgs<K>, PerChunkParam | AccumulatedParam<K>>;
  /** Where each reduced statistic goes (f64 regions the M-step reads), by the kernel's parameter name. */
  stats: { readonly [S in AccumulatedParam<K>]: Region<Float64Array> };
  /** f64 of scratch each thread needs. */
  scratchLength: number;
}

/** An EstepPlan of any row kernel (each member checked against its own kernel's parameters). */
export type AnyEstepPlan = { [K in RowKernelName]: EstepPlan<K> }[RowKernelName];

/** One E-step pass, as plain numbers and strings (posted to worker threads as is). */
export interface EstepJob {
  kernel: RowKernelName;
  /** The plan's per-fit arguments, by parameter name. */
  args: Record<string, number>;
  /** Byte address of chunk 0's block; block c starts at blocksPtr + c·blockBytes. */
  blocksPtr: number;
  blockBytes: number;
  /** Byte offset of each statistic (by parameter name) inside a block. */
  statOffsets: Record<string, number>;
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
export function runChunk(exports: CoreKernels, job: EstepJob, c: number, scratchPtr: number): number {
  const first = c * job.chunkRows;
  const block = job.blocksPtr + c * job.blockBytes;
  const args: Record<string, number> = {
    ...job.args,
    x: job.xPtr + first * job.rowBytes,
    n: Math.min(job.chunkRows, job.n - first),
    scratch: scratchPtr,
  };
  for (const s in job.statOffsets) args[s] = block + job.statOffsets[s];
  return callKernel(exports, job.kernel, args as KernelArgs<RowKernelName>) as number;
}

/**
 * fn(first, rows) for consecutive ranges of at most CHUNK_ROWS of n rows, in order. Kernels that
 * treat rows independently (log-probabilities) are called this way rather than once over all
 * rows: Node 20 cannot move a running WebAssembly call from its baseline (Liftoff) code to
 * optimised code, but later calls get it, so only the first chunks run unoptimised
 * (docs/core-api.md, "Engine flags"). Same bits: no row's result depends on its neighbours.
 */
export function forEachRowChunk(n: number, fn: (first: number, rows: number) => void): void {
  for (let first = 0; first < n; first += CHUNK_ROWS) fn(first, Math.min(CHUNK_ROWS, n - first));
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
 * The MixtureWorkspace that EM runs on: `ws` with its E-step (its estepPlan) run chunk by chunk
 * through `runner` and reduced in chunk order; everything else (statsFromResp, mstep, prepare,
 * logprob) is ws's own. Allocates the blocks in `core`'s arena (free them with the caller's scope).
 */
export function chunkedWorkspace(
  ws: CovarianceWorkspace,
  core: Core,
  { maxRows, runner = serialRunner(core) }: ChunkedOptions,
): MixtureWorkspace {
  const plan = ws.estepPlan;
  if (runner.core !== core) throw new Error("chunkedWorkspace: the runner works on another Core's memory");
  const { stats, statsLength, statOffsets, offsets, blockBytes } = statsBlockLayout(plan);
  const chunkRows = chunkRowsFor(Math.max(1, maxRows), statsLength);
  const maxChunks = Math.max(1, Math.ceil(maxRows / chunkRows));
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
      kernel: plan.kernel, args: plan.args as Record<string, number>, blocksPtr: blocks, blockBytes, statOffsets, scratchPtrs,
      xPtr: X.ptr, rowBytes, n, chunkRows, nChunks,
    };
    runner.run(job, ll);
    reduceChunkBlocks(stats, new Float64Array(core.memory.buffer, blocks, (nChunks * blockBytes) / 8), blockBytes / 8, offsets, nChunks);
    let total = 0;
    for (let c = 0; c < nChunks; c++) total += ll[c];
    return total;
  };
  return {
    K: ws.K, d: ws.d, weights: ws.weights, means: ws.means, variances: ws.variances,
    statsFromResp: (X, n, resp) => ws.statsFromResp(X, n, resp),
    addRespStats: (X, n, resp) => ws.addRespStats(X, n, resp),
    estep,
    mstep: (regCovar) => ws.mstep(regCovar),
    prepare: () => ws.prepare(),
    logprob: (X, n) => ws.logprob(X, n),
  };
}

/** A plan's statistics block: the statistics in the kernel's declared order (kernels.ts), and where each sits in a chunk's block. */
export interface StatsBlockLayout {
  stats: Region<Float64Array>[];
  /** f64 values in all the statistics. */
  statsLength: number;
  /** Byte offset of each statistic inside a block, by parameter name, and in declared order. */
  statOffsets: Record<string, number>;
  /** Offset of each statistic inside a block in f64 elements, in declared order. */
  offsets: number[];
  blockBytes: number;
}

/** The block layout of `plan`: each statistic on a 16-byte boundary, as the kernels' v128 loads expect. */
export function statsBlockLayout(plan: AnyEstepPlan): StatsBlockLayout {
  const statNames = kernelSignature(plan.kernel).accumulates ?? [];
  const stats = statNames.map((s) => (plan.stats as Record<string, Region<Float64Array>>)[s]);
  const statOffsets: Record<string, number> = {};
  const offsets: number[] = [];
  let blockBytes = 0;
  stats.forEach((r, i) => {
    statOffsets[statNames[i]] = blockBytes;
    offsets.push(blockBytes / 8);
    blockBytes += align16(r.length * 8);
  });
  return { stats, statsLength: stats.reduce((sum, r) => sum + r.length, 0), statOffsets, offsets, blockBytes };
}

/**
 * stats[i] = Σ_c block_c[i] over the per-chunk statistics blocks in the order they are added
 * (chunk order c = 0, 1, …): the first is copied, the others added; finish() leaves 0 when no
 * block came. Statistic i sits at offsets[i] (f64) inside a block. The one reduction of
 * per-chunk statistics, wherever the blocks are (one memory: reduceChunkBlocks; shards: a fold).
 */
export class BlockSum {
  private count = 0;
  constructor(
    private readonly stats: Region<Float64Array>[],
    private readonly offsets: number[],
  ) {}

  add(block: Float64Array): void {
    this.stats.forEach((s, i) => {
      const dst = s.view();
      const o = this.offsets[i];
      if (this.count === 0) dst.set(block.subarray(o, o + s.length));
      else for (let j = 0; j < dst.length; j++) dst[j] += block[o + j];
    });
    this.count++;
  }

  finish(): void {
    if (this.count === 0) for (const s of this.stats) s.view().fill(0);
  }
}

/** BlockSum over nChunks blocks at src[c·stride] (f64), in chunk order. */
export function reduceChunkBlocks(stats: Region<Float64Array>[], src: Float64Array, stride: number, offsets: number[], nChunks: number): void {
  const sum = new BlockSum(stats, offsets);
  for (let c = 0; c < nChunks; c++) sum.add(src.subarray(c * stride, (c + 1) * stride));
  sum.finish();
}

function align16(x: number): number {
  return Math.ceil(x / 16) * 16;
}
