// Thin helpers over onnxruntime-node: a session from model bytes, feeds from typed arrays (symbolic
// dims resolved from the data length), outputs back as typed arrays, and `TrainStep`, which carries
// parameters and Adam state from one session.run to the next.

import * as ort from "onnxruntime-node";
import { AdamSection } from "./adam.js";
import { DType, Dim, Graph, TensorType } from "./ir.js";
import { SerializeOptions, serialize } from "./serialize.js";

/** The smallest normal float32 (2⁻¹²⁶) and float64 (2⁻¹⁰²²): below them (and above 0) lie the subnormals. */
const FLT_MIN = 2 ** -126;
const DBL_MIN = 2 ** -1022;

/** Calls `hit(i)` for every subnormal element of `a` (0 < |a[i]| < the smallest normal of its type). */
function eachSubnormal(a: Float32Array | Float64Array, hit: (i: number) => void): void {
  const tiny = a instanceof Float32Array ? FLT_MIN : DBL_MIN;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x !== 0 && x < tiny && x > -tiny) hit(i);
  }
}

/** How many elements of `a` are subnormal. */
export function countSubnormals(a: Float32Array | Float64Array): number {
  let n = 0;
  eachSubnormal(a, () => n++);
  return n;
}

/** Data of one tensor as it travels in and out of a session. */
export type TensorData = Float32Array | Float64Array | BigInt64Array | Uint16Array | Uint8Array;

/** Session options the engine cares about. */
export interface SessionOptions {
  /** Intra-op threads (default 2: the machine has 2 cores; 1 when another job shares them). */
  threads?: number;
  /** onnxruntime graph optimisation (default "all"). */
  optimization?: "disabled" | "basic" | "extended" | "all";
  /** Busy-wait in worker threads between ops (default false: cores are shared with other jobs). */
  spinning?: boolean;
}

/** Creates an onnxruntime-node session from ModelProto bytes. */
export async function createSession(bytes: Uint8Array, opts: SessionOptions = {}): Promise<ort.InferenceSession> {
  const { threads = 2, optimization = "all", spinning = false } = opts;
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: optimization,
    extra: { session: { intra_op: { allow_spinning: spinning ? "1" : "0" } } },
  });
}

/** Serialises `g` and opens a session on it. */
export async function sessionFor(g: Graph, opts: SessionOptions & SerializeOptions = {}): Promise<ort.InferenceSession> {
  return createSession(serialize(g, opts), opts);
}

const ORT_TYPE: Record<DType, ort.Tensor.Type> = { float32: "float32", float64: "float64", int64: "int64", uint16: "uint16", bool: "bool" };

/** Values of symbolic dims, e.g. `{ steps: 32, batch: 128 }`. */
export type DimValues = Record<string, number>;

/** Concrete dims of `type` for `length` elements: symbolic dims from `dims`, one more is solved for. */
export function concreteDims(name: string, shape: Dim[], length: number, dims: DimValues = {}): number[] {
  const fixed = shape.map((d) => (typeof d === "number" ? d : dims[d]));
  const known = fixed.reduce<number>((p, d) => (d === undefined ? p : p * d), 1);
  const open = fixed.filter((d) => d === undefined).length;
  if (open > 1) throw new Error(`input '${name}': more than one symbolic dim without a value in [${shape}]`);
  if (open === 0 && known !== length) throw new Error(`input '${name}': ${length} values for shape [${shape}] = [${fixed}]`);
  if (open === 1 && length % known) throw new Error(`input '${name}': ${length} values do not fit [${shape}]`);
  return fixed.map((d) => d ?? length / known);
}

/** An onnxruntime tensor over `data` (no copy) with dims from the graph type (symbolic ones from `dims` or solved). */
export function toOrt(name: string, type: TensorType, data: TensorData, dims?: DimValues): ort.Tensor {
  return new ort.Tensor(ORT_TYPE[type.dtype], data as never, concreteDims(name, type.shape, data.length, dims));
}

/** Data of an onnxruntime tensor as a typed array. */
export function fromOrt(t: ort.Tensor): TensorData {
  return t.data as TensorData;
}

/** Runs `session` with typed-array feeds for the inputs of `g`; returns each requested output's data. */
export async function runGraph(session: ort.InferenceSession, g: Graph, feeds: Record<string, TensorData>, fetch?: string[], dims?: DimValues): Promise<Record<string, TensorData>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const name of g.inputs) {
    const data = feeds[name];
    if (!data) throw new Error(`runGraph: no feed for input '${name}'`);
    ortFeeds[name] = toOrt(name, g.typeOf(name), data, dims);
  }
  const out = fetch ? await session.run(ortFeeds, fetch) : await session.run(ortFeeds);
  const res: Record<string, TensorData> = {};
  for (const [k, v] of Object.entries(out)) res[k] = fromOrt(v);
  return res;
}

