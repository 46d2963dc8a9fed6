import { test } from "uvu";
import * as assert from "uvu/assert";
import { Builder, DType, GRAD_RULES, bceWithLogits, gradients, klFromLogVar, linear, linearParams, relu, reparameterize, runGraph, sessionFor, sumAll } from "../src/onnx/index.js";
import { Rng } from "../src/util/rng.js";
import type { GradContext, GradRule } from "../src/onnx/grad.js";
import { FD_CHECKED_OPS, FdInput, awayFromZero, fdCheck, uniform } from "./twin/onnx-fd.js";

// float64 wherever onnxruntime's CPU provider has double kernels for every op of the graph
// (all ops used here except Softplus, found by trying): tolerance 1e-6; float32 otherwise: 1e-3.
const TOL: Record<string, number> = { float64: 1e-6, float32: 1e-3 };
const rng = new Rng(2024);

type Build = Parameters<typeof fdCheck>[2];

async function check(label: string, dtype: DType, inputs: Record<string, FdInput>, build: Build, opts: Parameters<typeof fdCheck>[3] = {}) {
  const r = await fdCheck(dtype, inputs, build, opts);
  assert.ok(r.maxRel < TOL[dtype], `${label}: relative error ${r.maxRel} (${r.worst})`);
}

const n = (shape: number[]) => shape.reduce((p, q) => p * q, 1);
const away = (shape: number[]): FdInput => ({ shape, data: awayFromZero(rng, n(shape)) });
const pos = (shape: number[]): FdInput => ({ shape, data: uniform(rng, n(shape), 0.5, 2) });

// ---------------------------------------------------------------- elementwise, one input

const UNARY: [string, (s: number[]) => FdInput, DType][] = [
  ["Identity", away, "float64"], ["Neg", away, "float64"], ["Exp", away, "float64"], ["Log", pos, "float64"],
  ["Abs", away, "float64"], ["Sqrt", pos, "float64"], ["Reciprocal", pos, "float64"], ["Relu", away, "float64"],
  ["Sigmoid", away, "float64"], ["Tanh", away, "float64"], ["Softplus", away, "float32"],
];
for (const [op, gen, dtype] of UNARY) {
  test(`${op}: gradient matches central differences (${dtype})`, async () => {
    await check(op, dtype, { x: gen([3, 4]) }, (b, x) => b.op(op, [x.x]));
  });
}

test("LeakyRelu(alpha=0.2): gradient matches central differences (float64)", async () => {
  await check("LeakyRelu", "float64", { x: away([3, 4]) }, (b, x) => b.leakyRelu(x.x, 0.2));
});

// ---------------------------------------------------------------- broadcasting binaries

const SHAPE_PAIRS: [number[], number[]][] = [[[3, 4], [3, 4]], [[3, 4], [4]], [[3, 1], [1, 4]], [[2, 3, 4], [3, 1]], [[4], [2, 3, 4]], [[3, 4], []]];
for (const op of ["Add", "Sub", "Mul", "Div", "Pow"]) {
  for (const [sa, sb] of SHAPE_PAIRS) {
    test(`${op} [${sa}] ∘ [${sb}]: both gradients reduced to the input shapes (float64)`, async () => {
      const gen = op === "Pow" || op === "Div" ? pos : away;
      await check(op, "float64", { a: gen(sa), b: gen(sb) }, (b, x) => b.op(op, [x.a, x.b]));
    });
  }
}

test("Max with a scalar and Max/Min with broadcasting: the larger input gets the gradient (float64)", async () => {
  await check("Max scalar", "float64", { x: away([3, 4]) }, (b, x) => b.max([x.x, b.scalar(0, "float64")]));
  const a = away([3, 4]);
  const c = { shape: [4], data: awayFromZero(rng, 4, 0.05, 0.1) };
  await check("Max", "float64", { a, c }, (b, x) => b.max([x.a, x.c]));
  await check("Min", "float64", { a, c }, (b, x) => b.min([x.a, x.c]));
});

test("Sum of three inputs and Where with broadcasting (float64)", async () => {
  await check("Sum", "float64", { a: away([2, 3]), b: away([3]), c: away([2, 1]) }, (b, x) => b.sum([x.a, x.b, x.c]));
  await check("Where", "float64", { a: away([2, 3]), c: away([3]) }, (b, x) => b.where(b.greater(x.a, b.scalar(0, "float64")), x.a, x.c));
});

