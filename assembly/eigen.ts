// Symmetric eigendecomposition in f64: Householder tridiagonalisation (tred2) and the
// implicit QL iteration (tql2), after EISPACK / JAMA / ml-matrix's dc/evd.js.
// Layout decision: JAMA keeps eigenvectors in the columns of V and rotates columns, a
// strided walk. Here the working matrix is W = Vᵀ (n×n row-major), so every O(n³) loop
// (the rank-2 updates and matrix–vector products of tred2, the accumulation of the
// reflectors, and tql2's Givens rotations) runs along contiguous rows with f64x2.
// Engine note: V8 first runs a function in its baseline compiler (Liftoff) and switches
// to optimised code only on a later call (no on-stack replacement for WASM), so the hot
// loops live in small exported helpers called O(n²) times, never inlined into the one-shot
// drivers. Inlined, the same 784×784 decomposition took 2.8× the CPU time (990 vs 353 ms).
// See docs/pca.md for the algorithm and its cost.
import { hsumF64x2 } from "./simd";

/**
 * Eigenpairs of the symmetric matrix in w (f64 n×n row-major, overwritten).
 * On return d (f64 n) holds the eigenvalues in decreasing order and row i of w the
 * unit eigenvector of d[i], its largest-|entry| made positive. e: f64 n workspace.
 * Returns 0, or l + 1 when eigenvalue l did not converge in 60 QL iterations.
 */
export function eighF64(w: usize, d: usize, e: usize, n: i32): i32 {
  if (n <= 0) return 0;
  tred2(w, d, e, n);
  const err = tql2(w, d, e, n);
  if (err != 0) return err;
  sortDecreasing(w, d, n);
  flipSigns(w, n);
  return 0;
}

/**
 * out = Vᵀ·diag(s)·V, i.e. out[i, j] = Σ_r s[r]·v[r, i]·v[r, j]: rebuilds a matrix
 * function from eigenvector rows v (f64 k×n) and weights s (f64 k); out f64 n×n.
 */
export function gramRowsWeightedF64(out: usize, v: usize, s: usize, k: i32, n: i32): void {
  memory.fill(out, 0, (<usize>n * <usize>n) << 3);
  for (let r = 0; r < k; r++) {
    const sr = load<f64>(s + (<usize>r << 3));
    if (sr == 0) continue;
    const vr = v + ((<usize>r * <usize>n) << 3);
    for (let i = 0; i < n; i++) {
      const a = sr * load<f64>(vr + (<usize>i << 3));
      if (a == 0) continue;
      // Upper triangle only: row i from column i on; mirrored below.
      axpyF64(out + ((<usize>i * <usize>n + <usize>i) << 3), vr + (<usize>i << 3), a, n - i);
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      store<f64>(out + ((<usize>j * <usize>n + <usize>i) << 3), load<f64>(out + ((<usize>i * <usize>n + <usize>j) << 3)));
    }
  }
}

// ---------------------------------------------------------------------------
// Householder tridiagonalisation (tred2)

@inline function at(w: usize, n: i32, r: i32, c: i32): usize {
  return w + ((<usize>r * <usize>n + <usize>c) << 3);
}

@inline function ld(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}

@inline function st(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}

/**
 * Reduces w (symmetric) to tridiagonal form: on return d holds the diagonal, e the
 * subdiagonal in e[1..n), and w = Qᵀ, the transpose of the accumulated orthogonal transform.
 * JAMA's V[r][c] is w[c][r] throughout.
 */
