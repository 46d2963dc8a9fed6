import { hsumF32x4 } from "./simd";

/** Sum of n f32 values at x, accumulated in f64 (SIMD body, scalar tail). */
export function sumF32(x: usize, n: i32): f64 {
  let acc: f64 = 0;
  let i = 0;
  // Blocks of 64 summed in f32 lanes, then widened: bounded f32 error, f64 across blocks.
  for (; i + 64 <= n; i += 64) {
    let v = f32x4.splat(0);
    for (let j = 0; j < 64; j += 4) v = f32x4.add(v, v128.load(x + (<usize>(i + j) << 2)));
    acc += hsumF32x4(v);
  }
  for (; i < n; i++) acc += <f64>load<f32>(x + (<usize>i << 2));
  return acc;
}
