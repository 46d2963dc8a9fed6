// E-step kernels of the diagonal (and spherical) Gaussian mixture: one fused pass over X.
// See docs/gmm.md for the mathematics and the precision choice.
//
// Parameters arrive "prepared" (prepareDiagF64 / prepareSphericalF64 in mstep.ts):
//   means K×d f64, prec K×d f64 (1/s_kj), logConst K f64 (log π_k − ½ Σ_j log(2π s_kj)),
// so log π_k + log N(x | μ_k, diag s_k) = logConst_k − ½ Σ_j (x_j − μ_kj)² prec_kj.
// X is f32 row-major n×d; every distance is computed in f64 lanes (each row promoted once):
// with f32 lanes the rounding of μ and of x − μ broke the 1e-9 monotonicity bound and nearly
// the 1e-6 agreement with the float64 twin on data with a large common offset (docs/gmm.md).
import { hsumF64x2, logSumExpToResp, NK_EPS } from "./simd";

/** xd[j] = x[j] for one row: f32 → f64, once per row, so the K distance loops read f64 directly. */
@inline function promoteRow(xd: usize, x: usize, d: i32): void {
  let j = 0;
  for (; j + 4 <= d; j += 4) {
    const v = v128.load(x + (<usize>j << 2));
    const o = <usize>j << 3;
    v128.store(xd + o, f64x2.promote_low_f32x4(v));
    v128.store(xd + o + 16, f64x2.promote_low_f32x4(v128.shuffle<u32>(v, v, 2, 3, 0, 1)));
  }
  for (; j < d; j++) store<f64>(xd + (<usize>j << 3), <f64>load<f32>(x + (<usize>j << 2)));
}

/**
 * Σ_j (x_j − μ_j)² p_j for f64 rows x, μ, p of length d (f64 lanes four and then two features at a
 * time, one scalar last: d = 50 would otherwise end in two scalar steps per row and component).
 * The same operations in the same order as one row of mahalanobisDiag2: the odd row at the
 * end of a batch must get the bits the row would get inside a pair, so a row's log-probability
 * does not depend on its position (predict on permuted rows = permuted predictions, exactly).
 */
@inline function mahalanobisDiag(x: usize, mu: usize, p: usize, d: i32): f64 {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let j = 0;
  for (; j + 4 <= d; j += 4) {
    const o = <usize>j << 3;
    const s0 = f64x2.sub(v128.load(x + o), v128.load(mu + o));
    const s1 = f64x2.sub(v128.load(x + o + 16), v128.load(mu + o + 16));
    a0 = f64x2.add(a0, f64x2.mul(f64x2.mul(s0, s0), v128.load(p + o)));
    a1 = f64x2.add(a1, f64x2.mul(f64x2.mul(s1, s1), v128.load(p + o + 16)));
  }
  if (j + 2 <= d) {
    const o = <usize>j << 3;
    const s0 = f64x2.sub(v128.load(x + o), v128.load(mu + o));
    a0 = f64x2.add(a0, f64x2.mul(f64x2.mul(s0, s0), v128.load(p + o)));
    j += 2;
  }
  let acc = hsumF64x2(f64x2.add(a0, a1));
  if (j < d) {
    const o = <usize>j << 3;
    const s = load<f64>(x + o) - load<f64>(mu + o);
    acc += s * s * load<f64>(p + o);
  }
  return acc;
}

/** out[k] = log π_k + log N(x | μ_k, diag s_k) for one row x (f64, d), all K components. */
@inline function weightedLogProbRow(out: usize, x: usize, d: i32, k: i32, means: usize, prec: usize, logConst: usize): void {
  const rowBytes = <usize>d << 3;
  for (let c = 0; c < k; c++) {
    const off = <usize>c * rowBytes;
    const m = mahalanobisDiag(x, means + off, prec + off, d);
    store<f64>(out + (<usize>c << 3), load<f64>(logConst + (<usize>c << 3)) - 0.5 * m);
  }
}

