// The diagonal E-step (assembly/estep.ts) computes distances for rows in pairs; a row's
// log-probabilities, log-likelihood and statistics must not depend on whether it sits in a pair
// or alone (n = 1 per call: the kernel accumulates), bit for bit. And the statistics leave out
// responsibilities below e^−72 (R_SKIP_LOG) and keep every larger one.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { nodeCore } from "../src/core/node.js";
import { Rng } from "../src/util/rng.js";

const core = nodeCore();

/**
 * Random data where some rows sit far from some components, so pairs mix rows whose
 * responsibility for a component is 0 or skipped with rows where it is not; d and K cover the
 * tails (d not a multiple of 4 or 2, K odd and even).
 */
function mixedCase(rng: Rng, n: number, d: number, K: number) {
  const X = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const far = rng.uniform() < 0.4 ? 40 * (1 + rng.int(3)) : 0;
    for (let j = 0; j < d; j++) X[i * d + j] = far + 2 * rng.normal() + 0.5;
  }
  const means = new Float64Array(K * d);
  const variances = new Float64Array(K * d);
  const weights = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    weights[k] = (1 + rng.uniform()) / K;
    const centre = 40 * rng.int(4);
    for (let j = 0; j < d; j++) {
      means[k * d + j] = centre + rng.normal();
      variances[k * d + j] = 0.2 + 2 * rng.uniform();
    }
  }
  const total = weights.reduce((a, b) => a + b, 0);
  for (let k = 0; k < K; k++) weights[k] /= total;
  return { X, means, variances, weights };
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

test("estepDiagF32 on n rows at once equals n one-row calls bit for bit (ℓ and statistics)", () => {
  const rng = new Rng(11);
  for (const d of [1, 2, 3, 6, 9, 17]) {
    for (const K of [1, 2, 3, 5]) {
      const n = 9 + rng.int(20);
      const c = mixedCase(rng, n, d, K);
      core.scoped(() => {
        const Xr = core.putF32(c.X);
        const means = core.putF64(c.means), w = core.putF64(c.weights), v = core.putF64(c.variances);
        const prec = core.f64(K * d), logConst = core.f64(K);
        core.call("prepareDiagF64", { logConst: logConst.ptr, prec: prec.ptr, weights: w.ptr, variances: v.ptr, k: K, d });
        const run = (step: number) => {
          const sumR = core.f64(K), sumX = core.f64(K * d), sumX2 = core.f64(K * d), scratch = core.f64(2 * (K + d));
          for (const r of [sumR, sumX, sumX2]) r.view().fill(0);
          const lls: number[] = [];
          for (let i = 0; i < n; i += step) {
            const rows = Math.min(step, n - i);
            lls.push(core.call("estepDiagF32", { sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, scratch: scratch.ptr, x: Xr.ptr + i * d * 4, n: rows, d, k: K, means: means.ptr, prec: prec.ptr, logConst: logConst.ptr }));
          }
          return { lls, R: sumR.view().slice(), SX: sumX.view().slice(), SX2: sumX2.view().slice() };
        };
        const blocked = run(n);
        const rowByRow = run(1);
        // The blocked call's ℓ is Σ of the per-row log p in row order, as the one-row calls'.
        let ll = 0;
        for (const x of rowByRow.lls) ll += x;
        const at = `d=${d} K=${K} n=${n}`;
        assert.ok(Object.is(blocked.lls[0], ll), `${at}: ℓ ${blocked.lls[0]} vs ${ll}`);
        assert.ok(same(blocked.R, rowByRow.R), `${at}: sumR`);
        assert.ok(same(blocked.SX, rowByRow.SX), `${at}: sumX`);
        assert.ok(same(blocked.SX2, rowByRow.SX2), `${at}: sumX2`);
      });
    }
  }
});

