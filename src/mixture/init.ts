// Starting points of EM, each given as responsibilities (n×K f64, row-major) from which
// one M-step produces the initial parameters: hard assignments are one-hot rows.
import type { Core, Region } from "../core/wasm.js";
import type { Rng } from "../util/rng.js";
import { UserError } from "../util/errors.js";
import { forEachRowChunk } from "./chunked.js";

export type InitMethod = "kmeans++" | "random" | "random-assignment";
export type InitSpec = InitMethod | { labels: ArrayLike<number> } | { means: ArrayLike<number> };

/** Responsibilities (n×K f64) of the start `init` for X (f32 region, n×d). */
export function initialResponsibilities(
  init: InitSpec, core: Core, X: Region<Float32Array>, n: number, d: number, K: number, rng: Rng,
): Float64Array {
  if (init === "kmeans++") return oneHot(nearestCentre(core, X, n, d, kmeansPlusPlus(core, X, n, d, K, rng), K), K);
  if (init === "random") return randomResponsibilities(n, K, rng);
  if (init === "random-assignment") {
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) labels[i] = rng.int(K);
    return oneHot(labels, K);
  }
  if (typeof init === "object" && init !== null && "labels" in init) return oneHot(checkLabels(init.labels, n, K), K);
  if (typeof init === "object" && init !== null && "means" in init) {
    return oneHot(nearestCentre(core, X, n, d, checkMeans(init.means, K, d), K), K);
  }
  throw new UserError(`unknown init: ${JSON.stringify(init)}`);
}

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

/** sklearn's 'random': uniform random numbers per row, normalised to sum 1. */
function randomResponsibilities(n: number, K: number, rng: Rng): Float64Array {
  const r = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += r[i * K + k] = rng.uniform();
    // s > 0 unless all K draws are exactly 0 (probability 2^-53K); fall back to uniform then.
    for (let k = 0; k < K; k++) r[i * K + k] = s > 0 ? r[i * K + k] / s : 1 / K;
  }
  return r;
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
// Distances: the diagonal log-probability kernel with unit precisions and zero constants
// returns −½‖x − c‖², so k-means++ needs no kernel of its own.

/** out (n×m f64) = −½‖x_i − c_j‖² for centres C (m×d f64). */
function negHalfSqDist(core: Core, X: Region<Float32Array>, n: number, d: number, C: Float64Array, m: number): Float64Array {
  return core.scoped(() => {
    const c = core.putF64(C);
    const prec = core.f64(m * d);
    prec.view().fill(1);
    const zero = core.f64(m); // fresh arena memory is not guaranteed zero
    zero.view().fill(0);
    const out = core.f64(n * m);
    const scratch = core.f64(2 * d);
    forEachRowChunk(n, (first, rows) =>
      core.call("logprobDiagF32", {
        out: out.ptr + first * m * 8, scratch: scratch.ptr, x: X.ptr + first * d * 4, means: c.ptr, prec: prec.ptr,
        logConst: zero.ptr, n: rows, d, k: m,
      }),
    );
    return out.view().slice();
  });
}

/** Index of the nearest centre (m×d f64) for every row; ties go to the lower index. */
function nearestCentre(core: Core, X: Region<Float32Array>, n: number, d: number, C: Float64Array, m: number): Int32Array {
  const s = negHalfSqDist(core, X, n, d, C, m);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < m; k++) if (s[i * m + k] > s[i * m + best]) best = k;
    labels[i] = best;
  }
  return labels;
}

/** k-means++ seeding (Arthur & Vassilvitskii 2007): K rows of X, each drawn ∝ D² to the chosen ones. */
function kmeansPlusPlus(core: Core, X: Region<Float32Array>, n: number, d: number, K: number, rng: Rng): Float64Array {
  const C = new Float64Array(K * d);
  const pick = (k: number, i: number) => {
    const x = X.view(); // fresh: the distance calls below allocate and may grow memory
    for (let j = 0; j < d; j++) C[k * d + j] = x[i * d + j];
  };
  pick(0, rng.int(n));
  const d2 = new Float64Array(n).fill(Infinity);
  for (let k = 1; k < K; k++) {
    const s = negHalfSqDist(core, X, n, d, C.subarray((k - 1) * d, k * d), 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      d2[i] = Math.min(d2[i], -2 * s[i]);
      total += d2[i];
    }
    let i = 0;
    if (total > 0) {
      // first i whose cumulative D² exceeds u·total; the last positive one if rounding runs past
      const u = rng.uniform() * total;
      let acc = 0;
      let last = 0;
      for (; i < n; i++) {
        if (d2[i] > 0) last = i;
        acc += d2[i];
        if (acc > u && d2[i] > 0) break;
      }
      if (i === n) i = last;
    } else i = rng.int(n); // every row coincides with a centre: any row will do
    pick(k, i);
  }
  return C;
}
