// Float64 twin of the full-covariance kernels: Algorithm 1 point by point, with an explicit
// Cholesky and forward substitution, no blocking, no shifts. Tests compare the kernels to it.

/** Parameters of a full-covariance mixture: weights K, means K×d, covariances K×d×d (row-major). */
export interface FullTwinParams {
  K: number;
  d: number;
  weights: Float64Array;
  means: Float64Array;
  covariances: Float64Array;
}

/** Lower Cholesky factor of the d×d matrix at A[off..]; null when a pivot is not positive. */
export function choleskyTwin(A: ArrayLike<number>, d: number, off = 0): Float64Array | null {
  const L = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let s = A[off + j * d + j];
    for (let m = 0; m < j; m++) s -= L[j * d + m] ** 2;
    if (!(s > 0)) return null;
    L[j * d + j] = Math.sqrt(s);
    for (let i = j + 1; i < d; i++) {
      let t = A[off + i * d + j];
      for (let m = 0; m < j; m++) t -= L[i * d + m] * L[j * d + m];
      L[i * d + j] = t / L[j * d + j];
    }
  }
  return L;
}

/** log π_k + log N(x | μ_k, S_k) for one row x (length d), per component (K). */
export function logProbRowTwin(x: ArrayLike<number>, p: FullTwinParams, factors: Float64Array[]): Float64Array {
  const { K, d } = p;
  const out = new Float64Array(K);
  const y = new Float64Array(d);
  for (let k = 0; k < K; k++) {
    const L = factors[k];
    // Forward substitution L y = x − μ_k, so yᵀy = (x − μ)ᵀ S⁻¹ (x − μ).
    let maha = 0;
    let logDet = 0;
    for (let j = 0; j < d; j++) {
      let t = x[j] - p.means[k * d + j];
      for (let m = 0; m < j; m++) t -= L[j * d + m] * y[m];
      y[j] = t / L[j * d + j];
      maha += y[j] * y[j];
      logDet += 2 * Math.log(L[j * d + j]);
    }
    out[k] = Math.log(p.weights[k]) - 0.5 * (d * Math.log(2 * Math.PI) + logDet + maha);
  }
  return out;
}

/** Factors of every component; throws naming the first that is not positive definite. */
export function factorsTwin(p: FullTwinParams): Float64Array[] {
  const out: Float64Array[] = [];
  for (let k = 0; k < p.K; k++) {
    const L = choleskyTwin(p.covariances, p.d, k * p.d * p.d);
    if (!L) throw new Error(`twin: component ${k} is not positive definite`);
    out.push(L);
  }
  return out;
}

/** E-step: Σ_i log p(x_i) and the responsibilities (n×K). X row-major n×d. */
export function estepTwin(X: ArrayLike<number>, n: number, p: FullTwinParams): { logLik: number; resp: Float64Array } {
  const { K, d } = p;
  const factors = factorsTwin(p);
  const resp = new Float64Array(n * K);
  let logLik = 0;
  const x = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) x[j] = X[i * d + j];
    const lp = logProbRowTwin(x, p, factors);
    let mx = -Infinity;
    for (const v of lp) mx = Math.max(mx, v);
    let s = 0;
    for (const v of lp) s += Math.exp(v - mx);
    const lse = mx + Math.log(s);
    logLik += lse;
    for (let k = 0; k < K; k++) resp[i * K + k] = Math.exp(lp[k] - lse);
  }
  return { logLik, resp };
}

/** M-step (sklearn's): nk = Σr + 10·eps, π = nk/Σnk, μ = Σ r x / nk, S = Σ r (x−μ)(x−μ)ᵀ / nk + reg·I. */
export function mstepTwin(X: ArrayLike<number>, n: number, d: number, resp: Float64Array, K: number, regCovar: number): FullTwinParams {
  const eps = 10 * Number.EPSILON;
  const weights = new Float64Array(K);
  const means = new Float64Array(K * d);
  const covariances = new Float64Array(K * d * d);
  let total = 0;
  for (let k = 0; k < K; k++) {
    let nk = eps;
    for (let i = 0; i < n; i++) nk += resp[i * K + k];
    weights[k] = nk;
    total += nk;
    for (let i = 0; i < n; i++) {
      const r = resp[i * K + k];
      for (let j = 0; j < d; j++) means[k * d + j] += r * X[i * d + j];
    }
    for (let j = 0; j < d; j++) means[k * d + j] /= nk;
    // Second pass around the new mean, as sklearn does.
    const C = covariances.subarray(k * d * d, (k + 1) * d * d);
    for (let i = 0; i < n; i++) {
      const r = resp[i * K + k];
      for (let a = 0; a < d; a++) {
        const da = X[i * d + a] - means[k * d + a];
        for (let b = 0; b < d; b++) C[a * d + b] += r * da * (X[i * d + b] - means[k * d + b]);
      }
    }
    for (let a = 0; a < d * d; a++) C[a] /= nk;
    for (let a = 0; a < d; a++) C[a * d + a] += regCovar;
  }
  for (let k = 0; k < K; k++) weights[k] /= total;
  return { K, d, weights, means, covariances };
}

/** One-hot responsibilities (n×K) from labels in 0..K−1. */
export function oneHotTwin(labels: ArrayLike<number>, K: number): Float64Array {
  const r = new Float64Array(labels.length * K);
  for (let i = 0; i < labels.length; i++) r[i * K + labels[i]] = 1;
  return r;
}

/** EM from a hard assignment: one M-step from the labels, then `iters` E/M rounds; ℓ per round (ℓ = −Σ log p). */
export function emTwin(
  X: ArrayLike<number>, n: number, d: number, labels: ArrayLike<number>, K: number, regCovar: number, iters: number,
): { params: FullTwinParams; nll: number[] } {
  let params = mstepTwin(X, n, d, oneHotTwin(labels, K), K, regCovar);
  const nll: number[] = [];
  for (let t = 0; t < iters; t++) {
    const { logLik, resp } = estepTwin(X, n, params);
    nll.push(-logLik);
    params = mstepTwin(X, n, d, resp, K, regCovar);
  }
  return { params, nll };
}
