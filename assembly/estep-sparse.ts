// The diagonal E-step for data with many exact zeros (images, counts, one-hot features), and the
// rule that picks it over the dense kernel (estep.ts) chunk by chunk. See docs/gmm.md, "Which
// path" and "The sparse E-step".
//
// For a diagonal component the distance expands as
//   Σ_j (x_j − μ_kj)² p_kj = q_k + Σ_{j: x_j ≠ 0} x_j (x_j p_kj − 2 μ_kj p_kj),  q_k = Σ_j μ_kj² p_kj,
// so a row costs its non-zeros, not d. The parameters are laid out feature-major by
// prepareDiagSparseF64: feature j's row holds, per pair of components (k, k+1), the four f64
// [p_kj, p_k+1,j, b_kj, b_k+1,j] with b = −2 μ p (KP = K rounded up to 2, padded with 0), so one
// non-zero x_j meets one contiguous run of every component's p and b. The expanded form cancels where μ² p dwarfs
// the distance (large offsets, nearly constant non-zero features): its extra rounding is a few
// eps·q_k per row, which the rule bounds by taking this path only while every q_k ≤ SPARSE_MAX_QUAD.
//
// Statistics stay shifted by the means (as in estep.ts): over the non-zeros of a row the kernel
// adds r·(x − c) and r·(x − c)² and counts W_kj = Σ r over the rows where x_j ≠ 0; a zero x_j
// contributes r·(0 − c) and r·c², which are added once per call as −c·Z and c²·Z with
// Z = R − W, R = Σ r of the call. R and W add the same numbers in the same order, so a feature
// that is never 0 gets Z = 0 exactly.
import { estepDiagF32 } from "./estep";
import { logSumExpToResp } from "./simd";

/** Largest fraction of non-zero values (sampled) of a chunk that takes the sparse path: below the measured crossover (docs/gmm.md, "Which path"). */
const SPARSE_MAX_DENSITY: f64 = 0.25;
/** Largest q_k = Σ_j μ_kj² p_kj for which the expanded distance is used: a few eps·2^20 ≈ 1e−9 nats per row. */
const SPARSE_MAX_QUAD: f64 = 1048576;

/** K rounded up to a multiple of 2: the components per feature of the feature-major parameters. */
@inline function paddedK(k: i32): i32 {
  return (k + 1) & ~1;
}

/** The path rule reads every SPARSE_SAMPLE_STRIDE-th row of a chunk (rows 0, 8, 16, …): the whole chunk would cost a second pass over X from memory. */
const SPARSE_SAMPLE_STRIDE: i32 = 8;

/** Non-zero f32 values among the d at x (−0 counts as zero, NaN as non-zero). */
@inline function nonzerosInRow(x: usize, d: i32): i32 {
  const zero = f32x4.splat(0);
  let a = i32x4.splat(0);
  let j = 0;
  for (; j + 4 <= d; j += 4) a = i32x4.sub(a, f32x4.ne(v128.load(x + (<usize>j << 2)), zero));
  let c = i32x4.extract_lane(a, 0) + i32x4.extract_lane(a, 1) + i32x4.extract_lane(a, 2) + i32x4.extract_lane(a, 3);
  for (; j < d; j++) if (load<f32>(x + (<usize>j << 2)) != 0) c++;
  return c;
}

/**
 * The path rule for one call: 1 (sparse) when at most SPARSE_MAX_DENSITY of the values in rows
 * 0, 8, 16, … of the n×d f32 rows at x are non-zero and every q_k ≤ SPARSE_MAX_QUAD, else 0
 * (dense). It reads only the rows and the parameters, never the engine or the thread, so a chunk
 * takes the same path in every run.
 */
export function estepDiagSparsePath(x: usize, quad: usize, n: i32, d: i32, k: i32): i32 {
  for (let c = 0; c < k; c++) {
    const q = load<f64>(quad + (<usize>c << 3));
    if (!(q <= SPARSE_MAX_QUAD)) return 0; // NaN too
  }
  let seen: f64 = 0;
  let rows: f64 = 0;
  for (let i = 0; i < n; i += SPARSE_SAMPLE_STRIDE) {
    seen += <f64>nonzerosInRow(x + (<usize>i * <usize>d << 2), d);
    rows++;
  }
  return seen <= SPARSE_MAX_DENSITY * rows * <f64>d ? 1 : 0;
}

