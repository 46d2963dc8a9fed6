// The diagonal/spherical GMM kernels (assembly/estep.ts, assembly/mstep.ts) against the
// plain float64 twin, on random shapes including d not a multiple of 4.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { nodeCore } from "../src/core/node.js";
import { Rng } from "../src/util/rng.js";
import { eStep, mStep, weightedLogProb, type TwinParams } from "./twin/gmm-twin.js";

const core = nodeCore();
const DS = [1, 3, 5, 7, 13];

function close(got: number, want: number, rel: number, what: string): void {
  assert.ok(Math.abs(got - want) <= rel * Math.max(1, Math.abs(want)), `${what}: ${got} vs ${want}`);
}

function randomCase(rng: Rng, n: number, d: number, K: number) {
  const X = new Float32Array(n * d);
  for (let i = 0; i < X.length; i++) X[i] = 3 * rng.normal() + 1;
  const w = Array.from({ length: K }, () => 0.1 + rng.uniform());
  const sw = w.reduce((a, b) => a + b, 0);
  const p: TwinParams = {
    weights: w.map((v) => v / sw),
    means: Array.from({ length: K }, () => Array.from({ length: d }, () => 3 * rng.normal())),
    variances: Array.from({ length: K }, () => Array.from({ length: d }, () => 0.3 + 4 * rng.uniform())),
  };
  return { X, p };
}

/** Parameters into the arena and prepared (diag layout). */
function prepared(p: TwinParams, d: number) {
  const K = p.weights.length;
  const weights = core.putF64(p.weights);
  const means = core.putF64(p.means.flat());
  const variances = core.putF64(p.variances.flat());
  const prec = core.f64(K * d);
  const logConst = core.f64(K);
  core.call("prepareDiagF64", { logConst: logConst.ptr, prec: prec.ptr, weights: weights.ptr, variances: variances.ptr, k: K, d });
  return { means, prec, logConst };
}

test("logprobDiagF32 equals the per-point float64 loop", () => {
  const rng = new Rng(1);
  for (const d of DS) {
    for (let K = 1; K <= 6; K++) {
      const n = 1 + rng.int(40);
      const { X, p } = randomCase(rng, n, d, K);
      core.scoped(() => {
        const Xr = core.putF32(X);
        const c = prepared(p, d);
        const out = core.f64(n * K);
        core.call("logprobDiagF32", { out: out.ptr, scratch: core.f64(2 * d).ptr, x: Xr.ptr, n, d, k: K, means: c.means.ptr, prec: c.prec.ptr, logConst: c.logConst.ptr });
        const got = out.view();
        for (let i = 0; i < n; i++) {
          for (let k = 0; k < K; k++) {
            close(got[i * K + k], weightedLogProb(X.subarray(i * d, (i + 1) * d), p, k), 1e-12, `d=${d} K=${K} i=${i} k=${k}`);
          }
        }
      });
    }
  }
});

test("estepDiagF32: log-likelihood and statistics (shifted by the E-step's means) equal the twin's E-step", () => {
  const rng = new Rng(2);
  for (const d of DS) {
    for (let K = 1; K <= 6; K++) {
      const n = 1 + rng.int(60);
      const { X, p } = randomCase(rng, n, d, K);
      const twin = eStep(X, n, d, p);
      core.scoped(() => {
        const Xr = core.putF32(X);
        const c = prepared(p, d);
        const sumR = core.f64(K), sumX = core.f64(K * d), sumX2 = core.f64(K * d), scratch = core.f64(2 * (K + d));
        for (const r of [sumR, sumX, sumX2]) r.view().fill(0);
        const ll = core.call("estepDiagF32", { sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, scratch: scratch.ptr, x: Xr.ptr, n, d, k: K, means: c.means.ptr, prec: c.prec.ptr, logConst: c.logConst.ptr });
        close(-ll, twin.nll, 1e-12, `d=${d} K=${K} loglik`);
        const [R, SX, SX2] = [sumR.view(), sumX.view(), sumX2.view()];
        for (let k = 0; k < K; k++) {
          let r = 0;
          for (let i = 0; i < n; i++) r += twin.resp[i][k];
          close(R[k], r, 1e-11, `sumR[${k}]`);
          for (let j = 0; j < d; j++) {
            let sx = 0, sx2 = 0;
            for (let i = 0; i < n; i++) {
              const x = X[i * d + j] - p.means[k][j];
              sx += twin.resp[i][k] * x;
              sx2 += twin.resp[i][k] * x * x;
            }
            close(SX[k * d + j], sx, 1e-11, `sumX[${k},${j}]`);
            close(SX2[k * d + j], sx2, 1e-11, `sumX2[${k},${j}]`);
          }
        }
      });
    }
  }
});

