// The generative Bayes classifier of Exercise 1b: one Gaussian mixture per class models
// p(x | y = c); ŷ(x) = argmax_c log Pr(y = c) + log p(x | y = c), with Pr(y = c) the class's
// share of the training rows. Node-free. The mathematics is in docs/mnist.md.
import type { Matrix } from "../core/matrix.js";
import { GaussianMixture, type GaussianMixtureOptions } from "../mixture/gaussian-mixture.js";
import { UserError } from "../util/errors.js";

/** Options of every per-class mixture; `seed` is the classifier's, each class gets `classSeed(seed, label)`. */
export type GmmBayesOptions = Omit<GaussianMixtureOptions, "onIteration">;

/** The options a per-class fit needs, without the Core (which cannot cross a worker boundary). */
export type ClassFitOptions = Omit<GmmBayesOptions, "core">;

/** The training rows split by label: `classes` sorted ascending, `rows[j]` the rows of `classes[j]`. */
export interface ClassSplit {
  classes: number[];
  rows: Matrix[];
  counts: number[];
}

// ---------------------------------------------------------------- input checks

/** Labels must be non-negative integers, one per row of X. */
function checkLabels(X: Matrix, y: ArrayLike<number>): void {
  if (y.length !== X.rows) throw new UserError(`y has ${y.length} labels for ${X.rows} rows of X`);
  for (let i = 0; i < y.length; i++) {
    const c = y[i];
    if (!Number.isInteger(c) || c < 0) throw new UserError(`y[${i}] = ${c}: labels must be non-negative integers`);
  }
}

/** Each class needs at least K rows to fit K components. */
export function checkClassSizes(split: ClassSplit, nComponents: number): void {
  for (let j = 0; j < split.classes.length; j++) {
    if (split.counts[j] < nComponents) {
      throw new UserError(
        `class ${split.classes[j]} has ${split.counts[j]} training rows, fewer than nComponents = ${nComponents}`,
      );
    }
  }
}

/** Split X (n×d) by the labels y (n): classes in ascending order, each class's rows in their original order. */
export function splitByClass(X: Matrix, y: ArrayLike<number>): ClassSplit {
  checkLabels(X, y);
  const countOf = new Map<number, number>();
  for (let i = 0; i < y.length; i++) countOf.set(y[i], (countOf.get(y[i]) ?? 0) + 1);
  const classes = [...countOf.keys()].sort((a, b) => a - b);
  const counts = classes.map((c) => countOf.get(c)!);
  const slot = new Map(classes.map((c, j) => [c, j]));
  const rows = counts.map((n) => ({ data: new Float32Array(n * X.cols), rows: n, cols: X.cols }));
  const filled = new Array<number>(classes.length).fill(0);
  for (let i = 0; i < y.length; i++) {
    const j = slot.get(y[i])!;
    rows[j].data.set(X.data.subarray(i * X.cols, (i + 1) * X.cols), filled[j]++ * X.cols);
  }
  return { classes, rows, counts };
}

// ---------------------------------------------------------------- per-class fits

/**
 * The seed of class `label`'s mixture: a 32-bit mix of the classifier's seed and the label, so
 * every class draws its own stream and the result is the same whichever thread fits it.
 */
export function classSeed(seed: number, label: number): number {
  let h = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ Math.imul(label + 1, 0xc2b2ae35), 0x27d4eb2f);
  return (h ^ (h >>> 16)) | 0;
}

/** Fit one class's mixture to its rows (used by the serial fit and by each worker). */
export function fitClassMixture(rows: Matrix, label: number, options: GmmBayesOptions): GaussianMixture {
  const { seed = 0, ...rest } = options;
  return new GaussianMixture({ ...rest, seed: classSeed(seed, label) }).fit(rows);
}

// ---------------------------------------------------------------- log-probability estimators

/** log Σ_j exp(a[off + j]) over `len` values, shifted by the maximum so nothing overflows. */
function logSumExp(a: Float64Array, off: number, len: number): number {
  let m = -Infinity;
  for (let j = 0; j < len; j++) if (a[off + j] > m) m = a[off + j];
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let j = 0; j < len; j++) s += Math.exp(a[off + j] - m);
  return m + Math.log(s);
}

// ---------------------------------------------------------------- the estimator

/** A GMM Bayes classifier: `fit(X, y)`, then `predict`, `predictProba`, `predictLogProba`, `score`. */
export class GmmBayesClassifier {
  readonly options: GmmBayesOptions;
  /** Class labels, ascending (C). */
  classes: number[] = [];
  /** log Pr(y = classes[j]) from the training proportions (C). */
  logPriors: Float64Array = new Float64Array(0);
  /** models[j] is p(x | y = classes[j]). */
  models: GaussianMixture[] = [];

  constructor(options: GmmBayesOptions) {
    this.options = options;
  }