/** f64 length of prepareDiagSparseF64's feature-major parameters: d × 2·KP. */
export function sparseParamsLength(d: i32, k: i32): i32 {
  return d * 2 * paddedK(k);
}

/**
 * Feature-major parameters of the sparse E-step from the prepared diagonal ones (means, prec:
 * K×d f64): pbT (sparseParamsLength(d, K) f64; feature j's row of 2·KP holds [p_kj, p_k+1,j,
 * b_kj, b_k+1,j] per pair of components, b = −2 μ p, padding 0) and quad (K) = Σ_j μ_kj² p_kj.
 */
export function prepareDiagSparseF64(pbT: usize, quad: usize, means: usize, prec: usize, d: i32, k: i32): void {
  const kp = paddedK(k);
  memory.fill(pbT, 0, <usize>d * <usize>kp << 4);
  for (let c = 0; c < k; c++) {
    let q: f64 = 0;
    for (let j = 0; j < d; j++) {
      const o = (<usize>c * <usize>d + <usize>j) << 3;
      const mu = load<f64>(means + o);
      const p = load<f64>(prec + o);
      // feature j's row: per pair of components (c, c+1), [p_c, p_c+1, b_c, b_c+1]
      const t = ((<usize>j * <usize>kp << 1) + (<usize>(c >> 1) << 2) + <usize>(c & 1)) << 3;
      store<f64>(pbT + t, p);
      store<f64>(pbT + t, -2 * mu * p, 16);
      q += mu * mu * p;
    }
    store<f64>(quad + (<usize>c << 3), q);
  }
}

/** f64 scratch of estepDiagByDensityF32 and estepDiagSparseF32: the dense kernel's 2·(K + d), or KP + K + K·d + 5·(d + 4) for the sparse one. */
export function estepDiagSparseScratch(d: i32, k: i32): i32 {
  const dense = 2 * (k + d);
  const sparse = paddedK(k) + k + k * d + 5 * (d + 4);
  return dense > sparse ? dense : sparse;
}

/**
 * i8x16 shuffles that move the lanes of a 4-lane mask m (bit l = lane l selected) to the front,
 * in order: entry m (16 bytes) for m = 0..15. Unselected tail lanes are don't-care (lane 0).
 */
const COMPACT4: usize = memory.data<u8>([
  0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3,
  0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3,
  4, 5, 6, 7, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3,
  0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 0, 1, 2, 3,
  8, 9, 10, 11, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3,
  0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 0, 1, 2, 3,
  4, 5, 6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 0, 1, 2, 3,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 1, 2, 3,
  12, 13, 14, 15, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3,
  0, 1, 2, 3, 12, 13, 14, 15, 0, 1, 2, 3, 0, 1, 2, 3,
  4, 5, 6, 7, 12, 13, 14, 15, 0, 1, 2, 3, 0, 1, 2, 3,
  0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 0, 1, 2, 3,
  8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 0, 1, 2, 3,
  0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3,
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
], 16);

/** Append the non-zero lanes of v (f32) and of their indices jv (i32) at entry cnt of val32 / idx; returns the new count. */
@inline function compact4(val32: usize, idx: usize, cnt: i32, v: v128, jv: v128): i32 {
  const m = i32x4.bitmask(f32x4.ne(v, f32x4.splat(0)));
  const sh = v128.load(COMPACT4 + (<usize>m << 4));
  v128.store(val32 + (<usize>cnt << 2), i8x16.swizzle(v, sh));
  v128.store(idx + (<usize>cnt << 2), i8x16.swizzle(jv, sh));
  return cnt + popcnt(m);
}

