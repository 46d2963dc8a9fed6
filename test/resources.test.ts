// Resources: repeated fits leave WASM memory, the arena and the process's resident memory flat;
// a data set too large for WASM32's 4 GiB address space is refused up front with a UserError.
// docs/reliability.md ("Resources") lists these guarantees.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Matrix } from "../src/core/matrix.js";
import { nodeCore } from "../src/core/node.js";
import { checkFits, MAX_MEMORY_BYTES } from "../src/core/wasm.js";
import { PCA } from "../src/decomposition/pca.js";
import { GaussianMixture, type CovarianceType } from "../src/mixture/gaussian-mixture.js";
import { UserError } from "../src/util/errors.js";
import { Rng } from "../src/util/rng.js";

const core = nodeCore();

/** n×d rows from three unit-variance clusters (seeded). */
function clusters(seed: number, n: number, d: number): Matrix {
  const rng = new Rng(seed);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = rng.int(3);
    for (let j = 0; j < d; j++) data[i * d + j] = 4 * c + rng.normal();
  }
  return { data, rows: n, cols: d };
}

const MB = 2 ** 20;

// A full collection on demand, so that what is measured is what the fits keep alive, not garbage
// the collector has not reached yet: RSS alone moved with GC timing (18 to 40 MiB on the same code).
setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as () => void;
/**
 * Bytes the process keeps alive in JS: the V8 heap in use and ArrayBuffers, after a full
 * collection; the least of three, since a single reading now and then still holds up to 3.5 MiB
 * that the next collection frees (three readings agreed within 0.3 MiB over 2000 fits).
 */
function liveBytes(): number {
  let least = Infinity;
  for (let k = 0; k < 3; k++) {
    collect();
    const m = process.memoryUsage();
    least = Math.min(least, m.heapUsed + m.arrayBuffers);
  }
  return least;
}

test("1000 consecutive fits (n = 200, d = 5, K = 3, maxIter 20): arena back to its mark after every fit, WASM memory and live JS memory flat", () => {
  const X = clusters(1, 200, 5);
  const types: CovarianceType[] = ["diag", "spherical", "full"];
  const mark = core.allocatedBytes;
  const fitOnce = (i: number) => {
    const gm = new GaussianMixture({ nComponents: 3, covarianceType: types[i % 3], maxIter: 20, nInit: 1, seed: i }).fit(X);
    gm.predictProba(X);
    if (core.allocatedBytes !== mark) throw new Error(`fit ${i}: arena holds ${core.allocatedBytes} bytes, mark ${mark}`);
  };
  // Warm-up: the first fits grow linear memory to its working size and let the JIT settle.
  for (let i = 0; i < 50; i++) fitOnce(i);
  const wasmBytes = core.memory.buffer.byteLength;
  const live0 = liveBytes();
  const rss0 = process.memoryUsage().rss;
  for (let i = 50; i < 1000; i++) fitOnce(i);
  const rssGrowth = process.memoryUsage().rss - rss0;
  const liveGrowth = liveBytes() - live0;
  process.stderr.write(
    `resources: 1000 fits, WASM memory ${(wasmBytes / MB).toFixed(2)} MiB → ${(core.memory.buffer.byteLength / MB).toFixed(2)} MiB, ` +
      `live JS heap + ArrayBuffers ${(liveGrowth / MB).toFixed(2)} MiB, RSS ${(rssGrowth / MB).toFixed(1)} MiB (growth after warm-up)\n`,
  );
  assert.is(core.allocatedBytes, mark);
  assert.is(core.memory.buffer.byteLength, wasmBytes, "linear memory grew after the warm-up");
  // 950 fits: a fit that left 1.1 KB behind (its means and variances, say) would pass 1 MiB
  assert.ok(liveGrowth < 1 * MB, `the fits keep ${(liveGrowth / MB).toFixed(2)} MiB alive`);
});

test("1000 consecutive PCA fits + transforms: arena back to its mark, WASM memory flat", () => {
  const X = clusters(2, 200, 7);
  const mark = core.allocatedBytes;
  let wasmBytes = 0;
  for (let i = 0; i < 1000; i++) {
    if (i === 50) wasmBytes = core.memory.buffer.byteLength;
    const p = new PCA({ nComponents: 3 }).fit(X);
    p.inverseTransform(p.transform(X));
    if (core.allocatedBytes !== mark) throw new Error(`PCA fit ${i}: arena holds ${core.allocatedBytes} bytes, mark ${mark}`);
  }
  assert.is(core.memory.buffer.byteLength, wasmBytes);
});

/** A Matrix whose `rows` claims more than fits while `data` is small; counts reads of `data`. */
function claimedMatrix(rows: number, cols: number): { X: Matrix; reads: () => number } {
  let reads = 0;
  const small = new Float32Array(16);
  const X = {
    rows,
    cols,
    get data() {
      reads++;
      return small;
    },
  } as Matrix;
  return { X, reads: () => reads };
}

test("too large for 4 GiB: GaussianMixture.fit refuses with a UserError that says the limit, before reading X.data or allocating", () => {
  const cases: [number, number, number, CovarianceType][] = [
    [2 ** 28, 5, 3, "diag"],      // X alone: 5 GiB of f32
    [2 ** 28 - 2 ** 20, 4, 2, "spherical"], // X 16 MiB short of 4 GiB + the E-step's chunk blocks
    [1000, 20000, 2, "full"],     // K×d×d covariances, factors and statistics
  ];
  for (const [rows, cols, K, cov] of cases) {
    const { X, reads } = claimedMatrix(rows, cols);
    const mark = core.allocatedBytes;
    const bytes = core.memory.buffer.byteLength;
    let err: unknown;
    try {
      new GaussianMixture({ nComponents: K, covarianceType: cov }).fit(X);
    } catch (e) {
      err = e;
    }
    assert.instance(err, UserError, `${rows}×${cols} ${cov}: ${err}`);
    assert.match((err as Error).message, /4 GiB/);
    assert.match((err as Error).message, new RegExp(`${rows}×${cols}`));
    assert.is(reads(), 0, "X.data was read before the size check");
    assert.is(core.allocatedBytes, mark);
    assert.is(core.memory.buffer.byteLength, bytes);
  }
});

test("too large for 4 GiB: PCA.fit refuses with a UserError that says the limit, before reading the data", () => {
  for (const [rows, cols] of [[2 ** 30, 2], [10, 30000]] as const) {
    const { X, reads } = claimedMatrix(rows, cols);
    let err: unknown;
    try {
      new PCA().fit(X);
    } catch (e) {
      err = e;
    }
    assert.instance(err, UserError, `${rows}×${cols}: ${err}`);
    assert.match((err as Error).message, /PCA\.fit .*4 GiB/);
    assert.is(reads(), 0);
  }
});

test("checkFits: the limit counts what the arena already holds; sizes below it pass", () => {
  checkFits(2 ** 30, "one GiB", core);
  checkFits(MAX_MEMORY_BYTES - core.mark() - 16, "just below", core);
  assert.throws(() => checkFits(MAX_MEMORY_BYTES - core.mark() + 1, "just above", core), (e: Error) => e instanceof UserError && /just above needs 4\.00 GiB.*allows 4 GiB/.test(e.message));
  assert.throws(() => checkFits(NaN, "NaN bytes"), (e: Error) => e instanceof UserError);
  // A fit that fits still works after refusals.
  const X = clusters(3, 100, 3);
  const gm = new GaussianMixture({ nComponents: 2, nInit: 1 }).fit(X);
  assert.ok(Number.isFinite(gm.nll));
});

test.run();
