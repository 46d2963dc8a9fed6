// Seconds per 469 training steps (one MNIST epoch at batch 128) of self-built ONNX training-step
// graphs in onnxruntime-node: forward + backward + Adam in one session.run.
//   node build/bench/onnx-step.js [--steps 469] [--threads 2] [--quick] [--only <label substring>]
// Graphs: "mlp" 784→400→20 with BCE on 20 logits; "vae" 784→400→(20,20) → z → 20→400→784 with
// BCE + KL (the VAE goal: ≤ 3.7 s per epoch). Two splits of the VAE step show where time goes:
// "fwd+bwd" outputs the gradients instead of updating (no Adam), "adam only" runs the Adam
// section on the VAE's 0.65 M parameters with g = p (state in and out, no model).
// "32 steps per run" runs the VAE step in an ONNX Loop (loopSteps) so the state crosses the
// boundary once per 32 updates. "cpu" is process CPU time over all threads: on a shared machine it is steadier than wall time.

import {
  AdamSection, Builder, Graph, LinearParams, SessionOptions, TensorData, TrainStep, adam, bceWithLogits, gradients, initLinear,
  klFromLogVar, linear, linearParams, loopSteps, relu, reparameterize, runGraph, sessionFor, sumRows,
} from "../src/onnx/index.js";
import { Rng } from "../src/util/rng.js";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const STEPS = arg("steps", process.argv.includes("--quick") ? 60 : 469);
const THREADS = arg("threads", 2);
const BATCH = 128;

interface Model {
  graph: Graph;
  layers: LinearParams[];
  /** null: gradients are graph outputs, no Adam section. */
  section: AdamSection | null;
  flopsPerStep: number;
  /** Training steps per session.run (adamSteps). */
  stepsPerRun?: number;
}

// forward 2·MACs, backward 2× forward minus the first layer's unneeded input gradient
const flops = (macs: number, firstLayerMacs: number) => 6 * macs - 2 * firstLayerMacs;

function finish(b: Builder, loss: string, layers: LinearParams[], withAdam: boolean): AdamSection | null {
  const grads = gradients(b, loss, layers.flatMap((l) => [l.W, l.b]));
  if (withAdam) return adam(b, grads, { lr: 1e-3 });
  b.output(...grads.values());
  return null;
}

function mlp(withAdam = true): Model {
  const b = new Builder("mlp-step");
  const x = b.input("x", "float32", ["batch", 784]);
  const t = b.input("t", "float32", ["batch", 20]);
  const layers = [linearParams(b, "fc1", 784, 400), linearParams(b, "fc2", 400, 20)];
  const logits = linear(b, relu(b, linear(b, x, layers[0])), layers[1]);
  const loss = b.reduceMean(sumRows(b, bceWithLogits(b, logits, t)), undefined, false, "loss");
  b.output(loss);
  return { graph: b.graph, layers, section: finish(b, loss, layers, withAdam), flopsPerStep: flops(BATCH * (784 * 400 + 400 * 20), BATCH * 784 * 400) };
}

function vae(withAdam = true): Model {
  const b = new Builder("vae-step");
  const x = b.input("x", "float32", ["batch", 784]);
  const eps = b.input("eps", "float32", ["batch", 20]);
  const layers = [linearParams(b, "enc1", 784, 400), linearParams(b, "enc2", 400, 40), linearParams(b, "dec1", 20, 400), linearParams(b, "dec2", 400, 784)];
  const [mu, logvar] = b.split(linear(b, relu(b, linear(b, x, layers[0])), layers[1]), [20, 20], 1);
  const z = reparameterize(b, mu, logvar, eps);
  const logits = linear(b, relu(b, linear(b, z, layers[2])), layers[3]);
  const rec = b.reduceMean(sumRows(b, bceWithLogits(b, logits, x)), undefined, false, "rec");
  const kl = b.reduceMean(klFromLogVar(b, mu, logvar), undefined, false, "kl");
  const loss = b.add(rec, kl, "loss");
  b.output(loss, rec, kl);
  const macs = BATCH * (784 * 400 + 400 * 40 + 20 * 400 + 400 * 784);
  return { graph: b.graph, layers, section: finish(b, loss, layers, withAdam), flopsPerStep: flops(macs, BATCH * 784 * 400) };
}

