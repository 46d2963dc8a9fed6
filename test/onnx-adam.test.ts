import { test } from "uvu";
import * as assert from "uvu/assert";
import { AdamOptions, Builder, TrainStep, adam, bceWithLogits, gradients, initLinear, linear, linearParams, loopSteps, meanAll, sessionFor, sumAll } from "../src/onnx/index.js";
import { Rng } from "../src/util/rng.js";

// tiny regression: loss = Σᵢ (w·xᵢ + c − tᵢ)², parameters w [2] and c [] (a scalar)
const X = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]];
const T = [0.3, -1.2, 0.8];

function handGrad(w: number[], c: number): { w: number[]; c: number } {
  const gw = [0, 0];
  let gc = 0;
  X.forEach((x, i) => {
    const r = w[0] * x[0] + w[1] * x[1] + c - T[i];
    gw[0] += 2 * r * x[0];
    gw[1] += 2 * r * x[1];
    gc += 2 * r;
  });
  return { w: gw, c: gc };
}

/** Plain-TS Adam, bias-corrected, as in Kingma & Ba (2015), Algorithm 1. */
function handAdam(p: number[], g: number[], m: number[], v: number[], t: number, o: Required<Pick<AdamOptions, "beta1" | "beta2" | "eps">> & { lr: number }) {
  return p.map((pi, i) => {
    m[i] = o.beta1 * m[i] + (1 - o.beta1) * g[i];
    v[i] = o.beta2 * v[i] + (1 - o.beta2) * g[i] * g[i];
    const mh = m[i] / (1 - o.beta1 ** t);
    const vh = v[i] / (1 - o.beta2 ** t);
    return pi - (o.lr * mh) / (Math.sqrt(vh) + o.eps);
  });
}

function regressionGraph(o: AdamOptions) {
  const b = new Builder("adam-regression");
  const x = b.input("x", "float64", ["batch", 2]);
  const t = b.input("t", "float64", ["batch"]);
  const w = b.input("w", "float64", [2]);
  const c = b.input("c", "float64", []);
  const pred = b.add(b.reduceSum(b.mul(x, w), [1], false), c);
  const d = b.sub(pred, t);
  const loss = sumAll(b, b.mul(d, d), "loss");
  b.output(loss);
  return { b, section: adam(b, gradients(b, loss, [w, c]), o) };
}

