// The stages of `emlab report`, one per exercise: what each asks, its configuration in each mode
// (full = the assignment's settings, quick = a first look in minutes, tiny = the test suite's),
// how it runs (by calling the experiment modules of src/experiments and src/compare), the
// summary it leaves in its stage.json, and the equivalent stand-alone CLI commands. Node only.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_CLASSIFIER, comparisonTable, runCompare, writeComparison, type CompareConfig, type Comparison } from "../compare/compare.js";
import { loadData } from "../data/datasets.js";
import { runGan, CHECKPOINT_FILE as GAN_CHECKPOINT, type GanConfig, type GanEpoch } from "../experiments/gan.js";
import { runGmmSweep, writeSweepOutputs, type GmmModelReport, type GmmRun, type GmmSweepConfig } from "../experiments/gmm-sweep.js";
import { runMnist, writeMnistOutputs, type MnistConfig, type MnistKResult } from "../experiments/mnist.js";
import { runVae, VAE_DEFAULTS, type VaeConfig, type VaeEpoch } from "../experiments/vae.js";
import { covarianceEntry } from "../mixture/covariance.js";
import { GAN_DROPOUT, GAN_OPTIM } from "../models/gan.js";
import { nodeCore } from "../core/node.js";
import { writeJsonAtomic } from "../util/atomic.js";
import { UserError } from "../util/errors.js";
import type { Progress } from "../util/progress.js";
import { canonicalJson } from "./canonical.js";

/** The exercises, in run order. */
export type StageId = "1a" | "1b" | "2a" | "2b" | "2c";
/** Every stage id in run order. */
export const STAGE_IDS: readonly StageId[] = ["1a", "1b", "2a", "2b", "2c"];
/** Settings: the assignment's (full), a first look (quick), the test suite's (tiny). */
export type Mode = "full" | "quick" | "tiny";

// ---------------------------------------------------------------------------------------
// settings per mode

