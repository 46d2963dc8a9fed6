// The opset-17 operators the engine knows, each with its static type inference. validate.ts
// rejects any other op type; builder.ts calls `infer` for every node it adds.

import { Dim, DType, Graph, Node, TensorType, shapeStr } from "./ir.js";

/** Infers output types from input types ("" inputs arrive as undefined). */
export type InferFn = (ins: (TensorType | undefined)[], node: Node, g: Graph) => TensorType[];

// ---------------------------------------------------------------- shape helpers

/** Numpy broadcast of two shapes. A symbolic dim against 1 wins; two different symbols are an error. */
export function broadcastShapes(a: Dim[], b: Dim[]): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    // a symbol against a number: the symbol is taken to equal that number at run time
    else if (typeof x === "string" && typeof y === "number") out.push(y);
    else if (typeof y === "string" && typeof x === "number") out.push(x);
    else throw new Error(`cannot broadcast ${shapeStr(a)} with ${shapeStr(b)}`);
  }
  return out;
}

function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

function need(t: TensorType | undefined, node: Node, i: number): TensorType {
  if (!t) throw new Error(`${node.opType} '${node.name}': input ${i} is required`);
  return t;
}

function constInput(g: Graph, node: Node, i: number): number[] {
  const v = g.constValue(node.inputs[i]);
  if (!v) throw new Error(`${node.opType} '${node.name}': input ${i} ('${node.inputs[i]}') must be an initializer`);
  return v;
}

function attrInts(node: Node, name: string): number[] | undefined {
  const v = node.attrs[name];
  return v === undefined ? undefined : (v as number[]);
}

function attrNum(node: Node, name: string, dflt: number): number {
  const v = node.attrs[name];
  return v === undefined ? dflt : (v as number);
}

