// Drawing rows from a Gaussian mixture. Per row: the component k from one uniform u (the
// first k with u·Σπ < π_1 + … + π_k), then x = μ_k + A_k·z with z ~ N(0, I_d) and
// A_k·A_kᵀ = S_k (the covariance table's normalScaler: √s·I, diag(√v) or the Cholesky
// factor). One Rng stream in row order, so a seed fixes every bit whatever the chunk size.
import { UserError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import { covarianceEntry } from "./covariance.js";
import type { MixtureParams } from "./scorer.js";

export class MixtureSampler {
  private readonly rng: Rng;
  private readonly d: number;
  private readonly means: Float64Array;
  /** Running sums π_1 + … + π_k. */
  private readonly cumulative: Float64Array;
  private readonly scalers: ((z: Float64Array) => void)[];
  private readonly z: Float64Array;

  constructor(model: MixtureParams, seed: number) {
    const K = model.weights.length;
    const d = model.nFeatures;
    const entry = covarianceEntry(model.covarianceType);
    this.rng = new Rng(seed);
    this.d = d;
    this.means = model.means;
    this.cumulative = new Float64Array(K);
    let acc = 0;
    for (let k = 0; k < K; k++) {
      if (!(model.weights[k] >= 0)) throw new UserError(`sample: weight ${k} is ${model.weights[k]}, expected ≥ 0`);
      this.cumulative[k] = acc += model.weights[k];
    }
    if (!(acc > 0)) throw new UserError("sample: the weights sum to 0");
    this.scalers = Array.from({ length: K }, (_, k) => {
      try {
        return entry.normalScaler(model.variances, k, d);
      } catch (e) {
        throw new UserError(`sample: the covariance of component ${k} is not positive definite (${(e as Error).message.replace(/^cholesky: /, "")})`);
      }
    });
    this.z = new Float64Array(d);
  }

  /** Draw `rows` rows into `out` (f32 rows×d, row-major) and their components into `labels`. */
  next(rows: number, out: Float32Array, labels: Int32Array): void {
    const { d, z, rng, cumulative } = this;
    const K = cumulative.length;
    const total = cumulative[K - 1];
    for (let i = 0; i < rows; i++) {
      const u = rng.uniform() * total;
      let k = 0;
      while (k < K - 1 && !(u < cumulative[k])) k++;
      rng.fillNormal(z);
      this.scalers[k](z);
      for (let j = 0; j < d; j++) out[i * d + j] = this.means[k * d + j] + z[j];
      labels[i] = k;
    }
  }
}
