// Column means and sample covariance (divisor n − 1, as numpy.cov and sklearn).
// Both kernels pack a chunk of rows column-major (a "panel"), then fill the upper
// triangle of XᵀX tile by tile (2 columns × 4 columns per tile) and mirror at the end.
// The per-chunk helpers are exported so that they stay separate functions: V8 runs a
// function's first call in its baseline compiler and switches to optimised code only on a
// later call, so a loop inlined into a one-shot driver would never be optimised.
// See docs/pca.md for the exact integer path and the error analysis.

/** Rows per packed chunk of the u8 kernel: the i16 panel (d × 512 × 2 bytes) stays in L2. */
const PACK_ROWS_U8: i32 = 512;
/** Rows per packed chunk of the f32 kernel: the f64 panel (d × 128 × 8 bytes) stays in L2. */
const PACK_ROWS_F32: i32 = 128;

/** Rows of the packing panel `covarianceU8` needs: its `pack` holds ceil4(d) × this many i16. */
export function covPackRowsU8(): i32 {
  return PACK_ROWS_U8;
}

/** Rows of the packing panel `covarianceF32` needs: its `pack` holds ceil4(d) × this many f64. */
export function covPackRowsF32(): i32 {
  return PACK_ROWS_F32;
}

/**
 * Exact covariance of quantized data x·scale, x: u8 row-major n×d.
 * out: f64 d×d (full, symmetric); mean: f64 d; pack: i16 ceil4(d)×covPackRowsU8();
 * cols: i32 2·d (chunk column sums, then the list of non-zero columns).
 * Sums are integers: Σx and Σxxᵀ are exact in i64, n·Σxxᵀ − ΣxΣxᵀ is exact, and the
 * only roundings are the final i64→f64 conversion, the division and the scale.
 * Requires n ≤ 11 900 000 so that n²·255² < 2⁶³.
 */
export function covarianceU8(out: usize, mean: usize, x: usize, n: i32, d: i32, scale: f64, pack: usize, cols: usize): void {
  // out and mean hold i64 sums until the last pass converts them in place.
  memory.fill(out, 0, (<usize>d * <usize>d) << 3);
  memory.fill(mean, 0, <usize>d << 3);
  const K = PACK_ROWS_U8;
  const chunkSum = cols;
  const live = cols + (<usize>d << 2);
  for (let r0 = 0; r0 < n; r0 += K) {
    const rows = min(K, n - r0);
    const m = chunkLiveColumnsU8(chunkSum, live, mean, x + <usize>r0 * <usize>d, rows, d);
    if (m == 0) continue;
    packPanelU8(pack, live, x + <usize>r0 * <usize>d, rows, d, m, K);
    syrkPanelI16(out, pack, live, d, m, (rows + 7) & ~7, K);
  }
  finishIntegerCov(out, mean, n, d, scale);
}

/**
 * Covariance of f32 data, x: row-major n×d, accumulated in f64 from centred values.
 * out: f64 d×d (full, symmetric); mean: f64 d; pack: f64 ceil4(d)×covPackRowsF32().
 * Two passes: means first, then Σ(x − μ)(x − μ)ᵀ with x − μ formed in f64 (one rounding
 * each) and products and sums in f64: the accuracy of a float64 two-pass algorithm.
 */
export function covarianceF32(out: usize, mean: usize, x: usize, n: i32, d: i32, pack: usize): void {
  columnMeansF32(mean, x, n, d);
  memory.fill(out, 0, (<usize>d * <usize>d) << 3);
  const K = PACK_ROWS_F32;
  for (let r0 = 0; r0 < n; r0 += K) {
    const rows = min(K, n - r0);
    packPanelCentredF32(pack, mean, x + (<usize>r0 * <usize>d << 2), rows, d, K);
    syrkPanelF64(out, pack, d, (rows + 1) & ~1, K);
  }
  // Floor of 1 on the divisor: with one row the covariance is 0, not NaN (the wrappers reject n < 2).
  mirrorDivideUpper(out, d, <f64>max(n - 1, 1));
}

/** Column means of f32 x (row-major n×d) in f64: mean f64 d. */
export function columnMeansF32(mean: usize, x: usize, n: i32, d: i32): void {
  memory.fill(mean, 0, <usize>d << 3);
  for (let r = 0; r < n; r++) addRowF32(mean, x + (<usize>r * <usize>d << 2), d);
  // Floor of 1 on the divisor: the mean of zero rows is reported as 0. A division, not a
  // product with 1/n, so that constant columns have their value as mean exactly.
  const nf = <f64>max(n, 1);
  for (let j = 0; j < d; j++) {
    const p = mean + (<usize>j << 3);
    store<f64>(p, load<f64>(p) / nf);
  }
}

