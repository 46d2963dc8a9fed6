// Typed helpers that add nodes to a Graph. Every helper takes tensor names and returns the name of
// what it made; types are inferred on the spot (ops.ts), so a shape error surfaces at the line that
// caused it. Constants become initializers (deduplicated). Design: docs/onnx-engine.md.

import { AttrValue, Dim, DType, Graph, Initializer, Node, TensorType, shapeStr } from "./ir.js";
import { DTYPE_CODES, OPS } from "./ops.js";

/** Attribute names whose values are ONNX INT/INTS (all others numbers are FLOAT/FLOATS). */
const INT_ATTRS = new Set(["transA", "transB", "keepdims", "noop_with_empty_axes", "axis", "axes", "perm", "to", "allowzero", "start", "end"]);

/** Options of `Builder.node`. */
export interface NodeOptions {
  /** Exact output names (must be free); default: fresh names from the scope + `hint`. */
  names?: string[];
  /** Base of fresh output names (default: the op type). */
  hint?: string;
  /** Number of outputs (default 1, or `names.length`). */
  outputs?: number;
  /** Base of the node's name (default: the scope + `hint`). */
  nodeName?: string;
}

/** Gemm attributes: Y = alpha·op(A)·op(B) + beta·C. */
export interface GemmOptions {
  alpha?: number;
  beta?: number;
  transA?: boolean;
  transB?: boolean;
  name?: string;
}

type TypedData = Float32Array | Float64Array | BigInt64Array | Uint16Array | Uint8Array;

const CTORS = { float32: Float32Array, float64: Float64Array, int64: BigInt64Array, uint16: Uint16Array, bool: Uint8Array };

function makeData(dtype: DType, values: ArrayLike<number>): TypedData {
  switch (dtype) {
    case "float32": return Float32Array.from(values);
    case "float64": return Float64Array.from(values);
    case "int64": return BigInt64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v))));
    case "uint16": return Uint16Array.from(values);
    case "bool": return Uint8Array.from(values, (v) => (v ? 1 : 0));
  }
}

/** What a Loop body returns: the next value of each carried tensor, and per-iteration outputs to stack. */
export interface LoopBody {
  carried: string[];
  scans?: string[];
}

/** Options of `Builder.loop`. */
export interface LoopOptions {
  /** Exact names of the final carried values (default: fresh names). */
  names?: string[];
  /** Exact names of the stacked scan outputs (default: fresh names). */
  scanNames?: string[];
}

/**
 * Graph under construction: `new Builder("name")`, add inputs, ops and outputs. With `parent`, the
 * graph is a subgraph (a Loop body) that may read the parent's tensors; `Builder.loop` makes one.
 */
export class Builder {
  readonly graph: Graph;
  private readonly constCache = new Map<string, string>();
  private scope = "";

  constructor(name: string, parent?: Graph) {
    this.graph = new Graph(name, parent);
  }

  // ------------------------------------------------------------ declarations

  /** Declares a graph input `name` of the given type; returns `name`. */
  input(name: string, dtype: DType, shape: Dim[]): string {
    this.claim(name);
    this.graph.types.set(name, { dtype, shape: [...shape] });
    this.graph.inputs.push(name);
    return name;
  }

  /** Marks existing tensors as graph outputs (in call order). */
  output(...names: string[]): void {
    for (const n of names) {
      this.graph.typeOf(n);
      if (this.graph.outputs.includes(n)) throw new Error(`'${n}' is already a graph output`);
      this.graph.outputs.push(n);
    }
  }

  /** Adds an initializer `name` (constant stored in the model); returns `name`. */
  initializer(name: string, dtype: DType, shape: Dim[], values: ArrayLike<number> | TypedData): string {
    this.claim(name);
    const n = shape.reduce<number>((p, d) => p * (d as number), 1);
    if (shape.some((d) => typeof d !== "number") || values.length !== n)
      throw new Error(`initializer '${name}': ${values.length} values for shape [${shape}]`);
    const data = values instanceof CTORS[dtype] ? (values as TypedData) : makeData(dtype, values as ArrayLike<number>);
    const init: Initializer = { name, type: { dtype, shape: [...shape] }, data };
    this.graph.initializers.set(name, init);
    this.graph.types.set(name, init.type);
    return name;
  }

