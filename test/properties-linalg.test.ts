// Property-based tests (fast-check) of the linear algebra on the WASM core: eigh, sqrtmPsd,
// covariance and PCA, on random sizes (1…100), scales (1e-8…1e8), repeated eigenvalues,
// rank-deficient matrices, duplicated rows and constant columns. Deterministic by default
// (fixed seed); FC_SEED=<n> picks another, EMLAB_LONG_TESTS=1 multiplies numRuns by 20.
// Guarantees and case counts: docs/reliability.md.
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { takeRows, type Matrix } from "../src/core/matrix.js";
import { nodeCore } from "../src/core/node.js";
import { propertyChecker } from "./twin/fc-check.js";
import { PCA } from "../src/decomposition/pca.js";
import { covariance } from "../src/linalg/covariance.js";
import { eigh, sqrtmPsd } from "../src/linalg/eigh.js";
import { Rng } from "../src/util/rng.js";
import { covarianceTwin, jacobiEigen, matmulTwin } from "./twin/linalg-twin.js";

nodeCore();

// ---------------------------------------------------------------------------------------
// fast-check configuration: fixed seed, run counts, case counting

const { check, counts } = propertyChecker("properties-linalg");

const EPS = Number.EPSILON;
const scaleArb = fc.tuple(fc.integer({ min: -8, max: 8 }), fc.integer({ min: 10, max: 99 })).map(([e, m]) => (m / 10) * 10 ** e);

// ---------------------------------------------------------------------------------------
// generated symmetric matrices

type Kind = "general" | "psd-low-rank" | "repeated" | "diagonal";

/** A symmetric n×n matrix of the given kind, entries of magnitude ~scale. */
function symmetric(kind: Kind, n: number, scale: number, seed: number, rank: number): Float64Array {
  const rng = new Rng(seed);
  const A = new Float64Array(n * n);
  if (kind === "general") {
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) A[i * n + j] = A[j * n + i] = scale * rng.normal();
  } else if (kind === "psd-low-rank") {
    // BᵀB with B rank×n: n − rank eigenvalues are exactly 0 (repeated), the rest positive.
    const r = Math.max(1, Math.min(rank, n));
    const B = Float64Array.from({ length: r * n }, () => rng.normal());
    for (let k = 0; k < r; k++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i * n + j] += scale * B[k * n + i] * B[k * n + j];
  } else if (kind === "repeated") {
    // Qᵀ·diag(λ)·Q with λ from two or three distinct values, each repeated.
    const Q = jacobiEigen(symmetric("general", n, 1, seed + 1, 0), n).vectors;
    const distinct = [scale, -0.5 * scale, 2 * scale];
    const lam = Array.from({ length: n }, (_, i) => distinct[i % (1 + (rank % 3))]);
    for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i * n + j] += lam[k] * Q[k * n + i] * Q[k * n + j];
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) A[i * n + j] = A[j * n + i]; // exact symmetry
  } else {
    for (let i = 0; i < n; i++) A[i * n + i] = scale * (rng.int(3) - 1); // −s, 0, s repeated
  }
  return A;
}

/** max |A_ij|, at least the smallest normal (so that relative bounds stay bounds). */
function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

const symmetricCase = fc.record({
  kind: fc.constantFrom<Kind>("general", "psd-low-rank", "repeated", "diagonal"),
  n: fc.integer({ min: 1, max: 100 }),
  scale: scaleArb,
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  rank: fc.integer({ min: 1, max: 12 }),
});

// ---------------------------------------------------------------------------------------
// properties: eigh, sqrtmPsd

