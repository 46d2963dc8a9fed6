import { test } from "uvu";
import * as assert from "uvu/assert";
import { nodeCore } from "../src/core/node.js";
import type { Core, Region } from "../src/core/wasm.js";
import { Rng } from "../src/util/rng.js";
import { UserError } from "../src/util/errors.js";
import { chunkedWorkspace } from "../src/mixture/chunked.js";
import {
  fullAlloc, fullGetParams, fullLogProb, fullMstep, fullPrepare, fullSetParams,
  fullStatsFromLabels, fullStatsFromResp, fullWorkspace, type FullParams, type FullRegions,
} from "../src/mixture/full-kernels.js";
import {
  choleskyTwin, emTwin, estepTwin, factorsTwin, logProbRowTwin, mstepTwin, oneHotTwin, type FullTwinParams,
} from "./twin/full-twin.js";

// ---- data and parameter generators -------------------------------------------------------

/** Random SPD d×d: A Aᵀ/d + 0.2·I. */
function randomSpd(rng: Rng, d: number): Float64Array {
  const A = new Float64Array(d * d);
  for (let i = 0; i < d * d; i++) A[i] = rng.normal();
  const S = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < d; b++) {
      let s = 0;
      for (let m = 0; m < d; m++) s += A[a * d + m] * A[b * d + m];
      S[a * d + b] = s / d + (a === b ? 0.2 : 0);
    }
  }
  return S;
}

function randomParams(rng: Rng, K: number, d: number, spread = 3): FullTwinParams {
  const weights = new Float64Array(K);
  let t = 0;
  for (let k = 0; k < K; k++) t += weights[k] = 0.2 + rng.uniform();
  for (let k = 0; k < K; k++) weights[k] /= t;
  const means = new Float64Array(K * d);
  for (let i = 0; i < K * d; i++) means[i] = spread * rng.normal();
  const covariances = new Float64Array(K * d * d);
  for (let k = 0; k < K; k++) covariances.set(randomSpd(rng, d), k * d * d);
  return { K, d, weights, means, covariances };
}

/** n rows from the mixture p (f32, row-major), plus the true component of each row. */
function sample(rng: Rng, p: FullTwinParams, n: number, offset = 0): { X: Float32Array; labels: Int32Array } {
  const { K, d } = p;
  const factors = factorsTwin(p);
  const X = new Float32Array(n * d);
  const labels = new Int32Array(n);
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    let u = rng.uniform();
    let k = 0;
    while (k < K - 1 && (u -= p.weights[k]) > 0) k++;
    labels[i] = k;
    rng.fillNormal(z);
    for (let a = 0; a < d; a++) {
      let v = p.means[k * d + a] + offset;
      for (let m = 0; m <= a; m++) v += factors[k][a * d + m] * z[m];
      X[i * d + a] = v;
    }
  }
  return { X, labels };
}

// ---- comparison helpers ----------------------------------------------------------------

function relClose(got: number, want: number, rel: number, what: string, scale = Math.abs(want)): void {
  const err = Math.abs(got - want);
  assert.ok(err <= rel * Math.max(scale, 1e-300), `${what}: got ${got}, want ${want} (err ${err.toExponential(2)})`);
}

/** Arrays equal up to rel × the largest magnitude in `want` (entries near 0 judged on that scale). */
function arraysClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, what: string, mask?: (j: number) => boolean, floor = 0): void {
  assert.is(got.length, want.length, `${what}: length`);
  let scale = floor;
  for (let j = 0; j < want.length; j++) scale = Math.max(scale, Math.abs(want[j]));
  for (let j = 0; j < want.length; j++) {
    if (mask && !mask(j)) continue;
    assert.ok(Number.isFinite(got[j]), `${what}[${j}] is ${got[j]}`);
    relClose(got[j], want[j], rel, `${what}[${j}]`, scale);
  }
}

