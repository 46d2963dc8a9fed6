// Numeric CSV → Matrix. Cells are separated by commas or by runs of spaces/tabs (detected
// from the first non-blank line); a first row with no numeric cell is a header. Every error
// is a one-line UserError naming the file, the line and (for a cell) the column.
import type { Matrix } from "../core/matrix.js";
import { fileError } from "../util/errors.js";

const COMMA = 44;
const SPACE = 32;
const TAB = 9;
const CR = 13;

/** Tokens such as "NaN" or "inf" are numbers in form, so they get the "not finite" error, not "header". */
const NON_FINITE_WORDS = new Set(["nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"]);

/** Split one line (no newline, no CR) into raw cells; commas keep empty cells, whitespace does not. */
function splitCells(line: string, comma: boolean): string[] {
  if (comma) {
    const cells = line.split(",");
    for (let i = 0; i < cells.length; i++) cells[i] = cells[i].trim();
    return cells;
  }
  const cells: string[] = [];
  let start = -1;
  for (let i = 0; i <= line.length; i++) {
    const c = i < line.length ? line.charCodeAt(i) : SPACE;
    const blank = c === SPACE || c === TAB;
    if (blank) {
      if (start >= 0) cells.push(line.slice(start, i));
      start = -1;
    } else if (start < 0) start = i;
  }
  return cells;
}

/** True when the cell reads as a number (finite or not): decides header vs. data. */
function looksNumeric(cell: string): boolean {
  return cell !== "" && (!Number.isNaN(Number(cell)) || NON_FINITE_WORDS.has(cell.toLowerCase()));
}

/** True when the line holds nothing but spaces, tabs (and a CR). */
function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== SPACE && c !== TAB && c !== CR) return false;
  }
  return true;
}

/** Parse numeric CSV text into a rows×cols Matrix (float32); `file` names the source in errors. */
export function parseCsv(text: string, file: string): Matrix {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 byte-order mark
  let data = new Float32Array(1024);
  let used = 0;
  let rows = 0;
  let cols = -1;
  let comma = false;
  let headerLine = 0;
  let lineNo = 0;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    let line = text.slice(pos, end);
    pos = end + 1;
    lineNo++;
    if (isBlank(line)) continue;
    if (line.charCodeAt(line.length - 1) === CR) line = line.slice(0, -1);
    if (cols < 0) {
      comma = line.indexOf(",") >= 0;
      const cells = splitCells(line, comma);
      cols = cells.length;
      if (!cells.some(looksNumeric)) {
        headerLine = lineNo;
        continue;
      }
    }
    const cells = splitCells(line, comma);
    if (cells.length !== cols) {
      const what = headerLine ? "the header" : "the first row";
      throw fileError(file, lineNo, `has ${cells.length} columns, expected ${cols} (as ${what})`);
    }
    if (used + cols > data.length) {
      const grown = new Float32Array(Math.max(data.length * 2, used + cols));
      grown.set(data);
      data = grown;
    }
    for (let j = 0; j < cols; j++) {
      const cell = cells[j];
      const v = cell === "" ? NaN : Number(cell);
      if (!Number.isFinite(v)) {
        const why = cell === "" ? "empty cell" : looksNumeric(cell) ? `'${cell}' is not a finite number` : `'${cell}' is not a number`;
        throw fileError(file, lineNo, `column ${j + 1}: ${why}`);
      }
      const f = Math.fround(v);
      if (!Number.isFinite(f)) throw fileError(file, lineNo, `column ${j + 1}: '${cell}' is outside the float32 range`);
      data[used++] = f;
    }
    rows++;
  }
  if (rows === 0) {
    throw fileError(file, null, headerLine ? "has a header row but no data rows" : "is empty (no data rows)");
  }
  return { data: used === data.length ? data : data.slice(0, used), rows, cols };
}
