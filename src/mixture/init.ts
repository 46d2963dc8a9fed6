// Starting points of EM. Every start is a set of responsibilities (rows×K f64) from which one
// M-step gives the first parameters: one-hot rows for a hard assignment (the nearest k-means++
// centre, the nearest given mean, given labels, random labels), normalised uniform draws for
// "random". They are never held for all rows: each pass over the data makes a chunk's
// responsibilities from a small description (StartResp) as it needs them. The start's
// statistics take two passes over fixed row chunks, each chunk's result summed in chunk order
// as the E-step's are (startStatistics); k-means++ takes one pass per centre. So a fit whose
// rows sit in one memory and one streamed from a file start from the same bits
// (docs/scale.md, "The same answer").
import type { Core, Region } from "../core/wasm.js";
import { Rng } from "../util/rng.js";
import { UserError } from "../util/errors.js";
import { BlockSum, statsBlockLayout } from "./chunked.js";
import { covarianceEntry, type CovarianceType, type CovarianceWorkspace } from "./covariance.js";
import type { ChunkMemo, ChunkOp, ChunkRows, RowShards } from "./shards.js";

/** The named starts, in the order help lists them (the CLI's --init choices). */
export const INIT_METHODS = ["kmeans++", "random", "random-assignment"] as const;
export type InitMethod = (typeof INIT_METHODS)[number];
export type InitSpec = InitMethod | { labels: ArrayLike<number> } | { means: ArrayLike<number> };

/** Whether `init` draws random numbers (restarts make sense only then). */
export function isRandomInit(init: InitSpec): boolean {
  return typeof init === "string";
}

/** One-hot rows (n×K) of hard labels. */
export function oneHot(labels: ArrayLike<number>, K: number): Float64Array {
  const r = new Float64Array(labels.length * K);
  for (let i = 0; i < labels.length; i++) r[i * K + labels[i]] = 1;
  return r;
}

/** A state of the seeded stream (Rng.getState). */
type RngState = ReturnType<Rng["getState"]>;

/**
 * How the start's responsibilities of any chunk are made (plain data: posted to worker threads):
 * one-hot on the nearest of K centres (K×d f64; k-means++ or given means), given labels (n in
 * 0..K−1), or draws from the seeded stream, whose state at each chunk's first row is kept.
 */
export type StartResp =
  | { kind: "nearest"; centres: Float64Array }
  | { kind: "labels"; labels: Int32Array }
  | { kind: "draws"; draw: DrawName; chunkRows: number; states: RngState[] };

/** The random starts: one row of responsibilities (K f64) from the stream. */
const DRAWS = {
  /** sklearn's 'random': uniform numbers normalised to sum 1. */
  random(rng: Rng, row: Float64Array): void {
    const K = row.length;
    let s = 0;
    for (let k = 0; k < K; k++) s += row[k] = rng.uniform();
    // s > 0 unless all K draws are exactly 0 (probability 2^-53K); fall back to uniform then.
    for (let k = 0; k < K; k++) row[k] = s > 0 ? row[k] / s : 1 / K;
  },
  /** A uniformly random component per row (one-hot). */
  "random-assignment"(rng: Rng, row: Float64Array): void {
    row.fill(0);
    row[rng.int(row.length)] = 1;
  },
};
type DrawName = keyof typeof DRAWS;

// ---------------------------------------------------------------------------------------
// the start's statistics

/**
 * The start `init` on the rows of `shards` (chunks of chunkRows rows, the fit's E-step chunks):
 * leaves in `ws` the shift (its means) and the statistics its first M-step reads — follow with
 * ws.mstep. Pass 1 sums each chunk's Σ r and Σ r·x in chunk order and turns them into the
 * weighted means; pass 2 sums the statistics shifted by them. Allocates in `core` (ws's core)
 * only within the call.
 */
