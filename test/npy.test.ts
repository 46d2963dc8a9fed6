import { test } from "uvu";
import * as assert from "uvu/assert";
import { userError } from "./twin/user-error.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseNpyHeader } from "../src/data/npy.js";
import { BinaryRowSource, openRowSource, readMatrixFile } from "../src/data/row-source.js";
import { floatBytes, npyBytes } from "./twin/npy-file.js";

const dir = mkdtempSync(join(tmpdir(), "emlab-npy-"));
const file = (name: string, bytes: Uint8Array) => (writeFileSync(join(dir, name), bytes), join(dir, name));

// What numpy 1.24.2 wrote (np.lib.format.write_array) for X = [[1.5, -2.0], [0.25, 3.0], [1e-3, 7.0]]:
// the headers as bytes (a padded Python dict) and X.astype('<f4')'s data.
const pad = (n: number) => " ".repeat(n);
const NUMPY_V1_F8 = "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }" + pad(58) + "\n";
const NUMPY_V2_F8 = "\x93NUMPY\x02\x00t\x00\x00\x00{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }" + pad(56) + "\n";
const NUMPY_V1_1D = "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }" + pad(60) + "\n";
const NUMPY_F4_DATA = "0000c03f000000c00000803e000040406f12833a0000e040";
const X = [1.5, -2.0, 0.25, 3.0, 1e-3, 7.0];
const latin1 = (b: Uint8Array) => String.fromCharCode(...b);
const hex = (b: Uint8Array) => Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");

test("npyHeader writes the bytes numpy writes (v1, v2, 1-D headers; float32 data)", () => {
  assert.is(latin1(npyBytes("<f8", [3, 2], new Uint8Array(0))), NUMPY_V1_F8);
  assert.is(latin1(npyBytes("<f8", [3, 2], new Uint8Array(0), { version: 2 })), NUMPY_V2_F8);
  assert.is(latin1(npyBytes("<f8", [3], new Uint8Array(0))), NUMPY_V1_1D);
  assert.is(hex(floatBytes(X, "<f4")), NUMPY_F4_DATA);
  assert.is(NUMPY_V1_F8.length % 64, 0);
});

test("float64 and float32, versions 1.0, 2.0 and 3.0: shape, dtype and values (float64 rounded to float32)", () => {
  for (const version of [1, 2, 3] as const) {
    for (const type of ["<f8", "<f4"] as const) {
      const p = file(`x-${version}${type.slice(1)}.npy`, npyBytes(type, [3, 2], floatBytes(X, type), { version }));
      const { matrix, info } = readMatrixFile(p);
      assert.equal([matrix.rows, matrix.cols], [3, 2]);
      assert.equal(Array.from(matrix.data), X.map(Math.fround));
      assert.equal(info, { format: "npy", version: `${version}.0`, dtype: type === "<f8" ? "float64" : "float32", shape: [3, 2] });
    }
  }
});

test("a 1-D array is one column; Fortran order is accepted where it is the same layout (one column)", () => {
  const one = readMatrixFile(file("one.npy", npyBytes("<f8", [3], floatBytes([1, 2, 3], "<f8"))));
  assert.equal([one.matrix.rows, one.matrix.cols, Array.from(one.matrix.data)], [3, 1, [1, 2, 3]]);
  const col = readMatrixFile(file("col.npy", npyBytes("<f4", [2, 1], floatBytes([4, 5], "<f4"), { fortran: true })));
  assert.equal(Array.from(col.matrix.data), [4, 5]);
});

test("numpy's magic decides, not the name; a name ending in .npy must be one", () => {
  const p = file("data.bin", npyBytes("<f4", [2, 2], floatBytes([1, 2, 3, 4], "<f4")));
  assert.equal(Array.from(readMatrixFile(p).matrix.data), [1, 2, 3, 4]);
  const fake = file("fake.npy", new TextEncoder().encode("1,2\n3,4\n"));
  assert.is(userError(() => readMatrixFile(fake)), `${fake}: not an .npy file: it does not start with numpy's magic \\x93NUMPY`);
});

test("chunks: every row once, in order, with its index; readRows reads any range", () => {
  const n = 1000;
  const values = Array.from({ length: n * 3 }, (_, i) => Math.sin(i) * 100);
  const p = file("big.npy", npyBytes("<f8", [n, 3], floatBytes(values, "<f8")));
  const src = openRowSource(p);
  assert.equal([src.rows, src.cols], [n, 3]);
  const got: number[] = [];
  const firsts: number[] = [];
  for (const c of src.chunks(128)) {
    firsts.push(c.first);
    assert.is(c.data.length, c.rows * 3);
    got.push(...c.data);
  }
  assert.equal(firsts, Array.from({ length: 8 }, (_, i) => i * 128));
  assert.equal(got, values.map(Math.fround));
  const part = new Float32Array(6);
  (src as BinaryRowSource).readRows(998, 2, part);
  assert.equal(Array.from(part), values.slice(998 * 3).map(Math.fround));
});

