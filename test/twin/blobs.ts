// Seeded test data: n×d float32 rows around K random centres.
import type { Matrix } from "../../src/core/matrix.js";
import { Rng } from "../../src/util/rng.js";

/**
 * n×d f32 rows (row-major) around K centres drawn as scale·N(0, 1), each row's component uniform,
 * noise (1 + j mod 2)·N(0, 1) in feature j, everything shifted by `offset`.
 */
export function blobs(n: number, d: number, K: number, seed: number, { scale = 3, offset = 0 }: { scale?: number; offset?: number } = {}): Matrix {
  const rng = new Rng(seed);
  const centres = Array.from({ length: K * d }, () => scale * rng.normal());
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const k = rng.int(K);
    for (let j = 0; j < d; j++) data[i * d + j] = offset + centres[k * d + j] + (1 + (j % 2)) * rng.normal();
  }
  return { data, rows: n, cols: d };
}