function tred2(w: usize, d: usize, e: usize, n: i32): void {
  for (let j = 0; j < n; j++) st(d, j, load<f64>(at(w, n, j, n - 1)));

  for (let i = n - 1; i > 0; i--) {
    // Scale the row to avoid under/overflow in h = Σ d².
    let scale: f64 = 0;
    let h: f64 = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(ld(d, k));
    if (scale == 0) {
      st(e, i, ld(d, i - 1));
      for (let j = 0; j < i; j++) {
        st(d, j, load<f64>(at(w, n, j, i - 1)));
        store<f64>(at(w, n, j, i), 0);
        store<f64>(at(w, n, i, j), 0);
      }
    } else {
      // Householder vector u = d (scaled); H = I − u uᵀ / h. scale > 0 here, so h > 0 below.
      for (let k = 0; k < i; k++) {
        const v = ld(d, k) / scale;
        st(d, k, v);
        h += v * v;
      }
      let f = ld(d, i - 1);
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      st(e, i, scale * g);
      h -= f * g; // = Σu² + |f|·√Σu² > 0: g has the sign opposite to f
      st(d, i - 1, f - g);
      memory.fill(e, 0, <usize>i << 3);

      // p = A·u / h from the upper triangle of rows j < i (a symmetric matrix–vector product).
      for (let j = 0; j < i; j++) {
        f = ld(d, j);
        store<f64>(at(w, n, i, j), f);
        const row = at(w, n, j, j);
        g = ld(e, j) + load<f64>(row) * f;
        g += dotAxpyF64(e + (<usize>(j + 1) << 3), row + 8, d + (<usize>(j + 1) << 3), f, i - j - 1);
        st(e, j, g);
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        const v = ld(e, j) / h;
        st(e, j, v);
        f += v * ld(d, j);
      }
      // q = p − (uᵀp / 2h)·u; then the rank-2 update A −= u qᵀ + q uᵀ.
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) st(e, j, ld(e, j) - hh * ld(d, j));
      for (let j = 0; j < i; j++) {
        f = ld(d, j);
        g = ld(e, j);
        const row = at(w, n, j, j);
        rank2F64(row, e + (<usize>j << 3), d + (<usize>j << 3), f, g, i - j);
        st(d, j, load<f64>(at(w, n, j, i - 1)));
        store<f64>(at(w, n, j, i), 0);
      }
    }
    st(d, i, h);
  }

  // Accumulate the reflectors: Q = H_{n−1} ⋯ H_1, applied to rows of w (w = Qᵀ).
  for (let i = 0; i < n - 1; i++) {
    store<f64>(at(w, n, i, n - 1), load<f64>(at(w, n, i, i)));
    store<f64>(at(w, n, i, i), 1);
    const h = ld(d, i + 1);
    const u = at(w, n, i + 1, 0);
    if (h != 0) {
      for (let k = 0; k <= i; k++) st(d, k, ld(u, k) / h);
      for (let j = 0; j <= i; j++) {
        const row = at(w, n, j, 0);
        axpyF64(row, d, -dotF64(u, row, i + 1), i + 1);
      }
    }
    memory.fill(u, 0, <usize>(i + 1) << 3);
  }
  for (let j = 0; j < n; j++) {
    st(d, j, load<f64>(at(w, n, j, n - 1)));
    store<f64>(at(w, n, j, n - 1), 0);
  }
  store<f64>(at(w, n, n - 1, n - 1), 1);
  st(e, 0, 0);
}

// ---------------------------------------------------------------------------
// Implicit QL iteration (tql2)

/**
 * Diagonalises the tridiagonal (d, e[1..n)) by implicit QL with Wilkinson-like shifts,
 * rotating the rows of w. Returns 0, or l + 1 if eigenvalue l fails to converge.
 */
