// The report's content, assembled once from the stages under the current settings (their
// configs, their finished records and the files next to them) and this invocation's outcomes:
// each stage's section comes from its own module (stages/<stage>.ts); the sections on timings,
// configuration, versions and reproduction are built here. Every string is plain text; escaping
// is the renderers' job (html.ts, markdown.ts).
import { join, resolve } from "node:path";
import { kListText } from "../util/k-list.js";
import { FigureReader, fx, type Block, type ReportContent, type Section } from "./blocks.js";
import type { Environment } from "./environment.js";
import type { ReportOptions, StageOutcome } from "./run.js";
import { REPORT_DEFAULTS, shellQuote, type StageView } from "./stage.js";
import { mnistStage } from "./stages/mnist.js";
import { vaeStage } from "./stages/vae.js";

/** A stage under the current settings, its types sealed in (run.ts builds it with Stage.open). */
export interface StageState {
  id: string;
  title: string;
  dirName: string;
  question: string;
  /** The cache key under the current settings (shown in the configuration section). */
  config: unknown;
  /** What the mode reduces, one sentence; undefined when nothing. */
  reduction: string | undefined;
  /** The finished record whose config equals the current one, if any. */
  finished?: {
    /** The stage directory, relative to --out. */
    dir: string;
    seconds: number;
    /** Seconds computed before a restart (a continued training run), not in `seconds`. */
    secondsBeforeRestart: number;
    finishedAt: string;
    threads: number;
    /** The stage's blocks from its record. */
    present(view: StageView): Block[];
  };
  /** The stand-alone commands that compute the same outputs into `dir`. */
  commands(dir: string, threads: number): string[];
}

/** What the report is assembled from: the options, every stage under the current settings, this invocation's outcomes, the environment. */
export interface ContentInput {
  options: ReportOptions;
  stages: StageState[];
  outcomes: StageOutcome[];
  env: Environment;
}

function notRun(s: StageState, o: ReportOptions): Block[] {
  const selected = o.only.includes(s.id);
  return [
    {
      kind: "p",
      role: "warning",
      text: selected
        ? `Stage ${s.id} did not finish in this run.`
        : `Stage ${s.id} was not part of this run (--only) and ${o.out} holds no finished result of it with these settings. ` +
          `Run \`npm start -- --out ${shellQuote(o.out)}${o.mode === "full" ? "" : ` --${o.mode}`} --only ${s.id}\` to add it.`,
    },
  ];
}

// ---------------------------------------------------------------------------------------
// timings, configuration, versions, reproduction

function timingBlocks(input: ContentInput): Block[] {
  const { options: o, stages, outcomes } = input;
  let total = 0;
  const rows = stages.map((s) => {
    const rec = s.finished;
    const now = outcomes.find((x) => x.id === s.id);
    const status = now ? (now.status === "ran" ? "ran now" : "up to date (cached)") : rec ? "not selected (earlier result)" : "not run";
    // a training run continued from a checkpoint adds the epochs computed before the restart
    const earlier = rec ? rec.secondsBeforeRestart : 0;
    const secs = rec ? rec.seconds + earlier : 0;
    total += secs;
    return [s.id, s.title, status, rec ? `${fx(secs, 1)}${earlier > 0 ? ` (${fx(earlier, 1)} before a restart)` : ""}` : "—", rec ? rec.finishedAt : "—", rec ? String(rec.threads) : "—"];
  });
  rows.push(["", "all stages", "", fx(total, 1), "", ""]);
  return [
    {
      kind: "table",
      caption: "Wall seconds of each stage (a cached stage keeps the time of the run that computed it; a continued training run adds the epochs before the restart).",
      head: ["stage", "", "this invocation", "seconds", "finished at (UTC)", "threads"],
      numeric: [false, false, false, true, false, true],
      rows,
    },
    {
      kind: "p",
      role: o.mode === "full" ? undefined : "note",
      text:
        o.mode === "full"
          ? `Total ${fx(total / 60, 1)} minutes on ${input.env.cores} cores (${input.env.cpuModel}); the budget for the assignment's settings is 25 minutes on a 2-core machine.`
          : `These are ${o.mode}-mode times; they do not show the time of a full run.`,
    },
  ];
}

/** Indented JSON with arrays of numbers kept on one line. */
function compactJson(v: unknown): string {
  return JSON.stringify(v, null, 2).replace(/\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g, (_, list: string) => `[${list.split(/,\s*/).join(", ")}]`);
}

function configBlocks(input: ContentInput): Block[] {
  const { options: o } = input;
  const blocks: Block[] = [
    {
      kind: "table",
      head: ["setting", "value"],
      rows: [
        ["mode", o.mode === "full" ? "full (the assignment's settings)" : `${o.mode} (reduced settings, see the box at the top)`],
        ["output directory", o.out],
        ["seed", String(o.seed)],
        ["threads", String(o.threads)],
        ["stages run", o.only.join(", ")],
      ],
    },
    { kind: "p", text: "Each stage's configuration (the cache key in its stage.json; thread counts and paths are not part of it because they do not change the results):" },
  ];
  for (const s of input.stages) blocks.push({ kind: "markdown", title: `${s.id} ${s.title}`, md: "```json\n" + compactJson(s.config) + "\n```" });
  return blocks;
}

