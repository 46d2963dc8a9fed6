// `emlab sample`: rows drawn from a saved model (GaussianMixture's sampler, one seeded stream
// in row order), written a chunk at a time as CSV (stdout or FILE.csv, no header: d values
// per line) or as an .npy file of float32 (n × d), which appears only when complete.
import type { CommandModule } from "yargs";
import { npyHeader } from "../data/npy.js";
import { MixtureSampler } from "../mixture/sample.js";
import { fileError, UserError } from "../util/errors.js";
import { parseNumberFlag, parseStringFlag } from "./args.js";
import { f32Text, MODEL_OPTION, parseOutFileFlag, readModelFile, rowOutput } from "./data-input.js";

/** Rows drawn and written at a time. */
const SAMPLE_CHUNK_ROWS = 8192;

interface SampleArgs {
  model: string;
  n: string;
  seed: string;
  out?: string;
}

async function handler(a: SampleArgs): Promise<void> {
  const modelFile = parseStringFlag("model", a.model);
  const n = parseNumberFlag("n", a.n, { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER });
  const seed = parseNumberFlag("seed", a.seed, { integer: true, min: 0, max: 2 ** 31 - 1 });
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
  if (outFile !== undefined) process.stderr.write(`wrote ${outFile}: ${n} rows × ${d} (${npy ? ".npy float32" : "CSV"})\n`);
}

export const sampleCommand: CommandModule<{}, SampleArgs> = {
  command: "sample",
  describe: "draw rows from a saved model (model.json) into CSV or .npy",
  builder: (y) =>
    y
      .option("model", MODEL_OPTION)
      .option("n", { type: "string", demandOption: true, describe: "rows to draw (integer ≥ 1)" })
      .option("seed", { type: "string", default: "1", describe: "random seed (integer ≥ 0); the same seed gives the same rows" })
      .option("out", { type: "string", describe: "FILE.csv or FILE.npy (float32); default: CSV on stdout" })
      .example("$0 sample --model out/gmm/model.json --n 1000 > draws.csv", "1000 rows, d comma-separated values each")
      .example("$0 sample --model model.json --n 1000000 --seed 7 --out draws.npy", "an .npy file for numpy (np.load)") as any,
  handler,
};
