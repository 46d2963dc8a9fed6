import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { nodeCore } from "../src/core/node.js";
import { matrix, type Matrix } from "../src/core/matrix.js";
import { PCA } from "../src/decomposition/pca.js";
import { Rng } from "../src/util/rng.js";
import { covarianceTwin, jacobiEigen, maxAbsDiff } from "./twin/linalg-twin.js";

const core = nodeCore();

/** n×d data with correlated columns: Z·L + offset, Z standard normal, L random d×d. */
function correlated(rng: Rng, n: number, d: number): Matrix {
  const L = rng.fillNormal(new Float64Array(d * d));
  const z = new Float64Array(d);
  const data = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    rng.fillNormal(z);
    for (let j = 0; j < d; j++) {
      let s = 3 + j;
      for (let k = 0; k < d; k++) s += z[k] * L[k * d + j] * (1 / (1 + k));
      data[r * d + j] = s;
    }
  }
  return matrix(data, n, d);
}

test("PCA.fit matches the twin's covariance eigenpairs (up to sign) and sorts variances", () => {
  const rng = new Rng(21);
  const X = correlated(rng, 400, 9);
  const pca = new PCA({ nComponents: 4, core }).fit(X);
  const { mean, cov } = covarianceTwin(X.data, X.rows, X.cols);
  const ref = jacobiEigen(cov, 9);
  let trace = 0;
  for (let i = 0; i < 9; i++) trace += cov[i * 9 + i];
  assert.ok(maxAbsDiff(pca.mean, mean) < 1e-10);
  assert.ok(maxAbsDiff(pca.explainedVariance, ref.values.subarray(0, 4)) < 1e-9 * ref.values[0]);
  assert.ok(Math.abs(pca.totalVariance - trace) < 1e-9 * trace);
  for (let i = 0; i < 4; i++) {
    assert.ok(Math.abs(pca.explainedVarianceRatio[i] - ref.values[i] / trace) < 1e-10);
    const a = pca.components.subarray(i * 9, (i + 1) * 9);
    const b = ref.vectors.subarray(i * 9, (i + 1) * 9);
    const s = Math.sign(a.reduce((acc, v, k) => acc + v * b[k], 0));
    assert.ok(maxAbsDiff(a, b.map((v) => s * v)) < 1e-7, `component ${i}`);
    // Sign convention: the largest-|entry| is positive.
    let best = 0;
    for (let k = 1; k < 9; k++) if (Math.abs(a[k]) > Math.abs(a[best])) best = k;
    assert.ok(a[best] > 0);
  }
});

test("PCA: transform matches (X − mean)·Cᵀ, and the full round trip is the identity", () => {
  const rng = new Rng(4);
  for (const [n, d] of [[50, 7], [33, 13], [20, 4]]) {
    const X = correlated(rng, n, d);
    const pca = new PCA({ core }).fit(X);
    const Z = pca.transform(X);
    assert.is(Z.rows, n);
    assert.is(Z.cols, d);
    let worst = 0;
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < d; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += (X.data[r * d + j] - pca.mean[j]) * pca.components[c * d + j];
        worst = Math.max(worst, Math.abs(Z.data[r * d + c] - s));
      }
    }
    assert.ok(worst < 1e-3, `transform ${n}×${d}: ${worst}`);
    const back = pca.inverseTransform(Z);
    const scale = Math.max(...Array.from(X.data, Math.abs));
    assert.ok(maxAbsDiff(back.data, X.data) < 1e-5 * scale, `round trip ${n}×${d}: ${maxAbsDiff(back.data, X.data)}`);
    // Projected coordinates are uncorrelated with variances = explainedVariance.
    const zc = covarianceTwin(Z.data, n, d);
    for (let c = 0; c < d; c++) {
      assert.ok(Math.abs(zc.cov[c * d + c] - pca.explainedVariance[c]) < 1e-4 * pca.explainedVariance[0], `var ${c}`);
    }
  }
});

