// Generates the bundled data set data/gmm_dataset.csv (+ .truth.json): 3000 rows drawn from a
// known 10-dimensional diagonal mixture of five components with unequal weights and scales.
// Separated enough that EM with restarts recovers it (BIC picks K = 5), not so much that any
// start does: single k-means++ or random-assignment starts often stop in a local optimum that
// merges two components. Run: `npm run make-data` (or node build/src/data/make-gmm-dataset.js).
// Seeded, so the shipped files are exactly what this produces (a test regenerates and compares).
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { writeFileAtomic } from "../util/atomic.js";
import { Rng } from "../util/rng.js";
import { packageRoot } from "./datasets.js";

/** Bump when the generator's output changes. */
export const GENERATOR_VERSION = 1;
export const DEFAULT_SEED = 20240917;

const D = 10;
const N = 3000;
/** Report order (increasing weight). */
const WEIGHTS = [0.05, 0.1, 0.2, 0.25, 0.4];
/** Typical standard deviation of each component; per-dimension values vary ±40% around it. */
const SCALES = [0.5, 1.6, 1.0, 2.0, 0.8];
/** Standard deviation of the means around the origin: large enough to separate, small enough to overlap the wide components. */
const MEAN_SPREAD = 2.2;

export interface GmmTruth {
  generator: string;
  generatorVersion: number;
  seed: number;
  n: number;
  d: number;
  covarianceType: "diag";
  weights: number[];
  counts: number[];
  means: number[][];
  variances: number[][];
  /** Component of each CSV row, in row order. */
  labels: number[];
}

/** The data set as CSV text (header x1..x10) and its truth (the generating mixture). */
export function makeGmmDataset(seed = DEFAULT_SEED): { csv: string; truth: GmmTruth } {
  const rng = new Rng(seed);
  const K = WEIGHTS.length;
  const means = WEIGHTS.map(() => Array.from({ length: D }, () => MEAN_SPREAD * rng.normal()));
  const variances = SCALES.map((s) => Array.from({ length: D }, () => (s * (0.6 + 0.8 * rng.uniform())) ** 2));
  // Exact counts (not a multinomial draw), so the empirical weights equal the stated ones.
  const counts = WEIGHTS.map((w) => Math.round(w * N));
  const labels: number[] = [];
  for (let k = 0; k < K; k++) for (let i = 0; i < counts[k]; i++) labels.push(k);
  const order = rng.permutation(labels.length);
  const shuffled = Array.from(order, (i) => labels[i]);
  const lines = [Array.from({ length: D }, (_, j) => `x${j + 1}`).join(",")];
  for (const k of shuffled) {
    const row: string[] = [];
    for (let j = 0; j < D; j++) row.push((means[k][j] + Math.sqrt(variances[k][j]) * rng.normal()).toPrecision(7));
    lines.push(row.join(","));
  }
  const truth: GmmTruth = {
    generator: "src/data/make-gmm-dataset.ts",
    generatorVersion: GENERATOR_VERSION,
    seed,
    n: shuffled.length,
    d: D,
    covarianceType: "diag",
    weights: WEIGHTS,
    counts,
    means,
    variances,
    labels: shuffled,
  };
  return { csv: lines.join("\n") + "\n", truth };
}

/** The truth as JSON text: two-space indent, but each vector (and the long label list) on one line. */
export function truthToJson(truth: GmmTruth): string {
  const vec = (v: number[]) => `[${v.join(", ")}]`;
  const mat = (m: number[][]) => `[\n${m.map((r) => `    ${vec(r)}`).join(",\n")}\n  ]`;
  const fields: [string, string][] = [
    ["generator", JSON.stringify(truth.generator)],
    ["generatorVersion", String(truth.generatorVersion)],
    ["seed", String(truth.seed)],
    ["n", String(truth.n)],
    ["d", String(truth.d)],
    ["covarianceType", JSON.stringify(truth.covarianceType)],
    ["weights", vec(truth.weights)],
    ["counts", vec(truth.counts)],
    ["means", mat(truth.means)],
    ["variances", mat(truth.variances)],
    ["labels", `[${truth.labels.join(",")}]`],
  ];
  return `{\n${fields.map(([k, v]) => `  "${k}": ${v}`).join(",\n")}\n}\n`;
}

/** Write data/gmm_dataset.csv and data/gmm_dataset.truth.json under the package root. */
export function writeGmmDataset(seed = DEFAULT_SEED): { csv: string; truth: string } {
  const { csv, truth } = makeGmmDataset(seed);
  const dir = join(packageRoot(), "data");
  const paths = { csv: join(dir, "gmm_dataset.csv"), truth: join(dir, "gmm_dataset.truth.json") };
  writeFileAtomic(paths.csv, csv);
  writeFileAtomic(paths.truth, truthToJson(truth));
  return paths;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const paths = writeGmmDataset();
  process.stdout.write(`wrote ${paths.csv}\nwrote ${paths.truth}\n`);
}
