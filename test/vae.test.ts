import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import type { Matrix } from "../src/core/matrix.js";
import { loadMnist } from "../src/data/mnist.js";
import { runVae, VAE_DEFAULTS, type VaeConfig, type VaeRun } from "../src/experiments/vae.js";
import { buildTrainStep, initVae, lossTerms, vaeParamNames, type VaeDims, type VaeLayers } from "../src/models/vae.js";
import { Builder, TrainStep, gradients, runGraph, sessionFor } from "../src/onnx/index.js";
import { loadCheckpoint } from "../src/train/checkpoint.js";
import { UserError } from "../src/util/errors.js";
import { Rng } from "../src/util/rng.js";
import { fdCheck, type FdInput } from "./twin/onnx-fd.js";

const root = mkdtempSync(join(tmpdir(), "emlab-vae-"));
const mnist = { train: loadMnist("train", { limit: 512 }).images, test: loadMnist("test", { limit: 200 }).images };
const small: VaeConfig = { ...VAE_DEFAULTS, epochs: 3, batchSize: 64, hidden: 64, latent: 8, threads: 1, limit: 512, testLimit: 200 };

async function expectUserError(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`no error (expected ${pattern})`);
}

// ---------------------------------------------------------------- gradients

/** A tiny VAE (6 → 5 → 2+2, 2 → 5 → 6) in float64, batch 3. */
const tiny: VaeDims = { input: 6, hidden: 5, latent: 2 };

function tinyInputs(): Record<string, FdInput> {
  const rng = new Rng(11);
  const inputs: Record<string, FdInput> = {};
  const w = initVae(rng, tiny);
  for (const name of vaeParamNames()) {
    const shape = name.endsWith(".W") ? [w[name].length / w[name.replace(".W", ".b")].length, w[name.replace(".W", ".b")].length] : [w[name].length];
    // scaled up so activations are O(1) and Relu pre-activations sit far from their kink
    inputs[name] = { shape, data: Array.from(w[name], (v) => 2.5 * v) };
  }
  inputs.x = { shape: [3, tiny.input], data: Array.from({ length: 3 * tiny.input }, () => rng.uniform()), param: false };
  inputs.eps = { shape: [3, tiny.latent], data: Array.from({ length: 3 * tiny.latent }, () => rng.normal()), param: false };
  return inputs;
}

function tinyLayers(x: Record<string, string>): VaeLayers {
  const layer = (l: string, i: number, o: number) => ({ W: x[`${l}.W`], b: x[`${l}.b`], inDim: i, outDim: o });
  return { enc1: layer("enc1", 6, 5), enc2: layer("enc2", 5, 4), dec1: layer("dec1", 2, 5), dec2: layer("dec2", 5, 6) };
}

test("gradient of the whole VAE loss matches central differences (float64)", async () => {
  const r = await fdCheck("float64", tinyInputs(), (b, x) => b.reduceMean(lossTerms(b, x.x, x.eps, tinyLayers(x), tiny.latent).loss, undefined, false));
  assert.ok(r.maxRel < 1e-6, `relative error ${r.maxRel} (${r.worst})`);
});

