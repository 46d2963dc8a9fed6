// Stage 1a: the K sweep of a Gaussian mixture on the bundled data set, K chosen by BIC, the
// chosen model by increasing weight (src/experiments/gmm-sweep.ts).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GMM_SWEEP_DEFAULTS, gmmRunLine, runGmmSweep, type GmmModelReport, type GmmRun, type GmmSweepConfig } from "../../experiments/gmm-sweep.js";
import { covarianceEntry, type CovarianceType } from "../../mixture/covariance.js";
import { GMM_DEFAULTS } from "../../mixture/gaussian-mixture.js";
import { kListText, kRange } from "../../util/k-list.js";
import { docSections, figures, fx, type Block } from "../blocks.js";
import { canonicalJson } from "../canonical.js";
import { markdownSections } from "../md-to-html.js";
import { EMLAB, shellQuote, type Mode, type Stage } from "../stage.js";

/** 1a's cache key: the sweep's settings on the bundled data set (read with the default --header, like its threads not part of the key). */
export type GmmStageConfig = Omit<GmmSweepConfig, "initLabelsFile" | "mnistDir" | "header" | "threads"> & { data: "gmm-default" };

/** 1a's summary in stage.json: runs per K (without NLL traces), the choice and the chosen model by increasing weight. */
export interface GmmStageResult {
  data: { source: string; n: number; d: number; truthFile?: string };
  runs: Omit<GmmRun, "nllTrace">[];
  chosenK: number;
  selection: { criterion: string; reason: string };
  model: GmmModelReport;
  files: { chart: string; parameters: string; runs: string };
}

/** The K swept in each mode (a second or so even at full settings). */
const KS: Record<Mode, number[]> = { full: GMM_SWEEP_DEFAULTS.ks, quick: GMM_SWEEP_DEFAULTS.ks, tiny: kRange(1, 3) };

/**
 * E-step threads of the sweep: one, whatever the report's --threads. The bundled data set is 3000
 * rows, two E-step chunks, and a worker's start costs more than it saves (`emlab gmm` on it:
 * 1.05 s with --threads 1, 1.17 s with 2, three runs each). The numbers are the same for any count.
 */
export const SWEEP_THREADS = 1;

/** The caption of the variance table per covariance type (a Record: a new type must say what its rows show). */
const VARIANCE_CAPTION: Record<CovarianceType, string> = {
  diag: "Variances (the diagonal of each component's covariance).",
  spherical: "Variances (one per component, the same in every dimension).",
  full: "Variances: the diagonals of the covariance matrices (the full matrices are in parameters.json).",
};

export const gmmStage: Stage<GmmStageConfig, GmmStageResult> = {
  id: "1a",
  dirName: "1a-gmm",
  title: "Gaussian mixture by EM: choosing K",
  question:
    "Fit Gaussian mixtures with K = 1, …, 10 components by EM to the given data set, choose K, and report the chosen model's weights, means and variances in order of increasing weight.",

  config: (mode, seed) => {
    const { covarianceType, init, maxIter, tol, regCovar } = GMM_SWEEP_DEFAULTS;
    // nInit spelled out (the estimator's rule for this init), so the cache key and the commands show it
    return { data: "gmm-default", ks: KS[mode], covarianceType, init, nInit: GMM_DEFAULTS.nInit(init), seed, maxIter, tol, regCovar };
  },

  reduction: (mode) => (canonicalJson(KS[mode]) === canonicalJson(KS.full) ? undefined : `1a: K = ${kListText(KS[mode])} instead of ${kListText(KS.full)}.`),

  async run(c, ctx) {
    // the K values are the units; no bar (a second in all), a line per K
    const r = await runGmmSweep({ ...c, header: GMM_SWEEP_DEFAULTS.header, threads: SWEEP_THREADS }, { out: ctx.dir, onProgress: (e) => ctx.log(gmmRunLine(e.record)) });
    return {
      data: r.data,
      runs: r.runs.map(({ nllTrace: _t, ...run }) => run),
      chosenK: r.chosenK,
      selection: r.selection,
      model: r.model,
      files: { chart: "nll-vs-k.svg", parameters: "parameters.md", runs: "runs.json" },
    };
  },

  commands: (c, dir) => [
    `${EMLAB} gmm --data ${c.data} --k ${kListText(c.ks)} --covariance ${c.covarianceType} --init ${c.init} --n-init ${c.nInit} --seed ${c.seed} ` +
      `--max-iter ${c.maxIter} --tol ${c.tol} --reg-covar ${c.regCovar} --threads ${SWEEP_THREADS} --out ${shellQuote(dir)}`,
  ],

  present(rec, { out, figs }) {
    const r = rec.result;
    const dir = rec.dir;
    const m = r.model;
    const names = Array.from({ length: r.data.d }, (_, j) => `x${j + 1}`);
    const blocks: Block[] = [
      {
        kind: "p",
        text:
          `Data: ${r.data.source} (n = ${r.data.n} rows, d = ${r.data.d} features). ${m.covarianceType} covariances, k-means++ starts, ` +
          `${rec.config.nInit} restarts per K (best likelihood kept), EM until the NLL changes by at most ${rec.config.tol.toExponential()} relative.`,
      },
      figures(figs.svg(`${dir}/${r.files.chart}`, `Final negative log-likelihood and BIC against K; the dashed line marks the chosen K = ${r.chosenK}.`)),
      {
        kind: "table",
        caption: "One fit per K (* = chosen). NLL in nats over all rows; \\(\\mathrm{BIC} = 2\\,\\mathrm{NLL} + p \\ln n\\), \\(\\mathrm{AIC} = 2\\,\\mathrm{NLL} + 2p\\) with \\(p\\) free parameters and \\(n\\) rows.",
        head: ["K", "NLL", "BIC", "AIC", "parameters p", "EM iterations", "converged", "seconds"],
        numeric: [true, true, true, true, true, true, false, true],
        rows: r.runs.map((x) => [`${x.k}${x.k === r.chosenK ? "*" : ""}`, fx(x.nll, 2), fx(x.bic, 2), fx(x.aic, 2), String(x.nParameters), String(x.iterations), x.converged ? "yes" : "no", fx(x.seconds, 3)]),
      },
      { kind: "heading", text: `The choice of K = ${r.chosenK}` },
      { kind: "p", text: `Chosen by ${r.selection.criterion}, computed from this run: ${r.selection.reason}` },
      { kind: "heading", text: `The chosen model, components by increasing weight` },
    ];
    const entry = covarianceEntry(m.covarianceType);
    const varianceRows = m.variances.map((v) => entry.featureVariances(v, r.data.d));
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
      caption: VARIANCE_CAPTION[m.covarianceType],
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
  },
};