/** Initial values of a training step's state: parameters, plus `lr` when the graph takes it as input. */
export interface TrainInit {
  params: Record<string, TensorData>;
  lr?: number;
}

/**
 * One training-step graph plus its carried state: parameters, m, v, step (and lr) of one or more
 * Adam sections (a GAN graph has two). `run(batch)` feeds the batch with the state, then swaps each
 * `*.new` output in as the next step's input.
 */
export class TrainStep {
  /** Current value of every state input (parameters, `m.*`, `v.*`, steps, learning rates). */
  readonly state = new Map<string, TensorData>();
  readonly sections: AdamSection[];
  /** Each state output → the state input it replaces. */
  private readonly next = new Map<string, string>();

  constructor(readonly session: ort.InferenceSession, readonly graph: Graph, adam: AdamSection | AdamSection[], init: TrainInit) {
    this.sections = Array.isArray(adam) ? adam : [adam];
    const float = (n: number, like: string) => (graph.typeOf(like).dtype === "float64" ? new Float64Array(n) : new Float32Array(n));
    for (const sec of this.sections) {
      for (const s of sec.slots) {
        const p = init.params[s.param];
        if (!p) throw new Error(`TrainStep: no initial value for parameter '${s.param}'`);
        this.state.set(s.param, p).set(s.m, float(p.length, s.m)).set(s.v, float(p.length, s.v));
      }
      this.state.set(sec.step, float(1, sec.step));
      if (sec.stateInputs.includes(sec.lr)) this.state.set(sec.lr, float(1, sec.lr).fill(init.lr ?? 1e-3));
      for (const [out, into] of sec.next) this.next.set(out, into);
    }
  }

  /** Number of updates done so far (by the first section). */
  get steps(): number {
    return Number(this.state.get(this.sections[0].step)![0]);
  }

  /** Sets the learning rate of section `which` (graphs built with `lr: "input"` only). */
  setLr(lr: number, which = 0): void {
    const cur = this.state.get(this.sections[which].lr);
    if (!cur) throw new Error("TrainStep: this graph has a constant learning rate");
    cur[0] = lr;
  }

  /** Current value of state tensor `name` (a parameter, `m.<p>`, `v.<p>`, `step`, `lr`). */
  param(name: string): Float32Array | Float64Array {
    const v = this.state.get(name);
    if (!v) throw new Error(`TrainStep: unknown state tensor '${name}'`);
    return v as Float32Array | Float64Array;
  }

  /**
   * Sets every subnormal Adam moment (0 < |x| < the dtype's smallest normal number) to 0 and returns
   * how many there were. Why: the moment of a parameter whose gradient stays exactly 0 (a ReLU unit
   * that never fires, weights of a pixel that is 0 in batch after batch) decays by β each step into
   * the subnormal range, where round-to-nearest holds it among the smallest subnormals for good
   * (0.9·k·2⁻¹⁴⁹ rounds back to k·2⁻¹⁴⁹ for k ≤ 4); on CPUs that take a microcode assist per
   * subnormal operand every op on it pays (the VAE at epoch 50 carried 77 k of them and spent 28 %
   * more CPU per step than without, on an Intel Ice Lake; docs/onnx-engine.md). Such a moment
   * moves no parameter: its update is at most FLT_MIN·lr/ε (≈ 1e-33 with the defaults), less than
   * half an ulp of any parameter above ≈ 1e-25 in magnitude, so parameters and losses are the same
   * bits with or without the flush (tested). The experiments flush once per epoch, so the state does
   * not depend on the chunk size.
   */
  flushSubnormalMoments(): number {
    let flushed = 0;
    for (const sec of this.sections) {
      for (const slot of sec.slots) {
        for (const name of [slot.m, slot.v]) {
          const a = this.state.get(name) as Float32Array | Float64Array;
          eachSubnormal(a, (i) => ((a[i] = 0), flushed++));
        }
      }
    }
    return flushed;
  }

  /**
   * One forward + backward + Adam update (k of them for a `loopSteps` graph: per-step inputs stacked,
   * `dims` giving e.g. `{ steps: k, batch: rows }`); returns the graph's non-state outputs (loss terms).
   * The new state replaces the old (the arrays `param()` returned before keep the old values).
   */
  async run(batch: Record<string, TensorData>, dims?: DimValues): Promise<Record<string, TensorData>> {
    const feeds: Record<string, TensorData> = { ...batch };
    for (const [k, v] of this.state) feeds[k] = v;
    const rest: Record<string, TensorData> = {};
    const out = await runGraph(this.session, this.graph, feeds, undefined, dims);
    for (const [k, v] of Object.entries(out)) {
      const into = this.next.get(k);
      if (into) this.state.set(into, v);
      else rest[k] = v;
    }
    return rest;
  }
}
