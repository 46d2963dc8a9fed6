// The K sweep of Exercise 1a: fit a Gaussian mixture for each K, keep the final NLL, BIC and
// AIC, choose K by minimum BIC, and report the chosen model's components by increasing weight.
// runGmmSweep (the run contract, ./contract.ts) loads the data — into memory, or, for a file
// over STREAM_ABOVE_BYTES, as shards read a chunk at a time on every pass by worker threads —
// fits and writes nll-vs-k.svg, parameters.{md,json}, runs.json and model.json; fitSweep is the
// computation on the rows. Node only.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Matrix } from "../core/matrix.js";
import { nodeCore } from "../core/node.js";
import type { Core } from "../core/wasm.js";
import { CSV_DEFAULTS, type HeaderMode } from "../data/csv-parse.js";
import { displayPath, gmmDefaultPaths, loadData } from "../data/datasets.js";
import { readLabelFile } from "../data/labels.js";
import { loadMnistInto } from "../data/mnist.js";
import { openRowFile, type InputInfo } from "../data/row-source.js";
import type { ChunkRunner } from "../mixture/chunked.js";
import { covarianceEntry, type ComponentVariance } from "../mixture/covariance.js";
import { GaussianMixture, GMM_DEFAULTS, sortByWeight, type CovarianceType, type InitMethod } from "../mixture/gaussian-mixture.js";
import type { RowShards } from "../mixture/shards.js";
import { EmThreadPool } from "../parallel/em-threads.js";
import { ShardPool } from "../parallel/shard-workers.js";
import { defaultThreads } from "../parallel/pool.js";
import { lineChart } from "../plot/svg.js";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.js";
import { UserError } from "../util/errors.js";
import { kRange } from "../util/k-list.js";
import type { RunOptions, UnitDone } from "./contract.js";

/** What the sweep fits with: every setting that changes its numbers (echoed into runs.json). */
export interface GmmSweepSettings {
  ks: number[];
  covarianceType: CovarianceType;
  init: InitMethod;
  /** Name of a hard-assignment label file (one label per row, in 0..min(ks)−1); replaces `init`. */
  initLabelsFile?: string;
  seed: number;
  maxIter: number;
  tol: number;
  regCovar: number;
  /** Restarts per K; undefined = the estimator's default. */
  nInit?: number;
}

/** A whole run: the settings, the data set (and how to read it) and the E-step threads. */
export interface GmmSweepConfig extends GmmSweepSettings {
  /** A CSV or .npy path, or gmm-default | mnist-train | mnist-test (src/data/datasets.ts). */
  data: string;
  mnistDir?: string;
  /** A CSV's header row: auto | yes | no (src/data/csv-parse.ts, headerDecision); the decision is reported in data.input. */
  header: HeaderMode;
  /** E-step threads (1 starts no worker); every number is the same for any count. */
  threads: number;
  /** [n, d] of a raw float32 file (--shape): `data` is then n×d little-endian float32 values, nothing else. */
  shape?: [number, number];
  /**
   * Fit streamed (true: the rows read a chunk at a time on every pass, memory bounded whatever n),
   * in memory (false), or by the file's size (undefined: streamed above STREAM_ABOVE_BYTES). Every
   * number is the same either way.
   */
  stream?: boolean;
}

/** A data file larger than this is fitted streamed unless `stream` says otherwise (docs/scale.md). */
export const STREAM_ABOVE_BYTES = 2 ** 30;

/** Defaults of a run (Exercise 1a's settings); no nInit: the estimator's rule (GaussianMixture) decides. */
export const GMM_SWEEP_DEFAULTS: Readonly<Omit<GmmSweepConfig, "initLabelsFile" | "nInit" | "mnistDir">> = {
  data: "gmm-default",
  header: CSV_DEFAULTS.header,
  ks: kRange(1, 10),
  covarianceType: GMM_DEFAULTS.covarianceType,
  init: GMM_DEFAULTS.init,
  seed: 1,
  maxIter: GMM_DEFAULTS.maxIter,
  tol: GMM_DEFAULTS.tol,
  regCovar: GMM_DEFAULTS.regCovar,
  threads: defaultThreads(),
};

