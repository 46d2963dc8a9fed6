// Numeric CSV → float32 rows. Cells are separated by commas or by runs of spaces/tabs (detected
// from the first record); RFC 4180 quoting ("1.5", "a ""b""", a quoted comma or newline); lines
// whose first non-blank character is `#` and blank lines are skipped; the first record is a
// header or data by --header auto|yes|no (see headerDecision). Text can be pushed in pieces
// (CsvReader), so a file is read in blocks without holding it whole. Every error is a one-line
// UserError naming the file, the line and (for a cell) the column. Node-free: runs in browsers.
// Format reference for users: docs/data.md.
import type { Matrix } from "../core/matrix.js";
import { fileError } from "../util/errors.js";

const COMMA = 44;
const SPACE = 32;
const TAB = 9;
const CR = 13;
const LF = 10;
const QUOTE = 34;
const HASH = 35;

/** --header: auto decides from the first record; yes and no force it. */
export type HeaderMode = "auto" | "yes" | "no";
export const HEADER_MODES: readonly HeaderMode[] = ["auto", "yes", "no"];

export interface CsvOptions {
  /** Default CSV_DEFAULTS.header ("auto"). */
  header?: HeaderMode;
}

/** The reader's defaults, once: the CLI's --header and the experiments that read CSV import them. */
export const CSV_DEFAULTS: Readonly<Required<CsvOptions>> = Object.freeze({ header: "auto" });

/** What reading a CSV found out about it (echoed in the `data` part of the CLI's output). */
export interface CsvInfo {
  format: "csv";
  separator: "comma" | "whitespace";
  header: {
    mode: HeaderMode;
    /** 1-based line of the header row; null when the first record is data. */
    line: number | null;
    /** Why, e.g. "cell 2 'b' is not a number" or "pandas' default column names 0…9". */
    reason: string;
  };
  /** The header's first cell is empty, as pandas writes for its unnamed index: column 1 is skipped. */
  indexColumn: boolean;
}

/** A parsed CSV: the rows×cols float32 matrix and what was detected. */
export interface CsvMatrix extends Matrix {
  info: CsvInfo;
}

/** Tokens such as "NaN" or "inf" are numbers in form, so they get the "not finite" error, not "header". */
const NON_FINITE_WORDS = new Set(["nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"]);

/** A record longer than this (bytes of text) is refused: bounded memory even for an unclosed quote. */
export const MAX_RECORD_CHARS = 64 * 2 ** 20;

/** True when the cell reads as a number (finite or not): decides header vs. data. */
function looksNumeric(cell: string): boolean {
  return cell !== "" && (!Number.isNaN(Number(cell)) || NON_FINITE_WORDS.has(cell.trim().toLowerCase()));
}

const isBlankCode = (c: number) => c === SPACE || c === TAB || c === CR;

/**
 * Is the first record a header? auto: yes when a cell is not a number, or when the cells are
 * exactly 0, 1, …, d−1 (the column names pandas writes for a DataFrame built from an array).
 */
export function headerDecision(cells: string[], mode: HeaderMode): { header: boolean; reason: string } {
  if (mode === "yes") return { header: true, reason: "--header yes" };
  if (mode === "no") return { header: false, reason: "--header no" };
  const j = cells.findIndex((c) => !looksNumeric(c));
  if (j >= 0) return { header: true, reason: cells[j] === "" ? `cell ${j + 1} is empty` : `cell ${j + 1} '${cells[j]}' is not a number` };
  if (cells.every((c, i) => c === String(i))) {
    return { header: true, reason: `pandas' default column names 0…${cells.length - 1}` };
  }
  return { header: false, reason: "every cell is a number" };
}

/**
 * A push parser: `push(text)` any number of times, then `end()`. Parsed rows (float32, the
 * index column dropped) accumulate in `rows`/`count` until the caller takes them (`take`).
 * Memory: the rows not yet taken plus one partial record.
 */
export class CsvReader {
  readonly file: string;
  private readonly mode: HeaderMode;
  /** Text of the records not yet complete (a partial last line, or an open quote). */
  private carry = "";
  /** 1-based line number of the first line in `carry`. */
  private line = 1;
  private started = false;
  private comma = false;
  /** Cells per record as read (the index column included); −1 until the first record. */
  private rawCols = -1;
  private skip = 0;
  private headerLine: number | null = null;
  private detected?: CsvInfo;
  private cells: string[] = [];
  /** Position of the next '"' in the text being parsed (−1: none). */
  private quoteAt = -1;
  /** Parsed values, `count` rows of `cols` each, row-major. */
  private buf = new Float32Array(1024);
  private count = 0;
  private total = 0;

  constructor(file: string, options: CsvOptions = {}) {
    this.file = file;
    this.mode = options.header ?? CSV_DEFAULTS.header;
  }

  /** d, the number of values per row; −1 until the first record is read. */
  get cols(): number {
    return this.rawCols < 0 ? -1 : this.rawCols - this.skip;
  }

  /** The separator and header decision; undefined until the first record is read. */
  get info(): CsvInfo | undefined {
    return this.detected;
  }

