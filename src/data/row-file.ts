// Binary row files read by position: the values of an .npy file after its header, a raw
// float32 file whose shape is given (--shape n,d), and the float32 copy a CSV is spilled into
// for a streamed fit. A RowFileLayout is plain data (where the values start, their type, the
// shape), so any thread can open the file and read any range of rows into a buffer of its own
// (RowFileReader.readRows: positional reads, never a map of the file, never the whole file).
// Every read checks the file's size again: a file that shrinks or grows while it is read is an
// error naming it, not a short or shifted result. Node only. Formats for users: docs/data.md.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { fileError } from "../util/errors.js";
import { describeFsError } from "./csv.js";

/** Where the n×d values of a binary file are: plain data, posted to worker threads as is. */
export interface RowFileLayout {
  /** The path, as errors name it. */
  file: string;
  /** Byte offset of the first value. */
  offset: number;
  /** Little-endian float32 or float64 values, row-major. */
  dtype: "float32" | "float64";
  rows: number;
  cols: number;
  /** How the shape was declared, for messages: "shape (4, 3)" (an .npy header) or "--shape 4,3". */
  declared: string;
  /** How messages name value [i][j]: "X[i, j]", or "X[i]" for a 1-D .npy array. */
  oneDimensional: boolean;
}

/** Bytes per value. */
export function itemSize(layout: RowFileLayout): 4 | 8 {
  return layout.dtype === "float32" ? 4 : 8;
}

/** float64 values are converted through a buffer of this many bytes. */
const BLOCK_BYTES = 1 << 20;

/** Open for reading; a missing file, a directory or no permission is a UserError naming it. */
export function openForReading(path: string): number {
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

/**
 * Read `length` bytes at `position` into buf (from its start); returns how many were read
 * (fewer only at the end of the file).
 */
export function readFully(fd: number, path: string, buf: Uint8Array, position: number): number {
  let got = 0;
  try {
    while (got < buf.length) {
      const k = readSync(fd, buf, got, buf.length - got, position + got);
      if (k === 0) break;
      got += k;
    }
  } catch (e) {
    throw fileError(path, null, `cannot read: ${describeFsError(e)}`);
  }
  return got;
}

/**
 * The file must hold exactly the values its layout declares: at open (`reading` false) a
 * mismatch is a truncated or overlong file; later it means the file changed while being read.
 */
export function checkFileSize(layout: RowFileLayout, size: number, reading: boolean): void {
  const need = layout.rows * layout.cols * itemSize(layout);
  const have = size - layout.offset;
  if (have === need) return;
  const { file, declared, dtype } = layout;
  if (reading) throw fileError(file, null, `changed while being read: ${have} data bytes now, ${declared} of ${dtype} needs ${need}`);
  const rowBytes = layout.cols * itemSize(layout);
  const whole = have / rowBytes;
  const holds = have > 0 && have % rowBytes === 0 ? ` (${whole} row${whole === 1 ? "" : "s"} of ${layout.cols})` : "";
  if (have < need) throw fileError(file, null, `truncated: ${declared} of ${dtype} needs ${need} data bytes, the file has ${have}${holds}`);
  throw fileError(file, null, `${have - need} unexpected bytes after the ${need} data bytes of ${declared}${holds}`);
}

/**
 * One open file of a layout: rows read by position into the caller's buffer. Not safe to
 * share between threads (each opens its own).
 */
export class RowFileReader {
  readonly layout: RowFileLayout;
  private fd: number | null;
  private block: Uint8Array | undefined;

  constructor(layout: RowFileLayout) {
    this.layout = layout;
    this.fd = openForReading(layout.file);
  }

  /**
   * Rows [first, first + count) into out (f32, row-major from its start; any Float32Array, e.g. a
   * view of WebAssembly memory). With `check` (the default), a NaN or infinite value is a
   * UserError naming its index; a caller that checks faster itself passes false and reports
   * with nonFiniteError.
   */
  readRows(first: number, count: number, out: Float32Array, check = true): void {
    const { layout } = this;
    const fd = this.open();
    const { cols, file } = layout;
    const size = itemSize(layout);
    if (!(first >= 0 && count >= 0 && first + count <= layout.rows && out.length >= count * cols)) {
      throw new RangeError(`readRows: rows [${first}, ${first + count}) of ${layout.rows} into ${out.length} values`);
    }
    checkFileSize(layout, fstatSync(fd).size, true);
    const rowBytes = cols * size;
    const missing = (got: number) => fileError(file, null, `changed while being read: row ${first + Math.floor(got / rowBytes)} is missing`);
    const start = layout.offset + first * rowBytes;
    if (size === 4) {
      // '<f4' values are this machine's float32 bytes (little-endian): read them in place
      const bytes = new Uint8Array(out.buffer, out.byteOffset, count * rowBytes);
      const got = readFully(fd, file, bytes, start);
      if (got < bytes.length) throw missing(got);
    } else {
      this.block ??= new Uint8Array(Math.max(BLOCK_BYTES - (BLOCK_BYTES % rowBytes), rowBytes));
      const perBlock = this.block.length / rowBytes;
      for (let r = 0; r < count; r += perBlock) {
        const k = Math.min(perBlock, count - r);
        const bytes = this.block.subarray(0, k * rowBytes);
        const got = readFully(fd, file, bytes, start + r * rowBytes);
        if (got < bytes.length) throw missing(r * rowBytes + got);
        out.set(new Float64Array(bytes.buffer, 0, k * cols), r * cols);
      }
    }
    if (check) {
      const n = count * cols;
      for (let i = 0; i < n; i++) if (!Number.isFinite(out[i])) throw this.nonFiniteError(first, i);
    }
  }

  /**
   * The error for value `index` (counted from the start of row `first`) read as not finite:
   * names it, and says whether the file holds a NaN or infinity or a float64 beyond float32.
   */
  nonFiniteError(first: number, index: number): Error {
    const { layout } = this;
    const row = first + Math.floor(index / layout.cols);
    const col = index % layout.cols;
    const bytes = new Uint8Array(8);
    const size = itemSize(layout);
    readFully(this.open(), layout.file, bytes.subarray(0, size), layout.offset + (row * layout.cols + col) * size);
    const v = size === 4 ? new Float32Array(bytes.buffer, 0, 1)[0] : new Float64Array(bytes.buffer, 0, 1)[0];
    const at = layout.oneDimensional ? `X[${row}]` : `X[${row}, ${col}]`;
    return fileError(layout.file, null, Number.isFinite(v) ? `${at} = ${v} is outside the float32 range` : `${at} = ${v} is not a finite number`);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private open(): number {
    if (this.fd === null) throw new Error(`RowFileReader ${this.layout.file}: closed`);
    return this.fd;
  }
}