/** A fitted K: `done` of `total` K, with its run. */
export type GmmSweepEvent = UnitDone<GmmRun>;

export interface GmmDataInfo {
  source: string;
  n: number;
  d: number;
  /** For the bundled data: the JSON with the generating mixture. */
  truthFile?: string;
  /** How a CSV or .npy file was read (separator, header decision, dtype). */
  input?: InputInfo;
  /** The rows were read a chunk at a time on every pass (streamed), not held in memory. */
  streamed?: boolean;
}

/** One fitted K. */
export interface GmmRun {
  k: number;
  nll: number;
  nllTrace: number[];
  iterations: number;
  converged: boolean;
  bic: number;
  aic: number;
  nParameters: number;
  seconds: number;
}

/** The chosen model in report order (increasing weight). */
export interface GmmModelReport {
  k: number;
  covarianceType: CovarianceType;
  weights: number[];
  means: number[][];
  /** Per component, in the covariance type's shape (COVARIANCE_TYPES[type].componentVariance). */
  variances: ComponentVariance[];
}

export interface GmmSweepResult {
  data: GmmDataInfo;
  config: GmmSweepSettings;
  runs: GmmRun[];
  chosenK: number;
  selection: { criterion: "BIC"; reason: string };
  model: GmmModelReport;
  /** The fitted estimator for chosenK (not serialised). */
  fitted: GaussianMixture;
}

// ---------------------------------------------------------------------------------------
// the run

/**
 * The data of a run: MNIST converted straight into `core`'s arena, where the fits use it in place
 * (peak memory under 2× the f32 pixels); anything else through loadData (`header` applies to a
 * CSV; `input` says how the file was read).
 */
function loadSweepData(
  spec: string,
  mnistDir: string | undefined,
  header: HeaderMode,
  shape: [number, number] | undefined,
  core: Core,
): { matrix: Matrix; source: string; truthFile?: string; input?: InputInfo } {
  if (spec === "mnist-train" || spec === "mnist-test") {
    const m = loadMnistInto(core, spec === "mnist-train" ? "train" : "test", { dir: mnistDir });
    return { matrix: m.images, source: displayPath(m.imagesFile) };
  }
  return loadData(spec, { mnistDir, header, shape });
}

/** Fits every K of `config.ks` on `config.data` and writes the outputs into `opts.out`; bad data or labels throw before anything is written. */
export async function runGmmSweep(config: GmmSweepConfig, opts: RunOptions<GmmSweepEvent>): Promise<GmmSweepResult & { files: string[] }> {
  const { data: spec, mnistDir, header, threads, shape, stream, ...settings } = config;
  const streamedFile = streamedPath(spec, shape, stream);
  const result = streamedFile
    ? await fitStreamed(streamedFile, spec, config, settings, opts)
    : await fitInMemory(spec, config, settings, opts);
  return { ...result, files: writeSweepOutputs(opts.out, result) };
}

/** The sweep on rows read into memory (MNIST straight into the E-step pool's arena). */
async function fitInMemory(spec: string, config: GmmSweepConfig, settings: GmmSweepSettings, opts: RunOptions<GmmSweepEvent>): Promise<GmmSweepResult> {
  const core = nodeCore();
  // The E-steps' fixed row chunks run on `threads` threads; the numbers are the same for any count.
  // The pool exists before the data are read, so that MNIST can go straight into its arena.
  const pool = config.threads > 1 ? new EmThreadPool({ threads: config.threads }) : undefined;
  try {
    const data = loadSweepData(spec, config.mnistDir, config.header, config.shape, pool?.core ?? core);
    const X = data.matrix;
    const info: GmmDataInfo = { source: data.source, n: X.rows, d: X.cols, truthFile: data.truthFile, input: data.input };
    return fitSweep(X, info, settings, { core, pool, initLabels: sweepLabels(settings, info), onProgress: opts.onProgress });
  } finally {
    await pool?.close();
  }
}