const CASES: { label: string; o: Required<Pick<AdamOptions, "beta1" | "beta2" | "eps">> & { lr: number }; lrInput: boolean }[] = [
  { label: "defaults β=(0.9, 0.999), constant lr", o: { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, lrInput: false },
  { label: "GAN's β1 = 0.5, lr as input, large ε (placement of ε)", o: { lr: 0.2, beta1: 0.5, beta2: 0.99, eps: 0.1 }, lrInput: true },
];

for (const { label, o, lrInput } of CASES) {
  test(`Adam step 1 and step 2 match a hand computation: ${label}`, async () => {
    const { b, section } = regressionGraph({ ...o, lr: lrInput ? "input" : o.lr });
    assert.equal(section.outputs, ["w.new", "m.w.new", "v.w.new", "c.new", "m.c.new", "v.c.new", "step.new"]);
    assert.equal(section.stateInputs, lrInput ? ["step", "lr", "m.w", "v.w", "m.c", "v.c"] : ["step", "m.w", "v.w", "m.c", "v.c"]);
    const session = await sessionFor(b.graph);
    const trainer = new TrainStep(session, b.graph, section, { params: { w: Float64Array.of(0.4, -0.3), c: Float64Array.of(0.1) }, lr: o.lr });
    let w = [0.4, -0.3], c = [0.1];
    const mw = [0, 0], vw = [0, 0], mc = [0], vc = [0];
    for (const t of [1, 2]) {
      const g = handGrad(w, c[0]);
      w = handAdam(w, g.w, mw, vw, t, o);
      c = handAdam(c, [g.c], mc, vc, t, o);
      const out = await trainer.run({ x: Float64Array.from(X.flat()), t: Float64Array.from(T) });
      assert.equal(Object.keys(out), ["loss"]);
      assert.is(trainer.steps, t);
      const gw = Array.from(trainer.param("w")), gc = Array.from(trainer.param("c"));
      for (let i = 0; i < 2; i++) assert.ok(Math.abs(gw[i] - w[i]) < 1e-12, `step ${t}: w[${i}] ${gw[i]} vs ${w[i]}`);
      assert.ok(Math.abs(gc[0] - c[0]) < 1e-12, `step ${t}: c ${gc[0]} vs ${c[0]}`);
      // the state holds the moments scaled: m.w = m/(1 − β1), v.c = v/(1 − β2)
      assert.ok(Math.abs(trainer.param("m.w")[1] * (1 - o.beta1) - mw[1]) < 1e-12);
      assert.ok(Math.abs(trainer.param("v.c")[0] * (1 - o.beta2) - vc[0]) < 1e-12);
    }
  });
}

test("bias correction: the first step moves every parameter by lr (m̂/√v̂ = ±1)", async () => {
  const { b, section } = regressionGraph({ lr: 0.05, eps: 0 });
  const trainer = new TrainStep(await sessionFor(b.graph), b.graph, section, { params: { w: Float64Array.of(0.4, -0.3), c: Float64Array.of(0.1) } });
  await trainer.run({ x: Float64Array.from(X.flat()), t: Float64Array.from(T) });
  const w = Array.from(trainer.param("w"));
  assert.ok(Math.abs(Math.abs(w[0] - 0.4) - 0.05) < 1e-12 && Math.abs(Math.abs(w[1] + 0.3) - 0.05) < 1e-12, `moved ${w}`);
});

test("logistic regression: loss decreases at every one of 50 Adam steps (float32)", async () => {
  const rng = new Rng(11);
  const n = 64;
  const xs = new Float32Array(n * 3), ts = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3; j++) xs[i * 3 + j] = rng.normal();
    ts[i] = xs[i * 3] - 0.5 * xs[i * 3 + 1] + 0.3 * rng.normal() > 0 ? 1 : 0;
  }
  const b = new Builder("logreg");
  const x = b.input("x", "float32", ["batch", 3]);
  const t = b.input("t", "float32", ["batch", 1]);
  const p = linearParams(b, "fc", 3, 1);
  const loss = meanAll(b, bceWithLogits(b, linear(b, x, p), t), "loss");
  b.output(loss);
  const section = adam(b, gradients(b, loss, [p.W, p.b]), { lr: 0.05 });
  const trainer = new TrainStep(await sessionFor(b.graph), b.graph, section, { params: initLinear(rng, p) });
  const losses: number[] = [];
  for (let s = 0; s < 50; s++) losses.push(Number((await trainer.run({ x: xs, t: ts })).loss[0]));
  for (let s = 1; s < 50; s++) assert.ok(losses[s] < losses[s - 1], `step ${s}: ${losses[s]} ≥ ${losses[s - 1]}`);
  assert.ok(losses[49] < 0.6 * losses[0], `${losses[0]} → ${losses[49]}`);
});

test("GAN-shaped graph: two Adam sections (D., G. prefixes), fake batch stopped for D; first step moves each parameter by lr against its gradient's sign", async () => {
  // G(z) = a·z, D(u) = w·u (logit); lossD = bce(D(real), 1) + bce(D(fake), 0) with fake detached,
  // lossG = bce(D(fake), 1). First Adam step with ε = 0: p' = p − lr·sign(g).
  const b = new Builder("gan");
  const z = b.input("z", "float64", [1]);
  const real = b.input("real", "float64", [1]);
  const a = b.input("a", "float64", [1]);
  const w = b.input("w", "float64", [1]);
  const fake = b.mul(a, z);
  const one = b.constant([1], [1], "float64"), zero = b.constant([0], [1], "float64");
  const lossD = b.add(sumAll(b, bceWithLogits(b, b.mul(w, real), one)), sumAll(b, bceWithLogits(b, b.mul(w, fake), zero)), "lossD");
  const lossG = sumAll(b, bceWithLogits(b, b.mul(w, fake), one), "lossG");
  b.output(lossD, lossG);
  const dSec = adam(b, gradients(b, lossD, [w], { stop: [fake] }), { lr: 0.1, beta1: 0.5, eps: 0, prefix: "D." });
  const gSec = adam(b, gradients(b, lossG, [a]), { lr: 0.2, beta1: 0.5, eps: 0, prefix: "G." });
  const trainer = new TrainStep(await sessionFor(b.graph), b.graph, [dSec, gSec], { params: { a: Float64Array.of(0.7), w: Float64Array.of(-0.4) } });
  const Z = 1.3, R = 0.9, A = 0.7, W = -0.4;
  const sig = (u: number) => 1 / (1 + Math.exp(-u));
  const gw = (sig(W * R) - 1) * R + sig(W * A * Z) * A * Z; // d lossD / dw
  const ga = (sig(W * A * Z) - 1) * W * Z; // d lossG / da
  const out = await trainer.run({ z: Float64Array.of(Z), real: Float64Array.of(R) });
  assert.equal(Object.keys(out).sort(), ["lossD", "lossG"]);
  assert.ok(Math.abs(trainer.param("w")[0] - (W - 0.1 * Math.sign(gw))) < 1e-12, `w ${trainer.param("w")[0]}`);
  assert.ok(Math.abs(trainer.param("a")[0] - (A - 0.2 * Math.sign(ga))) < 1e-12, `a ${trainer.param("a")[0]}`);
  assert.ok(Math.abs(trainer.param("m.w")[0] - gw) < 1e-12, "m.w = m/(1 − β1) = g after one step");
  assert.is(trainer.param("D.step")[0], 1);
  assert.is(trainer.param("G.step")[0], 1);
});

