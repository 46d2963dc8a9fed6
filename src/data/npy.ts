// numpy's .npy format (np.save): the magic "\x93NUMPY", a version (1.0, 2.0 or 3.0), the
// header's length (u16 LE for 1.0, u32 LE after), then the header — a Python dict literal
// {'descr': '<f8', 'fortran_order': False, 'shape': (n, d), } padded with spaces to a
// multiple of 64 bytes and ended by "\n" — and the values. emlab reads float32 and float64,
// little-endian, C order, 2-D (n×d) or 1-D (n values, one column); every other file gets a
// one-line UserError that names the file and says how to save it from numpy. Node-free.
// Format reference: numpy's doc page "numpy.lib.format"; for users: docs/data.md.
import { fileError } from "../util/errors.js";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** What an .npy header says (only the forms emlab reads get this far). */
export interface NpyHeader {
  /** "1.0", "2.0" or "3.0". */
  version: string;
  dtype: "float32" | "float64";
  /** Bytes per value: 4 or 8. */
  itemSize: 4 | 8;
  /** The shape as stored: (n, d) or (n,). */
  shape: number[];
  rows: number;
  cols: number;
  /** Byte offset of the first value (the header's total length). */
  offset: number;
}

/** How an .npy file was read, for the `data` part of the CLI's output. */
export interface NpyInfo {
  format: "npy";
  version: string;
  dtype: "float32" | "float64";
  shape: number[];
}

/** Bytes needed before the header's text can be parsed: 10 for version 1.0, 12 after. */
export const NPY_PREFIX_BYTES = 12;

/**
 * Total header length (magic, version, length field and the dict) from the first bytes of a
 * file (at least NPY_PREFIX_BYTES of them, or the whole file if shorter).
 */
export function npyHeaderLength(prefix: Uint8Array, file: string): number {
  if (prefix.length >= 4 && prefix[0] === 0x50 && prefix[1] === 0x4b && prefix[2] === 3 && prefix[3] === 4) {
    throw fileError(file, null, "is a .npz archive (np.savez), not an .npy file: save one array with np.save");
  }
  if (prefix.length < MAGIC.length || MAGIC.some((b, i) => prefix[i] !== b)) {
    throw fileError(file, null, "not an .npy file: it does not start with numpy's magic \\x93NUMPY");
  }
  if (prefix.length < 10) throw fileError(file, null, `truncated: ${prefix.length} bytes, shorter than an .npy header`);
  const major = prefix[6];
  const minor = prefix[7];
  if (major < 1 || major > 3 || minor !== 0) {
    throw fileError(file, null, `.npy format version ${major}.${minor} is not supported (1.0, 2.0 and 3.0 are)`);
  }
  if (major === 1) return 10 + (prefix[8] | (prefix[9] << 8));
  if (prefix.length < 12) throw fileError(file, null, `truncated: ${prefix.length} bytes, shorter than an .npy ${major}.0 header`);
  return 12 + (prefix[8] | (prefix[9] << 8) | (prefix[10] << 16)) + prefix[11] * 2 ** 24;
}

/** Parse and check a whole .npy header (`bytes` holds at least npyHeaderLength bytes). */
export function parseNpyHeader(bytes: Uint8Array, file: string): NpyHeader {
  const offset = npyHeaderLength(bytes, file);
  if (bytes.length < offset) throw fileError(file, null, `truncated: the .npy header needs ${offset} bytes, the file has ${bytes.length}`);
  const major = bytes[6];
  const start = major === 1 ? 10 : 12;
  // versions 1.0 and 2.0 store the header in latin-1, 3.0 in UTF-8
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(start, offset));
  let dict: unknown;
  try {
    dict = new PyLiteral(text).parseAll();
  } catch (e) {
    throw fileError(file, null, `.npy header is not a Python dict literal (${(e as Error).message}): ${JSON.stringify(text.trim().slice(0, 120))}`);
  }
  if (!(dict instanceof Map)) throw fileError(file, null, ".npy header is not a dict");
  const keys = [...dict.keys()].sort().join(", ");
  if (keys !== "descr, fortran_order, shape") throw fileError(file, null, `.npy header has the keys {${keys}}, expected {descr, fortran_order, shape}`);
  const descr = dict.get("descr");
  const fortran = dict.get("fortran_order");
  const shape = dict.get("shape");
  if (!Array.isArray(shape) || !shape.every((v) => Number.isSafeInteger(v) && v >= 0)) {
    throw fileError(file, null, `.npy header: shape ${pyRepr(shape)} is not a tuple of sizes`);
  }
  if (typeof fortran !== "boolean") throw fileError(file, null, `.npy header: fortran_order ${pyRepr(fortran)} is not True or False`);
  const dtype = checkDescr(descr, file);
  if (shape.length === 0) throw fileError(file, null, "holds a scalar (shape ()): expected a 2-D array of rows × features, or 1-D");
  if (shape.length > 2) {
    throw fileError(file, null, `shape ${pyRepr(shape)} is ${shape.length}-D: expected 2-D rows × features (save X.reshape(len(X), -1))`);
  }
  const rows = shape[0];
  const cols = shape.length === 2 ? shape[1] : 1;
  // Fortran order is the same layout as C order when one of the two dimensions is 1
  if (fortran && rows > 1 && cols > 1) {
    throw fileError(file, null, `is in Fortran order (fortran_order: True): save np.ascontiguousarray(X)`);
  }
  if (rows === 0) throw fileError(file, null, `has no rows (shape ${pyRepr(shape)})`);
  if (cols === 0) throw fileError(file, null, `has no columns (shape ${pyRepr(shape)})`);
  return { version: `${major}.0`, dtype, itemSize: dtype === "float32" ? 4 : 8, shape, rows, cols, offset };
}