/**
 * The sweep on the rows of `file` read a chunk at a time on every pass by `threads` threads, each
 * with its own WebAssembly memory (ShardPool); a CSV is parsed once into a float32 copy first.
 */
async function fitStreamed(
  file: string, spec: string, config: GmmSweepConfig, settings: GmmSweepSettings, opts: RunOptions<GmmSweepEvent>,
): Promise<GmmSweepResult> {
  const rows = openRowFile(file, { header: config.header, shape: config.shape });
  try {
    const pool = new ShardPool(rows.layout, { threads: config.threads });
    try {
      const truthFile = spec === "gmm-default" ? displayPath(gmmDefaultPaths().truth) : undefined;
      const info: GmmDataInfo = { source: displayPath(file), n: pool.n, d: pool.d, truthFile, input: rows.info, streamed: true };
      return fitSweep(pool, info, settings, { core: nodeCore(), initLabels: sweepLabels(settings, info), onProgress: opts.onProgress });
    } finally {
      await pool.close();
    }
  } finally {
    rows.close();
  }
}

/** The file to fit streamed, or undefined for an in-memory fit (`stream` undefined: by the file's size). */
function streamedPath(spec: string, shape: [number, number] | undefined, stream: boolean | undefined): string | undefined {
  if (stream === false) return undefined;
  if (spec === "mnist-train" || spec === "mnist-test") {
    if (stream) throw new UserError(`--stream: ${spec} is read from MNIST's IDX files, into memory; stream a CSV, .npy or raw float32 file`);
    return undefined;
  }
  const file = spec === "gmm-default" ? gmmDefaultPaths().csv : spec;
  if (stream) return file;
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return undefined; // the in-memory reader says what is wrong with the path
  }
  return size > STREAM_ABOVE_BYTES || (shape !== undefined && shape[0] * shape[1] * 4 > STREAM_ABOVE_BYTES) ? file : undefined;
}

/** --k against n, and the label file (one per row, in 0..min(K)−1: a hard start must be valid for every K swept). */
function sweepLabels(settings: GmmSweepSettings, info: GmmDataInfo): Int32Array | undefined {
  const maxK = Math.max(...settings.ks);
  if (maxK > info.n) throw new UserError(`--k: K = ${maxK} exceeds the ${info.n} data rows of ${info.source}`);
  return settings.initLabelsFile === undefined ? undefined : readLabelFile(settings.initLabelsFile, info.n, Math.min(...settings.ks));
}

// ---------------------------------------------------------------------------------------
// the sweep

/**
 * Fit every K of `config.ks` on X (f32 n×d, or RowShards: rows read where they are, e.g. a
 * ShardPool, which the caller closes). `pool` (e.g. an EmThreadPool, which the caller closes)
 * runs the in-memory E-steps on several threads — the same bits as without it; it is a
 * resource, not a setting, so it stays out of `config` (serialised into runs.json and the
 * report's cache key). Fits then allocate in pool.core and `core` is not used. `initLabels`
 * (one per row) replaces `config.init`. BIC and AIC come from each fit's final NLL, the same
 * bits in memory and streamed.
 */
