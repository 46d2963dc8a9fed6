// emlab/core in a browser: fit the Gaussian mixture of `emlab gmm --data gmm-default --k 5 --seed 1`
// to data/gmm_dataset.csv on build/core.wasm, draw data and components on the first two principal
// components, and print the final NLL (it equals the CLI's `runs[0].nll`: same core, same code).
// Plain ES modules straight from build/src (no bundler); the import map in index.html resolves
// pure-rand. test/browser.test.ts runs this page in headless Chromium.
import { loadCore, setDefaultCore, parseCsv, GaussianMixture, sortByWeight, PCA, eigh } from "../../build/src/core/index.js";

const CSV_URL = new URL("../../data/gmm_dataset.csv", import.meta.url);

/**
 * Exactly what `emlab gmm --data gmm-default --k 5 --seed 1` fits: src/cli/gmm.ts's flag defaults
 * (diag, kmeans++, max-iter 500, tol 1e-5, reg-covar 1e-6, no --n-init → the estimator's 5 restarts),
 * passed on by src/experiments/gmm-sweep.ts. All are the GaussianMixture defaults, spelled out here.
 */
const GMM_OPTIONS = {
  nComponents: 5,
  covarianceType: "diag",
  init: "kmeans++",
  nInit: 5,
  maxIter: 500,
  tol: 1e-5,
  regCovar: 1e-6,
  seed: 1,
};

