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

/** A run's progress event as bars see it: ticks move a bar (`done` of `total` in the unit `label`); other kinds pass by. */
export type BarEvent = { kind: "tick"; label: string; done: number; total: number; info?: string } | { kind: "unit" | "step" };

/**
 * Runs `run` with a progress bar per tick label: `run` gets `show`, to call with each progress
 * event of the experiment. A bar opens at its label's first tick (`make(label, total)`) and
 * closes when it completes, when another label starts, or when `run` ends, however it ends.
 */
export async function withBars<T>(make: (label: string, total: number) => Progress, run: (show: (e: BarEvent) => void) => Promise<T>): Promise<T> {
  let bar: Progress | null = null;
  let current = "";
  const stop = () => {
    bar?.stop();
    bar = null;
  };
  try {
    return await run((e) => {
      if (e.kind !== "tick") return;
      if (bar && e.label !== current) stop();
      if (!bar) {
        bar = make(e.label, e.total);
        current = e.label;
      }
      bar.update(e.done, e.info);
      if (e.done === e.total) stop();
    });
  } finally {
    stop();
  }
}