test("logprobDiagF32 gives every row the same bits wherever it sits (pair or odd row)", () => {
  const rng = new Rng(12);
  for (const d of [1, 3, 4, 7, 10]) {
    for (const K of [1, 2, 4]) {
      const n = 7;
      const c = mixedCase(rng, n, d, K);
      core.scoped(() => {
        const means = core.putF64(c.means), w = core.putF64(c.weights), v = core.putF64(c.variances);
        const prec = core.f64(K * d), logConst = core.f64(K);
        core.call("prepareDiagF64", { logConst: logConst.ptr, prec: prec.ptr, weights: w.ptr, variances: v.ptr, k: K, d });
        const lp = (X: Float32Array, rows: number) => {
          const Xr = core.putF32(X);
          const out = core.f64(rows * K);
          core.call("logprobDiagF32", { out: out.ptr, scratch: core.f64(2 * d).ptr, x: Xr.ptr, n: rows, d, k: K, means: means.ptr, prec: prec.ptr, logConst: logConst.ptr });
          return out.view().slice();
        };
        const all = lp(c.X, n);
        // Reversed order moves every row between first-of-pair, second-of-pair and the odd last row.
        const rev = new Float32Array(n * d);
        for (let i = 0; i < n; i++) rev.set(c.X.subarray(i * d, (i + 1) * d), (n - 1 - i) * d);
        const back = lp(rev, n);
        for (let i = 0; i < n; i++) {
          assert.ok(same(all.subarray(i * K, (i + 1) * K), back.subarray((n - 1 - i) * K, (n - i) * K)), `d=${d} K=${K} row ${i}`);
          assert.ok(same(all.subarray(i * K, (i + 1) * K), lp(c.X.slice(i * d, (i + 1) * d), 1)), `d=${d} K=${K} row ${i} alone`);
        }
      });
    }
  }
});

test("statistics leave out a responsibility below e^-72 and keep one above it", () => {
  // d = 1, two unit-variance components at 0 and m: for x = 0, log r_1 − log r_0 = −m²/2 and
  // r_0 ≈ 1, so m = √144 = 12 puts log r_1 at the cut −72; m = 11.5 (−66) and 12.5 (−78) bracket it.
  const K = 2, d = 1;
  for (const [m, kept] of [[11.5, true], [12.5, false]] as const) {
    core.scoped(() => {
      const Xr = core.putF32([0]);
      const means = core.putF64([0, m]), w = core.putF64([0.5, 0.5]), v = core.putF64([1, 1]);
      const prec = core.f64(K * d), logConst = core.f64(K);
      core.call("prepareDiagF64", { logConst: logConst.ptr, prec: prec.ptr, weights: w.ptr, variances: v.ptr, k: K, d });
      const sumR = core.f64(K), sumX = core.f64(K * d), sumX2 = core.f64(K * d), scratch = core.f64(2 * (K + d));
      for (const r of [sumR, sumX, sumX2]) r.view().fill(0);
      core.call("estepDiagF32", { sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, scratch: scratch.ptr, x: Xr.ptr, n: 1, d, k: K, means: means.ptr, prec: prec.ptr, logConst: logConst.ptr });
      const r1 = Math.exp(-0.5 * m * m) / (1 + Math.exp(-0.5 * m * m));
      const [R, SX, SX2] = [sumR.view(), sumX.view(), sumX2.view()];
      if (kept) {
        assert.ok(Math.abs(R[1] - r1) <= 1e-12 * r1, `m=${m}: r_1 ${R[1]} vs ${r1}`);
        assert.ok(Math.abs(SX[1] - r1 * -m) <= 1e-12 * r1 * m, `m=${m}: sumX_1 ${SX[1]}`);
        assert.ok(Math.abs(SX2[1] - r1 * m * m) <= 1e-12 * r1 * m * m, `m=${m}: sumX2_1 ${SX2[1]}`);
      } else {
        assert.is(R[1], 0, `m=${m}: r_1 = ${r1} must be left out`);
        assert.is(SX[1], 0);
        assert.is(SX2[1], 0);
      }
      assert.ok(Math.abs(R[0] - (1 - r1)) <= 1e-15, `m=${m}: r_0 ${R[0]}`);
    });
  }
});

test.run();
