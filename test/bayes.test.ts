import { test } from "uvu";
import * as assert from "uvu/assert";
import { nodeCore } from "../src/core/node.js";
import type { Matrix } from "../src/core/matrix.js";
import { loadMnist } from "../src/data/mnist.js";
import { PCA } from "../src/decomposition/pca.js";
import { GmmBayesClassifier, classSeed } from "../src/classify/bayes.js";
import { CLASS_FIT_WORKER, fitBayesParallel, type ClassFitTask } from "../src/classify/fit-parallel.js";
import { runInWorkers } from "../src/parallel/pool.js";
import { UserError } from "../src/util/errors.js";

nodeCore();

const col = (xs: number[]): Matrix => ({ data: Float32Array.from(xs), rows: xs.length, cols: 1 });

test("Bayes rule on a 1-D two-class problem matches the hand computation", () => {
  // Class 3: {-2, -1, 0} → μ = -1, σ² = 2/3; class 7: {2, 3, 4, 5} → μ = 3.5, σ² = 5/4; priors 3/7, 4/7.
  const X = col([2, -2, 3, -1, 4, 0, 5]);
  const y = [7, 3, 7, 3, 7, 3, 7];
  const reg = 1e-6;
  const clf = new GmmBayesClassifier({ nComponents: 1, covarianceType: "diag", regCovar: reg, nInit: 1, seed: 4 }).fit(X, y);
  assert.equal(clf.classes, [3, 7]);
  const hand = (x: number, prior: number, mu: number, v: number) =>
    Math.log(prior) - 0.5 * Math.log(2 * Math.PI * v) - ((x - mu) ** 2) / (2 * v);
  const xs = [-1, 0.5, 0.8, 1.2, 2, 6];
  const lp = clf.predictLogProba(col(xs));
  const pred = clf.predict(col(xs));
  xs.forEach((x, i) => {
    const a = hand(x, 3 / 7, -1, 2 / 3 + reg);
    const b = hand(x, 4 / 7, 3.5, 5 / 4 + reg);
    const z = Math.max(a, b) + Math.log(Math.exp(a - Math.max(a, b)) + Math.exp(b - Math.max(a, b)));
    assert.ok(Math.abs(lp[2 * i] - (a - z)) < 1e-4, `x=${x}: log Pr(3|x) ${lp[2 * i]} vs ${a - z}`);
    assert.ok(Math.abs(lp[2 * i + 1] - (b - z)) < 1e-4, `x=${x}: log Pr(7|x) ${lp[2 * i + 1]} vs ${b - z}`);
    assert.is(pred[i], a >= b ? 3 : 7, `x=${x}`);
  });
  // By the hand formula the boundary is near x ≈ 0.91: 0.8 goes to class 3, 1.2 to class 7.
  assert.equal(Array.from(pred), [3, 3, 3, 7, 7, 7]);
  assert.is(clf.score(col([-1, 6]), [3, 7]), 1);
  assert.is(clf.score(col([-1, 6]), [7, 7]), 0.5);
});

test("a class with fewer rows than K is named in the error", () => {
  const X = col([0, 1, 2, 10, 11]);
  const y = [0, 0, 0, 5, 5];
  try {
    new GmmBayesClassifier({ nComponents: 3 }).fit(X, y);
    assert.unreachable("should throw");
  } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, /class 5 has 2 training rows/);
  }
});

const POOL_WORKER = new URL("./twin/pool-worker.js", import.meta.url);

