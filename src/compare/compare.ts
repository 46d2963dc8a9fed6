// Exercise 2c: the VAE against the GAN, measured the same way for both. N samples are drawn from
// each trained sampler (the VAE's decoder.onnx, the GAN's generator.onnx: z ~ N(0, I) → image in
// [0,1]) and compared with MNIST in one fixed feature space, the PCA-50 of the training set:
// Fréchet distance to the test set, class coverage under the GMM Bayes classifier, pixel sharpness,
// nearest-training-image distances, and the training cost from each run's results.json.
// runCompare (the run contract, src/experiments/contract.ts) writes comparison.md,
// comparison.json and the cached classifier.json. Method: docs/gan.md#comparison. Node only.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import type { Matrix } from "../core/matrix.js";
import { nodeCore } from "../core/node.js";
import { loadMnist } from "../data/mnist.js";
import { PCA } from "../decomposition/pca.js";
import { GmmBayesClassifier } from "../classify/bayes.js";
import { fitBayesParallel } from "../classify/fit-parallel.js";
import { defaultThreads } from "../parallel/pool.js";
import { GMM_DEFAULTS, type CovarianceType } from "../mixture/gaussian-mixture.js";
import { createSession } from "../onnx/index.js";
import * as ort from "onnxruntime-node";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.js";
import { UserError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import type { RunOptions, StepStart } from "../experiments/contract.js";
import { classCoverage, type Coverage } from "./coverage.js";
import { frechetDistance, gaussianStats, type GaussianStats } from "./frechet.js";
import { nearestDistances, quantile, summarise, type NearestSummary } from "./memorisation.js";
import { sharpness, type Sharpness } from "./sharpness.js";

/** The labelling classifier: GMM Bayes on PCA features (Exercise 1b's model). */
export interface ClassifierConfig {
  nComponents: number;
  covarianceType: CovarianceType;
  regCovar: number;
  nInit: number;
  maxIter: number;
  tol: number;
  seed: number;
}

/** Default labelling classifier: full covariances, 5 components per digit (on the PCA features of CompareConfig.pca), its own fixed seed. */
export const DEFAULT_CLASSIFIER: ClassifierConfig = { nComponents: 5, covarianceType: "full", regCovar: GMM_DEFAULTS.regCovar, nInit: 1, maxIter: GMM_DEFAULTS.maxIter, tol: GMM_DEFAULTS.tol, seed: 1 };

export interface CompareConfig {
  /** The VAE's run directory (its decoder.onnx is the sampler; history.json gives the training cost). */
  vae: string;
  /** The GAN's run directory (generator.onnx; results.json). */
  gan: string;
  /** Samples drawn from each model. */
  samples: number;
  seed: number;
  /** Dimension of the PCA feature space (50). */
  pca: number;
  classifier: ClassifierConfig;
  mnistDir?: string;
  /** First `limit` training images only (quick runs; default all 60000). */
  limit?: number;
  /** First `testLimit` test images only (default all 10000). */
  testLimit?: number;
  threads: number;
}

/** What a sampler's run directory says about training cost. */
export interface TrainingCost {
  epochs: number | null;
  secondsPerEpoch: number | null;
  /** Mean process CPU seconds per epoch (all threads), when the run recorded them. */
  cpuSecondsPerEpoch: number | null;
  /** Float parameters in the run's ONNX models (sampler + the other network). */
  parameters: number;
  samplerParameters: number;
}

/** Every measured number of one image set (a model's samples or the test set itself). */
export interface SetMetrics {
  fd: number;
  coverage: Coverage;
  sharpness: Sharpness;
  /** Distance to the nearest training image in PCA space. */
  nearest: NearestSummary;
  /** Share of images closer to a training image than the test set's 5th percentile. */
  closerThanTestP05: number;
  /**
   * The same with the percentile taken per digit (each image against the test digits given the same
   * label): a model that over-produces a compact digit such as 1 is not counted as copying.
   */
  closerThanTestP05PerDigit: number;
}

export interface ModelMetrics extends SetMetrics {
  name: "VAE" | "GAN";
  file: string;
  latent: number;
  cost: TrainingCost;
}

/** Defaults of a run: 10000 samples per model, PCA-50 features, the default labelling classifier, every core. */
export const COMPARE_DEFAULTS: Readonly<Omit<CompareConfig, "vae" | "gan" | "mnistDir" | "limit" | "testLimit">> = {
  samples: 10000,
  seed: 1,
  pca: 50,
  classifier: DEFAULT_CLASSIFIER,
  threads: defaultThreads(),
};

/** Progress: each measuring step as it begins. */
export type CompareEvent = StepStart;

/** The steps of a comparison, in order (what CompareEvent names). */
const STEPS = ["loading MNIST", "feature space and classifier", "test set", "VAE samples", "GAN samples"] as const;

export interface Comparison {
  /** The config, with the output directory after the model directories. */
  config: CompareConfig & { out: string };
  date: string;
  classifier: ClassifierConfig & { pca: number; testError: number; cached: boolean };
  /** The MNIST test set measured like a model (FD: training set against test set). */
  reference: SetMetrics;
  models: ModelMetrics[];
  paragraph: string;
}

const CLASSIFIER_FILE = "classifier.json";
const CHUNK = 1000;

// ---------------------------------------------------------------- samplers

interface Sampler {
  file: string;
  session: ort.InferenceSession;
  input: string;
  output: string;
  latent: number;
}

/** Opens an ONNX sampler z [n,k] → image [n,784]; a missing or malformed file is a UserError naming it. */
async function openSampler(file: string, flag: string, threads: number): Promise<Sampler> {
  if (!existsSync(file)) throw new UserError(`${flag}: model file ${file} not found (train the model first)`);
  const bytes = new Uint8Array(readFileSync(file));
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnxProto.onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new UserError(`${file}: not an ONNX model (${(e as Error).message})`);
  }
  const g = model.graph;
  const inits = new Set((g?.initializer ?? []).map((t) => t.name));
  const inputs = (g?.input ?? []).filter((i) => !inits.has(i.name));
  if (inputs.length !== 1 || (g?.output ?? []).length < 1) throw new UserError(`${file}: expected one input z [n,k] and an image output`);
  const dims = inputs[0].type?.tensorType?.shape?.dim ?? [];
  const latent = Number(dims[1]?.dimValue ?? 0);
  if (dims.length !== 2 || !(latent > 0)) throw new UserError(`${file}: input '${inputs[0].name}' is not [n,k] with a fixed k`);
  const outs = g!.output!.map((o) => o.name!);
  const output = outs.includes("image") ? "image" : outs[0];
  const session = await createSession(bytes, { threads });
  // one sample now, so a model of the wrong shape fails before the heavy work, not after it
  const probe = await session.run({ [inputs[0].name!]: new ort.Tensor("float32", new Float32Array(latent), [1, latent]) }, [output]);
  const per = (probe[output].data as Float32Array).length;
  if (per !== 784) throw new UserError(`${file}: output '${output}' has ${per} values per sample, expected 784`);
  return { file, session, input: inputs[0].name!, output, latent };
}

