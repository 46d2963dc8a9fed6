// Exercise 1b: the GMM Bayes classifier on MNIST, swept over K. Loads the train and test
// splits, optionally projects both on the training set's top principal components, fits one
// classifier per K (the ten class mixtures on worker threads) and records test and train error,
// the confusion matrix of the best K and the misclassified test digits; runMnist (the run
// contract, ./contract.ts) writes them into its output directory. Node only.
import { join } from "node:path";
import type { Matrix } from "../core/matrix.js";
import { nodeCore } from "../core/node.js";
import { loadMnist } from "../data/mnist.js";
import { PCA } from "../decomposition/pca.js";
import { GMM_DEFAULTS, type CovarianceType, type InitMethod } from "../mixture/gaussian-mixture.js";
import { classFitPool, fitBayesParallel } from "../classify/fit-parallel.js";
import { lineChart, heatmap } from "../plot/svg.js";
import { imageGrid } from "../plot/png.js";
import { defaultThreads } from "../parallel/pool.js";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.js";
import { UserError } from "../util/errors.js";
import { kRange } from "../util/k-list.js";
import type { RunOptions, Tick, UnitDone } from "./contract.js";

/** Everything a run depends on (all of it is echoed into results.json). */
export interface MnistConfig {
  /** Numbers of components to sweep, e.g. [1, …, 10]. */
  ks: number[];
  /** PCA dimension; 0 = raw pixels. */
  pca: number;
  covarianceType: CovarianceType;
  seed: number;
  init: InitMethod;
  regCovar: number;
  nInit: number;
  maxIter: number;
  tol: number;
  /** First `limit` training images only (undefined = all 60000). */
  limit?: number;
  /** First `testLimit` test images only (undefined = all 10000). */
  testLimit?: number;
  mnistDir?: string;
  threads: number;
}

/** Defaults of a run (Exercise 1b's sweep); regCovar and nInit follow the policies below. */
export const MNIST_DEFAULTS: Readonly<Omit<MnistConfig, "regCovar" | "nInit" | "limit" | "testLimit" | "mnistDir">> = {
  ks: kRange(1, 10),
  pca: 50,
  covarianceType: GMM_DEFAULTS.covarianceType,
  seed: 1,
  init: GMM_DEFAULTS.init,
  maxIter: GMM_DEFAULTS.maxIter,
  tol: GMM_DEFAULTS.tol,
  threads: defaultThreads(),
};

/** regCovar on raw pixels (pca 0): their constant, zero-variance borders need far more than the estimator's default. */
const RAW_PIXEL_REG_COVAR = 1e-2;

/** regCovar default: the estimator's for PCA features (variances ≫ 1e-6), RAW_PIXEL_REG_COVAR for raw pixels. */
export function defaultRegCovar(pca: number): number {
  return pca > 0 ? GMM_DEFAULTS.regCovar : RAW_PIXEL_REG_COVAR;
}

/** nInit default: a second start costs little with diagonal covariances and lowers the error
 * (~0.2 points at PCA 20, docs/mnist.md); a full-covariance fit costs ~d× more, so one start. */
export function defaultNInit(covarianceType: CovarianceType): number {
  return covarianceType === "full" ? 1 : 2;
}

/** Progress: a tick per fitted class mixture (over all K), a unit per finished K with its errors. */
export type MnistEvent = Tick | UnitDone<MnistKResult>;

/** One K of the sweep; errors are fractions, `seconds` is the wall time of fit + test scoring. */
export interface MnistKResult {
  k: number;
  testError: number;
  trainError: number;
  seconds: number;
}

export interface MnistRun {
  config: MnistConfig & { trainRows: number; testRows: number; pcaSeconds: number };
  results: MnistKResult[];
  best: { k: number; testError: number };
  /** 10×10 counts for the best K: rows are true digits, columns predicted digits. */
  confusion: number[][];
  /** Up to 64 misclassified test digits of the best K: pixels n×784 in [0, 1], true and predicted digits. */
  misclassified: { images: Float32Array; n: number; truth: number[]; predicted: number[] };
}

