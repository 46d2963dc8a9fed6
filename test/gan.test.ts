import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  D_MASKS, D_MASK_WIDTHS, dropoutMasks, dStepGraph, discriminatorModel, evalGraph, G_ACTIVATIONS, gStepGraph, generatorModel, initGan, layerSpecs, parameterCount, sampleGraph, type Params,
} from "../src/models/gan.js";
import { MaskRng } from "../src/train/dropout.js";
import { runGan, sampleFile, type GanConfig } from "../src/experiments/gan.js";
import { runGraph, sessionFor, serialize, TrainStep, createSession } from "../src/onnx/index.js";
import { Rng } from "../src/util/rng.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const N = 64;

function cli(args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", env: { ...process.env, EMLAB_PROGRESS: "0" } });
}

function batchData(rng: Rng) {
  const x = Float32Array.from({ length: N * 784 }, () => 2 * rng.uniform() - 1);
  const z = rng.fillNormal(new Float32Array(N * 100)) as Float32Array;
  const t = new Float32Array(2 * N).fill(1, 0, N);
  return { x, z, t };
}


const copy = (p: Params): Params => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.slice()]));
const params = (step: TrainStep, net: "G" | "D"): Params =>
  Object.fromEntries(layerSpecs(net).flatMap((l) => [[l.W, step.param(l.W) as Float32Array], [l.b, step.param(l.b) as Float32Array]]));

function maxAbsDiff(a: Params, b: Params): number {
  let m = 0;
  for (const k of Object.keys(a)) for (let i = 0; i < a[k].length; i++) m = Math.max(m, Math.abs(a[k][i] - b[k][i]));
  return m;
}

/** Mean losses without updates: D on (x, G(z)), G on z — via the evaluation graph. */
async function losses(G: Params, D: Params, x: Float32Array, z: Float32Array) {
  const ev = evalGraph();
  const s = await sessionFor(ev.graph, { threads: 1 });
  const o = await runGraph(s, ev.graph, { ...G, ...D, x, z });
  return { d: (Number(o["d.real"][0]) + Number(o["d.fake"][0])) / N, g: Number(o["g.fake"][0]) / N };
}

test("the architecture and PyTorch-default initialisation", () => {
  assert.is(parameterCount("G"), 100 * 256 + 256 + 256 * 512 + 512 + 512 * 1024 + 1024 + 1024 * 784 + 784);
  assert.is(parameterCount("D"), 784 * 1024 + 1024 + 1024 * 512 + 512 + 512 * 256 + 256 + 256 + 1);
  const { G } = initGan(new Rng(1));
  const W = G["G.fc4.W"];
  const bound = 1 / Math.sqrt(1024);
  let max = 0;
  for (const v of W) max = Math.max(max, Math.abs(v));
  assert.ok(max <= bound && max > 0.99 * bound, `max |W| ${max} vs bound ${bound}`);
});

test("graphs: the D step outputs only D's state (and G's activations), the G step only G's; no forward of G in the G step", () => {
  const d = dStepGraph();
  const g = gStepGraph();
  const acts: readonly string[] = G_ACTIVATIONS;
  const dOut = d.graph.outputs.filter((o) => o !== "d.loss" && !acts.includes(o));
  const gOut = g.graph.outputs.filter((o) => o !== "g.loss");
  assert.ok(acts.every((a) => d.graph.outputs.includes(a) && g.graph.inputs.includes(a)), "activations: D-step outputs, G-step inputs");
  // G step: D forward (4) + D backward to its input (4) + G's weight gradients (4) + G's input gradients but z's (3)
  const gemms = g.graph.nodes.filter((n) => n.opType === "Gemm").length;
  assert.is(gemms, 15);
  assert.is(g.graph.nodes.filter((n) => n.opType === "Tanh" || n.opType === "LeakyRelu").length, 3, "only D's three LeakyRelus");
  // with dropout, one mask input per hidden layer of D, [rows, width]
  assert.equal([...D_MASK_WIDTHS], [1024, 512, 256]);
  const gd = gStepGraph(undefined, { dropout: 0.3 });
  assert.equal(D_MASKS.map((m) => gd.graph.typeOf(m).shape), [["batch", 1024], ["batch", 512], ["batch", 256]]);
  assert.ok(dOut.length === 4 * 2 * 3 + 1 && dOut.every((o) => /(^|\.)D\./.test(o)), dOut.join(","));
  assert.ok(gOut.length === 4 * 2 * 3 + 1 && gOut.every((o) => /(^|\.)G\./.test(o)), gOut.join(","));
  // G's parameters are inputs of the D step (G's forward is inside it) but get no Adam slot
  assert.ok(d.graph.inputs.includes("G.fc1.W") && !d.graph.inputs.includes("m.G.fc1.W"));
  assert.ok(g.graph.inputs.includes("D.fc1.W") && !g.graph.inputs.includes("m.D.fc1.W"));
});

