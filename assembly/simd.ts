// Small @inline helpers shared by every kernel family.

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

/** log(exp(a) + exp(b)) without overflow; -Infinity is the neutral element. */
@inline export function logAddExp(a: f64, b: f64): f64 {
  if (a == -Infinity) return b;
  if (b == -Infinity) return a;
  const m = a > b ? a : b;
  // exp of a non-positive number: never overflows; log1p keeps precision near 0.
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}
