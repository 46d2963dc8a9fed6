import { test } from "uvu";
import * as assert from "uvu/assert";
import { userError } from "./twin/user-error.js";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCsv, readCsv } from "../src/data/csv.js";
import { CsvReader, type CsvOptions } from "../src/data/csv-parse.js";
import { loadData } from "../src/data/datasets.js";
import { openRowSource } from "../src/data/row-source.js";
import { makeGmmDataset, truthToJson } from "../src/data/make-gmm-dataset.js";

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

test("--header auto: a first row with a cell that is not a number is a header (and says which); no: it is data", () => {
  const m = parseCsv("1,2,abc\n4,5,6\n", "data.csv");
  assert.equal([m.rows, Array.from(m.data)], [1, [4, 5, 6]]);
  assert.equal(m.info.header, { mode: "auto", line: 1, reason: "cell 3 'abc' is not a number" });
  assert.is(userError(() => parseCsv("1,2,abc\n4,5,6\n", "data.csv", { header: "no" })), "data.csv:1: column 3: 'abc' is not a number");
  const yes = parseCsv("1,2,3\n4,5,6\n", "y.csv", { header: "yes" });
  assert.equal([yes.rows, yes.info.header], [1, { mode: "yes", line: 1, reason: "--header yes" }]);
  const data = parseCsv("1,2,3\n4,5,6\n", "n.csv");
  assert.equal([data.rows, data.info.header.line, data.info.header.reason], [2, null, "every cell is a number"]);
});

// What pandas writes for pd.DataFrame(np.array([[1.5, -2.0, 0.1], [0.25, 3.0, 1/3]])): its columns are
// named 0, 1, 2 and each value is Python's repr (pandas' to_csv goes through Python's csv writer).
const PANDAS_ROWS = ["1.5,-2.0,0.1", "0.25,3.0,0.3333333333333333"];
const PANDAS_VALUES = [1.5, -2, 0.1, 0.25, 3, 1 / 3].map(Math.fround);

test("pandas to_csv(index=False): the header 0,1,2 is pandas' column names, not a data row", () => {
  const m = parseCsv(["0,1,2", ...PANDAS_ROWS].join("\n") + "\n", "p.csv");
  assert.equal([m.rows, m.cols, Array.from(m.data)], [2, 3, PANDAS_VALUES]);
  assert.equal(m.info.header, { mode: "auto", line: 1, reason: "pandas' default column names 0…2" });
  assert.is(m.info.indexColumn, false);
  // only exactly 0…d−1 counts: 0,1,3 and 1,2,3 are data
  assert.is(parseCsv("0,1,3\n4,5,6\n", "q.csv").rows, 2);
  assert.is(parseCsv("1,2,3\n4,5,6\n", "q.csv").rows, 2);
  assert.is(parseCsv(["0,1,2", ...PANDAS_ROWS].join("\n"), "p.csv", { header: "no" }).rows, 3);
});

test("pandas to_csv() with its index: the empty first header cell marks the index column, which is skipped", () => {
  const text = [",0,1,2", "0,1.5,-2.0,0.1", "1,0.25,3.0,0.3333333333333333"].join("\n") + "\n";
  const m = parseCsv(text, "i.csv");
  assert.equal([m.rows, m.cols, Array.from(m.data)], [2, 3, PANDAS_VALUES]);
  assert.equal([m.info.indexColumn, m.info.header.reason], [true, "cell 1 is empty"]);
  // a string index (a named, non-numeric one) is skipped too, so it never has to be a number
  assert.equal(Array.from(parseCsv(",a,b\nr1,1,2\nr2,3,4\n", "s.csv").data), [1, 2, 3, 4]);
  // without a header there is no way to tell: --header no reads the index as data
  assert.is(parseCsv(text.split("\n").slice(1).join("\n"), "i.csv", { header: "no" }).cols, 4);
});

test("RFC 4180 quotes: quoted numbers, pandas' quoting=QUOTE_ALL, quoted header names with commas, quotes and newlines", () => {
  const all = parseCsv('"0","1","2"\n"1.5","-2.0","0.1"\n"0.25","3.0","0.3333333333333333"\n', "q.csv");
  assert.equal([all.rows, Array.from(all.data), all.info.header.line], [2, PANDAS_VALUES, 1]);
  // Python's csv writer (pandas' to_csv) for the columns "a b", 'say "hi"', "x,y"
  const names = parseCsv('a b,"say ""hi""","x,y"\n1.0,2.0,3.0\n', "n.csv");
  assert.equal([names.rows, names.cols, Array.from(names.data)], [1, 3, [1, 2, 3]]);
  const multi = parseCsv('"first\ncolumn",b\n1,2\n3,x\n'.replace(",x", ",4"), "m.csv");
  assert.equal([multi.rows, Array.from(multi.data)], [2, [1, 2, 3, 4]]);
  // line numbers count the newline inside the quoted name
  assert.is(userError(() => parseCsv('"first\ncolumn",b\n1,2\n3,x\n', "m.csv")), "m.csv:4: column 2: 'x' is not a number");
  assert.equal(Array.from(parseCsv(' "1" , "2"\r\n3,"4"\r\n', "w.csv").data), [1, 2, 3, 4]);
  const ws = parseCsv('"x 1" "x 2"\n1 "2"\n', "w.txt");
  assert.equal([ws.info.separator, ws.cols, Array.from(ws.data)], ["whitespace", 2, [1, 2]]);
});

