import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCsv, readCsv } from "../src/data/csv.js";
import { loadData } from "../src/data/datasets.js";
import { makeGmmDataset, truthToJson } from "../src/data/make-gmm-dataset.js";
import { UserError } from "../src/util/errors.js";

/** The UserError message thrown by fn (fails if fn does not throw one). */
function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.instance(e, UserError);
    const msg = (e as Error).message;
    assert.not.match(msg, "\n");
    return msg;
  }
  assert.unreachable("expected a UserError");
  return "";
}

test("comma-separated with a header, CRLF and blank trailing lines", () => {
  const m = parseCsv("a,b,c\r\n1,2,3\r\n4.5, -6e-1 ,7\r\n\r\n\n", "x.csv");
  assert.is(m.rows, 2);
  assert.is(m.cols, 3);
  assert.equal(Array.from(m.data), [1, 2, 3, 4.5, Math.fround(-0.6), 7]);
});

test("whitespace-separated (spaces and tabs, leading blanks), no header", () => {
  const m = parseCsv("  1 2\t3\n4\t\t5   6\n", "x.txt");
  assert.is(m.rows, 2);
  assert.is(m.cols, 3);
  assert.equal(Array.from(m.data), [1, 2, 3, 4, 5, 6]);
});

test("a byte-order mark and a missing final newline are fine; one column works", () => {
  const m = parseCsv("\ufeffv\n1\n2", "x.csv");
  assert.equal([m.rows, m.cols], [2, 1]);
  assert.equal(Array.from(m.data), [1, 2]);
});

test("a first row with a number in it is data, so a typo there is reported, not taken as header", () => {
  assert.is(userError(() => parseCsv("1,2,abc\n4,5,6\n", "data.csv")), "data.csv:1: column 3: 'abc' is not a number");
});

test("errors name file, line and column", () => {
  const rows = ["x,y,z", "1,2,3", "4,5,6"];
  assert.is(userError(() => parseCsv([...rows, "7,8,abc"].join("\n"), "data.csv")), "data.csv:4: column 3: 'abc' is not a number");
  assert.is(userError(() => parseCsv([...rows, "7,NaN,9"].join("\n"), "d.csv")), "d.csv:4: column 2: 'NaN' is not a finite number");
  assert.is(userError(() => parseCsv([...rows, "Infinity,8,9"].join("\n"), "d.csv")), "d.csv:4: column 1: 'Infinity' is not a finite number");
  assert.is(userError(() => parseCsv([...rows, "1,2,3,4"].join("\n"), "d.csv")), "d.csv:4: has 4 columns, expected 3 (as the header)");
  assert.is(userError(() => parseCsv("1 2 3\n\n4 5\n", "d.txt")), "d.txt:3: has 2 columns, expected 3 (as the first row)");
  assert.is(userError(() => parseCsv("1,,3\n", "d.csv")), "d.csv:1: column 2: empty cell");
  assert.is(userError(() => parseCsv("1,1e39,3\n", "d.csv")), "d.csv:1: column 2: '1e39' is outside the float32 range");
});

test("empty input and header-only input", () => {
  assert.is(userError(() => parseCsv("", "e.csv")), "e.csv: is empty (no data rows)");
  assert.is(userError(() => parseCsv("\n  \n", "e.csv")), "e.csv: is empty (no data rows)");
  assert.is(userError(() => parseCsv("a,b\n", "h.csv")), "h.csv: has a header row but no data rows");
});

test("readCsv: an unreadable path is a UserError naming it", () => {
  assert.is(userError(() => readCsv("/nonexistent/dir/x.csv")), "/nonexistent/dir/x.csv: cannot read: no such file or directory");
  assert.match(userError(() => readCsv(tmpdir())), /^\/.*: cannot read: is a directory$/);
});

test("readCsv parses a few MB quickly and exactly", () => {
  const dir = mkdtempSync(join(tmpdir(), "emlab-csv-"));
  const rows = 40_000;
  const cols = 10;
  const lines = ["h" + Array.from({ length: cols - 1 }, (_, j) => `,c${j}`).join("")];
  for (let i = 0; i < rows; i++) lines.push(Array.from({ length: cols }, (_, j) => ((i * 31 + j * 7) % 1000) / 8 - 60).join(","));
  const file = join(dir, "big.csv");
  writeFileSync(file, lines.join("\n"));
  const t0 = performance.now();
  const m = readCsv(file);
  const ms = performance.now() - t0;
  assert.equal([m.rows, m.cols], [rows, cols]);
  assert.is(m.data[(rows - 1) * cols + 9], Math.fround((((rows - 1) * 31 + 63) % 1000) / 8 - 60));
  assert.ok(ms < 2000, `${(readFileSync(file).length / 1e6).toFixed(1)} MB took ${ms.toFixed(0)} ms`);
});

test("the shipped data/gmm_dataset.csv and truth are exactly what the generator makes", () => {
  const { csv, truth } = makeGmmDataset();
  const shippedCsv = readFileSync(new URL("../../data/gmm_dataset.csv", import.meta.url), "utf8");
  const shippedTruth = readFileSync(new URL("../../data/gmm_dataset.truth.json", import.meta.url), "utf8");
  assert.ok(shippedCsv === csv, "data/gmm_dataset.csv differs from the generator's output: run npm run make-data");
  assert.ok(shippedTruth === truthToJson(truth), "data/gmm_dataset.truth.json differs: run npm run make-data");
  const t = JSON.parse(shippedTruth);
  assert.is(t.labels.length, t.n);
  assert.equal(t.counts, [150, 300, 600, 750, 1200]);
});

test("gmm-default loads the bundled 3000×10 data; its empirical moments match the truth", () => {
  const d = loadData("gmm-default");
  assert.equal([d.matrix.rows, d.matrix.cols], [3000, 10]);
  assert.ok(d.source.endsWith("data/gmm_dataset.csv"));
  const t = JSON.parse(readFileSync(d.truthFile!, "utf8"));
  // Per-component sample means from the true labels lie within 4 standard errors of the true means.
  for (let k = 0; k < 5; k++) {
    const idx = t.labels.map((l: number, i: number) => (l === k ? i : -1)).filter((i: number) => i >= 0);
    for (let j = 0; j < 10; j++) {
      let s = 0;
      for (const i of idx) s += d.matrix.data[i * 10 + j];
      const se = Math.sqrt(t.variances[k][j] / idx.length);
      assert.ok(Math.abs(s / idx.length - t.means[k][j]) < 4 * se + 1e-6, `component ${k}, dim ${j}`);
    }
  }
});

test("loadData treats other specs as CSV paths", () => {
  const dir = mkdtempSync(join(tmpdir(), "emlab-csv-"));
  const file = join(dir, "s.csv");
  writeFileSync(file, "1 2\n3 4\n");
  const d = loadData(file);
  assert.equal([d.matrix.rows, d.matrix.cols, d.source, d.name], [2, 2, file, file]);
});

test.run();
