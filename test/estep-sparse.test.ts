// The sparse diagonal E-step (assembly/estep-sparse.ts) against the float64 twin and the dense
// kernel (assembly/estep.ts), on data with exact zeros, d not a multiple of 4 and K odd (the
// padded feature-major layout) or above 8 (every pass of the distances); and its path rule.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { nodeCore } from "../src/core/node.js";
import { Rng } from "../src/util/rng.js";
import type { TwinParams } from "./twin/gmm-twin.js";
import { estepTwin, type TwinStats } from "./twin/estep-twin.js";

const core = nodeCore();

/** n×d with a fraction `density` of non-zeros, values offset + spread·N(0,1) (and some exact duplicates of the offset). */
function sparseData(rng: Rng, n: number, d: number, density: number, offset: number, spread: number): Float32Array {
  const X = new Float32Array(n * d);
  for (let i = 0; i < X.length; i++) if (rng.uniform() < density) X[i] = offset + spread * rng.normal() || 1;
  return X;
}

/** Parameters near the data: means from rows, variances around the spread². */
function params(rng: Rng, X: Float32Array, n: number, d: number, K: number, spread: number): TwinParams {
  const w = Array.from({ length: K }, () => 0.2 + rng.uniform());
  const sw = w.reduce((a, b) => a + b, 0);
  return {
    weights: w.map((v) => v / sw),
    means: Array.from({ length: K }, () => {
      const i = rng.int(n);
      return Array.from({ length: d }, (_, j) => X[i * d + j] + 0.1 * spread * rng.normal());
    }),
    variances: Array.from({ length: K }, () => Array.from({ length: d }, () => spread * spread * (0.5 + 2 * rng.uniform()))),
  };
}

/** max_k Σ_j μ_kj² / s_kj: the q_k the path rule bounds. */
function quadMax(p: TwinParams): number {
  return Math.max(...p.means.map((m, k) => m.reduce((a, mu, j) => a + (mu * mu) / p.variances[k][j], 0)));
}

interface KernelRun extends TwinStats {
  path: number;
}

/** p prepared in the arena (diag and sparse layouts), and zeroed statistics and scratch for one kernel call. */
function arenaCase(X: Float32Array, d: number, p: TwinParams) {
  const K = p.weights.length;
  const sizes = { d, k: K };
  const x = core.putF32(X).ptr;
  const means = core.putF64(p.means.flat()).ptr;
  const prec = core.f64(K * d).ptr;
  const logConst = core.f64(K).ptr;
  core.call("prepareDiagF64", { ...sizes, logConst, prec, weights: core.putF64(p.weights).ptr, variances: core.putF64(p.variances.flat()).ptr });
  const pbT = core.f64(core.call("sparseParamsLength", sizes)).ptr;
  const quad = core.f64(K).ptr;
  core.call("prepareDiagSparseF64", { ...sizes, pbT, quad, means, prec });
  const sumR = core.f64(K);
  const sumX = core.f64(K * d);
  const sumX2 = core.f64(K * d);
  for (const r of [sumR, sumX, sumX2]) r.view().fill(0); // the arena hands out memory as it was left
  const scratch = core.f64(core.call("estepDiagSparseScratch", sizes)).ptr;
  const args = { ...sizes, sumR: sumR.ptr, sumX: sumX.ptr, sumX2: sumX2.ptr, scratch, x, means, prec, logConst, pbT, quad };
  const stats = () => ({ sumR: sumR.view().slice(), sumX: sumX.view().slice(), sumX2: sumX2.view().slice() });
  return { args, stats };
}

/** Run `kernel` ("dense", "sparse" or "rule") on the n rows of X once, with p prepared. */
function run(kernel: "dense" | "sparse" | "rule", X: Float32Array, n: number, d: number, p: TwinParams): KernelRun {
  return core.scoped(() => {
    const { args, stats } = arenaCase(X, d, p);
    const a = { ...args, n };
    const path = core.call("estepDiagSparsePath", a);
    const name = kernel === "dense" ? "estepDiagF32" : kernel === "sparse" ? "estepDiagSparseF32" : "estepDiagByDensityF32";
    const ll = core.call(name, a);
    return { ...stats(), ll, path };
  });
}

