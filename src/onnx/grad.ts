// Reverse-mode gradients emitted as ONNX nodes. The derivative rules are data (GRAD_RULES: one
// entry per op type); `gradients` walks the nodes that lead from the parameters to the loss in
// reverse topological order and sums the gradients of tensors used more than once.
// The math of every rule: docs/onnx-engine.md#rule-table.

import { Builder } from "./builder.js";
import { Dim, Node, TensorType, isFloat } from "./ir.js";
import { sliceParams } from "./ops.js";

/** What a rule sees: the node, the upstream gradient of each output, and helpers. */
export interface GradContext {
  b: Builder;
  node: Node;
  /** Upstream gradient of each output (null: that output does not reach the loss). */
  dy: (string | null)[];
  /** needs[i]: input i leads to a requested parameter (a rule may return null for the others). */
  needs: boolean[];
  /** Input / output tensor names and types. */
  x(i: number): string;
  y(i: number): string;
  type(name: string): TensorType;
  /** Sums gradient `g` over the axes that broadcasting added to input i, so it has input i's shape. */
  reduceTo(g: string, i: number): string;
}

/** One derivative rule: returns one gradient per input (null where there is none or none is needed). */
export type GradRule = (c: GradContext) => (string | null)[];

// ---------------------------------------------------------------- helpers used by the rules

/** Sums `g` (shape gShape) down to `shape`: leading axes dropped, size-1 axes kept (numpy broadcasting reversed). */
export function reduceToShape(b: Builder, g: string, shape: Dim[]): string {
  const gShape = b.shape(g);
  const lead = gShape.length - shape.length;
  const leadAxes = Array.from({ length: lead }, (_, i) => i);
  // an axis where the input has size 1 but the gradient does not was broadcast; a symbolic input
  // dim is assumed not to be a broadcast 1 (docs: broadcasting)
  const inner = shape.flatMap((d, i) => (d === 1 && gShape[lead + i] !== 1 ? [i] : []));
  let out = g;
  if (lead > 0) out = b.reduceSum(out, leadAxes, false);
  if (inner.length > 0) out = b.reduceSum(out, inner, true);
  return out;
}

/** A tensor holding `shape` for Expand: a constant when static, else Shape(like). */
function expandShape(b: Builder, shape: Dim[], like: string): string {
  return shape.every((d) => typeof d === "number") ? b.ints(shape as number[]) : b.op("Shape", [like]);
}

/** A tensor holding `shape` for Reshape: a constant (one symbolic dim becomes −1), else Shape(like). */
function reshapeTarget(b: Builder, shape: Dim[], like: string): string {
  const syms = shape.filter((d) => typeof d !== "number").length;
  return syms <= 1 ? b.ints(shape.map((d) => (typeof d === "number" ? d : -1))) : b.op("Shape", [like]);
}

/** Zeros with the type of tensor `like` (an Expand of a scalar, never a big initializer). */
function zerosLike(b: Builder, like: string): string {
  return b.op("Expand", [b.scalarLike(0, like), expandShape(b, b.shape(like), like)]);
}

/** Gradient of a reduction: dy (reduced shape) broadcast back to x's shape, times `scale`. */
function unreduce(c: GradContext, axes: number[] | undefined, keepdims: boolean, scale: string | null): string {
  const { b } = c;
  const x = c.x(0);
  const rank = b.shape(x).length;
  const all = !axes || axes.length === 0 ? Array.from({ length: rank }, (_, i) => i) : axes.map((a) => (a < 0 ? a + rank : a));
  let g = c.dy[0]!;
  if (scale) g = b.mul(g, scale);
  // a scalar broadcasts as it is; otherwise put the reduced axes back as size 1
  if (!keepdims && b.shape(g).length !== rank && b.shape(g).length > 0) g = b.unsqueeze(g, [...all].sort((p, q) => p - q));
  return b.op("Expand", [g, expandShape(b, b.shape(x), x)]);
}

