// The bytes np.save writes, built the way numpy 1.24's numpy/lib/format.py builds them, so the
// .npy tests need no Python: test/npy.test.ts checks this builder against headers numpy wrote.

/**
 * An .npy file: header dict with sorted keys, spare blanks for the growth axis (21 digits), blank
 * padding so that the data start at a multiple of 64, "\n"; then `data` as given (raw bytes).
 */
export function npyBytes(
  descr: string,
  shape: number[],
  data: Uint8Array,
  { version = 1, fortran = false }: { version?: 1 | 2 | 3; fortran?: boolean } = {},
): Uint8Array {
  const shapeRepr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const descrRepr = descr.startsWith("[") ? descr : `'${descr}'`;
  let header = `{'descr': ${descrRepr}, 'fortran_order': ${fortran ? "True" : "False"}, 'shape': ${shapeRepr}, }`;
  if (shape.length > 0) header += " ".repeat(21 - String(shape[fortran ? shape.length - 1 : 0]).length);
  const text = new TextEncoder().encode(header);
  const lenBytes = version === 1 ? 2 : 4;
  const hlen = text.length + 1;
  const pad = 64 - ((8 + lenBytes + hlen) % 64);
  const total = 8 + lenBytes + hlen + pad;
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const len = hlen + pad;
  for (let i = 0; i < lenBytes; i++) out[8 + i] = (len >>> (8 * i)) & 0xff;
  out.set(text, 8 + lenBytes);
  out.fill(0x20, 8 + lenBytes + text.length, total - 1);
  out[total - 1] = 0x0a;
  out.set(data, total);
  return out;
}

/** Little-endian bytes of `values` as float64 ('<f8') or float32 ('<f4'). */
export function floatBytes(values: number[], type: "<f8" | "<f4"): Uint8Array {
  const a = type === "<f8" ? Float64Array.from(values) : Float32Array.from(values);
  return new Uint8Array(a.buffer);
}