/** acc[j] += row[j] for j < d: acc f64, row f32. */
export function addRowF32(acc: usize, row: usize, d: i32): void {
  let j = 0;
  // Four values per step (two f64x2): also keeps this function large enough not to be
  // inlined into its one-shot caller (see the header).
  for (; j + 4 <= d; j += 4) {
    const p = acc + (<usize>j << 3);
    const q = row + (<usize>j << 2);
    v128.store(p, f64x2.add(v128.load(p), f64x2.promote_low_f32x4(v128.load64_zero(q))));
    v128.store(p + 16, f64x2.add(v128.load(p + 16), f64x2.promote_low_f32x4(v128.load64_zero(q + 8))));
  }
  for (; j < d; j++) {
    const p = acc + (<usize>j << 3);
    store<f64>(p, load<f64>(p) + <f64>load<f32>(row + (<usize>j << 2)));
  }
}

// ---------------------------------------------------------------------------
// u8 path: packing and the i16 tile kernel

/**
 * Adds each column's chunk sum to the i64 totals in `sums`, and lists the columns that
 * are not all zero in this chunk (zero columns add nothing to Σxxᵀ, so they are skipped).
 * Returns how many columns are live.
 */
export function chunkLiveColumnsU8(chunkSum: usize, live: usize, sums: usize, x: usize, rows: i32, d: i32): i32 {
  memory.fill(chunkSum, 0, <usize>d << 2);
  for (let r = 0; r < rows; r++) {
    const row = x + <usize>r * <usize>d;
    let j = 0;
    // 16 bytes widened to four i32x4 partial sums; a chunk sum is at most 512·255.
    for (; j + 16 <= d; j += 16) {
      const v = v128.load(row + <usize>j);
      const lo = i16x8.extend_low_i8x16_u(v);
      const hi = i16x8.extend_high_i8x16_u(v);
      const p = chunkSum + (<usize>j << 2);
      v128.store(p, i32x4.add(v128.load(p), i32x4.extend_low_i16x8_u(lo)));
      v128.store(p + 16, i32x4.add(v128.load(p + 16), i32x4.extend_high_i16x8_u(lo)));
      v128.store(p + 32, i32x4.add(v128.load(p + 32), i32x4.extend_low_i16x8_u(hi)));
      v128.store(p + 48, i32x4.add(v128.load(p + 48), i32x4.extend_high_i16x8_u(hi)));
    }
    for (; j < d; j++) {
      const p = chunkSum + (<usize>j << 2);
      store<i32>(p, load<i32>(p) + <i32>load<u8>(row + <usize>j));
    }
  }
  let m = 0;
  for (let j = 0; j < d; j++) {
    const s = load<i32>(chunkSum + (<usize>j << 2));
    const p = sums + (<usize>j << 3);
    store<i64>(p, load<i64>(p) + <i64>s);
    if (s != 0) {
      store<i32>(live + (<usize>m << 2), j);
      m++;
    }
  }
  return m;
}

/**
 * Panel of the live columns: pack[a·K + r] = x[r, live[a]] as i16, for a < ceil4(m),
 * r < ceil8(rows); padding rows and columns are zero, so they add nothing to the sums.
 */
export function packPanelU8(pack: usize, live: usize, x: usize, rows: i32, d: i32, m: i32, K: i32): void {
  const mPad = (m + 3) & ~3;
  const rPad = (rows + 7) & ~7;
  for (let r = 0; r < rows; r++) {
    const row = x + <usize>r * <usize>d;
    for (let a = 0; a < m; a++) {
      const j = load<i32>(live + (<usize>a << 2));
      store<i16>(pack + ((<usize>a * <usize>K + <usize>r) << 1), <i16>load<u8>(row + <usize>j));
    }
  }
  for (let a = 0; a < m; a++) {
    for (let r = rows; r < rPad; r++) store<i16>(pack + ((<usize>a * <usize>K + <usize>r) << 1), 0);
  }
  for (let a = m; a < mPad; a++) memory.fill(pack + ((<usize>a * <usize>K) << 1), 0, <usize>rPad << 1);
}

/**
 * Adds the upper triangle of PᵀP (P the packed panel, m live columns, rPad rows, a
 * multiple of 8) to the i64 matrix `out` (d×d) at the live columns' positions.
 * Each i32 lane gains at most 2·255² per step of 8 rows, so after K/8 steps a lane is
 * ≤ K/8 · 130050 < 2³¹ for K ≤ 132 096; the lanes are flushed to i64 after every chunk.
 */
