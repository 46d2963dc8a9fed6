import type { Core, Region } from "./wasm.js";

/** A dense row-major matrix: `data[i * cols + j]` is row i, column j. Rows are samples. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/** Wrap (not copy) a row-major Float32Array as a rows×cols Matrix; checks the length. */
export function matrix(data: Float32Array, rows: number, cols: number): Matrix {
  if (data.length !== rows * cols) {
    throw new RangeError(`matrix: data has ${data.length} values, expected ${rows}×${cols}`);
  }
  return { data, rows, cols };
}

/** Rows `idx` of `m`, copied into a new Matrix (in the order given). */
export function takeRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  const out = new Float32Array(idx.length * m.cols);
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r];
    if (!(Number.isInteger(i) && i >= 0 && i < m.rows)) {
      throw new RangeError(`takeRows: index ${i} at position ${r} is outside 0…${m.rows - 1}`);
    }
    out.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), r * m.cols);
  }
  return { data: out, rows: idx.length, cols: m.cols };
}

/**
 * A rows×cols f32 row-major matrix that lives in a Core's arena at byte address `ptr`, so that
 * GaussianMixture.fit (and scoring) use it in place instead of copying it into the arena. It is
 * a Matrix: `data` is a fresh view on each read, because memory.grow detaches (or, for shared
 * memory, outgrows) older views — never keep `data` across an allocation in `core`. Freed with
 * the arena (`core.release` below it); reading it afterwards throws. See docs/core-api.md.
 */
export class CoreMatrix implements Matrix {
  readonly core: Core;
  /** Byte address of element [0][0] (16-byte aligned). */
  readonly ptr: number;
  readonly rows: number;
  readonly cols: number;
  private readonly token: { readonly released: boolean };

  /** Allocate an uninitialised (zero on fresh memory, not guaranteed) rows×cols matrix in `core`. */
  constructor(core: Core, rows: number, cols: number) {
    if (!(Number.isInteger(rows) && rows >= 0 && Number.isInteger(cols) && cols >= 0)) {
      throw new RangeError(`CoreMatrix: rows and cols must be integers ≥ 0, got ${rows}×${cols}`);
    }
    this.core = core;
    this.rows = rows;
    this.cols = cols;
    const r = core.f32(rows * cols);
    this.ptr = r.ptr;
    this.token = core.track(r.ptr + r.length * 4);
  }

  /** True once `core.release` has freed (part of) the matrix's memory. */
  get released(): boolean {
    return this.token.released;
  }

  /** A fresh Float32Array view of the rows×cols values (valid until the next allocation in core). */
  get data(): Float32Array {
    this.checkLive();
    return new Float32Array(this.core.memory.buffer, this.ptr, this.rows * this.cols);
  }

  /** The matrix as a Region of core's arena (what the kernels take). */
  get region(): Region<Float32Array> {
    this.checkLive();
    const length = this.rows * this.cols;
    return { ptr: this.ptr, length, view: () => this.data };
  }

  private checkLive(): void {
    if (this.token.released) {
      throw new Error(`CoreMatrix ${this.rows}×${this.cols} at ${this.ptr}: its arena memory was released (core.release below it)`);
    }
  }
}

/** Copy `m` into a new CoreMatrix in `core`'s arena (f32, same shape). */
export function toCoreMatrix(core: Core, m: Matrix): CoreMatrix {
  if (m.data.length < m.rows * m.cols) {
    throw new RangeError(`toCoreMatrix: data has ${m.data.length} values, fewer than ${m.rows}×${m.cols}`);
  }
  const out = new CoreMatrix(core, m.rows, m.cols);
  out.data.set(m.data.subarray(0, m.rows * m.cols));
  return out;
}

/** `m` is a CoreMatrix in `core` (and still live): the kernels can read it in place. */
export function inArena(m: Matrix, core: Core): m is CoreMatrix {
  return m instanceof CoreMatrix && m.core === core && !m.released;
}
