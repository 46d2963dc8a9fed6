// Constants and small @inline helpers shared by the kernel families: each is defined here once.

/** sklearn's guard for empty components: every n_k is taken as n_k + 10·eps of f64 (never 0). */
export const NK_EPS: f64 = 10 * f64.EPSILON;

/** log(2π). */
export const LOG_2PI: f64 = 1.8378770664093453;

/**
 * exp(t) is exactly +0 for t < EXP_ZERO (e^−750 ≈ 2e−326, far below half the smallest
 * subnormal): such terms of a log-sum-exp are skipped without calling exp, changing no bit.
 */
export const EXP_ZERO: f64 = -750;

/** Sum of the four f32 lanes, widened to f64 (order fixed: (l0 + l1) + (l2 + l3)). */
@inline export function hsumF32x4(v: v128): f64 {
  const a = <f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1);
  const b = <f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3);
  return a + b;
}

/** Sum of the two f64 lanes. */
@inline export function hsumF64x2(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/**
 * log Σ_c exp(v_c) for k f64 values at v, v + stride, … (stride in bytes: 8 for contiguous
 * values); −Infinity when every v_c is −Infinity.
 */
@inline export function logSumExpF64(v: usize, k: i32, stride: usize): f64 {
  let m = -Infinity;
  for (let c = 0; c < k; c++) m = Math.max(m, load<f64>(v + <usize>c * stride));
  if (m == -Infinity) return m;
  let s: f64 = 0;
  // every exponent ≤ 0 and the largest is exactly 0, so s ∈ [1, k]: its log is safe.
  for (let c = 0; c < k; c++) {
    const t = load<f64>(v + <usize>c * stride) - m;
    if (t >= EXP_ZERO) s += Math.exp(t);
  }
  return m + Math.log(s);
}