export function startStatistics(
  init: InitSpec, shards: RowShards, core: Core, ws: CovarianceWorkspace, covarianceType: CovarianceType, chunkRows: number, rng: Rng,
): void {
  const { K, d } = ws;
  const start = startResp(init, shards, chunkRows, K, rng);
  core.scoped(() => {
    const mass = core.f64(K);
    const moment = core.f64(K * d);
    const moments = new BlockSum([mass, moment], [0, K]);
    shards.map({ op: "moments", args: { start, K, d } }, { chunkRows, stride: K + K * d }, (_, block) => moments.add(block));
    moments.finish();
    core.call("shiftFromMomentsF64", { shift: ws.means.ptr, mass: mass.ptr, moment: moment.ptr, d, k: K });
  });
  const layout = statsBlockLayout(ws.estepPlan);
  const stats = new BlockSum(layout.stats, layout.offsets);
  const args = { start, covarianceType, K, d, shift: ws.means.view().slice() };
  shards.map({ op: "respStats", args }, { chunkRows, stride: layout.blockBytes / 8 }, (_, block) => stats.add(block));
  stats.finish();
}

/** How the chunks' responsibilities of start `init` are made; k-means++ runs its passes here. */
function startResp(init: InitSpec, shards: RowShards, chunkRows: number, K: number, rng: Rng): StartResp {
  const { n, d } = shards;
  if (init === "kmeans++") return { kind: "nearest", centres: kmeansPlusPlus(shards, chunkRows, K, rng) };
  if (init === "random" || init === "random-assignment") return { kind: "draws", draw: init, chunkRows, states: drawStates(init, rng, n, chunkRows, K) };
  if (typeof init === "object" && init !== null && "labels" in init) return { kind: "labels", labels: checkLabels(init.labels, n, K) };
  if (typeof init === "object" && init !== null && "means" in init) return { kind: "nearest", centres: checkMeans(init.means, K, d) };
  throw new UserError(`unknown init: ${JSON.stringify(init)}`);
}

/**
 * The stream's state at the first row of each chunk, drawing every row's numbers in row order
 * as a pass would: afterwards `rng` stands where it would after drawing all n rows at once.
 */
function drawStates(draw: DrawName, rng: Rng, n: number, chunkRows: number, K: number): RngState[] {
  const states: RngState[] = [];
  const row = new Float64Array(K);
  for (let first = 0; first < n; first += chunkRows) {
    states.push(rng.getState());
    for (let i = first; i < Math.min(n, first + chunkRows); i++) DRAWS[draw](rng, row);
  }
  return states;
}

/** The start's responsibilities of one chunk (rows×K f64), allocated in `core` (free with the caller's scope). */
function chunkResp(core: Core, start: StartResp, K: number, d: number, chunk: ChunkRows): Region<Float64Array> {
  const { rows, first } = chunk;
  const resp = core.f64(rows * K);
  const r = resp.view();
  r.fill(0);
  if (start.kind === "nearest") {
    withNegHalfSqDist(core, chunk.X, rows, d, start.centres, K, (s) => {
      const v = resp.view(); // fresh: the distances were allocated after r
      for (let i = 0; i < rows; i++) {
        let best = 0; // nearest centre; ties go to the lower index
        for (let k = 1; k < K; k++) if (s[i * K + k] > s[i * K + best]) best = k;
        v[i * K + best] = 1;
      }
    });
  } else if (start.kind === "labels") {
    for (let i = 0; i < rows; i++) r[i * K + start.labels[first + i]] = 1;
  } else {
    const rng = Rng.fromState(start.states[first / start.chunkRows]);
    for (let i = 0; i < rows; i++) DRAWS[start.draw](rng, r.subarray(i * K, (i + 1) * K));
  }
  return resp;
}

function checkLabels(labels: ArrayLike<number>, n: number, K: number): Int32Array {
  if (labels.length !== n) {
    throw new UserError(`init.labels has ${labels.length} entries, expected ${n} (one per row of X)`);
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= K) {
      throw new UserError(`init.labels[${i}] = ${l} is not a component index in 0..${K - 1} (nComponents = ${K})`);
    }
    out[i] = l;
  }
  return out;
}

function checkMeans(means: ArrayLike<number>, K: number, d: number): Float64Array {
  if (means.length !== K * d) {
    throw new UserError(`init.means has ${means.length} values, expected nComponents×features = ${K}×${d} = ${K * d}`);
  }
  const out = Float64Array.from(means);
  const bad = out.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new UserError(`init.means[${bad}] = ${out[bad]} is not finite`);
  return out;
}

