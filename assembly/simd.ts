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

/**
 * A row's log-probabilities v (K f64) below max + R_SKIP_LOG are left out of both the
 * log-sum-exp and the statistics: e^−72 ≈ 5e−32 ≈ eps², so over K terms they move Σ exp by less
 * than K·5e−32 relative (docs/gmm.md, "Cost"), and exp is the most expensive call of a row.
 */
export const R_SKIP_LOG: f64 = -72;

/**
 * log Σ_k exp(v_k) over K f64 values at v, leaving out terms below max + R_SKIP_LOG; overwrites
 * v_k with the responsibility exp(v_k − max) / Σ (0 for a term left out). −Infinity when every
 * v_k is −Infinity (then every responsibility is 0); NaN in, NaN out.
 */
@inline export function logSumExpToResp(v: usize, k: i32): f64 {
  let m = -Infinity;
  for (let c = 0; c < k; c++) m = Math.max(m, load<f64>(v + (<usize>c << 3)));
  let s: f64 = 0;
  // every kept exponent is in [R_SKIP_LOG, 0] and the largest is exactly 0, so s ∈ [1, K]:
  // its log and the divisions below are safe (s = 0 only when m is ±Infinity or NaN).
  // exp(0) = 1 and log(1) = 0 exactly: the row's largest term, and a row with one kept term
  // (most rows of well-separated data), cost no exp and no log, with the same bits.
  for (let c = 0; c < k; c++) {
    const o = v + (<usize>c << 3);
    const t = load<f64>(o) - m;
    const e = t == 0 ? 1 : t >= R_SKIP_LOG ? Math.exp(t) : 0;
    store<f64>(o, e);
    s += e;
  }
  if (m == -Infinity) return m;
  if (s == 1) return m;
  const inv = 1 / s;
  for (let c = 0; c < k; c++) {
    const o = v + (<usize>c << 3);
    store<f64>(o, load<f64>(o) * inv);
  }
  return m + Math.log(s);
}