export function fitSweep(
  X: Matrix | RowShards,
  data: GmmDataInfo,
  config: GmmSweepSettings,
  opts: { core?: Core; pool?: ChunkRunner; initLabels?: Int32Array; onProgress?: (e: GmmSweepEvent) => void } = {},
): GmmSweepResult {
  const runs: GmmRun[] = [];
  const fitted = new Map<number, GaussianMixture>();
  for (const k of config.ks) {
    const t0 = performance.now();
    const gm = new GaussianMixture({
      nComponents: k,
      covarianceType: config.covarianceType,
      maxIter: config.maxIter,
      tol: config.tol,
      regCovar: config.regCovar,
      init: opts.initLabels ? { labels: opts.initLabels } : config.init,
      nInit: config.nInit,
      seed: config.seed,
      ...(opts.pool ? { pool: opts.pool } : { core: opts.core }),
    }).fit(X);
    const p = gm.nParameters();
    const run: GmmRun = {
      k,
      nll: gm.nll,
      nllTrace: gm.nllTrace,
      iterations: gm.nIter,
      converged: gm.converged,
      // −2 Σ log p(x_i) = 2·nll
      bic: 2 * gm.nll + p * Math.log(data.n),
      aic: 2 * gm.nll + 2 * p,
      nParameters: p,
      seconds: (performance.now() - t0) / 1000,
    };
    runs.push(run);
    fitted.set(k, gm);
    opts.onProgress?.({ kind: "unit", done: runs.length, total: config.ks.length, record: run });
  }
  const { k: chosenK, reason } = selectByBic(runs, data.n);
  const gm = fitted.get(chosenK)!;
  const sorted = sortByWeight({ weights: gm.weights, means: gm.means, variances: gm.variances, covarianceType: config.covarianceType, d: data.d });
  return {
    data,
    config,
    runs,
    chosenK,
    selection: { criterion: "BIC", reason },
    model: { k: chosenK, covarianceType: config.covarianceType, ...sorted },
    fitted: gm,
  };
}

// ---------------------------------------------------------------------------------------
// model selection

const fmt1 = (v: number) => v.toFixed(1);

/** The K with the lowest BIC (ties → smaller K), and a sentence saying why, from the runs' numbers (n rows). */
export function selectByBic(runs: GmmRun[], n: number): { k: number; reason: string } {
  if (runs.length === 0) throw new Error("selectByBic: no runs");
  const byK = [...runs].sort((a, b) => a.k - b.k);
  let best = byK[0];
  for (const r of byK) if (r.bic < best.bic) best = r;
  const i = byK.indexOf(best);
  if (byK.length === 1) return { k: best.k, reason: `only K = ${best.k} was fitted (BIC ${fmt1(best.bic)})` };
  const nb = [byK[i - 1], byK[i + 1]].filter((r): r is GmmRun => r !== undefined);
  let s = `BIC is lowest at K = ${best.k} (${fmt1(best.bic)}); ` + nb.map((r) => `K = ${r.k} is ${fmt1(r.bic - best.bic)} higher`).join(", ");
  if (i > 0) {
    const prev = byK[i - 1];
    s += `. The NLL falls by ${fmt1(prev.nll - best.nll)} from K = ${prev.k} to K = ${best.k}`;
  }
  const last = byK[byK.length - 1];
  if (last.k !== best.k) {
    // BIC/2 = NLL + p·ln(n)/2, so a larger K wins only if its NLL gain exceeds Δp·ln(n)/2.
    const gain = best.nll - last.nll;
    const rel = (100 * gain) / Math.abs(best.nll);
    const dp = last.nParameters - best.nParameters;
    s += `${i > 0 ? ", but only" : ". The NLL falls only"} by ${fmt1(gain)} (${rel.toFixed(2)}%) from K = ${best.k} to K = ${last.k}`;
    s += `, while BIC charges ${fmt1((dp * Math.log(n)) / 2)} (Δp·ln n / 2) for the ${dp} extra parameters`;
  }
  return { k: best.k, reason: s + "." };
}

// ---------------------------------------------------------------------------------------
// reports

/** The `--json` document: data, runs, chosenK, selection, model (increasing weight). */
export function sweepJson(r: GmmSweepResult): object {
  return {
    data: r.data,
    config: { ...r.config },
    runs: r.runs,
    chosenK: r.chosenK,
    selection: r.selection,
    model: r.model,
  };
}