for (const dropout of [0, 0.3]) {
  test(`a D step changes only D and lowers D's loss; a G step on the same z changes only G and lowers G's loss (dropout ${dropout})`, async () => {
    const rng = new Rng(7);
    const init = initGan(rng);
    const { x, z, t } = batchData(rng);
    const maskRng = new MaskRng(5);
    const d = dStepGraph({ lr: 1e-4, beta1: 0.5, beta2: 0.999 }, { dropout });
    const g = gStepGraph({ lr: 1e-4, beta1: 0.5, beta2: 0.999 }, { dropout });
    const ds = new TrainStep(await sessionFor(d.graph, { threads: 1 }), d.graph, d.section, { params: copy(init.D) });
    const gs = new TrainStep(await sessionFor(g.graph, { threads: 1 }), g.graph, g.section, { params: copy(init.G) });

    const before = await losses(init.G, init.D, x, z);
    const G0 = copy(params(gs, "G"));
    const out = await ds.run({ x, z, t, ...params(gs, "G"), ...dropoutMasks(maskRng, 2 * N, dropout) });
    if (dropout === 0) assert.ok(Math.abs(Number(out["d.loss"][0]) - before.d) < 1e-4, "d.loss is the loss before the update");
    const D1 = copy(params(ds, "D"));
    assert.ok(maxAbsDiff(D1, init.D) > 0, "D moved");
    assert.is(maxAbsDiff(params(gs, "G"), G0), 0, "G untouched by the D step");
    const afterD = await losses(G0, D1, x, z);
    assert.ok(afterD.d < before.d, `D step lowers D's loss on its batch: ${before.d} → ${afterD.d}`);

    const gBefore = await losses(G0, D1, x, z);
    const acts = Object.fromEntries(G_ACTIVATIONS.map((a) => [a, out[a]]));
    assert.is(acts["G.fake"].length, N * 784);
    await gs.run({ z, ...acts, ...params(ds, "D"), ...dropoutMasks(maskRng, N, dropout) });
    const G1 = copy(params(gs, "G"));
    assert.ok(maxAbsDiff(G1, G0) > 0, "G moved");
    assert.is(maxAbsDiff(params(ds, "D"), D1), 0, "D untouched by the G step");
    const gAfter = await losses(G1, D1, x, z);
    // the gradient reached G through D: −log D(G(z)) falls on the same z with D fixed
    assert.ok(gAfter.g < gBefore.g, `G step lowers G's loss: ${gBefore.g} → ${gAfter.g}`);
  });
}

test("the D step's G.fake is G(z): equal to the sampling graph's image mapped back to [−1, 1]", async () => {
  const rng = new Rng(9);
  const init = initGan(rng);
  const { x, z, t } = batchData(rng);
  const d = dStepGraph();
  const ds = new TrainStep(await sessionFor(d.graph, { threads: 1 }), d.graph, d.section, { params: copy(init.D) });
  const fake = (await ds.run({ x, z, t, ...init.G }))["G.fake"] as Float32Array;
  const sg = sampleGraph();
  const img = (await runGraph(await sessionFor(sg, { threads: 1 }), sg, { ...init.G, z }))["image"] as Float32Array;
  let worst = 0;
  for (let i = 0; i < fake.length; i++) worst = Math.max(worst, Math.abs(fake[i] - (2 * img[i] - 1)));
  assert.ok(worst < 1e-6, `max |G.fake − (2·image − 1)| = ${worst}`);
});

