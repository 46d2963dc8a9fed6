import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { batchCount, batches, epochOrder } from "../src/train/batches.js";
import { CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint, type Checkpoint, type CheckpointExpect } from "../src/train/checkpoint.js";
import { lossChart, snapshotEpochs } from "../src/train/history.js";
import { UserError } from "../src/util/errors.js";
import { Rng } from "../src/util/rng.js";

const dir = mkdtempSync(join(tmpdir(), "emlab-ckpt-"));

function sample(): Checkpoint {
  const rng = new Rng(5);
  rng.normal(); // leaves a spare normal in the state
  const W = rng.fillNormal(new Float32Array(12)) as Float32Array;
  return {
    kind: "vae",
    config: { batchSize: 4, lr: 0.001, limit: null },
    epoch: 2,
    history: [
      { epoch: 1, seconds: 0.5, trainLoss: 3 },
      { epoch: 2, seconds: 0.4, trainLoss: 2 },
    ],
    rng: { shuffle: rng.getState() },
    tensors: {
      "fc.W": { data: W, shape: [3, 4] },
      "fc.b": { data: Float32Array.of(1, 2, 3, 4), shape: [4] },
      step: { data: Float32Array.of(7), shape: [] },
      "m.fc.W": { data: new Float64Array(12).fill(0.25), shape: [3, 4] },
    },
  };
}

const expectAll: CheckpointExpect = {
  kind: "vae",
  config: { batchSize: 4, lr: 0.001, limit: null },
  tensors: { "fc.W": { shape: [3, 4] }, "fc.b": { shape: [4] }, step: { shape: [] }, "m.fc.W": { shape: [3, 4], dtype: "float64" } },
};

function throwsUser(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    assert.not.match((e as Error).message, /\n/);
    return;
  }
  assert.unreachable(`no error (expected ${pattern})`);
}

// ---------------------------------------------------------------- checkpoints

test("checkpoint round trip keeps tensors, config, history and Rng state", () => {
  const ck = sample();
  const path = join(dir, "a.ckpt");
  saveCheckpoint(path, ck);
  const back = loadCheckpoint(path, expectAll);
  assert.is(back.kind, "vae");
  assert.is(back.epoch, 2);
  assert.equal(back.config, ck.config);
  assert.equal(back.history, ck.history);
  for (const [name, t] of Object.entries(ck.tensors)) {
    assert.equal(Array.from(back.tensors[name].data), Array.from(t.data), name);
    assert.equal(back.tensors[name].shape, t.shape);
    assert.is(back.tensors[name].data.constructor, t.data.constructor);
  }
  // the restored stream continues exactly where the saved one was
  const a = Rng.fromState(ck.rng.shuffle), b = Rng.fromState(back.rng.shuffle);
  for (let i = 0; i < 5; i++) assert.is(b.normal(), a.normal());
  assert.equal(readdirSync(dir).filter((f) => f.includes(".tmp")), [], "no temporary files left");
});

test("checkpoint: wrong kind, version, config, tensors are one-line UserErrors naming the file", () => {
  const bytes = encodeCheckpoint(sample());
  const f = "x.ckpt";
  throwsUser(() => decodeCheckpoint(bytes, f, { ...expectAll, kind: "gan" }), /^checkpoint x\.ckpt: holds a 'vae' model, expected 'gan'/);
  throwsUser(() => decodeCheckpoint(bytes, f, { ...expectAll, config: { batchSize: 8, lr: 0.001, limit: null } }), /batchSize = 4.*batchSize = 8/);
  throwsUser(() => decodeCheckpoint(bytes, f, { ...expectAll, config: { batchSize: 4, lr: 0.001, limit: 100 } }), /limit = null.*limit = 100/);
  // an ignored field may differ
  decodeCheckpoint(bytes, f, { ...expectAll, config: { batchSize: 8, lr: 0.001, limit: null }, ignoreConfig: ["batchSize"] });
  const t = expectAll.tensors!;
  throwsUser(() => decodeCheckpoint(bytes, f, { ...expectAll, tensors: { ...t, "fc2.W": { shape: [1] } } }), /has no tensor 'fc2\.W'/);
  throwsUser(() => decodeCheckpoint(bytes, f, { ...expectAll, tensors: { ...t, "fc.W": { shape: [4, 3] } } }), /'fc\.W' has shape \[3,4\], expected \[4,3\]/);
  throwsUser(() => decodeCheckpoint(bytes, f, { ...expectAll, tensors: { ...t, "m.fc.W": { shape: [3, 4] } } }), /'m\.fc\.W' is float64, expected float32/);
  const { step: _s, ...noStep } = t;
  throwsUser(() => decodeCheckpoint(bytes, f, { ...expectAll, tensors: noStep }), /unexpected tensor 'step'/);
});

