// Outputs are written to a temporary name in the same directory and renamed, so a reader
// (or an interrupted run) never sees a half-written file.
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { dirname, join, basename } from "node:path";
import { onInterrupt } from "./interrupt.js";

let counter = 0;

/** Write `data` to `path` atomically (temp file + rename), creating the directory. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** JSON with a trailing newline, written atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * A file written piece by piece (a stream of rows) under a temporary name in its directory and
 * renamed to `path` by commit(); abort() (or an interrupt) removes the temporary file, so
 * `path` never holds a partial file.
 */
export class AtomicFileWriter {
  readonly path: string;
  private readonly tmp: string;
  private fd: number | null;
  private readonly unhook: () => void;

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
    this.fd = openSync(this.tmp, "w");
    this.unhook = onInterrupt(() => this.abort());
  }

  write(data: string | Uint8Array): void {
    if (this.fd === null) throw new Error(`AtomicFileWriter ${this.path}: already closed`);
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    for (let at = 0; at < bytes.length; ) at += writeSync(this.fd, bytes, at, bytes.length - at);
  }

  commit(): void {
    if (this.fd === null) throw new Error(`AtomicFileWriter ${this.path}: already closed`);
    closeSync(this.fd);
    this.fd = null;
    this.unhook();
    renameSync(this.tmp, this.path);
  }

  abort(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.unhook();
    rmSync(this.tmp, { force: true });
  }
}
