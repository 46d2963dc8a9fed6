// Node-only: loads build/core.wasm synchronously and makes it the default Core.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Core, loadCoreSync, setDefaultCore } from "./wasm.js";

/** Path of the release build: build/core.wasm (this file compiles to build/src/core/node.js). */
export const CORE_WASM_PATH = fileURLToPath(new URL("../../core.wasm", import.meta.url));

let cached: Core | undefined;

/** This thread's Core, loaded from build/core.wasm on first use and set as the default. */
export function nodeCore(): Core {
  if (!cached) {
    cached = loadCoreSync(readFileSync(CORE_WASM_PATH));
    setDefaultCore(cached);
  }
  return cached;
}