test("lines whose first non-blank character is # are skipped; a # inside a cell is not a comment", () => {
  const m = parseCsv("# written by a script\nx,y\n  # indented comment\n1,2\n#,\n3,4\n", "c.csv");
  assert.equal([m.rows, Array.from(m.data), m.info.header.line], [2, [1, 2, 3, 4], 2]);
  assert.is(userError(() => parseCsv("1,2\n3,4 # four\n", "c.csv")), "c.csv:2: column 2: '4 # four' is not a number");
});

test("quote errors name file:line and column", () => {
  assert.is(userError(() => parseCsv('a,b\n1,"2\n3,4\n', "u.csv")), "u.csv:2: column 2: the quote opened here is not closed");
  assert.is(userError(() => parseCsv('a,b\n"1"x,2\n', "t.csv")), "t.csv:2: column 1: text after the closing quote");
  assert.is(userError(() => parseCsv('a b\n"1"x 2\n', "t.txt")), "t.txt:2: column 1: text after the closing quote");
  assert.is(userError(() => parseCsv('a,b\n1,""\n', "e.csv")), "e.csv:2: column 2: empty cell");
});

test("pushed in pieces, split anywhere, the reader gives the same rows, info and errors as one piece", () => {
  const texts: [string, CsvOptions][] = [
    ['\ufeff# c\n"a,1","b ""q"""\r\n1.5,2\n\n"3", 4\n5,6', {}],
    [",0,1\n0,1,2\n1,3,4\n", {}],
    ["  1 2\t3\n# x\n4\t\t5   6\n", { header: "no" }],
    ['a,b\n1,2\n3,"x\n4"\n', {}],
  ];
  const run = (pieces: string[], options: CsvOptions) => {
    const r = new CsvReader("p.csv", options);
    try {
      for (const p of pieces) r.push(p);
      r.end();
    } catch (e) {
      return (e as Error).message;
    }
    return JSON.stringify([r.cols, r.info, Array.from(r.takeAll())]);
  };
  for (const [text, options] of texts) {
    const whole = run([text], options);
    for (let i = 0; i <= text.length; i++) {
      for (const j of [i, Math.min(text.length, i + 3)]) {
        assert.is(run([text.slice(0, i), text.slice(i, j), text.slice(j)], options), whole, `split at ${i}, ${j} of ${JSON.stringify(text)}`);
      }
    }
  }
});

test("errors name file, line and column", () => {
  const rows = ["x,y,z", "1,2,3", "4,5,6"];
  assert.is(userError(() => parseCsv([...rows, "7,8,abc"].join("\n"), "data.csv")), "data.csv:4: column 3: 'abc' is not a number");
  assert.is(userError(() => parseCsv([...rows, "7,NaN,9"].join("\n"), "d.csv")), "d.csv:4: column 2: 'NaN' is not a finite number");
  assert.is(userError(() => parseCsv([...rows, "Infinity,8,9"].join("\n"), "d.csv")), "d.csv:4: column 1: 'Infinity' is not a finite number");
  assert.is(userError(() => parseCsv([...rows, "1,2,3,4"].join("\n"), "d.csv")), "d.csv:4: has 4 columns, expected 3 (as the header)");
  assert.is(userError(() => parseCsv("1 2 3\n\n4 5\n", "d.txt")), "d.txt:3: has 2 columns, expected 3 (as the first row)");
  assert.is(userError(() => parseCsv("x,y,z\n1,,3\n", "d.csv")), "d.csv:2: column 2: empty cell");
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

test("a CSV row source yields the file's rows in chunks across 1 MiB block boundaries, equal to readCsv", () => {
  const dir = mkdtempSync(join(tmpdir(), "emlab-csv-"));
  const lines = ['"u","v","w"'];
  for (let i = 0; i < 60_000; i++) lines.push(`${i},${(i * 7) % 13}.25,"${-i / 8}"${i % 1000 === 0 ? "\n# every 1000 rows a comment" : ""}`);
  const file = join(dir, "chunks.csv");
  writeFileSync(file, lines.join("\r\n"));
  const whole = readCsv(file);
  const src = openRowSource(file);
  assert.equal([src.cols, src.rows, src.info], [3, undefined, whole.info]);
  const got = new Float32Array(whole.data.length);
  let next = 0;
  for (const c of src.chunks(7000)) {
    assert.is(c.first, next);
    assert.ok(c.rows === 7000 || c.first + c.rows === whole.rows);
    got.set(c.data, next * 3);
    next += c.rows;
  }
  assert.is(next, 60_000);
  assert.ok(got.every((v, i) => Object.is(v, whole.data[i])));
  // an error deep in the file names its line, from a chunked pass too
  writeFileSync(file, lines.slice(0, 50_000).join("\n") + "\n1,2,zz\n");
  const bad = openRowSource(file);
  assert.is(userError(() => [...bad.chunks(4096)]), `${file}:${50_000 + 50 + 1}: column 3: 'zz' is not a number`);
});

test("loadData treats other specs as CSV paths", () => {
  const dir = mkdtempSync(join(tmpdir(), "emlab-csv-"));
  const file = join(dir, "s.csv");
  writeFileSync(file, "1 2\n3 4\n");
  const d = loadData(file);
  assert.equal([d.matrix.rows, d.matrix.cols, d.source, d.name], [2, 2, file, file]);
  assert.equal(d.input, { format: "csv", separator: "whitespace", header: { mode: "auto", line: null, reason: "every cell is a number" }, indexColumn: false });
  assert.is(loadData(file, { header: "yes" }).matrix.rows, 1);
});

test.run();