// ---------------------------------------------------------------- linear algebra

test("MatMul 2-D and batched with a broadcast right operand (float64)", async () => {
  await check("MatMul 2-D", "float64", { a: away([3, 4]), w: away([4, 5]) }, (b, x) => b.matmul(x.a, x.w));
  await check("MatMul 3-D", "float64", { a: away([2, 3, 4]), w: away([4, 5]) }, (b, x) => b.matmul(x.a, x.w));
});

for (const transA of [false, true]) {
  for (const transB of [false, true]) {
    test(`Gemm transA=${+transA} transB=${+transB} alpha=0.7 beta=1.3, C of shapes [5], [3,1], [3,5], [] (float64)`, async () => {
      const A = away(transA ? [4, 3] : [3, 4]);
      const B = away(transB ? [5, 4] : [4, 5]);
      for (const cs of [[5], [3, 1], [3, 5], []]) {
        await check(`Gemm C[${cs}]`, "float64", { A, B, C: away(cs) }, (b, x) => b.gemm(x.A, x.B, x.C, { alpha: 0.7, beta: 1.3, transA, transB }));
      }
      await check("Gemm no C", "float64", { A, B }, (b, x) => b.gemm(x.A, x.B, undefined, { transA, transB }));
    });
  }
}

// ---------------------------------------------------------------- reductions and shapes

test("ReduceSum (axes input) and ReduceMean (axes attribute), keepdims 0/1 (float64)", async () => {
  for (const [axes, keep] of [[[1], true], [[1], false], [[0, 2], false], [undefined, false], [[-1], true]] as [number[] | undefined, boolean][]) {
    await check(`ReduceSum ${axes} ${keep}`, "float64", { x: away([2, 3, 4]) }, (b, x) => b.reduceSum(x.x, axes, keep));
    await check(`ReduceMean ${axes} ${keep}`, "float64", { x: away([2, 3, 4]) }, (b, x) => b.reduceMean(x.x, axes, keep));
  }
});

test("ReduceMean over a symbolic batch dim counts rows at run time (float64)", async () => {
  await check("ReduceMean batch", "float64", { x: { shape: ["batch", 4], data: awayFromZero(rng, 12) } }, (b, x) => b.reduceMean(x.x, [0], false));
  await check("ReduceMean all", "float64", { x: { shape: ["batch", 4], data: awayFromZero(rng, 12) } }, (b, x) => b.reduceMean(x.x, undefined, false));
});

test("Reshape, Transpose, Unsqueeze, Squeeze, Expand (float64)", async () => {
  await check("Reshape", "float64", { x: away([2, 6]) }, (b, x) => b.mul(b.reshape(x.x, [3, -1]), b.constant([1, 2, 3, 4], [4], "float64")));
  await check("Transpose", "float64", { x: away([2, 3, 4]) }, (b, x) => b.transpose(x.x, [2, 0, 1]));
  await check("Unsqueeze/Squeeze", "float64", { x: away([3, 4]) }, (b, x) => b.squeeze(b.exp(b.unsqueeze(x.x, [0, 2])), [0]));
  await check("Expand", "float64", { x: away([3, 1]) }, (b, x) => b.op("Expand", [x.x, b.ints([2, 3, 4])]));
});

test("Concat, Split (one output unused), Slice, Pad (float64)", async () => {
  await check("Concat", "float64", { a: away([2, 3]), c: away([2, 2]) }, (b, x) => b.concat([x.a, x.c], 1));
  await check("Split", "float64", { x: away([4, 3]) }, (b, x) => {
    const [p, , r] = b.split(x.x, [1, 2, 1], 0);
    return b.mul(p, b.exp(r));
  });
  await check("Slice", "float64", { x: away([4, 5]) }, (b, x) => b.slice(x.x, [1, -4], [3, 4], [0, 1]));
  await check("Pad", "float64", { x: away([2, 3]) }, (b, x) => b.exp(b.pad(x.x, [1, 0, 0, 2])));
});

test("Cast float32 → float64 passes the gradient back in float32", async () => {
  await check("Cast", "float32", { x: away([3]) }, (b, x) => b.cast(b.mul(b.cast(x.x, "float64"), b.scalar(2, "float64")), "float32"));
});

// ---------------------------------------------------------------- whole graphs