  /** Constant tensor (an initializer with a fresh name; identical small constants are shared). */
  constant(values: ArrayLike<number>, shape: Dim[], dtype: DType): string {
    const key = values.length <= 16 ? `${dtype}[${shape}]:${Array.from(values).join(",")}` : "";
    const hit = key && this.constCache.get(key);
    if (hit) return hit;
    const name = this.initializer(this.graph.fresh("const"), dtype, shape, values);
    if (key) this.constCache.set(key, name);
    return name;
  }

  /** Scalar constant of a float type. */
  scalar(value: number, dtype: DType): string {
    return this.constant([value], [], dtype);
  }

  /** Scalar constant with the element type of tensor `like`. */
  scalarLike(value: number, like: string): string {
    return this.scalar(value, this.dtype(like));
  }

  /** 1-D int64 constant (axes, shapes, pads). */
  ints(values: number[]): string {
    return this.constant(values, [values.length], "int64");
  }

  /** Runs `fn` with `prefix.` prepended to fresh names (nests). */
  withScope<T>(prefix: string, fn: () => T): T {
    const old = this.scope;
    this.scope = `${old}${prefix}.`;
    try {
      return fn();
    } finally {
      this.scope = old;
    }
  }

  /**
   * Declares that d/d(inputs) of `output` is `rule(dy, needs)` (one entry per input, null where none or not needed), so the
   * backward pass skips the nodes between them. The rule must equal what the inner nodes' rules
   * would give; test it against `gradients(..., { unfused: true })` and finite differences.
   */
  fusedGradient(output: string, inputs: string[], rule: (dy: string, needs: boolean[]) => (string | null)[]): string {
    this.graph.typeOf(output);
    this.graph.fusedGrads.set(output, { inputs, rule });
    return output;
  }

  // ------------------------------------------------------------ queries

  /** Static type of tensor `name`. */
  typeOf(name: string): TensorType {
    return this.graph.typeOf(name);
  }

  /** Shape of tensor `name`. */
  shape(name: string): Dim[] {
    return this.graph.typeOf(name).shape;
  }

  /** Element type of tensor `name`. */
  dtype(name: string): DType {
    return this.graph.typeOf(name).dtype;
  }

  // ------------------------------------------------------------ generic node