/**
 * The same distances for two rows x0, x1 (f64, d) against one component: the means and
 * precisions are loaded once for both rows. Results are stored to out0, out1.
 */
@inline function mahalanobisDiag2(out0: usize, out1: usize, x0: usize, x1: usize, mu: usize, p: usize, d: i32): void {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let b0 = f64x2.splat(0);
  let b1 = f64x2.splat(0);
  let j = 0;
  for (; j + 4 <= d; j += 4) {
    const o = <usize>j << 3;
    const m0 = v128.load(mu + o);
    const m1 = v128.load(mu + o + 16);
    const p0 = v128.load(p + o);
    const p1 = v128.load(p + o + 16);
    const s0 = f64x2.sub(v128.load(x0 + o), m0);
    const s1 = f64x2.sub(v128.load(x0 + o + 16), m1);
    const t0 = f64x2.sub(v128.load(x1 + o), m0);
    const t1 = f64x2.sub(v128.load(x1 + o + 16), m1);
    a0 = f64x2.add(a0, f64x2.mul(f64x2.mul(s0, s0), p0));
    a1 = f64x2.add(a1, f64x2.mul(f64x2.mul(s1, s1), p1));
    b0 = f64x2.add(b0, f64x2.mul(f64x2.mul(t0, t0), p0));
    b1 = f64x2.add(b1, f64x2.mul(f64x2.mul(t1, t1), p1));
  }
  if (j + 2 <= d) {
    const o = <usize>j << 3;
    const m0 = v128.load(mu + o);
    const p0 = v128.load(p + o);
    const s0 = f64x2.sub(v128.load(x0 + o), m0);
    const t0 = f64x2.sub(v128.load(x1 + o), m0);
    a0 = f64x2.add(a0, f64x2.mul(f64x2.mul(s0, s0), p0));
    b0 = f64x2.add(b0, f64x2.mul(f64x2.mul(t0, t0), p0));
    j += 2;
  }
  let acc0 = hsumF64x2(f64x2.add(a0, a1));
  let acc1 = hsumF64x2(f64x2.add(b0, b1));
  if (j < d) {
    const o = <usize>j << 3;
    const m = load<f64>(mu + o);
    const q = load<f64>(p + o);
    const s = load<f64>(x0 + o) - m;
    const t = load<f64>(x1 + o) - m;
    acc0 += s * s * q;
    acc1 += t * t * q;
  }
  store<f64>(out0, acc0);
  store<f64>(out1, acc1);
}

/** weightedLogProbRow for two rows at once: out0, out1 (K f64 each). */
@inline function weightedLogProbRow2(out0: usize, out1: usize, x0: usize, x1: usize, d: i32, k: i32, means: usize, prec: usize, logConst: usize): void {
  const rowBytes = <usize>d << 3;
  for (let c = 0; c < k; c++) {
    const off = <usize>c * rowBytes;
    const o = <usize>c << 3;
    mahalanobisDiag2(out0 + o, out1 + o, x0, x1, means + off, prec + off, d);
    const lc = load<f64>(logConst + o);
    store<f64>(out0 + o, lc - 0.5 * load<f64>(out0 + o));
    store<f64>(out1 + o, lc - 0.5 * load<f64>(out1 + o));
  }
}

/**
 * acc[j] += r·(x_j − c_j) and acc2[j] += r·(x_j − c_j)² over one f64 row x and shift c of
 * length d (f64 lanes, scalar tail). x − c is the same subtraction, with the same operands, as
 * in the E-step's distance, so the statistics are centred exactly on the means it used.
 */