function tql2(w: usize, d: usize, e: usize, n: i32): i32 {
  for (let i = 1; i < n; i++) st(e, i - 1, ld(e, i));
  st(e, n - 1, 0);
  let f: f64 = 0;
  let tst1: f64 = 0;
  const eps: f64 = 2.220446049250313e-16;
  for (let l = 0; l < n; l++) {
    // Find a negligible subdiagonal element (relative to the largest |d| + |e| seen).
    tst1 = Math.max(tst1, Math.abs(ld(d, l)) + Math.abs(ld(e, l)));
    let m = l;
    while (m < n) {
      if (Math.abs(ld(e, m)) <= eps * tst1) break;
      m++;
    }
    // e[n − 1] = 0, so m < n always; m == l means d[l] is already an eigenvalue.
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) return l + 1;
        // Implicit shift from the leading 2×2 block. |e[l]| > ε·tst1 ≥ 0 here, so the
        // divisions by e[l] and by p + r (|p + r| ≥ 1: r has p's sign and |r| ≥ 1) are safe.
        let g = ld(d, l);
        let p = (ld(d, l + 1) - g) / (2.0 * ld(e, l));
        let r = hypot(p, 1.0);
        if (p < 0) r = -r;
        st(d, l, ld(e, l) / (p + r));
        st(d, l + 1, ld(e, l) * (p + r));
        const dl1 = ld(d, l + 1);
        let h = g - ld(d, l);
        for (let i = l + 2; i < n; i++) st(d, i, ld(d, i) - h);
        f += h;

        // One QL sweep from m − 1 down to l; each Givens rotation mixes rows i, i + 1 of w.
        // e[i] (l ≤ i < m) is not negligible, so r = hypot(p, e[i]) > 0 in the divisions.
        p = ld(d, m);
        let c: f64 = 1, c2: f64 = 1, c3: f64 = 1;
        const el1 = ld(e, l + 1);
        let s: f64 = 0, s2: f64 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * ld(e, i);
          h = c * p;
          r = hypot(p, ld(e, i));
          st(e, i + 1, s * r);
          s = ld(e, i) / r;
          c = p / r;
          p = c * ld(d, i) - s * g;
          st(d, i + 1, h + s * (c * g + s * ld(d, i)));
          rotateRowsF64(at(w, n, i, 0), at(w, n, i + 1, 0), c, s, n);
        }
        p = -s * s2 * c3 * el1 * ld(e, l) / dl1;
        st(e, l, s * p);
        st(d, l, c * p);
      } while (Math.abs(ld(e, l)) > eps * tst1);
    }
    st(d, l, ld(d, l) + f);
    st(e, l, 0);
  }
  return 0;
}

// ---------------------------------------------------------------------------
// Ordering and signs

/** Selection sort of d into decreasing order, swapping the rows of w alongside (O(n²)). */
function sortDecreasing(w: usize, d: usize, n: i32): void {
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = ld(d, i);
    for (let j = i + 1; j < n; j++) {
      if (ld(d, j) > p) {
        k = j;
        p = ld(d, j);
      }
    }
    if (k != i) {
      st(d, k, ld(d, i));
      st(d, i, p);
      swapRowsF64(at(w, n, i, 0), at(w, n, k, 0), n);
    }
  }
}

/** Makes the largest-|entry| of each row positive (first such entry on ties), as sklearn's svd_flip. */
function flipSigns(w: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const row = at(w, n, i, 0);
    let best: f64 = -1;
    let sign: f64 = 1;
    for (let j = 0; j < n; j++) {
      const v = ld(row, j);
      if (Math.abs(v) > best) {
        best = Math.abs(v);
        sign = v < 0 ? -1 : 1;
      }
    }
    if (sign < 0) {
      let j = 0;
      for (; j + 2 <= n; j += 2) v128.store(row + (<usize>j << 3), f64x2.neg(v128.load(row + (<usize>j << 3))));
      for (; j < n; j++) st(row, j, -ld(row, j));
    }
  }
}

// ---------------------------------------------------------------------------
// Contiguous f64x2 helpers (scalar tails); exported so that they stay separate functions

/** √(a² + b²) without overflow or destructive underflow. */
@inline function hypot(a: f64, b: f64): f64 {
  a = Math.abs(a);
  b = Math.abs(b);
  if (a < b) {
    const t = a;
    a = b;
    b = t;
  }
  if (a == 0) return 0; // both zero: avoids 0/0 below
  const q = b / a;
  return a * Math.sqrt(1 + q * q);
}

/** Σ x[k]·y[k] for k < len. */
export function dotF64(x: usize, y: usize, len: i32): f64 {
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let k = 0;
  for (; k + 4 <= len; k += 4) {
    const o = <usize>k << 3;
    acc0 = f64x2.add(acc0, f64x2.mul(v128.load(x + o), v128.load(y + o)));
    acc1 = f64x2.add(acc1, f64x2.mul(v128.load(x + o + 16), v128.load(y + o + 16)));
  }
  const acc = f64x2.add(acc0, acc1);
  let s = hsumF64x2(acc);
  for (; k < len; k++) s += ld(x, k) * ld(y, k);
  return s;
}

