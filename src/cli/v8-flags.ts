// Imported first by main.ts, before any module compiles core.wasm: the CLI's own V8 flags. A
// library must not change the host program's flags, so only the CLI sets this one.
// --no-liftoff: Node 20 has no on-stack replacement for WebAssembly, so a kernel call that started
// in the Liftoff baseline code runs to its end there; compiling optimised code up front makes every
// call fast from the first one. The library itself calls its long kernels in row chunks, which
// gets nearly the same speed without the flag (docs/core-api.md, "Engine flags"). Results are the
// same bit for bit either way (WebAssembly arithmetic is deterministic).
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--no-liftoff");