/** n images (n×784 in [0,1]) from z ~ N(0, I) drawn with `rng`. */
async function sample(s: Sampler, n: number, rng: Rng): Promise<Matrix> {
  const out = new Float32Array(n * 784);
  for (let i = 0; i < n; i += CHUNK) {
    const m = Math.min(CHUNK, n - i);
    const z = rng.fillNormal(new Float32Array(m * s.latent)) as Float32Array;
    const res = await s.session.run({ [s.input]: new ort.Tensor("float32", z, [m, s.latent]) }, [s.output]);
    const img = res[s.output].data as Float32Array;
    if (img.length !== m * 784) throw new UserError(`${s.file}: output '${s.output}' has ${img.length / m} values per sample, expected 784`);
    out.set(img, i * 784);
  }
  for (let i = 0; i < out.length; i++) {
    // both samplers promise [0,1]; a model with another range would make every metric meaningless
    if (!(out[i] >= -1e-6 && out[i] <= 1 + 1e-6)) throw new UserError(`${s.file}: output '${s.output}' has value ${out[i]} outside [0,1]`);
  }
  return { data: out, rows: n, cols: 784 };
}

// ---------------------------------------------------------------- training cost

/** Mean seconds per epoch and epoch count from DIR/results.json or DIR/history.json (epochs[] or history[] with `seconds`). */
function trainingCost(dir: string, files: string[]): TrainingCost {
  let epochs: number | null = null;
  let secondsPerEpoch: number | null = null;
  let cpuSecondsPerEpoch: number | null = null;
  const path = ["results.json", "history.json"].map((f) => join(dir, f)).find((f) => existsSync(f));
  if (path) {
    try {
      const j = JSON.parse(readFileSync(path, "utf8"));
      const list: unknown = Array.isArray(j.epochs) ? j.epochs : Array.isArray(j.history) ? j.history : null;
      if (Array.isArray(list)) {
        const mean = (key: string) => {
          const v = list.map((r) => Number((r as Record<string, unknown>)[key])).filter((x) => Number.isFinite(x));
          return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
        };
        epochs = list.length;
        secondsPerEpoch = mean("seconds");
        cpuSecondsPerEpoch = mean("cpuSeconds");
      }
    } catch (e) {
      throw new UserError(`${path}: not valid JSON (${(e as Error).message})`);
    }
  }
  const counts = files.map((f) => (existsSync(join(dir, f)) ? countParameters(join(dir, f)) : 0));
  return { epochs, secondsPerEpoch, cpuSecondsPerEpoch, parameters: counts.reduce((a, b) => a + b, 0), samplerParameters: counts[0] };
}

