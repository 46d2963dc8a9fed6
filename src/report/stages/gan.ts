// Stage 2b: the GAN on MNIST with per-epoch checkpoints (src/experiments/gan.ts); an
// interrupted stage continues from its checkpoint (../training.ts).
import { CHECKPOINT_FILE, GAN_CHARTS, GAN_DEFAULTS, GAN_EXACT_THREADS, ganEpochLine, runGan, type GanConfig, type GanEpoch } from "../../experiments/gan.js";
import { figures, fx, grids, type Block } from "../blocks.js";
import { epochOf, epochs, secondsUpTo, trainingTime, trainStage } from "../training.js";
import { baseName, EMLAB, images, limitFlags, shellQuote, type Mode, type Stage } from "../stage.js";

/** The stage's onnxruntime threads: the report's --threads, at most GAN_EXACT_THREADS (the GAN's numbers change with more). */
export const ganThreads = (threads: number) => Math.min(threads, GAN_EXACT_THREADS);

/** The networks with a loss chart. */
type GanNet = (typeof GAN_CHARTS)[number]["net"];

/** 2b's cache key: the GAN config without threads, data directory and output path. */
export type GanStageConfig = Omit<GanConfig, "threads" | "mnistDir">;

/** 2b's summary: parameter counts, every epoch's losses, the file names in the stage directory. */
export interface GanStageResult {
  resumedFrom: number;
  parameters: { G: number; D: number };
  epochs: GanEpoch[];
  files: { losses: { net: GanNet; file: string }[]; samples: string[]; onnx: string[] };
}

/** The sizes per mode; undefined limit = the whole MNIST split. */
const SETTINGS: Record<Mode, { epochs: number; limit?: number; testLimit?: number }> = {
  full: { epochs: GAN_DEFAULTS.epochs },
  quick: { epochs: 2, limit: 3000, testLimit: 2000 },
  tiny: { epochs: 1, limit: 512, testLimit: 256 },
};

export const ganStage: Stage<GanStageConfig, GanStageResult> = {
  id: "2b",
  dirName: "2b-gan",
  title: "Generative adversarial network on MNIST",
  question:
    "Train a GAN on MNIST for 50 epochs; plot the generator's and discriminator's training and test losses per epoch and show samples after epochs 10, 20, 30, 40 and 50.",

  config: (mode, seed) => {
    const m = SETTINGS[mode];
    const { batchSize, lr, beta1, beta2, dropout } = GAN_DEFAULTS;
    return { epochs: m.epochs, batchSize, lr, beta1, beta2, dropout, seed, limit: m.limit, testLimit: m.testLimit };
  },

  reduction: (mode) => {
    if (mode === "full") return undefined;
    const m = SETTINGS[mode];
    return `2b: ${epochs(m.epochs)} instead of ${SETTINGS.full.epochs}; ${images(m.limit, 60000)} training and ${images(m.testLimit, 10000)} test images.`;
  },

  async run(c, ctx) {
    const run = await trainStage(
      ctx,
      CHECKPOINT_FILE,
      c,
      (opts) => runGan({ ...c, threads: ganThreads(ctx.threads) }, opts),
      ganEpochLine,
    );
    return {
      resumedFrom: run.config.resumedFrom,
      parameters: run.parameters,
      epochs: run.epochs,
      files: { losses: GAN_CHARTS.map(({ net, file }) => ({ net, file })), samples: run.files.samples.map(baseName), onnx: run.files.onnx.map(baseName) },
    };
  },

  commands: (c, dir, threads) => [
    `${EMLAB} gan --epochs ${c.epochs} --batch-size ${c.batchSize} --lr ${c.lr} --beta1 ${c.beta1} --beta2 ${c.beta2} --dropout ${c.dropout} --seed ${c.seed}${limitFlags(c.limit, c.testLimit)} --threads ${ganThreads(threads)} --out ${shellQuote(dir)}`,
  ],

  present(rec, { figs }) {
    const r = rec.result;
    const dir = rec.dir;
    const c = rec.config;
    const dropout = c.dropout ? `dropout ${c.dropout} after each of D's hidden layers while training; ` : "no dropout; ";
    const blocks: Block[] = [
      {
        kind: "p",
        text:
          `Generator ${r.parameters.G.toLocaleString("en")} and discriminator ${r.parameters.D.toLocaleString("en")} parameters; per batch of ${c.batchSize} one discriminator step, then one generator step ` +
          `on the same noise with the non-saturating loss \\(-\\log D(G(z))\\); ${dropout}Adam (lr ${c.lr}, \\(\\beta_1 = ${c.beta1}\\), \\(\\beta_2 = ${c.beta2}\\)); ${c.epochs} epochs. ` +
          trainingTime(r.epochs),
      },
    ];
    if (r.resumedFrom > 0) blocks.push({ kind: "p", role: "note", text: `This run continued a checkpoint after epoch ${r.resumedFrom}.` });
    const caption: Record<GanNet, string> = {
      G: "The generator's loss: training (mean over each epoch's batches) and test (on fixed noise, no updates).",
      D: "The discriminator's loss: training (mean over each epoch's batches) and test (the test images against as many generated ones, no updates).",
    };
    blocks.push(figures(...r.files.losses.map((l) => figs.svg(`${dir}/${l.file}`, caption[l.net]))));
    blocks.push({ kind: "heading", text: "Samples (one fixed set of 64 noise vectors)" });
    blocks.push(grids(r.files.samples.map((f) => figs.png(`${dir}/${f}`, `After epoch ${epochOf(f)}.`, `GAN samples after epoch ${epochOf(f)}`))));
    blocks.push({
      kind: "table",
      caption: "Per-epoch losses (binary cross-entropy; D's is the sum over real and generated images).",
      head: ["epoch", "train G", "train D", "test G", "test D", "seconds"],
      numeric: [true, true, true, true, true, true],
      rows: r.epochs.map((e) => [String(e.epoch), fx(e.train.g, 4), fx(e.train.d, 4), fx(e.test.g, 4), fx(e.test.d, 4), fx(e.seconds, 1)]),
    });
    return blocks;
  },

  secondsBeforeRestart: (r) => secondsUpTo(r.epochs, r.resumedFrom),
};