/** 1/N for a mean over `axes` of x: a constant when the reduced dims are static, else Size(y)/Size(x). */
function inverseCount(c: GradContext, axes: number[] | undefined): string {
  const { b } = c;
  const shape = b.shape(c.x(0));
  const all = !axes || axes.length === 0 ? shape.map((_, i) => i) : axes.map((a) => (a < 0 ? a + shape.length : a));
  const dims = all.map((a) => shape[a]);
  if (dims.every((d) => typeof d === "number")) return b.scalarLike(1 / (dims as number[]).reduce((p, q) => p * q, 1), c.x(0));
  // 1/N = |y| / |x| counted at run time
  const count = (t: string) => b.cast(b.op("Size", [t]), b.dtype(c.x(0)));
  return b.div(count(c.y(0)), count(c.x(0)));
}

function attr(node: Node, name: string, dflt: number): number {
  const v = node.attrs[name];
  return v === undefined ? dflt : (v as number);
}

/** Rule for a 2-input elementwise op with broadcasting: local(dy) gives each input's unreduced gradient. */
function binary(da: (c: GradContext, dy: string) => string, db: (c: GradContext, dy: string) => string, negateB = false): GradRule {
  return (c) => {
    const dy = c.dy[0]!;
    const ga = c.needs[0] ? c.reduceTo(da(c, dy), 0) : null;
    let gb = c.needs[1] ? c.reduceTo(db(c, dy), 1) : null;
    // negate after the reduction: it touches fewer elements
    if (gb && negateB) gb = c.b.neg(gb);
    return [ga, gb];
  };
}

/** Gradient of max/min of two inputs: the winner gets dy (ties go to the first input). */
function select(lose: "Less" | "Greater"): GradRule {
  return (c) => {
    if (c.node.inputs.length !== 2) throw new Error(`gradient of ${c.node.opType} supports exactly 2 inputs`);
    const { b } = c;
    const dy = c.dy[0]!;
    const bWins = b.op(lose, [c.x(0), c.x(1)]);
    const zero = b.scalarLike(0, dy);
    return [
      c.needs[0] ? c.reduceTo(b.where(bWins, zero, dy), 0) : null,
      c.needs[1] ? c.reduceTo(b.where(bWins, dy, zero), 1) : null,
    ];
  };
}

// ---------------------------------------------------------------- the rule table

