// Reusing a fitted mixture: sampling (moments against the parameters, every covariance type),
// and scoring/labelling a chunk at a time with the same bits as the fit and as predict().
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Matrix } from "../src/core/matrix.js";
import { nodeCore } from "../src/core/node.js";
import { loadData } from "../src/data/datasets.js";
import { cholesky } from "../src/linalg/cholesky.js";
import { CHUNK_ROWS } from "../src/mixture/chunked.js";
import { COVARIANCE_TYPE_NAMES, type CovarianceType } from "../src/mixture/covariance.js";
import { GaussianMixture } from "../src/mixture/gaussian-mixture.js";
import { MixtureSampler } from "../src/mixture/sample.js";
import { MixtureScorer, sourceLogLikelihood, type ChunkedRows } from "../src/mixture/scorer.js";
import { UserError } from "../src/util/errors.js";

const core = nodeCore();
const d = 3;
const weights = [0.2, 0.3, 0.5];
const means = [-6, 0, 4, 0, 5, -3, 7, -2, 1];
/** Full covariances with strong correlations (symmetric positive definite by construction: B·Bᵀ + 0.1·I). */
const fullCov = [
  [1.0, 0.6, -0.3, 0.6, 2.0, 0.4, -0.3, 0.4, 0.5],
  [0.3, -0.2, 0.0, -0.2, 0.4, 0.1, 0.0, 0.1, 0.2],
  [2.5, -1.9, 0.8, -1.9, 3.0, -0.6, 0.8, -0.6, 1.2],
];
const VARIANCES: Record<CovarianceType, number[]> = {
  spherical: [0.5, 1.5, 0.25],
  diag: [1, 0.2, 3, 0.5, 0.5, 0.5, 2, 1, 0.1],
  full: fullCov.flat(),
};

/** A model with the parameters above (what a fit would leave), through fromJSON as a model file is read. */
function model(type: CovarianceType): GaussianMixture {
  return GaussianMixture.fromJSON({
    kind: "GaussianMixture", version: 1, covarianceType: type, nComponents: 3, nFeatures: d,
    weights, means, variances: VARIANCES[type],
  });
}

/** Component k's covariance as a d×d array, from the model's own layout. */
function covOf(type: CovarianceType, k: number): number[] {
  const v = VARIANCES[type];
  if (type === "full") return v.slice(k * d * d, (k + 1) * d * d);
  return Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? (type === "diag" ? v[k * d + i / (d + 1)] : v[k]) : 0));
}

for (const type of COVARIANCE_TYPE_NAMES) {
  test(`sample (${type}): component frequencies, means and covariances within 5 standard errors of the parameters`, () => {
    const n = 60_000;
    const { X, labels } = model(type).sample(n, 11);
    assert.equal([X.rows, X.cols, labels.length], [n, d, n]);
    for (let k = 0; k < 3; k++) {
      const rows = [...labels.keys()].filter((i) => labels[i] === k);
      const nk = rows.length;
      const freqSe = Math.sqrt((weights[k] * (1 - weights[k])) / n);
      assert.ok(Math.abs(nk / n - weights[k]) < 5 * freqSe, `${type} component ${k}: frequency ${nk / n}`);
      const S = covOf(type, k);
      const mean = Array.from({ length: d }, (_, j) => rows.reduce((s, i) => s + X.data[i * d + j], 0) / nk);
      for (let j = 0; j < d; j++) {
        assert.ok(Math.abs(mean[j] - means[k * d + j]) < 5 * Math.sqrt(S[j * d + j] / nk), `${type} k=${k} mean ${j}: ${mean[j]}`);
      }
      for (let a = 0; a < d; a++) {
        for (let b = 0; b < d; b++) {
          let c = 0;
          for (const i of rows) c += (X.data[i * d + a] - mean[a]) * (X.data[i * d + b] - mean[b]);
          c /= nk - 1;
          // var of a Gaussian sample covariance ≈ (S_aa S_bb + S_ab²)/n
          const se = Math.sqrt((S[a * d + a] * S[b * d + b] + S[a * d + b] ** 2) / nk);
          assert.ok(Math.abs(c - S[a * d + b]) < 5 * se, `${type} k=${k} cov[${a}][${b}] = ${c}, expected ${S[a * d + b]} ± ${5 * se}`);
        }
      }
    }
  });
}

test("sample is deterministic for a seed, whatever the chunking; another seed differs", () => {
  const gm = model("full");
  const a = gm.sample(500, 3);
  const b = gm.sample(500, 3);
  assert.ok(a.X.data.every((v, i) => Object.is(v, b.X.data[i])) && a.labels.every((v, i) => v === b.labels[i]));
  const s = new MixtureSampler(gm, 3);
  const parts = new Float32Array(500 * d);
  const labels = new Int32Array(500);
  s.next(123, parts, labels);
  s.next(377, parts.subarray(123 * d), labels.subarray(123));
  assert.ok(parts.every((v, i) => Object.is(v, a.X.data[i])));
  assert.not.ok(gm.sample(500, 4).X.data.every((v, i) => v === a.X.data[i]));
  assert.is(gm.sample(0, 1).X.rows, 0);
});

