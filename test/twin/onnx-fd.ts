// Central finite-difference check of the engine's gradients, run in onnxruntime-node.
// A test builds y = f(inputs); the harness forms L = Σ w ⊙ y with fixed random weights w (so the
// upstream gradient is not all ones), emits dL/dparam with `gradients`, and compares each entry
// with (L(p + h·e) − L(p − h·e)) / 2h.

import { Builder, DType, Dim, GRAD_RULES, GradOptions, gradients, sessionFor, runGraph, TensorData } from "../../src/onnx/index.js";
import type { GradRule } from "../../src/onnx/grad.js";
import { Rng } from "../../src/util/rng.js";

/** One input of a checked graph: declared shape (may be symbolic), concrete data, param or not. */
export interface FdInput {
  shape: Dim[];
  data: number[];
  /** Differentiate with respect to this input (default true). */
  param?: boolean;
}

/**
 * Op types whose gradient rule has run inside an fdCheck, i.e. whose rule some finite-difference
 * check has exercised (test/onnx-grad.test.ts compares it with the rule table).
 */
export const FD_CHECKED_OPS = new Set<string>();

/** `rules` with every rule recording its op type in FD_CHECKED_OPS when it runs. */
function recording(rules: Record<string, GradRule>): Record<string, GradRule> {
  return Object.fromEntries(
    Object.entries(rules).map(([op, rule]) => [op, (c: Parameters<GradRule>[0]) => (FD_CHECKED_OPS.add(op), rule(c))]),
  );
}

/** Result of a check: the worst relative error over all parameters and where it was. */
export interface FdResult {
  maxRel: number;
  worst: string;
  analytic: Record<string, number[]>;
}

function typed(dtype: DType, v: number[]): TensorData {
  return dtype === "float64" ? Float64Array.from(v) : Float32Array.from(v);
}

/** Builds, differentiates and finite-difference-checks `build`; returns the worst relative error. */
export async function fdCheck(
  dtype: DType,
  inputs: Record<string, FdInput>,
  build: (b: Builder, x: Record<string, string>) => string,
  opts: { seed?: number; h?: number; grad?: GradOptions; optimization?: "disabled" | "all" } = {},
): Promise<FdResult> {
  const b = new Builder("fd");
  const names: Record<string, string> = {};
  for (const [k, v] of Object.entries(inputs)) names[k] = b.input(k, dtype, v.shape);
  const y = build(b, names);
  // the weights need a concrete shape: take it from a dry run, so symbolic dims work too
  const params = Object.keys(inputs).filter((k) => inputs[k].param !== false);
  const feeds: Record<string, TensorData> = {};
  for (const [k, v] of Object.entries(inputs)) feeds[k] = typed(dtype, v.data);

  const probe = new Builder("probe");
  for (const [k, v] of Object.entries(inputs)) probe.input(k, dtype, v.shape);
  probe.output(build(probe, names));
  const ySize = (Object.values(await runGraph(await sessionFor(probe.graph), probe.graph, feeds))[0]).length;
  const yShape = b.shape(y);
  const rng = new Rng(opts.seed ?? 7);
  const w = Array.from({ length: ySize }, () => 0.5 + rng.uniform());
  const concrete = yShape.some((d) => typeof d !== "number") ? [ySize] : (yShape as number[]);
  const wName = b.constant(w, concrete, dtype);
  const yFlat = yShape.some((d) => typeof d !== "number") ? b.reshape(y, [-1]) : y;
  const loss = b.reduceSum(b.mul(yFlat, wName), undefined, false, "L");
  const grads = gradients(b, loss, params, { ...opts.grad, rules: recording(opts.grad?.rules ?? GRAD_RULES) });
  b.output(loss);
  for (const p of params) b.output(b.identity(grads.get(p)!, `d.${p}`));
  const session = await sessionFor(b.graph, { optimization: opts.optimization ?? "all" });

  const base = await runGraph(session, b.graph, feeds);
  const h = opts.h ?? (dtype === "float64" ? 1e-6 : 5e-3);
  let maxRel = 0;
  let worst = "";
  const analytic: Record<string, number[]> = {};
  for (const p of params) {
    const a = Array.from(base[`d.${p}`] as Float64Array);
    analytic[p] = a;
    const x = inputs[p].data;
    const fd: number[] = [];
    for (let i = 0; i < x.length; i++) {
      const at = async (delta: number) => {
        const xs = [...x];
        xs[i] += delta;
        const out = await runGraph(session, b.graph, { ...feeds, [p]: typed(dtype, xs) }, ["L"]);
        return Number(out.L[0]);
      };
      fd.push(((await at(h)) - (await at(-h))) / (2 * h));
    }
    const scale = Math.max(...fd.map(Math.abs), 1e-12);
    for (let i = 0; i < fd.length; i++) {
      const rel = Math.abs(a[i] - fd[i]) / scale;
      if (!(rel <= maxRel)) {
        maxRel = rel;
        worst = `${p}[${i}]: analytic ${a[i]} vs fd ${fd[i]}`;
      }
    }
  }
  return { maxRel, worst, analytic };
}

/** `n` numbers in ±[lo, hi] (away from 0, where Relu/Abs/Max have kinks). */
export function awayFromZero(rng: Rng, n: number, lo = 0.2, hi = 1.5): number[] {
  return Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1) * (lo + (hi - lo) * rng.uniform()));
}

/** `n` numbers uniform in [lo, hi]. */
export function uniform(rng: Rng, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
}