/** Derivative rules: op type → rule. Math per rule: docs/onnx-engine.md#rule-table. */
export const GRAD_RULES: Record<string, GradRule> = {
  Identity: (c) => [c.dy[0]],
  Neg: (c) => [c.b.neg(c.dy[0]!)],
  Exp: (c) => [c.b.mul(c.dy[0]!, c.y(0))],
  Log: (c) => [c.b.div(c.dy[0]!, c.x(0))],
  // Where/Greater instead of Mul by Sign: onnxruntime's Sign kernel is scalar and ~4× slower
  Abs: (c) => [c.b.where(c.b.greater(c.x(0), c.b.scalarLike(0, c.x(0))), c.dy[0]!, c.b.neg(c.dy[0]!))],
  Sqrt: (c) => [c.b.div(c.b.mul(c.dy[0]!, c.b.scalarLike(0.5, c.x(0))), c.y(0))],
  Reciprocal: (c) => [c.b.neg(c.b.mul(c.dy[0]!, c.b.mul(c.y(0), c.y(0))))],
  // y = relu(x): y > 0 exactly where x > 0
  Relu: (c) => [c.b.where(c.b.greater(c.y(0), c.b.scalarLike(0, c.y(0))), c.dy[0]!, c.b.scalarLike(0, c.y(0)))],
  LeakyRelu: (c) => {
    const { b } = c;
    const dy = c.dy[0]!;
    const pos = b.greater(c.x(0), b.scalarLike(0, c.x(0)));
    return [b.where(pos, dy, b.mul(dy, b.scalarLike(attr(c.node, "alpha", 0.01), dy)))];
  },
  Sigmoid: (c) => [c.b.mul(c.dy[0]!, c.b.mul(c.y(0), c.b.sub(c.b.scalarLike(1, c.y(0)), c.y(0))))],
  Tanh: (c) => [c.b.mul(c.dy[0]!, c.b.sub(c.b.scalarLike(1, c.y(0)), c.b.mul(c.y(0), c.y(0))))],
  Softplus: (c) => [c.b.mul(c.dy[0]!, c.b.sigmoid(c.x(0)))],
  // piecewise-constant ops: zero gradient almost everywhere
  Sign: () => [null],
  Greater: () => [null, null],
  Less: () => [null, null],
  Equal: () => [null, null],
  Cast: (c) => (isFloat(c.type(c.y(0)).dtype) && isFloat(c.type(c.x(0)).dtype) ? [c.b.cast(c.dy[0]!, c.type(c.x(0)).dtype)] : [null]),

  Add: binary((_, dy) => dy, (_, dy) => dy),
  Sub: binary((_, dy) => dy, (_, dy) => dy, true),
  Mul: binary((c, dy) => c.b.mul(dy, c.x(1)), (c, dy) => c.b.mul(dy, c.x(0))),
  // y = a/b: ∂y/∂a = 1/b, ∂y/∂b = −y/b
  Div: binary((c, dy) => c.b.div(dy, c.x(1)), (c, dy) => c.b.div(c.b.mul(dy, c.y(0)), c.x(1)), true),
  // y = a^b: ∂y/∂a = b·y/a, ∂y/∂b = y·ln a
  Pow: binary((c, dy) => c.b.mul(dy, c.b.div(c.b.mul(c.x(1), c.y(0)), c.x(0))), (c, dy) => c.b.mul(dy, c.b.mul(c.y(0), c.b.log(c.x(0))))),
  Sum: (c) => c.node.inputs.map((_, i) => (c.needs[i] ? c.reduceTo(c.dy[0]!, i) : null)),
  Max: select("Less"),
  Min: select("Greater"),
  Where: (c) => {
    const { b } = c;
    const dy = c.dy[0]!;
    const zero = b.scalarLike(0, dy);
    return [
      null,
      c.needs[1] ? c.reduceTo(b.where(c.x(0), dy, zero), 1) : null,
      c.needs[2] ? c.reduceTo(b.where(c.x(0), zero, dy), 2) : null,
    ];
  },

  // Y = A·B: dA = dY·Bᵀ, dB = Aᵀ·dY (2-D through Gemm's trans flags, no Transpose nodes)
  MatMul: (c) => {
    const { b } = c;
    const dy = c.dy[0]!;
    const [a, w] = [c.x(0), c.x(1)];
    if (b.shape(a).length === 2 && b.shape(w).length === 2)
      return [c.needs[0] ? b.gemm(dy, w, undefined, { transB: true }) : null, c.needs[1] ? b.gemm(a, dy, undefined, { transA: true }) : null];
    const swap = (t: string) => {
      const r = b.shape(t).length;
      return b.transpose(t, [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2]);
    };
    return [c.needs[0] ? c.reduceTo(b.matmul(dy, swap(w)), 0) : null, c.needs[1] ? c.reduceTo(b.matmul(swap(a), dy), 1) : null];
  },
  // Y = α·A'·B' + β·C with A' = op(A), B' = op(B): dA' = α·dY·B'ᵀ, dB' = α·A'ᵀ·dY, dC = β·dY summed to C's shape
  Gemm: (c) => {
    const { b, node } = c;
    const dy = c.dy[0]!;
    const [A, B] = [c.x(0), c.x(1)];
    const alpha = attr(node, "alpha", 1), beta = attr(node, "beta", 1);
    const tA = attr(node, "transA", 0) !== 0, tB = attr(node, "transB", 0) !== 0;
    const dA = !c.needs[0] ? null
      : !tA ? b.gemm(dy, B, undefined, { alpha, transB: !tB })
      : b.gemm(B, dy, undefined, { alpha, transA: tB, transB: true });
    const dB = !c.needs[1] ? null
      : !tB ? b.gemm(A, dy, undefined, { alpha, transA: !tA })
      : b.gemm(dy, A, undefined, { alpha, transA: true, transB: tA });
    let dC: string | null = null;
    if (node.inputs[2] && c.needs[2]) {
      dC = c.reduceTo(dy, 2);
      if (beta !== 1) dC = b.mul(dC, b.scalarLike(beta, dC));
    }
    return [dA, dB, dC];
  },

  ReduceSum: (c) => {
    const axes = c.node.inputs[1] ? c.b.graph.constValue(c.node.inputs[1]) : undefined;
    if (!axes?.length && attr(c.node, "noop_with_empty_axes", 0)) return [c.dy[0], null];
    return [unreduce(c, axes, attr(c.node, "keepdims", 1) !== 0, null), null];
  },
  ReduceMean: (c) => {
    const axes = c.node.attrs.axes as number[] | undefined;
    return [unreduce(c, axes, attr(c.node, "keepdims", 1) !== 0, inverseCount(c, axes))];
  },

  Reshape: (c) => [c.b.op("Reshape", [c.dy[0]!, reshapeTarget(c.b, c.b.shape(c.x(0)), c.x(0))]), null],
  Transpose: (c) => {
    const r = c.b.shape(c.x(0)).length;
    const perm = (c.node.attrs.perm as number[] | undefined) ?? Array.from({ length: r }, (_, i) => r - 1 - i);
    const inv = new Array<number>(r);
    perm.forEach((p, i) => (inv[p] = i));
    return [c.b.transpose(c.dy[0]!, inv)];
  },
  Unsqueeze: (c) => [c.b.op("Squeeze", [c.dy[0]!, c.node.inputs[1]]), null],
  Squeeze: (c) => {
    const shape = c.b.shape(c.x(0));
    const axes = c.node.inputs[1] ? c.b.graph.constValue(c.node.inputs[1])!.map((a) => (a < 0 ? a + shape.length : a)) : shape.flatMap((d, i) => (d === 1 ? [i] : []));
    return [c.b.unsqueeze(c.dy[0]!, axes), null];
  },
  Expand: (c) => [c.reduceTo(c.dy[0]!, 0), null],
  Concat: (c) => {
    const axis = attr(c.node, "axis", 0);
    const sizes = c.node.inputs.map((i) => c.b.shape(i).at(axis)!);
    if (sizes.some((s) => typeof s !== "number")) throw new Error("gradient of Concat needs static sizes along the axis");
    return c.b.split(c.dy[0]!, sizes as number[], axis);
  },
  Split: (c) => {
    const axis = attr(c.node, "axis", 0);
    const parts = c.node.outputs.map((y, k) => c.dy[k] ?? zerosLike(c.b, y));
    return [c.b.concat(parts, axis), null];
  },
  // the gradient of a slice is dy zero-padded back into the input's shape
  Slice: (c) => {
    const shape = c.b.shape(c.x(0));
    const p = sliceParams(c.b.graph, c.node, shape);
    const begin: number[] = [], end: number[] = [];
    shape.forEach((d, i) => {
      if (p.starts[i] === 0 && p.ends[i] >= 2 ** 61 && p.steps[i] === 1) return void (begin.push(0), end.push(0));
      if (p.steps[i] !== 1 || typeof d !== "number") throw new Error("gradient of Slice supports step 1 on static dims only");
      const s = Math.min(Math.max(p.starts[i] < 0 ? p.starts[i] + d : p.starts[i], 0), d);
      const e = Math.min(Math.max(p.ends[i] < 0 ? p.ends[i] + d : p.ends[i], s), d);
      begin.push(s);
      end.push(d - e);
    });
    return [c.b.pad(c.dy[0]!, [...begin, ...end]), null, null, null, null];
  },
  Pad: (c) => {
    const shape = c.b.shape(c.x(0));
    const pads = c.b.graph.constValue(c.node.inputs[1])!;
    const r = shape.length;
    const axes = shape.flatMap((_, i) => (pads[i] || pads[i + r] ? [i] : []));
    if (axes.some((a) => typeof shape[a] !== "number")) throw new Error("gradient of Pad needs static padded dims");
    return [c.b.slice(c.dy[0]!, axes.map((a) => pads[a]), axes.map((a) => pads[a] + (shape[a] as number)), axes), null];
  },
};

