import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { matrix } from "../src/core/matrix.js";
import { CORE_WASM_PATH, nodeCore } from "../src/core/node.js";
import { defaultCoreUrl, loadCore, loadCoreSync, type Core } from "../src/core/wasm.js";
import { GaussianMixture } from "../src/mixture/gaussian-mixture.js";

test("arena: regions are 16-byte aligned and release returns memory", () => {
  const core = nodeCore();
  const m = core.mark();
  const a = core.f32(3);
  const b = core.f64(5);
  assert.is(a.ptr % 16, 0);
  assert.is(b.ptr % 16, 0);
  assert.ok(b.ptr >= a.ptr + 12);
  core.release(m);
  assert.is(core.mark(), m);
});

test("arena: views survive memory.grow when rebuilt", () => {
  const core = nodeCore();
  core.scoped(() => {
    const a = core.putF32([1, 2, 3]);
    core.f32(50_000_000); // forces memory.grow (200 MB)
    assert.equal(Array.from(a.view()), [1, 2, 3]);
  });
});

test("sumF32 accumulates in f64 with a scalar tail", () => {
  const core = nodeCore();
  core.scoped(() => {
    for (const n of [0, 1, 3, 63, 64, 65, 1001]) {
      const x = new Float32Array(n).map((_, i) => (i % 7) * 0.1 + 1e-3);
      const r = core.putF32(x);
      let ref = 0;
      for (const v of x) ref += v;
      const got = core.exports.sumF32(r.ptr, n);
      assert.ok(Math.abs(got - ref) <= 1e-6 * Math.max(1, Math.abs(ref)), `n=${n}: ${got} vs ${ref}`);
    }
  });
});

test("loadCore() with no argument reads core.wasm next to the module; every source gives the same core", async () => {
  assert.is(defaultCoreUrl().href, pathToFileURL(CORE_WASM_PATH).href);
  const bytes = readFileSync(CORE_WASM_PATH);
  const module = new WebAssembly.Module(bytes);
  const cores: [string, Core][] = [
    ["no argument", await loadCore()],
    ["file: URL", await loadCore(pathToFileURL(CORE_WASM_PATH))],
    ["file: URL string", await loadCore(pathToFileURL(CORE_WASM_PATH).href)],
    ["bytes", await loadCore(bytes)],
    ["module", await loadCore(module)],
    ["Response", await loadCore(new Response(bytes, { headers: { "content-type": "application/wasm" } }))],
    ["sync bytes", loadCoreSync(bytes)],
    ["sync module", loadCoreSync(module)],
  ];
  const X = matrix(Float32Array.from([0, 0.1, 0.2, 5, 5.1, 5.3, 9, 9.2]), 8, 1);
  const ref = new GaussianMixture({ nComponents: 2, seed: 0, core: nodeCore() }).fit(X);
  for (const [how, core] of cores) {
    assert.ok(core.memory !== nodeCore().memory, `${how}: a fresh instance`);
    const gm = new GaussianMixture({ nComponents: 2, seed: 0, core }).fit(X);
    assert.equal(gm.nllTrace, ref.nllTrace, `${how}: same fit`);
    assert.is(core.allocatedBytes, 0, `${how}: the fit freed its memory`);
  }
  await rejects(loadCore(pathToFileURL(CORE_WASM_PATH + ".missing")), /ENOENT|no such file/);
});

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable("expected a rejection");
}

test.run();
