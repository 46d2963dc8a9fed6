import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  Builder, Graph, TrainStep, adam, bceWithLogits, gradients, initLinear, linear, linearParams, loopSteps, meanAll, problems, relu,
  runGraph, serialize, sessionFor, sumRows,
} from "../src/onnx/index.js";
import { Rng } from "../src/util/rng.js";

// ---------------------------------------------------------------- Builder.loop

test("loop: carried values and stacked scans against a plain computation; the body reads outer tensors", async () => {
  const b = new Builder("cumsum");
  const xs = b.input("xs", "float64", ["steps", 3]);
  const scale = b.input("scale", "float64", [3]);
  const trips = b.op("Shape", [xs], { start: 0, end: 1 });
  assert.equal(b.graph.shapeValue(trips), ["steps"]);
  // acc ← acc·scale + xs[i]; each iteration also emits acc (a scan) and counts in n
  const res = b.loop(trips, [b.constant([0, 0, 0], [3], "float64"), b.scalar(0, "float64")], (lb, i, [acc, n]) => {
    const next = lb.add(lb.mul(acc, scale), lb.gather(xs, i, 0));
    return { carried: [next, lb.add(n, lb.scalar(1, "float64"))], scans: [next] };
  }, { names: ["acc", "n"], scanNames: ["trace"] });
  assert.equal(res, { carried: ["acc", "n"], scans: ["trace"] });
  assert.equal(b.shape("trace"), ["steps", 3]);
  b.output("acc", "n", "trace");
  assert.equal(problems(b.graph), []);

  const rng = new Rng(1);
  const X = Float64Array.from({ length: 4 * 3 }, () => rng.normal());
  const S = Float64Array.of(0.5, -1, 2);
  const out = await runGraph(await sessionFor(b.graph, { threads: 1 }), b.graph, { xs: X, scale: S });
  const acc = [0, 0, 0];
  const trace: number[] = [];
  for (let k = 0; k < 4; k++) for (let j = 0; j < 3; j++) {
    acc[j] = acc[j] * S[j] + X[3 * k + j];
    trace.push(acc[j]);
  }
  assert.equal(Array.from(out.acc as Float64Array), acc);
  assert.equal(Array.from(out.trace as Float64Array), trace);
  assert.equal(Array.from(out.n as Float64Array), [4]);
});

test("loop: names are unique across the model; a body that reads an unknown tensor is reported with its Loop", () => {
  const b = new Builder("g");
  const x = b.input("x", "float32", [2]);
  const trips = b.constant([3], [1], "int64");
  assert.is(b.relu(x), "Relu");
  b.loop(trips, [x], (lb, _i, [v]) => {
    const y = lb.relu(v);
    assert.is(y, "Relu_1", "the body's fresh names avoid the outer graph's");
    return { carried: [y] };
  });
  assert.is(b.relu(x), "Relu_2", "and the outer graph's avoid the body's");
  assert.throws(() => b.loop(trips, [x], (lb) => ({ carried: [lb.add(x, "ghost")] })), /input 'ghost' is not declared/);
  // a hand-edited body: validation names the Loop node and the attribute
  const g = new Graph("hand");
  g.inputs.push("x");
  g.types.set("x", { dtype: "float32", shape: [2] });
  const body = new Graph("body", g);
  body.inputs.push("i", "c");
  body.types.set("i", { dtype: "int64", shape: [] }).set("c", { dtype: "bool", shape: [] });
  body.nodes.push({ name: "b0", opType: "Add", inputs: ["x", "missing"], outputs: ["y"], attrs: {}, ints: [] });
  body.types.set("y", { dtype: "float32", shape: [2] });
  body.outputs.push("c", "y");
  g.nodes.push({ name: "L", opType: "Loop", inputs: ["", ""], outputs: ["ys"], attrs: { body }, ints: [] });
  g.types.set("ys", { dtype: "float32", shape: [1, 2] });
  g.outputs.push("ys");
  assert.match(problems(g).join("\n"), /Loop node 'L', attribute 'body': Add node 'b0': input 'missing' is not declared/);
});

// ---------------------------------------------------------------- loopSteps

/** A two-layer classifier's training step: per-step x, t; a shared class weight; Adam state carried. */
function mlpStep(dtype: "float32" | "float64") {
  const b = new Builder("mlp-step");
  const x = b.input("x", dtype, ["batch", 5]);
  const t = b.input("t", dtype, ["batch", 3]);
  const w = b.input("w", dtype, [3]);
  const l1 = linearParams(b, "fc1", 5, 8, dtype);
  const l2 = linearParams(b, "fc2", 8, 3, dtype);
  const logits = linear(b, relu(b, linear(b, x, l1)), l2);
  const loss = meanAll(b, sumRows(b, b.mul(bceWithLogits(b, logits, t), w)), "loss");
  b.output(loss);
  const section = adam(b, gradients(b, loss, [l1.W, l1.b, l2.W, l2.b]), { lr: 0.05 });
  return { graph: b.graph, section, layers: [l1, l2] };
}

