// Graph → onnx.ModelProto bytes (onnx-proto). Opset 17 with IR version 8: the newest pair that
// onnx-proto 8 (ONNX 1.10 schema) can describe and onnxruntime 1.30 runs; see docs/onnx-engine.md#opset.

import onnxProto from "onnx-proto";
import { AttrValue, Dim, DType, Graph, TensorType } from "./ir.js";
import { DTYPE_CODES } from "./ops.js";
import { validate } from "./validate.js";

const { onnx } = onnxProto;
/** The onnx-proto namespace (ModelProto.decode etc.), re-exported for tests and tools. */
export { onnx };

/** ONNX opset of the default domain that every graph imports. */
export const OPSET = 17;
/** ModelProto.ir_version written. */
export const IR_VERSION = 8;

/** ONNX TensorProto.DataType code of each dtype. */
export const DTYPE_CODE: Record<DType, number> = DTYPE_CODES;

function typeProto(t: TensorType): onnxProto.onnx.ITypeProto {
  const dim = t.shape.map((d: Dim) => (typeof d === "number" ? { dimValue: d } : { dimParam: d }));
  return { tensorType: { elemType: DTYPE_CODE[t.dtype], shape: { dim } } };
}

function attribute(name: string, value: AttrValue, isInt: boolean, opts: SerializeOptions): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (value instanceof Graph) return { name, type: T.GRAPH, g: graphProto(value, opts) };
  if (typeof value === "string") return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return isInt ? { name, type: T.INTS, ints: value } : { name, type: T.FLOATS, floats: value };
  return isInt ? { name, type: T.INT, i: value } : { name, type: T.FLOAT, f: value };
}

/** Options of `toModel`/`serialize`. */
export interface SerializeOptions {
  /** Also write value_info for intermediate tensors (lets onnxruntime cross-check our shapes). */
  valueInfo?: boolean;
  docString?: string;
}

/** The GraphProto of `g` (a Loop body becomes the GRAPH attribute of its node). */
function graphProto(g: Graph, opts: SerializeOptions): onnxProto.onnx.IGraphProto {
  const inputsAndInits = new Set([...g.inputs, ...g.initializers.keys()]);
  return {
    name: g.name,
    node: g.nodes.map((n) => ({
      name: n.name,
      opType: n.opType,
      input: n.inputs,
      output: n.outputs,
      attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, v, n.ints.includes(k), opts)),
    })),
    initializer: [...g.initializers.values()].map((init) => ({
      name: init.name,
      dataType: DTYPE_CODE[init.type.dtype],
      dims: init.type.shape as number[],
      // raw little-endian bytes (x86/ARM hosts are little-endian, as ONNX requires)
      rawData: new Uint8Array(init.data.buffer, init.data.byteOffset, init.data.byteLength),
    })),
    input: g.inputs.map((name) => ({ name, type: typeProto(g.typeOf(name)) })),
    output: g.outputs.map((name) => ({ name, type: typeProto(g.typeOf(name)) })),
    valueInfo: opts.valueInfo
      ? g.nodes.flatMap((n) => n.outputs).filter((o) => !g.outputs.includes(o) && !inputsAndInits.has(o)).map((name) => ({ name, type: typeProto(g.typeOf(name)) }))
      : [],
  };
}

/** Builds the ModelProto of a (validated) graph. */
export function toModel(g: Graph, opts: SerializeOptions = {}): onnxProto.onnx.ModelProto {
  validate(g);
  const graph = graphProto(g, opts);
  return onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: "", version: OPSET }],
    producerName: "emlab",
    producerVersion: "0.1.0",
    docString: opts.docString ?? "",
    graph,
  });
}

/** Validates `g` and encodes it as ONNX ModelProto bytes. */
export function serialize(g: Graph, opts: SerializeOptions = {}): Uint8Array {
  return onnx.ModelProto.encode(toModel(g, opts)).finish();
}