/** Float initializer elements of an ONNX model, scalars (graph constants) excluded. */
function countParameters(file: string): number {
  const m = onnxProto.onnx.ModelProto.decode(new Uint8Array(readFileSync(file)));
  let n = 0;
  for (const t of m.graph?.initializer ?? []) {
    const size = (t.dims ?? []).reduce<number>((p, d) => p * Number(d), 1);
    if ((t.dataType === 1 || t.dataType === 11) && (t.dims ?? []).length > 0 && size > 1) n += size;
  }
  return n;
}

// ---------------------------------------------------------------- feature space and classifier

interface FeatureSpace {
  pca: PCA;
  classifier: GmmBayesClassifier;
  testError: number;
  cached: boolean;
}

/** The PCA and the labelling classifier: from OUT/classifier.json when its settings match, else fitted and cached. */
async function featureSpace(config: CompareConfig, out: string, train: { images: Matrix; bytes: Uint8Array; labels: Uint8Array }, test: { images: Matrix; labels: Uint8Array }): Promise<FeatureSpace> {
  const key = { pca: config.pca, trainRows: train.images.rows, ...config.classifier };
  const path = join(out, CLASSIFIER_FILE);
  if (existsSync(path)) {
    try {
      const j = JSON.parse(readFileSync(path, "utf8"));
      if (j.kind === "emlab-compare-classifier" && JSON.stringify(j.key) === JSON.stringify(key)) {
        const pca = PCA.fromJSON(j.pca);
        const classifier = GmmBayesClassifier.fromJSON(j.classifier);
        return { pca, classifier, testError: j.testError, cached: true };
      }
    } catch {
      // a damaged cache is refitted and overwritten
    }
  }
  const pca = new PCA({ nComponents: config.pca }).fit({ matrix: train.images, bytes: train.bytes, scale: 1 / 255 });
  const c = config.classifier;
  const classifier = await fitBayesParallel(
    pca.transform(train.images),
    train.labels,
    { nComponents: c.nComponents, covarianceType: c.covarianceType, regCovar: c.regCovar, nInit: c.nInit, maxIter: c.maxIter, tol: c.tol, seed: c.seed },
    { threads: config.threads },
  );
  const pred = classifier.predict(pca.transform(test.images));
  let wrong = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] !== test.labels[i]) wrong++;
  const testError = wrong / pred.length;
  writeJsonAtomic(path, { kind: "emlab-compare-classifier", version: 1, key, testError, pca: pca.toJSON(), classifier: classifier.toJSON() });
  return { pca, classifier, testError, cached: false };
}

// ---------------------------------------------------------------- the measurement

/** Fraction of values below `limit`. */
function shareBelow(values: ArrayLike<number>, limit: number): number {
  let k = 0;
  for (let i = 0; i < values.length; i++) if (values[i] < limit) k++;
  return k / values.length;
}

/** Per label c, the 5th percentile of `values` over the rows labelled c (NaN for an absent label). */
function p05ByLabel(values: Float64Array, labels: Int32Array, nClasses = 10): number[] {
  return Array.from({ length: nClasses }, (_, c) => {
    const v = values.filter((_, i) => labels[i] === c);
    return v.length ? quantile(v, 0.05) : NaN;
  });
}