/** A fixed-width table of the runs: K, NLL, BIC, AIC, iterations, converged, seconds. */
export function sweepTable(runs: GmmRun[], chosenK?: number): string {
  const head = ["K", "NLL", "BIC", "AIC", "iter", "converged", "seconds"];
  const rows = runs.map((r) => [
    `${r.k}${r.k === chosenK ? "*" : ""}`,
    r.nll.toFixed(2),
    r.bic.toFixed(2),
    r.aic.toFixed(2),
    String(r.iterations),
    r.converged ? "yes" : "no",
    r.seconds.toFixed(3),
  ]);
  const w = head.map((h, j) => Math.max(h.length, ...rows.map((row) => row[j].length)));
  const line = (cells: string[]) => cells.map((c, j) => c.padStart(w[j])).join("  ");
  return [line(head), ...rows.map(line)].join("\n") + "\n";
}

/** Column names for the features. */
function featureNames(d: number): string[] {
  return Array.from({ length: d }, (_, j) => `x${j + 1}`);
}

/** Largest d for which parameters.md prints the per-dimension tables (else: see parameters.json). */
const MD_MAX_D = 24;

/** parameters.md: the chosen model, components by increasing weight, and the comparison with the truth when known. */
export function parametersMarkdown(r: GmmSweepResult): string {
  const m = r.model;
  const d = r.data.d;
  const out: string[] = [];
  out.push(`# Gaussian mixture, K = ${m.k} (${m.covarianceType} covariance)`, "");
  out.push(`Data: \`${r.data.source}\` (n = ${r.data.n}, d = ${d}). Components are listed by increasing weight.`, "");
  out.push(`K chosen by ${r.selection.criterion}: ${r.selection.reason}`, "");
  out.push("| component | weight |", "|---:|---:|");
  m.weights.forEach((w, k) => out.push(`| ${k + 1} | ${w.toFixed(4)} |`));
  out.push("");
  if (d <= MD_MAX_D) {
    const names = featureNames(d);
    const table = (title: string, rows: number[][]) => {
      out.push(`## ${title}`, "", `| component | ${names.join(" | ")} |`, `|---:|${names.map(() => "---:").join("|")}|`);
      rows.forEach((row, k) => out.push(`| ${k + 1} | ${row.map((v) => v.toFixed(3)).join(" | ")} |`));
      out.push("");
    };
    table("Means", m.means);
    const entry = covarianceEntry(m.covarianceType);
    // One variance per component (spherical) gets one column; otherwise one per feature.
    if (m.variances.every((v) => typeof v === "number")) {
      out.push(`## ${entry.varianceHeading}`, "", "| component | variance |", "|---:|---:|");
      m.variances.forEach((v, k) => out.push(`| ${k + 1} | ${(v as number).toFixed(4)} |`));
      out.push("");
    } else {
      table(entry.varianceHeading, m.variances.map((v) => entry.featureVariances(v, d)));
    }
  } else {
    out.push(`Means and variances (${d} dimensions each) are in parameters.json.`, "");
  }
  const cmp = compareWithTruth(r);
  if (cmp) out.push(cmp);
  return out.join("\n");
}