/** |a_i − b_i| ≤ rel · max(max_j |b_j|, floor) for every i. */
function closeArrays(a: Float64Array, b: Float64Array, rel: number, what: string, floor = 0): void {
  let mag = floor;
  for (const v of b) mag = Math.max(mag, Math.abs(v));
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= rel * mag, `${what}[${i}]: ${a[i]} vs ${b[i]} (scale ${mag})`);
}

function closeStats(a: TwinStats, b: TwinStats, rel: number, what: string): void {
  assert.ok(Math.abs(a.ll - b.ll) <= rel * Math.abs(b.ll), `${what} Σ log p: ${a.ll} vs ${b.ll}`);
  closeArrays(a.sumR, b.sumR, rel, `${what} sumR`);
  closeArrays(a.sumX, b.sumX, rel, `${what} sumX`, 1e-300);
  closeArrays(a.sumX2, b.sumX2, rel, `${what} sumX2`, 1e-300);
}

const SHAPES: [number, number][] = [[1, 1], [3, 2], [5, 3], [7, 5], [13, 4], [33, 7], [50, 10], [17, 12], [19, 13]];

test("sparse E-step equals the float64 twin and the dense kernel (d, K not multiples of 4; densities 0…1; offsets)", () => {
  const rng = new Rng(13);
  let cases = 0;
  let beyond = 0;
  for (const [d, K] of SHAPES) {
    for (const density of [0, 0.05, 0.2, 0.6, 1]) {
      for (const [offset, spread] of [[0, 1], [3, 0.5], [1e3, 1], [1e-3, 1e-4]]) {
        const n = 1 + rng.int(60);
        const X = sparseData(rng, n, d, density, offset, spread);
        const p = params(rng, X, n, d, K, spread);
        const twin = estepTwin(X, n, d, p);
        const sparse = run("sparse", X, n, d, p);
        const dense = run("dense", X, n, d, p);
        const what = `d=${d} K=${K} n=${n} density=${density} offset=${offset}`;
        closeStats(dense, twin, 1e-9, `${what} dense`);
        // The expanded form loses a few eps·q_k per row (q_k = Σ_j μ_kj² p_kj): within the rule's
        // bound (q_k ≤ 2^20) it agrees as the dense kernel does; beyond it (the offsets 1e3, which
        // the rule sends to the dense kernel) only to that loss.
        const q = quadMax(p);
        if (q <= 2 ** 20) {
          closeStats(sparse, twin, 1e-9, `${what} sparse`);
          cases++;
        } else {
          const err = Math.abs(sparse.ll - twin.ll);
          assert.ok(err <= n * 64 * Number.EPSILON * q, `${what} sparse beyond the rule: Σ log p off by ${err} (q = ${q})`);
          beyond++;
        }
      }
    }
  }
  assert.is(cases + beyond, SHAPES.length * 5 * 4);
  // Every shape has densities > 0 at offset 1e3 (q beyond the bound): at most those 4 per shape.
  assert.ok(beyond <= SHAPES.length * 4 && cases >= SHAPES.length * 16, `${beyond} cases beyond the rule's bound`);
});

