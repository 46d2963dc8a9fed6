// The numbers of docs/gmm.md "Initialisation" and "Choosing K" on the bundled data set:
// final ℓ of single starts vs restarts over 20 seeds, and ℓ / BIC / AIC for K = 1..8.
// Run: node build/bench/gmm-init.js
import { existsSync } from "node:fs";
import { nodeCore } from "../src/core/node.js";
import { gmmDefaultPaths, loadData } from "../src/data/datasets.js";
import { GaussianMixture, sortByWeight, type InitMethod } from "../src/mixture/gaussian-mixture.js";

function main(): void {
  nodeCore();
  const { csv } = gmmDefaultPaths();
  if (!existsSync(csv)) {
    console.log(`${csv} not present: skipped`);
    return;
  }
  const X = loadData("gmm-default").matrix;
  const K = 5;
  const seeds = Array.from({ length: 20 }, (_, s) => s);
  const runs = new Map<string, GaussianMixture[]>();
  for (const nInit of [1, 5]) {
    for (const init of ["random", "random-assignment", "kmeans++"] as InitMethod[]) {
      runs.set(`${init} nInit=${nInit}`, seeds.map((seed) => new GaussianMixture({ nComponents: K, init, nInit, seed }).fit(X)));
    }
  }
  const best = Math.min(...[...runs.values()].flat().map((g) => g.nll));
  console.log(`bundled data n=${X.rows} d=${X.cols}, K=${K}, ${seeds.length} seeds; best ℓ ${best.toFixed(2)}; poor = ℓ > best + 1`);
  for (const [name, fits] of runs) {
    const nll = fits.map((g) => g.nll).sort((a, b) => a - b);
    const worst = fits.reduce((a, g) => (g.nll > a.nll ? g : a));
    const poor = nll.filter((v) => v > best + 1).length;
    const mean = nll.reduce((a, b) => a + b, 0) / nll.length;
    console.log(
      `${name.padEnd(28)} poor ${poor}/${seeds.length}  median ${nll[nll.length >> 1].toFixed(1)}  worst ${nll[nll.length - 1].toFixed(1)}` +
        `  mean ${mean.toFixed(1)}  worst weights ${sortByWeight(worst).weights.map((w) => w.toFixed(3)).join(" ")}`,
    );
  }
  console.log("K  ℓ  BIC  AIC  (kmeans++, nInit 5)");
  for (let k = 1; k <= 8; k++) {
    const g = new GaussianMixture({ nComponents: k }).fit(X);
    console.log(`${k}  ${g.nll.toFixed(1)}  ${g.bic(X).toFixed(1)}  ${g.aic(X).toFixed(1)}`);
  }
}

main();
