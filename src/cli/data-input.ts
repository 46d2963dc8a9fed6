// What emlab score, predict and sample share: the --header flag of CSV input, reading a model
// file (model.json, GaussianMixture.toJSON), and an output that is either stdout (written as it
// goes) or a file written under a temporary name and renamed when complete.
import { once } from "node:events";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { describeFsError } from "../data/csv.js";
import { CSV_DEFAULTS, HEADER_MODES } from "../data/csv-parse.js";
import { BinaryRowSource, openRowSource, type RowSource } from "../data/row-source.js";
import { covarianceEntry } from "../mixture/covariance.js";
import { GaussianMixture } from "../mixture/gaussian-mixture.js";
import { AtomicFileWriter } from "../util/atomic.js";
import { fileError, UserError } from "../util/errors.js";
import { defaultThreads } from "../parallel/pool.js";
import { ShardPool } from "../parallel/shard-workers.js";
import type { Argv } from "yargs";
import { parseChoice, parseStringFlag, parseThreadsFlag, threadsOption } from "./args.js";

/** The yargs option of --header (commands that read CSV); its value is checked by parseChoice("header", …, HEADER_MODES). */
export const HEADER_OPTION = {
  choices: HEADER_MODES,
  default: CSV_DEFAULTS.header,
  describe: "CSV header row (auto: a first row with a cell that is not a number, or exactly pandas' names 0,1,…,d−1)",
} as const;

/** The yargs option of --shape (commands that read a data file). */
export const SHAPE_OPTION = {
  type: "string",
  describe: "n,d: --data is a raw file of n×d little-endian float32 values (no header), e.g. X.astype('<f4').tofile(path)",
} as const;

/** --shape n,d (optional): two whole numbers ≥ 1. */
export function parseShapeFlag(raw: unknown): [number, number] | undefined {
  if (raw === undefined) return undefined;
  const text = parseStringFlag("shape", raw).trim();
  const parts = text.split(",").map((p) => p.trim());
  const nums = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (nums.length !== 2 || !nums.every((v) => Number.isSafeInteger(v) && v >= 1)) {
    throw new UserError(`--shape: '${text}' is not n,d (two whole numbers ≥ 1: rows, then values per row)`);
  }
  return [nums[0], nums[1]];
}

/** The yargs option of --model (score, predict, sample). */
export const MODEL_OPTION = {
  type: "string",
  demandOption: true,
  describe: "model file: model.json from emlab gmm --out, or GaussianMixture.toJSON",
} as const;

/** The yargs option of --data (score, predict). */
const MODEL_DATA_OPTION = { type: "string", demandOption: true, describe: "CSV, .npy or (with --shape) raw float32 file with the model's number of columns" } as const;

/** The yargs option of --threads (score, predict). */
const THREADS_OPTION = threadsOption(
  "threads that read and score chunks of an .npy or raw float32 --data (a CSV is parsed on one); the same numbers for any count",
  defaultThreads(),
);

/** The flags of a saved model and a data file, which score and predict share. */
export interface ModelDataArgs {
  model: string;
  data: string;
  header: string;
  shape?: string;
  threads?: string;
}

/** score's and predict's options for ModelDataArgs. */
export function modelDataOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option("model", MODEL_OPTION)
    .option("data", MODEL_DATA_OPTION)
    .option("header", HEADER_OPTION)
    .option("shape", SHAPE_OPTION)
    .option("threads", THREADS_OPTION) as unknown as Argv<T>;
}

/** A checked model and data file: the rows as a source, and on threads > 1 for a binary file also as a ShardPool (the caller closes it). */
export interface ModelData {
  modelFile: string;
  dataFile: string;
  gm: GaussianMixture;
  source: RowSource;
  pool: ShardPool | undefined;
}

/**
 * Checks ModelDataArgs, reads the model and opens the data, whose columns must be the model's
 * features. A binary file (.npy, raw float32) on threads > 1 is also read by a ShardPool, each
 * thread reading its own chunks; a CSV is parsed in one pass on this thread.
 */
