// The run contract (src/experiments/contract.ts): only the experiments that checkpoint accept
// `resume` (checked by the compiler: each @ts-expect-error below must stay an error, or the build
// fails), and withBars, which turns every run's ticks into progress bars for the CLI and the report.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { runCompare } from "../src/compare/compare.js";
import type { runGan } from "../src/experiments/gan.js";
import type { runGmmSweep } from "../src/experiments/gmm-sweep.js";
import type { runMnist } from "../src/experiments/mnist.js";
import type { runVae } from "../src/experiments/vae.js";
import { withBars, type Progress } from "../src/util/progress.js";

type Options<F extends (config: never, opts: never) => unknown> = Parameters<F>[1];

// @ts-expect-error the K sweep cannot continue an interrupted run
export const gmmResume: Options<typeof runGmmSweep> = { out: "x", resume: true };
// @ts-expect-error nor can the MNIST sweep
export const mnistResume: Options<typeof runMnist> = { out: "x", resume: false };
// @ts-expect-error nor the comparison
export const compareResume: Options<typeof runCompare> = { out: "x", resume: true };
export const vaeResume: Options<typeof runVae> = { out: "x", resume: true };
export const ganResume: Options<typeof runGan> = { out: "x", resume: true };

/** A bar factory that records what happens to its bars. */
function recorder(): { make: (label: string, total: number) => Progress; log: string[] } {
  const log: string[] = [];
  return {
    log,
    make: (label, total) => {
      log.push(`open ${label}/${total}`);
      return { update: (done, info) => log.push(`${label} ${done}${info ? ` ${info}` : ""}`), stop: () => log.push(`close ${label}`) };
    },
  };
}

test("withBars: a bar per tick label, closed when it completes or the next label starts; other events pass by", async () => {
  const { make, log } = recorder();
  const result = await withBars(make, async (show) => {
    show({ kind: "tick", label: "epoch 1/2", done: 0, total: 3 });
    show({ kind: "tick", label: "epoch 1/2", done: 2, total: 3, info: "loss 1.5" });
    show({ kind: "tick", label: "epoch 1/2", done: 3, total: 3 });
    show({ kind: "unit" });
    show({ kind: "tick", label: "epoch 2/2", done: 1, total: 3 });
    show({ kind: "tick", label: "other", done: 1, total: 5 });
    show({ kind: "step" });
    return 42;
  });
  assert.is(result, 42);
  assert.equal(log, [
    "open epoch 1/2/3", "epoch 1/2 0", "epoch 1/2 2 loss 1.5", "epoch 1/2 3", "close epoch 1/2",
    "open epoch 2/2/3", "epoch 2/2 1", "close epoch 2/2",
    "open other/5", "other 1", "close other",
  ]);
});

test("withBars: the open bar is closed when the run throws, and the error passes through", async () => {
  const { make, log } = recorder();
  const err = await withBars(make, async (show) => {
    show({ kind: "tick", label: "K=3", done: 4, total: 10 });
    throw new Error("Cholesky failed");
  }).catch((e: Error) => e);
  assert.is((err as Error).message, "Cholesky failed");
  assert.equal(log, ["open K=3/10", "K=3 4", "close K=3"]);
});

test.run();