function mlpLoss(b: Builder, x: Record<string, string>): string {
  const l1 = { W: x.W1, b: x.b1, inDim: 5, outDim: 4 };
  const l2 = { W: x.W2, b: x.b2, inDim: 4, outDim: 3 };
  const logits = linear(b, relu(b, linear(b, x.x, l1)), l2);
  return sumAll(b, bceWithLogits(b, logits, x.t));
}

for (const [dtype, unfused] of [["float64", false], ["float64", true], ["float32", false]] as [DType, boolean][]) {
  test(`MLP linear→relu→linear→BCE: all parameter gradients (${dtype}${unfused ? ", BCE unfused" : ""})`, async () => {
    const inputs: Record<string, FdInput> = {
      x: { shape: ["batch", 5], data: uniform(rng, 30, -1, 1), param: false },
      t: { shape: ["batch", 3], data: Array.from({ length: 18 }, () => (rng.uniform() < 0.5 ? 0 : 1)), param: false },
      W1: away([5, 4]), b1: { shape: [4], data: uniform(rng, 4, 0.2, 0.5) },
      W2: away([4, 3]), b2: away([3]),
    };
    await check("MLP", dtype, inputs, (b, x) => mlpLoss(b, x), { grad: { unfused } });
  });
}

test("tiny VAE loss: encoder → split → reparameterise → decoder → BCE + KL, all gradients (float64)", async () => {
  const inputs: Record<string, FdInput> = {
    x: { shape: ["batch", 4], data: uniform(rng, 8, 0, 1), param: false },
    eps: { shape: ["batch", 2], data: uniform(rng, 4, -1, 1), param: false },
    We: away([4, 4]), be: away([4]), Wd: away([2, 4]), bd: away([4]),
  };
  await check("VAE", "float64", inputs, (b, x) => {
    const [mu, logvar] = b.split(b.tanh(b.gemm(x.x, x.We, x.be)), [2, 2], 1);
    const z = reparameterize(b, mu, logvar, x.eps);
    const rec = b.reduceSum(bceWithLogits(b, b.gemm(z, x.Wd, x.bd), x.x), [1], false);
    return b.reduceMean(b.add(rec, klFromLogVar(b, mu, logvar)), undefined, false);
  });
});

test("BCE from logits: fused gradient (x and t) matches finite differences, also at |x| = 30 (float64)", async () => {
  const inputs = { x: { shape: [6], data: [-30, -3, -0.4, 0.7, 2, 30] }, t: { shape: [6], data: [1, 0, 0.3, 1, 0.5, 0] } };
  await check("BCE fused", "float64", inputs, (b, x) => bceWithLogits(b, x.x, x.t));
  await check("BCE unfused", "float64", inputs, (b, x) => bceWithLogits(b, x.x, x.t), { grad: { unfused: true } });
  await check("BCE broadcast t", "float64", { x: away([2, 3]), t: { shape: [3], data: [0, 1, 0.5] } }, (b, x) => bceWithLogits(b, x.x, x.t));
});

test("BCE fused gradient: 3 ops (Sigmoid, Sub, Mul) for the logits instead of the inner nodes' rules", () => {
  const b = new Builder("bce");
  const x = b.input("x", "float32", ["batch", 784]);
  const t = b.input("t", "float32", ["batch", 784]);
  const loss = sumAll(b, bceWithLogits(b, x, t));
  const before = b.graph.nodes.length;
  gradients(b, loss, [x]);
  const ops = b.graph.nodes.slice(before).map((nd) => nd.opType);
  // Shape + Expand broadcast the scalar upstream gradient to [batch,784] (batch is symbolic)
  assert.equal(ops.sort(), ["Expand", "Mul", "Shape", "Sigmoid", "Sub"]);
});

test("a value used twice: both uses' gradients are summed (float64)", async () => {
  // x·x (same tensor twice in one node), exp(x) (a third use), W shared by two Gemms
  await check("x·x + exp(x)", "float64", { x: away([3, 2]) }, (b, x) => b.add(b.mul(x.x, x.x), b.exp(x.x)));
  await check("shared W", "float64", { a: away([2, 3]), W: away([3, 3]) }, (b, x) => b.gemm(b.tanh(b.gemm(x.a, x.W)), x.W, undefined, { transB: true }));
});