  /** Rows parsed and not yet taken. */
  get pending(): number {
    return this.count;
  }

  /** Rows parsed so far (taken or not). */
  get rowsRead(): number {
    return this.total;
  }

  /** Parse every complete record of `text` (appended to what came before). */
  push(text: string): void {
    if (!this.started) {
      if (text.length === 0) return;
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 byte-order mark
    }
    const s = this.carry.length ? this.carry + text : text;
    const lastNl = s.lastIndexOf("\n");
    if (lastNl < 0) {
      this.carry = s;
      this.checkCarry();
      return;
    }
    const stop = this.parse(s, lastNl + 1, false);
    this.carry = s.slice(stop);
    this.checkCarry();
  }

  /** Parse what is left (a last line without a newline) and check that there were data rows. */
  end(): void {
    const s = this.carry;
    this.carry = "";
    this.parse(s, s.length, true);
    if (this.total === 0) {
      throw fileError(this.file, null, this.headerLine !== null ? "has a header row but no data rows" : "is empty (no data rows)");
    }
  }

  /**
   * Move up to `max` parsed rows into `out` (row-major, from its start) and drop them here;
   * returns how many were moved.
   */
  take(out: Float32Array, max: number): number {
    const d = this.cols;
    const k = Math.min(max, this.count);
    out.set(this.buf.subarray(0, k * d));
    this.buf.copyWithin(0, k * d, this.count * d);
    this.count -= k;
    return k;
  }

  /** All parsed rows, as one exact-length array (for whole-text parsing). */
  takeAll(): Float32Array {
    const d = this.cols;
    const out = this.buf.length === this.count * d ? this.buf : this.buf.slice(0, this.count * d);
    this.buf = new Float32Array(1024);
    this.count = 0;
    return out;
  }

  private checkCarry(): void {
    if (this.carry.length > MAX_RECORD_CHARS) {
      throw fileError(this.file, this.line, `a record longer than ${MAX_RECORD_CHARS / 2 ** 20} MiB starts here (an unclosed quote?)`);
    }
  }

  /**
   * Parse the records of s[0, stop); returns where parsing stopped (stop, or the start of a
   * record whose quote is still open when more text may follow).
   */
  private parse(s: string, stop: number, final: boolean): number {
    let p = 0;
    this.quoteAt = s.indexOf('"');
    while (p < stop) {
      // skip blank lines and comment lines
      let q = p;
      while (q < stop && isBlankCode(s.charCodeAt(q))) q++;
      if (q >= stop || s.charCodeAt(q) === LF || s.charCodeAt(q) === HASH) {
        const nl = s.indexOf("\n", q);
        if (nl < 0 || nl >= stop) return stop;
        p = nl + 1;
        this.line++;
        continue;
      }
      const startLine = this.line;
      const next = this.record(s, p, stop, final);
      if (next < 0) return p; // an open quote: wait for more text
      this.row(startLine);
      p = next;
    }
    return stop;
  }

  /**
   * Split the record starting at s[p] into this.cells; returns the position after its newline
   * (counting lines), or −1 when a quote is still open at `stop` and more text may follow.
   */
  private record(s: string, p: number, stop: number, final: boolean): number {
    let nl = s.indexOf("\n", p);
    if (nl < 0 || nl > stop) nl = stop;
    if (this.rawCols < 0) this.comma = hasCommaOutsideQuotes(s, p, stop);
    const cells = this.cells;
    cells.length = 0;
    // the next quote in s, searched again only once passed (a search per record would be quadratic)
    if (this.quoteAt >= 0 && this.quoteAt < p) this.quoteAt = s.indexOf('"', p);
    if (this.quoteAt < 0 || this.quoteAt >= nl) {
      // fast path: no quote on this line
      let end = nl;
      if (end > p && s.charCodeAt(end - 1) === CR) end--;
      const line = s.slice(p, end);
      if (this.comma) {
        for (const c of line.split(",")) cells.push(c.trim());
      } else splitBlanks(line, cells);
      if (nl < stop) this.line++;
      return nl < stop ? nl + 1 : stop;
    }
    return this.quotedRecord(s, p, stop, final);
  }