/**
 * One row's non-zeros, compacted: val[t] = x_j, sq[t] = x_j² (f64), poff[t] = j·KP·8 (byte offset of
 * feature j's row in pbT), soff[t] = j·8 (its offset in a K×d row). Returns the count.
 * Branch-free per 4 values (a shuffle from COMPACT4 packs the non-zeros and their indices; the
 * stores may write up to 3 entries past the count, hence the +4 in the scratch layout); blocks
 * of 16 zeros are skipped. val32 and idx (d + 4 f32 / i32 each) are staging areas.
 */
@inline function compactRow(val: usize, sq: usize, poff: usize, soff: usize, val32: usize, idx: usize, x: usize, d: i32, kp: i32): i32 {
  let cnt = 0;
  let j = 0;
  let jv = i32x4(0, 1, 2, 3);
  for (; j + 16 <= d; j += 16) {
    const p = x + (<usize>j << 2);
    const v0 = v128.load(p);
    const v1 = v128.load(p, 16);
    const v2 = v128.load(p, 32);
    const v3 = v128.load(p, 48);
    // (−0 has its sign bit set, so its block is not skipped here; the compare below drops it.)
    if (!v128.any_true(v128.or(v128.or(v0, v1), v128.or(v2, v3)))) {
      jv = i32x4.add(jv, i32x4.splat(16));
      continue;
    }
    cnt = compact4(val32, idx, cnt, v0, jv);
    cnt = compact4(val32, idx, cnt, v1, i32x4.add(jv, i32x4.splat(4)));
    cnt = compact4(val32, idx, cnt, v2, i32x4.add(jv, i32x4.splat(8)));
    cnt = compact4(val32, idx, cnt, v3, i32x4.add(jv, i32x4.splat(12)));
    jv = i32x4.add(jv, i32x4.splat(16));
  }
  for (; j + 4 <= d; j += 4) {
    cnt = compact4(val32, idx, cnt, v128.load(x + (<usize>j << 2)), jv);
    jv = i32x4.add(jv, i32x4.splat(4));
  }
  for (; j < d; j++) {
    const f = load<f32>(x + (<usize>j << 2));
    if (f == 0) continue;
    store<f32>(val32 + (<usize>cnt << 2), f);
    store<i32>(idx + (<usize>cnt << 2), j);
    cnt++;
  }
  // Widen: f64 values and squares, byte offsets (4 at a time; the tail past cnt is don't-care).
  const rowP = i32x4.splat(kp << 4);
  for (let t = 0; t < cnt; t += 4) {
    const f = v128.load(val32 + (<usize>t << 2));
    const lo = f64x2.promote_low_f32x4(f);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<u32>(f, f, 2, 3, 0, 1));
    const o = <usize>t << 3;
    v128.store(val + o, lo);
    v128.store(val + o, hi, 16);
    v128.store(sq + o, f64x2.mul(lo, lo));
    v128.store(sq + o, f64x2.mul(hi, hi), 16);
    const jj = v128.load(idx + (<usize>t << 2));
    v128.store(poff + (<usize>t << 2), i32x4.mul(jj, rowP));
    v128.store(soff + (<usize>t << 2), i32x4.shl(jj, 3));
  }
  return cnt;
}

/** x²·p + x·b for one non-zero (q = x², x splat) and two components: p at pb + off, b 16 bytes after it. */
@inline function pairTerm(q: v128, x: v128, pb: usize, off: usize): v128 {
  return f64x2.add(f64x2.mul(q, v128.load(pb + off)), f64x2.mul(x, v128.load(pb + off + 16)));
}

/** Accumulate x²·p + x·b of the non-zeros t = 0..cnt−1 into four f64x2 vectors: components g..g+7. */
@inline function sparseDistances8(lp: usize, val: usize, sq: usize, poff: usize, cnt: i32, pg: usize): void {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let a2 = f64x2.splat(0);
  let a3 = f64x2.splat(0);
  for (let t = 0; t < cnt; t++) {
    const o = <usize>load<i32>(poff + (<usize>t << 2));
    const x = v128.load64_splat(val + (<usize>t << 3));
    const q = v128.load64_splat(sq + (<usize>t << 3));
    const p = pg + o;
    a0 = f64x2.add(a0, pairTerm(q, x, p, 0));
    a1 = f64x2.add(a1, pairTerm(q, x, p, 32));
    a2 = f64x2.add(a2, pairTerm(q, x, p, 64));
    a3 = f64x2.add(a3, pairTerm(q, x, p, 96));
  }
  v128.store(lp, a0);
  v128.store(lp, a1, 16);
  v128.store(lp, a2, 32);
  v128.store(lp, a3, 48);
}

