// Training checkpoints: one file, written atomically, that holds everything a run needs to go on
// exactly where it stopped — config, completed epochs, per-epoch history, Rng states, and every
// tensor (parameters, Adam moments, step) by name.
//
// Layout (little-endian):
//   bytes 0..7   magic "EMLABCKP"
//   bytes 8..11  uint32 byte length H of the JSON header
//   H bytes      UTF-8 JSON header {kind, version, config, epoch, history, rng, extra, tensors, blobBytes, crc32},
//                padded with spaces (room for a 10-digit CRC, so the tensors are copied in before it is known)
//   zero padding to a multiple of 8
//   blob         the tensors' raw bytes, each at header.tensors[i].offset (a multiple of 8) from the blob start
// The CRC-32 of the blob catches a truncated or damaged file; every inconsistency on load is a
// one-line UserError `checkpoint FILE: …`.

import { readFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { writeFileAtomic } from "../util/atomic.js";
import { UserError } from "../util/errors.js";
import type { Rng } from "../util/rng.js";
import type { EpochRecord } from "./history.js";

/**
 * Version of the file layout and of what the tensors mean; a loader refuses any other.
 * 2: Adam's moments are stored scaled (m/(1 − β1), v/(1 − β2); src/onnx/adam.ts).
 */
export const CHECKPOINT_VERSION = 2;

const MAGIC = "EMLABCKP";

/** Serialisable state of an `Rng` (`rng.getState()`). */
export type RngState = ReturnType<Rng["getState"]>;

/** Element types a checkpoint stores. */
export type CheckpointDType = "float32" | "float64";

/** One stored tensor: data plus its logical shape (numel(shape) = data.length). */
export interface CheckpointTensor {
  data: Float32Array | Float64Array;
  shape: number[];
}

/** Everything in a checkpoint. `epoch` counts completed epochs; `history` has one record per epoch. */
export interface Checkpoint<C = Record<string, unknown>> {
  /** What wrote it, e.g. "vae" or "gan"; a loader only accepts its own kind. */
  kind: string;
  config: C;
  epoch: number;
  history: EpochRecord[];
  /** Named Rng streams (e.g. shuffle, noise), as `rng.getState()`. */
  rng: Record<string, RngState>;
  /** Tensors by name (parameters, `m.<p>`, `v.<p>`, `step`), stored in insertion order. */
  tensors: Record<string, CheckpointTensor>;
  /** Small model-specific JSON (e.g. a fixed latent set's seed). */
  extra?: Record<string, unknown>;
}

/** What `loadCheckpoint` checks the file against. */
export interface CheckpointExpect {
  kind: string;
  /** Config fields that must be equal (deep, JSON) to the stored ones; missing fields count as different. */
  config?: Record<string, unknown>;
  /** Config fields not compared (e.g. `epochs`, `threads`, `out`: changing them keeps the run the same). */
  ignoreConfig?: string[];
  /** Exact set of tensors with their shapes and element types (default float32). */
  tensors?: Record<string, { shape: number[]; dtype?: CheckpointDType }>;
}

interface TensorIndex {
  name: string;
  dtype: CheckpointDType;
  shape: number[];
  offset: number;
  length: number;
}

interface Header {
  kind: string;
  version: number;
  config: Record<string, unknown>;
  epoch: number;
  history: EpochRecord[];
  rng: Record<string, RngState>;
  extra?: Record<string, unknown>;
  tensors: TensorIndex[];
  blobBytes: number;
  crc32: number;
}

const align8 = (n: number) => (n + 7) & ~7;

function dtypeOf(data: Float32Array | Float64Array): CheckpointDType {
  return data instanceof Float64Array ? "float64" : "float32";
}

const numel = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

// ---------------------------------------------------------------- encoding

/** The checkpoint as file bytes (see the layout at the top of this file). */
export function encodeCheckpoint(ck: Checkpoint<unknown>): Uint8Array {
  const index: TensorIndex[] = [];
  let blobBytes = 0;
  for (const [name, t] of Object.entries(ck.tensors)) {
    if (numel(t.shape) !== t.data.length) throw new Error(`checkpoint tensor '${name}': ${t.data.length} values for shape [${t.shape}]`);
    index.push({ name, dtype: dtypeOf(t.data), shape: [...t.shape], offset: blobBytes, length: t.data.length });
    blobBytes = align8(blobBytes + t.data.byteLength);
  }
  // the tensors are copied once, straight into the file's bytes; the CRC runs over that blob
  // (the header that holds it is encoded afterwards, with the CRC field padded to a fixed width)
  const header: Header = {
    kind: ck.kind,
    version: CHECKPOINT_VERSION,
    config: ck.config as Record<string, unknown>,
    epoch: ck.epoch,
    history: ck.history,
    rng: ck.rng,
    extra: ck.extra,
    tensors: index,
    blobBytes,
    crc32: 0,
  };
  const json = (crc: number) => new TextEncoder().encode(JSON.stringify({ ...header, crc32: crc }));
  // room for the longest CRC (10 digits); a shorter one is padded with spaces, which JSON ignores
  const room = json(0xffffffff).length;
  const start = align8(12 + room);
  const out = new Uint8Array(start + blobBytes);
  for (const e of index) {
    const t = ck.tensors[e.name].data;
    out.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), start + e.offset);
  }
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, room, true);
  out.fill(0x20, 12, 12 + room).set(json(crc32(out.subarray(start))), 12);
  return out;
}

