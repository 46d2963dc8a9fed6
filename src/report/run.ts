// `emlab report`'s orchestration: run the selected stages in order, each into its own directory
// of --out, skipping a stage whose stage.json holds the same configuration (canonical JSON), then
// render report.html and report.md from the stage.json files. A stage's stage.json is removed
// when it starts and written last, atomically, so a directory never claims a run it did not finish.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.js";
import { UserError } from "../util/errors.js";
import { progress } from "../util/progress.js";
import { canonicalJson } from "./canonical.js";
import { reportContent } from "./content.js";
import { environment } from "./environment.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import { NEEDS, STAGES, stageById, type Mode, type StageDef, type StageId } from "./stages.js";

/** The checked flags of `emlab report`. */
export interface ReportOptions {
  out: string;
  mode: Mode;
  force: boolean;
  /** Stages to run (in any order; they run in STAGES order). */
  only: StageId[];
  seed: number;
  threads: number;
}

/** stage.json: written last by a finished stage. */
export interface StageRecord<R = any> {
  stage: StageId;
  title: string;
  dir: string;
  /** The cache key: the stage runs again when this differs from the current one. */
  config: unknown;
  /** Settings that do not change the results (thread counts). */
  runtime: { threads: number };
  result: R;
  /** Wall seconds of the run that finished the stage (a continued training run: that run only). */
  seconds: number;
  finishedAt: string;
  finished: true;
}

/** What this invocation did with a selected stage. */
export interface StageOutcome {
  id: StageId;
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
export const STAGE_FILE = "stage.json";

/** The stage's directory under out. */
export function stageDir(out: string, def: StageDef): string {
  return join(out, def.dirName);
}

/** The finished record of `def` in `out` when its config equals `config`, else undefined. */
export function readStageRecord(out: string, def: StageDef, config: unknown): StageRecord | undefined {
  const path = join(stageDir(out, def), STAGE_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const rec = JSON.parse(readFileSync(path, "utf8")) as StageRecord;
    const same = rec.finished === true && rec.stage === def.id && canonicalJson(rec.config) === canonicalJson(config);
    return same && (def.stillValid?.(rec.result) ?? true) ? rec : undefined;
  } catch {
    return undefined; // a damaged stage.json means: not finished
  }
}

/** Run the selected stages (cached ones skipped) and write report.html and report.md into o.out. */
export async function runReport(o: ReportOptions, log: (line: string) => void = (l) => process.stderr.write(l + "\n")): Promise<ReportResult> {
  const t0 = performance.now();
  const selected = STAGES.filter((s) => o.only.includes(s.id));
  const configs = new Map(STAGES.map((s) => [s.id, s.config(o.mode, o.seed)]));
  // a stage that reads another's outputs needs it finished (now or earlier) under the current config
  for (const s of selected) {
    for (const need of NEEDS[s.id] ?? []) {
      if (o.only.includes(need)) continue;
      if (!readStageRecord(o.out, stageById(need), configs.get(need))) {
        throw new UserError(`--only: stage ${s.id} needs stage ${need} finished in ${o.out} with the same settings (add ${need} to --only)`);
      }
    }
  }

  const outcomes: StageOutcome[] = [];
  for (const [i, def] of selected.entries()) {
    const config = configs.get(def.id);
    const dir = stageDir(o.out, def);
    log(`[${i + 1}/${selected.length}] ${def.id} ${def.title} …`);
    const cached = o.force ? undefined : readStageRecord(o.out, def, config);
    if (cached) {
      log(`${def.id}: up to date (${dir}), skipping`);
      outcomes.push({ id: def.id, status: "up to date", seconds: 0, dir });
      continue;
    }
    rmSync(join(dir, STAGE_FILE), { force: true });
    const start = performance.now();
    const result = await def.run(config, {
      out: o.out,
      dir,
      threads: o.threads,
      force: o.force,
      log: (line) => log(`  ${def.id}: ${line}`),
      bar: (label, total) => progress(`  ${def.id} ${label}`, total),
    });
    const seconds = (performance.now() - start) / 1000;
    const record: StageRecord = { stage: def.id, title: def.title, dir: def.dirName, config, runtime: { threads: o.threads }, result, seconds, finishedAt: new Date().toISOString(), finished: true };
    writeJsonAtomic(join(dir, STAGE_FILE), record);
    log(`${def.id}: done in ${seconds.toFixed(1)} s`);
    outcomes.push({ id: def.id, status: "ran", seconds, dir });
  }

  const records = new Map<StageId, StageRecord>();
  for (const def of STAGES) {
    const rec = readStageRecord(o.out, def, configs.get(def.id));
    if (rec) records.set(def.id, rec);
  }
  const content = reportContent({ options: o, records, outcomes, env: environment(), configs });
  const files = [join(o.out, "report.html"), join(o.out, "report.md")];
  writeFileAtomic(files[0], renderHtml(content));
  writeFileAtomic(files[1], renderMarkdown(content));
  log(`wrote ${files.join(", ")}`);
  return { stages: outcomes, files, seconds: (performance.now() - t0) / 1000 };
}
