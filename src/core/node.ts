// Node-only: loads build/core.wasm synchronously and makes it the default Core.
import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { fileURLToPath } from "node:url";
import { Core, loadCoreSync, setDefaultCore } from "./wasm.js";

/** Path of the release build: build/core.wasm (this file compiles to build/src/core/node.js). */
export const CORE_WASM_PATH = fileURLToPath(new URL("../../core.wasm", import.meta.url));

// Node 20 has no on-stack replacement for WebAssembly: a kernel called once (an
// eigendecomposition, a whole E-step pass) would run to the end in the Liftoff baseline
// code, 3–4× slower than TurboFan's. Compile optimised code up front instead; results
// are the same bit for bit (WASM arithmetic is deterministic), only faster.
setFlagsFromString("--no-liftoff");

let cached: Core | undefined;

/** This thread's Core, loaded from build/core.wasm on first use and set as the default. */
export function nodeCore(): Core {
  if (!cached) {
    cached = loadCoreSync(readFileSync(CORE_WASM_PATH));
    setDefaultCore(cached);
  }
  return cached;
}