// every bad file: one line naming the file and saying what to do
const bad: [string, Uint8Array, string][] = [
  ["fortran", npyBytes("<f8", [3, 2], floatBytes(X, "<f8"), { fortran: true }), "is in Fortran order (fortran_order: True): save np.ascontiguousarray(X)"],
  ["int64", npyBytes("<i8", [3, 2], new Uint8Array(48)), "dtype '<i8' is not float32 or float64: save X.astype('<f4') (or '<f8')"],
  ["uint8", npyBytes("|u1", [2, 2], new Uint8Array(4)), "dtype '|u1' is not float32 or float64"],
  ["float16", npyBytes("<f2", [3, 2], new Uint8Array(12)), "dtype '<f2' is not float32 or float64"],
  ["big-endian", npyBytes(">f8", [3, 2], new Uint8Array(48)), "is big-endian (dtype '>f8'): save X.astype('<f8')"],
  ["object", npyBytes("|O", [1, 2], new Uint8Array(30)), "holds Python objects (dtype '|O'): save a float array (X.astype('<f4'))"],
  ["structured", npyBytes("[('x', '<f8'), ('y', '<f4')]", [2], new Uint8Array(24)), "has a structured dtype (('x', '<f8'), ('y', '<f4')): save a plain float array"],
  ["3-D", npyBytes("<f8", [2, 2, 2], new Uint8Array(64)), "shape (2, 2, 2) is 3-D: expected 2-D rows × features (save X.reshape(len(X), -1))"],
  ["scalar", npyBytes("<f8", [], new Uint8Array(8)), "holds a scalar (shape ()): expected a 2-D array of rows × features, or 1-D"],
  ["no rows", npyBytes("<f8", [0, 3], new Uint8Array(0)), "has no rows (shape (0, 3))"],
  ["no columns", npyBytes("<f8", [3, 0], new Uint8Array(0)), "has no columns (shape (3, 0))"],
  ["truncated data", npyBytes("<f8", [3, 2], floatBytes(X, "<f8")).subarray(0, 128 + 40), "truncated: shape (3, 2) of float64 needs 48 data bytes, the file has 40"],
  ["extra bytes", npyBytes("<f4", [3, 2], new Uint8Array(24 + 5)), "5 unexpected bytes after the 24 data bytes of shape (3, 2)"],
  ["truncated header", npyBytes("<f8", [3, 2], new Uint8Array(0)).subarray(0, 50), "truncated: the .npy header needs 128 bytes, the file has 50"],
  ["short", new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1]), "truncated: 7 bytes, shorter than an .npy header"],
  ["version", (() => { const b = npyBytes("<f8", [3, 2], floatBytes(X, "<f8")); b[6] = 4; return b; })(), ".npy format version 4.0 is not supported (1.0, 2.0 and 3.0 are)"],
  ["npz", new Uint8Array([0x50, 0x4b, 3, 4, 20, 0, 0, 0]), "is a .npz archive (np.savez), not an .npy file: save one array with np.save"],
  ["nan", npyBytes("<f8", [3, 2], floatBytes([1, 2, 3, NaN, 5, 6], "<f8")), "X[1, 1] = NaN is not a finite number"],
  ["inf 1-D", npyBytes("<f4", [3], floatBytes([1, -Infinity, 3], "<f4")), "X[1] = -Infinity is not a finite number"],
  ["out of float32", npyBytes("<f8", [1, 2], floatBytes([1, 1e39], "<f8")), "X[0, 1] = 1e+39 is outside the float32 range"],
  ["garbled header", (() => { const b = npyBytes("<f8", [3, 2], floatBytes(X, "<f8")); b.set(new TextEncoder().encode("{'descr' '<f8'"), 10); return b; })(), ".npy header is not a Python dict literal (expected ':' at character 11)"],
  ["missing key", (() => { const b = npyBytes("<f8", [3, 2], floatBytes(X, "<f8")); b[latin1(b).indexOf("'shape'") + 5] = 0x66; return b; })(), ".npy header has the keys {descr, fortran_order, shapf}, expected {descr, fortran_order, shape}"],
];

test(`bad .npy files: ${bad.length} cases, each a one-line UserError naming the file`, () => {
  for (const [name, bytes, expect] of bad) {
    const p = file(`${name}.npy`, bytes);
    const msg = userError(() => readMatrixFile(p));
    assert.ok(msg.startsWith(`${p}: `) && msg.includes(expect), `${name}: ${msg}`);
  }
});

test("the header parser reads what numpy writes and refuses other dicts", () => {
  const h = parseNpyHeader(npyBytes("<f4", [7, 5], new Uint8Array(0), { version: 2 }), "h.npy");
  assert.equal([h.version, h.dtype, h.itemSize, h.rows, h.cols, h.offset], ["2.0", "float32", 4, 7, 5, 128]);
  const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), 'x': 1}\n";
  const extra = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, dict.length, 0, ...new TextEncoder().encode(dict)]);
  assert.match(userError(() => parseNpyHeader(extra, "e.npy")), "keys {descr, fortran_order, shape, x}");
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
