// Hand-made IDX files for the loader tests (test/idx.test.ts, test/arena-matrix.test.ts).

/** An IDX file of unsigned bytes with these dims and values. */
export function idx(dims: number[], values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + values.length);
  const v = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(Array.from(values), 4 + 4 * dims.length);
  return out;
}
