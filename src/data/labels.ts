// Label files: one integer label per data row (whitespace, comma or newline separated), e.g.
// the hard-assignment start of `emlab gmm --init-labels`. Errors name the file and line.
import { readFileSync } from "node:fs";
import { fileError } from "../util/errors.js";
import { describeFsError } from "./csv.js";

/** Read a hard-assignment label file: one integer per data row, whitespace/newline separated. */
export function readLabelFile(path: string, nRows: number, nLabels: number, flag = "init-labels"): Int32Array {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw fileError(path, null, `cannot read --${flag}: ${describeFsError(e)}`);
  }
  return parseLabels(text, path, nRows, nLabels);
}

/** Parse label text: integers in 0..nLabels−1, exactly nRows of them; errors name file:line. */
export function parseLabels(text: string, file: string, nRows: number, nLabels: number): Int32Array {
  const out = new Int32Array(nRows);
  let count = 0;
  let line = 1;
  let lastLine = 1; // line of the last label read: where a short file ends
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 44) {
      i++;
      continue;
    }
    let j = i;
    while (j < n) {
      const d = text.charCodeAt(j);
      if (d === 10 || d === 32 || d === 9 || d === 13 || d === 44) break;
      j++;
    }
    const tok = text.slice(i, j);
    const v = /^[+-]?\d+$/.test(tok) ? Number(tok) : NaN;
    if (!Number.isInteger(v)) throw fileError(file, line, `label '${tok}' is not an integer`);
    if (v < 0 || v >= nLabels) throw fileError(file, line, `label ${v} is out of range 0..${nLabels - 1}`);
    if (count >= nRows) throw fileError(file, line, `more labels than the ${nRows} data rows`);
    out[count++] = v;
    lastLine = line;
    i = j;
  }
  if (count !== nRows) throw fileError(file, lastLine, `has ${count} labels, expected one per data row (${nRows})`);
  return out;
}
