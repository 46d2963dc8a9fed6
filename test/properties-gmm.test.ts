// Property-based tests (fast-check) of GaussianMixture and its WASM kernels: random shapes,
// scales from 1e-8 to 1e8, duplicated rows, constant columns and extreme outliers.
// Deterministic by default (fixed seed); FC_SEED=<n> picks another seed, EMLAB_LONG_TESTS=1
// multiplies every numRuns by 20. The guarantees and case counts: docs/reliability.md.
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { takeRows, type Matrix } from "../src/core/matrix.js";
import { nodeCore } from "../src/core/node.js";
import { propertyChecker } from "./twin/fc-check.js";
import { eigh } from "../src/linalg/eigh.js";
import { COVARIANCE_TYPE_NAMES } from "../src/mixture/covariance.js";
import { GaussianMixture, type CovarianceType } from "../src/mixture/gaussian-mixture.js";
import { UserError } from "../src/util/errors.js";
import { Rng } from "../src/util/rng.js";
import { emTwin } from "./twin/full-twin.js";
import { fitTwin } from "./twin/gmm-twin.js";

nodeCore();

// ---------------------------------------------------------------------------------------
// fast-check configuration: fixed seed, run counts, case counting

const { check, counts, skippedCases } = propertyChecker("properties-gmm");

// ---------------------------------------------------------------------------------------
// generated data sets

/** One generated data set: shape, scale and the pathologies it carries. */
interface Spec {
  n: number;
  d: number;
  K: number;
  /** Every value is multiplied by this (1e-8 … 1e8). */
  scale: number;
  seed: number;
  /** Gaussian clusters the rows are drawn from (1..5). */
  clusters: number;
  /** Probability that a row is a copy of an earlier row. */
  dupFrac: number;
  /** Columns set to one constant value. */
  constCols: number;
  /** Rows replaced by points ~1e4 standard deviations out. */
  outliers: number;
}

/** d in 1..maxD, never a multiple of 4 (the SIMD kernels' scalar tails always run). */
const dimension = (maxD: number) => fc.integer({ min: 1, max: maxD }).map((d) => (d % 4 === 0 ? d - 1 : d));

/**
 * Specs with n·K·cost(d) ≤ budget (cost(d) = d, or d² for full covariance), so that the
 * file stays fast whatever shape fast-check draws; n ≥ K always.
 */
function specs(o: {
  maxN: number; maxD: number; maxK: number; budget: number; full?: boolean;
  /** Exponent range of the scale (default −8…8). */
  scales?: [number, number];
  /** Duplicates, constant columns and outliers (default true). */
  pathologies?: boolean;
  /** Up to 3 constant columns even without the other pathologies (default: pathologies). */
  constantColumns?: boolean;
  /** Well-posed: K ≤ clusters and n ≥ minRowsPerComponent·K (default 1). */
  minRowsPerComponent?: number;
  wellPosed?: boolean;
}): fc.Arbitrary<Spec> {
  const [lo, hi] = o.scales ?? [-8, 8];
  const path = o.pathologies ?? true;
  const constant = o.constantColumns ?? path;
  return fc
    .record({
      d: dimension(o.maxD),
      K: fc.integer({ min: 1, max: o.maxK }),
      n: fc.integer({ min: 1, max: o.maxN }),
      exp: fc.integer({ min: lo, max: hi }),
      mant: fc.integer({ min: 10, max: 99 }),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      clusters: fc.integer({ min: 1, max: 5 }),
      dupFrac: path ? fc.constantFrom(0, 0, 0.3, 0.95) : fc.constant(0),
      constCols: constant ? fc.integer({ min: 0, max: 3 }) : fc.constant(0),
      outliers: path ? fc.integer({ min: 0, max: 2 }) : fc.constant(0),
    })
    .map(({ d, K: k0, n, exp, mant, seed, clusters, dupFrac, constCols, outliers }) => {
      const K = o.wellPosed ? Math.min(k0, clusters) : k0;
      const cost = o.full ? d * d : d;
      const nMax = Math.max(1, Math.floor(o.budget / (K * cost)));
      const nn = Math.max(K * (o.minRowsPerComponent ?? 1), Math.min(n, nMax));
      return { n: nn, d, K, scale: (mant / 10) * 10 ** exp, seed, clusters, dupFrac, constCols: Math.min(constCols, d), outliers: Math.min(outliers, nn) };
    });
}

