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

/**
 * Index of the first value of x (n f32) that is NaN or ±Infinity, or −1 when all are finite.
 * v − v is 0 for a finite v and NaN otherwise, so one NaN lane in the running sum flags a block
 * of 64 values; only that block is searched value by value.
 */
export function firstNonFiniteF32(x: usize, n: i32): i32 {
  let i = 0;
  for (; i + 64 <= n; i += 64) {
    let acc = f32x4.splat(0);
    for (let j = 0; j < 64; j += 4) {
      const v = v128.load(x + (<usize>(i + j) << 2));
      acc = f32x4.add(acc, f32x4.sub(v, v));
    }
    if (v128.any_true(f32x4.ne(acc, acc))) break;
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v - v != 0) return i;
  }
  return -1;
}