/** The sizes that differ between modes; undefined limit = the whole MNIST split. */
export interface ModeSettings {
  gmmKs: number[];
  mnist: { ks: number[]; pca: number; limit?: number; testLimit?: number };
  vae: { epochs: number; limit?: number; testLimit?: number };
  gan: { epochs: number; limit?: number; testLimit?: number };
  compare: { samples: number; classifierK: number; limit?: number; testLimit?: number };
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** Settings keyed by mode: full is the assignment; tiny exists for test/report.test.ts only. */
export const MODES: Record<Mode, ModeSettings> = {
  full: {
    gmmKs: range(1, 10),
    mnist: { ks: range(1, 10), pca: 50 },
    vae: { epochs: 50 },
    gan: { epochs: 50 },
    compare: { samples: 10000, classifierK: DEFAULT_CLASSIFIER.nComponents },
  },
  quick: {
    gmmKs: range(1, 10),
    mnist: { ks: range(1, 4), pca: 50, limit: 3000, testLimit: 2000 },
    vae: { epochs: 2, limit: 3000, testLimit: 2000 },
    gan: { epochs: 2, limit: 3000, testLimit: 2000 },
    compare: { samples: 1000, classifierK: 5, limit: 3000, testLimit: 2000 },
  },
  tiny: {
    gmmKs: range(1, 3),
    mnist: { ks: range(1, 2), pca: 50, limit: 1000, testLimit: 300 },
    vae: { epochs: 1, limit: 512, testLimit: 256 },
    gan: { epochs: 1, limit: 512, testLimit: 256 },
    compare: { samples: 200, classifierK: 2, limit: 1000, testLimit: 300 },
  },
};

/** "1-10" for a run of consecutive integers, else "1,3,5". */
export function kListText(ks: readonly number[]): string {
  const consecutive = ks.every((k, i) => i === 0 || k === ks[i - 1] + 1);
  return consecutive && ks.length > 1 ? `${ks[0]}-${ks[ks.length - 1]}` : ks.join(",");
}

const images = (limit: number | undefined, all: number) => (limit === undefined ? `all ${all}` : `${limit} of ${all}`);

/** What a mode reduces relative to the assignment, one sentence per stage (empty for full). */
export function reductions(mode: Mode): string[] {
  if (mode === "full") return [];
  const m = MODES[mode];
  const f = MODES.full;
  const out: string[] = [];
  if (canonicalJson(m.gmmKs) !== canonicalJson(f.gmmKs)) out.push(`1a: K = ${kListText(m.gmmKs)} instead of ${kListText(f.gmmKs)}.`);
  out.push(
    `1b: K = ${kListText(m.mnist.ks)} instead of ${kListText(f.mnist.ks)}; ${images(m.mnist.limit, 60000)} training and ${images(m.mnist.testLimit, 10000)} test images.`,
    `2a: ${m.vae.epochs} epochs instead of ${f.vae.epochs}; ${images(m.vae.limit, 60000)} training and ${images(m.vae.testLimit, 10000)} test images.`,
    `2b: ${m.gan.epochs} epochs instead of ${f.gan.epochs}; ${images(m.gan.limit, 60000)} training and ${images(m.gan.testLimit, 10000)} test images.`,
    `2c: ${m.compare.samples} samples per model instead of ${f.compare.samples}; labelling classifier K = ${m.compare.classifierK} instead of ${f.compare.classifierK}; ` +
      `${images(m.compare.limit, 60000)} training and ${images(m.compare.testLimit, 10000)} test images.`,
  );
  return out;
}

// ---------------------------------------------------------------------------------------
// the stage contract

/** What a stage may use while it runs. */
export interface StageContext {
  /** The report's --out. */
  out: string;
  /** This stage's directory (out/<id>-<name>). */
  dir: string;
  threads: number;
  /** --force: start afresh even where a checkpoint could be continued. */
  force: boolean;
  /** One line of progress on stderr (prefixed with the stage id by the caller). */
  log(line: string): void;
  /** A progress bar on stderr (silent when stderr is not a terminal). */
  bar(label: string, total: number): Progress;
}

/** One stage: its cache key per mode, how it runs, what the stand-alone commands are. */
export interface StageDef<C = any, R = any> {
  id: StageId;
  /** Directory name under --out. */
  dirName: string;
  title: string;
  /** The exercise's question in a sentence. */
  question: string;
  /** The configuration that decides whether a finished stage is up to date (no thread counts, no paths). */
  config(mode: Mode, seed: number): C;
  /** Run the stage, writing its files into ctx.dir; returns the summary kept in stage.json. */
  run(config: C, ctx: StageContext): Promise<R>;
  /** The stand-alone emlab commands that compute the same outputs into `dir`. */
  commands(config: C, dir: string, threads: number): string[];
  /** False when a finished result is outdated for a reason outside its config (e.g. it skipped what this build can now do). */
  stillValid?(result: R): boolean;
}

/** Quote a word for a POSIX shell when it needs it. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

const EMLAB = "node build/src/cli/main.js";
const limitFlags = (limit?: number, testLimit?: number) => [limit === undefined ? "" : ` --limit ${limit}`, testLimit === undefined ? "" : ` --test-limit ${testLimit}`].join("");

// ---------------------------------------------------------------------------------------
// 1a: the K sweep on the bundled data set

/** 1a's cache key: the sweep's settings on the bundled data set. */
export type GmmStageConfig = Omit<GmmSweepConfig, "initLabels" | "initLabelsFile"> & { data: "gmm-default" };

/** 1a's summary in stage.json: runs per K (without NLL traces), the choice and the chosen model by increasing weight. */
export interface GmmStageResult {
  data: { source: string; n: number; d: number; truthFile?: string };
  runs: Omit<GmmRun, "nllTrace">[];
  chosenK: number;
  selection: { criterion: string; reason: string };
  model: GmmModelReport;
  files: { chart: string; parameters: string; runs: string };
}

const gmmStage: StageDef<GmmStageConfig, GmmStageResult> = {
  id: "1a",
  dirName: "1a-gmm",
  title: "Gaussian mixture by EM: choosing K",
  question:
    "Fit Gaussian mixtures with K = 1, …, 10 components by EM to the given data set, choose K, and report the chosen model's weights, means and variances in order of increasing weight.",
  config: (mode, seed) => ({ data: "gmm-default", ks: MODES[mode].gmmKs, covarianceType: "diag", init: "kmeans++", nInit: 5, seed, maxIter: 500, tol: 1e-5, regCovar: 1e-6 }),
  async run(c, ctx) {
    const data = loadData(c.data);
    const X = data.matrix;
    const bar = ctx.bar("1a gmm", c.ks.length);
    let r;
    try {
      const { data: _d, ...sweep } = c;
      r = runGmmSweep(X, { source: data.source, n: X.rows, d: X.cols, truthFile: data.truthFile }, sweep, {
        core: nodeCore(),
        onRun: (done, run) => {
          bar.update(done, `K=${run.k}`);
          ctx.log(`K = ${run.k}: NLL ${run.nll.toFixed(1)}, BIC ${run.bic.toFixed(1)} (${run.seconds.toFixed(2)} s)`);
        },
      });
    } finally {
      bar.stop();
    }
    writeSweepOutputs(ctx.dir, r);
    return {
      data: r.data,
      runs: r.runs.map(({ nllTrace: _t, ...run }) => run),
      chosenK: r.chosenK,
      selection: r.selection,
      model: r.model,
      files: { chart: "nll-vs-k.svg", parameters: "parameters.md", runs: "runs.json" },
    };
  },
  commands: (c, dir) => [
    `${EMLAB} gmm --data ${c.data} --k ${kListText(c.ks)} --covariance ${c.covarianceType} --init ${c.init} --n-init ${c.nInit} --seed ${c.seed} ` +
      `--max-iter ${c.maxIter} --tol ${c.tol} --reg-covar ${c.regCovar} --out ${shellQuote(dir)}`,
  ],
};

// ---------------------------------------------------------------------------------------
// 1b: the MNIST GMM Bayes classifier

/** 1b's cache key: the diagonal sweep and the best configuration. */
export interface MnistStageConfig {
  sweep: Omit<MnistConfig, "threads" | "mnistDir">;
  /** The best configuration: full covariances on PCA features, K = the sweep's best K. */
  best: { covarianceType: "full"; pca: number; k: "lowest test error of the sweep" };
}

/** One runMnist call as kept in stage.json; file paths relative to the stage directory. */
export interface MnistRunSummary {
  config: Record<string, unknown>;
  results: MnistKResult[];
  best: { k: number; testError: number };
  confusion: number[][];
  misclassified: number;
  pcaSeconds: number;
  files: { errorChart: string; confusion: string; misclassified?: string; results: string };
}

/** 1b's summary: the sweep, and the full-covariance run or why it was skipped. */
export interface MnistStageResult {
  sweep: MnistRunSummary;
  full: { run: MnistRunSummary; k: number; kReason: string; dir: string } | { skipped: string };
}

function mnistSummaryOf(run: Awaited<ReturnType<typeof runMnist>>, sub: string): MnistRunSummary {
  const p = (f: string) => (sub ? `${sub}/${f}` : f);
  return {
    config: { ...run.config, mnistDir: undefined },
    results: run.results,
    best: run.best,
    confusion: run.confusion,
    misclassified: run.misclassified.n,
    pcaSeconds: run.config.pcaSeconds,
    files: { errorChart: p("error-vs-k.svg"), confusion: p("confusion.svg"), misclassified: run.misclassified.n > 0 ? p("misclassified.png") : undefined, results: p("results.json") },
  };
}

/** Why full covariances cannot run now (the estimator does not know them), or undefined when they can. */
function fullUnavailable(): string | undefined {
  try {
    covarianceEntry("full");
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const FULL_DIR = "full";
const FULL_MISSING = "full covariances are not available in this build";

const mnistStage: StageDef<MnistStageConfig, MnistStageResult> = {
  id: "1b",
  dirName: "1b-mnist",
  title: "MNIST with a GMM Bayes classifier",
  question:
    "Classify MNIST digits with Bayes' rule over one Gaussian mixture per digit: plot the test error against K = 1, …, 10, show the confusion matrix and misclassified digits, and find a better configuration (full covariances on PCA features).",
  config: (mode, seed) => {
    const m = MODES[mode].mnist;
    return {
      sweep: { ks: m.ks, pca: m.pca, covarianceType: "diag", seed, init: "kmeans++", regCovar: 1e-6, nInit: 1, maxIter: 500, tol: 1e-5, limit: m.limit, testLimit: m.testLimit },
      best: { covarianceType: "full", pca: 50, k: "lowest test error of the sweep" },
    };
  },
  async run(c, ctx) {
    const fit = async (config: MnistConfig, label: string) => {
      const bar = ctx.bar(label, config.ks.length * 10);
      try {
        return await runMnist(config, (done, _total, info) => {
          bar.update(done, info);
          if (done % 10 === 0) ctx.log(`${label}: ${info} fitted (${done / 10}/${config.ks.length})`);
        });
      } finally {
        bar.stop();
      }
    };
    const sweepRun = await fit({ ...c.sweep, threads: ctx.threads }, "diag sweep");
    writeMnistOutputs(ctx.dir, sweepRun);
    const sweep = mnistSummaryOf(sweepRun, "");
    const k = sweep.best.k;
    const kReason =
      `K = ${k}: the K with the lowest test error (${(100 * sweep.best.testError).toFixed(2)} %) in the diagonal sweep above. ` +
      "Choosing it on the test set makes this row's error slightly optimistic; the sweep itself is the honest curve.";
    const why = fullUnavailable();
    if (why) {
      ctx.log(`full covariances are not available (${why}); skipping the best-configuration row`);
      return { sweep, full: { skipped: `${FULL_MISSING} (${why})` } };
    }
    let fullRun;
    try {
      fullRun = await fit({ ...c.sweep, ks: [k], pca: c.best.pca, covarianceType: c.best.covarianceType, threads: ctx.threads }, `full K=${k}`);
    } catch (e) {
      // keep the sweep: the failed row is reported with its message instead of the stage failing
      const msg = (e as Error).message.split("\n")[0];
      ctx.log(`the full-covariance fit failed: ${msg}`);
      return { sweep, full: { skipped: `the full-covariance fit with K = ${k} failed: ${msg}` } };
    }
    writeMnistOutputs(join(ctx.dir, FULL_DIR), fullRun);
    return { sweep, full: { run: mnistSummaryOf(fullRun, FULL_DIR), k, kReason, dir: FULL_DIR } };
  },
  // a result that skipped full covariances is redone once the build has them
  stillValid: (r) => !("skipped" in r.full && r.full.skipped.startsWith(FULL_MISSING) && fullUnavailable() === undefined),
  commands: (c, dir, threads) => {
    const s = c.sweep;
    const common = `--seed ${s.seed} --init ${s.init} --n-init ${s.nInit} --max-iter ${s.maxIter} --tol ${s.tol} --reg-covar ${s.regCovar}${limitFlags(s.limit, s.testLimit)} --threads ${threads}`;
    return [
      `${EMLAB} mnist --k ${kListText(s.ks)} --pca ${s.pca} --covariance ${s.covarianceType} ${common} --out ${shellQuote(dir)}`,
      `${EMLAB} mnist --k K_BEST --pca ${c.best.pca} --covariance full ${common} --out ${shellQuote(join(dir, FULL_DIR))}   # K_BEST: the sweep's best K`,
    ];
  },
};

// ---------------------------------------------------------------------------------------
// training runs with checkpoints (2a, 2b)

/** run-config.json: the config a training directory was started with, so a checkpoint is continued only under the same one. */
const RUN_CONFIG = "run-config.json";

/** True when dir holds `checkpoint` and was started with the same config (a continuation gives the same numbers). */
function canResume(dir: string, checkpoint: string, config: unknown): boolean {
  if (!existsSync(join(dir, checkpoint)) || !existsSync(join(dir, RUN_CONFIG))) return false;
  try {
    return canonicalJson(JSON.parse(readFileSync(join(dir, RUN_CONFIG), "utf8")).config) === canonicalJson(config);
  } catch {
    return false;
  }
}

/** Runs `train(resume)`, continuing the checkpoint when it matches; a checkpoint that cannot be continued is logged and training starts afresh. */
async function trainWithResume<T>(ctx: StageContext, checkpoint: string, config: unknown, train: (resume: boolean) => Promise<T>): Promise<T> {
  const resume = !ctx.force && canResume(ctx.dir, checkpoint, config);
  writeJsonAtomic(join(ctx.dir, RUN_CONFIG), { config });
  if (!resume) return train(false);
  ctx.log(`continuing from ${join(ctx.dir, checkpoint)}`);
  try {
    return await train(true);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    ctx.log(`cannot continue (${e.message}); training afresh`);
    return train(false);
  }
}

// ---------------------------------------------------------------------------------------
// 2a: the VAE

/** 2a's cache key: the VAE config without threads and data directory. */
export type VaeStageConfig = Omit<VaeConfig, "threads" | "mnistDir">;

/** 2a's summary: every epoch's record and the file names in the stage directory. */
export interface VaeStageResult {
  resumedFrom: number;
  epochs: VaeEpoch[];
  files: { lossTrain: string; lossTest: string; samples: string[]; reconstructions: string[]; onnx: string[] };
}

const baseName = (p: string) => p.split(/[\\/]/).pop()!;

const vaeStage: StageDef<VaeStageConfig, VaeStageResult> = {
  id: "2a",
  dirName: "2a-vae",
  title: "Variational autoencoder on MNIST",
  question:
    "Train a variational autoencoder on MNIST for 50 epochs; plot the training and test loss per epoch and show samples from the model after epochs 10, 20, 30, 40 and 50.",
  config: (mode, seed) => {
    const m = MODES[mode].vae;
    const { threads: _t, ...d } = VAE_DEFAULTS;
    return { ...d, epochs: m.epochs, seed, limit: m.limit, testLimit: m.testLimit };
  },
  async run(c, ctx) {
    const run = await trainWithResume(ctx, "checkpoint.emlab", c, (resume) =>
      runVae(
        { ...c, threads: ctx.threads },
        {
          out: ctx.dir,
          resume,
          progress: ctx.bar,
          onEpoch: (e) => ctx.log(`epoch ${e.epoch}/${c.epochs}: train ${e.trainLoss.toFixed(2)}, test ${e.testLoss.toFixed(2)} (${e.seconds.toFixed(1)} s)`),
        },
      ),
    );
    return {
      resumedFrom: run.resumedFrom,
      epochs: run.epochs,
      files: {
        lossTrain: "loss-train.svg",
        lossTest: "loss-test.svg",
        samples: run.files.samples.map(baseName),
        reconstructions: run.files.reconstructions.map(baseName),
        onnx: run.files.onnx.map(baseName),
      },
    };
  },
  commands: (c, dir, threads) => [
    `${EMLAB} vae --epochs ${c.epochs} --batch-size ${c.batchSize} --latent ${c.latent} --hidden ${c.hidden} --lr ${c.lr} --seed ${c.seed}${limitFlags(c.limit, c.testLimit)} --threads ${threads} --out ${shellQuote(dir)}`,
  ],
};

// ---------------------------------------------------------------------------------------
// 2b: the GAN

/** 2b's cache key: the GAN config without threads, data directory and output path. */
export type GanStageConfig = Omit<GanConfig, "threads" | "mnistDir" | "out">;

/** 2b's summary: parameter counts, every epoch's losses, the file names in the stage directory. */
export interface GanStageResult {
  resumedFrom: number;
  parameters: { G: number; D: number };
  epochs: GanEpoch[];
  files: { lossTrain: string; lossTest: string; samples: string[]; onnx: string[] };
}

const ganStage: StageDef<GanStageConfig, GanStageResult> = {
  id: "2b",
  dirName: "2b-gan",
  title: "Generative adversarial network on MNIST",
  question:
    "Train a GAN on MNIST for 50 epochs; plot the generator's and discriminator's training and test losses per epoch and show samples after epochs 10, 20, 30, 40 and 50.",
  config: (mode, seed) => {
    const m = MODES[mode].gan;
    return { epochs: m.epochs, batchSize: 128, ...GAN_OPTIM, dropout: GAN_DROPOUT, seed, limit: m.limit, testLimit: m.testLimit };
  },
  async run(c, ctx) {
    let bar: Progress | null = null;
    const run = await trainWithResume(ctx, GAN_CHECKPOINT, c, async (resume) => {
      try {
        return await runGan(
          { ...c, threads: ctx.threads, out: ctx.dir },
          {
            resume,
            progress: {
              batch(epoch, done, total) {
                bar ??= ctx.bar(`epoch ${epoch}/${c.epochs}`, total);
                bar.update(done);
                if (done === total) {
                  bar.stop();
                  bar = null;
                }
              },
              epoch: (e) => ctx.log(`epoch ${e.epoch}/${c.epochs}: train G ${e.train.g.toFixed(3)} D ${e.train.d.toFixed(3)}, test G ${e.test.g.toFixed(3)} D ${e.test.d.toFixed(3)} (${e.seconds.toFixed(1)} s)`),
            },
          },
        );
      } finally {
        (bar as Progress | null)?.stop();
        bar = null;
      }
    });
    return {
      resumedFrom: run.config.resumedFrom,
      parameters: run.parameters,
      epochs: run.epochs,
      files: { lossTrain: "loss-train.svg", lossTest: "loss-test.svg", samples: run.files.samples.map(baseName), onnx: run.files.onnx.map(baseName) },
    };
  },
  commands: (c, dir, threads) => [
    `${EMLAB} gan --epochs ${c.epochs} --batch-size ${c.batchSize} --lr ${c.lr} --beta1 ${c.beta1} --beta2 ${c.beta2} --dropout ${c.dropout} --seed ${c.seed}${limitFlags(c.limit, c.testLimit)} --threads ${threads} --out ${shellQuote(dir)}`,
  ],
};

// ---------------------------------------------------------------------------------------
// 2c: the comparison

/** 2c's cache key: sample count, feature space, labelling classifier, data limits, and the models' configs. */
export interface CompareStageConfig {
  samples: number;
  seed: number;
  pca: number;
  classifier: CompareConfig["classifier"];
  limit?: number;
  testLimit?: number;
  /** The configurations of the two trained models: a retrained model makes the comparison stale. */
  inputs: { vae: unknown; gan: unknown };
}

/** 2c's summary: every measured number (without paths), the Markdown table, the file names. */
export interface CompareStageResult {
  comparison: Omit<Comparison, "config">;
  table: string;
  files: { markdown: string; json: string };
}

const compareStage: StageDef<CompareStageConfig, CompareStageResult> = {
  id: "2c",
  dirName: "2c-compare",
  title: "VAE versus GAN",
  question:
    "Compare the two generative models on MNIST — sample quality, diversity, memorisation and training cost — with measured numbers, and say which works better and why.",
  config: (mode, seed) => {
    const m = MODES[mode].compare;
    return {
      samples: m.samples,
      seed,
      pca: 50,
      // the CLI's labelling classifier (its own fixed seed), so `emlab compare` reproduces this stage
      classifier: { ...DEFAULT_CLASSIFIER, nComponents: m.classifierK },
      limit: m.limit,
      testLimit: m.testLimit,
      inputs: { vae: vaeStage.config(mode, seed), gan: ganStage.config(mode, seed) },
    };
  },
  async run(c, ctx) {
    const config: CompareConfig = {
      vae: join(ctx.out, vaeStage.dirName),
      gan: join(ctx.out, ganStage.dirName),
      out: ctx.dir,
      samples: c.samples,
      seed: c.seed,
      pca: c.pca,
      classifier: c.classifier,
      limit: c.limit,
      testLimit: c.testLimit,
      threads: ctx.threads,
    };
    const cmp = await runCompare(config, (stage) => ctx.log(stage));
    writeComparison(ctx.dir, cmp);
    const { config: _c, ...comparison } = cmp;
    return { comparison, table: comparisonTable(cmp), files: { markdown: "comparison.md", json: "comparison.json" } };
  },
  commands: (c, dir, threads) => {
    const up = dir.replace(/[^/\\]*$/, "");
    return [
      `${EMLAB} compare --vae ${shellQuote(up + vaeStage.dirName)} --gan ${shellQuote(up + ganStage.dirName)} --samples ${c.samples} --seed ${c.seed} ` +
        `--classifier-k ${c.classifier.nComponents} --classifier-covariance ${c.classifier.covarianceType}${limitFlags(c.limit, c.testLimit)} --threads ${threads} --out ${shellQuote(dir)}`,
    ];
  },
};

/** The stages in run order. */
export const STAGES: readonly StageDef[] = [gmmStage, mnistStage, vaeStage, ganStage, compareStage];

/** The stage with this id. */
export function stageById(id: StageId): StageDef {
  return STAGES.find((s) => s.id === id)!;
}

/** Stages a stage reads the outputs of (they must be finished under the current config first). */
export const NEEDS: Partial<Record<StageId, StageId[]>> = { "2c": ["2a", "2b"] };