/** '<f4' → float32, '<f8' → float64; every other dtype is a UserError saying what to save instead. */
function checkDescr(descr: unknown, file: string): "float32" | "float64" {
  if (typeof descr !== "string") {
    throw fileError(file, null, `has a structured dtype ${pyRepr(descr)}: save a plain float array (np.save(f, X.astype('<f4')))`);
  }
  if (descr === "<f4") return "float32";
  if (descr === "<f8") return "float64";
  if (/^[|<>=]?O/.test(descr)) throw fileError(file, null, `holds Python objects (dtype '${descr}'): save a float array (X.astype('<f4'))`);
  if (descr === ">f4" || descr === ">f8") {
    throw fileError(file, null, `is big-endian (dtype '${descr}'): save X.astype('<${descr.slice(1)}')`);
  }
  throw fileError(file, null, `dtype '${descr}' is not float32 or float64: save X.astype('<f4') (or '<f8')`);
}

/** A value of the header as Python would print it (for messages). */
function pyRepr(v: unknown): string {
  if (Array.isArray(v)) return v.length === 1 ? `(${pyRepr(v[0])},)` : `(${v.map(pyRepr).join(", ")})`;
  if (typeof v === "string") return `'${v}'`;
  if (typeof v === "boolean") return v ? "True" : "False";
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(", ")}}`;
  if (v === null) return "None";
  return String(v);
}

/**
 * The Python literals an .npy header uses: dict, tuple, list (both → arrays), str, int, True,
 * False, None. Anything else throws.
 */
class PyLiteral {
  private p = 0;
  constructor(private readonly s: string) {}

  parseAll(): unknown {
    const v = this.value();
    this.blanks();
    if (this.p !== this.s.length) this.fail("unexpected text after the dict");
    return v;
  }

  private fail(why: string): never {
    throw new Error(`${why} at character ${this.p + 1}`);
  }

  private blanks(): void {
    while (this.p < this.s.length && " \t\r\n".includes(this.s[this.p])) this.p++;
  }

  private value(): unknown {
    this.blanks();
    const c = this.s[this.p];
    if (c === "{") return this.dict();
    if (c === "(") return this.sequence(")");
    if (c === "[") return this.sequence("]");
    if (c === "'" || c === '"') return this.string();
    const m = /^(?:[+-]?\d+L?|True|False|None)/.exec(this.s.slice(this.p, this.p + 40));
    if (!m) this.fail("expected a value");
    this.p += m[0].length;
    if (m[0] === "True") return true;
    if (m[0] === "False") return false;
    if (m[0] === "None") return null;
    return Number(m[0].replace(/L$/, ""));
  }

  private string(): string {
    const q = this.s[this.p++];
    let out = "";
    while (this.p < this.s.length && this.s[this.p] !== q) {
      if (this.s[this.p] === "\\") this.p++;
      out += this.s[this.p++];
    }
    if (this.p >= this.s.length) this.fail("unclosed string");
    this.p++;
    return out;
  }

  /** A tuple or a list up to `close`, trailing comma allowed. */
  private sequence(close: string): unknown[] {
    this.p++;
    const out: unknown[] = [];
    for (;;) {
      this.blanks();
      if (this.s[this.p] === close) break;
      out.push(this.value());
      this.blanks();
      if (this.s[this.p] === ",") this.p++;
      else if (this.s[this.p] !== close) this.fail(`expected ',' or '${close}'`);
    }
    this.p++;
    return out;
  }

  private dict(): Map<unknown, unknown> {
    this.p++;
    const out = new Map<unknown, unknown>();
    for (;;) {
      this.blanks();
      if (this.s[this.p] === "}") break;
      const k = this.value();
      this.blanks();
      if (this.s[this.p++] !== ":") this.fail("expected ':'");
      out.set(k, this.value());
      this.blanks();
      if (this.s[this.p] === ",") this.p++;
      else if (this.s[this.p] !== "}") this.fail("expected ',' or '}'");
    }
    this.p++;
    return out;
  }
}

/**
 * The header bytes np.save writes (numpy 1.24's numpy/lib/format.py): the dict with sorted keys,
 * blanks for the growth axis to grow to 21 digits, then blanks so that the values start at a
 * multiple of 64 bytes, and "\n". `descr` is put in quotes unless it is a list (structured).
 */
export function npyHeader(descr: string, shape: number[], { version = 1, fortran = false }: { version?: 1 | 2 | 3; fortran?: boolean } = {}): Uint8Array {
  const shapeRepr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const descrRepr = descr.startsWith("[") ? descr : `'${descr}'`;
  let dict = `{'descr': ${descrRepr}, 'fortran_order': ${fortran ? "True" : "False"}, 'shape': ${shapeRepr}, }`;
  if (shape.length > 0) dict += " ".repeat(Math.max(0, 21 - String(shape[fortran ? shape.length - 1 : 0]).length));
  const text = new TextEncoder().encode(dict);
  const lenBytes = version === 1 ? 2 : 4;
  const prefix = MAGIC.length + 2 + lenBytes;
  // numpy pads by 64 − (unpadded % 64): a full 64 blanks when the unpadded length is a multiple
  const unpadded = prefix + text.length + 1;
  const total = unpadded + 64 - (unpadded % 64);
  const out = new Uint8Array(total).fill(0x20);
  out.set([...MAGIC, version, 0]);
  const len = total - prefix;
  if (version === 1 && len > 0xffff) throw new RangeError(`npyHeader: ${len} header bytes do not fit format 1.0`);
  for (let i = 0; i < lenBytes; i++) out[MAGIC.length + 2 + i] = Math.floor(len / 2 ** (8 * i)) & 0xff;
  out.set(text, prefix);
  out[total - 1] = 0x0a;
  return out;
}
