// `emlab report`'s orchestration: run the selected stages in order, each into its own directory
// of --out, skipping a stage whose stage.json holds the same configuration (canonical JSON), then
// render report.html and report.md from the stage.json files. A stage's stage.json is removed
// when it starts and written last, atomically, so a directory never claims a run it did not finish.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.js";
import { UserError } from "../util/errors.js";
import { progressOutput, type ProgressSink } from "../util/progress.js";
import { canonicalJson } from "./canonical.js";
import { reportContent, type StageState } from "./content.js";
import { environment } from "./environment.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import type { Mode, Stage, StageRecord } from "./stage.js";
import { STAGES } from "./stages/index.js";

/** The checked flags of `emlab report`. */
export interface ReportOptions {
  out: string;
  mode: Mode;
  force: boolean;
  /** Stage ids to run (in any order; they run in STAGES order). */
  only: string[];
  seed: number;
  threads: number;
}

/** What this invocation did with a selected stage. */
export interface StageOutcome {
  id: string;
  status: "ran" | "up to date";
  seconds: number;
  dir: string;
}

/** The outcome of runReport: per selected stage, the report files, total wall seconds. */
export interface ReportResult {
  stages: StageOutcome[];
  files: string[];
  seconds: number;
}

/** The record a finished stage writes last into its directory. */
const STAGE_FILE = "stage.json";

/** The finished record of `stage` in `out` when its config equals `config`, else undefined. */
function readStageRecord<C, R>(out: string, stage: Stage<C, R>, config: C): StageRecord<C, R> | undefined {
  const path = join(out, stage.dirName, STAGE_FILE);
  if (!existsSync(path)) return undefined;
  try {
    // written by this stage under this config (checked below), so its result is an R
    const rec: StageRecord<C, R> = JSON.parse(readFileSync(path, "utf8"));
    const same = rec.finished === true && rec.stage === stage.id && canonicalJson(rec.config) === canonicalJson(config);
    return same ? rec : undefined;
  } catch {
    return undefined; // a damaged stage.json means: not finished
  }
}

/** Runs one selected stage (or finds it up to date) and writes its stage.json. */
async function runStage<C, R>(stage: Stage<C, R>, o: ReportOptions, progress: ProgressSink): Promise<StageOutcome> {
  const log = (line: string) => progress.log(line);
  const config = stage.config(o.mode, o.seed);
  const dir = join(o.out, stage.dirName);
  const cached = o.force ? undefined : readStageRecord(o.out, stage, config);
  if (cached) {
    log(`${stage.id}: up to date (${dir}), skipping`);
    return { id: stage.id, status: "up to date", seconds: 0, dir };
  }
  rmSync(join(dir, STAGE_FILE), { force: true });
  const start = performance.now();
  const result = await stage.run(config, {
    out: o.out,
    dir,
    threads: o.threads,
    force: o.force,
    log: (line) => log(`  ${stage.id}: ${line}`),
    bar: (label, total) => progress.bar(`  ${stage.id} ${label}`, total),
  });
  const seconds = (performance.now() - start) / 1000;
  const record: StageRecord<C, R> = { stage: stage.id, title: stage.title, dir: stage.dirName, config, runtime: { threads: o.threads }, result, seconds, finishedAt: new Date().toISOString(), finished: true };
  writeJsonAtomic(join(dir, STAGE_FILE), record);
  log(`${stage.id}: done in ${seconds.toFixed(1)} s`);
  return { id: stage.id, status: "ran", seconds, dir };
}

/** A stage under the current settings, as the report shows it: config, finished record (if any), commands. */
function stageState<C, R>(stage: Stage<C, R>, o: ReportOptions): StageState {
  const config = stage.config(o.mode, o.seed);
  const rec = readStageRecord(o.out, stage, config);
  return {
    id: stage.id,
    title: stage.title,
    dirName: stage.dirName,
    question: stage.question,
    config,
    reduction: stage.reduction(o.mode),
    finished: rec && {
      dir: rec.dir,
      seconds: rec.seconds,
      secondsBeforeRestart: stage.secondsBeforeRestart?.(rec.result) ?? 0,
      finishedAt: rec.finishedAt,
      threads: rec.runtime.threads,
      present: (view) => stage.present(rec, view),
    },
    commands: (dir, threads) => stage.commands(config, dir, threads),
  };
}

/** Run the selected stages (cached ones skipped) and write report.html and report.md into o.out; progress goes to `progress` (stderr). */
export async function runReport(o: ReportOptions, progress: ProgressSink = progressOutput()): Promise<ReportResult> {
  const log = (line: string) => progress.log(line);
  const t0 = performance.now();
  const selected = STAGES.filter((s) => o.only.includes(s.id));
  // a stage that reads another's outputs needs it finished (now or earlier) under the current config
  for (const s of selected) {
    for (const need of s.needs) {
      if (o.only.includes(need)) continue;
      const finished = STAGES.find((x) => x.id === need)!.open((n) => readStageRecord(o.out, n, n.config(o.mode, o.seed)) !== undefined);
      if (!finished) throw new UserError(`--only: stage ${s.id} needs stage ${need} finished in ${o.out} with the same settings (add ${need} to --only)`);
    }
  }

  const outcomes: StageOutcome[] = [];
  for (const [i, def] of selected.entries()) {
    log(`[${i + 1}/${selected.length}] ${def.id} ${def.title} …`);
    outcomes.push(await def.open((stage) => runStage(stage, o, progress)));
  }

  const stages = STAGES.map((def) => def.open((stage) => stageState(stage, o)));
  const content = reportContent({ options: o, stages, outcomes, env: environment() });
  const files = [join(o.out, "report.html"), join(o.out, "report.md")];
  writeFileAtomic(files[0], renderHtml(content));
  writeFileAtomic(files[1], renderMarkdown(content));
  log(`wrote ${files.join(", ")}`);
  return { stages: outcomes, files, seconds: (performance.now() - t0) / 1000 };
}
