// .npy files for the tests: the product's header writer (src/data/npy.ts, checked against the
// bytes numpy writes in test/npy.test.ts) followed by raw data bytes, which may disagree with
// the header on purpose.
import { npyHeader } from "../../src/data/npy.js";

/** An .npy file: the header np.save writes for (descr, shape), then `data` as given. */
export function npyBytes(descr: string, shape: number[], data: Uint8Array, opts: { version?: 1 | 2 | 3; fortran?: boolean } = {}): Uint8Array {
  const head = npyHeader(descr, shape, opts);
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}

/** Little-endian bytes of `values` as float64 ('<f8') or float32 ('<f4'). */
export function floatBytes(values: number[], type: "<f8" | "<f4"): Uint8Array {
  const a = type === "<f8" ? Float64Array.from(values) : Float32Array.from(values);
  return new Uint8Array(a.buffer);
}
