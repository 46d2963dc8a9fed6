import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  Builder, TrainStep, adam, feedInstead, gradients, initLinear, linear, linearParams, meanAll, runGraph, sessionFor, validate,
} from "../src/onnx/index.js";
import { Rng } from "../src/util/rng.js";

// A two-layer net trained one Adam step: the full graph vs the same graph with the hidden
// activation cut (fed from a forward-only graph). Same nodes on the backward side, same inputs ⇒
// the same bits.
function net(b: Builder) {
  const x = b.input("x", "float64", ["batch", 3]);
  const t = b.input("t", "float64", ["batch", 1]);
  const l1 = linearParams(b, "fc1", 3, 4, "float64");
  const l2 = linearParams(b, "fc2", 4, 1, "float64");
  const h = b.tanh(linear(b, x, l1), "hidden");
  const d = b.sub(linear(b, h, l2), t);
  const loss = meanAll(b, b.mul(d, d), "loss");
  return { l1, l2, h, loss };
}

function stepGraph(cut: boolean) {
  const b = new Builder("cut-test");
  const { l1, l2, loss } = net(b);
  b.output(loss);
  const section = adam(b, gradients(b, loss, [l1.W, l1.b, l2.W, l2.b]), { lr: 0.05 });
  const removed = cut ? feedInstead(b.graph, ["hidden"]) : [];
  return { graph: b.graph, section, l1, l2, removed };
}

const rng = new Rng(3);
const X = Float64Array.from({ length: 5 * 3 }, () => rng.normal());
const T = Float64Array.from({ length: 5 }, () => rng.normal());

test("feedInstead: the cut step equals the full step bit for bit, and the forward Gemm of layer 1 is gone", async () => {
  const full = stepGraph(false);
  const cut = stepGraph(true);
  assert.ok(cut.graph.inputs.includes("hidden"));
  assert.is(cut.graph.nodes.filter((n) => n.opType === "Tanh").length, 0);
  assert.ok(cut.removed.length >= 2, `removed ${cut.removed}`);
  validate(cut.graph); // throws listing every problem
  // layer 1's forward product xW₁ is needed by nothing but tanh: fewer Gemms than the full graph
  const gemms = (g: typeof full.graph) => g.nodes.filter((n) => n.opType === "Gemm" || n.opType === "MatMul").length;
  assert.ok(gemms(cut.graph) < gemms(full.graph), `${gemms(cut.graph)} vs ${gemms(full.graph)}`);

  const params = { ...initLinear(rng, full.l1, "float64"), ...initLinear(rng, full.l2, "float64") };
  const copy = () => Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.slice()]));
  // the hidden activation from a forward-only graph
  const fb = new Builder("forward");
  const f = net(fb);
  fb.output(fb.identity(f.h, "h.out"));
  const hidden = (await runGraph(await sessionFor(fb.graph), fb.graph, { x: X, t: T, ...params }))["h.out"];

  const a = new TrainStep(await sessionFor(full.graph), full.graph, full.section, { params: copy() });
  const c = new TrainStep(await sessionFor(cut.graph), cut.graph, cut.section, { params: copy() });
  const la = await a.run({ x: X, t: T });
  const lc = await c.run({ x: X, t: T, hidden });
  assert.equal(Array.from(lc.loss as Float64Array), Array.from(la.loss as Float64Array));
  for (const p of Object.keys(params)) assert.equal(Array.from(c.param(p)), Array.from(a.param(p)), p);
});

test("feedInstead: clear errors for an input, and for an output that only the cut part computed", () => {
  const b = new Builder("bad");
  const { loss } = net(b);
  b.output(loss, b.identity("hidden", "h.copy"));
  assert.throws(() => feedInstead(b.graph, ["x"]), /'x' is not computed by a node/);
  const b2 = new Builder("bad2");
  const x = b2.input("x", "float64", [2]);
  const [u, v] = b2.node("Split", [x, b2.ints([1, 1])], { axis: 0 }, { outputs: 2 });
  b2.output(b2.identity(v, "v.out"), b2.identity(u, "u.out"));
  // cutting u removes Split, which also computed v, still needed by v.out
  assert.throws(() => feedInstead(b2.graph, [u]), /reads '.*', which a removed node computed/);
});

test.run();