/**
 * The same for components g..g+3 (wide) or g, g+1: two or one f64x2 vectors, two non-zeros per
 * step in separate accumulators. `wide` is a constant at each call, so each inlined copy has one shape.
 */
@inline function sparseDistancesNarrow(lp: usize, val: usize, sq: usize, poff: usize, cnt: i32, pg: usize, wide: bool): void {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let b0 = f64x2.splat(0);
  let b1 = f64x2.splat(0);
  let t = 0;
  for (; t + 2 <= cnt; t += 2) {
    const o0 = <usize>load<i32>(poff + (<usize>t << 2));
    const o1 = <usize>load<i32>(poff + (<usize>t << 2), 4);
    const x0 = v128.load64_splat(val + (<usize>t << 3));
    const q0 = v128.load64_splat(sq + (<usize>t << 3));
    const x1 = v128.load64_splat(val + (<usize>t << 3), 8);
    const q1 = v128.load64_splat(sq + (<usize>t << 3), 8);
    a0 = f64x2.add(a0, pairTerm(q0, x0, pg + o0, 0));
    b0 = f64x2.add(b0, pairTerm(q1, x1, pg + o1, 0));
    if (wide) {
      a1 = f64x2.add(a1, pairTerm(q0, x0, pg + o0, 32));
      b1 = f64x2.add(b1, pairTerm(q1, x1, pg + o1, 32));
    }
  }
  if (t < cnt) {
    const o0 = <usize>load<i32>(poff + (<usize>t << 2));
    const x0 = v128.load64_splat(val + (<usize>t << 3));
    const q0 = v128.load64_splat(sq + (<usize>t << 3));
    a0 = f64x2.add(a0, pairTerm(q0, x0, pg + o0, 0));
    if (wide) a1 = f64x2.add(a1, pairTerm(q0, x0, pg + o0, 32));
  }
  v128.store(lp, f64x2.add(a0, b0));
  if (wide) v128.store(lp, f64x2.add(a1, b1), 16);
}

/**
 * lp[k] = Σ_t x_t² p_k,j(t) + x_t·(−2 μ p)_k,j(t) over a compacted row, for all KP components:
 * eight components per pass over the non-zeros while eight remain, then four, then two. (Six
 * accumulators in one pass spilled in V8 and were slower; padding K to 4 instead of 2 cost 10 %.)
 */
@inline function sparseDistances(lp: usize, val: usize, sq: usize, poff: usize, cnt: i32, kp: i32, pbT: usize): void {
  let g = 0;
  for (; g + 8 <= kp; g += 8) {
    sparseDistances8(lp + (<usize>g << 3), val, sq, poff, cnt, pbT + (<usize>g << 4));
  }
  if (g + 4 <= kp) {
    sparseDistancesNarrow(lp + (<usize>g << 3), val, sq, poff, cnt, pbT + (<usize>g << 4), true);
    g += 4;
  }
  if (g < kp) sparseDistancesNarrow(lp + (<usize>g << 3), val, sq, poff, cnt, pbT + (<usize>g << 4), false);
}

/**
 * The fused diagonal E-step (same contract as estepDiagF32: accumulates, += into sumR K, sumX K×d
 * = Σ r·(x − c_k), sumX2 K×d = Σ r·(x − c_k)², c = means; returns Σ log p(x_i)) over n rows of X
 * (f32 n×d), by the sparse form when estepDiagSparsePath says so, else by estepDiagF32.
 * means, prec (K×d), logConst (K) as estepDiagF32; pbT, quad (K) from
 * prepareDiagSparseF64. scratch: estepDiagSparseScratch(d, K) f64. The path of each call (chunk):
 * estepDiagSparsePath.
 */