test("pool: results in task order whatever the finishing order; errors carry their message", async () => {
  const tasks = [5, 1, 4, 2, 3, 0].map((x) => ({ input: { x, delayMs: 10 * x } }));
  for (const threads of [1, 2, 3]) {
    const out = await runInWorkers<{ x: number; delayMs: number }, number>(POOL_WORKER, tasks, { threads });
    assert.equal(out, [10, 2, 8, 4, 6, 0], `threads=${threads}`);
  }
  const arr = new Float64Array([1, 2, 3]);
  const [back] = await runInWorkers<any, Float64Array>(POOL_WORKER, [{ input: { x: 0, delayMs: 0, arr }, transfer: [arr.buffer] }]);
  assert.is(arr.length, 0, "the input buffer was moved, not copied");
  assert.equal(Array.from(back), [2, 4, 6]);
  try {
    await runInWorkers(POOL_WORKER, [{ input: { x: 1, delayMs: 0 } }, { input: { x: -3, delayMs: 0 } }], { threads: 2 });
    assert.unreachable("should throw");
  } catch (e) {
    assert.is((e as Error).message, "negative input -3");
  }
});

test("per-class seeds differ by class and by seed, and are deterministic", () => {
  const s = new Set<number>();
  for (let seed = 0; seed < 5; seed++) for (let c = 0; c < 10; c++) s.add(classSeed(seed, c));
  assert.is(s.size, 50);
  assert.is(classSeed(1, 7), classSeed(1, 7));
});

// A small MNIST subset in PCA space, shared by the tests below.
const train = loadMnist("train", { limit: 2000 });
const testSet = loadMnist("test", { limit: 500 });
const pca = new PCA({ nComponents: 20 }).fit({ matrix: train.images, bytes: train.bytes, scale: 1 / 255 });
const Xtr = pca.transform(train.images);
const Xte = pca.transform(testSet.images);

test("MNIST subset (2000 train / 500 test, PCA 20, K 2): sane error, probabilities sum to 1", () => {
  const clf = new GmmBayesClassifier({ nComponents: 2, covarianceType: "diag", nInit: 1, seed: 1 }).fit(Xtr, train.labels);
  assert.equal(clf.classes, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const acc = clf.score(Xte, testSet.labels);
  assert.ok(1 - acc < 0.15, `test error ${(100 * (1 - acc)).toFixed(2)} %`);
  const p = clf.predictProba(Xte);
  for (let i = 0; i < Xte.rows; i++) {
    let s = 0;
    for (let j = 0; j < 10; j++) s += p[i * 10 + j];
    assert.ok(Math.abs(s - 1) < 1e-9, `row ${i} sums to ${s}`);
  }
  // Saved and loaded, the classifier predicts the same.
  const back = GmmBayesClassifier.fromJSON(JSON.parse(JSON.stringify(clf.toJSON())));
  assert.equal(Array.from(back.predict(Xte)), Array.from(clf.predict(Xte)));
});

test("parallel fits: 1 and 2 worker threads give the serial fit's classifier exactly", async () => {
  const opts = { nComponents: 2, covarianceType: "diag" as const, nInit: 1, seed: 3 };
  const serial = new GmmBayesClassifier(opts).fit(Xtr, train.labels);
  const one = await fitBayesParallel(Xtr, train.labels, opts, { threads: 1 });
  const two = await fitBayesParallel(Xtr, train.labels, opts, { threads: 2 });
  const json = (c: GmmBayesClassifier) => JSON.stringify(c.toJSON());
  assert.is(json(one), json(two));
  assert.is(json(one), json(serial));
  assert.equal(Array.from(one.predict(Xte)), Array.from(two.predict(Xte)));
});

test("parallel fits: a worker's error reaches the caller with its message", async () => {
  const tiny: ClassFitTask = { data: new Float32Array([1, 2]), rows: 2, cols: 1, label: 0, options: { nComponents: 5 } };
  try {
    await runInWorkers(CLASS_FIT_WORKER, [{ input: tiny }], { threads: 1 });
    assert.unreachable("should throw");
  } catch (e) {
    assert.match((e as Error).message, /nComponents/);
  }
  try {
    await fitBayesParallel(col([0, 1, 2]), [0, 0, 1], { nComponents: 2 }, { threads: 2 });
    assert.unreachable("should throw");
  } catch (e) {
    assert.match((e as Error).message, /class 1 has 1 training rows/);
  }
});

test.run();