  /** The slow path of `record`: a character loop with RFC 4180 quotes (which may span lines). */
  private quotedRecord(s: string, p: number, stop: number, final: boolean): number {
    const cells = this.cells;
    const sep = this.comma;
    let lines = 0; // newlines consumed inside quotes
    const startLine = this.line;
    for (;;) {
      while (p < stop && (s.charCodeAt(p) === SPACE || s.charCodeAt(p) === TAB)) p++;
      if (!sep && (p >= stop || s.charCodeAt(p) === LF || s.charCodeAt(p) === CR)) break; // trailing blanks
      if (p < stop && s.charCodeAt(p) === QUOTE) {
        const col = cells.length + 1;
        const openLine = startLine + lines;
        let text = "";
        let from = ++p;
        for (;;) {
          const qi = s.indexOf('"', p);
          if (qi < 0 || qi >= stop) {
            if (!final) return -1;
            throw fileError(this.file, openLine, `column ${col}: the quote opened here is not closed`);
          }
          for (let i = s.indexOf("\n", p); i >= 0 && i < qi; i = s.indexOf("\n", i + 1)) lines++;
          if (qi + 1 < stop && s.charCodeAt(qi + 1) === QUOTE) {
            text += s.slice(from, qi + 1); // "" is one quote
            p = from = qi + 2;
            continue;
          }
          text += s.slice(from, qi);
          p = qi + 1;
          break;
        }
        cells.push(text);
        // after the closing quote: blanks, then the separator or the end of the record
        if (sep) while (p < stop && (s.charCodeAt(p) === SPACE || s.charCodeAt(p) === TAB)) p++;
        const c = p < stop ? s.charCodeAt(p) : LF;
        if (!(c === LF || c === CR || (sep ? c === COMMA : c === SPACE || c === TAB))) {
          throw fileError(this.file, startLine + lines, `column ${col}: text after the closing quote`);
        }
      } else {
        let q = p;
        while (q < stop) {
          const c = s.charCodeAt(q);
          if (c === LF || (sep ? c === COMMA : c === SPACE || c === TAB)) break;
          q++;
        }
        let e = q;
        while (e > p && isBlankCode(s.charCodeAt(e - 1))) e--;
        cells.push(s.slice(p, e));
        p = q;
      }
      if (p < stop && s.charCodeAt(p) === CR) p++;
      if (p >= stop || s.charCodeAt(p) === LF) break;
      if (sep) p++; // past the comma: the next cell (empty if the line ends here)
    }
    this.line += lines;
    if (p < stop) {
      this.line++;
      return p + 1;
    }
    return stop;
  }

  /** Turn this.cells (the record starting at line `lineNo`) into a row, or take it as the header. */
  private row(lineNo: number): void {
    const cells = this.cells;
    if (this.rawCols < 0) {
      this.rawCols = cells.length;
      const { header, reason } = headerDecision(cells, this.mode);
      // pandas' to_csv() (index=True, its default) writes an empty first header cell over the row index
      const indexColumn = header && cells.length > 1 && cells[0] === "";
      this.skip = indexColumn ? 1 : 0;
      this.detected = {
        format: "csv",
        separator: this.comma ? "comma" : "whitespace",
        header: { mode: this.mode, line: header ? lineNo : null, reason },
        indexColumn,
      };
      if (header) {
        this.headerLine = lineNo;
        return;
      }
    }
    if (cells.length !== this.rawCols) {
      const what = this.headerLine !== null ? "the header" : "the first row";
      throw fileError(this.file, lineNo, `has ${cells.length} columns, expected ${this.rawCols} (as ${what})`);
    }
    const d = this.rawCols - this.skip;
    if ((this.count + 1) * d > this.buf.length) {
      const grown = new Float32Array(Math.max(this.buf.length * 2, (this.count + 1) * d));
      grown.set(this.buf.subarray(0, this.count * d));
      this.buf = grown;
    }
    let at = this.count * d;
    for (let j = this.skip; j < this.rawCols; j++) {
      const cell = cells[j];
      const v = cell === "" ? NaN : Number(cell);
      if (!Number.isFinite(v)) {
        const why = cell === "" ? "empty cell" : looksNumeric(cell) ? `'${cell}' is not a finite number` : `'${cell}' is not a number`;
        throw fileError(this.file, lineNo, `column ${j + 1}: ${why}`);
      }
      const f = Math.fround(v);
      if (!Number.isFinite(f)) throw fileError(this.file, lineNo, `column ${j + 1}: '${cell}' is outside the float32 range`);
      this.buf[at++] = f;
    }
    this.count++;
    this.total++;
  }
}

/** Does the record starting at s[p] hold a comma outside quotes? (Decides the separator on the first record.) */
function hasCommaOutsideQuotes(s: string, p: number, stop: number): boolean {
  let quoted = false;
  for (let i = p; i < stop; i++) {
    const c = s.charCodeAt(i);
    if (c === QUOTE) quoted = !quoted;
    else if (!quoted && c === COMMA) return true;
    else if (!quoted && c === LF) return false;
  }
  return false;
}

/** Split a line at runs of spaces/tabs (leading and trailing blanks make no cell). */
function splitBlanks(line: string, cells: string[]): void {
  let start = -1;
  for (let i = 0; i <= line.length; i++) {
    const c = i < line.length ? line.charCodeAt(i) : SPACE;
    if (c === SPACE || c === TAB) {
      if (start >= 0) cells.push(line.slice(start, i));
      start = -1;
    } else if (start < 0) start = i;
  }
}

/** Parse numeric CSV text into a rows×cols float32 Matrix with what was detected; `file` names the source in errors. */
export function parseCsv(text: string, file: string, options: CsvOptions = {}): CsvMatrix {
  const reader = new CsvReader(file, options);
  reader.push(text);
  reader.end();
  const rows = reader.pending;
  return { data: reader.takeAll(), rows, cols: reader.cols, info: reader.info! };
}
