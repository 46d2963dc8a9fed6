// Projections onto and back from principal components (PCA.transform / inverseTransform).
// f32 in, f32 out: the outputs are f32 Matrices, so f32x4 lanes with per-row sums suffice.
// The per-row helpers are exported so that V8 optimises them after their first calls
// (a loop inlined into a one-shot driver would stay in baseline code).
import { hsumF32x4 } from "./simd";

/**
 * out = (x − mean)·Cᵀ: x f32 n×d row-major, mean f32 d, comps f32 k×d (one component per
 * row), out f32 n×k; tmp: f32 d workspace for the centred row. Components go four at a
 * time so that each centred value is loaded once per four dot products.
 */
export function projectF32(out: usize, x: usize, mean: usize, comps: usize, tmp: usize, n: i32, d: i32, k: i32): void {
  for (let r = 0; r < n; r++) {
    projectRowF32(out + ((<usize>r * <usize>k) << 2), x + ((<usize>r * <usize>d) << 2), mean, comps, tmp, d, k);
  }
}

/** One row of projectF32: dst f32 k = (row − mean)·Cᵀ, row f32 d. */
export function projectRowF32(dst: usize, row: usize, mean: usize, comps: usize, tmp: usize, d: i32, k: i32): void {
  const rowBytes = <usize>d << 2;
  let j = 0;
  for (; j + 4 <= d; j += 4) {
    const o = <usize>j << 2;
    v128.store(tmp + o, f32x4.sub(v128.load(row + o), v128.load(mean + o)));
  }
  for (; j < d; j++) {
    const o = <usize>j << 2;
    store<f32>(tmp + o, load<f32>(row + o) - load<f32>(mean + o));
  }
  let c = 0;
  for (; c + 4 <= k; c += 4) {
    const c0 = comps + <usize>c * rowBytes;
    const c1 = c0 + rowBytes;
    const c2 = c1 + rowBytes;
    const c3 = c2 + rowBytes;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    j = 0;
    for (; j + 4 <= d; j += 4) {
      const o = <usize>j << 2;
      const t = v128.load(tmp + o);
      a0 = f32x4.add(a0, f32x4.mul(t, v128.load(c0 + o)));
      a1 = f32x4.add(a1, f32x4.mul(t, v128.load(c1 + o)));
      a2 = f32x4.add(a2, f32x4.mul(t, v128.load(c2 + o)));
      a3 = f32x4.add(a3, f32x4.mul(t, v128.load(c3 + o)));
    }
    let s0 = hsumF32x4(a0), s1 = hsumF32x4(a1), s2 = hsumF32x4(a2), s3 = hsumF32x4(a3);
    for (; j < d; j++) {
      const o = <usize>j << 2;
      const t = <f64>load<f32>(tmp + o);
      s0 += t * <f64>load<f32>(c0 + o);
      s1 += t * <f64>load<f32>(c1 + o);
      s2 += t * <f64>load<f32>(c2 + o);
      s3 += t * <f64>load<f32>(c3 + o);
    }
    store<f32>(dst + (<usize>c << 2), <f32>s0);
    store<f32>(dst + (<usize>(c + 1) << 2), <f32>s1);
    store<f32>(dst + (<usize>(c + 2) << 2), <f32>s2);
    store<f32>(dst + (<usize>(c + 3) << 2), <f32>s3);
  }
  for (; c < k; c++) {
    const c0 = comps + <usize>c * rowBytes;
    let a0 = f32x4.splat(0);
    j = 0;
    for (; j + 4 <= d; j += 4) {
      const o = <usize>j << 2;
      a0 = f32x4.add(a0, f32x4.mul(v128.load(tmp + o), v128.load(c0 + o)));
    }
    let s0 = hsumF32x4(a0);
    for (; j < d; j++) s0 += <f64>load<f32>(tmp + (<usize>j << 2)) * <f64>load<f32>(c0 + (<usize>j << 2));
    store<f32>(dst + (<usize>c << 2), <f32>s0);
  }
}

/** out = z·C + mean: z f32 n×k, comps f32 k×d (rows), mean f32 d, out f32 n×d. */
export function backprojectF32(out: usize, z: usize, comps: usize, mean: usize, n: i32, k: i32, d: i32): void {
  for (let r = 0; r < n; r++) {
    backprojectRowF32(out + ((<usize>r * <usize>d) << 2), z + ((<usize>r * <usize>k) << 2), comps, mean, k, d);
  }
}

/** One row of backprojectF32: dst f32 d = zr·C + mean, zr f32 k. Four components per pass over dst. */
export function backprojectRowF32(dst: usize, zr: usize, comps: usize, mean: usize, k: i32, d: i32): void {
  const rowBytes = <usize>d << 2;
  memory.copy(dst, mean, rowBytes);
  let c = 0;
  for (; c + 4 <= k; c += 4) {
    const z0 = load<f32>(zr + (<usize>c << 2));
    const z1 = load<f32>(zr + (<usize>(c + 1) << 2));
    const z2 = load<f32>(zr + (<usize>(c + 2) << 2));
    const z3 = load<f32>(zr + (<usize>(c + 3) << 2));
    const v0 = f32x4.splat(z0), v1 = f32x4.splat(z1), v2 = f32x4.splat(z2), v3 = f32x4.splat(z3);
    const c0 = comps + <usize>c * rowBytes;
    const c1 = c0 + rowBytes;
    const c2 = c1 + rowBytes;
    const c3 = c2 + rowBytes;
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      const o = <usize>j << 2;
      const t = f32x4.add(f32x4.mul(v0, v128.load(c0 + o)), f32x4.mul(v1, v128.load(c1 + o)));
      const u = f32x4.add(f32x4.mul(v2, v128.load(c2 + o)), f32x4.mul(v3, v128.load(c3 + o)));
      v128.store(dst + o, f32x4.add(v128.load(dst + o), f32x4.add(t, u)));
    }
    for (; j < d; j++) {
      const o = <usize>j << 2;
      const t = z0 * load<f32>(c0 + o) + z1 * load<f32>(c1 + o) + z2 * load<f32>(c2 + o) + z3 * load<f32>(c3 + o);
      store<f32>(dst + o, load<f32>(dst + o) + t);
    }
  }
  for (; c < k; c++) {
    const a = load<f32>(zr + (<usize>c << 2));
    const va = f32x4.splat(a);
    const cr = comps + <usize>c * rowBytes;
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      const o = <usize>j << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), f32x4.mul(va, v128.load(cr + o))));
    }
    for (; j < d; j++) {
      const o = <usize>j << 2;
      store<f32>(dst + o, load<f32>(dst + o) + a * load<f32>(cr + o));
    }
  }
}
