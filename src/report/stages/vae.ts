// Stage 2a: the VAE on MNIST with per-epoch checkpoints (src/experiments/vae.ts); an
// interrupted stage continues from its checkpoint (../training.ts).
import { CHECKPOINT_FILE, runVae, VAE_DEFAULTS, vaeEpochLine, type VaeConfig, type VaeEpoch } from "../../experiments/vae.js";
import { figures, fx, grids, type Block } from "../blocks.js";
import { epochOf, epochs, secondsUpTo, trainingTime, trainStage } from "../training.js";
import { baseName, EMLAB, images, limitFlags, shellQuote, type Mode, type Stage } from "../stage.js";

/** 2a's cache key: the VAE config without threads and data directory. */
export type VaeStageConfig = Omit<VaeConfig, "threads" | "mnistDir">;

/** 2a's summary: every epoch's record and the file names in the stage directory. */
export interface VaeStageResult {
  resumedFrom: number;
  epochs: VaeEpoch[];
  files: { loss: string; samples: string[]; reconstructions: string[]; onnx: string[] };
}

/** The sizes per mode; undefined limit = the whole MNIST split. */
const SETTINGS: Record<Mode, { epochs: number; limit?: number; testLimit?: number }> = {
  full: { epochs: VAE_DEFAULTS.epochs },
  quick: { epochs: 2, limit: 3000, testLimit: 2000 },
  tiny: { epochs: 1, limit: 512, testLimit: 256 },
};

export const vaeStage: Stage<VaeStageConfig, VaeStageResult> = {
  id: "2a",
  dirName: "2a-vae",
  title: "Variational autoencoder on MNIST",
  question:
    "Train a variational autoencoder on MNIST for 50 epochs; plot the training and test loss per epoch and show samples from the model after epochs 10, 20, 30, 40 and 50.",

  config: (mode, seed) => {
    const m = SETTINGS[mode];
    const { threads: _t, ...d } = VAE_DEFAULTS;
    return { ...d, epochs: m.epochs, seed, limit: m.limit, testLimit: m.testLimit };
  },

  reduction: (mode) => {
    if (mode === "full") return undefined;
    const m = SETTINGS[mode];
    return `2a: ${epochs(m.epochs)} instead of ${SETTINGS.full.epochs}; ${images(m.limit, 60000)} training and ${images(m.testLimit, 10000)} test images.`;
  },

  async run(c, ctx) {
    const run = await trainStage(
      ctx,
      CHECKPOINT_FILE,
      c,
      (opts) => runVae({ ...c, threads: ctx.threads }, opts),
      vaeEpochLine,
    );
    return {
      resumedFrom: run.resumedFrom,
      epochs: run.epochs,
      files: {
        loss: "loss.svg",
        samples: run.files.samples.map(baseName),
        reconstructions: run.files.reconstructions.map(baseName),
        onnx: run.files.onnx.map(baseName),
      },
    };
  },

  commands: (c, dir, threads) => [
    `${EMLAB} vae --epochs ${c.epochs} --batch-size ${c.batchSize} --latent ${c.latent} --hidden ${c.hidden} --lr ${c.lr} --seed ${c.seed}${limitFlags(c.limit, c.testLimit)} --threads ${threads} --out ${shellQuote(dir)}`,
  ],

  present(rec, { figs }) {
    const r = rec.result;
    const dir = rec.dir;
    const c = rec.config;
    const last = r.epochs[r.epochs.length - 1];
    const blocks: Block[] = [
      {
        kind: "p",
        text:
          `784–${c.hidden}–${c.latent} encoder and ${c.latent}–${c.hidden}–784 decoder, Adam (lr ${c.lr}), batches of ${c.batchSize}, ${c.epochs} epochs. ` +
          "Loss per image: binary cross-entropy of the reconstruction plus the KL divergence of \\(q(z \\mid x)\\) from \\(\\mathrm{N}(0, I)\\). " +
          (last ? `After epoch ${last.epoch}: training loss ${fx(last.trainLoss, 2)}, test loss ${fx(last.testLoss, 2)}. ` : "") +
          trainingTime(r.epochs),
      },
    ];
    if (r.resumedFrom > 0) blocks.push({ kind: "p", role: "note", text: `This run continued a checkpoint after epoch ${r.resumedFrom}; the numbers equal those of an uninterrupted run.` });
    blocks.push(
      figures(
        figs.svg(
          `${dir}/${r.files.loss}`,
          "Loss per image against the epoch: training (mean over each epoch's batches) and test (after each epoch, fixed noise), on one chart so that a test loss turning up is seen against the training loss.",
        ),
      ),
    );
    blocks.push({ kind: "heading", text: "Samples (decoded from one fixed set of 64 latent vectors)" });
    blocks.push(grids(r.files.samples.map((f) => figs.png(`${dir}/${f}`, `After epoch ${epochOf(f)}.`, `VAE samples after epoch ${epochOf(f)}`))));
    const lastRecon = r.files.reconstructions[r.files.reconstructions.length - 1];
    if (lastRecon) {
      blocks.push(figures(figs.png(`${dir}/${lastRecon}`, `Reconstructions after epoch ${epochOf(lastRecon)}: rows of 8 test digits, each followed by a row of their reconstructions.`, "VAE reconstructions")));
    }
    blocks.push({
      kind: "table",
      caption: "Per-epoch losses (per image, nats): total = reconstruction (BCE) + KL.",
      head: ["epoch", "train loss", "train BCE", "train KL", "test loss", "test BCE", "test KL", "seconds"],
      numeric: [true, true, true, true, true, true, true, true],
      rows: r.epochs.map((e) => [String(e.epoch), fx(e.trainLoss, 2), fx(e.trainRec, 2), fx(e.trainKl, 2), fx(e.testLoss, 2), fx(e.testRec, 2), fx(e.testKl, 2), fx(e.seconds, 1)]),
    });
    return blocks;
  },

  secondsBeforeRestart: (r) => secondsUpTo(r.epochs, r.resumedFrom),
};