export function syrkPanelI16(out: usize, pack: usize, live: usize, d: i32, m: i32, rPad: i32, K: i32): void {
  const mPad = (m + 3) & ~3;
  const stride = <usize>K << 1;
  for (let a = 0; a < mPad; a += 2) {
    const pa0 = pack + <usize>a * stride;
    const pa1 = pa0 + stride;
    for (let b = a & ~3; b < mPad; b += 4) {
      const pb0 = pack + <usize>b * stride;
      const pb1 = pb0 + stride;
      const pb2 = pb1 + stride;
      const pb3 = pb2 + stride;
      let s00 = i32x4.splat(0), s01 = i32x4.splat(0), s02 = i32x4.splat(0), s03 = i32x4.splat(0);
      let s10 = i32x4.splat(0), s11 = i32x4.splat(0), s12 = i32x4.splat(0), s13 = i32x4.splat(0);
      for (let k = 0; k < rPad; k += 8) {
        const o = <usize>k << 1;
        const x0 = v128.load(pa0 + o);
        const x1 = v128.load(pa1 + o);
        const y0 = v128.load(pb0 + o);
        s00 = i32x4.add(s00, i32x4.dot_i16x8_s(x0, y0));
        s10 = i32x4.add(s10, i32x4.dot_i16x8_s(x1, y0));
        const y1 = v128.load(pb1 + o);
        s01 = i32x4.add(s01, i32x4.dot_i16x8_s(x0, y1));
        s11 = i32x4.add(s11, i32x4.dot_i16x8_s(x1, y1));
        const y2 = v128.load(pb2 + o);
        s02 = i32x4.add(s02, i32x4.dot_i16x8_s(x0, y2));
        s12 = i32x4.add(s12, i32x4.dot_i16x8_s(x1, y2));
        const y3 = v128.load(pb3 + o);
        s03 = i32x4.add(s03, i32x4.dot_i16x8_s(x0, y3));
        s13 = i32x4.add(s13, i32x4.dot_i16x8_s(x1, y3));
      }
      flushI32(out, live, d, m, a, b, s00);
      flushI32(out, live, d, m, a, b + 1, s01);
      flushI32(out, live, d, m, a, b + 2, s02);
      flushI32(out, live, d, m, a, b + 3, s03);
      flushI32(out, live, d, m, a + 1, b, s10);
      flushI32(out, live, d, m, a + 1, b + 1, s11);
      flushI32(out, live, d, m, a + 1, b + 2, s12);
      flushI32(out, live, d, m, a + 1, b + 3, s13);
    }
  }
}

/** out[live[a], live[b]] += Σ lanes of s (i64), for a ≤ b < m (padding and lower-triangle tiles skipped). */
@inline function flushI32(out: usize, live: usize, d: i32, m: i32, a: i32, b: i32, s: v128): void {
  if (a <= b && b < m) {
    const i = load<i32>(live + (<usize>a << 2));
    const j = load<i32>(live + (<usize>b << 2));
    const t = <i64>i32x4.extract_lane(s, 0) + <i64>i32x4.extract_lane(s, 1) +
      <i64>i32x4.extract_lane(s, 2) + <i64>i32x4.extract_lane(s, 3);
    const p = out + ((<usize>i * <usize>d + <usize>j) << 3);
    store<i64>(p, load<i64>(p) + t);
  }
}

/**
 * From i64 sums S = Σxxᵀ (upper triangle of out) and s = Σx (in mean):
 * cov = scale²·(n·S − s sᵀ)/(n(n − 1)), exact up to the last f64 roundings; mean = scale·s/n.
 */
function finishIntegerCov(out: usize, mean: usize, n: i32, d: i32, scale: f64): void {
  const nn = <i64>n;
  // Floor of 1 on n − 1: a single row has covariance 0 (the wrappers reject n < 2).
  // n(n − 1) < 2⁵³ is exact, so the division rounds once, then the scale once more.
  const denom = <f64>n * <f64>max(n - 1, 1);
  const s2 = scale * scale;
  for (let i = 0; i < d; i++) {
    const si = load<i64>(mean + (<usize>i << 3));
    for (let j = i; j < d; j++) {
      const sj = load<i64>(mean + (<usize>j << 3));
      const p = out + ((<usize>i * <usize>d + <usize>j) << 3);
      const c = <f64>(nn * load<i64>(p) - si * sj) / denom * s2;
      store<f64>(p, c);
      store<f64>(out + ((<usize>j * <usize>d + <usize>i) << 3), c);
    }
  }
  // Floor of 1 on n: the mean of zero rows is 0.
  const nf = <f64>max(n, 1);
  for (let i = 0; i < d; i++) {
    const p = mean + (<usize>i << 3);
    store<f64>(p, <f64>load<i64>(p) / nf * scale);
  }
}

