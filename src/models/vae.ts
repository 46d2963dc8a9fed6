// The MNIST VAE (Kingma & Welling) as ONNX graphs built with the engine in src/onnx/:
//   encoder  x [n,784] → relu(x·W1 + b1) [n,hidden] → [μ | logvar] [n,2·latent] (one Gemm, split)
//   decoder  z [n,latent] → relu(z·W3 + b3) [n,hidden] → logits [n,784]; images = sigmoid(logits)
//   loss per image = Σ_pixels BCE(logits, x) + KL(N(μ, e^logvar) ‖ N(0, I))
// with z = μ + e^(logvar/2)·ε and ε a graph input, so every graph is deterministic.
// Graphs, their inputs/outputs and the math: docs/vae.md.

import {
  Builder, Dim, DType, Graph, LinearParams, AdamSection,
  adam, bceWithLogits, gradients, klFromLogVar, linear, linearParams, loopSteps, relu, reparameterize, sumRows,
} from "../onnx/index.js";
import { torchLinearInit } from "../train/init.js";
import type { Rng } from "../util/rng.js";

/** Layer sizes. */
export interface VaeDims {
  /** Pixels per image (784 for MNIST). */
  input: number;
  hidden: number;
  latent: number;
}

/** Parameter names of the four linear layers (enc2 outputs μ and logvar side by side). */
export interface VaeLayers {
  enc1: LinearParams;
  enc2: LinearParams;
  dec1: LinearParams;
  dec2: LinearParams;
}

/** Parameter values by name (`enc1.W` [input,hidden], `enc1.b` [hidden], …). */
export type VaeWeights = Record<string, Float32Array | Float64Array>;

const LAYER_NAMES = ["enc1", "enc2", "dec1", "dec2"] as const;

function layerShapes(d: VaeDims): Record<(typeof LAYER_NAMES)[number], [number, number]> {
  return { enc1: [d.input, d.hidden], enc2: [d.hidden, 2 * d.latent], dec1: [d.latent, d.hidden], dec2: [d.hidden, d.input] };
}

/** Parameter names in a fixed order (W then b, encoder then decoder). */
export function vaeParamNames(): string[] {
  return LAYER_NAMES.flatMap((l) => [`${l}.W`, `${l}.b`]);
}

/** Shape of every parameter by name. */
export function vaeParamShapes(d: VaeDims): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [l, [i, o]] of Object.entries(layerShapes(d))) {
    out[`${l}.W`] = [i, o];
    out[`${l}.b`] = [o];
  }
  return out;
}

/** Initial weights like PyTorch's nn.Linear default (U(±1/√fan_in) for W and b), layer by layer. */
export function initVae(rng: Rng, d: VaeDims): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [l, [i, o]] of Object.entries(layerShapes(d))) Object.assign(out, torchLinearInit(rng, { W: `${l}.W`, b: `${l}.b`, inDim: i, outDim: o }));
  return out;
}

/**
 * Declares the layers: as graph inputs (training and evaluation graphs, weights fed each run),
 * or as initializers holding `weights` (exported inference models).
 */
function declareLayers(b: Builder, d: VaeDims, names: readonly (typeof LAYER_NAMES)[number][], dtype: DType, weights?: VaeWeights): Partial<VaeLayers> {
  const shapes = layerShapes(d);
  const out: Partial<VaeLayers> = {};
  for (const l of names) {
    const [i, o] = shapes[l];
    if (!weights) {
      out[l] = linearParams(b, l, i, o, dtype);
      continue;
    }
    const W = weights[`${l}.W`], bias = weights[`${l}.b`];
    if (!W || !bias || W.length !== i * o || bias.length !== o) throw new Error(`VAE weights: '${l}' missing or not [${i},${o}]`);
    out[l] = { W: b.initializer(`${l}.W`, dtype, [i, o], W), b: b.initializer(`${l}.b`, dtype, [o], bias), inDim: i, outDim: o };
  }
  return out;
}

// ---------------------------------------------------------------- model pieces

/** Encoder: x [n,input] → μ, logvar [n,latent]. */
export function encode(b: Builder, x: string, p: Pick<VaeLayers, "enc1" | "enc2">, latent: number): { mu: string; logvar: string } {
  return b.withScope("enc", () => {
    const [mu, logvar] = b.split(linear(b, relu(b, linear(b, x, p.enc1)), p.enc2), [latent, latent], 1);
    return { mu, logvar };
  });
}

/** Decoder: z [n,latent] → logits [n,input] (images are sigmoid(logits)). */
export function decodeLogits(b: Builder, z: string, p: Pick<VaeLayers, "dec1" | "dec2">): string {
  return b.withScope("dec", () => linear(b, relu(b, linear(b, z, p.dec1)), p.dec2));
}

/** Per-image loss terms: rec = Σ_pixels BCE(logits, x) [n], kl [n], their sum `loss` [n], and the logits. */
export function lossTerms(b: Builder, x: string, eps: string, p: VaeLayers, latent: number): { rec: string; kl: string; loss: string; logits: string } {
  const { mu, logvar } = encode(b, x, p, latent);
  const z = reparameterize(b, mu, logvar, eps);
  const logits = decodeLogits(b, z, p);
  const rec = sumRows(b, bceWithLogits(b, logits, x));
  const kl = klFromLogVar(b, mu, logvar);
  return { rec, kl, loss: b.add(rec, kl), logits };
}