/** Writes `ck` to `path` atomically (temp file + rename): a crash leaves the previous checkpoint intact. */
export function saveCheckpoint(path: string, ck: Checkpoint<unknown>): void {
  writeFileAtomic(path, encodeCheckpoint(ck));
}

// ---------------------------------------------------------------- decoding and validation

/** Parses checkpoint bytes and validates them against `expect`; `file` names the source in errors. */
export function decodeCheckpoint<C = Record<string, unknown>>(bytes: Uint8Array, file: string, expect: CheckpointExpect): Checkpoint<C> {
  const bad: (msg: string) => never = (msg) => {
    throw new UserError(`checkpoint ${file}: ${msg}`);
  };
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) bad("not an emlab checkpoint (bad magic bytes)");
  const hLen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (12 + hLen > bytes.length) bad(`truncated header (${bytes.length} bytes, header needs ${12 + hLen})`);
  let h: Header;
  try {
    h = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(12, 12 + hLen)));
  } catch (e) {
    return bad(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof h !== "object" || h === null) bad("header is not a JSON object");
  if (h.kind !== expect.kind) bad(`holds a '${String(h.kind)}' model, expected '${expect.kind}'`);
  if (h.version !== CHECKPOINT_VERSION) bad(`format version ${String(h.version)}, this emlab reads version ${CHECKPOINT_VERSION}`);
  if (!Number.isInteger(h.epoch) || h.epoch < 0) bad(`bad epoch count ${String(h.epoch)}`);
  if (!Array.isArray(h.history) || h.history.length !== h.epoch) bad(`history has ${Array.isArray(h.history) ? h.history.length : "no"} records for ${h.epoch} epochs`);
  if (typeof h.rng !== "object" || h.rng === null) bad("no Rng state");
  if (!Array.isArray(h.tensors) || !Number.isInteger(h.blobBytes) || !Number.isInteger(h.crc32)) bad("header lacks the tensor index");
  if (expect.config) checkConfig(h.config ?? {}, expect.config, expect.ignoreConfig ?? [], bad);

  const start = align8(12 + hLen);
  if (bytes.length !== start + h.blobBytes) bad(`file is ${bytes.length} bytes, the header says ${start + h.blobBytes} (truncated or damaged)`);
  const blob = bytes.subarray(start);
  if (crc32(blob) !== h.crc32) bad("tensor data fails its CRC-32 check (damaged file)");

  const tensors: Record<string, CheckpointTensor> = {};
  for (const e of h.tensors) {
    if (typeof e?.name !== "string" || (e.dtype !== "float32" && e.dtype !== "float64") || !Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0))
      bad(`bad tensor index entry ${JSON.stringify(e)}`);
    const size = e.dtype === "float64" ? 8 : 4;
    if (numel(e.shape) !== e.length || e.offset % 8 !== 0 || e.offset + e.length * size > h.blobBytes) bad(`tensor '${e.name}' does not fit the data blob`);
    if (e.name in tensors) bad(`tensor '${e.name}' stored twice`);
    // copy out (new Uint8Array(view) copies, unlike Buffer#slice): aligned for the element type,
    // and it does not pin the file's buffer
    const raw = new Uint8Array(blob.subarray(e.offset, e.offset + e.length * size));
    const data = e.dtype === "float64" ? new Float64Array(raw.buffer) : new Float32Array(raw.buffer);
    tensors[e.name] = { data, shape: e.shape };
  }
  if (expect.tensors) checkTensors(tensors, expect.tensors, bad);
  return { kind: h.kind, config: h.config as C, epoch: h.epoch, history: h.history, rng: h.rng, tensors, extra: h.extra };
}

/** Reads and validates the checkpoint at `path` (an unreadable file is a UserError too). */
export function loadCheckpoint<C = Record<string, unknown>>(path: string, expect: CheckpointExpect): Checkpoint<C> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`checkpoint ${path}: cannot read (${code === "ENOENT" ? "no such file" : code ?? (e as Error).message})`);
  }
  return decodeCheckpoint<C>(bytes, path, expect);
}

function checkConfig(stored: Record<string, unknown>, now: Record<string, unknown>, ignore: string[], bad: (m: string) => never): void {
  const keys = new Set([...Object.keys(stored), ...Object.keys(now)]);
  for (const k of keys) {
    if (ignore.includes(k)) continue;
    const a = JSON.stringify(stored[k]);
    const b = JSON.stringify(now[k]);
    if (a !== b) bad(`was written with ${k} = ${a ?? "(unset)"}, this run has ${k} = ${b ?? "(unset)"}`);
  }
}

function checkTensors(got: Record<string, CheckpointTensor>, want: NonNullable<CheckpointExpect["tensors"]>, bad: (m: string) => never): void {
  for (const [name, w] of Object.entries(want)) {
    const t = got[name];
    if (!t) bad(`has no tensor '${name}'`);
    if (t.shape.join(",") !== w.shape.join(",")) bad(`tensor '${name}' has shape [${t.shape}], expected [${w.shape}]`);
    const dtype = dtypeOf(t.data);
    if (dtype !== (w.dtype ?? "float32")) bad(`tensor '${name}' is ${dtype}, expected ${w.dtype ?? "float32"}`);
  }
  for (const name of Object.keys(got)) if (!(name in want)) bad(`has an unexpected tensor '${name}'`);
}