/** The VAE step in an ONNX Loop (loopSteps): `k` steps per run, inputs x, eps stacked [k, batch, ·]. */
function vaeSteps(k: number): Model {
  const step = vae();
  return { ...step, graph: loopSteps(step.graph, { carried: step.section!.next }), flopsPerStep: k * step.flopsPerStep, stepsPerRun: k };
}

function adamOnly(): Model {
  const b = new Builder("adam-only");
  const layers = [linearParams(b, "enc1", 784, 400), linearParams(b, "enc2", 400, 40), linearParams(b, "dec1", 20, 400), linearParams(b, "dec2", 400, 784)];
  const section = adam(b, new Map(layers.flatMap((l) => [l.W, l.b]).map((p) => [p, p] as [string, string])), { lr: 1e-3 });
  b.output(b.reduceSum(layers[0].b, undefined, false, "loss"));
  return { graph: b.graph, layers, section, flopsPerStep: 0 };
}

const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : "";

async function time(label: string, make: () => Model, opts: SessionOptions): Promise<void> {
  if (only && !label.includes(only)) return;
  const model = make();
  const { graph } = model;
  const k = model.stepsPerRun ?? 1;
  const dims = { steps: k, batch: BATCH };
  const rng = new Rng(1);
  const params: Record<string, Float32Array> = {};
  for (const l of model.layers) Object.assign(params, initLinear(rng, l));
  const t0 = performance.now();
  const session = await sessionFor(graph, opts);
  const tSession = performance.now() - t0;
  const trainer = model.section ? new TrainStep(session, graph, model.section, { params }) : null;
  const batch: Record<string, TensorData> = {};
  for (const name of graph.inputs) {
    if (trainer?.state.has(name) || params[name]) continue;
    const shape = graph.typeOf(name).shape.map((d) => (typeof d === "number" ? d : dims[d as keyof typeof dims]));
    const data = new Float32Array(shape.reduce((p, q) => p * q, 1));
    const base = name.split(".")[0];
    if (base === "x") for (let i = 0; i < data.length; i++) data[i] = rng.uniform();
    else rng.fillNormal(data);
    if (base === "t") for (let i = 0; i < data.length; i++) data[i] = data[i] > 0 ? 1 : 0;
    batch[name] = data;
  }
  const step = trainer ? () => trainer.run(batch, dims) : () => runGraph(session, graph, { ...batch, ...params });
  for (let i = 0; i < 5; i++) await step();
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  let loss = 0;
  for (let i = 0; i < STEPS; i += k) loss = Number((await step()).loss[0]);
  const sec = (performance.now() - t1) / 1000;
  const cpu = process.cpuUsage(c1);
  const per469 = (s: number) => ((s / STEPS) * 469).toFixed(2);
  const gflops = model.flopsPerStep ? `  ${(((model.flopsPerStep / k) * STEPS) / sec / 1e9).toFixed(0)} GFLOP/s` : "";
  console.log(
    `${label.padEnd(34)} ${per469(sec)} s/469 steps  ${((sec / STEPS) * 1000).toFixed(2)} ms/step  cpu ${per469((cpu.user + cpu.system) / 1e6)} s/469${gflops}` +
      `  (session ${tSession.toFixed(0)} ms, ${graph.nodes.length} nodes, loss ${loss.toFixed(3)})`,
  );
}

console.log(`onnxruntime-node, batch ${BATCH}, ${STEPS} timed steps scaled to 469, intraOpNumThreads ${THREADS}`);
const all: SessionOptions = { threads: THREADS, optimization: "all" };
await time("mlp 784-400-20", () => mlp(), all);
await time("vae 784-400-20-400-784", () => vae(), all);
await time("vae, optimization disabled", () => vae(), { ...all, optimization: "disabled" });
await time("vae, 1 thread", () => vae(), { ...all, threads: 1 });
await time("vae, 32 steps per run (loopSteps)", () => vaeSteps(32), all);
await time("vae fwd+bwd only (grads out)", () => vae(false), all);
await time("adam only (vae's 0.65M params)", () => adamOnly(), all);