function versionBlocks(env: Environment): Block[] {
  return [
    {
      kind: "table",
      head: ["", "version"],
      rows: [
        ["emlab", env.emlab],
        ["git commit", env.git],
        ["Node.js", env.node],
        ["onnxruntime-node", env.onnxruntimeNode],
        ["assemblyscript", env.assemblyscript],
        ["marked (Markdown in this page)", env.marked],
        ["CPU", `${env.cpuModel}, ${env.cores} cores available`],
        ["memory", `${env.memoryGiB} GiB`],
        ["operating system", env.os],
      ],
    },
  ];
}

function reproduceBlocks(input: ContentInput): Block[] {
  const o = input.options;
  const modeFlag = o.mode === "full" ? "" : ` --${o.mode}`;
  const only = o.only.length === input.stages.length ? "" : ` --only ${o.only.join(",")}`;
  const main = `node build/src/cli/main.js report --out ${shellQuote(o.out)}${modeFlag}${only} --seed ${o.seed} --threads ${o.threads}`;
  const lines = [
    "npm install            # dependencies, then builds build/core.wasm and the TypeScript",
    o.mode === "full" && only === "" && o.seed === REPORT_DEFAULTS.seed && o.out === REPORT_DEFAULTS.out ? "npm start              # = node build/src/cli/main.js report" : `npm start -- --out ${shellQuote(o.out)}${modeFlag}${only} --seed ${o.seed} --threads ${o.threads}`,
    `# the same, without npm:`,
    main,
  ];
  const stageLines: string[] = [];
  for (const s of input.stages) {
    stageLines.push(`# ${s.id} ${s.title}`);
    stageLines.push(...s.commands(join(o.out, s.dirName), o.threads));
  }
  return [
    { kind: "p", text: "From a checkout of the repository, with Node 20 or newer:" },
    { kind: "code", text: lines.join("\n") },
    {
      kind: "p",
      text:
        "A stage whose stage.json holds the same configuration is not run again; --force reruns it; an interrupted run continues where it stopped (the VAE and the GAN from their per-epoch checkpoints). " +
        "Each stage can also be run on its own with the command below (the same outputs, without the report):",
    },
    { kind: "code", text: stageLines.join("\n") },
    { kind: "p", text: "Every random number comes from seeded generators, so the same commands give the same numbers (timings aside)." },
  ];
}

// ---------------------------------------------------------------------------------------
// the report

/** Assemble the report from the stages' records and the files in --out. */
export function reportContent(input: ContentInput): ReportContent {
  const { options: o } = input;
  const view: StageView = { out: o.out, figs: new FigureReader(o.out) };
  const figs = view.figs;
  const sections: Section[] = [];
  for (const s of input.stages) {
    const rec = s.finished;
    const blocks: Block[] = [{ kind: "p", role: "question", text: s.question }];
    const before = figs.missing.length;
    blocks.push(...(rec ? rec.present(view) : notRun(s, o)));
    if (figs.missing.length > before) {
      blocks.push({ kind: "p", role: "warning", text: `Missing figure files: ${figs.missing.slice(before).join(", ")}.` });
    }
    if (rec) blocks.push({ kind: "p", role: "note", text: `Files: ${join(o.out, rec.dir)} (stage.json, figures, tables as JSON). Computed in ${fx(rec.seconds, 1)} s, finished ${rec.finishedAt}.` });
    sections.push({ id: s.id, title: `${s.id}. ${s.title}`, blocks });
  }
  sections.push({ id: "timings", title: "Timings", blocks: timingBlocks(input) });
  sections.push({ id: "configuration", title: "Configuration", blocks: configBlocks(input) });
  sections.push({ id: "versions", title: "Versions and machine", blocks: versionBlocks(input.env) });
  sections.push({ id: "reproduce", title: "How to reproduce", blocks: reproduceBlocks(input) });

  const reduced = input.stages.flatMap((s) => (s.reduction === undefined ? [] : [s.reduction]));
  const full = { ks: mnistStage.config("full", o.seed).sweep.ks, epochs: vaeStage.config("full", o.seed).epochs };
  return {
    title: "emlab: Gaussian mixtures, MNIST, VAE and GAN",
    subtitle: `${o.mode === "full" ? "Full run at the assignment's settings" : `${o.mode === "quick" ? "Quick" : "Tiny (test)"} run at reduced settings`}, seed ${o.seed}, computed into ${resolve(o.out)}; page written ${new Date().toISOString()}.`,
    banner:
      o.mode === "full"
        ? undefined
        : {
            title: `This is a ${o.mode} run: a first look, not the assignment's results. Reduced:`,
            items: [...reduced, `Run \`npm start\` (without --${o.mode}) for the assignment's settings: K = ${kListText(full.ks)}, all of MNIST, ${full.epochs} epochs.`],
          },
    sections,
  };
}