export function openModelInput(a: ModelDataArgs): ModelData {
  const modelFile = parseStringFlag("model", a.model);
  const dataFile = parseStringFlag("data", a.data);
  const header = parseChoice("header", a.header, HEADER_MODES);
  const shape = parseShapeFlag(a.shape);
  const threads = parseThreadsFlag(a.threads, defaultThreads());
  const gm = readModelFile(modelFile);
  const source = openRowSource(dataFile, { header, shape });
  if (source.cols !== gm.nFeatures) {
    throw new UserError(`--data: ${dataFile} has ${source.cols} columns, the model ${modelFile} has ${gm.nFeatures} features`);
  }
  const pool = source instanceof BinaryRowSource && threads > 1 ? new ShardPool(source.layout, { threads }) : undefined;
  return { modelFile, dataFile, gm, source, pool };
}

/** A model file written by `emlab gmm --out` (model.json) or GaussianMixture.toJSON; errors name the file. */
export function readModelFile(path: string): GaussianMixture {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw fileError(path, null, `cannot read --model: ${describeFsError(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const at = /position (\d+)/.exec(msg);
    const line = at ? text.slice(0, Number(at[1])).split("\n").length : null;
    throw fileError(path, line, `not JSON (${msg.replace(/ in JSON at position \d+.*$/, "").replace(/^JSON\.parse: /, "")})`);
  }
  let gm: GaussianMixture;
  try {
    gm = GaussianMixture.fromJSON(json);
  } catch (e) {
    if (e instanceof UserError) throw fileError(path, null, e.message);
    throw e;
  }
  // fromJSON checks shapes and finiteness; a usable model also needs weights ≥ 0 and variances > 0
  const entry = covarianceEntry(gm.covarianceType);
  gm.weights.forEach((w, k) => {
    if (!(w >= 0)) throw fileError(path, null, `weight ${k} is ${w}, expected ≥ 0`);
    const v = entry.featureVariances(entry.componentVariance(gm.variances, k, gm.nFeatures), gm.nFeatures);
    const j = v.findIndex((x) => !(x > 0));
    if (j >= 0) throw fileError(path, null, `component ${k}: variance of feature ${j} is ${v[j]}, expected > 0`);
  });
  return gm;
}

/** Where rows of output go: stdout as they come, or a file that appears whole (temp + rename). */
export interface RowOutput {
  write(text: string | Uint8Array): Promise<void>;
  /** The output is complete: rename the file into place (stdout: nothing to do). */
  commit(): void;
  /** Remove the temporary file (stdout: what was printed stays printed). */
  abort(): void;
}

/** --out FILE (optional): a value, and not an existing directory; `extensions` lists the endings allowed. */
export function parseOutFileFlag(raw: unknown, extensions?: readonly string[]): string | undefined {
  if (raw === undefined) return undefined;
  const path = parseStringFlag("out", raw);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UserError(`--out: '${path}' is a directory, expected a file name`);
  for (let up = dirname(path); ; up = dirname(up)) {
    if (existsSync(up)) {
      if (!statSync(up).isDirectory()) throw new UserError(`--out: '${up}' is not a directory`);
      break;
    }
    if (dirname(up) === up) break;
  }
  if (extensions && !extensions.some((e) => path.toLowerCase().endsWith(e))) {
    throw new UserError(`--out: '${path}' must end in ${extensions.join(" or ")}`);
  }
  return path;
}

/** Output to `path`, or to stdout when it is undefined. */
export function rowOutput(path: string | undefined): RowOutput {
  if (path === undefined) {
    return {
      // pipes to a slow reader: wait for it rather than buffer the whole output in memory
      async write(text) {
        if (!process.stdout.write(text)) await once(process.stdout, "drain");
      },
      commit() {},
      abort() {},
    };
  }
  let w: AtomicFileWriter;
  try {
    w = new AtomicFileWriter(path);
  } catch (e) {
    throw new UserError(`--out: cannot create '${path}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return {
    async write(text) {
      w.write(text);
    },
    commit: () => w.commit(),
    abort: () => w.abort(),
  };
}

/** A float32 value as text that reads back to the same float32 (9 significant digits, trailing zeros dropped). */
export function f32Text(v: number): string {
  return String(Number(v.toPrecision(9)));
}