test("checkpoint: damaged, truncated, foreign and missing files are rejected", () => {
  const bytes = encodeCheckpoint(sample());
  const f = "y.ckpt";
  throwsUser(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 5), f, expectAll), /truncated or damaged/);
  const flipped = bytes.slice();
  flipped[flipped.length - 3] ^= 0x40;
  throwsUser(() => decodeCheckpoint(flipped, f, expectAll), /CRC-32/);
  throwsUser(() => decodeCheckpoint(new TextEncoder().encode("hello world, not a checkpoint"), f, expectAll), /not an emlab checkpoint/);
  // a header edited to another format version
  const text = new TextDecoder().decode(bytes);
  const edited = new TextEncoder().encode(text.replace(`"version":${CHECKPOINT_VERSION}`, '"version":9'));
  throwsUser(() => decodeCheckpoint(edited, f, expectAll), new RegExp(`format version 9, this emlab reads version ${CHECKPOINT_VERSION}`));
  const junkHeader = bytes.slice();
  junkHeader[12] = 0x21; // '!' where the JSON's opening brace was
  throwsUser(() => decodeCheckpoint(junkHeader, f, expectAll), /header is not valid JSON/);
  throwsUser(() => loadCheckpoint(join(dir, "missing.ckpt"), expectAll), /cannot read \(no such file\)/);
  const path = join(dir, "damaged.ckpt");
  writeFileSync(path, flipped);
  throwsUser(() => loadCheckpoint(path, expectAll), new RegExp(`^checkpoint ${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: `));
  assert.ok(readFileSync(path).length === bytes.length);
});

// ---------------------------------------------------------------- batches

test("batches: every row once per epoch, short last batch kept (or dropped), seeded order", () => {
  const n = 10, cols = 3;
  const data = { data: Float32Array.from({ length: n * cols }, (_, i) => i), rows: n, cols };
  const order = epochOrder(new Rng(3), n);
  assert.equal(Array.from(order), Array.from(epochOrder(new Rng(3), n)));
  const seen: number[] = [];
  const sizes: number[] = [];
  for (const b of batches(data, order, { batchSize: 4 })) {
    sizes.push(b.rows);
    assert.is(b.x.length, b.rows * cols);
    for (let i = 0; i < b.rows; i++) {
      const row = b.ids[i];
      assert.equal(Array.from(b.x.subarray(i * cols, (i + 1) * cols)), [row * 3, row * 3 + 1, row * 3 + 2]);
      seen.push(row);
    }
  }
  assert.equal(sizes, [4, 4, 2]);
  assert.equal(seen.sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
  assert.is(batchCount(n, 4), 3);
  const dropped = [...batches(data, order, { batchSize: 4, dropLast: true })].map((b) => b.rows);
  assert.equal(dropped, [4, 4]);
  assert.is(batchCount(n, 4, true), 2);
  // the next epoch's order differs
  const rng = new Rng(3);
  assert.not.equal(Array.from(epochOrder(rng, 50)), Array.from(epochOrder(rng, 50)));
});

// ---------------------------------------------------------------- history, lock

test("snapshot epochs: every 10th and the last", () => {
  assert.equal(snapshotEpochs(50), [10, 20, 30, 40, 50]);
  assert.equal(snapshotEpochs(25), [10, 20, 25]);
  assert.equal(snapshotEpochs(3), [3]);
});

test("loss chart is an SVG with one point per epoch", () => {
  const svg = lossChart([{ epoch: 1, seconds: 1, trainLoss: 150 }, { epoch: 2, seconds: 1, trainLoss: 120 }, { epoch: 3, seconds: 1, trainLoss: 110 }], [{ key: "trainLoss", name: "train" }], { title: "t" });
  assert.match(svg, /^<svg /);
  assert.match(svg, /<path d="M[^"]*L[^"]*L[^"]*"/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
