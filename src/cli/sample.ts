// `emlab sample`: rows drawn from a saved model (GaussianMixture's sampler, one seeded stream
// in row order), written a chunk at a time as CSV (stdout or FILE.csv, no header: d values
// per line) or as an .npy file of float32 (n × d), which appears only when complete.
import { npyHeader } from "../data/npy.js";
import { GMM_DEFAULTS } from "../mixture/gaussian-mixture.js";
import { MixtureSampler } from "../mixture/sample.js";
import { fileError, UserError } from "../util/errors.js";
import { numberOption, parseNumberFlag, parseStringFlag, SEED_RULE, type Command, type GlobalArgs, type NumberRule } from "./args.js";
import { f32Text, MODEL_OPTION, parseOutFileFlag, readModelFile, rowOutput } from "./data-input.js";

/** Rows drawn and written at a time. */
const SAMPLE_CHUNK_ROWS = 8192;

interface SampleArgs {
  model: string;
  n: string | number;
  seed: string | number;
  out?: string;
}

/** --n: rows to draw. */
const N_RULE: NumberRule = { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER };

/** --seed's default: the library's (gm.sample(n) draws the rows `emlab sample` prints without --seed). */
const SAMPLE_SEED = GMM_DEFAULTS.seed;

async function handler(a: SampleArgs & GlobalArgs): Promise<void> {
  const modelFile = parseStringFlag("model", a.model);
  const n = parseNumberFlag("n", a.n, N_RULE);
  const seed = parseNumberFlag("seed", a.seed, SEED_RULE);
  const outFile = parseOutFileFlag(a.out, [".csv", ".npy"]);
  const gm = readModelFile(modelFile);
  let sampler: MixtureSampler;
  try {
    sampler = new MixtureSampler(gm, seed);
  } catch (e) {
    if (e instanceof UserError) throw fileError(modelFile, null, e.message.replace(/^sample: /, ""));
    throw e;
  }
  const d = gm.nFeatures;
  const npy = outFile?.toLowerCase().endsWith(".npy") ?? false;
  const out = rowOutput(outFile);
  try {
    if (npy) await out.write(npyHeader("<f4", [n, d]));
    const X = new Float32Array(Math.min(n, SAMPLE_CHUNK_ROWS) * d);
    const labels = new Int32Array(Math.min(n, SAMPLE_CHUNK_ROWS));
    for (let first = 0; first < n; first += SAMPLE_CHUNK_ROWS) {
      const rows = Math.min(SAMPLE_CHUNK_ROWS, n - first);
      sampler.next(rows, X, labels);
      if (npy) {
        // .npy stores '<f4' values: this machine's float32 bytes are little-endian
        await out.write(new Uint8Array(X.buffer, 0, rows * d * 4).slice());
      } else {
        const lines: string[] = new Array(rows);
        for (let i = 0; i < rows; i++) lines[i] = Array.from(X.subarray(i * d, (i + 1) * d), f32Text).join(",");
        await out.write(lines.join("\n") + "\n");
      }
    }
    out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
  if (outFile !== undefined && !a.quiet) process.stderr.write(`wrote ${outFile}: ${n} rows × ${d} (${npy ? ".npy float32" : "CSV"})\n`);
}

export const sampleCommand: Command<SampleArgs> = {
  command: "sample",
  describe: "draw rows from a saved model (model.json) into CSV or .npy",
  builder: (y) =>
    y
      .option("model", MODEL_OPTION)
      .option("n", { ...numberOption("rows to draw", N_RULE), demandOption: true })
      .option("seed", numberOption("random seed; the same seed gives the same rows", SEED_RULE, SAMPLE_SEED))
      .option("out", { type: "string", describe: "FILE.csv or FILE.npy (float32); default: CSV on stdout" }) as any,
  examples: [
    ["$0 sample --model out/gmm/model.json --n 1000 > draws.csv", "1000 rows, d comma-separated values each"],
    ["$0 sample --model model.json --n 1000000 --seed 7 --out draws.npy", "an .npy file for numpy (np.load)"],
  ],
  handler,
};
