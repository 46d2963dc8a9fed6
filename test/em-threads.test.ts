// The chunked E-step (src/mixture/chunked.ts) and its worker-thread runner
// (src/parallel/em-threads.ts): the same bits whatever the thread count, close to one call of
// the plan's kernel over all rows, and worker threads that go away.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { nodeCore } from "../src/core/node.js";
import { callKernel, type KernelArgs, type RowKernelName } from "../src/core/kernels.js";
import type { Core, Region } from "../src/core/wasm.js";
import { covarianceEntry, type CovarianceType } from "../src/mixture/covariance.js";
import { chunkedWorkspace, serialRunner, type ChunkRunner, type EstepJob } from "../src/mixture/chunked.js";
import { GaussianMixture } from "../src/mixture/gaussian-mixture.js";
import { EmThreadPool } from "../src/parallel/em-threads.js";
import { Rng } from "../src/util/rng.js";

const EXIT_SCRIPT = fileURLToPath(new URL("./twin/em-threads-exit.js", import.meta.url));

/** n×d blobs around K random centres (f32), and soft responsibilities to start from. */
function blobs(n: number, d: number, K: number, seed: number) {
  const rng = new Rng(seed);
  const centres = Array.from({ length: K * d }, () => 4 * rng.normal());
  const X = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const k = rng.int(K);
    for (let j = 0; j < d; j++) X[i * d + j] = centres[k * d + j] + (1 + (j % 3)) * rng.normal() + 10;
  }
  const resp = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += resp[i * K + k] = 0.05 + rng.uniform();
    for (let k = 0; k < K; k++) resp[i * K + k] /= s;
  }
  return { X, resp };
}

interface EstepResult {
  ll: number;
  stats: Float64Array[];
}

/**
 * One E-step in `core` (parameters from one M-step on resp), through `runner`, or "whole": the
 * plan's kernel called once over all n rows (no chunks), the reference the chunks must approach.
 */
function estepIn(core: Core, type: CovarianceType, data: ReturnType<typeof blobs>, n: number, d: number, K: number, runner?: ChunkRunner | "whole"): EstepResult {
  return core.scoped(() => {
    const X = core.putF32(data.X);
    const ws = covarianceEntry(type).workspace(core, K, d);
    ws.statsFromResp(X, n, data.resp);
    ws.mstep(1e-6);
    const plan = ws.estepPlan;
    const stats = Object.values(plan.stats) as Region<Float64Array>[];
    let ll: number;
    if (runner === "whole") {
      for (const r of stats) r.view().fill(0);
      const statPtrs = Object.fromEntries(Object.entries(plan.stats).map(([name, r]) => [name, (r as Region<Float64Array>).ptr]));
      const args = { ...plan.args, ...statPtrs, x: X.ptr, n, scratch: core.f64(plan.scratchLength).ptr };
      ll = callKernel(core.exports, plan.kernel, args as KernelArgs<RowKernelName>) as number;
    } else {
      ll = chunkedWorkspace(ws, core, { maxRows: n, runner: runner ?? serialRunner(core) }).estep(X, n);
    }
    return { ll, stats: stats.map((s) => s.view().slice()) };
  });
}

function assertSameBits(a: EstepResult, b: EstepResult, what: string): void {
  assert.ok(Object.is(a.ll, b.ll), `${what}: ll ${a.ll} vs ${b.ll}`);
  a.stats.forEach((s, i) => {
    const t = b.stats[i];
    assert.is(s.length, t.length);
    for (let j = 0; j < s.length; j++) if (!Object.is(s[j], t[j])) assert.unreachable(`${what}: stat${i}[${j}] ${s[j]} vs ${t[j]}`);
  });
}

function assertClose(a: EstepResult, b: EstepResult, rel: number, what: string): void {
  assert.ok(Math.abs(a.ll - b.ll) <= rel * Math.abs(b.ll), `${what}: ll ${a.ll} vs ${b.ll}`);
  a.stats.forEach((s, i) => {
    let scale = 0;
    for (const v of b.stats[i]) scale = Math.max(scale, Math.abs(v));
    for (let j = 0; j < s.length; j++) {
      if (Math.abs(s[j] - b.stats[i][j]) > rel * scale) assert.unreachable(`${what}: stat${i}[${j}] ${s[j]} vs ${b.stats[i][j]}`);
    }
  });
}

// 3 chunks of 2048 + a partial one: every thread count splits them differently.
const N = 6500;

