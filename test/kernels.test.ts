// The kernel signature table (src/core/kernels.ts) against the real modules and their source:
// every export of core.wasm and core-mt.wasm is listed with its arity, nothing listed is
// missing, and the parameter names and results are those of assembly/*.ts, in order.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { KERNELS, callKernel, kernelSignature, type KernelName } from "../src/core/kernels.js";
import { CORE_WASM_PATH, nodeCore } from "../src/core/node.js";
import { CORE_MT_WASM_PATH, instantiateShared } from "../src/parallel/em-threads.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const names = Object.keys(KERNELS) as KernelName[];

for (const [label, path] of [["core.wasm", CORE_WASM_PATH], ["core-mt.wasm", CORE_MT_WASM_PATH]]) {
  test(`${label}: exports exactly the table's kernels (and memory), each with the table's arity`, () => {
    const module = new WebAssembly.Module(readFileSync(path));
    const all = WebAssembly.Module.exports(module);
    assert.equal(all.filter((e) => e.kind !== "function").map((e) => e.name), ["memory"], `${label}: exports other than functions`);
    const functions = all.filter((e) => e.kind === "function").map((e) => e.name);
    const missing = names.filter((n) => !functions.includes(n));
    const unlisted = functions.filter((n) => !(n in KERNELS));
    assert.equal(missing, [], `${label} lacks ${missing.join(", ")}`);
    assert.equal(unlisted, [], `kernels.ts does not list ${unlisted.join(", ")}`);
    const exports =
      label === "core.wasm"
        ? (new WebAssembly.Instance(module, {}).exports as Record<string, unknown>)
        : (instantiateShared(module, new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true })) as unknown as Record<string, unknown>);
    assert.ok(exports.memory instanceof WebAssembly.Memory, `${label} exports its memory`);
    for (const n of names) {
      const fn = exports[n] as (...a: number[]) => unknown;
      assert.is(fn.length, KERNELS[n].params.length, `${label} ${n}: arity`);
    }
  });
}

/** `export function name(a: usize, b: i32): f64` in the files assembly/index.ts re-exports, and index.ts itself. */
function sourceSignatures(): Map<string, { params: string[]; result: string; file: string }> {
  const index = readFileSync(`${ROOT}assembly/index.ts`, "utf8");
  const files = ["index", ...[...index.matchAll(/export \* from "\.\/([\w-]+)"/g)].map((m) => m[1])];
  const out = new Map<string, { params: string[]; result: string; file: string }>();
  for (const f of files) {
    const src = readFileSync(`${ROOT}assembly/${f}.ts`, "utf8");
    for (const m of src.matchAll(/^export function (\w+)\(([^)]*)\)\s*:\s*(\w+)/gm)) {
      const params = m[2].split(",").map((p) => p.split(":")[0].trim()).filter(Boolean);
      out.set(m[1], { params, result: m[3], file: `assembly/${f}.ts` });
    }
  }
  return out;
}

test("the table's parameter names and results are those of assembly/*.ts, in order", () => {
  const src = sourceSignatures();
  assert.equal([...src.keys()].sort(), [...names].sort(), "exported functions in assembly/ vs kernels.ts");
  for (const n of names) {
    const s = src.get(n)!;
    assert.equal([...KERNELS[n].params], s.params, `${n} (${s.file}): parameters`);
    assert.is(KERNELS[n].result, s.result, `${n} (${s.file}): result`);
  }
});

test("row kernels declare statistics among their outputs and take x, n and scratch", () => {
  for (const n of names) {
    const sig = kernelSignature(n);
    if (!sig.accumulates) continue;
    for (const p of ["x", "n", "scratch", ...sig.accumulates]) assert.ok(sig.params.includes(p), `${n} has no parameter ${p}`);
    // Outputs first (STYLE.md, "Kernels"): the statistics open the parameter list.
    assert.equal(sig.params.slice(0, sig.accumulates.length), [...sig.accumulates], `${n}: statistics first`);
    assert.is(sig.result, "f64", `${n} returns Σ log p`);
  }
});

test("callKernel passes arguments by name and refuses a missing one or an unknown kernel", () => {
  const core = nodeCore();
  core.scoped(() => {
    const x = core.putF32([1, 2, 3, 4, 5]);
    assert.is(core.call("sumF32", { x: x.ptr, n: 5 }), 15);
    assert.is(core.call("sumF32", { n: 2, x: x.ptr + 8 }), 7, "order of the object's keys does not matter");
    assert.throws(() => callKernel(core.exports, "sumF32", { x: x.ptr } as never), /sumF32: argument n is missing/);
    assert.throws(() => callKernel(core.exports, "noSuchKernel" as KernelName, {} as never), /core.wasm has no kernel noSuchKernel/);
  });
});

// Compile-time checks: tsc (npm run build) fails if any of these stops being an error.
export function typeChecks(): void {
  const core = nodeCore();
  // @ts-expect-error a misspelled parameter name
  core.call("sumF32", { x: 0, len: 1 });
  // @ts-expect-error a missing argument
  core.call("estepDiagF32", { sumR: 0, sumX: 0, sumX2: 0, scratch: 0, x: 0, means: 0, prec: 0, logConst: 0, n: 0, d: 0 });
  // @ts-expect-error an unknown kernel
  core.call("noSuchKernel", {});
  // @ts-expect-error positional calls are checked for arity too
  core.exports.sumF32(0);
}

test.run();
