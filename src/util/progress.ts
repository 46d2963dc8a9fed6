// Progress on stderr, the same for every command: on a terminal, bars (cli-progress) over the work
// inside a unit; elsewhere (nohup, CI logs, a pipe) one line per finished unit (a K, an epoch),
// since bars redrawn in place make no sense in a log; a line per started step (a run without
// countable units) in both; with --quiet (or EMLAB_PROGRESS=0) nothing. stdout is never touched,
// so --json pipelines stay clean.
import cliProgress from "cli-progress";

export interface Progress {
  /** Set the count done so far; `info` is shown after the bar. */
  update(done: number, info?: string): void;
  stop(): void;
}

const silent: Progress = { update() {}, stop() {} };

/** What a run's progress is drawn into: bars for the work inside a unit, lines for finished units, status lines. */
export interface ProgressSink {
  /** A bar for `total` steps of work named `label`. */
  bar(label: string, total: number): Progress;
  /** One line about a finished unit, where no bar shows it. */
  line(text: string): void;
  /** A status line (a started step, a stage of the report), shown on a terminal as well. */
  log(text: string): void;
}

/** The stream progress goes to: stderr, or a test's stand-in. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * Progress on `stream` (stderr): on a terminal, bars and status lines (a bar shows the units);
 * elsewhere unit lines and status lines, no bars; nothing with `quiet` or EMLAB_PROGRESS=0 (errors
 * and warnings never pass here).
 * `name` prefixes bar labels ("vae epoch 3/50") and lines ("vae: epoch 3/50: …").
 */
export function progressOutput(opts: { quiet?: boolean; name?: string } = {}, stream: ProgressStream = process.stderr): ProgressSink {
  const quiet = opts.quiet === true || process.env.EMLAB_PROGRESS === "0";
  const tty = stream.isTTY === true;
  const write = (text: string) => void stream.write(`${opts.name ? `${opts.name}: ` : ""}${text}\n`);
  return {
    bar: (label, total) => (quiet || !tty ? silent : terminalBar(opts.name ? `${opts.name} ${label}` : label, total)),
    line: (text) => {
      if (!quiet && !tty) write(text);
    },
    log: (text) => {
      if (!quiet) write(text);
    },
  };
}

/** A cli-progress bar on stderr (a terminal). */
function terminalBar(label: string, total: number): Progress {
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] {value}/{total} {percentage}% eta {eta_formatted} {info}`, hideCursor: true, clearOnComplete: false },
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

/** A tick of a run: work inside the current unit moved on, `done` of `total` (the run contract's Tick). */
export interface TickEvent {
  kind: "tick";
  /** What is counted, e.g. "epoch 3/50": a new label starts a new bar. */
  label: string;
  done: number;
  total: number;
  info?: string;
}

/**
 * Runs `run` with its progress drawn into `sink`: `run` gets `show`, to call with each progress
 * event of the experiment. Ticks move a bar per label: it opens at the label's first tick and
 * closes when it completes, when another label starts, or when `run` ends, however it ends. Every
 * other event U becomes the line `lineOf(event)`: a finished unit's where no bar shows it, a started
 * step's everywhere.
 */
export async function withProgress<U extends { kind: "unit" | "step" }, T>(
  sink: ProgressSink,
  lineOf: (e: U) => string,
  run: (show: (e: TickEvent | U) => void) => Promise<T>,
): Promise<T> {
  let bar: Progress | null = null;
  let current = "";
  const stop = () => {
    bar?.stop();
    bar = null;
  };
  try {
    return await run((e) => {
      if (e.kind !== "tick") {
        if (e.kind === "unit") sink.line(lineOf(e));
        else sink.log(lineOf(e));
        return;
      }
      if (bar && e.label !== current) stop();
      if (!bar) {
        bar = sink.bar(e.label, e.total);
        current = e.label;
      }
      bar.update(e.done, e.info);
      if (e.done === e.total) stop();
    });
  } finally {
    stop();
  }
}