// ---------------------------------------------------------------------------
// f32 path: centred f64 panel and the f64x2 tile kernel

/** Panel pack[c·K + r] = x[r, c] − mean[c] in f64, c < ceil4(d), r < ceil2(rows); padding is zero. */
export function packPanelCentredF32(pack: usize, mean: usize, x: usize, rows: i32, d: i32, K: i32): void {
  const dPad = (d + 3) & ~3;
  const rPad = (rows + 1) & ~1;
  for (let r = 0; r < rows; r++) {
    const row = x + (<usize>r * <usize>d << 2);
    for (let c = 0; c < d; c++) {
      const v = <f64>load<f32>(row + (<usize>c << 2)) - load<f64>(mean + (<usize>c << 3));
      store<f64>(pack + ((<usize>c * <usize>K + <usize>r) << 3), v);
    }
  }
  for (let c = 0; c < d; c++) {
    for (let r = rows; r < rPad; r++) store<f64>(pack + ((<usize>c * <usize>K + <usize>r) << 3), 0);
  }
  for (let c = d; c < dPad; c++) memory.fill(pack + ((<usize>c * <usize>K) << 3), 0, <usize>rPad << 3);
}

/** Adds the upper triangle of PᵀP (f64 panel, d columns, rPad rows, a multiple of 2) to out (f64 d×d). */
export function syrkPanelF64(out: usize, pack: usize, d: i32, rPad: i32, K: i32): void {
  const dPad = (d + 3) & ~3;
  const stride = <usize>K << 3;
  for (let a = 0; a < dPad; a += 2) {
    const pa0 = pack + <usize>a * stride;
    const pa1 = pa0 + stride;
    for (let b = a & ~3; b < dPad; b += 4) {
      const pb0 = pack + <usize>b * stride;
      const pb1 = pb0 + stride;
      const pb2 = pb1 + stride;
      const pb3 = pb2 + stride;
      let s00 = f64x2.splat(0), s01 = f64x2.splat(0), s02 = f64x2.splat(0), s03 = f64x2.splat(0);
      let s10 = f64x2.splat(0), s11 = f64x2.splat(0), s12 = f64x2.splat(0), s13 = f64x2.splat(0);
      for (let k = 0; k < rPad; k += 2) {
        const o = <usize>k << 3;
        const x0 = v128.load(pa0 + o);
        const x1 = v128.load(pa1 + o);
        const y0 = v128.load(pb0 + o);
        s00 = f64x2.add(s00, f64x2.mul(x0, y0));
        s10 = f64x2.add(s10, f64x2.mul(x1, y0));
        const y1 = v128.load(pb1 + o);
        s01 = f64x2.add(s01, f64x2.mul(x0, y1));
        s11 = f64x2.add(s11, f64x2.mul(x1, y1));
        const y2 = v128.load(pb2 + o);
        s02 = f64x2.add(s02, f64x2.mul(x0, y2));
        s12 = f64x2.add(s12, f64x2.mul(x1, y2));
        const y3 = v128.load(pb3 + o);
        s03 = f64x2.add(s03, f64x2.mul(x0, y3));
        s13 = f64x2.add(s13, f64x2.mul(x1, y3));
      }
      flushF64(out, d, a, b, s00);
      flushF64(out, d, a, b + 1, s01);
      flushF64(out, d, a, b + 2, s02);
      flushF64(out, d, a, b + 3, s03);
      flushF64(out, d, a + 1, b, s10);
      flushF64(out, d, a + 1, b + 1, s11);
      flushF64(out, d, a + 1, b + 2, s12);
      flushF64(out, d, a + 1, b + 3, s13);
    }
  }
}

/** out[a, b] += both lanes of s, for a ≤ b < d. */
@inline function flushF64(out: usize, d: i32, a: i32, b: i32, s: v128): void {
  if (a <= b && b < d) {
    const p = out + ((<usize>a * <usize>d + <usize>b) << 3);
    store<f64>(p, load<f64>(p) + f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1));
  }
}

/** out[i, j] = out[j, i] = out[i, j] / k for i ≤ j (the upper triangle is the source). */
function mirrorDivideUpper(out: usize, d: i32, k: f64): void {
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const c = load<f64>(out + ((<usize>i * <usize>d + <usize>j) << 3)) / k;
      store<f64>(out + ((<usize>i * <usize>d + <usize>j) << 3), c);
      store<f64>(out + ((<usize>j * <usize>d + <usize>i) << 3), c);
    }
  }
}