// ---------------------------------------------------------------- the backward walk

/** Options of `gradients`. */
export interface GradOptions {
  /** Gradient fed into `loss` (default: the constant 1; required when loss is not a scalar). */
  seed?: string;
  /** Tensors treated as constants (gradients stop there), e.g. a GAN's detached fake batch. */
  stop?: string[];
  /** Rule table to use (default GRAD_RULES). */
  rules?: Record<string, GradRule>;
  /** Ignore the blocks' fused gradients and differentiate their inner nodes (for tests). */
  unfused?: boolean;
}

/** Emits d loss / d p for each p in `wrt` (graph inputs or initializers); returns p → gradient tensor name. */
export function gradients(b: Builder, loss: string, wrt: string[], opts: GradOptions = {}): Map<string, string> {
  const g = b.graph;
  const rules = opts.rules ?? GRAD_RULES;
  const stop = new Set(opts.stop ?? []);
  for (const p of wrt) {
    if (!g.types.has(p)) throw new Error(`gradients: unknown parameter '${p}'`);
    if (!isFloat(g.typeOf(p).dtype)) throw new Error(`gradients: parameter '${p}' is not floating point`);
  }

  // forward: tensors that depend on a parameter
  const active = new Set(wrt);
  const forward: Node[] = [];
  for (const n of g.nodes) {
    if (n.inputs.some((i) => active.has(i) && !stop.has(i))) {
      forward.push(n);
      for (const o of n.outputs) if (isFloat(g.typeOf(o).dtype)) active.add(o);
    }
  }
  // backward: of those nodes, the ones that reach the loss
  const reaches = new Set([loss]);
  const path: Node[] = [];
  for (let k = forward.length - 1; k >= 0; k--) {
    const n = forward[k];
    if (n.outputs.some((o) => reaches.has(o))) {
      path.push(n);
      for (const i of n.inputs) if (i && active.has(i) && !stop.has(i)) reaches.add(i);
    }
  }
  for (const p of wrt) if (!reaches.has(p)) throw new Error(`gradients: parameter '${p}' does not affect '${loss}'`);

  const contrib = new Map<string, string[]>();
  const add = (t: string, gr: string) => (contrib.get(t) ?? contrib.set(t, []).get(t)!).push(gr);
  const total = (t: string): string | null => {
    const cs = contrib.get(t);
    if (!cs) return null;
    const s = b.sum(cs);
    contrib.set(t, [s]);
    return s;
  };
  return b.withScope("grad", () => {
    if (opts.seed) add(loss, opts.seed);
    else {
      if (b.shape(loss).length !== 0) throw new Error(`gradients: loss '${loss}' is not a scalar; pass opts.seed`);
      add(loss, b.scalarLike(1, loss));
    }
    for (const node of path) {
      const dy = node.outputs.map(total);
      if (dy.every((d) => d === null)) continue;
      const fused = opts.unfused ? undefined : g.fusedGrads.get(node.outputs[0]);
      if (fused) {
        // a composite block: its rule maps d/d(output) straight to its inputs
        const want = fused.inputs.map((i) => reaches.has(i) && !stop.has(i));
        fused.rule(dy[0]!, want).forEach((gr, i) => {
          if (gr && want[i]) add(fused.inputs[i], reduceToShape(b, gr, g.typeOf(fused.inputs[i]).shape));
        });
        continue;
      }
      const rule = rules[node.opType];
      if (!rule) throw new Error(`no gradient rule for op '${node.opType}'`);
      const needs = node.inputs.map((i) => !!i && reaches.has(i));
      const ctx: GradContext = {
        b, node, dy, needs,
        x: (i) => node.inputs[i],
        y: (i) => node.outputs[i],
        type: (name) => g.typeOf(name),
        reduceTo: (gr, i) => reduceToShape(b, gr, g.typeOf(node.inputs[i]).shape),
      };
      const grads = rule(ctx);
      grads.forEach((gr, i) => {
        if (gr && needs[i]) add(node.inputs[i], gr);
      });
    }
    return new Map(wrt.map((p) => [p, total(p)!]));
  });
}