/** The data of a spec: a few Gaussian clusters (unit spread, centres ±3), then the pathologies, then ×scale. */
function makeData(s: Spec): Matrix {
  const { n, d } = s;
  const rng = new Rng(s.seed);
  const C = s.clusters;
  const centres = Array.from({ length: C * d }, () => 3 * rng.normal());
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    if (i > 0 && rng.uniform() < s.dupFrac) {
      const src = rng.int(i);
      for (let j = 0; j < d; j++) x[i * d + j] = x[src * d + j];
      continue;
    }
    const c = rng.int(C);
    for (let j = 0; j < d; j++) x[i * d + j] = centres[c * d + j] + rng.normal();
  }
  for (let j = 0; j < s.constCols; j++) {
    const v = 2.5 * (j + 1);
    for (let i = 0; i < n; i++) x[i * d + j] = v;
  }
  for (let o = 0; o < s.outliers; o++) {
    const i = rng.int(n);
    for (let j = s.constCols; j < d; j++) x[i * d + j] = 1e4 * (rng.uniform() < 0.5 ? -1 : 1) * (1 + rng.uniform());
  }
  const data = new Float32Array(n * d);
  for (let i = 0; i < n * d; i++) data[i] = x[i] * s.scale;
  return { data, rows: n, cols: d };
}

// ---------------------------------------------------------------------------------------
// the invariants of a fitted model

function allFinite(a: ArrayLike<number>, what: string): void {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) throw new Error(`${what}[${i}] = ${a[i]}`);
}

/** Every output finite; weights > 0 summing to 1 (1e-12); variances > 0; rows of predictProba sum to 1. */
function checkModel(gm: GaussianMixture, X: Matrix, K: number, cov: CovarianceType): void {
  const d = X.cols;
  allFinite(gm.weights, "weights");
  allFinite(gm.means, "means");
  allFinite(gm.variances, "variances");
  allFinite(gm.nllTrace, "nllTrace");
  allFinite([gm.nll], "nll");
  assert.is(gm.weights.length, K);
  let sw = 0;
  for (const w of gm.weights) {
    assert.ok(w > 0, `weight ${w} not positive`);
    sw += w;
  }
  assert.ok(Math.abs(sw - 1) <= 1e-12, `weights sum to 1 + ${sw - 1}`);
  if (cov === "full") {
    for (let k = 0; k < K; k++) for (let j = 0; j < d; j++) assert.ok(gm.variances[(k * d + j) * d + j] > 0, "diagonal of S_k");
  } else for (const v of gm.variances) assert.ok(v > 0, `variance ${v} not positive`);
  const proba = gm.predictProba(X);
  allFinite(proba, "predictProba");
  for (let i = 0; i < X.rows; i++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += proba[i * K + k];
    assert.ok(Math.abs(s - 1) <= 1e-12, `predictProba row ${i} sums to 1 + ${s - 1}`);
  }
  allFinite(gm.scoreSamples(X), "scoreSamples");
  for (const k of gm.predict(X)) assert.ok(k >= 0 && k < K, `predict gave ${k}`);
}

/** Largest rise of ℓ from one iteration to the next, relative to |ℓ|. */
function maxRelIncrease(trace: number[]): number {
  let m = 0;
  for (let t = 1; t < trace.length; t++) m = Math.max(m, (trace[t] - trace[t - 1]) / Math.abs(trace[t - 1]));
  return m;
}

const covType = fc.constantFrom<CovarianceType>("diag", "spherical");

// ---------------------------------------------------------------------------------------
// properties

test("diag/spherical: every output finite, weights > 0 summing to 1 — any shape, scale 1e-8…1e8, duplicates, constant columns, outliers", () => {
  const arb = fc.tuple(specs({ maxN: 3000, maxD: 100, maxK: 20, budget: 60_000 }), covType);
  check("finite-diag-spherical", arb, 40, ([s, cov]) => {
    const X = makeData(s);
    const gm = new GaussianMixture({ nComponents: s.K, covarianceType: cov, maxIter: 25, nInit: 1, seed: s.seed }).fit(X);
    checkModel(gm, X, s.K, cov);
  });
});

/**
 * Components whose covariance is numerically degenerate: the smallest eigenvalue below 1e-9 of
 * the largest (full), or a variance below 1e3·regCovar. The first `constCols` columns (constant
 * in the data) are not counted for diag: their variance is regCovar exactly (shifted statistics).
 */