test("PCA: quantized input (bytes) gives the same model as the float matrix", () => {
  const rng = new Rng(8);
  const n = 300, d = 11;
  const bytes = new Uint8Array(n * d);
  for (let i = 0; i < bytes.length; i++) bytes[i] = i % d === 3 ? 0 : Math.min(255, rng.int(128) + (i % d) * 10);
  const X = matrix(Float32Array.from(bytes, (b) => b / 255), n, d);
  const exact = new PCA({ nComponents: 5, core }).fit({ matrix: X, bytes });
  const float = new PCA({ nComponents: 5, core }).fit(X);
  assert.ok(maxAbsDiff(exact.explainedVariance, float.explainedVariance) < 1e-6 * exact.explainedVariance[0]);
  assert.ok(maxAbsDiff(exact.components, float.components) < 1e-5);
});

test("PCA: toJSON / fromJSON round trip, and fromJSON checks kind, version and shapes", () => {
  const X = correlated(new Rng(2), 60, 6);
  const pca = new PCA({ nComponents: 3, core }).fit(X);
  const json = JSON.parse(JSON.stringify(pca.toJSON()));
  assert.is(json.kind, "PCA");
  const back = PCA.fromJSON(json, { core });
  assert.equal(Array.from(back.components), Array.from(pca.components));
  assert.equal(Array.from(back.mean), Array.from(pca.mean));
  assert.equal(Array.from(back.transform(X).data), Array.from(pca.transform(X).data));
  assert.throws(() => PCA.fromJSON({ ...json, kind: "GaussianMixture" }), /kind/);
  assert.throws(() => PCA.fromJSON({ ...json, version: 2 }), /version/);
  assert.throws(() => PCA.fromJSON({ ...json, mean: json.mean.slice(1) }), /mean/);
  assert.throws(() => PCA.fromJSON({ ...json, components: json.components.slice(1) }), /components/);
});

test("PCA: bad nComponents and shapes are rejected", () => {
  const X = correlated(new Rng(1), 10, 3);
  assert.throws(() => new PCA({ nComponents: 4, core }).fit(X), /exceeds/);
  assert.throws(() => new PCA({ nComponents: 0, core }).fit(X), /positive integer/);
  assert.throws(() => new PCA({ nComponents: 2.5, core }).fit(X), /positive integer/);
  const pca = new PCA({ nComponents: 2, core }).fit(X);
  assert.throws(() => pca.transform(matrix(new Float32Array(8), 2, 4)), /columns/);
  assert.throws(() => pca.inverseTransform(matrix(new Float32Array(6), 2, 3)), /components/);
  assert.throws(() => new PCA({ core }).transform(X), /fit/);
});

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

test("emlab pca: --json prints one document; --out writes it; bad --components exits 2", () => {
  const out = mkdtempSync(join(tmpdir(), "emlab-pca-test-"));
  try {
    const ok = spawnSync("node", [MAIN, "pca", "--data", "gmm-default", "--components", "2", "--json", "--out", out], { encoding: "utf8" });
    assert.is(ok.status, 0, ok.stderr);
    const doc = JSON.parse(ok.stdout);
    assert.is(doc.eigenvalues.length, 2);
    assert.is(doc.components.length, 2);
    assert.is(doc.components[0].length, doc.mean.length);
    assert.ok(doc.eigenvalues[0] >= doc.eigenvalues[1] && doc.explainedVarianceRatio[0] < 1);
    assert.equal(JSON.parse(readFileSync(join(out, "pca.json"), "utf8")), doc);
    assert.is(JSON.parse(readFileSync(join(out, "pca-model.json"), "utf8")).kind, "PCA");
    for (const bad of ["0", "1.5", "1000"]) {
      const r = spawnSync("node", [MAIN, "pca", "--data", "gmm-default", "--components", bad], { encoding: "utf8" });
      assert.is(r.status, 2, `--components ${bad}`);
      assert.match(r.stderr, /--components/);
      assert.is(r.stderr.trim().split("\n").length, 1);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