/** Twin statistics around shift c_k, from the twin's responsibilities. */
function statsTwin(X: Float32Array, n: number, d: number, resp: Float64Array, K: number, shift: Float64Array) {
  const sumR = new Float64Array(K);
  const sumRX = new Float64Array(K * d);
  const sumRXX = new Float64Array(K * d * d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      const r = resp[i * K + k];
      sumR[k] += r;
      for (let a = 0; a < d; a++) {
        const da = X[i * d + a] - shift[k * d + a];
        sumRX[k * d + a] += r * da;
        for (let b = 0; b < d; b++) sumRXX[(k * d + a) * d + b] += r * da * (X[i * d + b] - shift[k * d + b]);
      }
    }
  }
  return { sumR, sumRX, sumRXX };
}

const upper = (d: number) => (j: number) => {
  const ab = j % (d * d);
  return ab % d >= Math.floor(ab / d);
};

/** One E-step over the regions `r` the way a fit runs it (chunkedWorkspace): fills the statistics, returns Σ log p. */
function fullEstepStats(core: Core, r: FullRegions, X: Region<Float32Array>, n: number): number {
  return chunkedWorkspace(fullWorkspace(core, r.K, r.d, r), core, { maxRows: n }).estep(X, n);
}

function load(core: Core, K: number, d: number, p: FullParams): FullRegions {
  const r = fullAlloc(core, K, d);
  fullSetParams(r, p);
  return r;
}

const SHAPES: Array<[number, number, number]> = [
  // [d, K, n]: every d of the brief, n around the 64-row block and its padding to 8
  [1, 1, 1], [1, 3, 200], [2, 2, 63], [2, 5, 64], [3, 4, 65], [3, 1, 7],
  [5, 3, 130], [5, 5, 500], [7, 2, 129], [7, 4, 333], [13, 5, 500], [13, 1, 64],
];

// ---- tests -----------------------------------------------------------------------------

test("Cholesky kernel: W·L = I and log|S| match the twin", () => {
  const core = nodeCore();
  const rng = new Rng(11);
  core.scoped(() => {
    for (const d of [1, 2, 3, 5, 7, 13]) {
      const p = randomParams(rng, 3, d);
      const r = load(core, 3, d, p);
      fullPrepare(core, r);
      const W = r.precChol.view();
      const logDet = r.logDet.view();
      for (let k = 0; k < 3; k++) {
        const L = choleskyTwin(p.covariances, d, k * d * d)!;
        let ld = 0;
        for (let j = 0; j < d; j++) ld += 2 * Math.log(L[j * d + j]);
        relClose(logDet[k], ld, 1e-12, `logDet d=${d} k=${k}`, Math.max(1, Math.abs(ld)));
        for (let a = 0; a < d; a++) {
          for (let b = 0; b < d; b++) {
            let s = 0;
            for (let m = 0; m < d; m++) s += W[k * d * d + a * d + m] * L[m * d + b];
            assert.ok(Math.abs(s - (a === b ? 1 : 0)) < 1e-10, `W·L d=${d} k=${k} [${a},${b}] = ${s}`);
            if (b > a) assert.is(W[k * d * d + a * d + b], 0, "W is lower triangular");
          }
        }
      }
    }
  });
});

test("E-step: log-likelihood and shifted statistics match the twin (d, K, n varied)", () => {
  const core = nodeCore();
  const rng = new Rng(1);
  for (const [d, K, n] of SHAPES) {
    core.scoped(() => {
      const p = randomParams(rng, K, d);
      const { X } = sample(rng, p, n);
      const r = load(core, K, d, p);
      const Xr = core.putF32(X);
      fullPrepare(core, r);
      const ll = fullEstepStats(core, r, Xr, n);
      const tw = estepTwin(X, n, p);
      relClose(ll, tw.logLik, 1e-10, `logLik d=${d} K=${K} n=${n}`);
      const st = statsTwin(X, n, d, tw.resp, K, p.means);
      arraysClose(r.sumR.view(), st.sumR, 1e-10, `sumR d=${d} K=${K}`);
      arraysClose(r.sumX.view(), st.sumRX, 1e-10, `sumX d=${d} K=${K}`);
      arraysClose(r.sumXX.view(), st.sumRXX, 1e-10, `sumXX d=${d} K=${K}`, upper(d));
    });
  }
});