  /** Fit one mixture per class on that class's rows of X (n×d); y holds n integer labels. */
  fit(X: Matrix, y: ArrayLike<number>): this {
    const split = splitByClass(X, y);
    checkClassSizes(split, this.options.nComponents);
    const models = split.rows.map((rows, j) => fitClassMixture(rows, split.classes[j], this.options));
    return this.setModels(split.classes, split.counts, models);
  }

  /** Install fitted per-class mixtures (e.g. fitted on worker threads); priors from `counts`. */
  setModels(classes: number[], counts: number[], models: GaussianMixture[]): this {
    if (classes.length !== counts.length || classes.length !== models.length) {
      throw new Error("setModels: classes, counts and models must have the same length");
    }
    const n = counts.reduce((a, b) => a + b, 0);
    this.classes = [...classes];
    this.logPriors = Float64Array.from(counts, (c) => Math.log(c / n));
    this.models = models;
    return this;
  }

  /** Joint log-scores log Pr(c) + log p(x_i | c), n×C row-major. */
  jointLogLikelihood(X: Matrix): Float64Array {
    this.checkFitted(X);
    const C = this.classes.length;
    const out = new Float64Array(X.rows * C);
    for (let j = 0; j < C; j++) {
      const ll = this.models[j].scoreSamples(X);
      const lp = this.logPriors[j];
      for (let i = 0; i < X.rows; i++) out[i * C + j] = ll[i] + lp;
    }
    return out;
  }

  /** log Pr(c | x_i), n×C row-major; each row log-sum-exps to 0. */
  predictLogProba(X: Matrix): Float64Array {
    const C = this.classes.length;
    const out = this.jointLogLikelihood(X);
    for (let i = 0; i < X.rows; i++) {
      const z = logSumExp(out, i * C, C);
      for (let j = 0; j < C; j++) out[i * C + j] -= z;
    }
    return out;
  }

  /** Pr(c | x_i), n×C row-major; rows sum to 1. */
  predictProba(X: Matrix): Float64Array {
    return this.predictLogProba(X).map(Math.exp);
  }

  /** The most probable class label of each row (n); ties go to the smaller label. */
  predict(X: Matrix): Int32Array {
    const C = this.classes.length;
    const s = this.jointLogLikelihood(X);
    const out = new Int32Array(X.rows);
    for (let i = 0; i < X.rows; i++) {
      let best = 0;
      for (let j = 1; j < C; j++) if (s[i * C + j] > s[i * C + best]) best = j;
      out[i] = this.classes[best];
    }
    return out;
  }

  /** Accuracy on (X, y): the fraction of rows whose predicted label equals y. */
  score(X: Matrix, y: ArrayLike<number>): number {
    if (y.length !== X.rows) throw new UserError(`y has ${y.length} labels for ${X.rows} rows of X`);
    const p = this.predict(X);
    let right = 0;
    for (let i = 0; i < p.length; i++) if (p[i] === y[i]) right++;
    return X.rows === 0 ? NaN : right / X.rows;
  }

  /** {kind: "GmmBayesClassifier", version: 1, options, classes, logPriors, models: GaussianMixture JSON[]}. */
  toJSON(): object {
    const { core: _core, ...options } = this.options;
    return {
      kind: "GmmBayesClassifier",
      version: 1,
      options,
      classes: this.classes,
      logPriors: Array.from(this.logPriors),
      models: this.models.map((m) => m.toJSON()),
    };
  }

  /** Load a classifier saved by toJSON (its mixtures score on the default Core, as GaussianMixture.fromJSON's). */
  static fromJSON(json: unknown): GmmBayesClassifier {
    const o = json as Record<string, any>;
    if (!o || o.kind !== "GmmBayesClassifier") throw new Error("fromJSON: not a GmmBayesClassifier (kind tag missing)");
    if (o.version !== 1) throw new Error(`fromJSON: GmmBayesClassifier version ${o.version} is not supported (expected 1)`);
    const { classes, logPriors, models } = o;
    if (!Array.isArray(classes) || !Array.isArray(logPriors) || !Array.isArray(models)) {
      throw new Error("fromJSON: GmmBayesClassifier needs classes, logPriors and models arrays");
    }
    if (classes.length !== logPriors.length || classes.length !== models.length) {
      throw new Error("fromJSON: classes, logPriors and models differ in length");
    }
    const clf = new GmmBayesClassifier({ ...o.options });
    clf.classes = classes.map(Number);
    clf.logPriors = Float64Array.from(logPriors, Number);
    clf.models = models.map((m: unknown) => GaussianMixture.fromJSON(m));
    return clf;
  }

  private checkFitted(X: Matrix): void {
    if (this.models.length === 0) throw new Error("GmmBayesClassifier: call fit(X, y) first");
    const d = this.models[0].means.length / this.models[0].weights.length;
    if (X.cols !== d) throw new UserError(`X has ${X.cols} columns; the classifier was fitted on ${d}`);
  }
}