/** Fraction of rows whose value is below the limit of their label. */
function shareBelowByLabel(values: Float64Array, labels: Int32Array, limits: number[]): number {
  let k = 0;
  for (let i = 0; i < values.length; i++) if (values[i] < limits[labels[i]]) k++;
  return k / values.length;
}

interface Measured {
  features: Matrix;
  images: Matrix;
}

/** The test set's 5th percentiles of nearest-training distances: overall and per predicted digit. */
interface TestPercentiles {
  all: number;
  byDigit: number[];
}

type Measurement = SetMetrics & { nearestAll: Float64Array; labels: Int32Array };

async function measure(set: Measured, fs: FeatureSpace, trainFeatures: Matrix, testStats: GaussianStats, ref: TestPercentiles | null, threads: number): Promise<Measurement> {
  const fd = frechetDistance(gaussianStats(set.features), testStats);
  const labels = fs.classifier.predict(set.features);
  const coverage = classCoverage(labels);
  const nearestAll = await nearestDistances(set.features, trainFeatures, threads);
  const nearest = summarise(nearestAll);
  const limits = ref ?? { all: nearest.p05, byDigit: p05ByLabel(nearestAll, labels) };
  return {
    fd, coverage, sharpness: sharpness(set.images.data), nearest,
    closerThanTestP05: shareBelow(nearestAll, limits.all),
    closerThanTestP05PerDigit: shareBelowByLabel(nearestAll, labels, limits.byDigit),
    nearestAll, labels,
  };
}

/** Draws the samples, measures both models and the test set, and writes comparison.md and comparison.json into `opts.out`. */
export async function runCompare(config: CompareConfig, opts: RunOptions<CompareEvent>): Promise<Comparison & { files: string[] }> {
  const { out, onProgress } = opts;
  const stage = (step: (typeof STEPS)[number]) => onProgress?.({ kind: "step", step, index: STEPS.indexOf(step) + 1, total: STEPS.length });
  const vaeFile = join(config.vae, "decoder.onnx");
  const ganFile = join(config.gan, "generator.onnx");
  // open both samplers before any heavy work, so a missing model fails at once
  const samplers = [await openSampler(vaeFile, "--vae", config.threads), await openSampler(ganFile, "--gan", config.threads)];
  nodeCore();
  stage("loading MNIST");
  const train = loadMnist("train", { dir: config.mnistDir, limit: config.limit });
  const test = loadMnist("test", { dir: config.mnistDir, limit: config.testLimit });
  stage("feature space and classifier");
  const fs = await featureSpace(config, out, train, test);
  const trainFeatures = fs.pca.transform(train.images);
  const testFeatures = fs.pca.transform(test.images);
  const testStats = gaussianStats(testFeatures);

  stage("test set");
  const ref = await measure({ features: testFeatures, images: test.images }, fs, trainFeatures, testStats, null, config.threads);
  // the floor of the FD: the training set against the test set
  const { nearestAll: refNearest, labels: refLabels, ...refMetrics } = ref;
  const reference: SetMetrics = { ...refMetrics, fd: frechetDistance(gaussianStats(trainFeatures), testStats) };
  const percentiles: TestPercentiles = { all: ref.nearest.p05, byDigit: p05ByLabel(refNearest, refLabels) };

  const models: ModelMetrics[] = [];
  const names = ["VAE", "GAN"] as const;
  const dirs = [config.vae, config.gan];
  const files = [["decoder.onnx", "encoder.onnx"], ["generator.onnx", "discriminator.onnx"]];
  for (let k = 0; k < 2; k++) {
    stage(`${names[k]} samples` as const);
    const images = await sample(samplers[k], config.samples, new Rng(config.seed + k));
    const m = await measure({ features: fs.pca.transform(images), images }, fs, trainFeatures, testStats, percentiles, config.threads);
    const { nearestAll: _drop, labels: _labels, ...metrics } = m;
    models.push({ name: names[k], file: samplers[k].file, latent: samplers[k].latent, ...metrics, cost: trainingCost(dirs[k], files[k]) });
    await samplers[k].session.release();
  }
  const { vae, gan, ...rest } = config;
  const c: Comparison = {
    config: { vae, gan, out, ...rest },
    date: new Date().toISOString(),
    classifier: { ...config.classifier, pca: config.pca, testError: fs.testError, cached: fs.cached },
    reference,
    models,
    paragraph: "",
  };
  c.paragraph = comparisonParagraph(c);
  return { ...c, files: writeComparison(out, c) };
}