@inline function accumulateShiftedRow(acc: usize, acc2: usize, x: usize, c: usize, r: f64, d: i32): void {
  const rv = f64x2.splat(r);
  let j = 0;
  for (; j + 4 <= d; j += 4) {
    const o = <usize>j << 3;
    const v0 = f64x2.sub(v128.load(x + o), v128.load(c + o));
    const v1 = f64x2.sub(v128.load(x + o + 16), v128.load(c + o + 16));
    const rx0 = f64x2.mul(rv, v0);
    const rx1 = f64x2.mul(rv, v1);
    v128.store(acc + o, f64x2.add(v128.load(acc + o), rx0));
    v128.store(acc + o + 16, f64x2.add(v128.load(acc + o + 16), rx1));
    v128.store(acc2 + o, f64x2.add(v128.load(acc2 + o), f64x2.mul(rx0, v0)));
    v128.store(acc2 + o + 16, f64x2.add(v128.load(acc2 + o + 16), f64x2.mul(rx1, v1)));
  }
  if (j + 2 <= d) {
    const o = <usize>j << 3;
    const v = f64x2.sub(v128.load(x + o), v128.load(c + o));
    const rx = f64x2.mul(rv, v);
    v128.store(acc + o, f64x2.add(v128.load(acc + o), rx));
    v128.store(acc2 + o, f64x2.add(v128.load(acc2 + o), f64x2.mul(rx, v)));
    j += 2;
  }
  if (j < d) {
    const o = <usize>j << 3;
    const v = load<f64>(x + o) - load<f64>(c + o);
    const rx = r * v;
    store<f64>(acc + o, load<f64>(acc + o) + rx);
    store<f64>(acc2 + o, load<f64>(acc2 + o) + rx * v);
  }
}

/**
 * Row i's part of the fused E-step, from its weighted log-probabilities lp (K, overwritten with
 * the responsibilities): returns log p(x_i). Statistics are shifted by `shift` (K×d f64):
 * sumX += r·(x − c_k), sumX2 += r·(x − c_k)², for every component logSumExpToResp keeps.
 */
@inline function finishRow(sumR: usize, sumX: usize, sumX2: usize, shift: usize, lp: usize, xd: usize, d: i32, k: i32): f64 {
  const lse = logSumExpToResp(lp, k);
  const rowF64 = <usize>d << 3;
  for (let c = 0; c < k; c++) {
    // r ∈ [0, 1]: 0 for a component the cut leaves out (and for all when every lp is −Infinity);
    // a NaN passes on to the statistics, as it should.
    const r = load<f64>(lp + (<usize>c << 3));
    if (r == 0) continue;
    store<f64>(sumR + (<usize>c << 3), load<f64>(sumR + (<usize>c << 3)) + r);
    const off = <usize>c * rowF64;
    accumulateShiftedRow(sumX + off, sumX2 + off, xd, shift + off, r, d);
  }
  return lse;
}

/**
 * Fused E-step over n rows of x (f32, row-major n×d) for k diagonal components:
 * per row, weighted log-probabilities, log-sum-exp, responsibilities r_ic (those below
 * e^−72 of the row's largest left out: R_SKIP_LOG in simd.ts), and accumulation
 * (+=, caller zeroes) of sumR (k f64), sumX (k×d f64) = Σ r·(x − μ_c), sumX2 (k×d f64) =
 * Σ r·(x − μ_c)²: moments shifted by the means this E-step uses (mstepDiagF64 takes them back
 * as its shift; docs/gmm.md, "Shifted statistics"). Every chunk of rows of one E-step shares
 * the shift, so per-chunk statistics still add up.
 * means, prec: k×d f64; logConst: k f64 (prepareDiagF64). scratch: 2·(k + d) f64.
 * Returns Σ_i log p(x_i) in f64. The n×k responsibilities are never stored.
 */