function illConditioned(gm: GaussianMixture, cov: CovarianceType, regCovar: number, constCols = 0): boolean {
  const d = gm.nFeatures;
  const K = gm.weights.length;
  if (cov === "diag") return gm.variances.some((v, i) => i % d >= constCols && v < 1e3 * regCovar);
  if (cov === "spherical") return gm.variances.some((v) => v < 1e3 * regCovar);
  for (let k = 0; k < K; k++) {
    const S = gm.variances.subarray(k * d * d, (k + 1) * d * d);
    const { values } = eigh(S, d);
    if (values[d - 1] < 1e-9 * values[0] || values[d - 1] < 1e3 * regCovar) return true;
  }
  return false;
}

test("full: every output finite, weights > 0 summing to 1; only the documented Cholesky UserError where regCovar is below the rounding of S", () => {
  const arb = specs({ maxN: 3000, maxD: 100, maxK: 20, budget: 120_000, full: true });
  let refused = 0;
  check("finite-full", arb, 30, (s) => {
    const X = makeData(s);
    let maxAbs = 0;
    for (const v of X.data) maxAbs = Math.max(maxAbs, Math.abs(v));
    // Rounding of a d×d covariance with entries ~maxAbs² is ≈ d·eps·maxAbs²; where that reaches
    // regCovar (1e-6), a rank-deficient S_k (n_k ≤ d, duplicates, constant columns) is not
    // numerically positive definite and the fit must refuse with the Cholesky message (sklearn
    // raises the same). Below that bound it must succeed.
    const mustFit = s.d * 2.2e-16 * maxAbs * maxAbs <= 1e-6 / 16;
    let gm: GaussianMixture;
    try {
      gm = new GaussianMixture({ nComponents: s.K, covarianceType: "full", maxIter: 20, nInit: 1, seed: s.seed }).fit(X);
    } catch (e) {
      if (mustFit || !(e instanceof UserError) || !/^Cholesky failed for component \d+: .*larger regCovar/.test(e.message)) throw e;
      refused++;
      return;
    }
    checkModel(gm, X, s.K, "full");
  });
  skippedCases("finite-full", refused, "fits refused with the Cholesky UserError", 1 / 3);
});

// Monotone ℓ. EM never increases ℓ when the M-step maximises the expected log-likelihood
// exactly. Two things make it inexact here, both shown by the float64 twin too (so not kernel
// bugs; docs/reliability.md "Properties" has the measurements):
//  1. regCovar: σ² = s + regCovar is not the maximiser s. Where variances are comparable to
//     regCovar (scale ≲ 1e-2, duplicated rows, a component collapsed onto a few points) ℓ
//     rises by up to ~1e-3 relative.
//  2. conditioning: where a variance is tiny relative to the data's magnitude (regCovar-sized
//     variances at scale ≳ 1e3, a full S_k from ≤ d points), ℓ itself is evaluated to only
//     ≈ n·eps·cond, and the trace wobbles by that much.
// A constant column no longer belongs to either for diag/spherical: the shifted statistics give
// it variance regCovar exactly in every iteration, so its term of ℓ is constant (it used to
// cancel as E[x²] − μ² and jitter by eps·μ²). So the 1e-9 property is kept on the well-posed
// domain — K ≤ the clusters in the data, ≥ 20 rows per component, no duplicates or outliers;
// diag/spherical: scale 1e-1…1e8 and up to 3 constant columns; full: scale 1e-1…1e3, no
// constant columns; and a final model whose variances (outside the constant columns) are
// ≥ 1e3·regCovar with condition number ≤ 1e9 — and the rest of the domain is covered for
// finiteness by the two properties above.
test("ℓ trace non-increasing (1e-9 relative, default regCovar) on the well-posed domain (diag/spherical: scale 1e-1…1e8 with constant columns); final ℓ ≤ last trace entry", () => {
  const arb = fc.tuple(
    fc.constantFrom(...COVARIANCE_TYPE_NAMES),
    fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  ).chain(([cov, seed]) =>
    specs({
      maxN: 3000, maxD: cov === "full" ? 24 : 100, maxK: 20, budget: 60_000, full: cov === "full",
      scales: cov === "full" ? [-1, 3] : [-1, 8], pathologies: false, constantColumns: cov !== "full",
      wellPosed: true, minRowsPerComponent: 20,
    }).map((s) => ({ s, cov, seed })));
  let skipped = 0;
  let constLarge = 0;
  check("monotone", arb, 40, ({ s, cov }) => {
    const X = makeData(s);
    const gm = new GaussianMixture({ nComponents: s.K, covarianceType: cov, maxIter: 40, tol: 0, nInit: 1, seed: s.seed }).fit(X);
    if (illConditioned(gm, cov, 1e-6, s.constCols)) {
      skipped++;
      return;
    }
    const inc = maxRelIncrease(gm.nllTrace);
    assert.ok(inc <= 1e-9, `${cov}: ℓ rose by ${inc} relative`);
    const last = gm.nllTrace[gm.nllTrace.length - 1];
    assert.ok(gm.nll - last <= 1e-9 * Math.abs(last), `${cov}: final ℓ ${gm.nll} above the last iteration's ${last}`);
    if (s.constCols > 0 && s.scale > 1e3) constLarge++;
    if (cov === "diag") {
      // The constant columns' variances are regCovar (the shift is the column's value itself).
      for (let i = 0; i < gm.variances.length; i++) {
        if (i % s.d < s.constCols) assert.ok(Math.abs(gm.variances[i] - 1e-6) <= 1e-12 * 1e-6, `diag: constant column ${i % s.d}: variance ${gm.variances[i]}`);
      }
    }
  });
  process.stderr.write(`properties-gmm: monotone: checked with constant columns at scale > 1e3: ${constLarge}\n`);
  skippedCases("monotone", skipped, "outside the well-posed domain (finiteness only)", 1 / 3);
});