const DIGITS = 10;
const GRID_MAX = 64;

/** rows true label, columns predicted label: counts over the n rows. */
function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, nClasses = DIGITS): number[][] {
  const m = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]][yPred[i]]++;
  return m;
}

/** The fraction of rows where the prediction differs from the label. */
function errorRate(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  let wrong = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] !== yPred[i]) wrong++;
  return yTrue.length === 0 ? NaN : wrong / yTrue.length;
}

/** The first `max` rows where prediction ≠ label: their pixels, true and predicted labels. */
function misclassifiedDigits(images: Matrix, yTrue: ArrayLike<number>, yPred: ArrayLike<number>, max: number): MnistRun["misclassified"] {
  const idx: number[] = [];
  for (let i = 0; i < yTrue.length && idx.length < max; i++) if (yTrue[i] !== yPred[i]) idx.push(i);
  const out = new Float32Array(idx.length * images.cols);
  idx.forEach((i, r) => out.set(images.data.subarray(i * images.cols, (i + 1) * images.cols), r * images.cols));
  return { images: out, n: idx.length, truth: idx.map((i) => yTrue[i]), predicted: idx.map((i) => yPred[i]) };
}

/** Each digit needs at least max(K) training rows; say which flag to change when not. */
function checkClassCounts(labels: Uint8Array, maxK: number, limit: number | undefined): void {
  const counts = new Array<number>(DIGITS).fill(0);
  for (const c of labels) counts[c]++;
  const d = counts.findIndex((n) => n < maxK);
  if (d >= 0) {
    const hint = limit !== undefined ? " (raise --limit or lower --k)" : " (lower --k)";
    throw new UserError(`--k: digit ${d} has ${counts[d]} training images, fewer than K = ${maxK}${hint}`);
  }
}

/** Run the sweep and write its outputs (writeMnistOutputs) into `opts.out`. */
export async function runMnist(config: MnistConfig, opts: RunOptions<MnistEvent>): Promise<MnistRun & { files: string[] }> {
  const run = await sweepMnist(config, opts.onProgress);
  return { ...run, files: writeMnistOutputs(opts.out, run) };
}

/** The sweep, without writing anything. */
async function sweepMnist(config: MnistConfig, onProgress: ((e: MnistEvent) => void) | undefined): Promise<MnistRun> {
  const total = config.ks.length * DIGITS;
  const tick = (done: number, info: string) => onProgress?.({ kind: "tick", label: "class mixtures", done, total, info });
  tick(0, "");
  nodeCore();
  const train = loadMnist("train", { dir: config.mnistDir, limit: config.limit });
  const test = loadMnist("test", { dir: config.mnistDir, limit: config.testLimit });
  checkClassCounts(train.labels, Math.max(...config.ks), config.limit);
  if (config.pca > train.images.rows) {
    throw new UserError(`--pca ${config.pca}: more components than the ${train.images.rows} training images`);
  }

  const t0 = performance.now();
  let Xtrain = train.images;
  let Xtest = test.images;
  if (config.pca > 0) {
    const pca = new PCA({ nComponents: config.pca }).fit({ matrix: train.images, bytes: train.bytes, scale: 1 / 255 });
    Xtrain = pca.transform(train.images);
    Xtest = pca.transform(test.images);
  }
  const pcaSeconds = (performance.now() - t0) / 1000;

  const results: MnistKResult[] = [];
  const predictions: Int32Array[] = [];
  const pool = classFitPool(Math.max(1, Math.min(config.threads, DIGITS)));
  try {
    for (const [i, k] of config.ks.entries()) {
      const start = performance.now();
      const clf = await fitBayesParallel(
        Xtrain,
        train.labels,
        {
          nComponents: k,
          covarianceType: config.covarianceType,
          init: config.init,
          nInit: config.nInit,
          regCovar: config.regCovar,
          maxIter: config.maxIter,
          tol: config.tol,
          seed: config.seed,
        },
        { pool, onClassDone: (done) => tick(i * DIGITS + done, `K=${k}`) },
      );
      const testPred = clf.predict(Xtest);
      const seconds = (performance.now() - start) / 1000;
      const trainPred = clf.predict(Xtrain);
      predictions.push(testPred);
      results.push({ k, testError: errorRate(test.labels, testPred), trainError: errorRate(train.labels, trainPred), seconds });
      onProgress?.({ kind: "unit", done: results.length, total: config.ks.length, record: results[results.length - 1] });
    }
  } finally {
    await pool.close();
  }

  // Ties go to the smaller K (the simpler model).
  let b = 0;
  for (let i = 1; i < results.length; i++) if (results[i].testError < results[b].testError) b = i;
  return {
    config: { ...config, trainRows: Xtrain.rows, testRows: Xtest.rows, pcaSeconds },
    results,
    best: { k: results[b].k, testError: results[b].testError },
    confusion: confusionMatrix(test.labels, predictions[b]),
    misclassified: misclassifiedDigits(test.images, test.labels, predictions[b], GRID_MAX),
  };
}

