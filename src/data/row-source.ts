// Node-only: data files as row sources — the rows of an .npy, raw float32 or CSV file read a
// chunk at a time, so a file larger than memory (or than one WebAssembly memory) can be scored,
// labelled or fitted without holding it whole. `readMatrixFile` is the whole-file read built
// on the same parsers; `openRowFile` gives any data file as a binary row file (row-file.ts)
// that worker threads read by position — a CSV is parsed once into a float32 copy for that.
// Which parser: --shape → a raw float32 file; an .npy name or numpy's magic bytes → npy.ts;
// anything else → csv-parse.ts. Formats for users: docs/data.md.
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Matrix } from "../core/matrix.js";
import { fileError, UserError } from "../util/errors.js";
import { onInterrupt } from "../util/interrupt.js";
import { describeFsError } from "./csv.js";
import { CsvReader, parseCsv, type CsvInfo, type CsvOptions } from "./csv-parse.js";
import { NPY_PREFIX_BYTES, npyHeaderLength, parseNpyHeader, type NpyHeader, type NpyInfo } from "./npy.js";
import { checkFileSize, openForReading, readFully, RowFileReader, type RowFileLayout } from "./row-file.js";

/** A raw float32 file (no header): its shape comes from --shape. */
export interface RawInfo {
  format: "raw";
  dtype: "float32";
  shape: [number, number];
}

/** How a data file was read: CSV separator and header, the .npy dtype and shape, or a raw file's given shape. */
export type InputInfo = CsvInfo | NpyInfo | RawInfo;

/** How to read a data file: CSV's header rule, and the shape of a raw float32 file (which makes it one). */
export interface DataFileOptions extends CsvOptions {
  /** [n, d]: the file is n×d little-endian float32 values and nothing else. */
  shape?: [number, number];
}

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
  if (info.format === "raw") return `raw float32, --shape ${info.shape.join(",")}`;
  const h = info.header;
  const header = h.line === null ? `no header: ${h.reason}` : `header line ${h.line}: ${h.reason}`;
  return `${info.separator}-separated, ${header}${info.indexColumn ? ", pandas' index column skipped" : ""}`;
}

/** Bytes read from a CSV file per system call. */
const BLOCK_BYTES = 1 << 20;

/** Open a data file as a row source (raw float32 with `shape`, .npy, or CSV); throws a UserError naming the file. */
export function openRowSource(path: string, options: DataFileOptions = {}): RowSource {
  if (options.shape) return rawF32Source(path, options.shape);
  return isNpy(path) ? npySource(path) : new CsvFileSource(path, options);
}

/** Read a whole data file (raw float32 with `shape`, .npy, or CSV) into one f32 matrix. */
export function readMatrixFile(path: string, options: DataFileOptions = {}): { matrix: Matrix; info: InputInfo } {
  if (options.shape || isNpy(path)) {
    const src = openRowSource(path, options) as BinaryRowSource;
    const data = new Float32Array(src.rows * src.cols);
    src.readRows(0, src.rows, data);
    return { matrix: { data, rows: src.rows, cols: src.cols }, info: src.info };
  }
  const { info, ...matrix } = parseCsv(readText(path), path, options);
  return { matrix, info };
}

/** An .npy name, or numpy's magic at the start of the file. */
function isNpy(path: string): boolean {
  if (/\.npy$/i.test(path)) return true;
  return hasNpyMagic(path);
}