// ---------------------------------------------------------------- graphs

/** Options of the graph builders. */
export interface VaeGraphOptions {
  /** Element type (float64 only for gradient checks). Default float32. */
  dtype?: DType;
  /** Batch dim: a number, or symbolic "batch" (default) so a short last batch runs too. */
  batch?: Dim;
}

/** A training-step graph and the names a caller needs. */
export interface VaeTrainGraph {
  graph: Graph;
  layers: VaeLayers;
  adam: AdamSection;
}

/**
 * Training step: inputs x [batch,input], eps [batch,latent], the parameters and Adam state
 * (`step`, `m.<p>`, `v.<p>`); outputs `loss`, `rec`, `kl` (means per image over the batch, the
 * loss minimised is `loss`), then the updated parameters and state (`<p>.new`, …, `step.new`).
 */
export function buildTrainStep(d: VaeDims, opts: VaeGraphOptions & { lr?: number; beta1?: number; beta2?: number; eps?: number } = {}): VaeTrainGraph {
  const { dtype = "float32", batch = "batch", lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps: adamEps = 1e-8 } = opts;
  const b = new Builder("vae-train-step");
  const x = b.input("x", dtype, [batch, d.input]);
  const eps = b.input("eps", dtype, [batch, d.latent]);
  const layers = declareLayers(b, d, LAYER_NAMES, dtype) as VaeLayers;
  const t = lossTerms(b, x, eps, layers, d.latent);
  // the objective is the mean over the batch; PyTorch's example sums, which with Adam differs only in
  // ε's relative scale (measured: same losses within seed noise, docs/vae.md)
  const loss = b.reduceMean(t.loss, undefined, false, "loss");
  b.output(loss, b.reduceMean(t.rec, undefined, false, "rec"), b.reduceMean(t.kl, undefined, false, "kl"));
  const grads = gradients(b, loss, vaeParamNames());
  const section = adam(b, grads, { lr, beta1, beta2, eps: adamEps });
  return { graph: b.graph, layers, adam: section };
}

/**
 * The training step as a chunk graph (loopSteps): `x` [steps,batch,input] and `eps`
 * [steps,batch,latent] stacked; `loss`, `rec`, `kl` [steps]; the state after the last step. Same
 * names and Adam section as `buildTrainStep`, whose graph is `step`.
 */
export function buildTrainChunk(d: VaeDims, opts: Parameters<typeof buildTrainStep>[1] = {}): VaeTrainGraph & { step: Graph } {
  const step = buildTrainStep(d, opts);
  return { ...step, graph: loopSteps(step.graph, { carried: step.adam.next }), step: step.graph };
}

/**
 * Evaluation: inputs x [batch,input], eps [batch,latent] and the parameters; outputs per image
 * `loss`, `rec`, `kl` [batch] and `recon` = sigmoid(logits) [batch,input]. No gradients, no updates.
 */
export function buildEval(d: VaeDims, opts: VaeGraphOptions = {}): Graph {
  const { dtype = "float32", batch = "batch" } = opts;
  const b = new Builder("vae-eval");
  const x = b.input("x", dtype, [batch, d.input]);
  const eps = b.input("eps", dtype, [batch, d.latent]);
  const layers = declareLayers(b, d, LAYER_NAMES, dtype) as VaeLayers;
  const t = lossTerms(b, x, eps, layers, d.latent);
  b.output(b.identity(t.loss, "loss"), b.identity(t.rec, "rec"), b.identity(t.kl, "kl"), b.sigmoid(t.logits, "recon"));
  return b.graph;
}

/** Encoder x [n,input] → `mu`, `logvar` [n,latent]; weights become initializers when given, else inputs. */
export function buildEncoder(d: VaeDims, weights?: VaeWeights, opts: VaeGraphOptions = {}): Graph {
  const { dtype = "float32", batch = "n" } = opts;
  const b = new Builder("vae-encoder");
  const x = b.input("x", dtype, [batch, d.input]);
  const p = declareLayers(b, d, ["enc1", "enc2"], dtype, weights) as VaeLayers;
  const { mu, logvar } = encode(b, x, p, d.latent);
  b.output(b.identity(mu, "mu"), b.identity(logvar, "logvar"));
  return b.graph;
}

/** Decoder z [n,latent] → `image` = sigmoid(logits) [n,input] in [0,1]; weights as in buildEncoder. */
export function buildDecoder(d: VaeDims, weights?: VaeWeights, opts: VaeGraphOptions = {}): Graph {
  const { dtype = "float32", batch = "n" } = opts;
  const b = new Builder("vae-decoder");
  const z = b.input("z", dtype, [batch, d.latent]);
  const p = declareLayers(b, d, ["dec1", "dec2"], dtype, weights) as VaeLayers;
  b.output(b.sigmoid(decodeLogits(b, z, p), "image"));
  return b.graph;
}
