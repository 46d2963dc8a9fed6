// A training step run k times in one session.run: the finished step graph becomes the body of an
// ONNX Loop whose carried values are the parameters, Adam moments and step counts, so that state
// stays inside onnxruntime from step to step and crosses into JavaScript once per chunk of steps.
// Design and measurements: docs/onnx-engine.md ("Chunks of steps").

import { Builder } from "./builder.js";
import { Graph } from "./ir.js";

/** How the inputs of a step graph are fed when it runs as a loop. */
export interface LoopStepsOptions {
  /** State carried from step to step: each step output → the step input it replaces (`AdamSection.next`, merged over sections). */
  carried: Map<string, string>;
  /** Inputs that are the same for every step (read by every iteration as they are); all other non-carried inputs are per step. */
  shared?: string[];
  /** Name of the new first axis of the per-step inputs and outputs (default "steps"). */
  stepsDim?: string;
}

/**
 * The chunk graph of a step graph: same input and output names, but every per-step input gets a
 * leading axis `steps` (`x` [batch,784] → `x` [steps,batch,784]), every non-state output comes out
 * stacked the same way (`loss` [] → `loss` [steps]), and the state outputs are the values after the
 * last step. Running it once on k stacked batches equals k runs of `step` (tested bit for bit).
 * The trip count is the per-step inputs' first dim (Shape of the first one).
 */
export function loopSteps(step: Graph, opts: LoopStepsOptions): Graph {
  const { carried, shared = [], stepsDim = "steps" } = opts;
  const stateIns = new Set(carried.values());
  for (const [o, i] of carried) {
    if (!step.outputs.includes(o)) throw new Error(`loopSteps: carried output '${o}' is not an output of '${step.name}'`);
    if (!step.inputs.includes(i)) throw new Error(`loopSteps: carried input '${i}' is not an input of '${step.name}'`);
  }
  for (const s of shared) if (!step.inputs.includes(s)) throw new Error(`loopSteps: shared input '${s}' is not an input of '${step.name}'`);
  const perStep = step.inputs.filter((i) => !stateIns.has(i) && !shared.includes(i));
  if (perStep.length === 0) throw new Error(`loopSteps: '${step.name}' has no per-step input to count the steps by`);

  const b = new Builder(`${step.name}-loop`);
  for (const i of step.inputs) {
    const t = step.typeOf(i);
    b.input(i, t.dtype, perStep.includes(i) ? [stepsDim, ...t.shape] : t.shape);
  }
  const trips = b.op("Shape", [perStep[0]], { start: 0, end: 1 }, "loop.trips");
  const outs = [...carried.keys()];
  const scans = step.outputs.filter((o) => !carried.has(o));
  b.loop(trips, outs.map((o) => carried.get(o)!), (lb, iteration, cur) => {
    const feeds: Record<string, string> = {};
    outs.forEach((o, k) => (feeds[carried.get(o)!] = cur[k]));
    for (const s of shared) feeds[s] = s;
    for (const p of perStep) feeds[p] = lb.withScope("step", () => lb.gather(p, iteration, 0));
    const got = lb.withScope("step", () => lb.inline(step, feeds));
    return { carried: outs.map((o) => got[o]), scans: scans.map((o) => got[o]) };
  }, { names: outs, scanNames: scans });
  b.output(...step.outputs);
  return b.graph;
}
