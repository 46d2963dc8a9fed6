import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  D_MASKS, D_MASK_WIDTHS, discriminatorForward, discriminatorModel, evalGraph, G_PASS_MASKS, ganChunkGraph, GanChunkFeeds, ganStepGraph,
  generatorForward, generatorModel, initGan, layerSpecs, parameterCount, stepMasks, stepPairFlops, type Params,
} from "../src/models/gan.js";
import { MaskRng } from "../src/train/dropout.js";
import { batchChunks } from "../src/train/batches.js";
import { runGan, sampleFile, type GanConfig } from "../src/experiments/gan.js";
import { adam, bceWithLogits, Builder, gradients, runGraph, sessionFor, serialize, TrainStep, createSession } from "../src/onnx/index.js";
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

test("the step graph: one forward pass of G, 30 Gemms, both networks' state out; masks per pass", () => {
  const { graph, sections } = ganStepGraph(undefined, { dropout: 0.3 });
  const [dSec, gSec] = sections;
  assert.equal(dSec.slots.map((s) => s.param), layerSpecs("D").flatMap((l) => [l.W, l.b]));
  assert.equal(gSec.slots.map((s) => s.param), layerSpecs("G").flatMap((l) => [l.W, l.b]));
  assert.equal(graph.outputs.filter((o) => !dSec.next.has(o) && !gSec.next.has(o)), ["d.loss", "g.loss"]);
  // D step: G forward (4), D forward on 2n rows (4), D's weight gradients (4) and input gradients but
  // the first layer's (3); G step: D' forward (4), D' input gradients (4), G's weight (4) and input
  // gradients but z's (3). G's forward is not repeated: its activations serve both steps
  const gemms = graph.nodes.filter((n) => n.opType === "Gemm").length;
  assert.is(gemms, 30);
  assert.is(graph.nodes.filter((n) => n.opType === "Tanh").length, 1, "one tanh: G(z) once");
  assert.equal([...D_MASK_WIDTHS], [1024, 512, 256]);
  assert.equal(D_MASKS.map((m) => graph.typeOf(m).shape), [["both", 1024], ["both", 512], ["both", 256]]);
  assert.equal(G_PASS_MASKS.map((m) => graph.typeOf(m).shape), [["batch", 1024], ["batch", 512], ["batch", 256]]);
  assert.ok(!ganStepGraph(undefined, { dropout: 0 }).graph.inputs.some((i) => i.includes("mask")));
  // the benches' FLOP count (stepPairFlops) is the sum of 2·M·K·N over these Gemms at batch 128
  const B = 128;
  const dim = (d: string | number) => (d === "batch" ? B : d === "both" ? 2 * B : d);
  let flops = 0;
  for (const n of graph.nodes.filter((n) => n.opType === "Gemm")) {
    const [a, b] = [graph.typeOf(n.inputs[0]).shape.map(dim), graph.typeOf(n.inputs[1]).shape.map(dim)];
    const [m, k] = n.attrs.transA ? [a[1], a[0]] : [a[0], a[1]];
    const cols = n.attrs.transB ? b[0] : b[1];
    assert.ok([m, k, cols].every((v) => typeof v === "number"), `Gemm ${n.outputs[0]}: shapes ${a} · ${b}`);
    flops += 2 * Number(m) * Number(k) * Number(cols);
  }
  assert.is(flops, stepPairFlops(B));
  assert.ok(Math.abs(stepPairFlops(B) / 1e9 - 3.71) < 0.01, `${stepPairFlops(B)}`);
});

/** One step of the combined graph from `init`; returns the new parameters and the losses. */
async function oneStep(init: { G: Params; D: Params }, feeds: Record<string, Float32Array | Uint16Array>, dropout: number) {
  const step = ganStepGraph({ lr: 1e-4, beta1: 0.5, beta2: 0.999 }, { dropout });
  const s = new TrainStep(await sessionFor(step.graph, { threads: 1 }), step.graph, step.sections, { params: { ...copy(init.G), ...copy(init.D) } });
  const out = await s.run(feeds, { batch: N, both: 2 * N });
  return { G: copy(params(s, "G")), D: copy(params(s, "D")), d: Number(out["d.loss"][0]), g: Number(out["g.loss"][0]) };
}

for (const dropout of [0, 0.3]) {
  test(`one step: D's update lowers D's loss on its batch, then G's update lowers −log D'(G(z)) with the new D' fixed (dropout ${dropout})`, async () => {
    const rng = new Rng(7);
    const init = initGan(rng);
    const { x, z, t } = batchData(rng);
    const masks = stepMasks(new MaskRng(5), N, dropout);
    const before = await losses(init.G, init.D, x, z);
    const after = await oneStep(init, { x, z, t, ...masks }, dropout);
    if (dropout === 0) assert.ok(Math.abs(after.d - before.d) < 1e-4, "d.loss is D's loss before its update");
    assert.ok(maxAbsDiff(after.D, init.D) > 0 && maxAbsDiff(after.G, init.G) > 0, "both moved");
    const dOnly = await losses(init.G, after.D, x, z);
    assert.ok(dOnly.d < before.d, `D's update lowers D's loss on its batch: ${before.d} → ${dOnly.d}`);
    // the gradient reached G through D': −log D'(G(z)) falls on the same z with D' fixed
    const both = await losses(after.G, after.D, x, z);
    assert.ok(both.g < dOnly.g, `G's update lowers G's loss: ${dOnly.g} → ${both.g}`);
  });
}