function reduceShape(shape: Dim[], axes: number[] | undefined, keepdims: boolean): Dim[] {
  const set = new Set((axes && axes.length ? axes : shape.map((_, i) => i)).map((a) => normAxis(a, shape.length)));
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!set.has(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

/** Output shape of Reshape: 0 copies the input dim, -1 is inferred (symbol-aware). */
export function reshapeShape(input: Dim[], target: number[]): Dim[] {
  const out: Dim[] = target.map((t, i) => (t === 0 ? input[i] : t));
  const minus = target.indexOf(-1);
  if (minus < 0) return out;
  let num = 1;
  const syms: string[] = [];
  for (const d of input) typeof d === "number" ? (num *= d) : syms.push(d);
  let den = 1;
  out.forEach((d, i) => {
    if (i === minus) return;
    if (typeof d === "number") den *= d;
    else {
      const k = syms.indexOf(d);
      if (k < 0) throw new Error(`reshape ${shapeStr(input)} to [${target}]: cannot infer -1`);
      syms.splice(k, 1);
    }
  });
  if (syms.length === 0 && num % den === 0) out[minus] = num / den;
  else if (syms.length === 1 && num === den) out[minus] = syms[0];
  else throw new Error(`reshape ${shapeStr(input)} to [${target}]: cannot infer -1`);
  return out;
}

const BIG = 2 ** 62;

/** Output dim of a Slice along one axis (ONNX clamping rules); symbolic dims only for full ranges. */
function sliceDim(d: Dim, start: number, end: number, step: number): Dim {
  if (typeof d === "string") {
    if (start === 0 && end >= BIG / 2 && step === 1) return d;
    throw new Error(`Slice of symbolic dim '${d}' needs a static size`);
  }
  if (step === 0) throw new Error("Slice step 0");
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  if (step > 0) {
    s = clamp(s, 0, d);
    e = clamp(e, 0, d);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  s = clamp(s, -1, d - 1);
  e = clamp(e, -1, d - 1);
  return Math.max(0, Math.ceil((s - e) / -step));
}

/** Normalised Slice parameters of a node: per-axis start/end/step over all axes of `shape`. */
export function sliceParams(g: Graph, node: Node, shape: Dim[]): { starts: number[]; ends: number[]; steps: number[] } {
  const starts = constInput(g, node, 1);
  const ends = constInput(g, node, 2);
  const axes = node.inputs[3] ? constInput(g, node, 3) : starts.map((_, i) => i);
  const steps = node.inputs[4] ? constInput(g, node, 4) : starts.map(() => 1);
  const r = shape.length;
  const out = { starts: new Array(r).fill(0), ends: new Array(r).fill(BIG), steps: new Array(r).fill(1) };
  axes.forEach((a, i) => {
    const ax = normAxis(a, r);
    out.starts[ax] = starts[i];
    out.ends[ax] = Math.min(ends[i], BIG);
    out.steps[ax] = steps[i];
  });
  return out;
}

// ---------------------------------------------------------------- the table

const same: InferFn = (ins, node) => [need(ins[0], node, 0)];
const toBool: InferFn = (ins, node) => [{ dtype: "bool", shape: broadcastShapes(need(ins[0], node, 0).shape, need(ins[1], node, 1).shape) }];
const broadcastN: InferFn = (ins, node) => {
  const ts = ins.map((t, i) => need(t, node, i));
  return [{ dtype: ts[0].dtype, shape: ts.map((t) => t.shape).reduce(broadcastShapes) }];
};

/** ONNX TensorProto.DataType code of each dtype the engine emits. */
export const DTYPE_CODES: Record<DType, number> = { float32: 1, float64: 11, int64: 7, uint16: 4, bool: 9 };
const BY_CODE = new Map(Object.entries(DTYPE_CODES).map(([k, v]) => [v, k as DType]));

/** Every op the engine may emit (default ONNX domain, opset 17) → type inference. */
export const OPS: Record<string, InferFn> = {
  // elementwise, one input
  Identity: same, Neg: same, Exp: same, Log: same, Abs: same, Sqrt: same, Reciprocal: same,
  Relu: same, LeakyRelu: same, Sigmoid: same, Tanh: same, Softplus: same, Sign: same, Not: same,
  Cast: (ins, node) => {
    const to = BY_CODE.get(attrNum(node, "to", 0));
    if (!to) throw new Error(`Cast '${node.name}': unsupported 'to'`);
    return [{ dtype: to, shape: need(ins[0], node, 0).shape }];
  },
  // elementwise with numpy broadcasting
  Add: broadcastN, Sub: broadcastN, Mul: broadcastN, Div: broadcastN, Pow: broadcastN,
  Max: broadcastN, Min: broadcastN, Sum: broadcastN,
  Greater: toBool, Less: toBool, Equal: toBool,
  Where: (ins, node) => {
    const [c, x, y] = [0, 1, 2].map((i) => need(ins[i], node, i));
    return [{ dtype: x.dtype, shape: broadcastShapes(c.shape, broadcastShapes(x.shape, y.shape)) }];
  },
  // linear algebra
  MatMul: (ins, node) => {
    const a = need(ins[0], node, 0), b = need(ins[1], node, 1);
    if (a.shape.length < 2 || b.shape.length < 2) throw new Error(`MatMul '${node.name}': engine supports rank ≥ 2 only`);
    const [m, k1] = a.shape.slice(-2), [k2, n] = b.shape.slice(-2);
    if (typeof k1 === "number" && typeof k2 === "number" && k1 !== k2)
      throw new Error(`MatMul '${node.name}': ${shapeStr(a.shape)} × ${shapeStr(b.shape)} inner dims differ`);
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    return [{ dtype: a.dtype, shape: [...batch, m, n] }];
  },
  Gemm: (ins, node) => {
    const a = need(ins[0], node, 0), b = need(ins[1], node, 1);
    if (a.shape.length !== 2 || b.shape.length !== 2) throw new Error(`Gemm '${node.name}': A and B must be 2-D`);
    const [m, k1] = attrNum(node, "transA", 0) ? [a.shape[1], a.shape[0]] : a.shape;
    const [k2, n] = attrNum(node, "transB", 0) ? [b.shape[1], b.shape[0]] : b.shape;
    if (typeof k1 === "number" && typeof k2 === "number" && k1 !== k2)
      throw new Error(`Gemm '${node.name}': inner dims ${k1} and ${k2} differ`);
    if (ins[2]) broadcastShapes([m, n], ins[2].shape); // C must broadcast to [M,N]
    return [{ dtype: a.dtype, shape: [m, n] }];
  },
  // reductions: ReduceSum takes axes as an input (opset 13), ReduceMean as an attribute (until opset 18)
  ReduceSum: (ins, node, g) => {
    const x = need(ins[0], node, 0);
    const axes = node.inputs[1] ? constInput(g, node, 1) : undefined;
    if (!axes?.length && attrNum(node, "noop_with_empty_axes", 0)) return [x];
    return [{ dtype: x.dtype, shape: reduceShape(x.shape, axes, attrNum(node, "keepdims", 1) !== 0) }];
  },
  ReduceMean: (ins, node) => {
    const x = need(ins[0], node, 0);
    return [{ dtype: x.dtype, shape: reduceShape(x.shape, attrInts(node, "axes"), attrNum(node, "keepdims", 1) !== 0) }];
  },
  // shape manipulation
  Reshape: (ins, node, g) => [{ dtype: need(ins[0], node, 0).dtype, shape: g.shapeValue(node.inputs[1]) ?? reshapeShape(ins[0]!.shape, constInput(g, node, 1)) }],
  Transpose: (ins, node) => {
    const x = need(ins[0], node, 0);
    const perm = attrInts(node, "perm") ?? x.shape.map((_, i) => x.shape.length - 1 - i);
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }];
  },
  Unsqueeze: (ins, node, g) => {
    const x = need(ins[0], node, 0);
    const axes = constInput(g, node, 1);
    const r = x.shape.length + axes.length;
    const set = new Set(axes.map((a) => normAxis(a, r)));
    const out: Dim[] = [];
    for (let i = 0, j = 0; i < r; i++) out.push(set.has(i) ? 1 : x.shape[j++]);
    return [{ dtype: x.dtype, shape: out }];
  },
  Squeeze: (ins, node, g) => {
    const x = need(ins[0], node, 0);
    const axes = node.inputs[1] ? constInput(g, node, 1).map((a) => normAxis(a, x.shape.length)) : undefined;
    return [{ dtype: x.dtype, shape: x.shape.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)) }];
  },
  Expand: (ins, node, g) => {
    const x = need(ins[0], node, 0);
    return [{ dtype: x.dtype, shape: broadcastShapes(x.shape, g.shapeValue(node.inputs[1]) ?? constInput(g, node, 1)) }];
  },
  Shape: (ins, node, g) => {
    const x = need(ins[0], node, 0);
    // opset 15: optional start/end (negative counts from the back), clamped like Slice
    const r = x.shape.length;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const dims = x.shape.slice(clamp(attrNum(node, "start", 0)), clamp(attrNum(node, "end", r)));
    g.shapeValues.set(node.outputs[0], dims);
    return [{ dtype: "int64", shape: [dims.length] }];
  },
  Size: (ins, node) => (need(ins[0], node, 0), [{ dtype: "int64", shape: [] }]),
  Concat: (ins, node, g) => {
    const ts = ins.map((t, i) => need(t, node, i));
    const ax = normAxis(attrNum(node, "axis", 0), ts[0].shape.length);
    const shape = [...ts[0].shape];
    const sizes = ts.map((t) => t.shape[ax]);
    shape[ax] = sizes.every((s) => typeof s === "number") ? (sizes as number[]).reduce((p, q) => p + q, 0) : concatSymbolic(sizes);
    // joined shape tensors (Shape slices and int64 constants) keep their symbolic value
    const parts = ts[0].dtype === "int64" && shape.length === 1 ? node.inputs.map((i) => g.shapeValue(i) ?? g.constValue(i)) : [];
    if (parts.length && parts.every((v) => v !== undefined)) g.shapeValues.set(node.outputs[0], parts.flat() as Dim[]);
    return [{ dtype: ts[0].dtype, shape }];
  },
  Split: (ins, node, g) => {
    const x = need(ins[0], node, 0);
    const ax = normAxis(attrNum(node, "axis", 0), x.shape.length);
    const d = x.shape[ax];
    let sizes: number[];
    if (node.inputs[1]) sizes = constInput(g, node, 1);
    else {
      if (typeof d !== "number" || d % node.outputs.length) throw new Error(`Split '${node.name}': cannot split dim ${d} evenly`);
      sizes = node.outputs.map(() => d / node.outputs.length);
    }
    if (typeof d === "number" && sizes.reduce((p, q) => p + q, 0) !== d) throw new Error(`Split '${node.name}': sizes [${sizes}] do not add up to ${d}`);
    return sizes.map((s) => ({ dtype: x.dtype, shape: x.shape.map((dd, i) => (i === ax ? s : dd)) }));
  },
  Gather: (ins, node) => {
    const x = need(ins[0], node, 0), idx = need(ins[1], node, 1);
    if (idx.dtype !== "int64") throw new Error(`Gather '${node.name}': indices must be int64`);
    const ax = normAxis(attrNum(node, "axis", 0), x.shape.length);
    return [{ dtype: x.dtype, shape: [...x.shape.slice(0, ax), ...idx.shape, ...x.shape.slice(ax + 1)] }];
  },
  Slice: (ins, node, g) => {
    const x = need(ins[0], node, 0);
    const p = sliceParams(g, node, x.shape);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (p.starts[i] === 0 && p.ends[i] >= BIG / 2 && p.steps[i] === 1 ? d : sliceDim(d, p.starts[i], p.ends[i], p.steps[i]))) }];
  },
  Loop: inferLoop,
  Pad: (ins, node, g) => {
    const x = need(ins[0], node, 0);
    const pads = constInput(g, node, 1);
    const r = x.shape.length;
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => {
      const extra = pads[i] + pads[i + r];
      if (extra === 0) return d;
      if (typeof d !== "number") throw new Error(`Pad '${node.name}': symbolic dim '${d}' cannot be padded`);
      return d + extra;
    }) }];
  },
};

