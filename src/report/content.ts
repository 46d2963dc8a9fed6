// The report's content as data: sections of blocks (headings, paragraphs, tables, figures,
// Markdown from docs/), assembled once from the stages' stage.json files and the files next to
// them, then rendered by html.ts and markdown.ts. Every string here is plain text; escaping is
// the renderers' job. Node only (reads the figures and docs from disk).
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { packageRoot } from "../data/datasets.js";
import type { Environment } from "./environment.js";
import { markdownSections } from "./md-to-html.js";
import type { ReportOptions, StageOutcome, StageRecord } from "./run.js";
import {
  MODES, STAGES, kListText, reductions, shellQuote,
  type CompareStageResult, type GanStageResult, type GmmStageResult, type MnistRunSummary, type MnistStageResult, type StageDef, type StageId, type VaeStageResult,
} from "./stages.js";

// ---------------------------------------------------------------------------------------
// the block model

/** A figure: an SVG file inlined, or a PNG embedded; `path` is relative to --out (report.md links it). */
export type Figure = { kind: "svg"; path: string; svg: string; caption: string } | { kind: "png"; path: string; data: Uint8Array; caption: string; alt: string; width: number };

/** One piece of a section; all text is plain (backtick spans become code), the renderers escape it. */
export type Block =
  | { kind: "heading"; text: string }
  | { kind: "p"; text: string; role?: "question" | "note" | "warning" }
  | { kind: "list"; items: string[] }
  | { kind: "table"; caption?: string; head: string[]; rows: string[][]; numeric?: boolean[] }
  /** "grid": several image grids at a reduced size, side by side (the per-epoch samples). */
  | { kind: "figures"; items: Figure[]; layout?: "grid" }
  | { kind: "markdown"; md: string; title?: string }
  | { kind: "code"; text: string };

/** A top-level section of the report; `id` is its anchor (1a … 2c, timings, configuration, versions, reproduce). */
export interface Section {
  id: string;
  title: string;
  blocks: Block[];
}

/** The whole report, rendered by renderHtml and renderMarkdown. */
export interface ReportContent {
  title: string;
  /** One line under the title: mode, date, output directory. */
  subtitle: string;
  /** Shown in a box at the top for quick runs: what was reduced. */
  banner?: { title: string; items: string[] };
  sections: Section[];
}

/** What the report is assembled from: the options, the finished stages' records, this invocation's outcomes, the environment, every stage's current config. */
export interface ContentInput {
  options: ReportOptions;
  records: Map<StageId, StageRecord>;
  outcomes: StageOutcome[];
  env: Environment;
  configs: Map<StageId, unknown>;
}

// ---------------------------------------------------------------------------------------
// helpers

const fx = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : String(v));
const pct = (v: number) => `${(100 * v).toFixed(2)} %`;

