// Adam as its own graph section (Kingma & Ba 2015, bias-corrected). State is explicit and named:
// inputs `lr`, `step`, `m.<p>`, `v.<p>`; outputs `<p>.new`, `m.<p>.new`, `v.<p>.new`, `step.new`.
// `step` counts finished updates (start at 0 with m = v = 0). The moments are stored scaled,
// m.<p> = m/(1 − β1) and v.<p> = v/(1 − β2), which makes each EMA one op shorter (10 elementwise
// passes per parameter instead of 12); the updates are Adam's. Math: docs/onnx-engine.md#adam.

import { Builder } from "./builder.js";

/** Adam hyper-parameters. `lr: "input"` makes the learning rate a scalar graph input named `lr`. */
export interface AdamOptions {
  lr?: number | "input";
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Prefix of `step`/`lr` (e.g. "D." and "G." for two optimisers in one GAN graph); default "". */
  prefix?: string;
  /** Mark the new state as graph outputs (default true). */
  markOutputs?: boolean;
}

/** Tensor names of one parameter's Adam slot. */
export interface AdamSlot {
  param: string;
  grad: string;
  m: string;
  v: string;
  paramNew: string;
  mNew: string;
  vNew: string;
}

/** What `adam` added: state inputs (excluding the parameters) and new-state outputs, in order. */
export interface AdamSection {
  lr: string;
  step: string;
  stepNew: string;
  slots: AdamSlot[];
  /** `step`, (`lr`), then `m.<p>`, `v.<p>` per parameter. */
  stateInputs: string[];
  /** `<p>.new`, `m.<p>.new`, `v.<p>.new` per parameter, then `step.new`. */
  outputs: string[];
  /** Each output → the input it replaces on the next step (e.g. `m.W.new` → `m.W`). */
  next: Map<string, string>;
}

/** Appends one Adam update of every parameter in `grads` (param → gradient tensor). */
export function adam(b: Builder, grads: Map<string, string>, opts: AdamOptions = {}): AdamSection {
  const params = [...grads.keys()];
  return adamSteps(b, params, 1, (_, cur) => {
    // the one step differentiates the declared parameters themselves
    for (const p of params) if (cur.get(p) !== p) throw new Error("adam: internal parameter mapping");
    return grads;
  }, opts);
}

/**
 * Appends `k` consecutive Adam steps in one graph, so parameters and state cross the
 * onnxruntime boundary once per k updates (docs: "k steps per run"). `stepGrads(i, cur)` builds
 * step i's loss from the current parameter tensors (`cur`: declared name → tensor of step i) and
 * returns their gradients keyed by declared name (e.g. via `gradients(b, loss, [...cur.values()])`).
 */
export function adamSteps(
  b: Builder,
  params: string[],
  k: number,
  stepGrads: (i: number, cur: Map<string, string>) => Map<string, string>,
  opts: AdamOptions = {},
): AdamSection {
  const { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, prefix = "", markOutputs = true } = opts;
  if (params.length === 0) throw new Error("adam: no parameters");
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`adam: steps per run must be a positive integer, got ${k}`);
  const dtype = b.dtype(params[0]);
  const s = (v: number) => b.scalar(v, dtype);
  for (const p of params) if (b.dtype(p) !== dtype) throw new Error(`adam: parameter '${p}' is ${b.dtype(p)}, expected ${dtype}`);

  const stateInputs: string[] = [];
  const step = b.input(`${prefix}step`, dtype, []);
  stateInputs.push(step);
  const lrName = lr === "input" ? b.input(`${prefix}lr`, dtype, []) : b.initializer(`${prefix}lr`, dtype, [], [lr]);
  if (lr === "input") stateInputs.push(lrName);
  const mIn = new Map<string, string>(), vIn = new Map<string, string>();
  for (const p of params) {
    const type = b.typeOf(p);
    mIn.set(p, b.input(`m.${p}`, type.dtype, type.shape));
    vIn.set(p, b.input(`v.${p}`, type.dtype, type.shape));
    stateInputs.push(mIn.get(p)!, vIn.get(p)!);
  }

  let cur = new Map(params.map((p) => [p, p]));
  let m = new Map(mIn), v = new Map(vIn);
  let t = step;
  const slots: AdamSlot[] = [];
  for (let i = 0; i < k; i++) {
    const grads = stepGrads(i, cur);
    const last = i === k - 1;
    // the last step's tensors carry the public names `<p>.new`, `m.<p>.new`, `v.<p>.new`
    const name = (n: string) => (last ? n : undefined);
    b.withScope(`${prefix}adam`, () => {
      // scalar part, once per step: t = step + 1 and, for the scaled moments m̃ = m/(1 − β1),
      // ṽ = v/(1 − β2): lr·m̂ = c1·m̃ with c1 = lr(1 − β1)/(1 − β1ᵗ), v̂ = c2·ṽ with
      // c2 = (1 − β2)/(1 − β2ᵗ). The update c1·m̃'/(√(c2·ṽ') + ε) is emitted as m̃'/(√(k·ṽ') + e)
      // with k = c2/c1², e = ε/c1, one full pass fewer over every parameter
      t = b.add(t, s(1), name(`${prefix}step.new`));
      const c1 = b.div(b.mul(lrName, s(1 - beta1)), b.sub(s(1), b.pow(s(beta1), t)));
      const c2 = b.div(s(1 - beta2), b.sub(s(1), b.pow(s(beta2), t)));
      const kk = b.div(c2, b.mul(c1, c1));
      const e = b.div(s(eps), c1);
      const next = new Map<string, string>(), mNext = new Map<string, string>(), vNext = new Map<string, string>();
      for (const p of params) {
        const g = grads.get(p);
        if (!g) throw new Error(`adam: no gradient for parameter '${p}'`);
        b.withScope(p, () => {
          const [pc, mc, vc] = [cur.get(p)!, m.get(p)!, v.get(p)!];
          // m̃' = β1·m̃ + g and ṽ' = β2·ṽ + g²: Adam's EMAs divided by (1 − β1) and (1 − β2)
          const mNew = b.add(b.mul(mc, s(beta1)), g, name(`m.${p}.new`));
          const vNew = b.add(b.mul(vc, s(beta2)), b.mul(g, g), name(`v.${p}.new`));
          const denom = b.add(b.sqrt(b.mul(vNew, kk)), e);
          const pNew = b.sub(pc, b.div(mNew, denom), name(`${p}.new`));
          next.set(p, pNew);
          mNext.set(p, mNew);
          vNext.set(p, vNew);
          if (last) slots.push({ param: p, grad: g, m: mIn.get(p)!, v: vIn.get(p)!, paramNew: pNew, mNew, vNew });
        });
      }
      cur = next;
      m = mNext;
      v = vNext;
    });
  }

  const outputs = [...slots.flatMap((sl) => [sl.paramNew, sl.mNew, sl.vNew]), t];
  if (markOutputs) b.output(...outputs);
  const nextMap = new Map<string, string>([[t, step]]);
  for (const sl of slots) nextMap.set(sl.paramNew, sl.param).set(sl.mNew, sl.m).set(sl.vNew, sl.v);
  return { lr: lrName, step, stepNew: t, slots, stateInputs, outputs, next: nextMap };
}