/**
 * Loop (opset 16): inputs [M, cond, v_initial…], body inputs [iteration, cond, v…], body outputs
 * [cond, v…, scan…]; outputs [v_final…, scan…], each scan output with the trip count M prepended.
 * M must be a constant or come from `Shape` (its value names the scan dim, e.g. "steps").
 */
function inferLoop(ins: (TensorType | undefined)[], node: Node, g: Graph): TensorType[] {
  const body = node.attrs.body;
  if (!(body instanceof Graph)) throw new Error(`Loop '${node.name}': no body graph`);
  const carried = node.inputs.length - 2;
  if (body.inputs.length !== carried + 2) throw new Error(`Loop '${node.name}': body has ${body.inputs.length} inputs, expected ${carried + 2} (iteration, cond, ${carried} carried)`);
  if (body.outputs.length < carried + 1) throw new Error(`Loop '${node.name}': body has ${body.outputs.length} outputs, expected at least ${carried + 1}`);
  if (node.outputs.length !== body.outputs.length - 1) throw new Error(`Loop '${node.name}': ${node.outputs.length} outputs for ${body.outputs.length - 1} body outputs after cond`);
  for (let i = 0; i < carried; i++) {
    const init = need(ins[i + 2], node, i + 2), out = body.typeOf(body.outputs[i + 1]);
    if (init.dtype !== out.dtype || init.shape.length !== out.shape.length)
      throw new Error(`Loop '${node.name}': carried value ${i} is ${init.dtype}${shapeStr(init.shape)} in, ${out.dtype}${shapeStr(out.shape)} out of the body`);
  }
  const trips = node.inputs[0] ? (g.constValue(node.inputs[0])?.[0] ?? g.shapeValue(node.inputs[0])?.[0]) : undefined;
  if (trips === undefined) throw new Error(`Loop '${node.name}': the trip count must be a constant or come from Shape`);
  return body.outputs.slice(1).map((o, k) => {
    const t = body.typeOf(o);
    return k < carried ? { dtype: t.dtype, shape: [...t.shape] } : { dtype: t.dtype, shape: [trips, ...t.shape] };
  });
}

function concatSymbolic(sizes: Dim[]): Dim {
  // symbolic concat dims: only a single non-zero operand can be symbolic
  const nonzero = sizes.filter((s) => s !== 0);
  if (nonzero.length === 1) return nonzero[0];
  throw new Error(`Concat of symbolic dims [${sizes.join(",")}] is not supported`);
}