test("eigh: finite, sorted, A·v = λ·v, V·Vᵀ = I, sign rule — n 1…100, scale 1e-8…1e8, repeated and zero eigenvalues", () => {
  check("eigh", symmetricCase, 40, ({ kind, n, scale, seed, rank }) => {
    const A = symmetric(kind, n, scale, seed, rank);
    const { values, vectors } = eigh(A, n);
    for (const v of [...values, ...vectors]) assert.ok(Number.isFinite(v), "non-finite output");
    const norm = Math.max(maxAbs(values), maxAbs(A));
    // Backward-stable eigensolver: residuals ~ n·eps·‖A‖; 64·n·eps leaves a margin for tql2.
    const tol = 64 * n * EPS;
    for (let i = 1; i < n; i++) assert.ok(values[i] <= values[i - 1], `values not decreasing at ${i}`);
    for (let i = 0; i < n; i++) {
      const v = vectors.subarray(i * n, (i + 1) * n);
      let big = 0;
      for (let j = 0; j < n; j++) if (Math.abs(v[j]) > Math.abs(v[big])) big = j;
      assert.ok(v[big] > 0, `eigenvector ${i}: its largest entry is negative`);
      for (let r = 0; r < n; r++) {
        let av = 0;
        for (let c = 0; c < n; c++) av += A[r * n + c] * v[c];
        assert.ok(Math.abs(av - values[i] * v[r]) <= tol * norm, `${kind} n=${n}: (A·v − λv)[${r}] = ${av - values[i] * v[r]} for λ${i}`);
      }
      for (let j = 0; j <= i; j++) {
        let dot = 0;
        for (let c = 0; c < n; c++) dot += v[c] * vectors[j * n + c];
        assert.ok(Math.abs(dot - (i === j ? 1 : 0)) <= tol, `${kind} n=${n}: v${i}·v${j} = ${dot}`);
      }
    }
    // Eigenvalues agree with a different algorithm (cyclic Jacobi, float64) where it is affordable.
    if (n <= 30) {
      const ref = jacobiEigen(A, n).values;
      for (let i = 0; i < n; i++) assert.ok(Math.abs(values[i] - ref[i]) <= tol * norm, `λ${i}: ${values[i]} vs Jacobi ${ref[i]}`);
    }
  });
});

test("sqrtmPsd: S symmetric, S·S = A for PSD A (also rank-deficient), n 1…100, scale 1e-8…1e8", () => {
  const arb = fc.record({
    n: fc.integer({ min: 1, max: 100 }),
    scale: scaleArb,
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    rank: fc.integer({ min: 1, max: 120 }),
  });
  check("sqrtm", arb, 20, ({ n, scale, seed, rank }) => {
    const A = symmetric("psd-low-rank", n, scale, seed, rank);
    const S = sqrtmPsd(A, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) {
      assert.ok(Math.abs(S[i * n + j] - S[j * n + i]) <= 64 * n * EPS * maxAbs(S), "S not symmetric");
    }
    const SS = matmulTwin(S, S, n, n, n);
    const norm = maxAbs(A);
    // Clamping round-off eigenvalues (|λ| ≲ n·eps·‖A‖) to 0 changes S·S by that much.
    for (let i = 0; i < n * n; i++) assert.ok(Math.abs(SS[i] - A[i]) <= 256 * n * EPS * norm, `(S·S − A)[${i}] = ${SS[i] - A[i]} (‖A‖ ${norm})`);
  });
});

// ---------------------------------------------------------------------------------------
// generated data matrices (for covariance and PCA)

interface DataCase {
  n: number;
  d: number;
  scale: number;
  /** Added to every value before scaling, in units of the spread (a common offset). */
  offset: number;
  seed: number;
  constCols: number;
  dupFrac: number;
}

const dataCase = fc.record({
  n: fc.integer({ min: 2, max: 3000 }),
  d: fc.integer({ min: 1, max: 100 }).map((d) => (d % 4 === 0 ? d - 1 : d)),
  scale: scaleArb,
  offset: fc.constantFrom(0, 0, 10, 1000),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  constCols: fc.integer({ min: 0, max: 3 }),
  dupFrac: fc.constantFrom(0, 0, 0.5, 0.95),
}).map((c) => ({ ...c, n: Math.max(2, Math.min(c.n, Math.floor(60_000 / c.d))), constCols: Math.min(c.constCols, c.d) }));

function makeData(c: DataCase): Matrix {
  const { n, d } = c;
  const rng = new Rng(c.seed);
  const spread = Float64Array.from({ length: d }, () => 0.1 + 3 * rng.uniform());
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    if (i > 0 && rng.uniform() < c.dupFrac) {
      const src = rng.int(i);
      for (let j = 0; j < d; j++) x[i * d + j] = x[src * d + j];
      continue;
    }
    for (let j = 0; j < d; j++) x[i * d + j] = c.offset + spread[j] * rng.normal();
  }
  for (let j = 0; j < c.constCols; j++) for (let i = 0; i < n; i++) x[i * d + j] = c.offset + 1.5;
  return { data: Float32Array.from(x, (v) => v * c.scale), rows: n, cols: d };
}

// ---------------------------------------------------------------------------------------
// properties: covariance, PCA