test("sample refuses a covariance that is not positive definite, and bad n", () => {
  const bad = GaussianMixture.fromJSON({ ...JSON.parse(JSON.stringify(model("full"))), variances: [...fullCov[0], 1, 2, 0, 2, 1, 0, 0, 0, 1, ...fullCov[2]] });
  assert.throws(() => bad.sample(10, 1), (e: Error) => e instanceof UserError && /component 1 is not positive definite/.test(e.message));
  assert.throws(() => model("diag").sample(-1), /n must be an integer ≥ 0/);
});

test("cholesky: L·Lᵀ = A and L lower-triangular; a matrix that is not positive definite is refused", () => {
  const A = fullCov[2];
  const L = cholesky(A, 3);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += L[i * 3 + k] * L[j * 3 + k];
      assert.ok(Math.abs(s - A[i * 3 + j]) < 1e-14, `(${i}, ${j})`);
      if (j > i) assert.is(L[i * 3 + j], 0);
    }
  }
  assert.throws(() => cholesky([1, 2, 2, 1], 2), /pivot 1 is -3/);
});

/** A matrix as a chunked source: `rows` declared or not (as for .npy and CSV). */
function chunkedRows(X: Matrix, declareRows: boolean, passes: number[] = []): ChunkedRows {
  return {
    rows: declareRows ? X.rows : undefined,
    *chunks(maxRows: number) {
      passes.push(maxRows);
      for (let first = 0; first < X.rows; first += maxRows) {
        const rows = Math.min(maxRows, X.rows - first);
        yield { data: X.data.subarray(first * X.cols, (first + rows) * X.cols), rows, cols: X.cols };
      }
    },
  };
}

test("streamed score: −Σ log p over chunks equals the fit's final NLL to the last bit (every covariance type, through JSON)", () => {
  const X = loadData("gmm-default").matrix;
  // more rows than one chunk, so the chunk order of the sum matters
  const big: Matrix = { data: new Float32Array(X.data.length * 3), rows: X.rows * 3, cols: X.cols };
  for (let r = 0; r < 3; r++) big.data.set(X.data.map((v) => v + r * 0.01), r * X.data.length);
  for (const type of COVARIANCE_TYPE_NAMES) {
    const gm = new GaussianMixture({ nComponents: 4, covarianceType: type, seed: 2, nInit: 1, maxIter: 20, core }).fit(big);
    const back = GaussianMixture.fromJSON(JSON.parse(JSON.stringify(gm.toJSON())));
    core.scoped(() => {
      const scorer = new MixtureScorer(back, core);
      for (const declare of [true, false]) {
        const { n, logLikelihood } = sourceLogLikelihood(scorer, chunkedRows(big, declare));
        assert.is(n, big.rows);
        assert.ok(Object.is(-logLikelihood, gm.nll), `${type}: ${-logLikelihood} vs fit ${gm.nll}`);
      }
      // chunks of another size sum in another order: close, but (in general) not the same bits
      let other = 0;
      for (const c of chunkedRows(big, true).chunks(1000)) other += scorer.chunkLogLikelihood(c);
      assert.ok(Math.abs(-other - gm.nll) < 1e-9 * Math.abs(gm.nll));
      // predict and predictProba a chunk at a time equal the whole-matrix methods
      const labels = back.predict(big);
      const proba = back.predictProba(big);
      let at = 0;
      for (const c of chunkedRows(big, true).chunks(777)) {
        const l = scorer.predict(c);
        const p = scorer.predictProba(c);
        assert.ok(l.every((v, i) => v === labels[at + i]), `${type}: labels of chunk at ${at}`);
        assert.ok(p.every((v, i) => Object.is(v, proba[(at * 4) + i])), `${type}: proba of chunk at ${at}`);
        at += c.rows;
      }
    });
  }
});

test("streamed score with n unknown: a second pass only when the fit would have used larger chunks", () => {
  const X = loadData("gmm-default").matrix;
  const gm = new GaussianMixture({ nComponents: 2, seed: 1, nInit: 1, maxIter: 5, core }).fit(X);
  core.scoped(() => {
    const scorer = new MixtureScorer(gm, core);
    const passes: number[] = [];
    sourceLogLikelihood(scorer, chunkedRows(X, false, passes));
    assert.equal(passes, [CHUNK_ROWS]);
    // as if the statistics were large: the fit's chunk doubles above 2000 rows
    scorer.fitChunkRows = (n: number) => (n > 2000 ? 2 * CHUNK_ROWS : CHUNK_ROWS);
    passes.length = 0;
    const r = sourceLogLikelihood(scorer, chunkedRows(X, false, passes));
    assert.equal(passes, [CHUNK_ROWS, 2 * CHUNK_ROWS]);
    // the second pass's 3000 rows fit in one chunk of 4096
    assert.ok(Object.is(r.logLikelihood, scorer.chunkLogLikelihood(X)));
  });
});

test.run();
