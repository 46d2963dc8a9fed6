// `emlab predict`: the most probable component of every row of a data file under a saved
// model (and, with --proba, the responsibilities p(k | x)), read and written a chunk at a
// time, so memory stays bounded whatever the file's length. Labels are those of
// GaussianMixture.predict. Text output: one line per row, "label" or "label,p_0,…,p_{K−1}";
// --json: {"labels": [...], "proba": [[...], ...]}, where proba needs a second pass over the
// data (the labels are written before it).
import { nodeCore } from "../core/node.js";
import { HEADER_MODES } from "../data/csv-parse.js";
import type { RowSource } from "../data/row-source.js";
import { MixtureScorer } from "../mixture/scorer.js";
import { parseChoice, parseStringFlag, type Command } from "./args.js";
import { HEADER_OPTION, MODEL_DATA_OPTION, MODEL_OPTION, openModelData, parseOutFileFlag, readModelFile, rowOutput, type RowOutput } from "./data-input.js";

/** Rows per chunk: memory is this many rows of the data (f32) and of K log-probabilities (f64). */
const PREDICT_CHUNK_ROWS = 8192;

interface PredictArgs {
  model: string;
  data: string;
  header: string;
  proba: boolean;
  json: boolean;
  out?: string;
}

async function handler(a: PredictArgs): Promise<void> {
  const modelFile = parseStringFlag("model", a.model);
  const dataFile = parseStringFlag("data", a.data);
  const header = parseChoice("header", a.header, HEADER_MODES);
  const outFile = parseOutFileFlag(a.out);
  const gm = readModelFile(modelFile);
  const source = openModelData(dataFile, header, gm, modelFile);
  const core = nodeCore();
  // not core.scoped: it would free the scorer when the async body first awaits
  const mark = core.mark();
  try {
    const scorer = new MixtureScorer(gm, core);
    const out = rowOutput(outFile);
    try {
      if (a.json) await writeJson(out, scorer, source, a.proba);
      else await writeLines(out, scorer, source, a.proba);
      out.commit();
    } catch (e) {
      out.abort();
      throw e;
    }
  } finally {
    core.release(mark);
  }
}

/** One line per row: the label, then (with proba) the K responsibilities, comma-separated. */
async function writeLines(out: RowOutput, scorer: MixtureScorer, source: RowSource, proba: boolean): Promise<void> {
  const K = scorer.K;
  for (const chunk of source.chunks(PREDICT_CHUNK_ROWS)) {
    const labels = scorer.predict(chunk);
    const p = proba ? scorer.predictProba(chunk) : undefined;
    const lines: string[] = new Array(chunk.rows);
    for (let i = 0; i < chunk.rows; i++) {
      lines[i] = p ? `${labels[i]},${Array.from(p.subarray(i * K, (i + 1) * K)).join(",")}` : String(labels[i]);
    }
    await out.write(lines.join("\n") + "\n");
  }
}

/** {"labels":[…]} or {"labels":[…],"proba":[[…],…]}, written a chunk at a time. */
async function writeJson(out: RowOutput, scorer: MixtureScorer, source: RowSource, proba: boolean): Promise<void> {
  const K = scorer.K;
  const array = async (key: string, cell: (chunk: Parameters<MixtureScorer["predict"]>[0]) => string[]) => {
    await out.write(`"${key}":[`);
    let first = true;
    for (const chunk of source.chunks(PREDICT_CHUNK_ROWS)) {
      const cells = cell(chunk);
      if (cells.length === 0) continue;
      await out.write((first ? "" : ",") + cells.join(","));
      first = false;
    }
    await out.write("]");
  };
  await out.write("{");
  await array("labels", (c) => Array.from(scorer.predict(c), String));
  if (proba) {
    await out.write(",");
    await array("proba", (c) => {
      const p = scorer.predictProba(c);
      return Array.from({ length: c.rows }, (_, i) => `[${Array.from(p.subarray(i * K, (i + 1) * K)).join(",")}]`);
    });
  }
  await out.write("}\n");
}

export const predictCommand: Command<PredictArgs> = {
  command: "predict",
  describe: "label every row of a data file (CSV or .npy) with a saved model's most probable component, in chunks",
  builder: (y) =>
    y
      .option("model", MODEL_OPTION)
      .option("data", MODEL_DATA_OPTION)
      .option("header", HEADER_OPTION)
      .option("proba", { type: "boolean", default: false, describe: "also the responsibilities p(k | x) of each row" })
      .option("json", { type: "boolean", default: false, describe: 'one JSON document: {"labels": [...]} (and "proba": [[...], ...])' })
      .option("out", { type: "string", describe: "write to this file (it appears only when complete) instead of stdout" }) as any,
  examples: [
    ["$0 predict --model out/gmm/model.json --data new.csv > labels.txt", "one label per line (usable as gmm --init-labels)"],
    ["$0 predict --model model.json --data x.npy --proba --out resp.csv", "label,p_0,…,p_{K−1} per row, into resp.csv"],
  ],
  handler,
};
