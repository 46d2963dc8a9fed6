// Full-covariance Gaussian-mixture kernels: Cholesky → inverse factor, the fused
// E-step + sufficient statistics, the M-step, and per-component log-probabilities.
// Mathematics (W = L⁻¹, log|S| from the diagonal, shifted moments, the M-step, cost):
// docs/gmm.md, "Full covariances".
//
// Layouts (all row-major, f64 unless said):
//   x           f32 n×d (rows are samples)
//   covariances K×d×d covariance matrices S_k (symmetric; the Cholesky reads the lower triangle)
//   precChol    K×d×d, W_k = L_k⁻¹ (lower triangular, zeros above the diagonal) where S_k = L_k L_kᵀ
//   logDet      K, log|S_k|
//   sumXX       K×d×d, Σ_i r_ik (x_i − c_k)(x_i − c_k)ᵀ around the shift c_k; the upper triangle
//               (b ≥ a) is exact, the M-step reads only it.
//
// The E-step works on blocks of BLOCK rows transposed to d×BLOCK (f64), so SIMD runs over
// rows: each lane is a sample and no d is special. The last block is zero-padded to a multiple
// of 8 rows and padded rows get responsibility 0, which is the scalar tail of every loop here.

import { respMomentsF32, shiftFromMomentsF64 } from "./estep";
import { hsumF64x2, LOG_2PI, logSumExpF64, NK_EPS } from "./simd";

const BLOCK: i32 = 64;
const BLOCK_BYTES: usize = <usize>BLOCK << 3; // stride of one row of a d×BLOCK f64 panel

/** f64 elements of scratch that every kernel of this file needs (d features, k components). */
export function fullScratchLength(d: i32, k: i32): i32 {
  // The E-step's XT, DT, RD panels (d×BLOCK each), logits/responsibilities (k×BLOCK) and maha
  // (BLOCK); precisionCholeskyF64's factor L (d×d).
  return max(3 * d * BLOCK + k * BLOCK + BLOCK, d * d);
}

// ---------------------------------------------------------------------------------------------
// Cholesky and the inverse factor

/**
 * precChol (k×d×d) = W_c = L_c⁻¹ and logDet (k) = log|S_c| for k covariances (k×d×d, f64).
 * scratch: d×d f64 (fullScratchLength covers it). Returns −1, or the index of the first
 * component whose pivot is not positive (relative to its diagonal: a column that is a
 * combination of earlier ones to machine precision).
 */