  /** Adds `opType(inputs; attrs)` and returns its output names; "" skips an optional input. */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue | boolean | undefined> = {}, opts: NodeOptions = {}): string[] {
    const infer = OPS[opType];
    if (!infer) throw new Error(`op '${opType}' is not in the engine's opset-17 table (src/onnx/ops.ts)`);
    const clean: Record<string, AttrValue> = {};
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) clean[k] = typeof v === "boolean" ? (v ? 1 : 0) : v;
    const count = opts.names?.length ?? opts.outputs ?? 1;
    for (const i of inputs) if (i && !this.graph.lookup(i)) throw new Error(`${opType}: input '${i}' is not declared (no graph input, initializer or node output has that name)`);
    const base = this.scope + (opts.hint ?? opType);
    const outputs = opts.names ? opts.names.map((n) => (this.claim(n), n)) : Array.from({ length: count }, () => this.graph.fresh(base));
    const node: Node = { name: "", opType, inputs: [...inputs], outputs, attrs: clean, ints: Object.keys(clean).filter((k) => INT_ATTRS.has(k)) };
    node.name = this.graph.fresh(opts.nodeName ?? `${base}:node`);
    this.graph.nodeNames.add(node.name);
    const types = infer(inputs.map((i) => (i ? this.graph.lookup(i) : undefined)), node, this.graph);
    outputs.forEach((o, k) => this.graph.types.set(o, types[k]));
    this.graph.nodes.push(node);
    return outputs;
  }

  /** Single-output `node`; `name` fixes the output name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue | boolean | undefined> = {}, name?: string): string {
    return this.node(opType, inputs, attrs, name ? { names: [name] } : {})[0];
  }

  // ------------------------------------------------------------ elementwise

  /** a + b (numpy broadcasting). */
  add(a: string, b: string, name?: string): string { return this.op("Add", [a, b], {}, name); }
  /** a − b (numpy broadcasting). */
  sub(a: string, b: string, name?: string): string { return this.op("Sub", [a, b], {}, name); }
  /** a · b elementwise (numpy broadcasting). */
  mul(a: string, b: string, name?: string): string { return this.op("Mul", [a, b], {}, name); }
  /** a / b elementwise (numpy broadcasting). */
  div(a: string, b: string, name?: string): string { return this.op("Div", [a, b], {}, name); }
  /** a^b elementwise. */
  pow(a: string, b: string, name?: string): string { return this.op("Pow", [a, b], {}, name); }
  /** Elementwise maximum of all inputs (broadcasting). */
  max(xs: string[], name?: string): string { return this.op("Max", xs, {}, name); }
  /** Elementwise minimum of all inputs (broadcasting). */
  min(xs: string[], name?: string): string { return this.op("Min", xs, {}, name); }
  /** Elementwise sum of all inputs (broadcasting). */
  sum(xs: string[], name?: string): string { return xs.length === 1 ? xs[0] : this.op(xs.length === 2 ? "Add" : "Sum", xs, {}, name); }
  /** −x. */
  neg(x: string, name?: string): string { return this.op("Neg", [x], {}, name); }
  /** eˣ. */
  exp(x: string, name?: string): string { return this.op("Exp", [x], {}, name); }
  /** ln x. */
  log(x: string, name?: string): string { return this.op("Log", [x], {}, name); }
  /** |x|. */
  abs(x: string, name?: string): string { return this.op("Abs", [x], {}, name); }
  /** √x. */
  sqrt(x: string, name?: string): string { return this.op("Sqrt", [x], {}, name); }
  /** 1/x. */
  reciprocal(x: string, name?: string): string { return this.op("Reciprocal", [x], {}, name); }
  /** max(x, 0). */
  relu(x: string, name?: string): string { return this.op("Relu", [x], {}, name); }
  /** x if x ≥ 0 else alpha·x. */
  leakyRelu(x: string, alpha = 0.01, name?: string): string { return this.op("LeakyRelu", [x], { alpha }, name); }
  /** 1/(1+e⁻ˣ). */
  sigmoid(x: string, name?: string): string { return this.op("Sigmoid", [x], {}, name); }
  /** tanh x. */
  tanh(x: string, name?: string): string { return this.op("Tanh", [x], {}, name); }
  /** ln(1+eˣ). */
  softplus(x: string, name?: string): string { return this.op("Softplus", [x], {}, name); }
  /** sign(x) ∈ {−1, 0, 1}. */
  sign(x: string, name?: string): string { return this.op("Sign", [x], {}, name); }
  /** x (a new name for the same value). */
  identity(x: string, name?: string): string { return this.op("Identity", [x], {}, name); }
  /** a < b as bool. */
  less(a: string, b: string, name?: string): string { return this.op("Less", [a, b], {}, name); }
  /** a > b as bool. */
  greater(a: string, b: string, name?: string): string { return this.op("Greater", [a, b], {}, name); }
  /** cond ? x : y (broadcasting). */
  where(cond: string, x: string, y: string, name?: string): string { return this.op("Where", [cond, x, y], {}, name); }
  /** Element type conversion. */
  cast(x: string, to: DType, name?: string): string {
    const code = DTYPE_CODES[to];
    return this.op("Cast", [x], { to: code }, name);
  }

  // ------------------------------------------------------------ linear algebra

  /** a @ b (rank ≥ 2, batch dims broadcast). */
  matmul(a: string, b: string, name?: string): string { return this.op("MatMul", [a, b], {}, name); }

  /** alpha·op(a)·op(b) + beta·c for 2-D a, b; c optional and unidirectionally broadcast to [M,N]. */
  gemm(a: string, b: string, c?: string, o: GemmOptions = {}): string {
    const attrs = {
      alpha: o.alpha !== undefined && o.alpha !== 1 ? o.alpha : undefined,
      beta: o.beta !== undefined && o.beta !== 1 ? o.beta : undefined,
      transA: o.transA ? 1 : undefined,
      transB: o.transB ? 1 : undefined,
    };
    return this.op("Gemm", c ? [a, b, c] : [a, b], attrs, o.name);
  }

  // ------------------------------------------------------------ reductions

  /** Sum over `axes` (all when omitted). */
  reduceSum(x: string, axes?: number[], keepdims = true, name?: string): string {
    return this.op("ReduceSum", axes ? [x, this.ints(axes)] : [x], { keepdims: keepdims ? 1 : 0 }, name);
  }

  /** Mean over `axes` (all when omitted); opset 17 keeps axes as an attribute. */
  reduceMean(x: string, axes?: number[], keepdims = true, name?: string): string {
    return this.op("ReduceMean", [x], { axes, keepdims: keepdims ? 1 : 0 }, name);
  }

  // ------------------------------------------------------------ shapes

  /** Reshape to `shape` (0 copies the input dim, −1 is inferred). */
  reshape(x: string, shape: number[], name?: string): string { return this.op("Reshape", [x, this.ints(shape)], {}, name); }
  /** Permute axes. */
  transpose(x: string, perm: number[], name?: string): string { return this.op("Transpose", [x], { perm }, name); }
  /** Insert size-1 axes. */
  unsqueeze(x: string, axes: number[], name?: string): string { return this.op("Unsqueeze", [x, this.ints(axes)], {}, name); }
  /** Remove size-1 axes. */
  squeeze(x: string, axes: number[], name?: string): string { return this.op("Squeeze", [x, this.ints(axes)], {}, name); }
  /** Join along `axis`. */
  concat(xs: string[], axis: number, name?: string): string { return this.op("Concat", xs, { axis }, name); }
  /** Split along `axis` into pieces of the given sizes. */
  split(x: string, sizes: number[], axis: number): string[] {
    return this.node("Split", [x, this.ints(sizes)], { axis }, { outputs: sizes.length });
  }
  /** x[starts:ends:steps] along `axes`. */
  slice(x: string, starts: number[], ends: number[], axes?: number[], steps?: number[], name?: string): string {
    const ins = [x, this.ints(starts), this.ints(ends), axes ? this.ints(axes) : "", steps ? this.ints(steps) : ""];
    while (ins[ins.length - 1] === "") ins.pop();
    return this.op("Slice", ins, {}, name);
  }
  /** Slices of x along `axis` picked by int64 `indices` (a scalar index drops the axis). */
  gather(x: string, indices: string, axis = 0, name?: string): string { return this.op("Gather", [x, indices], { axis }, name); }

  // ------------------------------------------------------------ control flow

  /**
   * Copies the nodes and constants of the finished graph `g` into this one, like a function call:
   * `feeds` maps every input of `g` to a tensor here (same dtype and rank); returns each output of
   * `g` → its tensor here. Copied names are fresh names from the scope + the original name.
   */
  inline(g: Graph, feeds: Record<string, string>): Record<string, string> {
    const map = new Map<string, string>();
    for (const i of g.inputs) {
      const f = feeds[i];
      if (!f) throw new Error(`inline '${g.name}': no tensor for input '${i}'`);
      const [want, got] = [g.typeOf(i), this.typeOf(f)];
      if (want.dtype !== got.dtype || want.shape.length !== got.shape.length)
        throw new Error(`inline '${g.name}': input '${i}' is ${want.dtype}${shapeStr(want.shape)}, '${f}' is ${got.dtype}${shapeStr(got.shape)}`);
      map.set(i, f);
    }
    for (const [name, init] of g.initializers) map.set(name, this.initializer(this.graph.fresh(this.scope + name), init.type.dtype, init.type.shape, init.data));
    for (const n of g.nodes) {
      if (Object.values(n.attrs).some((v) => v instanceof Graph)) throw new Error(`inline '${g.name}': node '${n.name}' has a subgraph (not supported)`);
      const names = n.outputs.map((o) => this.graph.fresh(this.scope + o));
      this.node(n.opType, n.inputs.map((i) => (i ? map.get(i)! : "")), n.attrs, { names, nodeName: this.scope + n.name });
      n.outputs.forEach((o, k) => map.set(o, names[k]));
    }
    return Object.fromEntries(g.outputs.map((o) => [o, map.get(o)!]));
  }

  /**
   * ONNX Loop: runs `body` `trips` times (an int64 tensor of one element, from `Shape` or a
   * constant). `body(lb, iteration, carried)` builds the body in its own Builder `lb`, which may
   * read every tensor of this graph by name (outer scope); `iteration` is the int64 scalar
   * 0, 1, …, `carried[i]` the current value of `initial[i]`. It returns the next carried values and
   * the per-iteration `scans`, which come out stacked along a new first axis of size `trips`.
   * Returns the final carried values and the stacked scans. The body's constants are its own.
   */
  loop(trips: string, initial: string[], body: (lb: Builder, iteration: string, carried: string[]) => LoopBody, opts: LoopOptions = {}): { carried: string[]; scans: string[] } {
    const lb = new Builder(`${this.graph.name}.body`, this.graph);
    lb.scope = this.scope;
    const iteration = lb.input(lb.graph.fresh(`${this.scope}loop.iteration`), "int64", []);
    const cond = lb.input(lb.graph.fresh(`${this.scope}loop.cond`), "bool", []);
    const cur = initial.map((t) => lb.input(lb.graph.fresh(`${this.scope}loop.${t}`), this.dtype(t), this.shape(t)));
    const res = body(lb, iteration, cur);
    if (res.carried.length !== initial.length) throw new Error(`loop: the body returned ${res.carried.length} carried values for ${initial.length}`);
    // every body output must be its own tensor, computed in the body (not an input or a repeat)
    const seen = new Set<string>([iteration, cond]);
    const own = (t: string) => {
      const copy = seen.has(t) || lb.graph.inputs.includes(t) || !lb.graph.types.has(t) ? lb.identity(t) : t;
      seen.add(copy);
      return copy;
    };
    lb.output(lb.identity(cond), ...res.carried.map(own), ...(res.scans ?? []).map(own));
    const scans = res.scans ?? [];
    const named = (given: string[] | undefined, n: number, what: string) => {
      if (given && given.length !== n) throw new Error(`loop: ${given.length} ${what} names for ${n} outputs`);
      return given ?? Array.from({ length: n }, () => this.graph.fresh(`${this.scope}Loop`));
    };
    const names = [...named(opts.names, initial.length, "carried"), ...named(opts.scanNames, scans.length, "scan")];
    const outs = this.node("Loop", [trips, "", ...initial], { body: lb.graph }, { names });
    return { carried: outs.slice(0, initial.length), scans: outs.slice(initial.length) };
  }

  /** Zero padding: pads = [begin_0, …, begin_{r−1}, end_0, …, end_{r−1}]. */
  pad(x: string, pads: number[], name?: string): string { return this.op("Pad", [x, this.ints(pads)], {}, name); }

  // ------------------------------------------------------------ internals

  private claim(name: string): void {
    if (this.graph.taken(name)) throw new Error(`duplicate tensor name '${name}'`);
  }
}
