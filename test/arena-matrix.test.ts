// CoreMatrix (src/core/matrix.ts): data that already lives in a Core's arena is fitted in place,
// with the same bits as the same values passed as an ordinary Matrix, on 1 and 2 threads; it
// survives memory.grow during a fit; released or misused arenas fail clearly. loadMnistInto
// (src/data/mnist.ts) gives the same values as loadMnist.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { CoreMatrix, inArena, matrix, toCoreMatrix, type Matrix } from "../src/core/matrix.js";
import { CORE_WASM_PATH, nodeCore } from "../src/core/node.js";
import { loadCoreSync, type Core } from "../src/core/wasm.js";
import { loadMnist, loadMnistInto } from "../src/data/mnist.js";
import { GaussianMixture, type GaussianMixtureOptions } from "../src/mixture/gaussian-mixture.js";
import { EmThreadPool } from "../src/parallel/em-threads.js";
import { UserError } from "../src/util/errors.js";
import { Rng } from "../src/util/rng.js";
import { blobs } from "./twin/blobs.js";
import { idx } from "./twin/idx-file.js";


interface Fitted {
  nllTrace: number[];
  nll: number;
  weights: Float64Array;
  means: Float64Array;
  variances: Float64Array;
  scores: Float64Array;
}

function fit(X: Matrix, opts: Partial<GaussianMixtureOptions>): Fitted {
  const gm = new GaussianMixture({ nComponents: 3, maxIter: 8, tol: 0, nInit: 2, init: "kmeans++", seed: 7, ...opts }).fit(X);
  return { nllTrace: gm.nllTrace, nll: gm.nll, weights: gm.weights, means: gm.means, variances: gm.variances, scores: gm.scoreSamples(X) };
}

function sameBits(a: Fitted, b: Fitted, what: string): void {
  const bits = (v: ArrayLike<number>) => Array.from(v, (x) => (Object.is(x, -0) ? "-0" : String(x)));
  assert.equal(bits(a.nllTrace), bits(b.nllTrace), `${what}: nllTrace`);
  assert.ok(Object.is(a.nll, b.nll), `${what}: nll`);
  assert.equal(bits(a.weights), bits(b.weights), `${what}: weights`);
  assert.equal(bits(a.means), bits(b.means), `${what}: means`);
  assert.equal(bits(a.variances), bits(b.variances), `${what}: variances`);
  assert.equal(bits(a.scores), bits(b.scores), `${what}: scoreSamples`);
}

/** Record the lengths of every putF32 on `core` while `fn` runs (a copy of X would show as n·d). */
function putF32Lengths<T>(core: Core, fn: () => T): { result: T; lengths: number[] } {
  const lengths: number[] = [];
  const orig = core.putF32.bind(core);
  core.putF32 = (src) => {
    lengths.push(src.length);
    return orig(src);
  };
  try {
    return { result: fn(), lengths };
  } finally {
    core.putF32 = orig;
  }
}

function freshCore(): Core {
  return loadCoreSync(readFileSync(CORE_WASM_PATH));
}

test("fit on a CoreMatrix: same bits as the ordinary Matrix, no copy of X (1 thread, every covariance type)", () => {
  const core = nodeCore();
  const X = blobs(700, 5, 3, 1);
  for (const covarianceType of ["diag", "spherical", "full"] as const) {
    const plain = fit(X, { covarianceType, core });
    const m = core.mark();
    try {
      const A = toCoreMatrix(core, X);
      assert.ok(inArena(A, core));
      const { result, lengths } = putF32Lengths(core, () => fit(A, { covarianceType, core }));
      sameBits(result, plain, covarianceType);
      assert.not.ok(lengths.includes(X.rows * X.cols), `${covarianceType}: X was copied (${lengths})`);
    } finally {
      core.release(m);
    }
  }
});

test("fit on a CoreMatrix in pool.core with 2 threads: same bits as 1 thread on an ordinary Matrix", async () => {
  const X = blobs(9000, 6, 3, 2); // > 2 chunks of 2048 rows, so both threads run some
  const plain = fit(X, { core: nodeCore() });
  const pool = new EmThreadPool({ threads: 2 });
  try {
    await pool.ready();
    const A = toCoreMatrix(pool.core, X);
    const before = pool.chunksRun;
    const { result, lengths } = putF32Lengths(pool.core, () => fit(A, { pool }));
    assert.ok(pool.chunksRun > before, "the pool ran no chunk");
    assert.not.ok(lengths.includes(X.rows * X.cols), "X was copied into pool.core");
    sameBits(result, plain, "2 threads");
    // An ordinary Matrix with the same pool still works (copied into pool.core).
    sameBits(fit(X, { pool }), plain, "2 threads, ordinary Matrix");
  } finally {
    await pool.close();
  }
});

test("a CoreMatrix survives memory.grow during fit (fresh views after growth)", () => {
  const core = freshCore();
  const X = blobs(3000, 4, 3, 3);
  const plain = fit(X, { core: nodeCore() });
  // Pad the arena so that X ends within a few bytes of the memory's end: the fit's first
  // allocations must grow memory, which detaches every view taken before.
  const free = core.memory.buffer.byteLength - core.mark();
  const xBytes = X.rows * X.cols * 4;
  if (free > xBytes) core.allocBytes(free - xBytes - 16);
  const A = toCoreMatrix(core, X);
  const oldView = A.data;
  const bytesBefore = core.memory.buffer.byteLength;
  const got = fit(A, { core });
  assert.ok(core.memory.buffer.byteLength > bytesBefore, "the fit did not grow memory");
  assert.is(oldView.length, 0, "a view taken before growth should be detached");
  assert.equal(Array.from(A.data.subarray(0, 8)), Array.from(X.data.subarray(0, 8)));
  sameBits(got, plain, "after growth");
});

