// The EM loop, once for every covariance type (the workspace carries the type's kernels) and
// for every place the rows are (one memory: chunkedWorkspace; shards: streamed.ts).

/** What an EM iteration needs: an E-step over the rows `X` (whatever holds them) and an M-step. */
export interface EmSteps<D> {
  /** Statistics of the n rows of X for the current parameters (reset first); returns Σ_i log p(x_i). */
  estep(X: D, n: number): number;
  /** Parameters from the statistics (regCovar added to every variance). */
  mstep(regCovar: number): void;
}

export interface EmOptions {
  maxIter: number;
  /** Relative rule: stop when |ℓt − ℓt−1| ≤ tol·|ℓt|; 0 runs exactly maxIter iterations. */
  tol: number;
  regCovar: number;
  onIteration?: (iter: number, nll: number) => void;
}

export interface EmResult {
  /** ℓ (eq. 1) at each iteration's E-step, i.e. for the parameters entering that iteration. */
  nllTrace: number[];
  /** ℓ for the parameters left in the workspace (one more E-step after the loop). */
  nll: number;
  nIter: number;
  converged: boolean;
}

/**
 * Run EM from the parameters already in `ws` (prepared). Iteration t = E-step (ℓ of the
 * current parameters, statistics) + M-step, as sklearn counts n_iter. X: the n rows (an f32
 * region n×d for a MixtureWorkspace, RowShards for streamed steps).
 */
export function runEm<D>(ws: EmSteps<D>, X: D, n: number, opts: EmOptions): EmResult {
  const nllTrace: number[] = [];
  let converged = false;
  let nIter = 0;
  for (let t = 1; t <= opts.maxIter; t++) {
    const nll = -ws.estep(X, n);
    nllTrace.push(nll);
    opts.onIteration?.(t, nll);
    ws.mstep(opts.regCovar);
    nIter = t;
    if (t > 1 && opts.tol > 0 && Math.abs(nll - nllTrace[t - 2]) <= opts.tol * Math.abs(nll)) {
      converged = true;
      break;
    }
  }
  const nll = -ws.estep(X, n);
  return { nllTrace, nll, nIter, converged };
}
