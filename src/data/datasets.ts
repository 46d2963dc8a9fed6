// Named data sets for the CLI's --data flag: the bundled GMM data, MNIST images, or the path of
// a CSV or .npy file (row-source.ts).
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { Matrix } from "../core/matrix.js";
import { loadMnist } from "./mnist.js";
import { readMatrixFile, type DataFileOptions, type InputInfo } from "./row-source.js";

/** The names --data accepts besides a file path. */
export const DATASET_NAMES = ["gmm-default", "mnist-train", "mnist-test"] as const;

export interface LoadedData {
  matrix: Matrix;
  /** The file the rows came from. */
  source: string;
  /** The spec's name (`gmm-default`, `mnist-train`, …) or the file's path. */
  name: string;
  /** How a CSV or .npy file was read (separator, header, dtype); absent for MNIST. */
  input?: InputInfo;
  /** For gmm-default: the JSON file with the generating mixture. */
  truthFile?: string;
}

/** The package root: the nearest directory above this file holding package.json (works from src/ and build/src/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("emlab: package.json not found above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** data/gmm_dataset.csv and its truth file, in the package root. */
export function gmmDefaultPaths(): { csv: string; truth: string } {
  const root = packageRoot();
  return { csv: join(root, "data", "gmm_dataset.csv"), truth: join(root, "data", "gmm_dataset.truth.json") };
}

/** `p` relative to the working directory when it lies below it (shorter in reports), else unchanged. */
export function displayPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : p;
}

/**
 * Load `gmm-default`, `mnist-train`, `mnist-test` (images only, n×784 in [0, 1]) or a CSV, .npy
 * or (with `shape`) raw float32 path (`header` applies to CSV).
 */
export function loadData(spec: string, opts: { mnistDir?: string } & DataFileOptions = {}): LoadedData {
  if (spec === "gmm-default") {
    const { csv, truth } = gmmDefaultPaths();
    const { matrix, info } = readMatrixFile(displayPath(csv));
    return { matrix, source: displayPath(csv), name: spec, truthFile: displayPath(truth), input: info };
  }
  if (spec === "mnist-train" || spec === "mnist-test") {
    const m = loadMnist(spec === "mnist-train" ? "train" : "test", { dir: opts.mnistDir });
    return { matrix: m.images, source: displayPath(m.imagesFile), name: spec };
  }
  const { matrix, info } = readMatrixFile(spec, { header: opts.header, shape: opts.shape });
  return { matrix, source: spec, name: spec, input: info };
}