test("estepDiagF32 accumulates across blocks: two halves equal one pass", () => {
  const rng = new Rng(3);
  const n = 50, d = 7, K = 4;
  const { X, p } = randomCase(rng, n, d, K);
  core.scoped(() => {
    const Xr = core.putF32(X);
    const c = prepared(p, d);
    const run = (blocks: [number, number][]) => {
      const sumR = core.f64(K), sumX = core.f64(K * d), sumX2 = core.f64(K * d), scratch = core.f64(2 * (K + d));
      for (const r of [sumR, sumX, sumX2]) r.view().fill(0);
      let ll = 0;
      for (const [a, b] of blocks) {
        ll += core.call("estepDiagF32", { sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, scratch: scratch.ptr, x: Xr.ptr + a * d * 4, n: b - a, d, k: K, means: c.means.ptr, prec: c.prec.ptr, logConst: c.logConst.ptr });
      }
      return { ll, sx: Array.from(sumX.view()) };
    };
    const one = run([[0, n]]);
    const two = run([[0, 23], [23, n]]);
    close(two.ll, one.ll, 1e-13, "loglik");
    two.sx.forEach((v, i) => close(v, one.sx[i], 1e-13, `sumX[${i}]`));
  });
});

for (const cov of ["diag", "spherical"] as const) {
  test(`statsFromRespF32 + mstep${cov === "diag" ? "Diag" : "Spherical"}F64 equal the twin's M-step`, () => {
    const rng = new Rng(4);
    for (const d of DS) {
      for (let K = 1; K <= 6; K++) {
        const n = K + rng.int(50);
        const { X } = randomCase(rng, n, d, K);
        // random soft responsibilities, and one component left empty when K > 1
        const resp = Array.from({ length: n }, () => {
          const r = Array.from({ length: K }, (_, k) => (K > 1 && k === K - 1 ? 0 : rng.uniform()));
          const s = r.reduce((a, b) => a + b, 0);
          return r.map((v) => v / s);
        });
        const twin = mStep(X, n, d, resp, 1e-6, cov);
        core.scoped(() => {
          const Xr = core.putF32(X);
          const R = core.putF64(resp.flat());
          const sumR = core.f64(K), sumX = core.f64(K * d), sumX2 = core.f64(K * d);
          for (const r of [sumR, sumX, sumX2]) r.view().fill(0);
          // The shift goes into the means region, which the M-step then reads and overwrites in place.
          const w = core.f64(K), m = core.f64(K * d), v = core.f64(cov === "diag" ? K * d : K), scratch = core.f64(K * d);
          m.view().fill(NaN); // statsFromRespF32 must write every shift entry
          core.call("statsFromRespDiagF32", { sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, shift: m.ptr, scratch: core.f64(d + K).ptr, x: Xr.ptr, resp: R.ptr, n, d, k: K });
          const shift = m.view().slice();
          for (let k = 0; k < K; k++) {
            let nk = 0;
            for (let i = 0; i < n; i++) nk += resp[i][k];
            for (let j = 0; j < d; j++) {
              let sx = 0;
              for (let i = 0; i < n; i++) sx += resp[i][k] * X[i * d + j];
              close(shift[k * d + j], sx / (nk + 10 * Number.EPSILON), 1e-12, `shift ${k},${j} (weighted mean)`);
            }
          }
          if (cov === "diag") core.call("mstepDiagF64", { weights: w.ptr, means: m.ptr, variances: v.ptr, sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, shift: m.ptr, k: K, d, regCovar: 1e-6 });
          else core.call("mstepSphericalF64", { weights: w.ptr, means: m.ptr, variances: v.ptr, scratch: scratch.ptr, sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, shift: m.ptr, k: K, d, regCovar: 1e-6 });
          const [W, M, V] = [w.view(), m.view(), v.view()];
          for (let k = 0; k < K; k++) {
            close(W[k], twin.weights[k], 1e-12, `weight ${k}`);
            for (let j = 0; j < d; j++) {
              close(M[k * d + j], twin.means[k][j], 1e-11, `mean ${k},${j}`);
              const got = cov === "diag" ? V[k * d + j] : V[k];
              close(got, twin.variances[k][j], 1e-10, `variance ${k},${j}`);
              assert.ok(got >= 1e-6, "regCovar floors every variance");
            }
          }
        });
      }
    }
  });
}

