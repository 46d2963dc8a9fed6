// Worker thread of ShardPool (shard-workers.ts): instantiates build/core.wasm once, in a memory
// of its own; prepares each pass's task when it arrives, then on each of its windows claims
// chunks, reads them from the file and runs the task on them, writing each chunk's result into
// the shared results buffer. Node only.
import { parentPort, type MessagePort } from "node:worker_threads";
import { loadCoreSync } from "../core/wasm.js";
import { markReady } from "./claims.js";
import { ThreadState, type ShardWorkerError, type ShardWorkerMessage } from "./shard-workers.js";

let state: ThreadState | undefined;
let errors: MessagePort;

parentPort!.on("message", (m: ShardWorkerMessage) => {
  if (m.type === "init") {
    const control = new Int32Array(m.control);
    state = new ThreadState(loadCoreSync(m.module), m.layout, control, m.thread);
    errors = m.errors;
    markReady(control);
    return;
  }
  if (m.type === "task") {
    state!.setTask(m);
    return;
  }
  const e = state!.runWindow(m);
  if (e !== undefined) {
    // claimChunks has set FAILED and counted every chunk this thread claimed as done; the pool reads this message synchronously
    const err: ShardWorkerError = e instanceof Error ? { name: e.name, message: e.message } : { name: "Error", message: String(e) };
    errors.postMessage(err);
  }
});
