// The run contract of every experiment (gmm-sweep, mnist, vae, gan, and src/compare): the module
// exports its defaults once (`<NAME>_DEFAULTS`) and one `run<Name>(config, options)` that reads
// its inputs, checks them (a UserError naming the flag), computes, and writes every output into
// `options.out`. The CLI, the report and the benches call that function and nothing else.

/** Work inside the current unit moved on: `done` of `total` (what a progress bar shows). */
export interface Tick {
  kind: "tick";
  /** What is being counted, e.g. "epoch 3/50" (a new label starts a new bar). */
  label: string;
  done: number;
  total: number;
  /** A short note shown after the bar, e.g. the running loss. */
  info?: string;
}

/** A unit of the run finished (a K of a sweep, an epoch): `done` of `total` units, with its record. */
export interface UnitDone<U> {
  kind: "unit";
  done: number;
  total: number;
  record: U;
}

/** A step of a run without countable units begins (compare: loading MNIST, the classifier, …), `index` of `total` (1-based). */
export interface StepStart {
  kind: "step";
  step: string;
  index: number;
  total: number;
}

/**
 * The options of every experiment's run, with its progress events E. `Resumable` says by type
 * whether the experiment can continue an interrupted run: only then may `resume` be given.
 */
export interface RunOptions<E, Resumable extends boolean = false> {
  /** Output directory: the run writes every file here (atomically, after its inputs are checked). */
  out: string;
  /** Continue the run checkpointed in `out` (with the same numbers as an uninterrupted run). */
  resume?: Resumable extends true ? boolean : never;
  /** Progress, for bars and log lines; the run's results do not depend on it. */
  onProgress?: (event: E) => void;
}
