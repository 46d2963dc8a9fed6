import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  Builder, Graph, IR_VERSION, OPSET, bceWithLogits, klFromLogVar, linear, linearParams, onnx, problems, relu,
  reparameterize, runGraph, serialize, sessionFor, validate,
} from "../src/onnx/index.js";

// ---------------------------------------------------------------- validation

test("builder: an undeclared input is an error naming the tensor", () => {
  const b = new Builder("g");
  const x = b.input("x", "float32", [2]);
  assert.throws(() => b.add(x, "ghost"), /input 'ghost' is not declared/);
});

test("validate: an undeclared input in a hand-built graph is reported by name", () => {
  const g = new Graph("hand");
  g.inputs.push("x");
  g.types.set("x", { dtype: "float32", shape: [2] });
  g.nodes.push({ name: "n0", opType: "Add", inputs: ["x", "missing"], outputs: ["y"], attrs: {}, ints: [] });
  g.types.set("y", { dtype: "float32", shape: [2] });
  g.outputs.push("y");
  assert.throws(() => validate(g), /input 'missing' is not declared/);
  assert.throws(() => serialize(g), /input 'missing'/);
});

test("validate: missing dtype or shape, duplicates, unknown op, unproduced output", () => {
  const g = new Graph("hand");
  g.inputs.push("x", "x");
  g.types.set("x", { dtype: "float32", shape: [2] });
  g.nodes.push({ name: "n0", opType: "Frobnicate", inputs: ["x"], outputs: ["y"], attrs: {}, ints: [] });
  g.nodes.push({ name: "n0", opType: "Relu", inputs: ["y"], outputs: ["z"], attrs: {}, ints: [] });
  g.types.set("z", { dtype: "float32" } as never);
  g.outputs.push("z", "w");
  const ps = problems(g).join("\n");
  assert.match(ps, "duplicate tensor name 'x'");
  assert.match(ps, "duplicate node name 'n0'");
  assert.match(ps, "op 'Frobnicate' is not a known opset-17 op");
  assert.match(ps, "tensor 'y' has no dtype");
  assert.match(ps, "tensor 'z' has no shape");
  assert.match(ps, "graph output 'w' is never produced");
});

test("builder: shape errors surface where the node is added", () => {
  const b = new Builder("g");
  const a = b.input("a", "float32", [2, 3]);
  const c = b.input("c", "float32", [4, 5]);
  assert.throws(() => b.matmul(a, c), /inner dims differ/);
  assert.throws(() => b.add(a, c), /cannot broadcast \[2,3\] with \[4,5\]/);
  assert.throws(() => b.input("a", "float32", [1]), /duplicate tensor name 'a'/);
  assert.throws(() => b.op("Softmax", [a]), /op 'Softmax' is not in the engine's opset-17 table/);
});

test("builder: symbolic dims flow through linear, reshape and reductions", () => {
  const b = new Builder("g");
  const x = b.input("x", "float32", ["batch", 784]);
  const p = linearParams(b, "fc", 784, 20);
  const h = linear(b, x, p);
  assert.equal(b.shape(h), ["batch", 20]);
  assert.equal(b.shape(b.reshape(x, [-1, 28, 28])), ["batch", 28, 28]);
  assert.equal(b.shape(b.reduceSum(h, [1], false)), ["batch"]);
  assert.equal(b.shape(b.reduceMean(h, [0], true)), [1, 20]);
  assert.equal(b.shape(b.concat([h, h], 1)), ["batch", 40]);
  assert.equal(b.split(h, [5, 15], 1).map((s) => b.shape(s)), [["batch", 5], ["batch", 15]]);
  assert.equal(b.shape(b.slice(h, [2], [7], [1])), ["batch", 5]);
  // a shape made of a Shape slice and constants keeps its symbolic value, so Reshape types its output
  const target = b.concat([b.op("Shape", [x], { start: 0, end: 1 }), b.ints([28, 28])], 0);
  assert.equal(b.graph.shapeValue(target), ["batch", 28, 28]);
  assert.equal(b.shape(b.op("Reshape", [x, target])), ["batch", 28, 28]);
});

test("builder: constants become deduplicated initializers; names come from scope + counter", () => {
  const b = new Builder("g");
  const x = b.input("x", "float32", [2]);
  const y = b.withScope("enc", () => b.mul(b.add(x, b.scalar(1, "float32")), b.scalar(1, "float32")));
  assert.is(b.graph.initializers.size, 1);
  assert.match(y, /^enc\.Mul/);
  assert.is(b.withScope("enc", () => b.relu(y)), "enc.Relu");
  assert.is(b.withScope("enc", () => b.relu(y)), "enc.Relu_1");
});

// ---------------------------------------------------------------- serialisation

test("serialize: ModelProto has opset 17, IR version 8, producer emlab, typed symbolic inputs", () => {
  const b = new Builder("mlp");
  const x = b.input("x", "float32", ["batch", 3]);
  const p = linearParams(b, "fc", 3, 2);
  b.output(relu(b, linear(b, x, p)));
  const m = onnx.ModelProto.decode(serialize(b.graph));
  assert.is(Number(m.irVersion), IR_VERSION);
  assert.is(IR_VERSION, 8);
  assert.is(OPSET, 17);
  assert.equal(m.opsetImport.map((o) => [o.domain, Number(o.version)]), [["", 17]]);
  assert.is(m.producerName, "emlab");
  const xin = m.graph!.input!.find((i) => i.name === "x")!;
  assert.is(xin.type!.tensorType!.elemType, 1);
  assert.equal(xin.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue)), ["batch", 3]);
});

