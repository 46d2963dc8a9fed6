// Test worker for src/parallel/pool.ts: doubles a number after a delay that varies by input
// (so tasks finish out of order); a negative input throws; returns transferred arrays summed.
import { serveTasks, withTransfer } from "../../src/parallel/pool.js";

serveTasks<{ x: number; delayMs: number; arr?: Float64Array }, number | Float64Array>(async ({ x, delayMs, arr }) => {
  await new Promise((r) => setTimeout(r, delayMs));
  if (x < 0) throw new RangeError(`negative input ${x}`);
  if (arr) {
    const out = arr.map((v) => v * 2);
    return withTransfer(out, [out.buffer]);
  }
  return 2 * x;
});
