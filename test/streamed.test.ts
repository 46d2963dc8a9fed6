// The streamed fit (src/mixture/streamed.ts over a ShardPool, src/parallel/shard-workers.ts):
// rows read from a file a chunk at a time on every pass by 1, 2 or 3 threads, each with its own
// WebAssembly memory, give the in-memory fit's result to the last bit — every covariance type,
// every start — for .npy (float32 and float64), raw float32 with a given shape and CSV; scoring
// and labelling over shards equal the one-thread results; memory does not grow with n; and bad
// files (a shrinking file, a NaN, a shape that does not match) are one-line errors naming the file.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Matrix } from "../src/core/matrix.js";
import { nodeCore } from "../src/core/node.js";
import { openRowFile, openRowSource, readMatrixFile } from "../src/data/row-source.js";
import { CHUNK_ROWS } from "../src/mixture/chunked.js";
import { COVARIANCE_TYPE_NAMES } from "../src/mixture/covariance.js";
import { GaussianMixture, type GaussianMixtureOptions, type InitSpec } from "../src/mixture/gaussian-mixture.js";
import { MixtureScorer, sourceLogLikelihood } from "../src/mixture/scorer.js";
import { shardsLogLikelihood } from "../src/mixture/streamed.js";
import { ShardPool } from "../src/parallel/shard-workers.js";
import { Rng } from "../src/util/rng.js";
import { blobs } from "./twin/blobs.js";
import { floatBytes, npyBytes } from "./twin/npy-file.js";
import { userError } from "./twin/user-error.js";

const core = nodeCore();
const dir = mkdtempSync(join(tmpdir(), "emlab-streamed-"));
const file = (name: string, bytes: Uint8Array | string) => (writeFileSync(join(dir, name), bytes), join(dir, name));


/** Rows with a large common offset (the shifted statistics' case), several fit chunks when n > CHUNK_ROWS. */
const OFFSET = { scale: 5, offset: 100 };
const n = 2 * CHUNK_ROWS + 700; // three chunks, the last one short
const d = 4;
const K = 3;
const X = blobs(n, d, K, 5, OFFSET);
const npy = file("x.npy", npyBytes("<f4", [n, d], new Uint8Array(X.data.buffer)));

/** Every learned number and the EM trace, bit for bit (Object.is: −0 and NaN too). */
function assertSameFit(a: GaussianMixture, b: GaussianMixture, what: string): void {
  const same = (x: ArrayLike<number>, y: ArrayLike<number>, name: string) => {
    assert.is(x.length, y.length, `${what}: ${name} length`);
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) assert.unreachable(`${what}: ${name}[${i}] ${x[i]} vs ${y[i]}`);
  };
  same([a.nll, a.nIter, Number(a.converged)], [b.nll, b.nIter, Number(b.converged)], "nll, nIter, converged");
  same(a.nllTrace, b.nllTrace, "nllTrace");
  same(a.weights, b.weights, "weights");
  same(a.means, b.means, "means");
  same(a.variances, b.variances, "variances");
}

const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % K);
const STARTS: [string, InitSpec][] = [
  ["kmeans++", "kmeans++"],
  ["random", "random"],
  ["random-assignment", "random-assignment"],
  ["labels", { labels }],
  ["means", { means: Array.from({ length: K * d }, (_, i) => 100 + (i % 5) - 2) }],
];