test("the training-step graph's first Adam step is −lr·g/(|g|+ε) with g from the gradient graph", async () => {
  const inputs = tinyInputs();
  const feeds: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(inputs)) feeds[k] = Float64Array.from(v.data);
  // g from a gradients-only graph
  const b = new Builder("g");
  const names: Record<string, string> = {};
  for (const [k, v] of Object.entries(inputs)) names[k] = b.input(k, "float64", v.shape);
  const loss = b.reduceMean(lossTerms(b, names.x, names.eps, tinyLayers(names), tiny.latent).loss, undefined, false, "loss");
  const grads = gradients(b, loss, vaeParamNames());
  b.output(loss);
  for (const p of vaeParamNames()) b.output(b.identity(grads.get(p)!, `d.${p}`));
  const g = await runGraph(await sessionFor(b.graph), b.graph, feeds);
  // one step of the real training graph, batch dim symbolic
  const lr = 1e-3;
  const t = buildTrainStep(tiny, { dtype: "float64", lr });
  const params: Record<string, Float64Array> = {};
  for (const p of vaeParamNames()) params[p] = feeds[p].slice();
  const step = new TrainStep(await sessionFor(t.graph), t.graph, t.adam, { params });
  const out = await step.run({ x: feeds.x, eps: feeds.eps });
  assert.ok(Math.abs(Number(out.loss[0]) - Number(g.loss[0])) < 1e-12, "same loss");
  for (const p of vaeParamNames()) {
    const after = step.param(p);
    const dg = g[`d.${p}`] as Float64Array;
    for (let i = 0; i < dg.length; i++) {
      const want = feeds[p][i] - (lr * dg[i]) / (Math.abs(dg[i]) + 1e-8);
      assert.ok(Math.abs(after[i] - want) < 1e-12, `${p}[${i}]: ${after[i]} vs ${want}`);
    }
  }
});

// ---------------------------------------------------------------- training runs

let run3: VaeRun;
const out3 = join(root, "run3");

test("a short run on 512 images: loss decreases, outputs written", async () => {
  run3 = await runVae(small, { out: out3, data: mnist });
  const e = run3.epochs;
  assert.is(e.length, 3);
  assert.ok(e[2].trainLoss < e[0].trainLoss - 20, `train loss ${e.map((r) => r.trainLoss)}`);
  assert.ok(e[2].testLoss < e[0].testLoss, `test loss ${e.map((r) => r.testLoss)}`);
  for (const r of e) {
    assert.ok(Math.abs(r.trainRec + r.trainKl - r.trainLoss) < 1e-3 * r.trainLoss);
    assert.ok(r.testKl > 0 && r.testRec > 0);
  }
  const names = [...run3.files.plots, ...run3.files.samples, ...run3.files.reconstructions, ...run3.files.onnx].map((f) => f.slice(out3.length + 1));
  assert.equal(names, ["loss.svg", "samples-epoch-03.png", "reconstructions-epoch-03.png", "vae-train-step.onnx", "vae-eval.onnx", "encoder.onnx", "decoder.onnx"]);
  // training and test loss on one chart: two series, named
  const chart = readFileSync(join(out3, "loss.svg"), "utf8");
  assert.match(chart, /^<svg/);
  assert.is((chart.match(/<g data-series=/g) ?? []).length, 2);
  for (const name of ["train", "test"]) assert.ok(chart.includes(`>${name}</text>`), name);
  const ck = loadCheckpoint(run3.files.checkpoint, { kind: "vae" });
  assert.is(ck.epoch, 3);
  assert.equal(ck.history.map((r) => r.testLoss), e.map((r) => r.testLoss));
});

test("exported decoder.onnx reproduces the sample grid; encoder.onnx matches a float64 twin", async () => {
  const dec = await ort.InferenceSession.create(join(out3, "decoder.onnx"));
  assert.equal(dec.inputNames, ["z"]);
  const z = new ort.Tensor("float32", run3.fixedZ, [64, small.latent]);
  const img = (await dec.run({ z })).image.data as Float32Array;
  assert.is(img.length, 64 * 784);
  for (let i = 0; i < img.length; i++) assert.ok(Math.abs(img[i] - run3.samples[i]) < 1e-6, `pixel ${i}`);
  assert.ok(img.every((v) => v >= 0 && v <= 1));

  const enc = await ort.InferenceSession.create(join(out3, "encoder.onnx"));
  const n = 4;
  const x = mnist.test.data.subarray(0, n * 784);
  const res = await enc.run({ x: new ort.Tensor("float32", x, [n, 784]) });
  const ck = loadCheckpoint(run3.files.checkpoint, { kind: "vae" });
  const W1 = ck.tensors["enc1.W"].data, b1 = ck.tensors["enc1.b"].data, W2 = ck.tensors["enc2.W"].data, b2 = ck.tensors["enc2.b"].data;
  const H = small.hidden, L = small.latent;
  for (let r = 0; r < n; r++) {
    const h = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      let s = b1[j];
      for (let k = 0; k < 784; k++) s += x[r * 784 + k] * W1[k * H + j];
      h[j] = Math.max(0, s);
    }
    for (let j = 0; j < 2 * L; j++) {
      let s = b2[j];
      for (let k = 0; k < H; k++) s += h[k] * W2[k * 2 * L + j];
      const got = j < L ? (res.mu.data as Float32Array)[r * L + j] : (res.logvar.data as Float32Array)[r * L + j - L];
      assert.ok(Math.abs(got - s) < 1e-4 * Math.max(1, Math.abs(s)), `row ${r} out ${j}: ${got} vs ${s}`);
    }
  }
});