export function estepDiagF32(
  sumR: usize, sumX: usize, sumX2: usize, scratch: usize,
  x: usize, means: usize, prec: usize, logConst: usize,
  n: i32, d: i32, k: i32,
): f64 {
  let ll: f64 = 0;
  const rowF32 = <usize>d << 2;
  const lp0 = scratch;
  const lp1 = lp0 + (<usize>k << 3);
  const xd0 = lp1 + (<usize>k << 3);
  const xd1 = xd0 + (<usize>d << 3);
  let i = 0;
  // Rows in pairs: each component's means and precisions are read once for two rows.
  for (; i + 2 <= n; i += 2) {
    promoteRow(xd0, x + <usize>i * rowF32, d);
    promoteRow(xd1, x + <usize>(i + 1) * rowF32, d);
    weightedLogProbRow2(lp0, lp1, xd0, xd1, d, k, means, prec, logConst);
    ll += finishRow(sumR, sumX, sumX2, means, lp0, xd0, d, k);
    ll += finishRow(sumR, sumX, sumX2, means, lp1, xd1, d, k);
  }
  if (i < n) {
    promoteRow(xd0, x + <usize>i * rowF32, d);
    weightedLogProbRow(lp0, xd0, d, k, means, prec, logConst);
    ll += finishRow(sumR, sumX, sumX2, means, lp0, xd0, d, k);
  }
  return ll;
}

/**
 * out (n×k f64, row-major) = log π_c + log N(x_i | μ_c, diag s_c) for n rows of x (f32, n×d).
 * means, prec: k×d f64; logConst: k f64 (prepareDiagF64). scratch: 2·d f64.
 */
export function logprobDiagF32(
  out: usize, scratch: usize,
  x: usize, means: usize, prec: usize, logConst: usize,
  n: i32, d: i32, k: i32,
): void {
  const rowF32 = <usize>d << 2;
  const outRow = <usize>k << 3;
  const xd0 = scratch;
  const xd1 = scratch + (<usize>d << 3);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    promoteRow(xd0, x + <usize>i * rowF32, d);
    promoteRow(xd1, x + <usize>(i + 1) * rowF32, d);
    weightedLogProbRow2(out + <usize>i * outRow, out + <usize>(i + 1) * outRow, xd0, xd1, d, k, means, prec, logConst);
  }
  if (i < n) {
    promoteRow(xd0, x + <usize>i * rowF32, d);
    weightedLogProbRow(out + <usize>i * outRow, xd0, d, k, means, prec, logConst);
  }
}

/** acc[j] += r·x[j] over f64 rows of length d (f64 lanes; each entry as in a scalar loop). */
@inline function accumulateScaledRow(acc: usize, x: usize, r: f64, d: i32): void {
  const rv = f64x2.splat(r);
  let j = 0;
  for (; j + 2 <= d; j += 2) {
    const o = <usize>j << 3;
    v128.store(acc + o, f64x2.add(v128.load(acc + o), f64x2.mul(rv, v128.load(x + o))));
  }
  if (j < d) {
    const o = <usize>j << 3;
    store<f64>(acc + o, load<f64>(acc + o) + r * load<f64>(x + o));
  }
}

/**
 * The start of EM from given responsibilities, in two passes over the rows that may each be
 * split into chunks (src/mixture/start.ts): pass 1 (respMomentsF32) adds the mass and the
 * weighted sum of x per component, shiftFromMomentsF64 turns their totals into the weighted means,
 * and pass 2 (respStatsDiagF32, respStatsFullF32 in full.ts) adds the statistics shifted by
 * them, so the following M-step loses no precision to an offset in x.
 */

/**
 * Pass 1: ADDS mass[c] += Σ r_ic and moment (k×d) += Σ r_ic·x_i over n rows of x (f32 n×d)
 * with responsibilities resp (n×k f64, row-major); rows with r = 0 are skipped.
 * scratch: d f64.
 */
