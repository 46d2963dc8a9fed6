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
