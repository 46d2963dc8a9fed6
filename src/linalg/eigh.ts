// Symmetric eigendecomposition on the WASM core (tred2 + tql2 in f64; see docs/pca.md).
import { getCore, type Core } from "../core/wasm.js";

export interface EighOptions {
  /** WASM core to run on; defaults to getCore(). */
  core?: Core;
}

/** Eigenpairs of a symmetric matrix: values decreasing; row i of `vectors` is eigenvector i. */
export interface Eigh {
  /** Eigenvalues, length n, decreasing. */
  values: Float64Array;
  /** Unit eigenvectors, n×n row-major: row i belongs to values[i]; its largest-|entry| is positive. */
  vectors: Float64Array;
}

/**
 * Eigendecomposition of A (symmetric, n×n row-major; only its symmetry is assumed, not checked
 * beyond the shape). A = Vᵀ·diag(values)·V with V = `vectors` (rows are eigenvectors).
 */
export function eigh(A: ArrayLike<number>, n: number, options: EighOptions = {}): Eigh {
  const { core = getCore() } = options;
  checkSquare(A, n, "eigh");
  if (n === 0) return { values: new Float64Array(0), vectors: new Float64Array(0) };
  for (let i = 0; i < A.length; i++) {
    if (!Number.isFinite(A[i])) throw new RangeError(`eigh: A[${i}] is ${A[i]}; the matrix must be finite`);
  }
  return core.scoped(() => {
    const w = core.putF64(A);
    const d = core.f64(n);
    const e = core.f64(n);
    const err = core.call("eighF64", { w: w.ptr, d: d.ptr, e: e.ptr, n });
    if (err !== 0) throw new Error(`eigh: eigenvalue ${err - 1} did not converge in 60 QL iterations`);
    return { values: d.view().slice(), vectors: w.view().slice() };
  });
}

/**
 * Principal square root of a symmetric positive semi-definite A (n×n row-major):
 * S = Vᵀ·diag(√max(λ, 0))·V, so S·S ≈ A. Negative eigenvalues (round-off) are clamped to 0.
 */
export function sqrtmPsd(A: ArrayLike<number>, n: number, options: EighOptions = {}): Float64Array {
  const { core = getCore() } = options;
  const { values, vectors } = eigh(A, n, { core });
  const roots = values.map((v) => Math.sqrt(Math.max(v, 0)));
  return core.scoped(() => {
    const out = core.f64(n * n);
    const v = core.putF64(vectors);
    const s = core.putF64(roots);
    core.call("gramRowsWeightedF64", { out: out.ptr, v: v.ptr, s: s.ptr, k: n, n });
    return out.view().slice();
  });
}

function checkSquare(A: ArrayLike<number>, n: number, who: string): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${who}: n must be a non-negative integer, got ${n}`);
  if (A.length !== n * n) throw new RangeError(`${who}: A has ${A.length} values, expected ${n}×${n}`);
}