test("logprob kernel matches the twin row by row", () => {
  const core = nodeCore();
  const rng = new Rng(2);
  for (const [d, K, n] of SHAPES) {
    core.scoped(() => {
      const p = randomParams(rng, K, d);
      const { X } = sample(rng, p, n);
      const r = load(core, K, d, p);
      fullPrepare(core, r);
      const got = fullLogProb(core, r, core.putF32(X), n);
      const factors = factorsTwin(p);
      for (let i = 0; i < n; i++) {
        const want = logProbRowTwin(X.subarray(i * d, (i + 1) * d), p, factors);
        for (let k = 0; k < K; k++) relClose(got[i * K + k], want[k], 1e-10, `logprob d=${d} i=${i} k=${k}`, Math.max(1, Math.abs(want[k])));
      }
    });
  }
});

test("logprob and E-step agree: Σ_i logsumexp_k logprob = E-step log-likelihood", () => {
  const core = nodeCore();
  const rng = new Rng(9);
  core.scoped(() => {
    const n = 777, d = 6, K = 4;
    const p = randomParams(rng, K, d);
    const { X } = sample(rng, p, n);
    const r = load(core, K, d, p);
    const Xr = core.putF32(X);
    fullPrepare(core, r);
    const lp = fullLogProb(core, r, Xr, n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      let mx = -Infinity;
      for (let k = 0; k < K; k++) mx = Math.max(mx, lp[i * K + k]);
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp(lp[i * K + k] - mx);
      total += mx + Math.log(s);
    }
    relClose(fullEstepStats(core, r, Xr, n), total, 1e-12, "Σ log p");
  });
});

test("M-step: from soft responsibilities and from an E-step, equal to the twin", () => {
  const core = nodeCore();
  const rng = new Rng(3);
  for (const [d, K, n] of SHAPES) {
    core.scoped(() => {
      const p = randomParams(rng, K, d);
      const { X } = sample(rng, p, n);
      const Xr = core.putF32(X);
      // Random soft responsibilities (softmax of normals).
      const resp = new Float64Array(n * K);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += resp[i * K + k] = Math.exp(rng.normal());
        for (let k = 0; k < K; k++) resp[i * K + k] /= s;
      }
      const r = fullAlloc(core, K, d);
      fullStatsFromResp(core, r, Xr, n, resp);
      fullMstep(core, r, 1e-6);
      const want = mstepTwin(X, n, d, resp, K, 1e-6);
      const got = fullGetParams(r);
      arraysClose(got.weights, want.weights, 1e-12, `weights d=${d} K=${K}`);
      arraysClose(got.means, want.means, 1e-10, `means d=${d} K=${K}`);
      arraysClose(got.covariances, want.covariances, 1e-10, `cov d=${d} K=${K}`);
      // And after an E-step (statistics shifted by the E-step's means, not the new ones).
      const r2 = load(core, K, d, p);
      fullPrepare(core, r2);
      fullEstepStats(core, r2, Xr, n);
      fullMstep(core, r2, 1e-6);
      const want2 = mstepTwin(X, n, d, estepTwin(X, n, p).resp, K, 1e-6);
      const got2 = fullGetParams(r2);
      arraysClose(got2.weights, want2.weights, 1e-10, `weights(E) d=${d} K=${K}`);
      arraysClose(got2.means, want2.means, 1e-10, `means(E) d=${d} K=${K}`);
      // Shifted moments lose eps·‖μ_new − μ_old‖² absolutely: judge on the data's O(1) scale.
      arraysClose(got2.covariances, want2.covariances, 1e-9, `cov(E) d=${d} K=${K}`, undefined, 1);
      const c = got2.covariances;
      for (let k = 0; k < K; k++) {
        for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) assert.is(c[k * d * d + a * d + b], c[k * d * d + b * d + a], "symmetric");
      }
    });
  }
});

/** EM through the glue from labels, `iters` E/M rounds; ℓ per round. */
function emKernels(core: Core, X: Float32Array, n: number, d: number, labels: ArrayLike<number>, K: number, regCovar: number, iters: number) {
  const r = fullAlloc(core, K, d);
  const Xr = core.putF32(X);
  fullStatsFromLabels(core, r, Xr, n, labels);
  fullMstep(core, r, regCovar);
  const nll: number[] = [];
  for (let t = 0; t < iters; t++) {
    fullPrepare(core, r);
    nll.push(-fullEstepStats(core, r, Xr, n));
    fullMstep(core, r, regCovar);
  }
  return { params: fullGetParams(r), nll };
}