test("streamed = in-memory, bit for bit: every covariance type and start, on 1, 2 and 3 threads, each with its own memory", async () => {
  const rows = openRowFile(npy);
  const pools = await Promise.all([1, 2, 3].map(async (threads) => {
    const pool = new ShardPool(rows.layout, { threads });
    await pool.ready(); // the workers take part from the first pass
    return pool;
  }));
  try {
    for (const covarianceType of COVARIANCE_TYPE_NAMES) {
      for (const [name, init] of STARTS) {
        const opts: GaussianMixtureOptions = { nComponents: K, covarianceType, init, seed: 3, maxIter: 8, tol: 0, nInit: 2, core };
        const inMemory = new GaussianMixture(opts).fit(X);
        for (const pool of pools) assertSameFit(inMemory, new GaussianMixture(opts).fit(pool), `${covarianceType} ${name}, ${pool.threads} threads`);
      }
    }
    // the workers did read and run chunks (otherwise 2 and 3 threads would test nothing)
    for (const pool of pools.slice(1)) {
      const byThread = pool.chunksByThread();
      assert.ok(byThread.every((c) => c > 0), `${pool.threads} threads: chunks per thread ${byThread}`);
    }
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
});

test("streamed from float64 .npy, raw float32 (--shape) and CSV: the in-memory fit of the same float32 values", async () => {
  const values = Array.from(X.data);
  const sources: [string, () => ReturnType<typeof openRowFile>][] = [
    ["f8.npy", () => openRowFile(file("f8.npy", npyBytes("<f8", [n, d], floatBytes(values, "<f8"))))],
    ["raw", () => openRowFile(file("x.f32", new Uint8Array(X.data.buffer)), { shape: [n, d] })],
    ["csv", () => openRowFile(file("x.csv", "a,b,c,d\n" + Array.from({ length: n }, (_, i) => values.slice(i * d, (i + 1) * d).join(",")).join("\n")))],
  ];
  const opts: GaussianMixtureOptions = { nComponents: K, covarianceType: "full", seed: 1, maxIter: 6, tol: 0, core };
  const inMemory = new GaussianMixture(opts).fit(X);
  for (const [name, open] of sources) {
    const rows = open();
    const pool = new ShardPool(rows.layout, { threads: 2 });
    try {
      assert.equal([pool.n, pool.d], [n, d], name);
      assertSameFit(inMemory, new GaussianMixture(opts).fit(pool), name);
    } finally {
      await pool.close();
      rows.close();
    }
    // a CSV's float32 copy lives in the temporary directory only while it is open
    if (name === "csv") assert.not.ok(existsSync(rows.layout.file), `${rows.layout.file} was not removed`);
    else assert.ok(existsSync(rows.layout.file));
  }
});

test("sparse rows (most values 0: the E-step's sparse path, chosen per chunk) streamed = in memory", async () => {
  const sparse = blobs(n, 12, K, 8, OFFSET);
  const rng = new Rng(4);
  for (let i = 0; i < sparse.data.length; i++) if (rng.uniform() < 0.85) sparse.data[i] = 0;
  const rows = openRowFile(file("sparse.npy", npyBytes("<f4", [n, 12], new Uint8Array(sparse.data.buffer))));
  const pool = new ShardPool(rows.layout, { threads: 3 });
  try {
    await pool.ready();
    const opts: GaussianMixtureOptions = { nComponents: K, seed: 2, maxIter: 10, tol: 0, core };
    assertSameFit(new GaussianMixture(opts).fit(sparse), new GaussianMixture(opts).fit(pool), "sparse");
  } finally {
    await pool.close();
  }
});

test("score and labels over shards: the fit's NLL to the bit, and predict's labels, for any thread count", async () => {
  const gm = new GaussianMixture({ nComponents: K, covarianceType: "diag", seed: 2, core }).fit(X);
  const oneThread = core.scoped(() => sourceLogLikelihood(new MixtureScorer(gm, core), openRowSource(npy)));
  assert.ok(Object.is(-oneThread.logLikelihood, gm.nll));
  const rows = openRowFile(npy);
  const expected = gm.predict(X);
  for (const threads of [1, 3]) {
    const pool = new ShardPool(rows.layout, { threads });
    try {
      await pool.ready();
      const ll = core.scoped(() => shardsLogLikelihood(new MixtureScorer(gm, core), pool));
      assert.ok(Object.is(-ll, gm.nll), `${threads} threads: ${-ll} vs ${gm.nll}`);
      const chunkRows = 1000;
      let rows = 0;
      pool.map({ op: "logprob", args: { model: new MixtureScorer(gm, core).model } }, { chunkRows, stride: chunkRows * K }, (c, lp) => {
        assert.is(c * chunkRows, rows, "chunks in order");
        for (let r = 0; r < Math.min(chunkRows, n - c * chunkRows); r++, rows++) {
          const row = lp.subarray(r * K, (r + 1) * K);
          const best = row.indexOf(Math.max(...row));
          if (best !== expected[rows]) assert.unreachable(`${threads} threads: row ${rows} labelled ${best}, predict says ${expected[rows]}`);
        }
      });
      assert.is(rows, n);
    } finally {
      await pool.close();
    }
  }
});

test("bounded memory: a thread's WebAssembly memory holds one chunk and the model, the same for 8× the rows", async () => {
  const wide = 40;
  const memory: number[] = [];
  for (const rows of [5000, 40_000]) {
    const data = blobs(rows, wide, K, 6, OFFSET);
    const pool = new ShardPool(openRowFile(file(`wide-${rows}.npy`, npyBytes("<f4", [rows, wide], new Uint8Array(data.data.buffer)))).layout, { threads: 2 });
    try {
      new GaussianMixture({ nComponents: K, maxIter: 3, tol: 0, core }).fit(pool);
      memory.push(pool.memoryBytes);
    } finally {
      await pool.close();
    }
  }
  assert.is(memory[0], memory[1], `calling thread's memory: ${memory[0]} bytes for 5000 rows, ${memory[1]} for 40000`);
  assert.ok(memory[1] < 40_000 * wide * 4, `${memory[1]} bytes: the 40000 rows would not even fit`);
});

// ---------------------------------------------------------------- bad files

/** The UserError a fit over `path`'s shards throws (the pool is closed either way). */
async function fitError(rows: ReturnType<typeof openRowFile>, threads: number, onIteration?: GaussianMixtureOptions["onIteration"]): Promise<string> {
  const pool = new ShardPool(rows.layout, { threads });
  try {
    await pool.ready();
    return userError(() => new GaussianMixture({ nComponents: K, maxIter: 5, tol: 0, core, onIteration }).fit(pool));
  } finally {
    await pool.close();
  }
}

test("a file that shrinks while it is read: one line naming it, from whichever thread read first", async () => {
  for (const threads of [1, 2]) {
    const p = file(`shrink-${threads}.npy`, npyBytes("<f4", [n, d], new Uint8Array(X.data.buffer)));
    const msg = await fitError(openRowFile(p), threads, (iter) => {
      if (iter === 2) truncateSync(p, 128 + (n - 10) * d * 4);
    });
    assert.is(msg, `${p}: changed while being read: ${(n - 10) * d * 4} data bytes now, shape (${n}, ${d}) of float32 needs ${n * d * 4}`);
  }
});

test("a NaN or a float64 beyond float32 read by a worker: one line naming the file and the value", async () => {
  const nan = Array.from(X.data);
  nan[(CHUNK_ROWS + 5) * d + 2] = NaN; // in the second chunk: most likely a worker's
  assert.is(await fitError(openRowFile(file("nan.npy", npyBytes("<f4", [n, d], floatBytes(nan, "<f4")))), 2), `${join(dir, "nan.npy")}: X[${CHUNK_ROWS + 5}, 2] = NaN is not a finite number`);
  const big = Array.from(X.data);
  big[(2 * CHUNK_ROWS + 1) * d] = 1e39;
  assert.is(await fitError(openRowFile(file("big8.npy", npyBytes("<f8", [n, d], floatBytes(big, "<f8")))), 3), `${join(dir, "big8.npy")}: X[${2 * CHUNK_ROWS + 1}, 0] = 1e+39 is outside the float32 range`);
});

test("a shape that does not match the file, and .npy headers that are truncated or declare more rows than there are", () => {
  const raw = file("r.f32", new Uint8Array(X.data.buffer, 0, 10 * d * 4));
  assert.is(userError(() => openRowFile(raw, { shape: [11, d] })), `${raw}: truncated: --shape 11,${d} of float32 needs ${11 * d * 4} data bytes, the file has ${10 * d * 4} (10 rows of ${d})`);
  assert.is(userError(() => openRowFile(raw, { shape: [9, d] })), `${raw}: ${d * 4} unexpected bytes after the ${9 * d * 4} data bytes of --shape 9,${d} (10 rows of ${d})`);
  assert.is(userError(() => openRowFile(raw, { shape: [3, 13] })), `${raw}: 4 unexpected bytes after the 156 data bytes of --shape 3,13`);
  assert.is(userError(() => openRowFile(npy, { shape: [n, d] })), `--shape: ${npy} is an .npy file, whose header gives its shape: drop --shape`);
  const bytes = npyBytes("<f4", [n, d], new Uint8Array(X.data.buffer));
  const header = file("header.npy", bytes.subarray(0, 100));
  assert.is(userError(() => openRowFile(header)), `${header}: truncated: the .npy header needs 128 bytes, the file has 100`);
  const declared = file("declared.npy", npyBytes("<f4", [n + 1, d], new Uint8Array(X.data.buffer)));
  assert.is(userError(() => openRowFile(declared)), `${declared}: truncated: shape (${n + 1}, ${d}) of float32 needs ${(n + 1) * d * 4} data bytes, the file has ${n * d * 4} (${n} rows of ${d})`);
  // the in-memory reader says the same
  assert.is(userError(() => readMatrixFile(declared)), userError(() => openRowFile(declared)));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
