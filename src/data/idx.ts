// The IDX format of the MNIST files: a big-endian header (0x00 0x00, a type byte, the number
// of dimensions, then one u32 per dimension) followed by the values. Only unsigned bytes
// (type 0x08) are supported, which is all MNIST uses: magic 2051 = images (3 dims), 2049 = labels (1 dim).
import { fileError } from "../util/errors.js";

const UBYTE = 0x08;

/** An IDX header: the dimensions and the byte offset where the values start. */
export interface IdxHeader {
  dims: number[];
  offset: number;
}

/** Parse and check the header at the start of `bytes` (which may hold only the header). */
export function parseIdxHeader(bytes: Uint8Array, file: string): IdxHeader {
  if (bytes.length < 4) throw fileError(file, null, `not an IDX file: ${bytes.length} bytes, shorter than the 4-byte magic`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
    throw fileError(file, null, `not an IDX file: magic number ${magic} (expected 2049 for labels or 2051 for images)`);
  }
  if (bytes[2] !== UBYTE) {
    throw fileError(file, null, `IDX value type 0x${bytes[2].toString(16).padStart(2, "0")} is not supported (only unsigned bytes, 0x08)`);
  }
  const ndim = bytes[3];
  if (ndim === 0) throw fileError(file, null, "IDX header declares 0 dimensions");
  const offset = 4 + 4 * ndim;
  if (bytes.length < offset) throw fileError(file, null, `truncated: the IDX header needs ${offset} bytes, the file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, offset);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  return { dims, offset };
}

/** Number of values an IDX file with these dims holds. */
export function idxCount(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Parse a whole IDX file of unsigned bytes: dims and the values (a view into `bytes`, row-major). */
export function parseIdx(bytes: Uint8Array, file: string): { dims: number[]; data: Uint8Array } {
  const { dims, offset } = parseIdxHeader(bytes, file);
  const count = idxCount(dims);
  const have = bytes.length - offset;
  if (have < count) throw fileError(file, null, `truncated: header [${dims.join("×")}] needs ${count} value bytes, the file has ${have}`);
  if (have > count) throw fileError(file, null, `${have - count} unexpected bytes after the ${count} values of [${dims.join("×")}]`);
  return { dims, data: bytes.subarray(offset, offset + count) };
}
