// `emlab predict`: the most probable component of every row of a data file under a saved
// model (and, with --proba, the responsibilities p(k | x)), read and written a chunk at a
// time, so memory stays bounded whatever the file's length. Labels are those of
// GaussianMixture.predict. Text output: one line per row, "label" or "label,p_0,…,p_{K−1}";
// --json: {"labels": [...], "proba": [[...], ...]}, where proba needs a second pass over the
// data (the labels are written before it). A binary file (.npy, raw float32) is labelled by
// --threads threads, each reading its own chunks; the output is the same for any count.
import { nodeCore } from "../core/node.js";
import type { RowSource } from "../data/row-source.js";
import { mostProbable, MixtureScorer, responsibilities } from "../mixture/scorer.js";
import type { ShardPool } from "../parallel/shard-workers.js";
import type { Command } from "./args.js";
import { modelDataOptions, openModelInput, parseOutFileFlag, rowOutput, type ModelDataArgs, type RowOutput } from "./data-input.js";

/** Rows per chunk: memory is this many rows of the data (f32) and of K log-probabilities (f64), per thread. */
const PREDICT_CHUNK_ROWS = 8192;
/** Chunks per pass of a ShardPool, per thread: the rows labelled before they are written out. */
const CHUNKS_PER_THREAD = 4;

interface PredictArgs extends ModelDataArgs {
  proba: boolean;
  json: boolean;
  out?: string;
}

async function handler(a: PredictArgs): Promise<void> {
  const outFile = parseOutFileFlag(a.out);
  const { gm, source, pool } = openModelInput(a);
  const core = nodeCore();
  // not core.scoped: it would free the scorer when the async body first awaits
  const mark = core.mark();
  try {
    const chunks = logProbChunks(new MixtureScorer(gm, core), source, pool);
    const out = rowOutput(outFile);
    try {
      if (a.json) await writeJson(out, chunks, gm.weights.length, a.proba);
      else await writeLines(out, chunks, gm.weights.length, a.proba);
      out.commit();
    } catch (e) {
      out.abort();
      throw e;
    }
  } finally {
    core.release(mark);
    await pool?.close();
  }
}

/** A pass over the data: the weighted log-probabilities (rows×K) of each chunk, in row order. */
type LogProbChunks = () => Iterable<Float64Array>;

/** The passes of `scorer` over `source`: on this thread, or on the threads of `pool` (a few chunks per thread at a time). */
function logProbChunks(scorer: MixtureScorer, source: RowSource, pool: ShardPool | undefined): LogProbChunks {
  if (!pool) return () => (function* () {
    for (const chunk of source.chunks(PREDICT_CHUNK_ROWS)) yield scorer.weightedLogProb(chunk);
  })();
  const K = scorer.K;
  const chunkRows = PREDICT_CHUNK_ROWS;
  const nChunks = Math.ceil(pool.n / chunkRows);
  const perPass = pool.threads * CHUNKS_PER_THREAD;
  return function* () {
    for (let from = 0; from < nChunks; from += perPass) {
      const to = Math.min(nChunks, from + perPass);
      const lps: Float64Array[] = [];
      const shape = { chunkRows, stride: chunkRows * K, from, to };
      pool.map({ op: "logprob", args: { model: scorer.model } }, shape, (c, lp) => {
        lps.push(lp.slice(0, Math.min(chunkRows, pool.n - c * chunkRows) * K));
      });
      yield* lps;
    }
  };
}

/** One line per row: the label, then (with proba) the K responsibilities, comma-separated. */
async function writeLines(out: RowOutput, chunks: LogProbChunks, K: number, proba: boolean): Promise<void> {
  for (const lp of chunks()) {
    const labels = mostProbable(lp, K);
    const p = proba ? responsibilities(lp, K) : undefined;
    const lines: string[] = new Array(labels.length);
    for (let i = 0; i < labels.length; i++) {
      lines[i] = p ? `${labels[i]},${Array.from(p.subarray(i * K, (i + 1) * K)).join(",")}` : String(labels[i]);
    }
    await out.write(lines.join("\n") + "\n");
  }
}

/** {"labels":[…]} or {"labels":[…],"proba":[[…],…]}, written a chunk at a time. */
async function writeJson(out: RowOutput, chunks: LogProbChunks, K: number, proba: boolean): Promise<void> {
  const array = async (key: string, cells: (lp: Float64Array) => string[]) => {
    await out.write(`"${key}":[`);
    let first = true;
    for (const lp of chunks()) {
      const c = cells(lp);
      if (c.length === 0) continue;
      await out.write((first ? "" : ",") + c.join(","));
      first = false;
    }
    await out.write("]");
  };
  await out.write("{");
  await array("labels", (lp) => Array.from(mostProbable(lp, K), String));
  if (proba) {
    await out.write(",");
    await array("proba", (lp) => {
      const p = responsibilities(lp, K);
      return Array.from({ length: p.length / K }, (_, i) => `[${Array.from(p.subarray(i * K, (i + 1) * K)).join(",")}]`);
    });
  }
  await out.write("}\n");
}

export const predictCommand: Command<PredictArgs> = {
  command: "predict",
  describe: "label every row of a data file (CSV or .npy) with a saved model's most probable component, in chunks",
  builder: (y) =>
    modelDataOptions(y)
      .option("proba", { type: "boolean", default: false, describe: "also the responsibilities p(k | x) of each row" })
      .option("json", { type: "boolean", default: false, describe: 'one JSON document: {"labels": [...]} (and "proba": [[...], ...])' })
      .option("out", { type: "string", describe: "write to this file (it appears only when complete) instead of stdout" }) as any,
  examples: [
    ["$0 predict --model out/gmm/model.json --data new.csv > labels.txt", "one label per line (usable as gmm --init-labels)"],
    ["$0 predict --model model.json --data x.npy --proba --out resp.csv", "label,p_0,…,p_{K−1} per row, into resp.csv"],
  ],
  handler,
};
