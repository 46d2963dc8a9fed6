// What the two training stages (2a, 2b) share: continuing an interrupted run, and the time it
// took. The report writes run-config.json (the stage config) into the stage directory before
// training, and continues the checkpoint there only when run-config.json holds the same config,
// so a continuation gives the same numbers.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeJsonAtomic } from "../util/atomic.js";
import { UserError } from "../util/errors.js";
import { canonicalJson } from "./canonical.js";
import type { RunOptions, Tick, UnitDone } from "../experiments/contract.js";
import { withProgress } from "../util/progress.js";
import { fx } from "./blocks.js";
import type { StageContext } from "./stage.js";

/** run-config.json: the config a training directory was started with. */
const RUN_CONFIG = "run-config.json";

/** True when dir holds `checkpoint` and was started with the same config. */
function canResume(dir: string, checkpoint: string, config: unknown): boolean {
  if (!existsSync(join(dir, checkpoint)) || !existsSync(join(dir, RUN_CONFIG))) return false;
  try {
    return canonicalJson(JSON.parse(readFileSync(join(dir, RUN_CONFIG), "utf8")).config) === canonicalJson(config);
  } catch {
    return false;
  }
}

/**
 * Runs a training experiment for a stage: `train` with the run options (into the stage directory,
 * continuing its checkpoint when it matches), progress bars over each epoch's batches and a log
 * line per epoch (`epoch 3/50: ` and `line(record)`, the experiment's own epoch line).
 */
export function trainStage<R, T>(
  ctx: StageContext,
  checkpoint: string,
  config: unknown,
  train: (opts: RunOptions<Tick | UnitDone<R>, true>) => Promise<T>,
  line: (record: R) => string,
): Promise<T> {
  return trainWithResume(ctx, checkpoint, config, (resume) =>
    withProgress({ bar: ctx.bar, line: ctx.log, log: ctx.log }, (e: UnitDone<R>) => `epoch ${e.done}/${e.total}: ${line(e.record)}`, (show) =>
      train({ out: ctx.dir, resume, onProgress: show }),
    ),
  );
}

/** Runs `train(resume)`, continuing the checkpoint when it matches; a checkpoint that cannot be continued is logged and training starts afresh. */
async function trainWithResume<T>(ctx: StageContext, checkpoint: string, config: unknown, train: (resume: boolean) => Promise<T>): Promise<T> {
  const resume = !ctx.force && canResume(ctx.dir, checkpoint, config);
  writeJsonAtomic(join(ctx.dir, RUN_CONFIG), { config });
  if (!resume) return train(false);
  ctx.log(`continuing from ${join(ctx.dir, checkpoint)}`);
  try {
    return await train(true);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    ctx.log(`cannot continue (${e.message}); training afresh`);
    return train(false);
  }
}

/** The sum of the per-epoch seconds: the training time even when the run was continued from a checkpoint. */
export function trainingTime(epochs: { seconds: number }[]): string {
  const total = epochs.reduce((a, e) => a + e.seconds, 0);
  return epochs.length ? `Training and per-epoch evaluation took ${fx(total, 1)} s in all (${fx(total / epochs.length, 1)} s per epoch).` : "";
}

/** The seconds of the epochs a continued run took over from its checkpoint (none when resumedFrom is 0). */
export function secondsUpTo(epochs: { epoch: number; seconds: number }[], resumedFrom: number): number {
  return epochs.filter((e) => e.epoch <= resumedFrom).reduce((a, e) => a + e.seconds, 0);
}

/** The epoch in a snapshot's file name (samples-epoch-10.png → 10). */
export const epochOf = (file: string) => Number(/epoch-(\d+)/.exec(file)?.[1] ?? NaN);

/** "1 epoch", "50 epochs". */
export const epochs = (n: number) => `${n} epoch${n === 1 ? "" : "s"}`;