// ---------------------------------------------------------------------------------------
// k-means++ (Arthur & Vassilvitskii 2007) over chunks: K rows, each drawn ∝ D² to the chosen ones

/**
 * The centres (K×d f64). Per new centre one pass gives each chunk's Σ D² (in row order) and its
 * last row with D² > 0; the draw u·total picks the first chunk whose running total exceeds u,
 * and that chunk alone is read again to find the row: the first whose running total
 * (the chunks before, plus its chunk's rows so far) exceeds u.
 */
function kmeansPlusPlus(shards: RowShards, chunkRows: number, K: number, rng: Rng): Float64Array {
  const { n, d } = shards;
  const nChunks = Math.ceil(n / chunkRows);
  const C = new Float64Array(K * d);
  const pick = (k: number, i: number) => {
    const c = Math.floor(i / chunkRows);
    shards.map({ op: "row", args: { i, d } }, { chunkRows, stride: d, from: c, to: c + 1 }, (_, row) => C.set(row, k * d));
  };
  pick(0, rng.int(n));
  const after = new Float64Array(nChunks);
  for (let k = 1; k < K; k++) {
    const args = { centres: C.slice(0, k * d), m: k, d, perRow: false };
    let total = 0;
    let last = -1; // the last row with D² > 0
    shards.map({ op: "distances", args }, { chunkRows, stride: 2 }, (c, sums) => {
      after[c] = total += sums[0];
      if (sums[1] >= 0) last = sums[1];
    });
    let i: number;
    if (total > 0) {
      const u = rng.uniform() * total;
      let c = 0;
      while (c < nChunks && !(after[c] > u)) c++;
      // c = nChunks only when rounding puts u at the total: the last positive row then
      i = last;
      if (c < nChunks) {
        const before = c > 0 ? after[c - 1] : 0;
        const rows = Math.min(chunkRows, n - c * chunkRows);
        shards.map({ op: "distances", args: { ...args, perRow: true } }, { chunkRows, stride: 2 + chunkRows, from: c, to: c + 1 }, (_, row) => {
          // the same sums as the pass's: at the chunk's last row before + s equals after[c] > u
          let s = 0;
          for (let j = 0; j < rows; j++) {
            const v = row[2 + j];
            s += v;
            if (before + s > u && v > 0) {
              i = c * chunkRows + j;
              break;
            }
          }
        });
      }
    } else i = rng.int(n); // every row coincides with a centre: any row will do
    pick(k, i);
  }
  return C;
}

/**
 * D² of each row of a chunk (into `d2`, at least rows long): the least squared distance to m
 * centres (m×d f64), as −2·(−½‖x − c‖²), the minimum taken centre by centre. With `memo`, the D²
 * to the first centres is kept for the next pass, in an array of its own (k-means++ adds one
 * centre per pass): min is exact, so the result is the same.
 */
function chunkD2(core: Core, chunk: ChunkRows, C: Float64Array, m: number, d: number, d2: Float64Array, memo?: ChunkMemo): Float64Array {
  const key = `kmeans++ D² ${chunk.first}`;
  const kept = memo?.get(key) as { centres: Float64Array; d2: Float64Array } | undefined;
  let from = 0;
  if (kept && kept.centres.length <= m * d && kept.centres.every((v, i) => Object.is(v, C[i]))) {
    from = kept.centres.length / d;
    d2 = kept.d2;
  } else {
    if (memo) d2 = new Float64Array(chunk.rows);
    d2.fill(Infinity, 0, chunk.rows);
  }
  for (let j = from; j < m; j++) {
    withNegHalfSqDist(core, chunk.X, chunk.rows, d, C.subarray(j * d, (j + 1) * d), 1, (s) => {
      for (let i = 0; i < chunk.rows; i++) d2[i] = Math.min(d2[i], -2 * s[i]);
    });
  }
  memo?.set(key, { centres: C.slice(0, m * d), d2 });
  return d2;
}

// ---------------------------------------------------------------------------------------
// Distances: the diagonal log-probability kernel with unit precisions and zero constants
// returns −½‖x − c‖², so k-means++ needs no kernel of its own.