for (const [type, d, K] of [["diag", 13, 4], ["spherical", 6, 3], ["full", 5, 3]] as [CovarianceType, number, number][]) {
  test(`${type}: chunked statistics with 1, 2 and 3 threads are bit-identical, and match one kernel call over all rows`, async () => {
    const data = blobs(N, d, K, 7);
    const core = nodeCore();
    const whole = estepIn(core, type, data, N, d, K, "whole");
    const serial = estepIn(core, type, data, N, d, K);
    assertClose(serial, whole, 1e-12, "serial chunks vs one call");
    for (const threads of [1, 2, 3]) {
      const pool = new EmThreadPool({ threads });
      try {
        // core-mt.wasm on a shared memory computes the same bits as core.wasm.
        assertSameBits(estepIn(pool.core, type, data, N, d, K, pool), serial, `${threads} threads`);
        // Twice on the same pool: later generations reuse the workers.
        assertSameBits(estepIn(pool.core, type, data, N, d, K, pool), serial, `${threads} threads, again`);
      } finally {
        await pool.close();
      }
    }
  });
}

test("diag on data whose chunks take different paths (sparse, dense): bit-identical for 1, 2 and 3 threads, close to one unchunked call", async () => {
  const d = 21;
  const K = 5;
  const data = blobs(N, d, K, 9);
  // Chunks 0 and 2 (rows 0–2047, 4096–6143): 80 % zeros, so they take the sparse path; 1 and 3 stay dense.
  const rng = new Rng(4);
  for (const [from, to] of [[0, 2048], [4096, 6144]]) {
    for (let i = from * d; i < to * d; i++) if (rng.uniform() < 0.8) data.X[i] = 0;
  }
  const core = nodeCore();
  // The density half of the rule (q_k = 0 here) sends chunks 0 and 2 to the sparse path, 1 and 3 to the dense one.
  const paths = core.scoped(() => {
    const X = core.putF32(data.X);
    const quad = core.f64(K);
    quad.view().fill(0);
    return [0, 1, 2, 3].map((c) => core.call("estepDiagSparsePath", { x: X.ptr + c * 2048 * d * 4, quad: quad.ptr, n: Math.min(2048, N - c * 2048), d, k: K }));
  });
  assert.equal(paths, [1, 0, 1, 0]);
  const serial = estepIn(core, "diag", data, N, d, K);
  assertClose(serial, estepIn(core, "diag", data, N, d, K, "whole"), 1e-12, "serial chunks vs one call on all rows");
  for (const threads of [1, 2, 3]) {
    const pool = new EmThreadPool({ threads });
    try {
      assertSameBits(estepIn(pool.core, "diag", data, N, d, K, pool), serial, `${threads} threads`);
    } finally {
      await pool.close();
    }
  }
});

test("a whole fit with 1 and 2 threads gives the same bits", async () => {
  const d = 10;
  const K = 4;
  const n = 5000;
  const { X } = blobs(n, d, K, 3);
  const opts = { nComponents: K, covarianceType: "diag" as const, maxIter: 25, tol: 0, init: "kmeans++" as const, nInit: 2, seed: 11 };
  const fit = (pool?: EmThreadPool) => new GaussianMixture({ ...opts, pool }).fit({ data: X, rows: n, cols: d });
  const one = fit();
  const pool = new EmThreadPool({ threads: 2 });
  try {
    const two = fit(pool);
    assert.equal(two.nllTrace, one.nllTrace);
    assert.ok(Object.is(two.nll, one.nll));
    assert.equal(Array.from(two.weights), Array.from(one.weights));
    assert.equal(Array.from(two.means), Array.from(one.means));
    assert.equal(Array.from(two.variances), Array.from(one.variances));
    // The E-steps really ran on the pool: its counter saw every chunk of every E-step.
    assert.ok(pool.chunksRun > 0, "the fit used the pool");
  } finally {
    await pool.close();
  }
});

test("a worker's failure is an error on the calling thread, not a hang", async () => {
  const pool = new EmThreadPool({ threads: 2 });
  try {
    const job = {
      kernel: "noSuchKernel", args: {}, blocksPtr: 0, blockBytes: 0, statOffsets: {}, scratchPtrs: [0, 0],
      xPtr: 0, rowBytes: 4, n: 64 * 2048, chunkRows: 2048, nChunks: 64,
    } as unknown as EstepJob;
    assert.throws(() => pool.run(job, new Float64Array(64)), /no kernel noSuchKernel/);
  } finally {
    await pool.close();
  }
});

test("instantiating core-mt.wasm in the workers leaves the arena untouched", async () => {
  const pool = new EmThreadPool({ threads: 3 });
  try {
    const r = pool.core.f64(1000);
    r.view().fill(42.5);
    // An E-step makes sure both workers have booted (instantiated) by now or run after it.
    estepIn(pool.core, "diag", blobs(N, 4, 2, 1), N, 4, 2, pool);
    await new Promise((res) => setTimeout(res, 200));
    assert.ok(r.view().every((v) => v === 42.5));
  } finally {
    await pool.close();
  }
});

test("the worker threads end: the process exits with or without close()", () => {
  for (const mode of ["close", "forget"]) {
    const r = spawnSync(process.execPath, [EXIT_SCRIPT, mode], { timeout: 60_000, encoding: "utf8" });
    assert.is(r.status, 0, `${mode}: status ${r.status} signal ${r.signal} stderr ${r.stderr}`);
    assert.match(r.stdout, /^ok /);
  }
});

test.run();
