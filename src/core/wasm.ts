// Loader for build/core.wasm and the memory arena over its linear memory.
// Node-free: takes the module's bytes (or a URL / compiled module), so the same wrapper runs in
// Node and in browsers, with the plain WebAssembly API. See docs/core-api.md.
import { UserError } from "../util/errors.js";
import { callKernel, type CoreKernels, type KernelArgs, type KernelName } from "./kernels.js";

/**
 * The exports of core.wasm / core-mt.wasm: every kernel of the signature table (kernels.ts),
 * typed by it, and the linear memory. Pointers are byte addresses, sizes count elements.
 */
export type CoreExports = CoreKernels & { readonly memory: WebAssembly.Memory };

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

  /** Run kernel `name` with its arguments by parameter name (kernels.ts lists them). */
  call<K extends KernelName>(name: K, args: KernelArgs<K>): ReturnType<CoreKernels[K]> {
    return callKernel(this.exports, name, args);
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

// core.wasm imports nothing today; an AssemblyScript assertion added to a kernel would import
// env.abort, which this supplies.
const imports = {
  env: {
    abort(_msg: number, _file: number, line: number, col: number) {
      throw new Error(`core.wasm aborted at ${line}:${col}`);
    },
  },
};

function coreOf(instance: WebAssembly.Instance): Core {
  return new Core(instance.exports as unknown as CoreExports);
}

/** Instantiate core.wasm synchronously from bytes or a compiled module (Node, workers). */
export function loadCoreSync(source: BufferSource | WebAssembly.Module): Core {
  const module = source instanceof WebAssembly.Module ? source : new WebAssembly.Module(source);
  return coreOf(new WebAssembly.Instance(module, imports));
}

let defaultCore: Core | undefined;

/** Make `core` the instance that estimators use when their options name none. */
export function setDefaultCore(core: Core): void {
  defaultCore = core;
}

/** The default Core; throws if none was loaded (in Node, importing emlab loads it). */
export function getCore(): Core {
  if (!defaultCore) {
    throw new Error("core.wasm is not loaded: call setDefaultCore(await loadCore()) first");
  }
  return defaultCore;
}

/**
 * Where loadCore() looks by default: core.wasm next to this module's package build
 * (build/core.wasm beside build/src/core/wasm.js). Written as `new URL(literal,
 * import.meta.url)` so that bundlers copy the file and rewrite the URL.
 */
export function defaultCoreUrl(): URL {
  return new URL("../../core.wasm", import.meta.url);
}

/**
 * Instantiate core.wasm from bytes, a compiled module, a URL, a string URL or a fetch Response;
 * with no argument, from defaultCoreUrl(). A `file:` URL is read from disk (Node, Deno), any
 * other URL is fetched.
 */
export async function loadCore(source: CoreSource = defaultCoreUrl()): Promise<Core> {
  if (source instanceof WebAssembly.Module) return coreOf(await WebAssembly.instantiate(source, imports));
  if (isBufferSource(source)) return coreOf((await WebAssembly.instantiate(source, imports)).instance);
  if (typeof source === "string" || source instanceof URL) {
    const url = String(source);
    if (url.startsWith("file:")) return loadCore(await readFileUrl(new URL(url)));
    const res = await fetch(source);
    // A 404 page would otherwise surface as an obscure compile or MIME-type error.
    if (!res.ok) throw new Error(`loadCore: ${url}: HTTP ${res.status} ${res.statusText}`);
    source = res;
  }
  // Compiles while the bytes arrive; needs Content-Type: application/wasm (docs/core-api.md).
  return coreOf((await WebAssembly.instantiateStreaming(source as Response | PromiseLike<Response>, imports)).instance);
}

function isBufferSource(s: unknown): s is BufferSource {
  return s instanceof ArrayBuffer || ArrayBuffer.isView(s) || (typeof SharedArrayBuffer !== "undefined" && s instanceof SharedArrayBuffer);
}

/**
 * The bytes of a file: URL without importing a node: module (emlab/core must load in browsers
 * and bundlers unchanged): Node ≥ 20.16 offers its built-ins through process.getBuiltinModule.
 */
async function readFileUrl(url: URL): Promise<Uint8Array> {
  type Fs = { readFile(path: URL): Promise<Uint8Array> };
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.("node:fs/promises") as Fs | undefined;
  if (fs) return fs.readFile(url);
  // Deno and others fetch file: URLs.
  const res = await fetch(url);
  if (!res.ok) throw new Error(`loadCore: ${url.href}: HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}