test("resume: 1 epoch + resume 1 epoch gives the same losses and weights as 2 epochs", async () => {
  const cfg = { ...small, epochs: 2, limit: 320, batchSize: 50 }; // 320 = 6·50 + 20: a short last batch too
  const data = { train: { ...mnist.train, rows: 320, data: mnist.train.data.subarray(0, 320 * 784) } as Matrix, test: mnist.test };
  const whole = await runVae(cfg, { out: join(root, "whole"), data });
  const partOut = join(root, "part");
  await runVae({ ...cfg, epochs: 1 }, { out: partOut, data });
  const resumed = await runVae(cfg, { out: partOut, data, resume: true });
  assert.is(resumed.resumedFrom, 1);
  const losses = (r: VaeRun) => r.epochs.map((e) => [e.trainLoss, e.testLoss, e.trainKl]);
  assert.equal(losses(resumed), losses(whole));
  assert.equal(Array.from(resumed.samples), Array.from(whole.samples));
});

// ---------------------------------------------------------------- bad input

test("bad input: batch larger than the data, resume without or with an incompatible checkpoint", async () => {
  await expectUserError(runVae({ ...small, batchSize: 1000 }, { out: join(root, "big"), data: mnist }), /--batch-size: 1000 is larger than the 512 training images/);
  await expectUserError(runVae(small, { out: join(root, "none"), data: mnist, resume: true }), /--resume: no checkpoint/);
  await expectUserError(runVae({ ...small, hidden: 32 }, { out: out3, data: mnist, resume: true }), /checkpoint .*checkpoint\.emlab: was written with hidden = 64, this run has hidden = 32/);
  await expectUserError(runVae({ ...small, epochs: 2 }, { out: out3, data: mnist, resume: true }), /--epochs: 2 is fewer than the 3 epochs/);
  const bad = join(root, "bad");
  await runVae({ ...small, epochs: 1 }, { out: bad, data: mnist });
  const bytes = readFileSync(join(bad, "checkpoint.emlab"));
  const damaged = bytes.subarray(0, bytes.length - 100);
  writeFileSync(join(bad, "checkpoint.emlab"), damaged);
  await expectUserError(runVae({ ...small, epochs: 2 }, { out: bad, data: mnist, resume: true }), /truncated or damaged/);
  // a refused resume leaves the earlier outputs as they were
  assert.ok(Buffer.compare(readFileSync(join(bad, "checkpoint.emlab")), damaged) === 0);
  assert.ok(readFileSync(join(bad, "decoder.onnx")).length > 0);
});

test("CLI: a bad flag is one line on stderr and exit code 2", () => {
  const main = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
  for (const [flags, pattern] of [
    [["--epochs", "0"], /^emlab: --epochs: 0 is below the minimum 1\n$/],
    [["--batch-size", "-3"], /^emlab: --batch-size: -3 is below the minimum 1\n$/],
    [["--lr", "0"], /^emlab: --lr: 0 must be greater than 0\n$/],
  ] as [string[], RegExp][]) {
    const r = spawnSync(process.execPath, [main, "vae", ...flags, "--out", join(root, "cli")], { encoding: "utf8" });
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, pattern);
    assert.is(r.stdout, "");
  }
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