function hasNpyMagic(path: string): boolean {
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

function withFile<T>(path: string, fn: (fd: number) => T): T {
  const fd = openForReading(path);
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}

/** `length` bytes at `position` (fewer at the end of the file). */
function readAt(fd: number, path: string, position: number, length: number, into?: Uint8Array): Uint8Array {
  const buf = into ?? new Uint8Array(length);
  const got = readFully(fd, path, buf, position);
  return got === buf.length ? buf : buf.subarray(0, got);
}

// ---------------------------------------------------------------------------------------
// binary files: row i sits at offset + i·d·itemSize (.npy after its header; raw float32)

/** The rows of a binary row file (row-file.ts) as a RowSource; any range of rows is read by position. */
export class BinaryRowSource implements RowSource {
  readonly layout: RowFileLayout;
  readonly info: NpyInfo | RawInfo;

  constructor(layout: RowFileLayout, info: NpyInfo | RawInfo) {
    this.layout = layout;
    this.info = info;
  }

  get file(): string {
    return this.layout.file;
  }

  get rows(): number {
    return this.layout.rows;
  }

  get cols(): number {
    return this.layout.cols;
  }

  /** Rows [first, first + count) into `out` (f32, row-major from its start). */
  readRows(first: number, count: number, out: Float32Array): void {
    const reader = new RowFileReader(this.layout);
    try {
      reader.readRows(first, count, out);
    } finally {
      reader.close();
    }
  }

  *chunks(maxRows: number): Generator<RowChunk> {
    const n = this.rows;
    const d = this.cols;
    const data = new Float32Array(Math.min(maxRows, n) * d);
    const reader = new RowFileReader(this.layout);
    try {
      for (let first = 0; first < n; first += maxRows) {
        const rows = Math.min(maxRows, n - first);
        reader.readRows(first, rows, data);
        yield { data: rows * d === data.length ? data : data.subarray(0, rows * d), rows, cols: d, first };
      }
    } finally {
      reader.close();
    }
  }
}

/** An .npy file: the shape is in the header. */
export function npySource(path: string): BinaryRowSource {
  const h: NpyHeader = withFile(path, (fd) => {
    const size = fstatSync(fd).size;
    const prefix = readAt(fd, path, 0, Math.min(NPY_PREFIX_BYTES, size));
    return parseNpyHeader(readAt(fd, path, 0, Math.min(npyHeaderLength(prefix, path), size)), path);
  });
  const shape = `(${h.shape.join(", ")}${h.shape.length === 1 ? "," : ""})`;
  const layout: RowFileLayout = {
    file: path, offset: h.offset, dtype: h.dtype, rows: h.rows, cols: h.cols, declared: `shape ${shape}`, oneDimensional: h.shape.length === 1,
  };
  withFile(path, (fd) => checkFileSize(layout, fstatSync(fd).size, false));
  return new BinaryRowSource(layout, { format: "npy", version: h.version, dtype: h.dtype, shape: h.shape });
}

/** A raw file of n×d little-endian float32 values (shape from --shape), nothing else. */
export function rawF32Source(path: string, [n, d]: [number, number]): BinaryRowSource {
  if (hasNpyMagic(path)) throw new UserError(`--shape: ${path} is an .npy file, whose header gives its shape: drop --shape`);
  const layout: RowFileLayout = { file: path, offset: 0, dtype: "float32", rows: n, cols: d, declared: `--shape ${n},${d}`, oneDimensional: false };
  withFile(path, (fd) => checkFileSize(layout, fstatSync(fd).size, false));
  return new BinaryRowSource(layout, { format: "raw", dtype: "float32", shape: [n, d] });
}

// ---------------------------------------------------------------------------------------
// any data file as a binary row file, for readers on several threads

/** A data file as a binary row file: its layout, how it was read, and what to delete when done. */
export interface OpenRowFile {
  layout: RowFileLayout;
  info: InputInfo;
  /** Removes the float32 copy of a CSV (nothing for a binary file). */
  close(): void;
}

/**
 * `path` as a binary row file that threads read by position: an .npy or raw float32 file as it
 * is; a CSV parsed once (errors name its lines) into a float32 copy in the system's temporary
 * directory, n×d×4 bytes, removed by close() (or on SIGINT/SIGTERM).
 */
export function openRowFile(path: string, options: DataFileOptions = {}): OpenRowFile {
  const source = openRowSource(path, options);
  if (source instanceof BinaryRowSource) return { layout: source.layout, info: source.info, close() {} };
  return spillCsv(source as CsvFileSource);
}

/** Rows parsed and written to the float32 copy at a time. */
const SPILL_CHUNK_ROWS = 8192;

function spillCsv(source: CsvFileSource): OpenRowFile {
  const dir = mkdtempSync(join(tmpdir(), "emlab-rows-"));
  const copy = join(dir, "rows.f32");
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const unhook = onInterrupt(remove);
  const close = () => {
    unhook();
    remove();
  };
  try {
    const fd = openSync(copy, "w");
    let n = 0;
    try {
      for (const chunk of source.chunks(SPILL_CHUNK_ROWS)) {
        const bytes = new Uint8Array(chunk.data.buffer, chunk.data.byteOffset, chunk.rows * chunk.cols * 4);
        for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
        n += chunk.rows;
      }
    } finally {
      closeSync(fd);
    }
    const d = source.cols;
    const layout: RowFileLayout = { file: copy, offset: 0, dtype: "float32", rows: n, cols: d, declared: `the float32 copy of ${source.file} (${n}×${d})`, oneDimensional: false };
    return { layout, info: source.info, close };
  } catch (e) {
    close();
    throw e;
  }
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
    const fd = openForReading(path);
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
