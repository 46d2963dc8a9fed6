// Plain float64 reference for the diagonal / spherical GMM: Algorithm 1 with per-point loops,
// no WASM, no fusion. Tests compare the kernels and the estimator against it.
//
// The M-step keeps the textbook one-pass variance Σ r x²/n_k − μ² (and sklearn's guarded mean
// Σ r x/(n_k + 10·eps)). The kernels use shifted statistics instead (docs/gmm.md), which agree
// with it to rounding wherever float64 holds the raw moments well — no feature whose offset
// dwarfs its spread (|μ|²·eps ≪ s), and no component emptied to n_k ≪ 1, where the guard pulls
// the twin's mean towards 0 and the kernels' towards the previous mean. Compare on such data.

export type TwinCov = "diag" | "spherical";

export interface TwinParams {
  weights: number[];     // K
  means: number[][];     // K × d
  variances: number[][]; // K × d (spherical: every entry of a row equal)
}

const LOG_2PI = Math.log(2 * Math.PI);
const NK_EPS = 10 * Number.EPSILON;

/** log π_k + log N(x | μ_k, diag s_k) for one point, written term by term. */
export function weightedLogProb(x: ArrayLike<number>, p: TwinParams, k: number): number {
  let q = 0;
  let logDet = 0;
  for (let j = 0; j < x.length; j++) {
    const s = p.variances[k][j];
    const t = x[j] - p.means[k][j];
    q += (t * t) / s;
    logDet += Math.log(2 * Math.PI * s);
  }
  return Math.log(p.weights[k]) - 0.5 * logDet - 0.5 * q;
}

function logSumExp(v: number[]): number {
  const m = Math.max(...v);
  if (m === -Infinity) return m;
  let s = 0;
  for (const a of v) s += Math.exp(a - m);
  return m + Math.log(s);
}

function row(X: Float32Array, d: number, i: number): number[] {
  return Array.from(X.subarray(i * d, (i + 1) * d));
}

/** E-step: responsibilities (n arrays of K) and ℓ = −Σ_i log p(x_i) (eq. 1). */
export function eStep(X: Float32Array, n: number, d: number, p: TwinParams): { resp: number[][]; nll: number } {
  const K = p.weights.length;
  const resp: number[][] = [];
  let nll = 0;
  for (let i = 0; i < n; i++) {
    const x = row(X, d, i);
    const w: number[] = [];
    for (let k = 0; k < K; k++) w.push(weightedLogProb(x, p, k));
    const lse = logSumExp(w);
    nll -= lse;
    resp.push(w.map((a) => Math.exp(a - lse)));
  }
  return { resp, nll };
}

/** M-step from responsibilities: π_k = n_k/n, μ_k = Σ r x / n_k, s_kj = Σ r x² / n_k − μ² (+regCovar). */
export function mStep(X: Float32Array, n: number, d: number, resp: number[][], regCovar: number, cov: TwinCov): TwinParams {
  const K = resp[0].length;
  const weights: number[] = [];
  const means: number[][] = [];
  const variances: number[][] = [];
  let total = 0;
  for (let k = 0; k < K; k++) {
    let nk = 0;
    const sx = new Array<number>(d).fill(0);
    const sx2 = new Array<number>(d).fill(0);
    for (let i = 0; i < n; i++) {
      const r = resp[i][k];
      nk += r;
      for (let j = 0; j < d; j++) {
        const v = X[i * d + j];
        sx[j] += r * v;
        sx2[j] += r * v * v;
      }
    }
    nk += NK_EPS;
    total += nk;
    weights.push(nk);
    const mu = sx.map((v) => v / nk);
    const s = sx2.map((v, j) => Math.max(v / nk - mu[j] * mu[j], 0) + regCovar);
    means.push(mu);
    if (cov === "spherical") {
      const m = s.reduce((a, b) => a + b, 0) / d;
      variances.push(new Array<number>(d).fill(m));
    } else variances.push(s);
  }
  return { weights: weights.map((w) => w / total), means, variances };
}

/** One-hot responsibilities of hard labels. */
export function oneHot(labels: ArrayLike<number>, K: number): number[][] {
  return Array.from({ length: labels.length }, (_, i) => {
    const r = new Array<number>(K).fill(0);
    r[labels[i]] = 1;
    return r;
  });
}

/** Algorithm 1 from a hard assignment: M-step on labels, then iterations of E + M; final E. minNk: the smallest Σ_i r_ik of any E-step. */
export function fitTwin(
  X: Float32Array, n: number, d: number, labels: ArrayLike<number>, K: number,
  opts: { maxIter: number; tol: number; regCovar: number; cov?: TwinCov },
): { params: TwinParams; nllTrace: number[]; nll: number; nIter: number; minNk: number } {
  const cov = opts.cov ?? "diag";
  let params = mStep(X, n, d, oneHot(labels, K), opts.regCovar, cov);
  const nllTrace: number[] = [];
  let nIter = 0;
  let minNk = Infinity;
  for (let t = 1; t <= opts.maxIter; t++) {
    const { resp, nll } = eStep(X, n, d, params);
    nllTrace.push(nll);
    for (let k = 0; k < K; k++) minNk = Math.min(minNk, resp.reduce((a, r) => a + r[k], 0));
    params = mStep(X, n, d, resp, opts.regCovar, cov);
    nIter = t;
    if (t > 1 && opts.tol > 0 && Math.abs(nll - nllTrace[t - 2]) <= opts.tol * Math.abs(nll)) break;
  }
  return { params, nllTrace, nll: eStep(X, n, d, params).nll, nIter, minNk };
}