// Sparse data: the same generated sets with most values set to exactly 0 (and the constant
// columns at 0, as MNIST's border pixels), so that the sparse E-step (assembly/estep-sparse.ts)
// runs. The rule (docs/gmm.md, "Which path") takes it where at most a quarter of the values are non-zero
// and every q_k = Σ_j μ_kj²/s_kj ≤ 2^20; the cases where the fitted model is within that are counted.

/** s's data with each value set to 0 with probability zeroFrac (seeded by s.seed), constant columns 0. */
function makeSparseData(s: Spec, zeroFrac: number): Matrix {
  const X = makeData(s);
  const rng = new Rng(s.seed ^ 0x5eed);
  for (let i = 0; i < s.n; i++) {
    for (let j = 0; j < s.d; j++) if (j < s.constCols || rng.uniform() < zeroFrac) X.data[i * s.d + j] = 0;
  }
  return X;
}

/** Whether a fitted diag/spherical model and its data are inside the sparse path's rule. */
function sparseRuleHolds(gm: GaussianMixture, X: Matrix): boolean {
  const d = X.cols;
  const K = gm.weights.length;
  let nnz = 0;
  for (const v of X.data) if (v !== 0) nnz++;
  if (nnz > 0.25 * X.data.length) return false;
  for (let k = 0; k < K; k++) {
    let q = 0;
    for (let j = 0; j < d; j++) {
      const mu = gm.means[k * d + j];
      q += (mu * mu) / (gm.variances.length === K ? gm.variances[k] : gm.variances[k * d + j]);
    }
    if (!(q <= 2 ** 20)) return false;
  }
  return true;
}

const zeroFraction = fc.constantFrom(0.5, 0.81, 0.9, 0.95);

test("sparse data (50–95 % zeros, zero columns, scale 1e-1…1e8): ℓ trace rises by at most 1e-7 relative (the precision contract) on the well-posed domain", () => {
  const arb = fc.tuple(covType, zeroFraction).chain(([cov, z]) =>
    specs({ maxN: 3000, maxD: 100, maxK: 20, budget: 60_000, scales: [-1, 8], pathologies: false, constantColumns: true, wellPosed: true, minRowsPerComponent: 20 })
      .map((s) => ({ s, cov, z })));
  let skipped = 0;
  let sparse = 0;
  let worst = 0;
  check("sparse-monotone", arb, 40, ({ s, cov, z }) => {
    const X = makeSparseData(s, z);
    const gm = new GaussianMixture({ nComponents: s.K, covarianceType: cov, maxIter: 40, tol: 0, nInit: 1, seed: s.seed }).fit(X);
    allFinite(gm.nllTrace, "nllTrace");
    if (illConditioned(gm, cov, 1e-6, s.constCols)) {
      skipped++;
      return;
    }
    if (sparseRuleHolds(gm, X)) sparse++;
    const inc = maxRelIncrease(gm.nllTrace);
    worst = Math.max(worst, inc);
    assert.ok(inc <= 1e-7, `${cov}: ℓ rose by ${inc} relative`);
  });
  process.stderr.write(
    `properties-gmm: sparse-monotone: ${skipped} of ${counts["sparse-monotone"]} outside the well-posed domain; ` +
      `${sparse} inside the sparse path's rule; largest relative rise ${worst.toExponential(2)}\n`,
  );
  assert.ok(sparse >= counts["sparse-monotone"] / 4, `only ${sparse} cases took the sparse path`);
});

