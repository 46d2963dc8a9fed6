// Node-only: data files as row sources — the rows of an .npy or CSV file read a chunk at a
// time, so a file larger than memory (or than one WebAssembly memory) can be scored, labelled
// or, later, fitted without holding it whole. `readMatrixFile` is the whole-file read built
// on the same parsers. Which parser: an .npy name or numpy's magic bytes → npy.ts; anything
// else → csv-parse.ts. Formats for users: docs/data.md.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import type { Matrix } from "../core/matrix.js";
import { fileError } from "../util/errors.js";
import { describeFsError } from "./csv.js";
import { CsvReader, parseCsv, type CsvInfo, type CsvOptions } from "./csv-parse.js";
import { NPY_PREFIX_BYTES, npyHeaderLength, npyToF32, parseNpyHeader, type NpyHeader, type NpyInfo } from "./npy.js";

/** How a data file was read: CSV separator and header, or the .npy dtype and shape. */
export type InputInfo = CsvInfo | NpyInfo;

/** Rows [first, first + rows) of a source, f32 row-major. */
export interface RowChunk extends Matrix {
  /** Index (0-based) of the chunk's first row in the file. */
  first: number;
}

/** The rows of a data file, read in chunks; never holds more than one chunk of them. */
export interface RowSource {
  /** The path, as errors name it. */
  readonly file: string;
  /** d, values per row. */
  readonly cols: number;
  /** n when the file states it before its rows are read (.npy); undefined for CSV. */
  readonly rows: number | undefined;
  readonly info: InputInfo;
  /**
   * The rows in file order, at most `maxRows` per chunk (only the last is shorter). Every call
   * reads the file again from its start; a chunk's data is overwritten when the next is made.
   */
  chunks(maxRows: number): Generator<RowChunk>;
}

/** How a file was read, in words for text output: "header line 1: cell 1 'x1' is not a number". */
export function describeInput(info: InputInfo): string {
  if (info.format === "npy") return `.npy ${info.dtype}, format ${info.version}`;
  const h = info.header;
  const header = h.line === null ? `no header: ${h.reason}` : `header line ${h.line}: ${h.reason}`;
  return `${info.separator}-separated, ${header}${info.indexColumn ? ", pandas' index column skipped" : ""}`;
}

/** Bytes read from a file per system call. */
const BLOCK_BYTES = 1 << 20;

/** Open a data file as a row source (.npy or CSV); throws a UserError naming the file. */
export function openRowSource(path: string, csv: CsvOptions = {}): RowSource {
  return isNpy(path) ? new NpyFileSource(path) : new CsvFileSource(path, csv);
}

/** Read a whole data file (.npy or CSV) into one f32 matrix. */
export function readMatrixFile(path: string, csv: CsvOptions = {}): { matrix: Matrix; info: InputInfo } {
  if (isNpy(path)) {
    const src = new NpyFileSource(path);
    const data = new Float32Array(src.rows * src.cols);
    src.readRows(0, src.rows, data);
    return { matrix: { data, rows: src.rows, cols: src.cols }, info: src.info };
  }
  const { info, ...matrix } = parseCsv(readText(path), path, csv);
  return { matrix, info };
}

/** An .npy name, or numpy's magic at the start of the file. */
function isNpy(path: string): boolean {
  if (/\.npy$/i.test(path)) return true;
  const head = withFile(path, (fd) => readAt(fd, path, 0, 6));
  return head.length === 6 && head[0] === 0x93 && String.fromCharCode(...head.subarray(1)) === "NUMPY";
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw fileError(path, null, `cannot read: ${describeFsError(e)}`);
  }
}

/** Open for reading; a missing file, a directory or no permission is a UserError naming it. */
function openFile(path: string): number {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    if (fstatSync(fd).isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    return fd;
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    throw fileError(path, null, `cannot read: ${describeFsError(e)}`);
  }
}

function withFile<T>(path: string, fn: (fd: number) => T): T {
  const fd = openFile(path);
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}

/** `length` bytes at `position` (fewer at the end of the file). */
function readAt(fd: number, path: string, position: number, length: number, into?: Uint8Array): Uint8Array {
  const buf = into ?? new Uint8Array(length);
  let got = 0;
  try {
    while (got < length) {
      const k = readSync(fd, buf, got, length - got, position + got);
      if (k === 0) break;
      got += k;
    }
  } catch (e) {
    throw fileError(path, null, `cannot read: ${describeFsError(e)}`);
  }
  return got === buf.length ? buf : buf.subarray(0, got);
}

// ---------------------------------------------------------------------------------------
// .npy: the shape is in the header, and row i sits at offset + i·d·itemSize

export class NpyFileSource implements RowSource {
  readonly file: string;
  readonly header: NpyHeader;
  readonly info: NpyInfo;

