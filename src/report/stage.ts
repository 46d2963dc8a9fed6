// The contract of a stage of `emlab report`, one per exercise (src/report/stages/<stage>.ts):
// what it asks, its configuration in each mode (full = the assignment's settings, quick = a
// first look in minutes, tiny = the test suite's), how it runs (by calling an experiment's
// run), the summary it leaves in stage.json, the equivalent stand-alone CLI commands, and how
// the report presents its record. One module holds all of it, typed by the stage's config C
// and result R; the stage list (stages/index.ts) seals those types in with stageEntry.
import type { Progress } from "../util/progress.js";
import type { Block, FigureReader } from "./blocks.js";

/** Settings: the assignment's (full), a first look (quick), the test suite's (tiny). */
export type Mode = "full" | "quick" | "tiny";

/** Defaults of `emlab report` (= `npm start`): the output directory and the seed of every stage. */
export const REPORT_DEFAULTS = { out: "out", seed: 1 } as const;

/** What a stage may use while it runs. */
export interface StageContext {
  /** The report's --out. */
  out: string;
  /** This stage's directory (out/<id>-<name>). */
  dir: string;
  threads: number;
  /** --force: start afresh even where a checkpoint could be continued. */
  force: boolean;
  /** One line of progress on stderr, on a terminal too (prefixed with the stage id by the caller; silent with --quiet). */
  log(line: string): void;
  /** A progress bar on stderr (drawn only on a terminal, and not with --quiet). */
  bar(label: string, total: number): Progress;
}

/** stage.json: written last by a finished stage. */
export interface StageRecord<C, R> {
  stage: string;
  title: string;
  dir: string;
  /** The cache key: the stage runs again when this differs from the current one. */
  config: C;
  /** Settings that do not change the results (thread counts). */
  runtime: { threads: number };
  result: R;
  /** Wall seconds of the run that finished the stage (a continued training run: that run only). */
  seconds: number;
  finishedAt: string;
  finished: true;
}

/** What a stage's presentation reads besides its record: the report's --out and its figures. */
export interface StageView {
  out: string;
  figs: FigureReader;
}

/** One stage, typed by its configuration C (the cache key) and its stage.json summary R. */
export interface Stage<C, R> {
  /** "1a" … "2c": the exercise, the --only choice, the report's section anchor. */
  readonly id: string;
  /** Directory name under --out. */
  readonly dirName: string;
  readonly title: string;
  /** The exercise's question in a sentence. */
  readonly question: string;
  /** Stages whose outputs this one reads: they must be finished under the current settings first. */
  readonly needs?: readonly string[];
  /** The configuration that decides whether a finished stage is up to date (no thread counts, no paths). */
  config(mode: Mode, seed: number): C;
  /** What `mode` reduces relative to the full settings, as one sentence; undefined when nothing. */
  reduction(mode: Mode): string | undefined;
  /** Run the stage, writing its files into ctx.dir; returns the summary kept in stage.json. */
  run(config: C, ctx: StageContext): Promise<R>;
  /** The stand-alone emlab commands that compute the same outputs into `dir`. */
  commands(config: C, dir: string, threads: number): string[];
  /** The report's blocks for a finished stage (content.ts adds the question, missing figures and the files note). */
  present(record: StageRecord<C, R>, view: StageView): Block[];
  /** Wall seconds spent on `result` before a restart (a training run continued from its checkpoint); 0 when none. */
  secondsBeforeRestart?(result: R): number;
}

/** A stage with its config and result types sealed in: what the stage list holds. */
export interface StageEntry {
  readonly id: string;
  readonly dirName: string;
  readonly title: string;
  readonly question: string;
  readonly needs: readonly string[];
  /** Calls `use` with the typed stage: code written once for every Stage<C, R>. */
  open<T>(use: <C, R>(stage: Stage<C, R>) => T): T;
}

/** Seal a stage's types in, for the stage list. */
export function stageEntry<C, R>(stage: Stage<C, R>): StageEntry {
  const { id, dirName, title, question, needs = [] } = stage;
  return { id, dirName, title, question, needs, open: (use) => use(stage) };
}

// ---------------------------------------------------------------------------------------
// the stand-alone commands

/** The CLI as the report's commands call it (from a checkout, after `npm install`). */
export const EMLAB = "node build/src/cli/main.js";

/** Quote a word for a POSIX shell when it needs it. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** ` --limit N --test-limit M` for the limits that are set. */
export function limitFlags(limit?: number, testLimit?: number): string {
  return [limit === undefined ? "" : ` --limit ${limit}`, testLimit === undefined ? "" : ` --test-limit ${testLimit}`].join("");
}

/** "all 60000" or "3000 of 60000": how many of `all` images a limit keeps. */
export function images(limit: number | undefined, all: number): string {
  return limit === undefined ? `all ${all}` : `${limit} of ${all}`;
}

/** The file name of a path. */
export const baseName = (p: string) => p.split(/[\\/]/).pop()!;