test("sparse data: WASM (sparse path) equals the float64 twin, ℓ per iteration within 1e-6 relative (diag, spherical; scale 1e-1…1e2)", () => {
  const arb = fc.tuple(covType, zeroFraction).chain(([cov, z]) =>
    specs({ maxN: 600, maxD: 40, maxK: 5, budget: 6_000, scales: [-1, 2], pathologies: false, constantColumns: true, wellPosed: true, minRowsPerComponent: 20 })
      .map((s) => ({ s, cov, z })));
  let emptied = 0;
  let sparse = 0;
  check("sparse-twin", arb, 24, ({ s, cov, z }) => {
    const X = makeSparseData(s, z);
    const labels = roundRobin(s.n, s.K);
    const iters = 12;
    const gm = new GaussianMixture({ nComponents: s.K, covarianceType: cov, maxIter: iters, tol: 0, init: { labels } }).fit(X);
    const t = fitTwin(X.data, s.n, s.d, labels, s.K, { maxIter: iters, tol: 0, regCovar: 1e-6, cov: cov as "diag" | "spherical" });
    if (t.minNk < 1) {
      emptied++;
      return;
    }
    if (sparseRuleHolds(gm, X)) sparse++;
    for (let i = 0; i < iters; i++) {
      const rel = Math.abs(gm.nllTrace[i] - t.nllTrace[i]) / Math.abs(t.nllTrace[i]);
      assert.ok(rel <= 1e-6, `${cov} iteration ${i + 1}: ${gm.nllTrace[i]} vs twin ${t.nllTrace[i]} (${rel})`);
    }
  });
  process.stderr.write(`properties-gmm: sparse-twin: ${emptied} of ${counts["sparse-twin"]} with an emptied component (skipped); ${sparse} inside the sparse path's rule\n`);
  assert.ok(sparse >= counts["sparse-twin"] / 4, `only ${sparse} cases took the sparse path`);
});

/** Round-robin labels 0, 1, …, K−1, 0, … (a start that every implementation reads the same way). */
function roundRobin(n: number, K: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i % K);
}

// The twin keeps sklearn's guarded mean Σr·x/(n_k + 10·eps), which pulls an emptied component's
// mean towards 0; the kernels' shifted M-step c + Σr·(x − c)/(n_k + 10·eps) pulls it towards its
// previous mean. Both pulls are 10·eps/n_k relative, harmless until a component emptied to
// n_k ≪ 1 captures a point again with a collapsed variance, which amplifies the difference
// (seen: n_k = 2.7e-7, then one point at variance ≈ regCovar: 2.2e-6 relative for one
// iteration). Such runs (twin's n_k < 1 at some E-step) are counted and skipped for diag/spherical.
test("WASM equals the float64 twin: ℓ per iteration within 1e-6 relative (diag, spherical, full; scale 1e-1…1e2)", () => {
  const arb = fc.constantFrom(...COVARIANCE_TYPE_NAMES).chain((cov) =>
    specs({ maxN: 600, maxD: cov === "full" ? 12 : 40, maxK: 5, budget: cov === "full" ? 8_000 : 6_000, full: cov === "full", scales: [-1, 2], pathologies: false, wellPosed: true, minRowsPerComponent: 20 })
      .map((s) => ({ s, cov })));
  let emptied = 0;
  check("twin", arb, 24, ({ s, cov }) => {
    const X = makeData(s);
    const labels = roundRobin(s.n, s.K);
    const iters = 12;
    const gm = new GaussianMixture({ nComponents: s.K, covarianceType: cov, maxIter: iters, tol: 0, init: { labels } }).fit(X);
    let twin: number[];
    if (cov === "full") twin = emTwin(X.data, s.n, s.d, labels, s.K, 1e-6, iters).nll;
    else {
      const t = fitTwin(X.data, s.n, s.d, labels, s.K, { maxIter: iters, tol: 0, regCovar: 1e-6, cov: cov as "diag" | "spherical" });
      if (t.minNk < 1) {
        emptied++;
        return;
      }
      twin = t.nllTrace;
    }
    assert.is(gm.nllTrace.length, twin.length);
    for (let t = 0; t < twin.length; t++) {
      const rel = Math.abs(gm.nllTrace[t] - twin[t]) / Math.abs(twin[t]);
      assert.ok(rel <= 1e-6, `${cov} iteration ${t + 1}: ${gm.nllTrace[t]} vs twin ${twin[t]} (${rel})`);
    }
  });
  skippedCases("twin", emptied, "an emptied component (n_k < 1), not compared", 1 / 6);
});