export function respMomentsF32(mass: usize, moment: usize, scratch: usize, x: usize, resp: usize, n: i32, d: i32, k: i32): void {
  const rowF32 = <usize>d << 2;
  const rowF64 = <usize>d << 3;
  const xd = scratch;
  for (let i = 0; i < n; i++) {
    const ri = resp + <usize>i * (<usize>k << 3);
    promoteRow(xd, x + <usize>i * rowF32, d);
    for (let c = 0; c < k; c++) {
      const r = load<f64>(ri + (<usize>c << 3));
      if (r == 0) continue;
      store<f64>(mass + (<usize>c << 3), load<f64>(mass + (<usize>c << 3)) + r);
      accumulateScaledRow(moment + <usize>c * rowF64, xd, r, d);
    }
  }
}

/**
 * shift (k×d) = moment / (mass + 10·eps): the weighted means of pass 1's totals (0 for an empty
 * component). shift may alias moment.
 */
export function shiftFromMomentsF64(shift: usize, mass: usize, moment: usize, d: i32, k: i32): void {
  const rowF64 = <usize>d << 3;
  for (let c = 0; c < k; c++) {
    const inv = 1.0 / (load<f64>(mass + (<usize>c << 3)) + NK_EPS); // ≥ 10·eps: an empty component gets shift 0
    const m = moment + <usize>c * rowF64;
    const sh = shift + <usize>c * rowF64;
    for (let j = 0; j < d; j++) {
      const o = <usize>j << 3;
      store<f64>(sh + o, load<f64>(m + o) * inv);
    }
  }
}

/**
 * Pass 2 (diagonal and spherical): ADDS sumR (k) += Σ r, sumX (k×d) += Σ r·(x − c_c),
 * sumX2 (k×d) += Σ r·(x − c_c)² over n rows of x (f32 n×d) with responsibilities resp (n×k f64),
 * around shift c (k×d). scratch: d f64.
 */
export function respStatsDiagF32(
  sumR: usize, sumX: usize, sumX2: usize, scratch: usize,
  x: usize, resp: usize, shift: usize, n: i32, d: i32, k: i32,
): void {
  const rowF32 = <usize>d << 2;
  const rowF64 = <usize>d << 3;
  const xd = scratch;
  for (let i = 0; i < n; i++) {
    const ri = resp + <usize>i * (<usize>k << 3);
    promoteRow(xd, x + <usize>i * rowF32, d);
    for (let c = 0; c < k; c++) {
      const r = load<f64>(ri + (<usize>c << 3));
      if (r == 0) continue;
      store<f64>(sumR + (<usize>c << 3), load<f64>(sumR + (<usize>c << 3)) + r);
      const off = <usize>c * rowF64;
      accumulateShiftedRow(sumX + off, sumX2 + off, xd, shift + off, r, d);
    }
  }
}

/**
 * Sufficient statistics from given responsibilities resp (n×k f64, row-major) — the start
 * of EM from a hard or random assignment — in one call over all n rows: shift (k×d) = the
 * weighted means Σ r·x / (Σ r + 10·eps) (0 for an empty component), then ADDS sumR (k),
 * sumX (k×d) = Σ r·(x − c_c), sumX2 (k×d) = Σ r·(x − c_c)² around them (the three kernels
 * above with one chunk), so the following mstepDiagF64 / mstepSphericalF64 (with this shift)
 * loses no precision to an offset. scratch: d + k f64.
 */
export function statsFromRespDiagF32(
  sumR: usize, sumX: usize, sumX2: usize, shift: usize, scratch: usize,
  x: usize, resp: usize, n: i32, d: i32, k: i32,
): void {
  const mass = scratch + (<usize>d << 3); // K: Σ r per component (pass 1 only)
  memory.fill(shift, 0, (<usize>k * <usize>d) << 3);
  memory.fill(mass, 0, <usize>k << 3);
  respMomentsF32(mass, shift, scratch, x, resp, n, d, k);
  shiftFromMomentsF64(shift, mass, shift, d, k);
  respStatsDiagF32(sumR, sumX, sumX2, scratch, x, resp, shift, n, d, k);
}
