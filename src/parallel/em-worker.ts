// Worker thread of EmThreadPool (em-threads.ts): instantiates core-mt.wasm on the pool's shared
// memory once, then on each "run" message claims and runs chunks of the current E-step.
// It never allocates in the arena: every pointer comes from the calling thread. Node only.
import { parentPort, type MessagePort } from "node:worker_threads";
import type { CoreExports } from "../core/wasm.js";
import { markReady } from "./claims.js";
import { instantiateShared, runClaimedChunks, type WorkerMessage } from "./em-threads.js";

let exports: CoreExports | undefined;
let control: Int32Array;
let ll: Float64Array;
let thread = 0;
let errors: MessagePort;

parentPort!.on("message", (m: WorkerMessage) => {
  if (m.type === "init") {
    exports = instantiateShared(m.module, m.memory);
    control = new Int32Array(m.control);
    ll = new Float64Array(m.ll);
    thread = m.thread;
    errors = m.errors;
    markReady(control);
    return;
  }
  const e = runClaimedChunks(exports!, control, ll, m.gen, m.job, thread);
  if (e !== undefined) {
    // claimChunks has set FAILED and counted every chunk this thread claimed as done; the pool reads this message synchronously.
    errors.postMessage({ message: `thread ${thread}: ${e instanceof Error ? e.message : String(e)}` });
  }
});