/**
 * fn(s) with s (n×m f64) = −½‖x_i − c_j‖² for centres C (m×d f64): a view of the arena, valid
 * during the call only (no copy: the start's passes call this for every chunk).
 */
function withNegHalfSqDist<T>(core: Core, X: Region<Float32Array>, n: number, d: number, C: Float64Array, m: number, fn: (s: Float64Array) => T): T {
  return core.scoped(() => {
    const c = core.putF64(C);
    const prec = core.f64(m * d);
    prec.view().fill(1);
    const zero = core.f64(m); // fresh arena memory is not guaranteed zero
    zero.view().fill(0);
    const out = core.f64(n * m);
    const scratch = core.f64(2 * d);
    core.call("logprobDiagF32", {
      out: out.ptr, scratch: scratch.ptr, x: X.ptr, means: c.ptr, prec: prec.ptr, logConst: zero.ptr, n, d, k: m,
    });
    return fn(out.view());
  });
}

// ---------------------------------------------------------------------------------------
// the start's chunk operations (shards.ts's CHUNK_OPS)

/** The per-chunk operations of the start's passes. */
export const startOps = {
  /** out: row i (in this chunk) of the data, d f64. */
  row: {
    prepare(_core: Core, { i, d }: { i: number; d: number }) {
      return (chunk: ChunkRows, out: Float64Array) => {
        const r = i - chunk.first;
        out.set(chunk.X.view().subarray(r * d, (r + 1) * d));
      };
    },
  },
  /**
   * out[0] = the chunk's Σ D² (in row order) to m centres (m×d f64), out[1] = its last row (index
   * in the data) with D² > 0 or −1; with perRow, out[2 + j] = D² of its row j.
   */
  distances: {
    prepare(core: Core, { centres, m, d, perRow }: { centres: Float64Array; m: number; d: number; perRow: boolean }, memo?: ChunkMemo) {
      let own = new Float64Array(0);
      return (chunk: ChunkRows, out: Float64Array) => {
        // without a memo, one buffer for every chunk of the pass
        if (own.length < chunk.rows) own = new Float64Array(chunk.rows);
        const d2 = chunkD2(core, chunk, centres, m, d, own, memo);
        let sum = 0;
        let last = -1;
        for (let j = 0; j < chunk.rows; j++) {
          sum += d2[j];
          if (d2[j] > 0) last = chunk.first + j;
        }
        out[0] = sum;
        out[1] = last;
        if (perRow) out.set(d2, 2);
      };
    },
  },
  /** Pass 1 of the start: out = Σ r per component (K), then Σ r·x (K×d). */
  moments: {
    prepare(core: Core, { start, K, d }: { start: StartResp; K: number; d: number }) {
      return (chunk: ChunkRows, out: Float64Array) =>
        core.scoped(() => {
          const resp = chunkResp(core, start, K, d, chunk);
          const mass = core.f64(K);
          const moment = core.f64(K * d);
          mass.view().fill(0);
          moment.view().fill(0);
          core.call("respMomentsF32", {
            mass: mass.ptr, moment: moment.ptr, scratch: core.f64(d).ptr, x: chunk.X.ptr, resp: resp.ptr, n: chunk.rows, d, k: K,
          });
          out.set(mass.view());
          out.set(moment.view(), K);
        });
    },
  },
  /** Pass 2 of the start: out = the chunk's statistics around `shift` (K×d), in the E-step's block layout. */
  respStats: {
    prepare(core: Core, a: { start: StartResp; covarianceType: CovarianceType; K: number; d: number; shift: Float64Array }) {
      const ws = covarianceEntry(a.covarianceType).workspace(core, a.K, a.d);
      ws.means.view().set(a.shift);
      const { stats, offsets } = statsBlockLayout(ws.estepPlan);
      return (chunk: ChunkRows, out: Float64Array) => {
        for (const s of stats) s.view().fill(0);
        core.scoped(() => ws.addRespStats(chunk.X, chunk.rows, chunkResp(core, a.start, a.K, a.d, chunk)));
        stats.forEach((s, i) => out.set(s.view(), offsets[i]));
      };
    },
  },
} satisfies Record<string, ChunkOp<never>>;