test("covariance: symmetric, PSD, constant columns give exact zeros, equal to the two-pass float64 twin", () => {
  check("covariance", dataCase, 30, (c) => {
    const X = makeData(c);
    const { n, d } = c;
    const { cov, mean } = covariance(X);
    const tw = covarianceTwin(X.data, n, d);
    for (const v of [...cov, ...mean]) assert.ok(Number.isFinite(v), "non-finite covariance");
    for (let i = 0; i < d; i++) {
      assert.ok(cov[i * d + i] >= 0, `negative variance ${cov[i * d + i]}`);
      for (let j = 0; j < i; j++) assert.is(cov[i * d + j], cov[j * d + i], "not exactly symmetric");
    }
    for (let j = 0; j < c.constCols; j++) for (let i = 0; i < d; i++) assert.is(cov[j * d + i], 0, `constant column ${j}: cov[${j}][${i}] = ${cov[j * d + i]}`);
    // Both are two-pass float64 algorithms on the same f32 values: they differ by rounding of
    // the centred values, ~ n·eps·(|x|max)² at worst; relative to √(c_ii c_jj) that is tiny.
    let xmax = 0;
    for (const v of X.data) xmax = Math.max(xmax, Math.abs(v));
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
      const err = Math.abs(cov[i * d + j] - tw.cov[i * d + j]);
      assert.ok(err <= 1e-9 * Math.sqrt(tw.cov[i * d + i] * tw.cov[j * d + j]) + 4 * n * EPS * xmax * xmax / (n - 1), `cov[${i}][${j}]: ${cov[i * d + j]} vs twin ${tw.cov[i * d + j]}`);
    }
    // PSD: no eigenvalue below −(rounding of the matrix).
    if (d <= 60) {
      const { values } = eigh(cov, d);
      let tr = 0;
      for (let i = 0; i < d; i++) tr += cov[i * d + i];
      assert.ok(values[d - 1] >= -64 * d * EPS * tr, `eigenvalue ${values[d - 1]} (trace ${tr})`);
    }
  });
});

test("PCA (all components): orthonormal, variances sorted ≥ 0, ratios sum to 1, transform → inverseTransform round trip; row order only permutes the scores", () => {
  const arb = fc.tuple(dataCase, fc.integer({ min: 0, max: 2 ** 31 - 1 }));
  check("pca", arb, 30, ([c, pseed]) => {
    const X = makeData(c);
    const { n, d } = c;
    const p = new PCA().fit(X);
    const C = p.components;
    for (const v of [...C, ...p.mean, ...p.explainedVariance, ...p.explainedVarianceRatio]) assert.ok(Number.isFinite(v), "non-finite PCA output");
    for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) {
      let dot = 0;
      for (let m = 0; m < d; m++) dot += C[i * d + m] * C[j * d + m];
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) <= 64 * d * EPS, `component ${i}·${j} = ${dot}`);
    }
    const ev = p.explainedVariance;
    for (let i = 0; i < d; i++) {
      assert.ok(ev[i] >= 0, `explainedVariance[${i}] = ${ev[i]}`);
      if (i > 0) assert.ok(ev[i] <= ev[i - 1], "explainedVariance not decreasing");
    }
    if (p.totalVariance > 0) {
      const s = p.explainedVarianceRatio.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(s - 1) <= 64 * d * EPS, `ratios sum to 1 + ${s - 1}`);
    }
    // Round trip in f32: Z = (X − mean)·Cᵀ and X̂ = Z·C + mean with f32 components; the error is
    // f32 rounding of the values and of C's orthogonality, ~ d·2⁻²⁴ of the largest |x|.
    const Z = p.transform(X);
    const Xh = p.inverseTransform(Z);
    const xmax = maxAbs(X.data);
    for (let i = 0; i < n * d; i++) {
      assert.ok(Math.abs(Xh.data[i] - X.data[i]) <= 4 * (d + 4) * 2 ** -24 * xmax, `round trip [${i}]: ${Xh.data[i]} vs ${X.data[i]} (max |x| ${xmax})`);
    }
    // transform works row by row: permuted rows give the permuted scores, bit for bit.
    const perm = new Rng(pseed).permutation(n);
    const Zp = p.transform(takeRows(X, perm));
    for (let r = 0; r < n; r++) for (let k = 0; k < d; k++) assert.is(Zp.data[r * d + k], Z.data[perm[r] * d + k]);
  });
});

test.after(() => {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  process.stderr.write(`properties-linalg: ${Object.keys(counts).length} properties, ${total} generated cases (${JSON.stringify(counts)})\n`);
});

test.run();