// ---------------------------------------------------------------- the report

const f2 = (v: number) => v.toFixed(2);
const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
const opt = (v: number | null, f: (x: number) => string) => (v === null ? "n/a" : f(v));

/** The comparison as a Markdown table: one row per measure, columns VAE, GAN, MNIST test set. */
export function comparisonTable(c: Comparison): string {
  const [vae, gan] = c.models;
  const ref = c.reference;
  const row = (name: string, f: (m: SetMetrics) => string, refText?: string) => `| ${name} | ${f(vae)} | ${f(gan)} | ${refText ?? f(ref)} |`;
  const cost = (name: string, f: (m: ModelMetrics) => string) => `| ${name} | ${f(vae)} | ${f(gan)} | — |`;
  return [
    "| measure | VAE | GAN | MNIST test set |",
    "| --- | ---: | ---: | ---: |",
    row(`Fréchet distance to the test set (PCA-${c.classifier.pca})`, (m) => f2(m.fd), `${f2(ref.fd)} (training set)`),
    row("class entropy (nats, max 2.303)", (m) => m.coverage.entropy.toFixed(3)),
    row("most common digit (share)", (m) => `${m.coverage.mode} (${pct(m.coverage.modeShare)})`),
    row("rarest digit (share)", (m) => `${m.coverage.rarest} (${pct(m.coverage.rarestShare)})`),
    row("mean pixel binary entropy (bits)", (m) => m.sharpness.meanEntropyBits.toFixed(3)),
    row("near-binary pixels (< 0.1 or > 0.9)", (m) => pct(m.sharpness.nearBinary)),
    row("distance to nearest training image, median", (m) => f2(m.nearest.median)),
    row("distance to nearest training image, 5th percentile", (m) => f2(m.nearest.p05)),
    row("closer than the test set's 5th percentile", (m) => pct(m.closerThanTestP05)),
    row("… with the percentile per predicted digit", (m) => pct(m.closerThanTestP05PerDigit)),
    cost("seconds per epoch", (m) => opt(m.cost.secondsPerEpoch, (v) => v.toFixed(1))),
    cost("CPU seconds per epoch (all threads)", (m) => opt(m.cost.cpuSecondsPerEpoch, (v) => v.toFixed(1))),
    cost("epochs trained", (m) => opt(m.cost.epochs, String)),
    cost("parameters (sampler / both networks)", (m) => `${m.cost.samplerParameters.toLocaleString("en")} / ${m.cost.parameters.toLocaleString("en")}`),
  ].join("\n");
}