/** The JSON document of a run (results.json and `--json`): config, per-K results, best, confusion. */
/** A finished K as one line of progress: `K = 3: test error 5.12 %, training error 4.31 % (12.1 s)`. */
export function mnistResultLine(r: MnistKResult): string {
  return `K = ${r.k}: test error ${(100 * r.testError).toFixed(2)} %, training error ${(100 * r.trainError).toFixed(2)} % (${r.seconds.toFixed(1)} s)`;
}

export function mnistSummary(run: MnistRun): object {
  return { config: run.config, results: run.results, best: run.best, confusion: run.confusion };
}

/** Write error-vs-k.svg, confusion.svg, confusion.json, misclassified.png and results.json into `out`. */
function writeMnistOutputs(out: string, run: MnistRun): string[] {
  const pct = (e: number) => 100 * e;
  const files: [string, string | Uint8Array][] = [
    [
      "error-vs-k.svg",
      lineChart({
        title: `GMM Bayes classifier on MNIST (${run.config.covarianceType}, ${run.config.pca > 0 ? `PCA ${run.config.pca}` : "raw pixels"})`,
        xLabel: "K (components per class)",
        yLabel: "error (%)",
        xTicks: "integer",
        series: [
          { name: "test", points: run.results.map((r) => [r.k, pct(r.testError)] as [number, number]) },
          { name: "train", points: run.results.map((r) => [r.k, pct(r.trainError)] as [number, number]) },
        ],
      }),
    ],
    [
      "confusion.svg",
      heatmap({
        title: `Confusion matrix, K = ${run.best.k} (rows true, columns predicted)`,
        rowLabels: Array.from({ length: DIGITS }, (_, d) => String(d)),
        colLabels: Array.from({ length: DIGITS }, (_, d) => String(d)),
        values: run.confusion,
        format: (v: number) => String(v),
      }),
    ],
    ["confusion.json", JSON.stringify({ k: run.best.k, rows: "true", columns: "predicted", confusion: run.confusion }, null, 2) + "\n"],
  ];
  if (run.misclassified.n > 0) {
    files.push([
      "misclassified.png",
      imageGrid(run.misclassified.images, run.misclassified.n, {
        h: 28,
        w: 28,
        cols: 8,
        range: [0, 1],
        // "true>predicted" under each tile.
        labels: run.misclassified.predicted.map((p, i) => `${run.misclassified.truth[i]}>${p}`),
        scale: 2,
      }),
    ]);
  }
  for (const [name, data] of files) writeFileAtomic(join(out, name), data);
  writeJsonAtomic(join(out, "results.json"), mnistSummary(run));
  return [...files.map(([name]) => join(out, name)), join(out, "results.json")];
}