test("one step: D's update does not see the G step (other G-pass masks, same D'); G's update is a plain step through D'", async () => {
  const rng = new Rng(8);
  const init = initGan(rng);
  const { x, z, t } = batchData(rng);
  const masks = stepMasks(new MaskRng(1), N, 0.3);
  const other = { ...masks, ...Object.fromEntries(G_PASS_MASKS.map((m) => [m, new MaskRng(2).fill(new Uint16Array(masks[m].length))])) };
  const a = await oneStep(init, { x, z, t, ...masks }, 0.3);
  const b = await oneStep(init, { x, z, t, ...other }, 0.3);
  assert.is(maxAbsDiff(a.D, b.D), 0, "D' does not depend on the G step's masks");
  assert.ok(maxAbsDiff(a.G, b.G) > 0, "G's update does");
  // G's update as its own graph: G(z) → D' (fed, a constant) → −log σ → gradients for G → Adam
  const gb = new Builder("g-step-alone");
  const zi = gb.input("z", "float32", ["batch", 100]);
  const Gl = layerSpecs("G").map((l) => ({ ...l, W: gb.input(l.W, "float32", [l.inDim, l.outDim]), b: gb.input(l.b, "float32", [l.outDim]) }));
  const Dl = layerSpecs("D").map((l) => ({ ...l, W: gb.input(l.W, "float32", [l.inDim, l.outDim]), b: gb.input(l.b, "float32", [l.outDim]) }));
  const gm = G_PASS_MASKS.map((m, i) => gb.input(m, "uint16", ["batch", D_MASK_WIDTHS[i]]));
  const logit = discriminatorForward(gb, generatorForward(gb, zi, Gl), Dl, gm, 0.3);
  const loss = gb.reduceMean(bceWithLogits(gb, logit, gb.scalar(1, "float32")), undefined, false, "g.loss");
  gb.output(loss);
  const sec = adam(gb, gradients(gb, loss, Gl.flatMap((l) => [l.W, l.b])), { lr: 1e-4, beta1: 0.5, beta2: 0.999, prefix: "G." });
  const alone = new TrainStep(await sessionFor(gb.graph, { threads: 1 }), gb.graph, sec, { params: copy(init.G) });
  await alone.run({ z, ...a.D, ...Object.fromEntries(G_PASS_MASKS.map((m) => [m, masks[m]])) });
  const rel = maxAbsDiff(params(alone, "G"), a.G) / maxAbsDiff(a.G, init.G);
  assert.ok(rel < 1e-3, `G's update in the step graph vs alone: ${rel} of the update`);
});

test("chunks: 5 steps as one chunk, as chunks of 3 and 2 (2 threads), or one by one through the step graph (1 thread) give the same bits", async () => {
  const rng = new Rng(4);
  const init = initGan(rng);
  const optim = { lr: 1e-4, beta1: 0.5, beta2: 0.999 };
  const cg = ganChunkGraph(optim, { dropout: 0.3 });
  const sg = ganStepGraph(optim, { dropout: 0.3 });
  const session = await sessionFor(cg.graph, { threads: 2 });
  const stepSession = await sessionFor(sg.graph, { threads: 1 });
  const data = { data: Float32Array.from({ length: 5 * N * 784 }, () => 2 * rng.uniform() - 1), rows: 5 * N, cols: 784 };
  const order = Int32Array.from({ length: 5 * N }, (_, i) => i);
  const runIn = async (steps: number, plain = false) => {
    const params = { ...copy(init.G), ...copy(init.D) };
    const s = plain ? new TrainStep(stepSession, sg.graph, sg.sections, { params }) : new TrainStep(session, cg.graph, cg.sections, { params });
    const feeds = new GanChunkFeeds(steps, N, 0.3);
    const [zRng, maskRng] = [new Rng(3), new MaskRng(3)];
    const lossD: number[] = [];
    for (const chunk of batchChunks(data, order, { batchSize: N, steps })) {
      // a chunk of one step is fed the way a single step is: x [1·N·784] = [N,784]
      const f = feeds.next(chunk, zRng, maskRng);
      lossD.push(...Array.from((await s.run(f.feeds, f.dims))["d.loss"] as Float32Array));
    }
    return { lossD, state: s.state };
  };
  const one = await runIn(5);
  assert.is(one.lossD.length, 5);
  for (const other of [await runIn(3), await runIn(1, true)]) {
    assert.equal(other.lossD, one.lossD);
    for (const [k, v] of one.state) assert.equal(Array.from(other.state.get(k) as Float32Array), Array.from(v as Float32Array), k);
  }
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
  for (const f of ["loss-generator.svg", "loss-discriminator.svg", sampleFile(2), "generator.onnx", "discriminator.onnx", "checkpoint.bin", "results.json"]) assert.ok(existsSync(join(a, f)), f);
  assert.equal(JSON.parse(readFileSync(join(a, "results.json"), "utf8")).epochs, run.epochs);
  // each network's training and test loss on its own chart
  for (const f of ["loss-generator.svg", "loss-discriminator.svg"]) {
    const chart = readFileSync(join(a, f), "utf8");
    assert.is((chart.match(/<g data-series=/g) ?? []).length, 2, f);
    for (const name of ["train", "test"]) assert.ok(chart.includes(`>${name}</text>`), `${f}: ${name}`);
  }

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