/** Labels that are deliberately poor (round-robin), so EM has work to do. */
const roundRobin = (n: number, K: number) => Int32Array.from({ length: n }, (_, i) => i % K);

test("EM loop (20 iterations) through the glue follows the twin; ℓ never increases", () => {
  const core = nodeCore();
  const rng = new Rng(4);
  for (const [d, K, n] of [[2, 3, 300], [5, 4, 500], [7, 5, 400], [13, 2, 257], [1, 3, 200]] as const) {
    core.scoped(() => {
      const p = randomParams(rng, K, d, 2);
      const { X } = sample(rng, p, n);
      const labels = roundRobin(n, K);
      const got = emKernels(core, X, n, d, labels, K, 1e-6, 20);
      const want = emTwin(X, n, d, labels, K, 1e-6, 20);
      for (let t = 0; t < 20; t++) relClose(got.nll[t], want.nll[t], 1e-6, `nll[${t}] d=${d} K=${K}`);
      for (let t = 1; t < 20; t++) {
        assert.ok(got.nll[t] <= got.nll[t - 1] + 1e-9 * Math.abs(got.nll[t - 1]), `ℓ rose at ${t}: ${got.nll[t - 1]} → ${got.nll[t]}`);
      }
      assert.ok(got.nll[19] < got.nll[0], "EM made progress");
      arraysClose(got.params.weights, want.params.weights, 1e-6, "weights after EM");
      arraysClose(got.params.means, want.params.means, 1e-6, "means after EM");
    });
  }
});

test("fullWorkspace follows the EM sequence (statsFromResp → mstep → estep/mstep) like the twin", () => {
  const core = nodeCore();
  const rng = new Rng(10);
  core.scoped(() => {
    const n = 300, d = 4, K = 3;
    const p = randomParams(rng, K, d, 2);
    const { X } = sample(rng, p, n);
    const labels = roundRobin(n, K);
    const ws = chunkedWorkspace(fullWorkspace(core, K, d), core, { maxRows: n });
    const Xr = core.putF32(X);
    ws.statsFromResp(Xr, n, oneHotTwin(labels, K));
    ws.mstep(1e-6);
    const nll: number[] = [];
    for (let t = 0; t < 10; t++) {
      nll.push(-ws.estep(Xr, n));
      ws.mstep(1e-6);
    }
    const want = emTwin(X, n, d, labels, K, 1e-6, 10);
    for (let t = 0; t < 10; t++) relClose(nll[t], want.nll[t], 1e-6, `nll[${t}]`);
    arraysClose(ws.variances.view(), want.params.covariances, 1e-6, "variances (K×d×d)");
    const lp = ws.logprob(Xr, n);
    assert.is(lp.length, n * K);
    // Setting parameters by hand, then prepare(): a broken covariance is reported.
    ws.variances.view().fill(0);
    assert.throws(() => ws.prepare(), /Cholesky failed for component 0/);
  });
});

test("large offset (x + 1000, x + 1e5): one-pass shifted statistics keep 1e-6 relative accuracy", () => {
  const core = nodeCore();
  const rng = new Rng(5);
  // At 1e5, raw moments Σ r x xᵀ − n μμᵀ would lose ~10 of f64's 16 digits and fail 1e-6.
  for (const [d, K, n, offset] of [[3, 2, 400, 1000], [7, 3, 500, 1000], [5, 3, 400, 1e5]] as const) {
    core.scoped(() => {
      const p = randomParams(rng, K, d, 2);
      const { X } = sample(rng, p, n, offset);
      const labels = roundRobin(n, K);
      const got = emKernels(core, X, n, d, labels, K, 1e-6, 15);
      const want = emTwin(X, n, d, labels, K, 1e-6, 15);
      for (let t = 0; t < 15; t++) relClose(got.nll[t], want.nll[t], 1e-6, `nll[${t}] offset ${offset} d=${d}`);
      arraysClose(got.params.covariances, want.params.covariances, 1e-6, `cov offset ${offset} d=${d}`);
      arraysClose(got.params.means, want.params.means, 1e-9, `means offset ${offset} d=${d}`);
    });
  }
});