for (const cov of ["diag", "spherical"] as const) {
  test(`estepDiagF32 + mstep${cov === "diag" ? "Diag" : "Spherical"}F64 (shift = the E-step's means, aliased) equal the twin's E-step then M-step`, () => {
    const rng = new Rng(6);
    for (const d of DS) {
      for (let K = 1; K <= 6; K++) {
        const n = K + rng.int(60);
        const { X, p } = randomCase(rng, n, d, K);
        const { resp } = eStep(X, n, d, p);
        const want = mStep(X, n, d, resp, 1e-6, cov);
        // The empty-component guard n_k + 10·eps pulls the twin's mean Σr·x/n_k towards 0 and
        // ours c + Σr·(x − c)/n_k towards c, by a fraction g = 10·eps/n_k; the variances then
        // differ by at most g·((x̄ − c)² + x̄²). Visible only when n_k is tiny.
        const guard = Array.from({ length: K }, (_, k) => (10 * Number.EPSILON) / resp.reduce((a, r) => a + r[k], 10 * Number.EPSILON));
        const varPull = (k: number, j: number) => 2 * guard[k] * ((Math.abs(p.means[k][j]) + Math.abs(want.means[k][j])) ** 2 + want.means[k][j] ** 2);
        core.scoped(() => {
          const Xr = core.putF32(X);
          const c = prepared(p, d);
          const sumR = core.f64(K), sumX = core.f64(K * d), sumX2 = core.f64(K * d), scratch = core.f64(Math.max(K * d, 2 * (K + d)));
          for (const r of [sumR, sumX, sumX2]) r.view().fill(0);
          core.call("estepDiagF32", { sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, scratch: scratch.ptr, x: Xr.ptr, n, d, k: K, means: c.means.ptr, prec: c.prec.ptr, logConst: c.logConst.ptr });
          const w = core.f64(K), v = core.f64(cov === "diag" ? K * d : K);
          if (cov === "diag") core.call("mstepDiagF64", { weights: w.ptr, means: c.means.ptr, variances: v.ptr, sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, shift: c.means.ptr, k: K, d, regCovar: 1e-6 });
          else core.call("mstepSphericalF64", { weights: w.ptr, means: c.means.ptr, variances: v.ptr, scratch: scratch.ptr, sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, shift: c.means.ptr, k: K, d, regCovar: 1e-6 });
          const [W, M, V] = [w.view(), c.means.view(), v.view()];
          for (let k = 0; k < K; k++) {
            close(W[k], want.weights[k], 1e-12, `d=${d} K=${K} weight ${k}`);
            for (let j = 0; j < d; j++) {
              const meanPull = guard[k] * (Math.abs(p.means[k][j]) + Math.abs(want.means[k][j]));
              assert.ok(Math.abs(M[k * d + j] - want.means[k][j]) <= 1e-10 * Math.max(1, Math.abs(want.means[k][j])) + meanPull, `d=${d} K=${K} mean ${k},${j}: ${M[k * d + j]} vs ${want.means[k][j]}`);
              const got = cov === "diag" ? V[k * d + j] : V[k];
              const pull = cov === "diag" ? varPull(k, j) : Array.from({ length: d }, (_, m) => varPull(k, m)).reduce((a, b) => a + b) / d;
              assert.ok(Math.abs(got - want.variances[k][j]) <= 1e-10 * Math.max(1, want.variances[k][j]) + pull, `d=${d} K=${K} variance ${k},${j}: ${got} vs ${want.variances[k][j]}`);
            }
          }
        });
      }
    }
  });
}

