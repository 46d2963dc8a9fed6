// The graph IR: typed tensors, nodes, initializers, graph inputs/outputs. Plain data, no ONNX
// protobuf here — serialize.ts turns a Graph into ModelProto bytes. Design: docs/onnx-engine.md.

/** Element types the engine emits (ONNX TensorProto.DataType names in lower case). */
export type DType = "float32" | "float64" | "int64" | "uint16" | "bool";

/** A dimension: a fixed size or a symbolic name such as "batch". */
export type Dim = number | string;

/** Static type of a tensor: element type and shape (one Dim per axis; [] is a scalar). */
export interface TensorType {
  dtype: DType;
  shape: Dim[];
}

/** Attribute values a node can carry (ONNX INT, FLOAT, INTS, FLOATS, STRING, GRAPH: a Loop's body). */
export type AttrValue = number | number[] | string | Graph;

/** One ONNX node: `outputs = opType(inputs; attrs)`; "" in `inputs` is an omitted optional input. */
export interface Node {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  /** Attribute name → value; `ints` lists integer-valued attributes (ONNX INT/INTS vs FLOAT/FLOATS). */
  attrs: Record<string, AttrValue>;
  ints: string[];
}

/** Constant tensor stored in the model; data length = product of shape. */
export interface Initializer {
  name: string;
  type: TensorType;
  data: Float32Array | Float64Array | BigInt64Array | Uint16Array | Uint8Array;
}

/**
 * A whole graph, or a subgraph (a Loop's body) when `parent` is set. `types` holds the type of
 * every tensor name of this graph (inputs, initializers, node outputs); a subgraph also reads the
 * tensors of its enclosing graphs (outer scope). Names are unique across the whole model (ONNX's
 * single static assignment), so `fresh` never returns a name that any graph of the model uses.
 */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: string[] = [];
  readonly outputs: string[] = [];
  readonly initializers = new Map<string, Initializer>();
  readonly types = new Map<string, TensorType>();
  /** Node names in use (node names share `fresh` with tensor names). */
  readonly nodeNames = new Set<string>();
  /**
   * Fused gradients of composite blocks: output tensor → its inputs and a rule giving d/d(inputs)
   * from d/d(output) (needs[i]: input i wants a gradient). `gradients` uses them instead of walking the block's inner nodes.
   */
  readonly fusedGrads = new Map<string, { inputs: string[]; rule: (dy: string, needs: boolean[]) => (string | null)[] }>();
  /** Symbolic values of int64 shape tensors made by `Shape` (so Expand/Reshape of them type-check). */
  readonly shapeValues = new Map<string, Dim[]>();
  /** Subgraphs made inside this graph (their names count as taken here too). */
  readonly subgraphs: Graph[] = [];
  private readonly counters = new Map<string, number>();

  constructor(readonly name: string, readonly parent?: Graph) {
    parent?.subgraphs.push(this);
  }

  /** A name not used yet by any graph of the model: `prefix` itself if free, else `prefix_1`, `prefix_2`, … */
  fresh(prefix: string): string {
    let k = this.counters.get(prefix) ?? 0;
    let name = k === 0 ? prefix : `${prefix}_${k}`;
    while (this.taken(name)) name = `${prefix}_${++k}`;
    this.counters.set(prefix, k + 1);
    return name;
  }

  /** True if a tensor or node of any graph of the model (enclosing graphs and their subgraphs) has this name. */
  taken(name: string): boolean {
    let root: Graph = this;
    while (root.parent) root = root.parent;
    return root.usesBelow(name);
  }

  private usesBelow(name: string): boolean {
    return this.types.has(name) || this.nodeNames.has(name) || this.subgraphs.some((s) => s.usesBelow(name));
  }

  /** Symbolic value of an int64 shape tensor made by `Shape` (this graph or outer scope). */
  shapeValue(name: string): Dim[] | undefined {
    return this.shapeValues.get(name) ?? (this.types.has(name) ? undefined : this.parent?.shapeValue(name));
  }

  /** Type of a tensor of this graph or of an enclosing one (outer scope), or undefined. */
  lookup(name: string): TensorType | undefined {
    return this.types.get(name) ?? this.parent?.lookup(name);
  }

  /** Type of a tensor (this graph or outer scope); throws naming the tensor when it is unknown. */
  typeOf(name: string): TensorType {
    const t = this.lookup(name);
    if (!t) throw new Error(`unknown tensor '${name}'`);
    return t;
  }

  /** Constant value of an initializer (this graph or outer scope) as numbers, or undefined if `name` is not one. */
  constValue(name: string): number[] | undefined {
    const init = this.initializers.get(name);
    if (!init) return this.types.has(name) ? undefined : this.parent?.constValue(name);
    return Array.from(init.data as ArrayLike<number | bigint>, Number);
  }
}

/** Number of elements of a fully static shape; throws on a symbolic dim. */
export function numel(shape: Dim[]): number {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number") throw new Error(`shape [${shape.join(",")}] has symbolic dim '${d}'`);
    n *= d;
  }
  return n;
}

/** Human-readable shape, e.g. `[batch,784]`. */
export function shapeStr(shape: Dim[]): string {
  return `[${shape.join(",")}]`;
}

/** True for the floating element types (the ones gradients flow through). */
export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}