test("constant column with regCovar: finite ℓ, variance = regCovar, no NaN", () => {
  const core = nodeCore();
  const rng = new Rng(6);
  core.scoped(() => {
    const n = 300, d = 4, K = 3;
    const p = randomParams(rng, K, d);
    const { X } = sample(rng, p, n);
    for (let i = 0; i < n; i++) X[i * d + 2] = 5;
    const got = emKernels(core, X, n, d, roundRobin(n, K), K, 1e-6, 10);
    for (const v of got.nll) assert.ok(Number.isFinite(v), `ℓ = ${v}`);
    for (const v of got.params.covariances) assert.ok(Number.isFinite(v));
    for (let k = 0; k < K; k++) relClose(got.params.covariances[k * d * d + 2 * d + 2], 1e-6, 1e-6, `var of constant column k=${k}`);
  });
});

test("singular covariance: fullPrepare throws the Cholesky UserError naming the component", () => {
  const core = nodeCore();
  const rng = new Rng(7);
  core.scoped(() => {
    const d = 3, K = 3, n = 200;
    // (a) a constant column and regCovar = 0 → a zero variance in every component.
    const p = randomParams(rng, K, d);
    const { X } = sample(rng, p, n);
    const Xc = X.slice();
    for (let i = 0; i < n; i++) Xc[i * d + 1] = 2;
    const r = fullAlloc(core, K, d);
    fullStatsFromLabels(core, r, core.putF32(Xc), n, roundRobin(n, K));
    fullMstep(core, r, 0);
    assert.throws(
      () => fullPrepare(core, r),
      (e: Error) =>
        e instanceof UserError &&
        e.message ===
          "Cholesky failed for component 0: the covariance is not positive definite — use fewer components, a larger regCovar, or scale the input",
    );
    // (b) a duplicated column: singular only up to rounding, caught by the relative pivot test.
    const Xd = X.slice();
    for (let i = 0; i < n; i++) Xd[i * d + 2] = Xd[i * d + 0];
    const r2 = fullAlloc(core, K, d);
    fullStatsFromLabels(core, r2, core.putF32(Xd), n, roundRobin(n, K));
    fullMstep(core, r2, 0);
    assert.throws(() => fullPrepare(core, r2), /Cholesky failed for component 0/);
    // (c) only component 2 broken: the index is reported.
    const cov = p.covariances.slice();
    cov.fill(0, 2 * d * d, 3 * d * d);
    const r3 = load(core, K, d, { weights: p.weights, means: p.means, covariances: cov });
    assert.throws(() => fullPrepare(core, r3), /Cholesky failed for component 2: the covariance is not positive definite/);
    // regCovar fixes (a).
    fullStatsFromLabels(core, r, core.putF32(Xc), n, roundRobin(n, K));
    fullMstep(core, r, 1e-6);
    fullPrepare(core, r);
  });
});

test("init from labels: one M-step equals the twin's M-step on one-hot responsibilities", () => {
  const core = nodeCore();
  const rng = new Rng(8);
  core.scoped(() => {
    const n = 333, d = 5, K = 4;
    const p = randomParams(rng, K, d);
    const { X, labels } = sample(rng, p, n, 50);
    const r = fullAlloc(core, K, d);
    fullStatsFromLabels(core, r, core.putF32(X), n, labels);
    fullMstep(core, r, 1e-6);
    const want = mstepTwin(X, n, d, oneHotTwin(labels, K), K, 1e-6);
    const got = fullGetParams(r);
    arraysClose(got.weights, want.weights, 1e-12, "weights");
    arraysClose(got.means, want.means, 1e-12, "means");
    arraysClose(got.covariances, want.covariances, 1e-10, "cov");
    assert.throws(() => fullStatsFromLabels(core, r, core.putF32(X), n, new Int32Array(n).fill(K)), /not a component index/);
  });
});

test.run();
