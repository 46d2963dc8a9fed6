import { test } from "uvu";
import * as assert from "uvu/assert";
import { nodeCore } from "../src/core/node.js";

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

test.run();
