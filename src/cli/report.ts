// `emlab report` (and `npm start`): every exercise as one reproducible run, written up as a
// self-contained report.html and a report.md in --out. Stages are cached by configuration;
// see docs/report.md.
import { GAN_EXACT_THREADS } from "../experiments/gan.js";
import { defaultThreads } from "../parallel/pool.js";
import { runReport, type ReportOptions } from "../report/run.js";
import { REPORT_DEFAULTS, type Mode } from "../report/stage.js";
import { SWEEP_THREADS } from "../report/stages/gmm.js";
import { STAGE_IDS } from "../report/stages/index.js";
import { UserError } from "../util/errors.js";
import { acquireOutLock } from "../util/lock.js";
import { progressOutput } from "../util/progress.js";
import { numberOption, parseChoice, parseNumberFlag, parseOutFlag, parseStringFlag, parseThreadsFlag, SEED_RULE, threadsOption, type Command } from "./args.js";

interface ReportArgs {
  out: string;
  quick: boolean;
  tiny: boolean;
  force: boolean;
  only?: string;
  seed: string | number;
  threads?: string;
  json: boolean;
}

/** "1a,2c" → stage ids in run order; an unknown id names the flag. */
export function parseOnly(raw: unknown): string[] {
  if (raw === undefined) return [...STAGE_IDS];
  const text = parseStringFlag("only", raw);
  const ids = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (ids.length === 0) throw new UserError(`--only: '${text}' names no stage (use e.g. 1a,1b or 2a,2b,2c)`);
  for (const id of ids) parseChoice("only", id, STAGE_IDS);
  return STAGE_IDS.filter((id) => ids.includes(id));
}

/** Check every flag; throws a UserError naming the first bad one. */
function reportOptions(a: ReportArgs): ReportOptions {
  if (a.quick && a.tiny) throw new UserError("--quick and --tiny: choose one");
  const out = parseOutFlag(a.out);
  const mode: Mode = a.tiny ? "tiny" : a.quick ? "quick" : "full";
  return {
    out,
    mode,
    force: a.force,
    only: parseOnly(a.only),
    seed: parseNumberFlag("seed", a.seed, SEED_RULE),
    threads: parseThreadsFlag(a.threads, defaultThreads()),
  };
}

/** The yargs module of `emlab report`. */
export const reportCommand: Command<ReportArgs> = {
  command: "report",
  describe: "run every exercise (cached by configuration) and write OUT/report.html and OUT/report.md",
  builder: (y) =>
    y
      .option("out", { type: "string", default: REPORT_DEFAULTS.out, describe: "output directory (one subdirectory per stage, report.html, report.md)" })
      .option("quick", { type: "boolean", default: false, describe: "small settings for a first look in a few minutes (the report says what was reduced)" })
      .option("tiny", { type: "boolean", default: false, hidden: true, describe: "tiny settings, for the test suite only" })
      .option("force", { type: "boolean", default: false, describe: "rerun the selected stages even when up to date (training starts afresh)" })
      .option("only", { type: "string", describe: `stages to run, comma-separated: ${STAGE_IDS.join(",")} (default: all)` })
      .option("seed", numberOption("random seed of every stage", SEED_RULE, REPORT_DEFAULTS.seed))
      .option(
        "threads",
        threadsOption(
          `threads of the MNIST fits (1b), onnxruntime (2a, 2b) and the comparison (2c); stage 1a always runs on ${SWEEP_THREADS}, ` +
            `faster on its 3000 rows than starting workers, and 2b on at most ${GAN_EXACT_THREADS}, with which its losses are the same bits as with one; ` +
            "every number is identical for any count",
          defaultThreads(),
        ),
      )
      .option("json", { type: "boolean", default: false, describe: "print one JSON document on stdout" }) as any,
  examples: [
    ["$0 report", "every exercise at the assignment's settings into out/ (≈ 20 minutes on 2 cores); npm start"],
    ["$0 report --quick --out out-quick", "a first look at small settings (the page says what was reduced)"],
    ["$0 report --only 1a,1b --force", "rerun some stages"],
  ],
  handler: async (a) => {
    const o = reportOptions(a);
    // one lock for the whole tree: the stages write into subdirectories of --out and lock nothing here
    acquireOutLock(o.out, "report");
    const r = await runReport(o, progressOutput({ quiet: a.quiet }));
    if (a.json) {
      process.stdout.write(JSON.stringify({ out: o.out, mode: o.mode, seed: o.seed, threads: o.threads, stages: r.stages, files: r.files, seconds: r.seconds }) + "\n");
      return;
    }
    for (const s of r.stages) process.stdout.write(`${s.id}  ${s.status === "ran" ? `ran in ${s.seconds.toFixed(1)} s` : "up to date"}  ${s.dir}\n`);
    process.stdout.write(`report: ${r.files.join(", ")} (${r.seconds.toFixed(1)} s)\n`);
  },
};
