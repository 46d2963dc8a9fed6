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
  const { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, prefix = "", markOutputs = true } = opts;
  const params = [...grads.keys()];
  if (params.length === 0) throw new Error("adam: no parameters");
  const dtype = b.dtype(params[0]);
  const s = (v: number) => b.scalar(v, dtype);
  for (const p of params) if (b.dtype(p) !== dtype) throw new Error(`adam: parameter '${p}' is ${b.dtype(p)}, expected ${dtype}`);

  const stateInputs: string[] = [];
  const step = b.input(`${prefix}step`, dtype, []);
  stateInputs.push(step);
  const lrName = lr === "input" ? b.input(`${prefix}lr`, dtype, []) : b.initializer(`${prefix}lr`, dtype, [], [lr]);
  if (lr === "input") stateInputs.push(lrName);
  const slots: AdamSlot[] = [];
  const stepNew = b.withScope(`${prefix}adam`, () => {
    // scalar part, once per step: t = step + 1 and, for the scaled moments m̃ = m/(1 − β1),
    // ṽ = v/(1 − β2): lr·m̂ = c1·m̃ with c1 = lr(1 − β1)/(1 − β1ᵗ), v̂ = c2·ṽ with
    // c2 = (1 − β2)/(1 − β2ᵗ). The update c1·m̃'/(√(c2·ṽ') + ε) is emitted as m̃'/(√(k·ṽ') + e)
    // with k = c2/c1², e = ε/c1, one full pass fewer over every parameter
    const t = b.add(step, s(1), `${prefix}step.new`);
    const c1 = b.div(b.mul(lrName, s(1 - beta1)), b.sub(s(1), b.pow(s(beta1), t)));
    const c2 = b.div(s(1 - beta2), b.sub(s(1), b.pow(s(beta2), t)));
    const kk = b.div(c2, b.mul(c1, c1));
    const e = b.div(s(eps), c1);
    for (const p of params) {
      const type = b.typeOf(p);
      const m = b.input(`m.${p}`, type.dtype, type.shape);
      const v = b.input(`v.${p}`, type.dtype, type.shape);
      stateInputs.push(m, v);
      const g = grads.get(p)!;
      b.withScope(p, () => {
        // m̃' = β1·m̃ + g and ṽ' = β2·ṽ + g²: Adam's EMAs divided by (1 − β1) and (1 − β2)
        const mNew = b.add(b.mul(m, s(beta1)), g, `m.${p}.new`);
        const vNew = b.add(b.mul(v, s(beta2)), b.mul(g, g), `v.${p}.new`);
        const denom = b.add(b.sqrt(b.mul(vNew, kk)), e);
        const pNew = b.sub(p, b.div(mNew, denom), `${p}.new`);
        slots.push({ param: p, grad: g, m, v, paramNew: pNew, mNew, vNew });
      });
    }
    return t;
  });

  const outputs = [...slots.flatMap((sl) => [sl.paramNew, sl.mNew, sl.vNew]), stepNew];
  if (markOutputs) b.output(...outputs);
  const next = new Map<string, string>([[stepNew, step]]);
  for (const sl of slots) next.set(sl.paramNew, sl.param).set(sl.mNew, sl.m).set(sl.vNew, sl.v);
  return { lr: lrName, step, stepNew, slots, stateInputs, outputs, next };
}
