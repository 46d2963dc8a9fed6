// Loader for build/core.wasm and the memory arena over its linear memory.
// Node-free: takes the module's bytes (or a URL / compiled module), so the same
// wrapper runs in Node and in browsers. See docs/core-api.md.
import { instantiate, instantiateSync } from "@assemblyscript/loader";
import { UserError } from "../util/errors.js";

/** The raw kernel exports of core.wasm (pointers are byte addresses, sizes count elements). */
export type CoreExports = Record<string, any> & {
  memory: WebAssembly.Memory;
  heapBase(): number;
};

export type CoreSource = BufferSource | WebAssembly.Module | URL | string | Response | PromiseLike<Response>;

const PAGE = 65536;
/** WASM32 address space: 65536 pages of 64 KiB = 4 GiB. */
export const MAX_MEMORY_BYTES = 65536 * PAGE;

/** A typed region of linear memory; `ptr` is a byte address, `length` counts elements. */
export interface Region<T extends Float32Array | Float64Array | Int32Array> {
  readonly ptr: number;
  readonly length: number;
  /** A fresh view: views go stale after memory.grow, so never keep one across an allocation. */
  view(): T;
}

/**
 * A bump allocator over the module's linear memory. The TypeScript side owns all memory
 * from heapBase up; kernels never allocate. `mark()`/`release(mark)` free everything
 * allocated after the mark, so a fit leaves the arena as it found it.
 */
export class Core {
  readonly exports: CoreExports;
  private top: number;
  /** Regions whose owners must learn when release() frees them (CoreMatrix). */
  private readonly tracked = new Set<{ end: number; released: boolean }>();

  constructor(exports: CoreExports) {
    this.exports = exports;
    this.top = align(exports.heapBase(), 16);
  }

  get memory(): WebAssembly.Memory {
    return this.exports.memory;
  }

  /** Bytes currently allocated above heapBase. */
  get allocatedBytes(): number {
    return this.top - align(this.exports.heapBase(), 16);
  }

  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    if (mark > this.top) throw new Error("release: mark is above the arena's top");
    this.top = mark;
    for (const t of this.tracked) {
      if (t.end > mark) {
        t.released = true;
        this.tracked.delete(t);
      }
    }
  }

  /**
   * A token for the allocation that ends at byte `end` (below the top): its `released` turns
   * true when a release() frees any of it, so a long-lived owner can refuse to read reused memory.
   */
  track(end: number): { readonly released: boolean } {
    if (end > this.top) throw new Error("track: the region ends above the arena's top");
    const t = { end, released: false };
    this.tracked.add(t);
    return t;
  }

  /** Reserve `bytes` bytes aligned to 16 (v128 loads); grows memory as needed. */
  allocBytes(bytes: number): number {
    const ptr = this.top;
    const end = align(ptr + bytes, 16);
    if (end > MAX_MEMORY_BYTES) {
      throw new RangeError(
        `needs ${(end / 2 ** 30).toFixed(2)} GiB of WebAssembly memory; the 32-bit address space allows 4 GiB`,
      );
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
    this.top = end;
    return ptr;
  }

  f32(length: number): Region<Float32Array> {
    const ptr = this.allocBytes(length * 4);
    return { ptr, length, view: () => new Float32Array(this.memory.buffer, ptr, length) };
  }

  f64(length: number): Region<Float64Array> {
    const ptr = this.allocBytes(length * 8);
    return { ptr, length, view: () => new Float64Array(this.memory.buffer, ptr, length) };
  }

  i32(length: number): Region<Int32Array> {
    const ptr = this.allocBytes(length * 4);
    return { ptr, length, view: () => new Int32Array(this.memory.buffer, ptr, length) };
  }

  /** Copy `src` into a new f32 region. */
  putF32(src: ArrayLike<number>): Region<Float32Array> {
    const r = this.f32(src.length);
    r.view().set(src);
    return r;
  }

  /** Copy `src` into a new f64 region. */
  putF64(src: ArrayLike<number>): Region<Float64Array> {
    const r = this.f64(src.length);
    r.view().set(src);
    return r;
  }

  /** Run `fn` and free whatever it allocated, even when it throws. */
  scoped<T>(fn: () => T): T {
    const m = this.mark();
    try {
      return fn();
    } finally {
      this.release(m);
    }
  }
}

/**
 * Refuse up front, with a UserError naming the 4 GiB limit, a job whose buffers (`bytes` in
 * all, on top of what `core` already holds) cannot fit in WASM32 linear memory. Estimators call
 * it before reading or copying their input, so a too-large data set fails with this message
 * instead of a RangeError from allocBytes half-way through.
 */
export function checkFits(bytes: number, what: string, core?: Core): void {
  const end = (core ? core.mark() : 0) + bytes;
  if (!(end <= MAX_MEMORY_BYTES)) {
    throw new UserError(
      `${what} needs ${(end / 2 ** 30).toFixed(2)} GiB of WebAssembly memory; ` +
        "the 32-bit address space allows 4 GiB: use fewer rows or features",
    );
  }
}

function align(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

const imports = {
  env: {
    abort(_msg: number, _file: number, line: number, col: number) {
      throw new Error(`core.wasm aborted at ${line}:${col}`);
    },
  },
};

/** Instantiate core.wasm synchronously from bytes or a compiled module (Node, workers). */
export function loadCoreSync(source: BufferSource | WebAssembly.Module): Core {
  const { exports } = instantiateSync<CoreExports>(source, imports);
  return new Core(exports as CoreExports);
}

let defaultCore: Core | undefined;

/** Make `core` the instance that estimators use when their options name none. */
export function setDefaultCore(core: Core): void {
  defaultCore = core;
}

/** The default Core; throws if none was loaded (in Node, importing emlab loads it). */
export function getCore(): Core {
  if (!defaultCore) {
    throw new Error("core.wasm is not loaded: call setDefaultCore(await loadCore(url or bytes)) first");
  }
  return defaultCore;
}

/** Instantiate core.wasm from bytes, a compiled module, a URL or a fetch Response. */
export async function loadCore(source: CoreSource): Promise<Core> {
  let input: any = source;
  if (typeof source === "string" || source instanceof URL) {
    const res = await fetch(source);
    // A 404 page would otherwise surface as an obscure compile or MIME-type error.
    if (!res.ok) throw new Error(`loadCore: ${String(source)}: HTTP ${res.status} ${res.statusText}`);
    input = res;
  }
  const { exports } = await instantiate<CoreExports>(input, imports);
  return new Core(exports as CoreExports);
}