test("CoreMatrix errors: released arena, bad shapes, short data", () => {
  const core = freshCore();
  const m = core.mark();
  const A = toCoreMatrix(core, blobs(50, 3, 2, 4));
  const B = toCoreMatrix(core, blobs(50, 3, 2, 5));
  const gm = new GaussianMixture({ nComponents: 2, maxIter: 3, core }).fit(A);
  core.release(m);
  assert.ok(A.released && B.released);
  assert.throws(() => A.data, /CoreMatrix 50×3 at \d+: its arena memory was released/);
  assert.throws(() => new GaussianMixture({ nComponents: 2, core }).fit(A), /its arena memory was released/);
  assert.throws(() => gm.predict(B), /its arena memory was released/);
  assert.not.ok(inArena(A, core));

  // A release above the matrix leaves it alive; only one below it frees it.
  const C = toCoreMatrix(core, blobs(40, 3, 2, 6));
  core.scoped(() => core.f64(1000));
  assert.not.ok(C.released);
  assert.is(C.data.length, 120);

  assert.throws(() => new CoreMatrix(core, -1, 3), /rows and cols must be integers ≥ 0, got -1×3/);
  assert.throws(() => new CoreMatrix(core, 2.5, 3), RangeError);
  assert.throws(() => toCoreMatrix(core, { data: new Float32Array(5), rows: 2, cols: 3 }), /data has 5 values, fewer than 2×3/);
  const empty = new CoreMatrix(core, 0, 3);
  assert.throws(() => new GaussianMixture({ nComponents: 1, core }).fit(empty), (e: unknown) => e instanceof UserError && /need at least one row/.test((e as Error).message));
  const wide = toCoreMatrix(core, blobs(10, 4, 1, 7));
  assert.throws(() => gm.predict(wide), (e: unknown) => e instanceof UserError && /X has 4 columns, the model was fitted on 3/.test((e as Error).message));
  // A CoreMatrix of another Core is copied, not used in place: same bits as the ordinary Matrix.
  const other = nodeCore();
  const X = blobs(300, 3, 2, 8);
  const inOther = toCoreMatrix(core, X);
  assert.not.ok(inArena(inOther, other));
  sameBits(fit(inOther, { core: other }), fit(X, { core: other }), "CoreMatrix of another Core");
});

test("loadMnistInto: the same pixels and labels as loadMnist (limit, plain and .gz), the arena untouched on errors", () => {
  const core = freshCore();
  // 2000 images = 1.5 MiB of pixels: more than one 1 MiB read slice.
  const ref = loadMnist("train", { limit: 2000 });
  const m = core.mark();
  const got = loadMnistInto(core, "train", { limit: 2000 });
  assert.equal([got.images.rows, got.images.cols, got.height, got.width], [2000, 784, 28, 28]);
  assert.ok(inArena(got.images, core));
  assert.ok(got.images.data.every((v, i) => Object.is(v, ref.images.data[i])), "pixels differ from loadMnist's");
  assert.equal(Array.from(got.labels), Array.from(ref.labels));
  assert.is(got.imagesFile, ref.imagesFile);
  core.release(m);

  // A small synthetic pair, plain then gzipped: 3 images of 2×3.
  const dir = mkdtempSync(join(tmpdir(), "emlab-arena-"));
  try {
    const pix = [0, 1, 2, 127, 128, 255, 3, 4, 5, 6, 7, 8, 250, 251, 252, 253, 254, 9];
    const img = idx([3, 2, 3], pix);
    const lab = idx([3], [4, 0, 9]);
    writeFileSync(join(dir, "t10k-images-idx3-ubyte"), img);
    writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), lab);
    const plain = loadMnistInto(core, "test", { dir });
    const want = loadMnist("test", { dir });
    assert.equal(Array.from(plain.images.data), Array.from(want.images.data));
    assert.equal(Array.from(plain.images.data), pix.map((v) => Math.fround(v / 255)));
    assert.equal(Array.from(plain.labels), [4, 0, 9]);
    const two = loadMnistInto(core, "test", { dir, limit: 2 });
    assert.equal(Array.from(two.images.data), Array.from(want.images.data.subarray(0, 12)));

    const gz = mkdtempSync(join(tmpdir(), "emlab-arena-gz-"));
    try {
      writeFileSync(join(gz, "t10k-images-idx3-ubyte.gz"), gzipSync(img));
      writeFileSync(join(gz, "t10k-labels-idx1-ubyte.gz"), gzipSync(lab));
      const g = loadMnistInto(core, "test", { dir: gz });
      assert.equal(Array.from(g.images.data), Array.from(want.images.data));
    } finally {
      rmSync(gz, { recursive: true, force: true });
    }

    // Errors: a label count that does not match, a truncated image file; the arena's top is unchanged.
    writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), idx([2], [1, 2]));
    const top = core.mark();
    assert.throws(() => loadMnistInto(core, "test", { dir }), (e: unknown) => e instanceof UserError && /has 3 images but .* has 2 labels/.test((e as Error).message));
    writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), lab);
    writeFileSync(join(dir, "t10k-images-idx3-ubyte"), img.subarray(0, img.length - 1));
    assert.throws(() => loadMnistInto(core, "test", { dir }), (e: unknown) => e instanceof UserError && /truncated/.test((e as Error).message));
    assert.is(core.mark(), top);
    assert.throws(() => loadMnistInto(core, "test", { dir, limit: 0 }), /MNIST limit must be an integer ≥ 1, got 0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