/** One colour per component, in order of increasing weight. */
const COLOURS = ["#d62728", "#ff7f0e", "#2ca02c", "#1f77b4", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

const $ = (id) => document.getElementById(id);

async function main() {
  // No argument: core.wasm next to the module (build/core.wasm beside build/src/core/wasm.js).
  const core = await loadCore();
  setDefaultCore(core);
  // The same parser as the CLI (src/data/csv-parse.ts), so the page fits the same float32 values.
  const X = parseCsv(await (await fetchOk(CSV_URL)).text(), "data/gmm_dataset.csv");

  const t0 = performance.now();
  const gm = new GaussianMixture(GMM_OPTIONS).fit(X);
  const fitMs = performance.now() - t0;

  const pca = new PCA({ nComponents: 2 }).fit(X);
  const Z = pca.transform(X);
  const labels = gm.predict(X);
  const rank = weightRank(gm.weights);
  const comps = projectComponents(gm, pca);

  drawPlot($("plot"), Z, labels, rank, comps, pca);
  fillWeights(sortByWeight(gm), comps, rank);
  $("details").textContent =
    `n = ${X.rows}, d = ${X.cols}; EM: ${gm.nIter} iterations of the best of ${GMM_OPTIONS.nInit} starts, ` +
    `${gm.converged ? "converged" : "not converged"}; fit took ${fitMs.toFixed(0)} ms. ` +
    `PC1 and PC2 explain ${(100 * pca.explainedVarianceRatio[0]).toFixed(1)}% and ` +
    `${(100 * pca.explainedVarianceRatio[1]).toFixed(1)}% of the variance; ellipses at 1 and 2 standard deviations.`;
  $("status").textContent = "Done.";
  // Written last: the test waits for this element to be filled.
  $("nll").textContent = String(gm.nll);
}

/** fetch() that turns an HTTP error into an exception naming the URL (a 404 would otherwise fail later, obscurely). */
async function fetchOk(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${res.statusText} (did \`npm run build\` run?)`);
  return res;
}

/** rank[k] = position of component k when sorted by increasing weight (sortByWeight's order, ties by index). */
function weightRank(weights) {
  const order = Array.from(weights, (_, k) => k).sort((a, b) => weights[a] - weights[b] || a - b);
  const rank = new Int32Array(weights.length);
  order.forEach((k, r) => (rank[k] = r));
  return rank;
}

/**
 * Each component's mean and covariance in PC coordinates: m = P(μ − x̄), C = P·diag(σ²)·Pᵀ (2×2)
 * with P the 2×d components; the ellipse axes are C's eigenpairs (eigh on the core).
 */
function projectComponents(gm, pca) {
  const d = gm.d;
  const P = pca.components;
  return Array.from(gm.weights, (_, k) => {
    const m = [0, 0];
    const C = new Float64Array(4);
    for (let a = 0; a < 2; a++) {
      for (let j = 0; j < d; j++) m[a] += P[a * d + j] * (gm.means[k * d + j] - pca.mean[j]);
      for (let b = 0; b < 2; b++) {
        for (let j = 0; j < d; j++) C[a * 2 + b] += P[a * d + j] * P[b * d + j] * gm.variances[k * d + j];
      }
    }
    const { values, vectors } = eigh(C, 2);
    return {
      mean: m,
      // Round-off floor: C is positive definite, but keep sqrt's argument ≥ 0.
      radii: [Math.sqrt(Math.max(values[0], 0)), Math.sqrt(Math.max(values[1], 0))],
      angleDeg: (Math.atan2(vectors[1], vectors[0]) * 180) / Math.PI,
    };
  });
}

const SVG_NS = "http://www.w3.org/2000/svg";

function el(parent, name, attrs = {}, text) {
  const e = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  parent.appendChild(e);
  return e;
}

/** Points coloured by their most probable component, and 1σ/2σ ellipses, in equal-aspect PC coordinates. */
function drawPlot(svg, Z, labels, rank, comps, pca) {
  const W = Number(svg.getAttribute("width"));
  const H = Number(svg.getAttribute("height"));
  const pad = 36;
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < Z.rows; i++) {
    x0 = Math.min(x0, Z.data[2 * i]); x1 = Math.max(x1, Z.data[2 * i]);
    y0 = Math.min(y0, Z.data[2 * i + 1]); y1 = Math.max(y1, Z.data[2 * i + 1]);
  }
  // One scale for both axes so the ellipses keep their true shape; floor for a degenerate range.
  const s = Math.min((W - 2 * pad) / Math.max(x1 - x0, 1e-9), (H - 2 * pad) / Math.max(y1 - y0, 1e-9));
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  // Data coordinates inside, y up; strokes keep their pixel width under the scale.
  const g = el(svg, "g", { transform: `translate(${W / 2} ${H / 2}) scale(${s} ${-s}) translate(${-cx} ${-cy})` });
  const points = el(g, "g", { "fill-opacity": 0.35 });
  for (let i = 0; i < Z.rows; i++) {
    el(points, "circle", { cx: Z.data[2 * i], cy: Z.data[2 * i + 1], r: 1.6 / s, fill: COLOURS[rank[labels[i]] % COLOURS.length] });
  }
  comps.forEach((c, k) => {
    const colour = COLOURS[rank[k] % COLOURS.length];
    const at = el(g, "g", { transform: `translate(${c.mean[0]} ${c.mean[1]}) rotate(${c.angleDeg})` });
    for (const sd of [1, 2]) {
      el(at, "ellipse", {
        rx: sd * c.radii[0], ry: sd * c.radii[1], fill: "none", stroke: colour, "stroke-width": 2,
        "stroke-dasharray": sd === 1 ? "4 3" : "none", "vector-effect": "non-scaling-stroke",
      });
    }
    el(at, "circle", { r: 3.5 / s, fill: colour, stroke: "#000", "stroke-width": 1, "vector-effect": "non-scaling-stroke" });
  });
  const pct = (v) => `${(100 * v).toFixed(1)}%`;
  el(svg, "text", { x: W / 2, y: H - 8, "text-anchor": "middle", "font-size": 13 }, `PC1 (${pct(pca.explainedVarianceRatio[0])} of variance)`);
  el(svg, "text", { x: 14, y: H / 2, "text-anchor": "middle", "font-size": 13, transform: `rotate(-90 14 ${H / 2})` }, `PC2 (${pct(pca.explainedVarianceRatio[1])})`);
}

/** The table of components by increasing weight (sortByWeight); the exact weights also go into data-weights. */
function fillWeights(sorted, comps, rank) {
  const table = $("weights");
  const body = table.querySelector("tbody");
  const byRank = [];
  rank.forEach((r, k) => (byRank[r] = comps[k]));
  sorted.weights.forEach((w, r) => {
    const tr = document.createElement("tr");
    const cells = [
      `<span class="swatch" style="background:${COLOURS[r % COLOURS.length]}"></span> ${r + 1}`,
      w.toFixed(4),
      byRank[r].mean[0].toFixed(3),
      byRank[r].mean[1].toFixed(3),
    ];
    tr.innerHTML = cells.map((c) => `<td>${c}</td>`).join("");
    body.appendChild(tr);
  });
  table.dataset.weights = JSON.stringify(sorted.weights);
}

function showError(e) {
  $("status").textContent = "Failed.";
  $("error").textContent = e && e.stack ? e.stack : String(e);
}

main().catch((e) => {
  showError(e);
  console.error(e);
});
