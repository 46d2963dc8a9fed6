// The EM loop, once for every covariance type (the workspace carries the type's kernels).
import type { Region } from "../core/wasm.js";
import type { MixtureWorkspace } from "./covariance.js";

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
 * current parameters, statistics) + M-step, as sklearn counts n_iter. X: f32 region, n×d.
 */
export function runEm(ws: MixtureWorkspace, X: Region<Float32Array>, n: number, opts: EmOptions): EmResult {
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