test("exported models: generator image in [0,1] equals (eval G + 1)/2; discriminator takes [0,1] pixels", async () => {
  const rng = new Rng(3);
  const { G, D } = initGan(rng);
  const z = rng.fillNormal(new Float32Array(4 * 100)) as Float32Array;
  const gen = await createSession(serialize(generatorModel(G)), { threads: 1 });
  const img = (await runGraph(gen, generatorModel(G), { z }))["image"] as Float32Array;
  assert.is(img.length, 4 * 784);
  for (const v of img) assert.ok(v >= 0 && v <= 1);
  const disc = await createSession(serialize(discriminatorModel(D)), { threads: 1 });
  const logit = (await runGraph(disc, discriminatorModel(D), { image: img }))["logit"] as Float32Array;
  // D's logit on G's image via the eval graph ([−1,1] inputs): Σ BCE(·, 0) = Σ softplus(logit)
  const ev = evalGraph();
  const s = await sessionFor(ev.graph, { threads: 1 });
  const x = img.map((v) => 2 * v - 1);
  const o = await runGraph(s, ev.graph, { ...G, ...D, x, z });
  let sp = 0;
  for (const l of logit) sp += Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l)));
  assert.ok(Math.abs(sp - Number(o["d.fake"][0])) < 1e-3, `${sp} vs ${o["d.fake"][0]}`);
});

const dir = mkdtempSync(join(tmpdir(), "emlab-gan-"));
const base = (epochs: number): GanConfig => ({ epochs, batchSize: 128, lr: 2e-4, beta1: 0.5, beta2: 0.999, dropout: 0.3, seed: 5, limit: 512, testLimit: 256, threads: 1 });

test("a short run on 512 images: finite, moving losses, plots, samples, models; resume continues exactly", async () => {
  const a = join(dir, "a");
  const run = await runGan(base(2), { out: a });
  assert.is(run.epochs.length, 2);
  for (const e of run.epochs) for (const v of [e.train.g, e.train.d, e.test.g, e.test.d]) assert.ok(Number.isFinite(v) && v > 0);
  assert.ok(run.epochs[0].train.g !== run.epochs[1].train.g && run.epochs[0].test.d !== run.epochs[1].test.d, "losses move");
  for (const f of ["loss-train.svg", "loss-test.svg", sampleFile(2), "generator.onnx", "discriminator.onnx", "checkpoint.bin", "results.json"]) assert.ok(existsSync(join(a, f)), f);
  assert.equal(JSON.parse(readFileSync(join(a, "results.json"), "utf8")).epochs, run.epochs);

  const b = join(dir, "b");
  await runGan(base(1), { out: b });
  const resumed = await runGan(base(2), { out: b, resume: true });
  assert.is(resumed.config.resumedFrom, 1);
  assert.equal(resumed.epochs.map((e) => [e.train, e.test]), run.epochs.map((e) => [e.train, e.test]));
});

test("CLI: bad epochs, batch larger than the data, bad checkpoint → one-line error, exit 2", () => {
  const out = join(dir, "cli");
  const cases: [string[], RegExp][] = [
    [["--epochs", "0"], /--epochs/],
    [["--batch-size", "-3"], /--batch-size/],
    [["--dropout", "1"], /--dropout: 1 must be less than 1/],
    [["--dropout", "-0.1"], /--dropout: -0.1 is below the minimum 0/],
    [["--limit", "100", "--batch-size", "128"], /--batch-size 128 is larger than the 100 training images/],
    [["--resume", "--limit", "256"], /--resume: no checkpoint/],
  ];
  for (const [args, re] of cases) {
    const r = cli(["gan", "--out", out, ...args]);
    assert.is(r.status, 2, args.join(" ") + r.stderr);
    assert.match(r.stderr, re);
    assert.is(r.stderr.trim().split("\n").length, 1);
  }
  const bad = join(dir, "bad");
  const r0 = cli(["gan", "--out", bad, "--epochs", "1", "--limit", "256", "--test-limit", "100", "--threads", "1", "--json"]);
  assert.is(r0.status, 0, r0.stderr);
  const doc = JSON.parse(r0.stdout);
  assert.ok(doc.config && doc.epochs.length === 1 && doc.files.onnx.length === 2 && doc.epochs[0].train.g > 0);
  writeFileSync(join(bad, "checkpoint.bin"), "not a checkpoint");
  const r = cli(["gan", "--out", bad, "--epochs", "2", "--limit", "256", "--test-limit", "100", "--resume"]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /checkpoint .*checkpoint\.bin: not an emlab checkpoint/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
