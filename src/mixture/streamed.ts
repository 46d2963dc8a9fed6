// EM over shards (shards.ts): the rows stay where they are (a file read by worker threads, each
// with its own WebAssembly memory) and only parameters go out and statistics come back. Every
// E-step is one pass of CHUNK_OPS.estep over the fit's chunks; the blocks and Σ log p are
// summed in chunk order exactly as chunkedWorkspace sums them in one memory, so the streamed fit
// and the in-memory fit of the same rows give the same bits (docs/scale.md). Node-free.
import { BlockSum, statsBlockLayout } from "./chunked.js";
import type { CovarianceType, CovarianceWorkspace } from "./covariance.js";
import type { EmSteps } from "./em.js";
import type { MixtureParams, MixtureScorer } from "./scorer.js";
import type { RowShards } from "./shards.js";

/**
 * EM's steps for `ws` (the fit's parameters and statistics, in this thread's core) over the rows
 * of `shards` in chunks of chunkRows rows (chunkRowsFor(n, ·), as the in-memory fit's).
 */
export function shardedSteps(ws: CovarianceWorkspace, covarianceType: CovarianceType, chunkRows: number): EmSteps<RowShards> {
  const layout = statsBlockLayout(ws.estepPlan);
  const blockLength = layout.blockBytes / 8;
  return {
    estep(shards) {
      const model: MixtureParams = {
        covarianceType, nFeatures: ws.d, weights: ws.weights.view().slice(), means: ws.means.view().slice(), variances: ws.variances.view().slice(),
      };
      const stats = new BlockSum(layout.stats, layout.offsets);
      let total = 0;
      shards.map({ op: "estep", args: { model } }, { chunkRows, stride: blockLength + 1 }, (_, out) => {
        stats.add(out);
        total += out[blockLength];
      });
      stats.finish();
      return total;
    },
    mstep: (regCovar) => ws.mstep(regCovar),
  };
}

/**
 * Σ_i log p(x_i) over every row of `shards` under the scorer's model, by the fit's E-step over
 * the fit's chunks (scorer.fitChunkRows(n)) summed in chunk order: on the rows a model was fitted
 * on, −(this) is the fit's nll to the last bit (as sourceLogLikelihood on one thread).
 */
export function shardsLogLikelihood(scorer: MixtureScorer, shards: RowShards): number {
  let total = 0;
  const shape = { chunkRows: scorer.fitChunkRows(shards.n), stride: scorer.blockLength + 1 };
  shards.map({ op: "estep", args: { model: scorer.model } }, shape, (_, out) => (total += out[scorer.blockLength]));
  return total;
}