test("broadcast bias gradient: one ReduceSum over the batch, right values (float64)", async () => {
  const bias = away([4]);
  await check("bias", "float64", { h: { ...away([3, 4]), param: false }, bias }, (b, x) => b.tanh(b.add(x.h, x.bias)));
  const b = new Builder("bias");
  const h = b.input("h", "float64", ["batch", 4]);
  const bi = b.input("bias", "float64", [4]);
  const loss = sumAll(b, b.tanh(b.add(h, bi)));
  const before = b.graph.nodes.length;
  const g = gradients(b, loss, [bi]).get(bi)!;
  const added = b.graph.nodes.slice(before);
  assert.equal(b.shape(g), [4]);
  assert.is(added.filter((nd) => nd.opType === "ReduceSum").length, 1);
  assert.is(added.filter((nd) => nd.opType === "Reshape").length, 0);
});

test("linear layer gradients are Gemms with trans flags, no Transpose nodes, no input gradient", () => {
  const b = new Builder("lin");
  const x = b.input("x", "float32", ["batch", 8]);
  const p1 = linearParams(b, "fc1", 8, 6), p2 = linearParams(b, "fc2", 6, 2);
  const loss = sumAll(b, linear(b, relu(b, linear(b, x, p1)), p2));
  const before = b.graph.nodes.length;
  gradients(b, loss, [p1.W, p1.b, p2.W, p2.b]);
  const ops = b.graph.nodes.slice(before).map((nd) => nd.opType);
  assert.is(ops.filter((o) => o === "Transpose").length, 0);
  // dW2, dh1, dW1 — no gradient for x, which is not a parameter
  assert.is(ops.filter((o) => o === "Gemm").length, 3);
});

test("an op without a rule throws `no gradient rule for op 'X'`", () => {
  const b = new Builder("norule");
  const x = b.input("x", "float64", [2]);
  const loss = sumAll(b, b.tanh(x));
  const rules = { ...GRAD_RULES };
  delete rules.Tanh;
  assert.throws(() => gradients(b, loss, [x], { rules }), /no gradient rule for op 'Tanh'/);
});

test("a parameter that does not reach the loss, and a non-scalar loss without seed, are errors", () => {
  const b = new Builder("bad");
  const x = b.input("x", "float64", [2]);
  const y = b.input("y", "float64", [2]);
  assert.throws(() => gradients(b, sumAll(b, b.exp(x)), [y]), /parameter 'y' does not affect/);
  assert.throws(() => gradients(b, b.exp(x), [x]), /not a scalar/);
});

test("stop: gradients do not flow through a stopped tensor", async () => {
  const b = new Builder("stop");
  const x = b.input("x", "float64", [3]);
  const e = b.exp(x);
  const loss = sumAll(b, b.mul(e, x));
  // with exp(x) held constant, dL/dx = exp(x) (instead of exp(x)·(1 + x))
  b.output(b.identity(gradients(b, loss, [x], { stop: [e] }).get(x)!, "dx"));
  const X = [0.3, -1.2, 2];
  const out = await runGraph(await sessionFor(b.graph), b.graph, { x: Float64Array.from(X) });
  X.forEach((v, i) => assert.ok(Math.abs(Number(out.dx[i]) - Math.exp(v)) < 1e-12, `dx[${i}] = ${out.dx[i]}`));
});

/** A rule that gives no gradient to any input without looking at the node (comparisons, Sign). */
function declaresNoGradient(rule: GradRule): boolean {
  const untouchable = new Proxy({}, { get: () => { throw new Error("the rule reads its context"); } }) as GradContext;
  try {
    return rule(untouchable).every((g) => g === null);
  } catch {
    return false;
  }
}

// Last in this file: the checks above recorded the rules they ran (FD_CHECKED_OPS).
test("every rule of GRAD_RULES ran inside a finite-difference check (or declares no gradient)", () => {
  const exempt = Object.keys(GRAD_RULES).filter((op) => declaresNoGradient(GRAD_RULES[op]));
  assert.ok(exempt.length < Object.keys(GRAD_RULES).length / 2, `rules without a gradient: ${exempt.join(", ")}`);
  const unchecked = Object.keys(GRAD_RULES).filter((op) => !exempt.includes(op) && !FD_CHECKED_OPS.has(op));
  assert.equal(unchecked, [], `gradient rules without a finite-difference check: ${unchecked.join(", ")}`);
});

test.run();