/** A short paragraph stating what the numbers show; every claim is computed from `c`. */
export function comparisonParagraph(c: Comparison): string {
  const [vae, gan] = c.models;
  const ref = c.reference;
  const s: string[] = [];
  const [lo, hi] = vae.fd <= gan.fd ? [vae, gan] : [gan, vae];
  s.push(
    `In the PCA-${c.classifier.pca} feature space the ${lo.name}'s samples are closer to the MNIST test set than the ${hi.name}'s ` +
      `(Fréchet distance ${f2(lo.fd)} against ${f2(hi.fd)}: the ${hi.name}'s is ${(hi.fd / Math.max(lo.fd, 1e-12)).toFixed(1)}× larger; the training set itself is at ${f2(ref.fd)}).`,
  );
  const cov = (m: ModelMetrics) => `${m.name} ${m.coverage.entropy.toFixed(3)} nats (digit ${m.coverage.mode} most common at ${pct(m.coverage.modeShare)}, digit ${m.coverage.rarest} rarest at ${pct(m.coverage.rarestShare)})`;
  // < 2.0 nats: the assignment's bar for "every digit"; a digit above 20 % or below 5 % is uneven (MNIST: 9–11 %)
  const kind = (m: ModelMetrics) =>
    m.coverage.entropy < 2.0
      ? "falls below 2.0 nats, a sign of dropped or over-produced digits"
      : m.coverage.modeShare >= 0.2 || m.coverage.rarestShare <= 0.05
        ? "produces every digit but unevenly"
        : "produces every digit in roughly even proportions";
  // one clause when both models get the same verdict ("both produce …"), else one per model
  const verdicts = kind(vae) === kind(gan)
    ? `both ${kind(vae).replace(/^produces/, "produce").replace(/^falls/, "fall")}`
    : `the ${vae.name} ${kind(vae)}, and the ${gan.name} ${kind(gan)}`;
  s.push(
    `Labelled by the GMM Bayes classifier (${c.classifier.covarianceType}, K = ${c.classifier.nComponents}, test error ${pct(c.classifier.testError)}), ` +
      `the class entropy is ${cov(vae)} and ${cov(gan)}, against ${ref.coverage.entropy.toFixed(2)} for the test set: ${verdicts}.`,
  );
  const [sharp, blur] = vae.sharpness.meanEntropyBits <= gan.sharpness.meanEntropyBits ? [vae, gan] : [gan, vae];
  s.push(
    `The ${sharp.name}'s pixels are closer to black and white: ${pct(sharp.sharpness.nearBinary)} near-binary pixels and a mean binary entropy of ` +
      `${sharp.sharpness.meanEntropyBits.toFixed(3)} bits, against ${pct(blur.sharpness.nearBinary)} and ${blur.sharpness.meanEntropyBits.toFixed(3)} bits for the ${blur.name} ` +
      `and ${pct(ref.sharpness.nearBinary)} and ${ref.sharpness.meanEntropyBits.toFixed(3)} bits for the test set.`,
  );
  // > 10 % (twice the 5 % of test-like samples) per digit: closer to training images than unseen digits of the same class
  const copy = c.models.filter((m) => m.closerThanTestP05PerDigit > 0.1);
  const mix = c.models.filter((m) => m.closerThanTestP05 > 0.1 && m.closerThanTestP05PerDigit <= 0.1);
  s.push(
    `Median distances to the nearest training image are ${f2(vae.nearest.median)} (VAE) and ${f2(gan.nearest.median)} (GAN) against ${f2(ref.nearest.median)} for unseen test digits; ` +
      `${pct(vae.closerThanTestP05)} of the VAE's and ${pct(gan.closerThanTestP05)} of the GAN's samples are closer to a training image than the test set's 5th percentile ` +
      `(${pct(vae.closerThanTestP05PerDigit)} and ${pct(gan.closerThanTestP05PerDigit)} with the percentile of the same predicted digit; 5 % for test-like samples), ` +
      (copy.length > 0
        ? `so the ${copy.map((m) => m.name).join(" and ")} may reproduce training images near-verbatim.`
        : mix.length > 0
          ? `so the ${mix.map((m) => m.name).join(" and ")}'s excess of close samples comes from its digit mix (digits that lie close to their training neighbours), not from copying within a digit.`
          : "so neither model shows signs of copying its training set."),
  );
  if (vae.cost.secondsPerEpoch !== null && gan.cost.secondsPerEpoch !== null) {
    s.push(
      `Training cost: ${vae.cost.secondsPerEpoch.toFixed(1)} s per epoch for the VAE and ${gan.cost.secondsPerEpoch.toFixed(1)} s for the GAN ` +
        `(${(gan.cost.secondsPerEpoch / vae.cost.secondsPerEpoch).toFixed(1)}×), with ${vae.cost.parameters.toLocaleString("en")} and ${gan.cost.parameters.toLocaleString("en")} parameters.`,
    );
  }
  return s.join(" ");
}

/** Writes comparison.md and comparison.json into `out`; returns their paths. */
function writeComparison(out: string, c: Comparison): string[] {
  const md = [
    "# VAE versus GAN on MNIST",
    "",
    `${c.config.samples} samples from each model (seed ${c.config.seed}), measured against MNIST (${c.date}).`,
    "",
    comparisonTable(c),
    "",
    c.paragraph,
    "",
    `Features: the first ${c.classifier.pca} principal components of the MNIST training images. Labels: GMM Bayes classifier ` +
      `(${c.classifier.covarianceType} covariances, ${c.classifier.nComponents} components per digit) on the same features. ` +
      "Nearest-training-image distances are Euclidean in that feature space. Method: docs/gan.md.",
    "",
  ].join("\n");
  const files = [join(out, "comparison.md"), join(out, "comparison.json")];
  writeFileAtomic(files[0], md);
  writeJsonAtomic(files[1], c);
  return files;
}
