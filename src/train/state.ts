// Moving a TrainStep's carried state (parameters, Adam moments, step, lr) in and out of checkpoints.
// Tensor names are the graph's input names (`enc1.W`, `m.enc1.W`, `v.enc1.W`, `step`, ...).

import type { TrainStep } from "../onnx/session.js";
import type { CheckpointExpect, CheckpointTensor } from "./checkpoint.js";

function staticShape(step: TrainStep, name: string): number[] {
  const shape = step.graph.typeOf(name).shape;
  if (shape.some((d) => typeof d !== "number")) throw new Error(`state tensor '${name}' has a symbolic shape [${shape}]`);
  return shape as number[];
}

/**
 * Every state tensor of `step` (the arrays themselves, not copies: `saveCheckpoint` encodes them at
 * once), with shapes from its graph.
 */
export function stateTensors(step: TrainStep, prefix = ""): Record<string, CheckpointTensor> {
  const out: Record<string, CheckpointTensor> = {};
  for (const [name, data] of step.state) {
    if (data instanceof Float32Array || data instanceof Float64Array) out[prefix + name] = { data, shape: staticShape(step, name) };
    else throw new Error(`state tensor '${name}' is not float32/float64`);
  }
  return out;
}

/** Names, shapes and dtypes `step`'s state must have in a checkpoint (for `loadCheckpoint`). */
export function expectedState(step: TrainStep, prefix = ""): NonNullable<CheckpointExpect["tensors"]> {
  const out: NonNullable<CheckpointExpect["tensors"]> = {};
  for (const [name, data] of step.state) out[prefix + name] = { shape: staticShape(step, name), dtype: data instanceof Float64Array ? "float64" : "float32" };
  return out;
}

/** Overwrites `step`'s state in place from checkpoint tensors (validated beforehand with `expectedState`). */
export function restoreState(step: TrainStep, tensors: Record<string, CheckpointTensor>, prefix = ""): void {
  for (const [name, data] of step.state) {
    const t = tensors[prefix + name];
    if (!t || t.data.length !== data.length) throw new Error(`restoreState: no matching tensor '${prefix + name}'`);
    (data as Float32Array | Float64Array).set(t.data);
  }
}