/** An SVG we inline must be a plain drawing: no scripts, event handlers, foreign content or external references. */
export function safeSvg(svg: string): boolean {
  const body = svg.replace(/^\s*<\?xml[^>]*\?>\s*/, "");
  return body.startsWith("<svg") && !/<script|<foreignObject|\son[a-z]+\s*=|javascript:|href\s*=\s*["']?(?!#)/i.test(body);
}

/** Reads the figures of a stage; a missing or unsafe file becomes a warning paragraph. */
class FigureReader {
  constructor(private readonly out: string) {}
  readonly missing: string[] = [];

  svg(rel: string, caption: string): Figure | undefined {
    const path = join(this.out, rel);
    if (!existsSync(path)) return this.miss(rel);
    const svg = readFileSync(path, "utf8").replace(/^\s*<\?xml[^>]*\?>\s*/, "");
    if (!safeSvg(svg)) return this.miss(`${rel} (not a plain SVG drawing; not inlined)`);
    return { kind: "svg", path: rel, svg, caption };
  }

  png(rel: string, caption: string, alt: string): Figure | undefined {
    const path = join(this.out, rel);
    if (!existsSync(path)) return this.miss(rel);
    const data = new Uint8Array(readFileSync(path));
    // PNG signature and IHDR width (bytes 16..19, big-endian)
    const sig = [137, 80, 78, 71, 13, 10, 26, 10];
    if (data.length < 24 || sig.some((b, i) => data[i] !== b)) return this.miss(`${rel} (not a PNG file)`);
    const width = ((data[16] << 24) | (data[17] << 16) | (data[18] << 8) | data[19]) >>> 0;
    return { kind: "png", path: rel, data, caption, alt, width };
  }

  private miss(rel: string): undefined {
    this.missing.push(rel);
    return undefined;
  }
}

function figures(...items: (Figure | undefined)[]): Block {
  return { kind: "figures", items: items.filter((f): f is Figure => f !== undefined) };
}

function grids(items: (Figure | undefined)[]): Block {
  return { kind: "figures", layout: "grid", items: items.filter((f): f is Figure => f !== undefined) };
}

/** Read docs/<name>; undefined when absent. */
function readDoc(name: string): string | undefined {
  const path = join(packageRoot(), "docs", name);
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

/** The sections of docs/<name> whose `##` titles match, as Markdown blocks (or a note saying what is missing). */
function docSections(name: string, pattern: RegExp): Block[] {
  const md = readDoc(name);
  if (md === undefined) return [{ kind: "p", role: "warning", text: `docs/${name} is not in this checkout.` }];
  const sections = markdownSections(md, pattern);
  if (sections.length === 0) return [{ kind: "p", role: "warning", text: `docs/${name} has no section matching ${pattern}.` }];
  return sections.map((s) => ({ kind: "markdown", title: s.title, md: s.body }) as Block);
}

function notRun(def: StageDef, o: ReportOptions): Block[] {
  const selected = o.only.includes(def.id);
  return [
    {
      kind: "p",
      role: "warning",
      text: selected
        ? `Stage ${def.id} did not finish in this run.`
        : `Stage ${def.id} was not part of this run (--only) and ${o.out} holds no finished result of it with these settings. ` +
          `Run \`npm start -- --out ${shellQuote(o.out)}${o.mode === "full" ? "" : ` --${o.mode}`} --only ${def.id}\` to add it.`,
    },
  ];
}

// ---------------------------------------------------------------------------------------
// 1a

function gmmBlocks(rec: StageRecord<GmmStageResult>, out: string, figs: FigureReader): Block[] {
  const r = rec.result;
  const dir = rec.dir;
  const m = r.model;
  const names = Array.from({ length: r.data.d }, (_, j) => `x${j + 1}`);
  const blocks: Block[] = [
    {
      kind: "p",
      text:
        `Data: ${r.data.source} (n = ${r.data.n} rows, d = ${r.data.d} features). ${m.covarianceType} covariances, k-means++ starts, ` +
        `${(rec.config as { nInit: number }).nInit} restarts per K (best likelihood kept), EM until the NLL changes by at most 1e-5 relative.`,
    },
    figures(figs.svg(`${dir}/${r.files.chart}`, `Final negative log-likelihood and BIC against K; the dashed line marks the chosen K = ${r.chosenK}.`)),
    {
      kind: "table",
      caption: "One fit per K (* = chosen). NLL in nats over all rows; BIC = 2·NLL + p·ln n; AIC = 2·NLL + 2p.",
      head: ["K", "NLL", "BIC", "AIC", "parameters p", "EM iterations", "converged", "seconds"],
      numeric: [true, true, true, true, true, true, false, true],
      rows: r.runs.map((x) => [`${x.k}${x.k === r.chosenK ? "*" : ""}`, fx(x.nll, 2), fx(x.bic, 2), fx(x.aic, 2), String(x.nParameters), String(x.iterations), x.converged ? "yes" : "no", fx(x.seconds, 3)]),
    },
    { kind: "heading", text: `The choice of K = ${r.chosenK}` },
    { kind: "p", text: `Chosen by ${r.selection.criterion}, computed from this run: ${r.selection.reason}` },
    { kind: "heading", text: `The chosen model, components by increasing weight` },
  ];
  const varianceRows: number[][] =
    m.covarianceType === "diag"
      ? (m.variances as number[][])
      : m.covarianceType === "full"
        ? (m.variances as number[][][]).map((c) => c.map((row, j) => row[j]))
        : (m.variances as number[]).map((v) => names.map(() => v));
  // one column per component (K is small), one row per quantity: fits the page for any d
  const components = m.weights.map((_, k) => `component ${k + 1}`);
  const numeric = [false, ...components.map(() => true)];
  blocks.push({
    kind: "table",
    caption: "Weights and means.",
    head: ["", ...components],
    numeric,
    rows: [["weight", ...m.weights.map((w) => fx(w, 4))], ...names.map((n, j) => [`mean ${n}`, ...m.means.map((mu) => fx(mu[j], 3))])],
  });
  blocks.push({
    kind: "table",
    caption: m.covarianceType === "full" ? "Variances: the diagonals of the covariance matrices (the full matrices are in parameters.json)." : m.covarianceType === "spherical" ? "Variances (one per component, the same in every dimension)." : "Variances (the diagonal of each component's covariance).",
    head: ["", ...components],
    numeric,
    rows: names.map((n, j) => [`variance ${n}`, ...varianceRows.map((v) => fx(v[j], 3))]),
  });
  // the experiment's own comparison with the generating mixture, when it wrote one
  const paramsPath = join(out, dir, r.files.parameters);
  if (existsSync(paramsPath)) {
    for (const s of markdownSections(readFileSync(paramsPath, "utf8"), /compared with the generating/i)) blocks.push({ kind: "markdown", title: s.title, md: s.body });
  }
  blocks.push({ kind: "heading", text: "Derivation, numerical safety and complexity (docs/gmm.md)" });
  blocks.push(...docSections("gmm.md", /objective|updates|nan|cost|complexity|choosing k/i));
  return blocks;
}

// ---------------------------------------------------------------------------------------
// 1b

function mnistRunText(s: MnistRunSummary): string {
  const c = s.config as { covarianceType: string; pca: number; trainRows: number; testRows: number; regCovar: number; nInit: number; init: string };
  return `${c.covarianceType} covariances on ${c.pca > 0 ? `PCA-${c.pca} features (PCA fitted on the training images, ${fx(s.pcaSeconds, 1)} s)` : "raw pixels"}; ${c.trainRows} training and ${c.testRows} test images; ${c.init} start, ${c.nInit} EM run(s) per mixture, regCovar ${c.regCovar}.`;
}

function mnistBlocks(rec: StageRecord<MnistStageResult>, figs: FigureReader): Block[] {
  const { sweep, full } = rec.result;
  const dir = rec.dir;
  const blocks: Block[] = [
    { kind: "p", text: `Error against K: ${mnistRunText(sweep)}` },
    figures(figs.svg(`${dir}/${sweep.files.errorChart}`, "Test and training error of the GMM Bayes classifier against the number of components per digit.")),
    {
      kind: "table",
      caption: `Error against K (* = lowest test error). Seconds: fitting the ten mixtures and scoring the test set, ${rec.runtime.threads} thread(s).`,
      head: ["K", "test error", "training error", "seconds"],
      numeric: [true, true, true, true],
      rows: sweep.results.map((x) => [`${x.k}${x.k === sweep.best.k ? "*" : ""}`, pct(x.testError), pct(x.trainError), fx(x.seconds, 1)]),
    },
    { kind: "heading", text: "The best configuration" },
  ];
  const rows = [[`${(sweep.config as { covarianceType: string }).covarianceType}, PCA ${(sweep.config as { pca: number }).pca}`, String(sweep.best.k), pct(sweep.best.testError), "lowest test error of the sweep"]];
  if ("skipped" in full) {
    blocks.push({ kind: "p", role: "warning", text: `Full covariances, PCA 50: not run — ${full.skipped}. This row is left out rather than estimated.` });
  } else {
    const f = full.run;
    rows.push([`full, PCA ${(f.config as { pca: number }).pca}`, String(full.k), pct(f.best.testError), "the diagonal sweep's best K"]);
  }
  blocks.push({ kind: "table", caption: "Test error of the configurations compared.", head: ["covariances, features", "K", "test error", "why this K"], numeric: [false, true, true, false], rows });
  if (!("skipped" in full)) blocks.push({ kind: "p", text: `The full-covariance model uses ${full.kReason}` });
  blocks.push({ kind: "heading", text: `Confusion matrix and misclassified digits (diagonal, K = ${sweep.best.k})` });
  blocks.push(
    figures(
      figs.svg(`${dir}/${sweep.files.confusion}`, `Confusion matrix of the diagonal model with K = ${sweep.best.k}: rows are true digits, columns predicted ones.`),
      sweep.files.misclassified
        ? figs.png(`${dir}/${sweep.files.misclassified}`, `The first ${sweep.misclassified} misclassified test digits (at most 64); the label under each is the predicted digit.`, "misclassified test digits")
        : undefined,
    ),
  );
  if (!("skipped" in full)) {
    const f = full.run;
    blocks.push({ kind: "heading", text: `Confusion matrix and misclassified digits (full, K = ${full.k})` });
    blocks.push({ kind: "p", text: `Full covariances: ${mnistRunText(f)} Fitted in ${fx(f.results[0].seconds, 1)} s.` });
    blocks.push(
      figures(
        figs.svg(`${dir}/${f.files.confusion}`, `Confusion matrix of the full-covariance model with K = ${full.k}.`),
        f.files.misclassified ? figs.png(`${dir}/${f.files.misclassified}`, `The first ${f.misclassified} misclassified test digits of the full model; labels are predicted digits.`, "misclassified test digits, full covariances") : undefined,
      ),
    );
  }
  blocks.push({ kind: "heading", text: "Why PCA and full covariances help (docs/mnist.md)" });
  blocks.push(...docSections("mnist.md", /why pca/i));
  return blocks;
}

// ---------------------------------------------------------------------------------------
// 2a, 2b

/** The sum of the per-epoch seconds: the training time even when the run was continued from a checkpoint. */
function trainingTime(epochs: { seconds: number }[]): string {
  const total = epochs.reduce((a, e) => a + e.seconds, 0);
  return epochs.length ? `Training and per-epoch evaluation took ${fx(total, 1)} s in all (${fx(total / epochs.length, 1)} s per epoch).` : "";
}

const epochOf = (file: string) => Number(/epoch-(\d+)/.exec(file)?.[1] ?? NaN);

function vaeBlocks(rec: StageRecord<VaeStageResult>, figs: FigureReader): Block[] {
  const r = rec.result;
  const dir = rec.dir;
  const c = rec.config as { epochs: number; batchSize: number; latent: number; hidden: number; lr: number };
  const last = r.epochs[r.epochs.length - 1];
  const blocks: Block[] = [
    {
      kind: "p",
      text:
        `784–${c.hidden}–${c.latent} encoder and ${c.latent}–${c.hidden}–784 decoder, Adam (lr ${c.lr}), batches of ${c.batchSize}, ${c.epochs} epochs. ` +
        `Loss per image: binary cross-entropy of the reconstruction plus the KL divergence of q(z|x) from N(0, I). ` +
        (last ? `After epoch ${last.epoch}: training loss ${fx(last.trainLoss, 2)}, test loss ${fx(last.testLoss, 2)}. ` : "") +
        trainingTime(r.epochs),
    },
  ];
  if (r.resumedFrom > 0) blocks.push({ kind: "p", role: "note", text: `This run continued a checkpoint after epoch ${r.resumedFrom}; the numbers equal those of an uninterrupted run.` });
  blocks.push(
    figures(
      figs.svg(`${dir}/${r.files.lossTrain}`, "Training loss per image, mean over each epoch's batches."),
      figs.svg(`${dir}/${r.files.lossTest}`, "Test loss per image after each epoch (fixed noise)."),
    ),
  );
  blocks.push({ kind: "heading", text: "Samples (decoded from one fixed set of 64 latent vectors)" });
  blocks.push(grids(r.files.samples.map((f) => figs.png(`${dir}/${f}`, `After epoch ${epochOf(f)}.`, `VAE samples after epoch ${epochOf(f)}`))));
  const lastRecon = r.files.reconstructions[r.files.reconstructions.length - 1];
  if (lastRecon) {
    blocks.push(figures(figs.png(`${dir}/${lastRecon}`, `Reconstructions after epoch ${epochOf(lastRecon)}: rows of 8 test digits, each followed by a row of their reconstructions.`, "VAE reconstructions")));
  }
  blocks.push({
    kind: "table",
    caption: "Per-epoch losses (per image, nats): total = reconstruction (BCE) + KL.",
    head: ["epoch", "train loss", "train BCE", "train KL", "test loss", "test BCE", "test KL", "seconds"],
    numeric: [true, true, true, true, true, true, true, true],
    rows: r.epochs.map((e) => [String(e.epoch), fx(e.trainLoss, 2), fx(e.trainRec, 2), fx(e.trainKl, 2), fx(e.testLoss, 2), fx(e.testRec, 2), fx(e.testKl, 2), fx(e.seconds, 1)]),
  });
  return blocks;
}

function ganBlocks(rec: StageRecord<GanStageResult>, figs: FigureReader): Block[] {
  const r = rec.result;
  const dir = rec.dir;
  const c = rec.config as { epochs: number; batchSize: number; lr: number; beta1: number; beta2: number; dropout?: number };
  const dropout = c.dropout ? `dropout ${c.dropout} after each of D's hidden layers while training; ` : "no dropout; ";
  const blocks: Block[] = [
    {
      kind: "p",
      text:
        `Generator ${r.parameters.G.toLocaleString("en")} and discriminator ${r.parameters.D.toLocaleString("en")} parameters; per batch of ${c.batchSize} one discriminator step, then one generator step ` +
        `on the same noise with the non-saturating loss −log D(G(z)); ${dropout}Adam (lr ${c.lr}, β₁ ${c.beta1}, β₂ ${c.beta2}); ${c.epochs} epochs. ` +
        trainingTime(r.epochs),
    },
  ];
  if (r.resumedFrom > 0) blocks.push({ kind: "p", role: "note", text: `This run continued a checkpoint after epoch ${r.resumedFrom}.` });
  blocks.push(
    figures(
      figs.svg(`${dir}/${r.files.lossTrain}`, "Training losses of both networks, means over each epoch's batches."),
      figs.svg(`${dir}/${r.files.lossTest}`, "Test losses: D on test images against as many generated ones, G on fixed noise, no updates."),
    ),
  );
  blocks.push({ kind: "heading", text: "Samples (one fixed set of 64 noise vectors)" });
  blocks.push(grids(r.files.samples.map((f) => figs.png(`${dir}/${f}`, `After epoch ${epochOf(f)}.`, `GAN samples after epoch ${epochOf(f)}`))));
  blocks.push({
    kind: "table",
    caption: "Per-epoch losses (binary cross-entropy; D's is the sum over real and generated images).",
    head: ["epoch", "train G", "train D", "test G", "test D", "seconds"],
    numeric: [true, true, true, true, true, true],
    rows: r.epochs.map((e) => [String(e.epoch), fx(e.train.g, 4), fx(e.train.d, 4), fx(e.test.g, 4), fx(e.test.d, 4), fx(e.seconds, 1)]),
  });
  return blocks;
}

// ---------------------------------------------------------------------------------------
// 2c

function compareBlocks(rec: StageRecord<CompareStageResult>): Block[] {
  const c = rec.result.comparison;
  const cfg = rec.config as { samples: number; seed: number };
  return [
    {
      kind: "p",
      text:
        `${cfg.samples} samples from each trained model (z ~ N(0, I), seed ${cfg.seed}), measured against MNIST in one feature space, the first ${c.classifier.pca} principal components ` +
        `of the training images; digits labelled by a GMM Bayes classifier (${c.classifier.covarianceType}, K = ${c.classifier.nComponents}, test error ${pct(c.classifier.testError)}).`,
    },
    { kind: "markdown", md: rec.result.table },
    { kind: "p", text: c.paragraph },
    { kind: "p", role: "note", text: "Method: docs/gan.md (comparison). Training cost: per-epoch seconds from each run's history.json (VAE) and results.json (GAN)." },
  ];
}

// ---------------------------------------------------------------------------------------
// timings, configuration, versions, reproduction

/** A stage's wall seconds; a training run continued from a checkpoint adds the epochs computed before the restart. */
function stageSeconds(rec: StageRecord): number {
  const r = rec.result as { resumedFrom?: number; epochs?: { epoch: number; seconds: number }[] };
  if (!r.resumedFrom || !Array.isArray(r.epochs)) return rec.seconds;
  return rec.seconds + r.epochs.filter((e) => e.epoch <= r.resumedFrom!).reduce((a, e) => a + e.seconds, 0);
}

function timingBlocks(input: ContentInput): Block[] {
  const { options: o, records, outcomes } = input;
  let total = 0;
  const rows = STAGES.map((def) => {
    const rec = records.get(def.id);
    const now = outcomes.find((x) => x.id === def.id);
    const status = now ? (now.status === "ran" ? "ran now" : "up to date (cached)") : rec ? "not selected (earlier result)" : "not run";
    const secs = rec ? stageSeconds(rec) : 0;
    total += secs;
    const earlier = rec ? secs - rec.seconds : 0;
    return [def.id, def.title, status, rec ? `${fx(secs, 1)}${earlier > 0 ? ` (${fx(earlier, 1)} before a restart)` : ""}` : "—", rec ? rec.finishedAt : "—", rec ? String(rec.runtime.threads) : "—"];
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
  for (const def of STAGES) blocks.push({ kind: "markdown", title: `${def.id} ${def.title}`, md: "```json\n" + compactJson(input.configs.get(def.id)) + "\n```" });
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
  const only = o.only.length === STAGES.length ? "" : ` --only ${o.only.join(",")}`;
  const main = `node build/src/cli/main.js report --out ${shellQuote(o.out)}${modeFlag}${only} --seed ${o.seed} --threads ${o.threads}`;
  const lines = [
    "npm install            # dependencies, then builds build/core.wasm and the TypeScript",
    o.mode === "full" && only === "" && o.seed === 1 && o.out === "out" ? "npm start              # = node build/src/cli/main.js report" : `npm start -- --out ${shellQuote(o.out)}${modeFlag}${only} --seed ${o.seed} --threads ${o.threads}`,
    `# the same, without npm:`,
    main,
  ];
  const stageLines: string[] = [];
  for (const def of STAGES) {
    stageLines.push(`# ${def.id} ${def.title}`);
    stageLines.push(...def.commands(input.configs.get(def.id), join(o.out, def.dirName), o.threads));
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
  const { options: o, records } = input;
  const figs = new FigureReader(o.out);
  const sections: Section[] = [];
  const builders: Record<StageId, (rec: StageRecord) => Block[]> = {
    "1a": (rec) => gmmBlocks(rec, o.out, figs),
    "1b": (rec) => mnistBlocks(rec, figs),
    "2a": (rec) => vaeBlocks(rec, figs),
    "2b": (rec) => ganBlocks(rec, figs),
    "2c": (rec) => compareBlocks(rec),
  };
  for (const def of STAGES) {
    const rec = records.get(def.id);
    const blocks: Block[] = [{ kind: "p", role: "question", text: def.question }];
    const before = figs.missing.length;
    blocks.push(...(rec ? builders[def.id](rec) : notRun(def, o)));
    if (figs.missing.length > before) {
      blocks.push({ kind: "p", role: "warning", text: `Missing figure files: ${figs.missing.slice(before).join(", ")}.` });
    }
    if (rec) blocks.push({ kind: "p", role: "note", text: `Files: ${join(o.out, rec.dir)} (stage.json, figures, tables as JSON). Computed in ${fx(rec.seconds, 1)} s, finished ${rec.finishedAt}.` });
    sections.push({ id: def.id, title: `${def.id}. ${def.title}`, blocks });
  }
  sections.push({ id: "timings", title: "Timings", blocks: timingBlocks(input) });
  sections.push({ id: "configuration", title: "Configuration", blocks: configBlocks(input) });
  sections.push({ id: "versions", title: "Versions and machine", blocks: versionBlocks(input.env) });
  sections.push({ id: "reproduce", title: "How to reproduce", blocks: reproduceBlocks(input) });

  const r = reductions(o.mode);
  return {
    title: "emlab: Gaussian mixtures, MNIST, VAE and GAN",
    subtitle: `${o.mode === "full" ? "Full run at the assignment's settings" : `${o.mode === "quick" ? "Quick" : "Tiny (test)"} run at reduced settings`}, seed ${o.seed}, computed into ${resolve(o.out)}; page written ${new Date().toISOString()}.`,
    banner:
      o.mode === "full"
        ? undefined
        : {
            title: `This is a ${o.mode} run: a first look, not the assignment's results. Reduced:`,
            items: [...r, `Run \`npm start\` (without --${o.mode}) for the assignment's settings: K = ${kListText(MODES.full.mnist.ks)}, all of MNIST, ${MODES.full.vae.epochs} epochs.`],
          },
    sections,
  };
}
