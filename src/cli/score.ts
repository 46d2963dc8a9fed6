// `emlab score`: the log-likelihood of a data file under a saved model (model.json), read a
// chunk at a time (a binary file by --threads threads, each reading its own chunks). The sum
// runs over the fit's own E-step chunks in the fit's order (MixtureScorer, sourceLogLikelihood,
// shardsLogLikelihood), so on the data a model was fitted on, nll is the fit's final NLL to the
// last bit. Order of work: flags, the model, the data's header; then the pass over the rows;
// output at the end.
import { nodeCore } from "../core/node.js";
import { describeInput } from "../data/row-source.js";
import { MixtureScorer, sourceLogLikelihood } from "../mixture/scorer.js";
import { shardsLogLikelihood } from "../mixture/streamed.js";
import type { Command } from "./args.js";
import { modelDataOptions, openModelInput, type ModelDataArgs } from "./data-input.js";

interface ScoreArgs extends ModelDataArgs {
  json: boolean;
}

async function handler(a: ScoreArgs): Promise<void> {
  const { modelFile, dataFile, gm, source, pool } = openModelInput(a);
  const core = nodeCore();
  let n: number;
  let logLikelihood: number;
  try {
    ({ n, logLikelihood } = core.scoped(() => {
      const scorer = new MixtureScorer(gm, core);
      return pool ? { n: pool.n, logLikelihood: shardsLogLikelihood(scorer, pool) } : sourceLogLikelihood(scorer, source);
    }));
  } finally {
    await pool?.close();
  }
  const result = {
    n,
    nll: -logLikelihood,
    meanLogLikelihood: logLikelihood / n,
    data: { source: dataFile, n, d: source.cols, input: source.info },
    model: { file: modelFile, k: gm.weights.length, covarianceType: gm.covarianceType },
  };
  if (a.json) {
    process.stdout.write(JSON.stringify(result) + "\n");
    return;
  }
  process.stdout.write(
    `${dataFile}: n = ${n}, d = ${source.cols} (${describeInput(source.info)}); model ${modelFile} (K = ${gm.weights.length}, ${gm.covarianceType})\n` +
      `NLL ${result.nll}\nmean log-likelihood per row ${result.meanLogLikelihood}\n`,
  );
}

export const scoreCommand: Command<ScoreArgs> = {
  command: "score",
  describe: "log-likelihood of a data file (CSV or .npy) under a saved model (model.json), read in chunks",
  builder: (y) =>
    modelDataOptions(y)
      .option("json", { type: "boolean", default: false, describe: 'print one JSON document: {"n", "nll", "meanLogLikelihood", "data", "model"}' }) as any,
  examples: [
    ["$0 score --model out/gmm/model.json --data data/gmm_dataset.csv", "NLL of the data the model was fitted on (equals the fit's)"],
    ["$0 score --model model.json --data new.npy --json", "new data from numpy, one JSON document"],
  ],
  handler,
};