export function precisionCholeskyF64(
  precChol: usize, logDet: usize, scratch: usize, covariances: usize, d: i32, k: i32,
): i32 {
  const dd = <usize>(d * d);
  const rowB = <usize>d << 3;
  // A pivot below d·eps of its diagonal is rounding noise, not variance.
  const pivotTol = <f64>d * f64.EPSILON;
  for (let c = 0; c < k; c++) {
    const A = covariances + ((<usize>c * dd) << 3);
    const W = precChol + ((<usize>c * dd) << 3);
    const L = scratch;
    let sumLogL: f64 = 0;
    for (let j = 0; j < d; j++) {
      const Lj = L + <usize>j * rowB;
      const ajj = load<f64>(A + <usize>j * rowB + (<usize>j << 3));
      let s = ajj;
      for (let m = 0; m < j; m++) {
        const v = load<f64>(Lj + (<usize>m << 3));
        s -= v * v;
      }
      if (!(s > 0) || s <= pivotTol * ajj) return c;
      const ljj = Math.sqrt(s);
      store<f64>(Lj + (<usize>j << 3), ljj);
      sumLogL += Math.log(ljj);
      const inv = 1.0 / ljj; // ljj > 0 checked above
      for (let i = j + 1; i < d; i++) {
        const Li = L + <usize>i * rowB;
        let t = load<f64>(A + <usize>i * rowB + (<usize>j << 3));
        for (let m = 0; m < j; m++) t -= load<f64>(Li + (<usize>m << 3)) * load<f64>(Lj + (<usize>m << 3));
        store<f64>(Li + (<usize>j << 3), t * inv);
      }
    }
    store<f64>(logDet + (<usize>c << 3), 2 * sumLogL);
    // Inverse of the lower factor, column by column: W[i][j] = −(Σ_{m=j}^{i−1} L[i][m] W[m][j]) / L[i][i]
    // (every L[i][i] passed the pivot test above, so the divides are safe).
    for (let i = 0; i < d; i++) {
      for (let j = i + 1; j < d; j++) store<f64>(W + <usize>i * rowB + (<usize>j << 3), 0);
    }
    for (let j = 0; j < d; j++) {
      store<f64>(W + <usize>j * rowB + (<usize>j << 3), 1.0 / load<f64>(L + <usize>j * rowB + (<usize>j << 3)));
      for (let i = j + 1; i < d; i++) {
        const Li = L + <usize>i * rowB;
        let t: f64 = 0;
        for (let m = j; m < i; m++) t += load<f64>(Li + (<usize>m << 3)) * load<f64>(W + <usize>m * rowB + (<usize>j << 3));
        store<f64>(W + <usize>i * rowB + (<usize>j << 3), -t / load<f64>(Li + (<usize>i << 3)));
      }
    }
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Block helpers (panels are d×BLOCK f64, rows of the panel are features, lanes are samples)

/** XT[m][i] = X[row0 + i][m] for i < nb, 0 for nb ≤ i < nbp. */
@inline function transposeBlock(XT: usize, X: usize, row0: i32, nb: i32, nbp: i32, d: i32): void {
  for (let i = 0; i < nb; i++) {
    const xi = X + ((<usize>(row0 + i) * <usize>d) << 2);
    const col = XT + (<usize>i << 3);
    for (let m = 0; m < d; m++) store<f64>(col + <usize>m * BLOCK_BYTES, <f64>load<f32>(xi + (<usize>m << 2)));
  }
  for (let m = 0; m < d; m++) {
    const row = XT + <usize>m * BLOCK_BYTES;
    for (let i = nb; i < nbp; i++) store<f64>(row + (<usize>i << 3), 0);
  }
}

/** DT = XT − c (c: d values, broadcast over samples). */
@inline function centerBlock(DT: usize, XT: usize, c: usize, nbp: i32, d: i32): void {
  for (let m = 0; m < d; m++) {
    const cm = f64x2.splat(load<f64>(c + (<usize>m << 3)));
    const src = XT + <usize>m * BLOCK_BYTES;
    const dst = DT + <usize>m * BLOCK_BYTES;
    for (let i = 0; i < nbp; i += 2) {
      const o = <usize>i << 3;
      v128.store(dst + o, f64x2.sub(v128.load(src + o), cm));
    }
  }
}

/**
 * maha[i] = ‖W·DT[:, i]‖² for i < nbp (W lower triangular d×d with zeros above the diagonal).
 * Tiles of 2 output features × 8 samples; the product by the inverse factor has no dependency
 * chain, which is why it is stored instead of L (forward substitution would serialise over j).
 */
function mahalanobisBlock(maha: usize, DT: usize, W: usize, nbp: i32, d: i32): void {
  const rowB = <usize>d << 3;
  const zero = f64x2.splat(0);
  for (let i0 = 0; i0 < nbp; i0 += 8) {
    const col = DT + (<usize>i0 << 3);
    let q0 = zero, q1 = zero, q2 = zero, q3 = zero;
    let j = 0;
    for (; j + 2 <= d; j += 2) {
      const w0 = W + <usize>j * rowB;
      const w1 = w0 + rowB;
      let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
      let b0 = zero, b1 = zero, b2 = zero, b3 = zero;
      // W[j][j+1] = 0, so one loop to j+1 serves both rows.
      for (let m = 0; m <= j + 1; m++) {
        const p = col + <usize>m * BLOCK_BYTES;
        const x0 = v128.load(p), x1 = v128.load(p, 16), x2 = v128.load(p, 32), x3 = v128.load(p, 48);
        const s = f64x2.splat(load<f64>(w0 + (<usize>m << 3)));
        const t = f64x2.splat(load<f64>(w1 + (<usize>m << 3)));
        a0 = f64x2.add(a0, f64x2.mul(s, x0)); a1 = f64x2.add(a1, f64x2.mul(s, x1));
        a2 = f64x2.add(a2, f64x2.mul(s, x2)); a3 = f64x2.add(a3, f64x2.mul(s, x3));
        b0 = f64x2.add(b0, f64x2.mul(t, x0)); b1 = f64x2.add(b1, f64x2.mul(t, x1));
        b2 = f64x2.add(b2, f64x2.mul(t, x2)); b3 = f64x2.add(b3, f64x2.mul(t, x3));
      }
      q0 = f64x2.add(q0, f64x2.add(f64x2.mul(a0, a0), f64x2.mul(b0, b0)));
      q1 = f64x2.add(q1, f64x2.add(f64x2.mul(a1, a1), f64x2.mul(b1, b1)));
      q2 = f64x2.add(q2, f64x2.add(f64x2.mul(a2, a2), f64x2.mul(b2, b2)));
      q3 = f64x2.add(q3, f64x2.add(f64x2.mul(a3, a3), f64x2.mul(b3, b3)));
    }
    if (j < d) {
      // Odd d: the last feature alone.
      const w0 = W + <usize>j * rowB;
      let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
      for (let m = 0; m <= j; m++) {
        const p = col + <usize>m * BLOCK_BYTES;
        const s = f64x2.splat(load<f64>(w0 + (<usize>m << 3)));
        a0 = f64x2.add(a0, f64x2.mul(s, v128.load(p))); a1 = f64x2.add(a1, f64x2.mul(s, v128.load(p, 16)));
        a2 = f64x2.add(a2, f64x2.mul(s, v128.load(p, 32))); a3 = f64x2.add(a3, f64x2.mul(s, v128.load(p, 48)));
      }
      q0 = f64x2.add(q0, f64x2.mul(a0, a0)); q1 = f64x2.add(q1, f64x2.mul(a1, a1));
      q2 = f64x2.add(q2, f64x2.mul(a2, a2)); q3 = f64x2.add(q3, f64x2.mul(a3, a3));
    }
    const o = maha + (<usize>i0 << 3);
    v128.store(o, q0); v128.store(o, q1, 16); v128.store(o, q2, 32); v128.store(o, q3, 48);
  }
}

/**
 * Component k on a transposed block: DT = XT − μ_k, maha[i] = ‖W_k (x_i − μ_k)‖², and the
 * returned constant log π_k − ½(d·log 2π + log|S_k|), so log π_k N(x_i) = base − ½·maha[i].
 * Shared by the E-step and logprobFullF32, so both compute the same bits for a row.
 */
@inline function componentBlock(
  maha: usize, DT: usize, XT: usize, means: usize, precChol: usize, logDet: usize, logWeights: usize,
  k: i32, nbp: i32, d: i32, constTerm: f64,
): f64 {
  centerBlock(DT, XT, means + ((<usize>(k * d)) << 3), nbp, d);
  mahalanobisBlock(maha, DT, precChol + ((<usize>k * <usize>(d * d)) << 3), nbp, d);
  return load<f64>(logWeights + (<usize>k << 3)) - 0.5 * (constTerm + load<f64>(logDet + (<usize>k << 3)));
}

/** Dot of two panel rows over nbp samples (nbp even). */
@inline function dotRow(p: usize, q: usize, nbp: i32): f64 {
  let acc = f64x2.splat(0);
  for (let i = 0; i < nbp; i += 2) {
    const o = <usize>i << 3;
    acc = f64x2.add(acc, f64x2.mul(v128.load(p + o), v128.load(q + o)));
  }
  return hsumF64x2(acc);
}

/**
 * S[a][b] += Σ_i RD[a][i]·DT[b][i] for b ≥ a (also fills S[a+1][a], which is correct too).
 * Tiles of 2 rows × 4 columns with SIMD over samples: 6 loads per 8 multiply-adds.
 */
function rankUpdateBlock(S: usize, RD: usize, DT: usize, nbp: i32, d: i32): void {
  const rowB = <usize>d << 3;
  const zero = f64x2.splat(0);
  let a = 0;
  for (; a + 2 <= d; a += 2) {
    const r0 = RD + <usize>a * BLOCK_BYTES;
    const r1 = r0 + BLOCK_BYTES;
    const s0 = S + <usize>a * rowB;
    const s1 = s0 + rowB;
    let b = a;
    for (; b + 4 <= d; b += 4) {
      const t0 = DT + <usize>b * BLOCK_BYTES;
      const t1 = t0 + BLOCK_BYTES, t2 = t1 + BLOCK_BYTES, t3 = t2 + BLOCK_BYTES;
      let c00 = zero, c01 = zero, c02 = zero, c03 = zero;
      let c10 = zero, c11 = zero, c12 = zero, c13 = zero;
      for (let i = 0; i < nbp; i += 2) {
        const o = <usize>i << 3;
        const u = v128.load(r0 + o), v = v128.load(r1 + o);
        const y0 = v128.load(t0 + o), y1 = v128.load(t1 + o), y2 = v128.load(t2 + o), y3 = v128.load(t3 + o);
        c00 = f64x2.add(c00, f64x2.mul(u, y0)); c01 = f64x2.add(c01, f64x2.mul(u, y1));
        c02 = f64x2.add(c02, f64x2.mul(u, y2)); c03 = f64x2.add(c03, f64x2.mul(u, y3));
        c10 = f64x2.add(c10, f64x2.mul(v, y0)); c11 = f64x2.add(c11, f64x2.mul(v, y1));
        c12 = f64x2.add(c12, f64x2.mul(v, y2)); c13 = f64x2.add(c13, f64x2.mul(v, y3));
      }
      const p0 = s0 + (<usize>b << 3), p1 = s1 + (<usize>b << 3);
      store<f64>(p0, load<f64>(p0) + hsumF64x2(c00)); store<f64>(p0, load<f64>(p0, 8) + hsumF64x2(c01), 8);
      store<f64>(p0, load<f64>(p0, 16) + hsumF64x2(c02), 16); store<f64>(p0, load<f64>(p0, 24) + hsumF64x2(c03), 24);
      store<f64>(p1, load<f64>(p1) + hsumF64x2(c10)); store<f64>(p1, load<f64>(p1, 8) + hsumF64x2(c11), 8);
      store<f64>(p1, load<f64>(p1, 16) + hsumF64x2(c12), 16); store<f64>(p1, load<f64>(p1, 24) + hsumF64x2(c13), 24);
    }
    for (; b < d; b++) {
      const t = DT + <usize>b * BLOCK_BYTES;
      const p0 = s0 + (<usize>b << 3), p1 = s1 + (<usize>b << 3);
      store<f64>(p0, load<f64>(p0) + dotRow(r0, t, nbp));
      store<f64>(p1, load<f64>(p1) + dotRow(r1, t, nbp));
    }
  }
  if (a < d) {
    // Odd d: the last row has one entry in the upper triangle.
    const p = S + <usize>a * rowB + (<usize>a << 3);
    store<f64>(p, load<f64>(p) + dotRow(RD + <usize>a * BLOCK_BYTES, DT + <usize>a * BLOCK_BYTES, nbp));
  }
}

/**
 * Adds one component's block statistics: Σ r, Σ r·(x − c) and the upper triangle of
 * Σ r·(x − c)(x − c)ᵀ, given DT = x − c and the responsibilities r (nbp, zero on padding).
 * Skips the component when the block gives it no mass at all (exact zeros only).
 */
function accumulateBlock(
  sumR: usize, sumX: usize, S: usize, DT: usize, RD: usize, r: usize, nbp: i32, d: i32,
): void {
  let rs = f64x2.splat(0);
  for (let i = 0; i < nbp; i += 2) rs = f64x2.add(rs, v128.load(r + (<usize>i << 3)));
  const mass = hsumF64x2(rs);
  if (mass == 0) return;
  store<f64>(sumR, load<f64>(sumR) + mass);
  for (let m = 0; m < d; m++) {
    const src = DT + <usize>m * BLOCK_BYTES;
    const dst = RD + <usize>m * BLOCK_BYTES;
    let acc = f64x2.splat(0);
    for (let i = 0; i < nbp; i += 2) {
      const o = <usize>i << 3;
      const v = f64x2.mul(v128.load(r + o), v128.load(src + o));
      v128.store(dst + o, v);
      acc = f64x2.add(acc, v);
    }
    const p = sumX + (<usize>m << 3);
    store<f64>(p, load<f64>(p) + hsumF64x2(acc));
  }
  rankUpdateBlock(S, RD, DT, nbp, d);
}

// ---------------------------------------------------------------------------------------------
// E-step

/**
 * Fused E-step over x (f32 n×d): for each row, log p(x_i) by log-sum-exp over components,
 * responsibilities, and ADDS (caller zeroes) to sumR (k), sumX (k×d) and sumXX (k×d×d, upper
 * triangle) the statistics shifted by the current means (c_c = μ_c), so one pass over x and no
 * n×k storage. means k×d, precChol k×d×d (W_c), logDet k, logWeights k (precisionCholeskyF64);
 * scratch: fullScratchLength(d, k) f64. Returns Σ_i log p(x_i) (the negative of eq. (1)'s ℓ).
 */
export function estepFullF32(
  sumR: usize, sumX: usize, sumXX: usize, scratch: usize,
  x: usize, means: usize, precChol: usize, logDet: usize, logWeights: usize,
  n: i32, d: i32, k: i32,
): f64 {
  const panel = <usize>(d * BLOCK) << 3;
  const XT = scratch, DT = XT + panel, RD = DT + panel;
  const logits = RD + panel; // k×BLOCK: logits, then responsibilities in place
  const maha = logits + ((<usize>(k * BLOCK)) << 3);
  const dd = <usize>(d * d);
  const constTerm = <f64>d * LOG_2PI;
  let total: f64 = 0;
  for (let row0 = 0; row0 < n; row0 += BLOCK) {
    const nb = min(BLOCK, n - row0);
    const nbp = (nb + 7) & ~7;
    transposeBlock(XT, x, row0, nb, nbp, d);
    for (let c = 0; c < k; c++) {
      const base = componentBlock(maha, DT, XT, means, precChol, logDet, logWeights, c, nbp, d, constTerm);
      const lk = logits + ((<usize>(c * BLOCK)) << 3);
      for (let i = 0; i < nbp; i++) store<f64>(lk + (<usize>i << 3), base - 0.5 * load<f64>(maha + (<usize>i << 3)));
    }
    total += normalizeBlock(logits, nb, nbp, k);
    for (let c = 0; c < k; c++) {
      centerBlock(DT, XT, means + ((<usize>(c * d)) << 3), nbp, d);
      accumulateBlock(
        sumR + (<usize>c << 3), sumX + ((<usize>(c * d)) << 3), sumXX + ((<usize>c * dd) << 3),
        DT, RD, logits + ((<usize>(c * BLOCK)) << 3), nbp, d,
      );
    }
  }
  return total;
}

/**
 * Turns the K×BLOCK logits into responsibilities in place (log-sum-exp per sample; padded
 * samples get 0) and returns Σ over the nb real samples of log Σ_k exp(logit).
 */
function normalizeBlock(logits: usize, nb: i32, nbp: i32, K: i32): f64 {
  let total: f64 = 0;
  for (let i = 0; i < nbp; i++) {
    const col = logits + (<usize>i << 3);
    if (i >= nb) {
      for (let k = 0; k < K; k++) store<f64>(col + ((<usize>(k * BLOCK)) << 3), 0);
      continue;
    }
    const lse = logSumExpF64(col, K, BLOCK_BYTES);
    total += lse;
    for (let k = 0; k < K; k++) {
      const p = col + ((<usize>(k * BLOCK)) << 3);
      store<f64>(p, Math.exp(load<f64>(p) - lse));
    }
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Statistics from given responsibilities (initialisation from labels or soft assignments)

/**
 * Pass 2 of the start from responsibilities (pass 1 and the shift: respMomentsF32 and
 * shiftFromMomentsF64 in estep.ts): ADDS sumR (k) += Σ r, sumX (k×d) += Σ r·(x − c_c) and
 * sumXX (k×d×d, upper triangle) += Σ r·(x − c_c)(x − c_c)ᵀ over n rows of x (f32 n×d) with
 * responsibilities resp (n×k f64), around shift c (k×d), blocked like the E-step.
 * scratch: fullScratchLength(d, k) f64.
 */
export function respStatsFullF32(
  sumR: usize, sumX: usize, sumXX: usize, scratch: usize,
  x: usize, resp: usize, shift: usize, n: i32, d: i32, k: i32,
): void {
  const rowBk = <usize>k << 3;
  const panel = <usize>(d * BLOCK) << 3;
  const XT = scratch, DT = XT + panel, RD = DT + panel;
  const rb = RD + panel; // BLOCK responsibilities of one component
  const dd = <usize>(d * d);
  for (let row0 = 0; row0 < n; row0 += BLOCK) {
    const nb = min(BLOCK, n - row0);
    const nbp = (nb + 7) & ~7;
    transposeBlock(XT, x, row0, nb, nbp, d);
    for (let c = 0; c < k; c++) {
      for (let i = 0; i < nbp; i++) {
        const r = i < nb ? load<f64>(resp + <usize>(row0 + i) * rowBk + (<usize>c << 3)) : 0.0;
        store<f64>(rb + (<usize>i << 3), r);
      }
      centerBlock(DT, XT, shift + ((<usize>(c * d)) << 3), nbp, d);
      accumulateBlock(
        sumR + (<usize>c << 3), sumX + ((<usize>(c * d)) << 3), sumXX + ((<usize>c * dd) << 3),
        DT, RD, rb, nbp, d,
      );
    }
  }
}

/**
 * Statistics for the first M-step from responsibilities resp (f64 n×k, e.g. one-hot labels)
 * in one call over all n rows: writes shift (k×d) = weighted means (pass 1), then ADDS the
 * statistics shifted by them to sumR (k), sumX (k×d), sumXX (k×d×d, upper triangle) (pass 2,
 * so an offset in x (f32 n×d) costs no precision). scratch: fullScratchLength(d, k) f64.
 */
export function statsFromRespFullF32(
  sumR: usize, sumX: usize, sumXX: usize, shift: usize, scratch: usize,
  x: usize, resp: usize, n: i32, d: i32, k: i32,
): void {
  // Σ r per component sits at the start of scratch, the promoted row after it, until pass 2 reuses it.
  const mass = scratch;
  memory.fill(shift, 0, (<usize>k * <usize>d) << 3);
  memory.fill(mass, 0, <usize>k << 3);
  respMomentsF32(mass, shift, scratch + (<usize>k << 3), x, resp, n, d, k);
  shiftFromMomentsF64(shift, mass, shift, d, k);
  respStatsFullF32(sumR, sumX, sumXX, scratch, x, resp, shift, n, d, k);
}

// ---------------------------------------------------------------------------------------------
// M-step

/**
 * M-step from shifted statistics: n_c = Σr + 10·eps, π_c = n_c / Σ n_c, μ_c = sh_c + Σr(x−sh)/n_c,
 * S_c = Σr(x−sh)(x−sh)ᵀ/n_c − δδᵀ + regCovar·I with δ = μ_c − sh_c (symmetric, both triangles
 * written). means may alias shift (each entry is read before it is written).
 * Shapes: weights k, means k×d, covariances k×d×d, sumR k, sumX k×d, sumXX k×d×d, shift k×d.
 */
export function mstepFullF64(
  weights: usize, means: usize, covariances: usize,
  sumR: usize, sumX: usize, sumXX: usize, shift: usize,
  d: i32, k: i32, regCovar: f64,
): void {
  const rowB = <usize>d << 3;
  const dd = <usize>(d * d);
  let total: f64 = 0;
  for (let c = 0; c < k; c++) total += load<f64>(sumR + (<usize>c << 3)) + NK_EPS;
  for (let c = 0; c < k; c++) {
    const nk = load<f64>(sumR + (<usize>c << 3)) + NK_EPS; // ≥ 10·eps: never divides by 0
    store<f64>(weights + (<usize>c << 3), nk / total);
    const inv = 1.0 / nk;
    const fx = sumX + ((<usize>(c * d)) << 3);
    const S = sumXX + ((<usize>c * dd) << 3);
    const C = covariances + ((<usize>c * dd) << 3);
    for (let a = 0; a < d; a++) {
      const da = load<f64>(fx + (<usize>a << 3)) * inv;
      for (let b = a; b < d; b++) {
        const db = load<f64>(fx + (<usize>b << 3)) * inv;
        let v = load<f64>(S + <usize>a * rowB + (<usize>b << 3)) * inv - da * db;
        if (a == b) v += regCovar;
        store<f64>(C + <usize>a * rowB + (<usize>b << 3), v);
        store<f64>(C + <usize>b * rowB + (<usize>a << 3), v);
      }
    }
    const sh = shift + ((<usize>(c * d)) << 3);
    const mu = means + ((<usize>(c * d)) << 3);
    for (let m = 0; m < d; m++) {
      store<f64>(mu + (<usize>m << 3), load<f64>(sh + (<usize>m << 3)) + load<f64>(fx + (<usize>m << 3)) * inv);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Log-probabilities for predict / predictProba / scoreSamples

/**
 * out (f64 n×k) = log π_c + log N(x_i | μ_c, S_c) for x (f32 n×d).
 * means k×d, precChol k×d×d (W_c), logDet k, logWeights k; scratch: fullScratchLength(d, k) f64.
 */
export function logprobFullF32(
  out: usize, scratch: usize,
  x: usize, means: usize, precChol: usize, logDet: usize, logWeights: usize,
  n: i32, d: i32, k: i32,
): void {
  const panel = <usize>(d * BLOCK) << 3;
  const XT = scratch, DT = XT + panel;
  const maha = DT + 2 * panel;
  const constTerm = <f64>d * LOG_2PI;
  const rowBk = <usize>k << 3;
  for (let row0 = 0; row0 < n; row0 += BLOCK) {
    const nb = min(BLOCK, n - row0);
    const nbp = (nb + 7) & ~7;
    transposeBlock(XT, x, row0, nb, nbp, d);
    for (let c = 0; c < k; c++) {
      const base = componentBlock(maha, DT, XT, means, precChol, logDet, logWeights, c, nbp, d, constTerm);
      for (let i = 0; i < nb; i++) {
        store<f64>(
          out + <usize>(row0 + i) * rowBk + (<usize>c << 3),
          base - 0.5 * load<f64>(maha + (<usize>i << 3)),
        );
      }
    }
  }
}
