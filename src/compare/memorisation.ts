// Memorisation check: the distance from each sample to its nearest training image, set against the
// same distance for the MNIST test images (which the models never saw). A model that copies its
// training set has many samples much closer to a training image than test images are.
// Distances are Euclidean in a feature space (the compare command uses PCA-50 of the training set);
// the n×m squared distances come from one Gemm per chunk in onnxruntime (‖a‖² + ‖b‖² − 2a·b). Node only.
import type { Matrix } from "../core/matrix.js";
import { Builder, runGraph, sessionFor } from "../onnx/index.js";

/** Summary of nearest-neighbour distances. */
export interface NearestSummary {
  median: number;
  p05: number;
  mean: number;
}

/** The q-quantile (0..1) of values, linear interpolation between order statistics. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) return NaN;
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** Median, 5th percentile and mean of distances. */
export function summarise(d: ArrayLike<number>): NearestSummary {
  let sum = 0;
  for (let i = 0; i < d.length; i++) sum += d[i];
  return { median: quantile(d, 0.5), p05: quantile(d, 0.05), mean: sum / d.length };
}

const CHUNK = 250;

/** For each row of Q (n×d), the Euclidean distance to its nearest row of R (m×d). */
export async function nearestDistances(Q: Matrix, R: Matrix, threads = 2): Promise<Float64Array> {
  if (Q.cols !== R.cols) throw new RangeError(`nearestDistances: ${Q.cols} and ${R.cols} features`);
  const d = Q.cols;
  const b = new Builder("nearest");
  const q = b.input("q", "float32", ["n", d]);
  const r = b.input("r", "float32", ["m", d]);
  const rr = b.input("rr", "float32", ["m"]);
  // −2·q·rᵀ + ‖r‖²: the ‖q‖² term is the same along a row, so it is added after the minimum
  b.output(b.gemm(q, r, rr, { alpha: -2, transB: true, name: "partial" }));
  const session = await sessionFor(b.graph, { threads });
  const norms = (X: Matrix, i: number) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += X.data[i * d + k] ** 2;
    return s;
  };
  const rrData = new Float32Array(R.rows);
  for (let j = 0; j < R.rows; j++) rrData[j] = norms(R, j);
  const out = new Float64Array(Q.rows);
  for (let i0 = 0; i0 < Q.rows; i0 += CHUNK) {
    const n = Math.min(CHUNK, Q.rows - i0);
    const part = (await runGraph(session, b.graph, { q: Q.data.subarray(i0 * d, (i0 + n) * d), r: R.data, rr: rrData }))["partial"] as Float32Array;
    for (let i = 0; i < n; i++) {
      let best = Infinity;
      const row = i * R.rows;
      for (let j = 0; j < R.rows; j++) if (part[row + j] < best) best = part[row + j];
      // round-off can make a tiny squared distance negative
      out[i0 + i] = Math.sqrt(Math.max(0, best + norms(Q, i0 + i)));
    }
  }
  await session.release();
  return out;
}
