// The run contract (src/experiments/contract.ts): only the experiments that checkpoint accept
// `resume` (checked by the compiler: each @ts-expect-error below must stay an error, or the build
// fails), and withProgress and progressOutput, which turn every run's events into bars or lines for the CLI and the report.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { runCompare } from "../src/compare/compare.js";
import type { runGan } from "../src/experiments/gan.js";
import type { runGmmSweep } from "../src/experiments/gmm-sweep.js";
import type { runMnist } from "../src/experiments/mnist.js";
import type { runVae } from "../src/experiments/vae.js";
import { progressOutput, withProgress, type ProgressSink } from "../src/util/progress.js";

type Options<F extends (config: never, opts: never) => unknown> = Parameters<F>[1];

// @ts-expect-error the K sweep cannot continue an interrupted run
export const gmmResume: Options<typeof runGmmSweep> = { out: "x", resume: true };
// @ts-expect-error nor can the MNIST sweep
export const mnistResume: Options<typeof runMnist> = { out: "x", resume: false };
// @ts-expect-error nor the comparison
export const compareResume: Options<typeof runCompare> = { out: "x", resume: true };
export const vaeResume: Options<typeof runVae> = { out: "x", resume: true };
export const ganResume: Options<typeof runGan> = { out: "x", resume: true };

/** A progress sink that records what happens to its bars and lines. */
function recorder(): { sink: ProgressSink; log: string[] } {
  const log: string[] = [];
  return {
    log,
    sink: {
      bar: (label, total) => {
        log.push(`open ${label}/${total}`);
        return { update: (done, info) => log.push(`${label} ${done}${info ? ` ${info}` : ""}`), stop: () => log.push(`close ${label}`) };
      },
      line: (text) => log.push(`line ${text}`),
      log: (text) => log.push(`log ${text}`),
    },
  };
}

type Unit = { kind: "unit"; done: number } | { kind: "step"; step: string };
const lineOf = (e: Unit) => (e.kind === "unit" ? `unit ${e.done}` : e.step);

test("withProgress: a bar per tick label, closed when it completes or the next label starts; a line per unit, a status line per step", async () => {
  const { sink, log } = recorder();
  const result = await withProgress(sink, lineOf, async (show) => {
    show({ kind: "tick", label: "epoch 1/2", done: 0, total: 3 });
    show({ kind: "tick", label: "epoch 1/2", done: 2, total: 3, info: "loss 1.5" });
    show({ kind: "tick", label: "epoch 1/2", done: 3, total: 3 });
    show({ kind: "unit", done: 1 });
    show({ kind: "tick", label: "epoch 2/2", done: 1, total: 3 });
    show({ kind: "tick", label: "other", done: 1, total: 5 });
    show({ kind: "step", step: "loading" });
    return 42;
  });
  assert.is(result, 42);
  assert.equal(log, [
    "open epoch 1/2/3", "epoch 1/2 0", "epoch 1/2 2 loss 1.5", "epoch 1/2 3", "close epoch 1/2",
    "line unit 1",
    "open epoch 2/2/3", "epoch 2/2 1", "close epoch 2/2",
    "open other/5", "other 1",
    "log loading",
    "close other",
  ]);
});

test("withProgress: the open bar is closed when the run throws, and the error passes through", async () => {
  const { sink, log } = recorder();
  const err = await withProgress(sink, lineOf, async (show) => {
    show({ kind: "tick", label: "K=3", done: 4, total: 10 });
    throw new Error("Cholesky failed");
  }).catch((e: Error) => e);
  assert.is((err as Error).message, "Cholesky failed");
  assert.equal(log, ["open K=3/10", "K=3 4", "close K=3"]);
});

test("progressOutput: lines where stderr is not a terminal, bars (no unit lines) where it is, nothing with quiet", () => {
  const stream = (isTTY: boolean) => {
    const written: string[] = [];
    return { isTTY, written, write: (t: string) => written.push(t) };
  };
  const saved = process.env.EMLAB_PROGRESS;
  delete process.env.EMLAB_PROGRESS;
  try {
    const pipe = stream(false);
    const p = progressOutput({ name: "vae" }, pipe);
    const bar = p.bar("epoch 1/2", 10);
    bar.update(5);
    bar.stop();
    p.line("epoch 1/2: train 1.00");
    p.log("loading");
    assert.equal(pipe.written, ["vae: epoch 1/2: train 1.00\n", "vae: loading\n"]);

    const tty = stream(true);
    const t = progressOutput({ name: "vae" }, tty);
    t.line("epoch 1/2: train 1.00");
    t.log("loading");
    assert.equal(tty.written, ["vae: loading\n"], "on a terminal the bar shows the unit");

    for (const s of [stream(false), stream(true)]) {
      const q = progressOutput({ quiet: true, name: "vae" }, s);
      q.line("x");
      q.log("y");
      q.bar("z", 3).update(1);
      assert.equal(s.written, []);
    }
    process.env.EMLAB_PROGRESS = "0";
    const off = stream(false);
    progressOutput({}, off).log("y");
    assert.equal(off.written, [], "EMLAB_PROGRESS=0 is --quiet");
  } finally {
    if (saved === undefined) delete process.env.EMLAB_PROGRESS;
    else process.env.EMLAB_PROGRESS = saved;
  }
});

test.run();