/** y[k] += a·x[k] for k < len. */
export function axpyF64(y: usize, x: usize, a: f64, len: i32): void {
  const va = f64x2.splat(a);
  let k = 0;
  // Two vectors per step: shorter dependency chains, and a body large enough that the
  // optimiser keeps this a separate (hence tiered-up) function; see the header.
  for (; k + 4 <= len; k += 4) {
    const o = <usize>k << 3;
    v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(va, v128.load(x + o))));
    v128.store(y + o + 16, f64x2.add(v128.load(y + o + 16), f64x2.mul(va, v128.load(x + o + 16))));
  }
  for (; k + 2 <= len; k += 2) {
    const o = <usize>k << 3;
    v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(va, v128.load(x + o))));
  }
  for (; k < len; k++) st(y, k, ld(y, k) + a * ld(x, k));
}

/** Fused pass over one row: returns Σ row[k]·u[k] and does acc[k] += f·row[k], k < len. */
export function dotAxpyF64(acc: usize, row: usize, u: usize, f: f64, len: i32): f64 {
  const vf = f64x2.splat(f);
  let g = f64x2.splat(0);
  let k = 0;
  for (; k + 2 <= len; k += 2) {
    const o = <usize>k << 3;
    const a = v128.load(row + o);
    g = f64x2.add(g, f64x2.mul(a, v128.load(u + o)));
    v128.store(acc + o, f64x2.add(v128.load(acc + o), f64x2.mul(vf, a)));
  }
  let s = hsumF64x2(g);
  for (; k < len; k++) {
    const a = ld(row, k);
    s += a * ld(u, k);
    st(acc, k, ld(acc, k) + f * a);
  }
  return s;
}

/** row[k] −= f·q[k] + g·u[k] for k < len (tred2's rank-2 update, one row). */
export function rank2F64(row: usize, q: usize, u: usize, f: f64, g: f64, len: i32): void {
  const vf = f64x2.splat(f);
  const vg = f64x2.splat(g);
  let k = 0;
  for (; k + 2 <= len; k += 2) {
    const o = <usize>k << 3;
    const t = f64x2.add(f64x2.mul(vf, v128.load(q + o)), f64x2.mul(vg, v128.load(u + o)));
    v128.store(row + o, f64x2.sub(v128.load(row + o), t));
  }
  for (; k < len; k++) st(row, k, ld(row, k) - (f * ld(q, k) + g * ld(u, k)));
}

/** (a, b) ← (c·a − s·b, s·a + c·b) elementwise over two rows of length len. */
export function rotateRowsF64(a: usize, b: usize, c: f64, s: f64, len: i32): void {
  const vc = f64x2.splat(c);
  const vs = f64x2.splat(s);
  let k = 0;
  for (; k + 2 <= len; k += 2) {
    const o = <usize>k << 3;
    const x = v128.load(a + o);
    const y = v128.load(b + o);
    v128.store(a + o, f64x2.sub(f64x2.mul(vc, x), f64x2.mul(vs, y)));
    v128.store(b + o, f64x2.add(f64x2.mul(vs, x), f64x2.mul(vc, y)));
  }
  for (; k < len; k++) {
    const x = ld(a, k);
    const y = ld(b, k);
    st(a, k, c * x - s * y);
    st(b, k, s * x + c * y);
  }
}

/** Swaps two rows of length len. */
export function swapRowsF64(a: usize, b: usize, len: i32): void {
  let k = 0;
  for (; k + 2 <= len; k += 2) {
    const o = <usize>k << 3;
    const x = v128.load(a + o);
    v128.store(a + o, v128.load(b + o));
    v128.store(b + o, x);
  }
  for (; k < len; k++) {
    const x = ld(a, k);
    st(a, k, ld(b, k));
    st(b, k, x);
  }
}