test("shifted statistics: a constant column at offset 1e6 gets variance regCovar exactly, where raw moments lose ~eps·μ²", () => {
  // One E-step + M-step with the means already at the data: δ = 0 for the constant column, so
  // s = Σr·0/n_k − 0 = 0 exactly, and the variance is regCovar. The raw formula
  // Σr·x²/n_k − μ² would leave rounding of order eps·(1e6)² ≈ 2e-4 ≫ regCovar.
  const n = 37, d = 3, K = 2;
  const X = new Float32Array(n * d);
  const rng = new Rng(7);
  for (let i = 0; i < n; i++) {
    X[i * d] = 1e6;
    X[i * d + 1] = 1e6 + 0.5 * rng.normal();
    X[i * d + 2] = (i % 2) * 5 + rng.normal();
  }
  const p: TwinParams = {
    weights: [0.5, 0.5],
    means: [[1e6, 1e6, 0], [1e6, 1e6 + 0.1, 5]],
    variances: [[1, 0.25, 1], [1, 0.25, 1]],
  };
  core.scoped(() => {
    const Xr = core.putF32(X);
    const c = prepared(p, d);
    const sumR = core.f64(K), sumX = core.f64(K * d), sumX2 = core.f64(K * d), scratch = core.f64(2 * (K + d));
    for (const r of [sumR, sumX, sumX2]) r.view().fill(0);
    core.call("estepDiagF32", { sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, scratch: scratch.ptr, x: Xr.ptr, n, d, k: K, means: c.means.ptr, prec: c.prec.ptr, logConst: c.logConst.ptr });
    const w = core.f64(K), v = core.f64(K * d);
    core.call("mstepDiagF64", { weights: w.ptr, means: c.means.ptr, variances: v.ptr, sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, shift: c.means.ptr, k: K, d, regCovar: 1e-6 });
    const [M, V] = [c.means.view(), v.view()];
    for (let k = 0; k < K; k++) {
      assert.is(M[k * d], 1e6, `component ${k}: constant column's mean`);
      assert.is(V[k * d], 1e-6, `component ${k}: constant column's variance`);
    }
    // The same from responsibilities (the start of EM): the weighted means are the shift.
    for (const r of [sumR, sumX, sumX2]) r.view().fill(0);
    const resp = core.putF64(Array.from({ length: n * K }, (_, i) => (Math.floor(i / K) % 2 === i % K ? 1 : 0)));
    core.call("statsFromRespDiagF32", { sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, shift: c.means.ptr, scratch: core.f64(d + K).ptr, x: Xr.ptr, resp: resp.ptr, n, d, k: K });
    core.call("mstepDiagF64", { weights: w.ptr, means: c.means.ptr, variances: v.ptr, sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, shift: c.means.ptr, k: K, d, regCovar: 1e-6 });
    const V2 = v.view();
    for (let k = 0; k < K; k++) assert.is(V2[k * d], 1e-6, `component ${k}: constant column's variance from responsibilities`);
  });
});

test("prepareSphericalF64 gives the same log-probabilities as the diagonal layout with equal variances", () => {
  const rng = new Rng(5);
  const n = 20, d = 5, K = 3;
  const { X, p } = randomCase(rng, n, d, K);
  const s = [0.5, 1.7, 3.1];
  const pd: TwinParams = { ...p, variances: s.map((v) => new Array<number>(d).fill(v)) };
  core.scoped(() => {
    const Xr = core.putF32(X);
    const w = core.putF64(p.weights), m = core.putF64(p.means.flat()), v = core.putF64(s);
    const prec = core.f64(K * d), lc = core.f64(K), out = core.f64(n * K);
    core.call("prepareSphericalF64", { logConst: lc.ptr, prec: prec.ptr, weights: w.ptr, variances: v.ptr, k: K, d });
    core.call("logprobDiagF32", { out: out.ptr, scratch: core.f64(2 * d).ptr, x: Xr.ptr, n, d, k: K, means: m.ptr, prec: prec.ptr, logConst: lc.ptr });
    const got = out.view();
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < K; k++) close(got[i * K + k], weightedLogProb(X.subarray(i * d, (i + 1) * d), pd, k), 1e-12, `i=${i} k=${k}`);
    }
  });
});

test("far-away points: log domain keeps the likelihood finite where exp underflows", () => {
  const d = 3, K = 2, n = 2;
  const X = new Float32Array([1e4, -1e4, 5e3, 0, 0, 0]);
  const p: TwinParams = { weights: [0.5, 0.5], means: [[0, 0, 0], [1, 1, 1]], variances: [[1e-3, 1e-3, 1e-3], [1, 1, 1]] };
  core.scoped(() => {
    const Xr = core.putF32(X);
    const c = prepared(p, d);
    const sumR = core.f64(K), sumX = core.f64(K * d), sumX2 = core.f64(K * d), scratch = core.f64(2 * (K + d));
    for (const r of [sumR, sumX, sumX2]) r.view().fill(0);
    const ll = core.call("estepDiagF32", { sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, scratch: scratch.ptr, x: Xr.ptr, n, d, k: K, means: c.means.ptr, prec: c.prec.ptr, logConst: c.logConst.ptr });
    assert.ok(Number.isFinite(ll), `loglik ${ll}`);
    close(-ll, eStep(X, n, d, p).nll, 1e-12, "loglik");
    const R = sumR.view();
    close(R[0] + R[1], n, 1e-12, "responsibilities sum to 1 per row");
  });
});

test.run();