export function estepDiagByDensityF32(
  sumR: usize, sumX: usize, sumX2: usize, scratch: usize,
  x: usize, means: usize, prec: usize, logConst: usize, pbT: usize, quad: usize,
  n: i32, d: i32, k: i32,
): f64 {
  if (estepDiagSparsePath(x, quad, n, d, k) == 0) {
    return estepDiagF32(sumR, sumX, sumX2, scratch, x, means, prec, logConst, n, d, k);
  }
  return estepDiagSparseF32(sumR, sumX, sumX2, scratch, x, means, logConst, pbT, quad, n, d, k);
}

/**
 * The sparse form on every row, whatever the rule says (tests compare it with the dense kernel).
 * Arguments as estepDiagByDensityF32 without prec.
 */
export function estepDiagSparseF32(
  sumR: usize, sumX: usize, sumX2: usize, scratch: usize,
  x: usize, means: usize, logConst: usize, pbT: usize, quad: usize,
  n: i32, d: i32, k: i32,
): f64 {
  const kp = paddedK(k);
  const rowF32 = <usize>d << 2;
  const rowF64 = <usize>d << 3;
  const lp = scratch; // KP
  const rSum = lp + (<usize>kp << 3); // K: R of this call
  const w = rSum + (<usize>k << 3); // K×d: W
  // Compacted row: d + 4 entries each (compactRow's stores run up to 3 past the count).
  const slot = rowF64 + 32;
  const val = w + <usize>k * rowF64; // f64
  const sq = val + slot; // f64
  const poff = sq + slot; // i32
  const soff = poff + slot; // i32
  const stage = soff + slot; // f32 values, then i32 indices (half a slot each)
  const half = <usize>(d + 4) << 2;
  memory.fill(rSum, 0, (<usize>k << 3) + <usize>k * rowF64);
  let ll: f64 = 0;
  for (let i = 0; i < n; i++) {
    const cnt = compactRow(val, sq, poff, soff, stage, stage + half, x + <usize>i * rowF32, d, kp);
    sparseDistances(lp, val, sq, poff, cnt, kp, pbT);
    for (let c = 0; c < k; c++) {
      const o = <usize>c << 3;
      store<f64>(lp + o, load<f64>(logConst + o) - 0.5 * (load<f64>(quad + o) + load<f64>(lp + o)));
    }
    ll += logSumExpToResp(lp, k);
    for (let c = 0; c < k; c++) {
      const r = load<f64>(lp + (<usize>c << 3));
      if (r == 0) continue;
      store<f64>(rSum + (<usize>c << 3), load<f64>(rSum + (<usize>c << 3)) + r);
      const base = <usize>c * rowF64;
      const cb = means + base;
      const s1 = sumX + base;
      const s2 = sumX2 + base;
      const wb = w + base;
      for (let t = 0; t < cnt; t++) {
        const jo = <usize>load<i32>(soff + (<usize>t << 2));
        const u = load<f64>(val + (<usize>t << 3)) - load<f64>(cb + jo);
        const ru = r * u;
        store<f64>(wb + jo, load<f64>(wb + jo) + r);
        store<f64>(s1 + jo, load<f64>(s1 + jo) + ru);
        store<f64>(s2 + jo, load<f64>(s2 + jo) + ru * u);
      }
    }
  }
  // The zeros: r·(0 − c) and r·c² for every row where x_j = 0, i.e. Z = R − W of them.
  for (let c = 0; c < k; c++) {
    const rc = load<f64>(rSum + (<usize>c << 3));
    store<f64>(sumR + (<usize>c << 3), load<f64>(sumR + (<usize>c << 3)) + rc);
    const base = <usize>c * rowF64;
    for (let j = 0; j < d; j++) {
      const o = base + (<usize>j << 3);
      const z = rc - load<f64>(w + o);
      if (z == 0) continue;
      const cj = load<f64>(means + o);
      store<f64>(sumX + o, load<f64>(sumX + o) - cj * z);
      store<f64>(sumX2 + o, load<f64>(sumX2 + o) + cj * cj * z);
    }
  }
  return ll;
}
