// Model pieces built from builder ops. Each block takes tensor names and returns tensor names;
// parameters are graph inputs (they are carried state of a training step). Losses are in stable
// form. Math: docs/onnx-engine.md#blocks.

import { Builder } from "./builder.js";
import { DType } from "./ir.js";
import { Rng } from "../util/rng.js";

/** Parameter names of one linear layer: W is [in, out], b is [out]. */
export interface LinearParams {
  W: string;
  b: string;
  inDim: number;
  outDim: number;
}

/** Declares inputs `<prefix>.W` [in,out] and `<prefix>.b` [out] of type `dtype`. */
export function linearParams(b: Builder, prefix: string, inDim: number, outDim: number, dtype: DType = "float32"): LinearParams {
  return { W: b.input(`${prefix}.W`, dtype, [inDim, outDim]), b: b.input(`${prefix}.b`, dtype, [outDim]), inDim, outDim };
}

/** x·W + b as one Gemm: x [n,in] → [n,out]. */
export function linear(b: Builder, x: string, p: LinearParams, name?: string): string {
  return b.gemm(x, p.W, p.b, { name });
}

/** Initial values of a linear layer: W ~ U(±√(6/(in+out))) (Glorot), b = 0; row-major [in,out]. */
export function initLinear(rng: Rng, p: LinearParams, dtype: DType = "float32"): Record<string, Float32Array | Float64Array> {
  const W = dtype === "float64" ? new Float64Array(p.inDim * p.outDim) : new Float32Array(p.inDim * p.outDim);
  const limit = Math.sqrt(6 / (p.inDim + p.outDim));
  for (let i = 0; i < W.length; i++) W[i] = (2 * rng.uniform() - 1) * limit;
  return { [p.W]: W, [p.b]: dtype === "float64" ? new Float64Array(p.outDim) : new Float32Array(p.outDim) };
}

/** max(x, 0). */
export function relu(b: Builder, x: string): string {
  return b.relu(x);
}

/** x if x ≥ 0 else alpha·x (the GAN uses alpha = 0.2). */
export function leakyRelu(b: Builder, x: string, alpha = 0.2): string {
  return b.leakyRelu(x, alpha);
}

/** 1/(1+e⁻ˣ). */
export function sigmoid(b: Builder, x: string): string {
  return b.sigmoid(x);
}

/** tanh x. */
export function tanh(b: Builder, x: string): string {
  return b.tanh(x);
}

/**
 * Elementwise binary cross-entropy from logits x against targets t in [0,1], same shape:
 * max(x,0) − x·t + log(1 + e^(−|x|)), never log(sigmoid(x)). Its gradient is fused:
 * ∂/∂x = sigmoid(x) − t, ∂/∂t = −x (3 passes instead of ~12 through the inner nodes).
 */
export function bceWithLogits(b: Builder, x: string, t: string): string {
  const out = b.withScope("bce", () => {
    // e^(−|x|) ≤ 1 cannot overflow; Log(1 + ·) rather than Softplus: onnxruntime's CPU Softplus is a
    // slow scalar kernel (≈ 20× Exp) and has no float64 version
    const tail = b.log(b.add(b.exp(b.neg(b.abs(x))), b.scalarLike(1, x)));
    return b.add(b.sub(b.relu(x), b.mul(x, t)), tail);
  });
  return b.fusedGradient(out, [x, t], (dy, needs) =>
    b.withScope("grad.bce", () => [needs[0] ? b.mul(dy, b.sub(b.sigmoid(x), t)) : null, needs[1] ? b.neg(b.mul(dy, x)) : null]),
  );
}

/** Per-row KL(N(μ, e^logvar) ‖ N(0, I)) = −½ Σⱼ (1 + logvar − μ² − e^logvar): [n,k] → [n]. */
export function klFromLogVar(b: Builder, mu: string, logvar: string): string {
  return b.withScope("kl", () => {
    const inner = b.sub(b.sub(b.add(logvar, b.scalarLike(1, logvar)), b.mul(mu, mu)), b.exp(logvar));
    return b.mul(b.reduceSum(inner, [-1], false), b.scalarLike(-0.5, logvar));
  });
}

/** Reparameterised sample μ + e^(logvar/2)·ε with ε ~ N(0, I) fed as an input: all [n,k]. */
export function reparameterize(b: Builder, mu: string, logvar: string, eps: string): string {
  return b.add(mu, b.mul(b.exp(b.mul(logvar, b.scalarLike(0.5, logvar))), eps));
}

/** Squared error (x − t)² elementwise. */
export function squaredError(b: Builder, x: string, t: string): string {
  const d = b.sub(x, t);
  return b.mul(d, d);
}

/** Sum over the last axis: [n,d] → [n]. */
export function sumRows(b: Builder, x: string): string {
  return b.reduceSum(x, [-1], false);
}

/** Sum of all elements → scalar. */
export function sumAll(b: Builder, x: string, name?: string): string {
  return b.reduceSum(x, undefined, false, name);
}

/** Mean of all elements → scalar. */
export function meanAll(b: Builder, x: string, name?: string): string {
  return b.reduceMean(x, undefined, false, name);
}