test("prepareDiagSparseF64: q_k = Σ_j μ_kj²/s_kj and, per feature, [p_k, p_k+1, −2μ_k p_k, −2μ_k+1 p_k+1] per pair of components (K odd: padding 0)", () => {
  const rng = new Rng(3);
  for (const [d, K] of [[5, 3], [9, 10]]) {
    const X = sparseData(rng, 20, d, 0.3, 1, 1);
    const p = params(rng, X, 20, d, K, 1);
    core.scoped(() => {
      const sizes = { d, k: K };
      const means = core.putF64(p.means.flat()).ptr;
      const prec = core.putF64(p.variances.flat().map((v) => 1 / v)).ptr;
      const len = core.call("sparseParamsLength", sizes);
      const KP = K + (K % 2);
      assert.is(len, 2 * d * KP);
      const pbT = core.f64(len);
      const quad = core.f64(K);
      core.call("prepareDiagSparseF64", { ...sizes, pbT: pbT.ptr, quad: quad.ptr, means, prec });
      const pb = pbT.view();
      const q = quad.view();
      for (let k = 0; k < KP; k++) {
        let want = 0;
        for (let j = 0; j < d; j++) {
          const at = j * 2 * KP + (k >> 1) * 4 + (k & 1);
          const pk = k < K ? 1 / p.variances[k][j] : 0;
          const bk = k < K ? -2 * p.means[k][j] * pk : 0;
          assert.ok(Math.abs(pb[at] - pk) <= 1e-15 * Math.abs(pk), `p[${j}][${k}]`);
          assert.ok(Math.abs(pb[at + 2] - bk) <= 1e-15 * Math.abs(bk), `b[${j}][${k}]`);
          want += k < K ? (p.means[k][j] * p.means[k][j]) / p.variances[k][j] : 0;
        }
        if (k < K) assert.ok(Math.abs(q[k] - want) <= 1e-13 * want, `q[${k}]: ${q[k]} vs ${want}`);
      }
    });
  }
});

test("a feature that is never 0 gets Z = R − W = 0 exactly: a constant non-zero column has zero shifted statistics", () => {
  const n = 37, d = 6, K = 3;
  const rng = new Rng(5);
  const X = sparseData(rng, n, d, 0.3, 0, 1);
  for (let i = 0; i < n; i++) X[i * d + 2] = 2.5e3;
  const p = params(rng, X, n, d, K, 1);
  for (let k = 0; k < K; k++) p.means[k][2] = 2.5e3;
  const s = run("sparse", X, n, d, p);
  for (let k = 0; k < K; k++) {
    assert.is(s.sumX[k * d + 2], 0);
    assert.is(s.sumX2[k * d + 2], 0);
  }
});

test("path rule: sparse when at most a quarter of the (sampled) values are non-zero and every q_k ≤ 2^20; the rule's kernel gives that path's bits", () => {
  const rng = new Rng(7);
  const n = 300, d = 29, K = 5;
  for (const [density, offset, spread, want] of [[0.05, 0, 1, 1], [0.2, 0, 1, 1], [0.3, 0, 1, 0], [1, 0, 1, 0], [0.2, 1e5, 1, 0]] as const) {
    const X = sparseData(rng, n, d, density, offset, spread);
    const p = params(rng, X, n, d, K, spread);
    const ruled = run("rule", X, n, d, p);
    assert.is(ruled.path, want, `density ${density}, offset ${offset}`);
    const same = run(want === 1 ? "sparse" : "dense", X, n, d, p);
    assert.ok(Object.is(ruled.ll, same.ll));
    assert.equal(Array.from(ruled.sumX2), Array.from(same.sumX2));
  }
});

test("accumulates: two calls on halves add up to one call on all rows (sumR, sumX, sumX2 +=)", () => {
  const rng = new Rng(9);
  const n = 40, d = 11, K = 6;
  const X = sparseData(rng, n, d, 0.3, 0, 1);
  const p = params(rng, X, n, d, K, 1);
  const whole = run("sparse", X, n, d, p);
  core.scoped(() => {
    const { args, stats } = arenaCase(X, d, p);
    let ll = 0;
    for (const [first, rows] of [[0, 17], [17, n - 17]]) ll += core.call("estepDiagSparseF32", { ...args, x: args.x + first * d * 4, n: rows });
    closeStats({ ...stats(), ll }, whole, 1e-13, "halves");
  });
});

test.run();