/** |u_i − v_i| ≤ 1e-7 · max_j |u_j| for every i. */
function closeTo(u: Float64Array, v: Float64Array, what: string): void {
  let mag = 0;
  for (const x of u) mag = Math.max(mag, Math.abs(x));
  for (let i = 0; i < u.length; i++) assert.ok(Math.abs(u[i] - v[i]) <= 1e-7 * mag, `${what}[${i}]: ${u[i]} vs ${v[i]}`);
}

test("row order: a fixed model predicts permuted rows exactly permuted; a fit from explicit means gives the same parameters up to rounding", () => {
  const arb = fc.tuple(
    fc.constantFrom(...COVARIANCE_TYPE_NAMES),
    fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  ).chain(([cov, pseed]) =>
    specs({ maxN: 2000, maxD: cov === "full" ? 16 : 60, maxK: 8, budget: 30_000, full: cov === "full", scales: [-1, 3], pathologies: false, wellPosed: true, minRowsPerComponent: 20 })
      .map((s) => ({ s, cov, pseed })));
  let illPosed = 0;
  check("permutation", arb, 30, ({ s, cov, pseed }) => {
    const X = makeData(s);
    const perm = new Rng(pseed).permutation(s.n);
    const Xp = takeRows(X, perm);
    // Start: K distinct-index rows of X as means, so both fits begin from the same hard assignment.
    const means = new Float64Array(s.K * s.d);
    for (let k = 0; k < s.K; k++) for (let j = 0; j < s.d; j++) means[k * s.d + j] = X.data[Math.floor((k * s.n) / s.K) * s.d + j];
    const opts = { nComponents: s.K, covarianceType: cov, maxIter: 10, tol: 0, init: { means } };
    const a = new GaussianMixture(opts).fit(X);
    const b = new GaussianMixture(opts).fit(Xp);
    // Only the summation order differs: parameters agree to 1e-7 relative to their magnitude
    // and ℓ to 1e-7 — unless the model is ill-conditioned (see the monotone property: there ℓ
    // is evaluated only to n·eps·cond and the EM map amplifies rounding), where only the exact
    // prediction check below applies.
    if (illConditioned(a, cov, 1e-6)) illPosed++;
    else {
      closeTo(a.weights, b.weights, `${cov} weights`);
      closeTo(a.means, b.means, `${cov} means`);
      closeTo(a.variances, b.variances, `${cov} variances`);
      assert.ok(Math.abs(a.nll - b.nll) <= 1e-7 * Math.abs(a.nll), `${cov} nll ${a.nll} vs ${b.nll}`);
    }
    // A fixed model: every per-row output of the permuted rows is the permuted output, bit for bit.
    const K = s.K;
    const pa = a.predict(X), pb = a.predict(Xp);
    const qa = a.predictProba(X), qb = a.predictProba(Xp);
    const sa = a.scoreSamples(X), sb = a.scoreSamples(Xp);
    for (let r = 0; r < s.n; r++) {
      const i = perm[r];
      assert.is(pb[r], pa[i]);
      assert.is(sb[r], sa[i]);
      for (let k = 0; k < K; k++) assert.is(qb[r * K + k], qa[i * K + k]);
    }
  });
  skippedCases("permutation", illPosed, "an ill-conditioned fit (exact predictions only)", 1 / 3);
});

test.after(() => {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  process.stderr.write(`properties-gmm: ${Object.keys(counts).length} properties, ${total} generated cases (${JSON.stringify(counts)})\n`);
});

test.run();