  constructor(path: string) {
    this.file = path;
    this.header = withFile(path, (fd) => {
      const size = fstatSync(fd).size;
      const prefix = readAt(fd, path, 0, Math.min(NPY_PREFIX_BYTES, size));
      const h = parseNpyHeader(readAt(fd, path, 0, Math.min(npyHeaderLength(prefix, path), size)), path);
      checkDataBytes(h, size, path);
      return h;
    });
    const { version, dtype, shape } = this.header;
    this.info = { format: "npy", version, dtype, shape };
  }

  get rows(): number {
    return this.header.rows;
  }

  get cols(): number {
    return this.header.cols;
  }

  /** Rows [first, first + count) into `out` (f32, row-major from its start). */
  readRows(first: number, count: number, out: Float32Array): void {
    const h = this.header;
    const rowBytes = h.cols * h.itemSize;
    // at most one block of raw bytes at a time, whole rows per block
    const perBlock = Math.max(1, Math.floor(BLOCK_BYTES / rowBytes));
    withFile(this.file, (fd) => {
      checkDataBytes(h, fstatSync(fd).size, this.file);
      const raw = new Uint8Array(Math.min(count, perBlock) * rowBytes);
      for (let r = 0; r < count; r += perBlock) {
        const k = Math.min(perBlock, count - r);
        const got = readAt(fd, this.file, h.offset + (first + r) * rowBytes, k * rowBytes, raw.subarray(0, k * rowBytes));
        if (got.length < k * rowBytes) throw fileError(this.file, null, `truncated while reading: row ${first + r + Math.floor(got.length / rowBytes)} is missing`);
        npyToF32(got, h, first + r, k, out.subarray(r * h.cols), this.file);
      }
    });
  }

  *chunks(maxRows: number): Generator<RowChunk> {
    const n = this.rows;
    const d = this.cols;
    const data = new Float32Array(Math.min(maxRows, n) * d);
    for (let first = 0; first < n; first += maxRows) {
      const rows = Math.min(maxRows, n - first);
      this.readRows(first, rows, data);
      yield { data: rows * d === data.length ? data : data.subarray(0, rows * d), rows, cols: d, first };
    }
  }
}

/** The file must hold exactly the values its header declares. */
function checkDataBytes(h: NpyHeader, size: number, path: string): void {
  const need = h.rows * h.cols * h.itemSize;
  const have = size - h.offset;
  const shape = `(${h.shape.join(", ")}${h.shape.length === 1 ? "," : ""})`;
  if (have < need) throw fileError(path, null, `truncated: shape ${shape} of ${h.dtype} needs ${need} data bytes, the file has ${have}`);
  if (have > need) throw fileError(path, null, `${have - need} unexpected bytes after the ${need} data bytes of shape ${shape}`);
}

// ---------------------------------------------------------------------------------------
// CSV: rows are found by parsing; each pass reads the file in blocks from the start

export class CsvFileSource implements RowSource {
  readonly file: string;
  readonly cols: number;
  readonly rows = undefined;
  readonly info: CsvInfo;
  private readonly options: CsvOptions;

  constructor(path: string, options: CsvOptions = {}) {
    this.file = path;
    this.options = options;
    // read up to the first data row, to know d and the header decision before any chunk is asked for
    const pass = this.passes(1);
    try {
      const { reader } = pass.next().value!; // a pass yields at least once, or throws
      this.cols = reader.cols;
      this.info = reader.info!;
    } finally {
      pass.return(undefined);
    }
  }

  *chunks(maxRows: number): Generator<RowChunk> {
    const data = new Float32Array(maxRows * this.cols);
    let first = 0;
    for (const { reader } of this.passes(maxRows)) {
      if (reader.cols !== this.cols) throw fileError(this.file, null, `changed while being read: ${reader.cols} columns, then ${this.cols}`);
      while (reader.pending >= maxRows || (reader.pending > 0 && reader.done)) {
        const rows = reader.take(data, maxRows);
        yield { data: rows === maxRows ? data : data.subarray(0, rows * this.cols), rows, cols: this.cols, first };
        first += rows;
      }
    }
  }

  /**
   * One pass over the file: yields the reader whenever it holds at least `want` rows, and
   * once more at the end (`done`); throws the first parse error, naming file:line.
   */
  private *passes(want: number): Generator<{ reader: CsvReader & { done?: boolean } }> {
    const reader: CsvReader & { done?: boolean } = new CsvReader(this.file, this.options);
    const decoder = new TextDecoder("utf-8");
    const path = this.file;
    const fd = openFile(path);
    try {
      const block = new Uint8Array(BLOCK_BYTES);
      for (let pos = 0; ; ) {
        const got = readAt(fd, path, pos, BLOCK_BYTES, block);
        pos += got.length;
        if (got.length === 0) break;
        reader.push(decoder.decode(got, { stream: true }));
        if (reader.pending >= want) yield { reader };
      }
      reader.push(decoder.decode());
      reader.end();
      reader.done = true;
      yield { reader };
    } finally {
      closeSync(fd);
    }
  }
}