test("serialize → onnxruntime-node: the model loads and computes relu(x·W + b)", async () => {
  const b = new Builder("mlp");
  const x = b.input("x", "float32", ["batch", 3]);
  const p = linearParams(b, "fc", 3, 2);
  b.output(relu(b, linear(b, x, p)));
  const W = Float32Array.of(1, -1, 2, 0.5, -3, 1);
  const bias = Float32Array.of(0.1, -0.2);
  const X = Float32Array.of(1, 2, 3, -1, 0, 0.5);
  // value_info for every intermediate: onnxruntime checks our inferred shapes against its own
  const session = await sessionFor(b.graph, { valueInfo: true });
  const out = Object.values(await runGraph(session, b.graph, { x: X, "fc.W": W, "fc.b": bias }))[0];
  const want: number[] = [];
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 2; j++) {
      let s = bias[j];
      for (let k = 0; k < 3; k++) s += X[i * 3 + k] * W[k * 2 + j];
      want.push(Math.max(s, 0));
    }
  assert.equal(Array.from(out as Float32Array).map((v) => +v.toFixed(5)), want.map((v) => +v.toFixed(5)));
});

// ---------------------------------------------------------------- blocks against plain TS

test("blocks: BCE from logits, KL from log-variance and the reparameterisation against TS twins", async () => {
  for (const dtype of ["float32", "float64"] as const) {
    const b = new Builder("blocks");
    const x = b.input("x", dtype, [6]);
    const t = b.input("t", dtype, [6]);
    const mu = b.input("mu", dtype, [2, 3]);
    const lv = b.input("lv", dtype, [2, 3]);
    const eps = b.input("eps", dtype, [2, 3]);
    b.output(bceWithLogits(b, x, t, ), klFromLogVar(b, mu, lv), reparameterize(b, mu, lv, eps));
    const X = [-60, -2, -0.1, 0, 3, 60], T = [1, 0, 0.5, 1, 0, 1];
    const MU = [0.1, -0.5, 1, 0, 2, -1], LV = [0, -1, 0.5, 1, -2, 0.3], EPS = [1, -1, 0.5, 0, 2, -0.3];
    const A = dtype === "float64" ? Float64Array : Float32Array;
    const out = Object.values(await runGraph(await sessionFor(b.graph), b.graph, { x: A.from(X), t: A.from(T), mu: A.from(MU), lv: A.from(LV), eps: A.from(EPS) }));
    const bce = X.map((v, i) => Math.max(v, 0) - v * T[i] + Math.log1p(Math.exp(-Math.abs(v))));
    const kl = [0, 1].map((r) => -0.5 * [0, 1, 2].reduce((s, j) => s + 1 + LV[r * 3 + j] - MU[r * 3 + j] ** 2 - Math.exp(LV[r * 3 + j]), 0));
    const z = MU.map((m, i) => m + Math.exp(LV[i] / 2) * EPS[i]);
    const tol = dtype === "float64" ? 1e-12 : 1e-5;
    const close = (got: ArrayLike<number | bigint>, want: number[], what: string) =>
      want.forEach((w, i) => assert.ok(Math.abs(Number(got[i]) - w) <= tol * Math.max(1, Math.abs(w)), `${dtype} ${what}[${i}]: ${got[i]} vs ${w}`));
    close(out[0], bce, "bce");
    close(out[1], kl, "kl");
    close(out[2], z, "z");
  }
});

test.run();