/** Generating mixture of the bundled data (data/gmm_dataset.truth.json), if readable. */
function readTruth(file: string | undefined): { weights: number[]; means: number[][]; variances: number[][] } | undefined {
  if (!file) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * For the bundled data with K equal to the truth's: match estimated to true components
 * (the permutation with the least total squared mean distance; K ≤ 8) and tabulate the errors.
 */
function compareWithTruth(r: GmmSweepResult): string | undefined {
  const t = readTruth(r.data.truthFile);
  const m = r.model;
  if (!t || t.weights.length !== m.k || m.k > 8 || t.means[0]?.length !== r.data.d) return undefined;
  const K = m.k;
  const dist = (a: number[], b: number[]) => a.reduce((s, v, j) => s + (v - b[j]) ** 2, 0);
  let best: number[] = [];
  let bestCost = Infinity;
  const perm = (prefix: number[], rest: number[]) => {
    if (rest.length === 0) {
      const c = prefix.reduce((s, tk, k) => s + dist(m.means[k], t.means[tk]), 0);
      if (c < bestCost) [bestCost, best] = [c, prefix];
      return;
    }
    rest.forEach((v, i) => perm([...prefix, v], [...rest.slice(0, i), ...rest.slice(i + 1)]));
  };
  perm([], Array.from({ length: K }, (_, k) => k));
  const lines = ["## Compared with the generating mixture", "", `Truth: \`${r.data.truthFile}\`. Each estimated component is matched to the true one nearest in mean.`, ""];
  lines.push("| component | weight | true weight | max abs mean error | max rel variance error |", "|---:|---:|---:|---:|---:|");
  const entry = covarianceEntry(m.covarianceType);
  best.forEach((tk, k) => {
    const meanErr = Math.max(...m.means[k].map((v, j) => Math.abs(v - t.means[tk][j])));
    const est = entry.featureVariances(m.variances[k], r.data.d);
    const varErr = Math.max(...est.map((v, j) => Math.abs(v / t.variances[tk][j] - 1)));
    lines.push(`| ${k + 1} | ${m.weights[k].toFixed(4)} | ${t.weights[tk].toFixed(4)} | ${meanErr.toFixed(3)} | ${varErr.toFixed(3)} |`);
  });
  lines.push("");
  return lines.join("\n");
}

/** nll-vs-k.svg: final NLL and BIC against K. */
function nllChart(r: GmmSweepResult): string {
  return lineChart({
    title: `Gaussian mixture (${r.config.covarianceType}): NLL and BIC against K`,
    xLabel: "K (components)",
    yLabel: "nats",
    xTicks: "integer",
    vline: { x: r.chosenK, label: `K = ${r.chosenK} (min BIC)` },
    series: [
      { name: "final NLL", points: r.runs.map((x) => [x.k, x.nll] as [number, number]) },
      { name: "BIC", points: r.runs.map((x) => [x.k, x.bic] as [number, number]) },
    ],
  });
}

/** A finished K as one line of progress: `K = 5: NLL 49092.4, BIC 99017.4, 7 iterations (0.04 s)`. */
export function gmmRunLine(r: GmmRun): string {
  return `K = ${r.k}: NLL ${r.nll.toFixed(1)}, BIC ${r.bic.toFixed(1)}, ${r.iterations} iterations${r.converged ? "" : " (not converged)"} (${r.seconds.toFixed(2)} s)`;
}

/**
 * The fits that stopped at maxIter without meeting tol, as one sentence naming the flags to
 * change; undefined when all converged or tol = 0 (which asks for exactly maxIter iterations).
 */
export function nonConvergedWarning(runs: GmmRun[], config: { maxIter: number; tol: number }): string | undefined {
  const ks = runs.filter((r) => !r.converged).map((r) => r.k);
  if (ks.length === 0 || config.tol === 0) return undefined;
  return `K = ${ks.join(", ")} stopped at --max-iter ${config.maxIter} without converging (|Δℓ| > --tol ${config.tol} × |ℓ|): raise --max-iter or loosen --tol`;
}

/** Write nll-vs-k.svg, parameters.md, parameters.json, runs.json and model.json (the chosen K, GaussianMixture.toJSON) into `dir`; returns the paths. */
function writeSweepOutputs(dir: string, r: GmmSweepResult): string[] {
  const files: [string, () => void][] = [
    ["nll-vs-k.svg", () => writeFileAtomic(join(dir, "nll-vs-k.svg"), nllChart(r))],
    ["parameters.md", () => writeFileAtomic(join(dir, "parameters.md"), parametersMarkdown(r))],
    ["parameters.json", () => writeJsonAtomic(join(dir, "parameters.json"), { data: r.data, chosenK: r.chosenK, selection: r.selection, model: r.model })],
    ["runs.json", () => writeJsonAtomic(join(dir, "runs.json"), { data: r.data, config: r.config, runs: r.runs, chosenK: r.chosenK, selection: r.selection })],
    ["model.json", () => writeJsonAtomic(join(dir, "model.json"), r.fitted.toJSON())],
  ];
  return files.map(([name, write]) => {
    write();
    return join(dir, name);
  });
}