for (const dtype of ["float64", "float32"] as const) {
  test(`loopSteps (${dtype}): k steps in one run equal k single steps bit for bit, for any split into chunks`, async () => {
    const step = mlpStep(dtype);
    const chunk = loopSteps(step.graph, { carried: step.section.next, shared: ["w"] });
    assert.equal(chunk.inputs, step.graph.inputs);
    assert.equal(chunk.outputs, step.graph.outputs);
    assert.equal(chunk.typeOf("x").shape, ["steps", "batch", 5]);
    assert.equal(chunk.typeOf("loss").shape, ["steps"]);
    assert.equal(chunk.typeOf("fc1.W.new").shape, [5, 8]);
    assert.equal(chunk.typeOf("w").shape, [3]);

    const rng = new Rng(11);
    const F = (v: number[]) => (dtype === "float64" ? Float64Array.from(v) : Float32Array.from(v));
    const k = 5, n = 4;
    const X = F(Array.from({ length: k * n * 5 }, () => rng.normal()));
    const T = F(Array.from({ length: k * n * 3 }, () => (rng.uniform() < 0.5 ? 0 : 1)));
    const W = F([1, 0.5, 2]);
    const params = Object.assign({}, ...step.layers.map((l) => initLinear(rng, l, dtype)));
    const copy = () => Object.fromEntries(Object.entries(params).map(([p, v]) => [p, (v as Float64Array).slice()]));
    const per = (a: Float32Array | Float64Array, i: number, j: number) => a.subarray((a.length / k) * i, (a.length / k) * j);

    // single steps on 1 thread, chunks on 2: the same bits for any thread count too
    const single = new TrainStep(await sessionFor(step.graph, { threads: 1 }), step.graph, step.section, { params: copy() });
    const losses: number[] = [];
    for (let i = 0; i < k; i++) losses.push(Number((await single.run({ x: per(X, i, i + 1), t: per(T, i, i + 1), w: W })).loss[0]));

    const session = await sessionFor(chunk, { threads: 2 });
    for (const split of [[5], [2, 3], [1, 1, 3]]) {
      const looped = new TrainStep(session, chunk, step.section, { params: copy() });
      const got: number[] = [];
      let at = 0;
      for (const s of split) {
        const out = await looped.run({ x: per(X, at, at + s), t: per(T, at, at + s), w: W }, { steps: s, batch: n });
        got.push(...Array.from(out.loss as Float64Array));
        at += s;
      }
      assert.equal(got, losses, `losses, chunks ${split}`);
      assert.is(looped.steps, k);
      for (const [name, v] of single.state) assert.equal(Array.from(looped.param(name)), Array.from(v as Float64Array), `${name}, chunks ${split}`);
    }
  });
}

test("loopSteps: a chunk with a short batch runs in the same session (symbolic batch)", async () => {
  const step = mlpStep("float32");
  const chunk = loopSteps(step.graph, { carried: step.section.next, shared: ["w"] });
  const rng = new Rng(2);
  const params = Object.assign({}, ...step.layers.map((l) => initLinear(rng, l)));
  const s = new TrainStep(await sessionFor(chunk, { threads: 1 }), chunk, step.section, { params });
  const out = await s.run({ x: new Float32Array(1 * 3 * 5).fill(0.5), t: new Float32Array(1 * 3 * 3), w: Float32Array.of(1, 1, 1) }, { steps: 1, batch: 3 });
  assert.is(out.loss.length, 1);
  assert.is(s.steps, 1);
});

test("loopSteps: clear errors for names that are not the step's", () => {
  const step = mlpStep("float32");
  assert.throws(() => loopSteps(step.graph, { carried: new Map([["nope.new", "fc1.W"]]) }), /carried output 'nope.new' is not an output/);
  assert.throws(() => loopSteps(step.graph, { carried: step.section.next, shared: ["q"] }), /shared input 'q' is not an input/);
  assert.throws(() => loopSteps(step.graph, { carried: step.section.next, shared: ["x", "t", "w"] }), /no per-step input/);
});

test("inline: a copied graph computes what the original does; its names are fresh", async () => {
  const step = mlpStep("float64");
  const b = new Builder("caller");
  const feeds: Record<string, string> = {};
  for (const i of step.graph.inputs) feeds[i] = b.input(`in.${i}`, "float64", step.graph.typeOf(i).shape);
  const outs = b.withScope("copy", () => b.inline(step.graph, feeds));
  assert.ok(Object.values(outs).every((o) => o.startsWith("copy.")), Object.values(outs).join(","));
  b.output(...step.graph.outputs.map((o) => b.identity(outs[o], o)));
  serialize(b.graph);
  const rng = new Rng(4);
  const data: Record<string, Float64Array> = {};
  for (const i of step.graph.inputs) {
    const shape = step.graph.typeOf(i).shape.map((d) => (typeof d === "number" ? d : 2));
    data[i] = Float64Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => (i === "step" ? 0 : rng.normal()));
  }
  const renamed = Object.fromEntries(Object.entries(data).map(([k, v]) => [`in.${k}`, v]));
  const want = await runGraph(await sessionFor(step.graph, { threads: 1 }), step.graph, data);
  const got = await runGraph(await sessionFor(b.graph, { threads: 1 }), b.graph, renamed);
  for (const o of step.graph.outputs) assert.equal(Array.from(got[o] as Float64Array), Array.from(want[o] as Float64Array), o);
});

test.run();
