// Counterexamples that the property tests (properties-*.test.ts) once found, shrunk, as plain
// tests. Each names the fix it guards (docs/reliability.md lists them).
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Matrix } from "../src/core/matrix.js";
import { nodeCore } from "../src/core/node.js";
import { GaussianMixture } from "../src/mixture/gaussian-mixture.js";
import { UserError } from "../src/util/errors.js";
import { Rng } from "../src/util/rng.js";

nodeCore();

function gaussianRows(seed: number, n: number, d: number, scale = 1): Matrix {
  const rng = new Rng(seed);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n * d; i++) data[i] = scale * (3 * (i % 2) + rng.normal());
  return { data, rows: n, cols: d };
}

// Found by "row order: a fixed model predicts permuted rows exactly permuted" (spherical,
// n = 217, d = 14, K = 2): in an odd batch the last row went through a single-row distance
// loop (8 features per step, 4 accumulators) while every other row went through the pair loop
// (4 per step, 2 accumulators), so the same row got different low bits depending on where it
// stood. Fix: assembly/estep.ts mahalanobisDiag sums in the pair loop's order.
test("diag/spherical: a row's log-probability does not depend on its position in the batch (every row alone = inside the batch)", () => {
  // With the old single-row loop, 261 of these 2170 rows differed in their low bits.
  for (const d of [9, 13, 14, 17, 30]) {
    const n = 217;
    const X = gaussianRows(7, n, d);
    for (const cov of ["diag", "spherical"] as const) {
      const gm = new GaussianMixture({ nComponents: 2, covarianceType: cov, nInit: 1, maxIter: 5 }).fit(X);
      const all = gm.scoreSamples(X);
      for (let i = 0; i < n; i++) {
        const alone = gm.scoreSamples({ data: X.data.slice(i * d, (i + 1) * d), rows: 1, cols: d });
        assert.is(alone[0], all[i], `${cov} d=${d} row ${i}: alone vs in the batch`);
      }
    }
  }
});

// The same fix seen through the fused E-step: ℓ of odd n rows equals the sum of scoreSamples
// over the same rows in any order up to summation order only (it used to differ per row).
test("diag: predictProba of reversed rows is the reversed predictProba, bit for bit (n odd)", () => {
  const d = 11;
  const X = gaussianRows(8, 101, d, 1e3);
  const gm = new GaussianMixture({ nComponents: 3, nInit: 1, maxIter: 10 }).fit(X);
  const rev = new Float32Array(X.data.length);
  for (let i = 0; i < 101; i++) rev.set(X.data.subarray(i * d, (i + 1) * d), (100 - i) * d);
  const a = gm.predictProba(X);
  const b = gm.predictProba({ data: rev, rows: 101, cols: d });
  for (let i = 0; i < 101; i++) for (let k = 0; k < 3; k++) assert.is(b[(100 - i) * 3 + k], a[i * 3 + k]);
});

// Found while writing the resources test: fit and predict copied X.data as it was and let the
// kernels read rows × cols values, so a short data array made them read other arena buffers.
test("X.data shorter than rows×cols: fit and predict throw a UserError instead of reading past it", () => {
  const X = gaussianRows(9, 50, 4);
  const short = { data: X.data.subarray(0, 150), rows: 50, cols: 4 };
  assert.throws(() => new GaussianMixture({ nComponents: 2 }).fit(short), (e: Error) => e instanceof UserError && /X\.data has 150 values, fewer than rows×cols = 50×4 = 200/.test(e.message));
  const gm = new GaussianMixture({ nComponents: 2, nInit: 1 }).fit(X);
  assert.throws(() => gm.predict(short), (e: Error) => e instanceof UserError && /fewer than rows×cols/.test(e.message));
});

test.run();
