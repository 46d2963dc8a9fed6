// Counterexamples that the property tests (properties-*.test.ts) once found, shrunk, as plain
// tests. Each names the fix it guards (docs/reliability.md lists them).
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Matrix } from "../src/core/matrix.js";
import { nodeCore } from "../src/core/node.js";
import { GaussianMixture } from "../src/mixture/gaussian-mixture.js";
import { UserError } from "../src/util/errors.js";
import { Rng } from "../src/util/rng.js";
import { fitTwin } from "./twin/gmm-twin.js";

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

// Found by "ℓ trace non-increasing" run over the whole domain (n = 300, d = 7, K = 3, scale
// 1e6, one constant column: ℓ rose by 2.8e-2 relative, WASM and float64 twin alike). The
// diagonal M-step formed s = Σr·x²/n_k − μ², which loses eps·μ² to cancellation (≈ 1e-3 at
// μ = 2.5e6, against a true variance of 0 + regCovar), so a constant column's variance jittered
// between iterations and ℓ with it. Fix: shifted statistics Σr·(x − c_k), Σr·(x − c_k)² around
// the E-step's means (assembly/estep.ts, mstep.ts; docs/gmm.md "Shifted statistics").

/** Three unit-spread clusters in d columns (× scale), then column 0 set to `constant` and column 1 to nearOffset + nearSpread·N(0,1). */
function offsetColumns(seed: number, n: number, d: number, o: { scale?: number; constant?: number; nearOffset?: number; nearSpread?: number }): Matrix {
  const rng = new Rng(seed);
  const centres = Array.from({ length: 3 * d }, () => 3 * rng.normal());
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) data[i * d + j] = (o.scale ?? 1) * (centres[(i % 3) * d + j] + rng.normal());
    if (o.constant !== undefined) data[i * d] = o.constant;
    if (o.nearOffset !== undefined) data[i * d + 1] = o.nearOffset + (o.nearSpread ?? 0) * rng.normal();
  }
  return { data, rows: n, cols: d };
}

/** Largest rise of ℓ from one iteration to the next, relative to |ℓ|. */
function maxRelIncrease(trace: number[]): number {
  let m = 0;
  for (let t = 1; t < trace.length; t++) m = Math.max(m, (trace[t] - trace[t - 1]) / Math.abs(trace[t - 1]));
  return m;
}

const OFFSET_CASES = [
  { name: "constant column at 1e6", o: { constant: 1e6 } },
  { name: "constant column at 2.5e6, the rest ×1e6 (the shrunk counterexample's shape)", o: { scale: 1e6, constant: 2.5e6 } },
  { name: "constant column at 1e6 and a near-constant one (spread 1e-3 at 1e4)", o: { constant: 1e6, nearOffset: 1e4, nearSpread: 1e-3 } },
];

for (const { name, o } of OFFSET_CASES) {
  test(`diag/spherical, ${name}: ℓ non-increasing (1e-9 relative), the constant column's variance = regCovar`, () => {
    const n = 300, d = 7, K = 3, regCovar = 1e-6;
    const X = offsetColumns(11, n, d, o);
    const labels = Int32Array.from({ length: n }, (_, i) => i % K);
    for (const cov of ["diag", "spherical"] as const) {
      for (const init of ["kmeans++", { labels }] as const) {
        const gm = new GaussianMixture({ nComponents: K, covarianceType: cov, maxIter: 60, tol: 0, nInit: 1, seed: 3, init, regCovar }).fit(X);
        const what = `${cov} ${typeof init === "string" ? init : "labels"}`;
        const inc = maxRelIncrease(gm.nllTrace);
        assert.ok(inc <= 1e-9, `${what}: ℓ rose by ${inc} relative`);
        const last = gm.nllTrace[gm.nllTrace.length - 1];
        assert.ok(gm.nll - last <= 1e-9 * Math.abs(last), `${what}: final ℓ ${gm.nll} above the last iteration's ${last}`);
        if (cov === "diag") {
          for (let k = 0; k < K; k++) {
            const v = gm.variances[k * d];
            assert.ok(Math.abs(v - regCovar) <= 1e-12 * regCovar, `${what}: component ${k}: constant column's variance ${v}, not regCovar`);
          }
        }
      }
    }
  });
}

test("the offset data really triggers the cancellation: raw moments (the float64 twin's formula) rise by > 1e-3", () => {
  // Guards the tests above from passing on data too tame to matter.
  const n = 300, d = 7, K = 3;
  const X = offsetColumns(11, n, d, { constant: 1e6 });
  const twin = fitTwin(X.data, n, d, Int32Array.from({ length: n }, (_, i) => i % K), K, { maxIter: 60, tol: 0, regCovar: 1e-6, cov: "diag" });
  assert.ok(maxRelIncrease(twin.nllTrace) > 1e-3, `twin rose by only ${maxRelIncrease(twin.nllTrace)}`);
});

test("diag: a near-constant column (spread 1e-3 at 1e4) gets the weighted two-pass variance + regCovar (1e-6 relative; raw moments are off by ~eps·μ²/s ≈ 2e-2)", () => {
  const n = 300, d = 7, K = 3, regCovar = 1e-6;
  const X = offsetColumns(11, n, d, { nearOffset: 1e4, nearSpread: 1e-3 });
  const gm = new GaussianMixture({ nComponents: K, maxIter: 60, tol: 0, nInit: 1, seed: 3, regCovar }).fit(X);
  // At convergence the responsibilities of the final model are those the last M-step used.
  const resp = gm.predictProba(X);
  for (let k = 0; k < K; k++) {
    let nk = 0, sx = 0;
    for (let i = 0; i < n; i++) {
      nk += resp[i * K + k];
      sx += resp[i * K + k] * X.data[i * d + 1];
    }
    const mu = sx / nk;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += resp[i * K + k] * (X.data[i * d + 1] - mu) ** 2;
    const want = ss / nk + regCovar;
    const got = gm.variances[k * d + 1];
    assert.ok(Math.abs(got - want) <= 1e-6 * want, `component ${k}: variance ${got} vs two-pass ${want}`);
  }
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
