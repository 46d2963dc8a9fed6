// The K sweep of Exercise 1a: fit a Gaussian mixture for each K, keep the final NLL, BIC and
// AIC, choose K by minimum BIC, and report the chosen model's components by increasing weight.
// Used by `emlab gmm` and `emlab report`; writes nll-vs-k.svg, parameters.{md,json}, runs.json.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Matrix } from "../core/matrix.js";
import type { Core } from "../core/wasm.js";
import type { ChunkRunner } from "../mixture/chunked.js";
import { covarianceEntry, type ComponentVariance } from "../mixture/covariance.js";
import { GaussianMixture, sortByWeight, type CovarianceType, type InitMethod } from "../mixture/gaussian-mixture.js";
import { lineChart } from "../plot/svg.js";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.js";

export interface GmmSweepConfig {
  ks: number[];
  covarianceType: CovarianceType;
  init: InitMethod;
  /** Hard-assignment start, one label per row (in 0..min(ks)−1); replaces `init`. */
  initLabels?: Int32Array;
  /** Name of the label file, echoed into the outputs. */
  initLabelsFile?: string;
  seed: number;
  maxIter: number;
  tol: number;
  regCovar: number;
  /** Restarts per K; undefined = the estimator's default. */
  nInit?: number;
}

export interface GmmDataInfo {
  source: string;
  n: number;
  d: number;
  /** For the bundled data: the JSON with the generating mixture. */
  truthFile?: string;
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
  config: Omit<GmmSweepConfig, "initLabels">;
  runs: GmmRun[];
  chosenK: number;
  selection: { criterion: "BIC"; reason: string };
  model: GmmModelReport;
  /** The fitted estimator for chosenK (not serialised). */
  fitted: GaussianMixture;
}

// ---------------------------------------------------------------------------------------
// the sweep

/**
 * Fit every K of `config.ks` on X (f32 n×d); `onRun(done, run)` after each K. `pool` (e.g. an
 * EmThreadPool, which the caller closes) runs the E-steps on several threads — the same bits
 * as without it; it is a resource, not a setting, so it stays out of `config` (serialised into
 * runs.json and the report's cache key). Fits then allocate in pool.core and `core` is not used.
 */
export function runGmmSweep(
  X: Matrix,
  data: GmmDataInfo,
  config: GmmSweepConfig,
  opts: { core?: Core; pool?: ChunkRunner; onRun?: (done: number, run: GmmRun) => void } = {},
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
      init: config.initLabels ? { labels: config.initLabels } : config.init,
      nInit: config.nInit,
      seed: config.seed,
      // With a pool, fit allocates in pool.core, and bic/aic below score on the default core,
      // as without one: the numbers do not depend on the thread count.
      ...(opts.pool ? { pool: opts.pool } : { core: opts.core }),
    }).fit(X);
    const run: GmmRun = {
      k,
      nll: gm.nll,
      nllTrace: gm.nllTrace,
      iterations: gm.nIter,
      converged: gm.converged,
      bic: gm.bic(X),
      aic: gm.aic(X),
      nParameters: gm.nParameters(),
      seconds: (performance.now() - t0) / 1000,
    };
    runs.push(run);
    fitted.set(k, gm);
    opts.onRun?.(runs.length, run);
  }
  const { k: chosenK, reason } = selectByBic(runs, X.rows);
  const gm = fitted.get(chosenK)!;
  const sorted = sortByWeight({ weights: gm.weights, means: gm.means, variances: gm.variances, covarianceType: config.covarianceType, d: X.cols });
  const { initLabels: _, ...cfg } = config;
  return {
    data,
    config: cfg,
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
export function nllChart(r: GmmSweepResult): string {
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

/** Write nll-vs-k.svg, parameters.md, parameters.json and runs.json into `dir`; returns the paths. */
export function writeSweepOutputs(dir: string, r: GmmSweepResult): string[] {
  const files: [string, () => void][] = [
    ["nll-vs-k.svg", () => writeFileAtomic(join(dir, "nll-vs-k.svg"), nllChart(r))],
    ["parameters.md", () => writeFileAtomic(join(dir, "parameters.md"), parametersMarkdown(r))],
    ["parameters.json", () => writeJsonAtomic(join(dir, "parameters.json"), { data: r.data, chosenK: r.chosenK, selection: r.selection, model: r.model })],
    ["runs.json", () => writeJsonAtomic(join(dir, "runs.json"), { data: r.data, config: r.config, runs: r.runs, chosenK: r.chosenK, selection: r.selection })],
  ];
  return files.map(([name, write]) => {
    write();
    return join(dir, name);
  });
}
