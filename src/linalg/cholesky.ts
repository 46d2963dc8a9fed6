// Cholesky factorisation A = L·Lᵀ of a small symmetric positive-definite matrix, in plain
// float64 (the sampler factors each component's covariance once; the E-step's factors live in
// the WASM core, assembly/full.ts).

/**
 * The lower-triangular L (n×n row-major, zeros above the diagonal) with L·Lᵀ = A, for A
 * symmetric positive definite (n×n row-major; only its lower triangle is read). Throws a
 * RangeError naming the pivot when A is not positive definite.
 */
export function cholesky(A: ArrayLike<number>, n: number): Float64Array {
  if (A.length !== n * n) throw new RangeError(`cholesky: A has ${A.length} values, expected ${n}×${n}`);
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      if (i === j) {
        // s ≤ 0 (or NaN): A is not positive definite; no floor, the caller must know
        if (!(s > 0)) throw new RangeError(`cholesky: pivot ${i} is ${s}: the matrix is not positive definite`);
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j];
    }
  }
  return L;
}