test("flushSubnormalMoments: a moment stuck at the smallest subnormal becomes 0; parameters and losses stay the same bits", async () => {
  // y = x·w (float32, w [3]): column 2 of x is 1e-30 in the first step and 0 after it, so w[2]'s
  // gradient is exactly 0 from step 2 on and its first moment decays by β1 = 0.9 per step into the
  // subnormals, where round-to-nearest holds it for good at k·2⁻¹⁴⁹ with k ≤ 4 (0.9·k rounds back to k)
  const n = 8, steps = 400;
  const b = new Builder("flush");
  const x = b.input("x", "float32", ["batch", 3]);
  const t = b.input("t", "float32", ["batch"]);
  const w = b.input("w", "float32", [3]);
  const d = b.sub(b.reduceSum(b.mul(x, w), [1], false), t);
  const loss = sumAll(b, b.mul(d, d), "loss");
  b.output(loss);
  const section = adam(b, gradients(b, loss, [w]), { lr: 0.01, beta1: 0.9 });
  const chunk = loopSteps(b.graph, { carried: section.next });
  const session = await sessionFor(chunk, { threads: 1 });
  const rng = new Rng(3);
  const xs = new Float32Array(steps * n * 3), ts = new Float32Array(steps * n);
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < n; i++) {
      const row = (s * n + i) * 3;
      xs[row] = rng.normal();
      xs[row + 1] = rng.normal();
      xs[row + 2] = s === 0 ? 1e-30 : 0;
      ts[s * n + i] = 0.5 * xs[row] - xs[row + 1];
    }
  }
  const half = (h: number) => ({ x: xs.subarray(h * (steps / 2) * n * 3, (h + 1) * (steps / 2) * n * 3), t: ts.subarray(h * (steps / 2) * n, (h + 1) * (steps / 2) * n) });
  const dims = { steps: steps / 2, batch: n };
  const run = async (flush: boolean) => {
    const trainer = new TrainStep(session, chunk, section, { params: { w: Float32Array.of(0.1, 0.2, 0.3) } });
    const first = await trainer.run(half(0), dims);
    const flushed = flush ? trainer.flushSubnormalMoments() : 0;
    const second = await trainer.run(half(1), dims);
    return { trainer, flushed, losses: [...first.loss, ...second.loss] };
  };
  const plain = await run(false);
  const flushed = await run(true);
  const m = plain.trainer.param("m.w");
  assert.ok(Math.abs(m[2]) > 0 && Math.abs(m[2]) <= 4 * 2 ** -149, `the case occurs: the moment is stuck among the smallest subnormals (${m[2]})`);
  assert.is(flushed.flushed, 1);
  assert.is(flushed.trainer.param("m.w")[2], 0);
  assert.equal(Array.from(flushed.trainer.param("w")), Array.from(plain.trainer.param("w")), "same parameters, bit for bit");
  assert.equal(flushed.losses, plain.losses, "same losses, bit for bit");
  assert.is(flushed.trainer.flushSubnormalMoments(), 0, "nothing left to flush");
});

test("adam rejects an empty parameter set and mixed dtypes", () => {
  const b = new Builder("bad");
  assert.throws(() => adam(b, new Map()), /no parameters/);
  const p = b.input("p", "float32", [2]);
  const q = b.input("q", "float64", [2]);
  const loss = b.add(sumAll(b, p), b.cast(sumAll(b, q), "float32"));
  assert.throws(() => adam(b, gradients(b, loss, [p, q])), /'q' is float64, expected float32/);
});

test.run();
