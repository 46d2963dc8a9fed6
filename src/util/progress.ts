// Progress on stderr (cli-progress). Silent when stderr is not a terminal unless
// EMLAB_PROGRESS=1, so logs and --json pipelines stay clean.
import cliProgress from "cli-progress";

export interface Progress {
  /** Set the count done so far; `info` is shown after the bar. */
  update(done: number, info?: string): void;
  stop(): void;
}

const silent: Progress = { update() {}, stop() {} };

/** A progress bar for `total` steps of work named `label`. */
export function progress(label: string, total: number): Progress {
  const show = process.stderr.isTTY || process.env.EMLAB_PROGRESS === "1";
  if (!show || process.env.EMLAB_PROGRESS === "0") return silent;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {value}/{total} {percentage}% eta {eta_formatted} {info}`,
      hideCursor: true,
      clearOnComplete: false,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 5000,
    },
    cliProgress.Presets.legacy,
  );
  bar.start(total, 0, { info: "" });
  return {
    update(done, info = "") {
      bar.update(done, { info });
    },
    stop() {
      bar.stop();
    },
  };
}

/** What a progress bar is driven by: `done` of `total` in the unit named `label`. */
export interface BarTick {
  label: string;
  done: number;
  total: number;
  info?: string;
}

/**
 * Bars for a stream of ticks: a bar opens at a label's first tick (`make(label, total)`), moves
 * with each tick and closes when it completes or another label starts; `stop()` closes it early.
 */
export function tickBars(make: (label: string, total: number) => Progress = progress): { tick(e: BarTick): void; stop(): void } {
  let bar: Progress | null = null;
  let current = "";
  const stop = () => {
    bar?.stop();
    bar = null;
  };
  return {
    tick(e) {
      if (bar && e.label !== current) stop();
      if (!bar) {
        bar = make(e.label, e.total);
        current = e.label;
      }
      bar.update(e.done, e.info);
      if (e.done === e.total) stop();
    },
    stop,
  };
}
