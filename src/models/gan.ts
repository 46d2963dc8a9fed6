// The GAN of Exercise 2b as ONNX graphs: a generator 100 → 256 → 512 → 1024 → 784 (LeakyReLU 0.2,
// tanh output, images in [−1, 1]) and a discriminator 784 → 1024 → 512 → 256 → 1 (LeakyReLU 0.2,
// optional dropout after each hidden layer while training, one logit). One training step is a
// discriminator step and then a generator step on the same z, in one graph (G(z) computed once;
// the gradient of G's loss flows through the updated D into G); a chunk graph runs that step in an
// ONNX Loop over a stack of batches, so both networks' state stays in onnxruntime between steps.
// Math and graph diagrams: docs/gan.md.

import {
  AdamSection, Builder, Dim, DimValues, Graph, LinearParams, adam, bceWithLogits, gradients, loopSteps,
} from "../onnx/index.js";
import { dropCut, type MaskRng } from "../train/dropout.js";
import { torchLinearInit } from "../train/init.js";
import { Rng } from "../util/rng.js";

/** Layer widths of both networks (the assignment's architecture). */
export const GAN_ARCH = {
  zDim: 100,
  pixels: 784,
  generator: [100, 256, 512, 1024, 784],
  discriminator: [784, 1024, 512, 256, 1],
  slope: 0.2,
} as const;

/** Widths of D's hidden layers, one dropout mask each: [1024, 512, 256]. */
export const D_MASK_WIDTHS: readonly number[] = GAN_ARCH.discriminator.slice(1, -1);

/** Dropout mask inputs of D's hidden layers in the D step's pass over the 2n rows [real; fake]: [2n,1024], [2n,512], [2n,256]. */
export const D_MASKS = ["D.mask1", "D.mask2", "D.mask3"] as const;

/** Dropout mask inputs of D's hidden layers in the G step's pass over the n generated rows: [n,1024], [n,512], [n,256]. */
export const G_PASS_MASKS = ["D.gmask1", "D.gmask2", "D.gmask3"] as const;

/** Every mask input of a training step, in drawing order: name, rows per batch row (2 or 1), width. */
export const STEP_MASKS: readonly { name: string; rowsPerRow: number; width: number }[] = [
  ...D_MASKS.map((name, i) => ({ name, rowsPerRow: 2, width: D_MASK_WIDTHS[i] })),
  ...G_PASS_MASKS.map((name, i) => ({ name, rowsPerRow: 1, width: D_MASK_WIDTHS[i] })),
];

/**
 * One training step's dropout draws (uint16 inputs: a unit is dropped when its draw is below
 * dropCut(p)) for a batch of `rows` rows, drawn from `rng` in STEP_MASKS order (the D step's pass,
 * then the G step's): into `out[name]` when given (each long enough; e.g. the step's slot in a
 * chunk), else into new arrays. Empty when p = 0 (the training graphs then have no mask inputs).
 */
export function stepMasks(rng: MaskRng, rows: number, p: number, out?: Record<string, Uint16Array>): Record<string, Uint16Array> {
  if (!(p > 0)) return {};
  return Object.fromEntries(STEP_MASKS.map(({ name, rowsPerRow, width }) => {
    const n = rows * rowsPerRow * width;
    return [name, rng.fill(out ? out[name].subarray(0, n) : new Uint16Array(n))];
  }));
}

/** Options of the training graphs. */
export interface GanGraphOptions {
  /** Dropout after each of D's hidden layers (masks are inputs, see D_MASKS); 0 = none. */
  dropout?: number;
}

/** Adam settings of both optimisers (the assignment: lr 2e-4, β₁ 0.5, β₂ 0.999). */
export interface GanOptim {
  lr: number;
  beta1: number;
  beta2: number;
}

/** The assignment's Adam settings for both networks. */
export const GAN_OPTIM: GanOptim = { lr: 2e-4, beta1: 0.5, beta2: 0.999 };

/**
 * Default dropout of D's hidden layers while training. The assignment's architecture has none; with
 * none, this GAN over-produces 1s, 7s and 9s (docs/gan.md, "Class coverage"), and dropout in D is
 * the usual form of this MLP GAN. `--dropout 0` trains the bare architecture.
 */
export const GAN_DROPOUT = 0.3;

/** A network's layers in order; parameter names are `<net>.fc<i>.W` [in,out] and `<net>.fc<i>.b` [out]. */
export type Layers = LinearParams[];

/** Parameter values by name (row-major float32). */
export type Params = Record<string, Float32Array>;

// ---------------------------------------------------------------- parameters

/** Parameter names and shapes of network `net` ("G" or "D") with widths `dims`. */
export function layerSpecs(net: "G" | "D"): Layers {
  const dims = net === "G" ? GAN_ARCH.generator : GAN_ARCH.discriminator;
  return dims.slice(1).map((out, i) => ({ W: `${net}.fc${i + 1}.W`, b: `${net}.fc${i + 1}.b`, inDim: dims[i], outDim: out }));
}

/**
 * FLOP (2 per multiply-add) of the Gemms of one D+G step pair at batch B, as ganStepGraph runs them:
 * G's forward once; the D step over 2B rows [real; fake]: D's forward, its weight gradients and its
 * input gradients but the first layer's; the G step over B rows: D′'s forward and input gradients
 * (every layer: they reach G), G's weight gradients and input gradients but the first layer's.
 * Biases and elementwise work are not counted: ≈ 3.71 GFLOP at B = 128 (the benches' GFLOP/s).
 */
export function stepPairFlops(B: number): number {
  const macs = (w: readonly number[]) => w.slice(1).reduce((sum, out, i) => sum + w[i] * out, 0);
  const g = GAN_ARCH.generator, d = GAN_ARCH.discriminator;
  const G = macs(g), D = macs(d);
  const dStep = 2 * B * (D + D + (D - d[0] * d[1]));
  const gStep = B * (D + D + G + (G - g[0] * g[1]));
  return 2 * (B * G + dStep + gStep);
}

/** Declares a network's parameters: graph inputs, or initializers holding `values` (exported models). */
function declare(b: Builder, net: "G" | "D", values?: Params): Layers {
  const layers = layerSpecs(net);
  for (const l of layers) {
    if (values) {
      b.initializer(l.W, "float32", [l.inDim, l.outDim], need(values, l.W));
      b.initializer(l.b, "float32", [l.outDim], need(values, l.b));
    } else {
      b.input(l.W, "float32", [l.inDim, l.outDim]);
      b.input(l.b, "float32", [l.outDim]);
    }
  }
  return layers;
}

function need(values: Params, name: string): Float32Array {
  const v = values[name];
  if (!v) throw new Error(`GAN: no value for parameter '${name}'`);
  return v;
}

/** PyTorch's nn.Linear default for every layer (W, then b, layer by layer; src/train/init.ts), from `rng`. */
export function initLayers(rng: Rng, layers: Layers): Params {
  return Object.assign({}, ...layers.map((l) => torchLinearInit(rng, l)));
}

/** Fresh parameters of both networks: G first, then D, from one seeded stream. */
export function initGan(rng: Rng): { G: Params; D: Params } {
  return { G: initLayers(rng, layerSpecs("G")), D: initLayers(rng, layerSpecs("D")) };
}

/** Number of trainable scalars of a network. */
export function parameterCount(net: "G" | "D"): number {
  return layerSpecs(net).reduce((s, l) => s + l.inDim * l.outDim + l.outDim, 0);
}

// ---------------------------------------------------------------- forward blocks

/**
 * LeakyReLU whose gradient reads its output: for α > 0, y > 0 ⇔ x > 0, so the backward pass needs
 * no pre-activation and onnxruntime may fuse the Gemm before it (FusedGemm).
 */
function leaky(b: Builder, x: string, name?: string): string {
  const y = b.leakyRelu(x, GAN_ARCH.slope, name);
  return b.fusedGradient(y, [x], (dy, needs) =>
    b.withScope("grad.leaky", () => [
      needs[0] ? b.where(b.greater(y, b.scalarLike(0, y)), dy, b.mul(dy, b.scalarLike(GAN_ARCH.slope, dy))) : null,
    ]),
  );
}

/**
 * Hidden layers with LeakyReLU, last layer linear: x [n,in] → [n,out]. With dropout p > 0,
 * `masks[i]` (uint16 draws, same shape) zeroes the units of hidden activation i whose draw is below
 * dropCut(p), and the next layer's Gemm scales its product by 1/(1 − p) (alpha): inverted dropout.
 */
function mlp(b: Builder, x: string, layers: Layers, masks: readonly string[] = [], p = 0): string {
  let h = x;
  let alpha = 1;
  layers.forEach((l, i) => {
    h = b.gemm(h, l.W, l.b, { alpha });
    alpha = 1;
    if (i < layers.length - 1) {
      h = leaky(b, h);
      if (masks[i]) {
        h = b.where(b.less(masks[i], b.scalar(dropCut(p), "uint16")), b.scalarLike(0, h), h);
        alpha = 1 / (1 - p);
      }
    }
  });
  return h;
}

/** G(z): z [n,100] → image [n,784] in [−1, 1] (tanh). */
export function generatorForward(b: Builder, z: string, G: Layers): string {
  return b.withScope("G", () => b.tanh(mlp(b, z, G)));
}

/**
 * D(x): image [n,784] in [−1, 1] → logit [n,1]; `masks`: keep flags of the hidden layers with drop
 * probability `dropout` (training).
 */
export function discriminatorForward(b: Builder, x: string, D: Layers, masks: readonly string[] = [], dropout = 0): string {
  return b.withScope("D", () => mlp(b, x, D, masks, dropout));
}

/** Declares D's dropout draws (uint16) as inputs with `rows` rows, when dropout is on. */
function declareMasks(b: Builder, rows: Dim, dropout: number, names: readonly string[] = D_MASKS): string[] {
  if (!(dropout > 0)) return [];
  return names.map((m, i) => b.input(m, "uint16", [rows, D_MASK_WIDTHS[i]]));
}

/** Mean over all rows of BCE(logit, t) in stable form, t a constant 0 or 1: [n,1] → scalar. */
function meanBce(b: Builder, logit: string, target: 0 | 1, name?: string): string {
  return b.reduceMean(bceWithLogits(b, logit, b.scalarLike(target, logit)), undefined, false, name);
}

// ---------------------------------------------------------------- training graphs

/** One training step of both networks: the D step and then the G step on the same z, in one graph. */
export interface GanStepGraph {
  graph: Graph;
  /** D's Adam section, then G's. */
  sections: [AdamSection, AdamSection];
}

/**
 * A D step followed by a G step in one graph. Inputs: `x` [n,784] real images in [−1,1], `z`
 * [n,100], `t` [2n,1] (n ones, then n zeros), both networks' parameters and Adam state, and with
 * dropout D_MASKS [2n,·] (the D step's pass) and G_PASS_MASKS [n,·] (the G step's pass).
 * D step: `d.loss` = mean BCE(D(x), 1) + mean BCE(D(G(z)), 0), gradients for D only, Adam → D'.
 * G step: `g.loss` = mean BCE(D'(G(z)), 1) with D' the updated D, gradients for G only (D' is a
 * constant: the walk stops at D's new parameters), Adam → G'. G(z) is computed once and its
 * activations serve both the D step's forward pass and the G step's backward pass.
 */
export function ganStepGraph(optim: GanOptim = GAN_OPTIM, opts: GanGraphOptions = {}): GanStepGraph {
  const b = new Builder("gan-step");
  const x = b.input("x", "float32", ["batch", GAN_ARCH.pixels]);
  const z = b.input("z", "float32", ["batch", GAN_ARCH.zDim]);
  const t = b.input("t", "float32", ["both", 1]);
  const G = declare(b, "G");
  const D = declare(b, "D");
  const dMasks = declareMasks(b, "both", opts.dropout ?? 0);
  const gMasks = declareMasks(b, "batch", opts.dropout ?? 0, G_PASS_MASKS);
  const fake = generatorForward(b, z, G);
  // one pass of D over the 2n rows [real; fake]: Gemms of 2n rows and one weight-gradient Gemm each.
  // Stacked as [2, n, 784] then reshaped to [2n, 784], 2n read off t's shape (the builder cannot
  // add two symbolic dims, so the 2n dim is named by t's)
  const stacked = b.concat([b.unsqueeze(x, [0]), b.unsqueeze(fake, [0])], 0);
  const both = b.op("Reshape", [stacked, b.concat([b.op("Shape", [t], { start: 0, end: 1 }), b.ints([GAN_ARCH.pixels])], 0)]);
  const logits = discriminatorForward(b, both, D, dMasks, opts.dropout);
  // mean over 2n rows of the elementwise BCE, ×2 = mean over real + mean over fake (equal counts)
  const lossD = b.mul(b.reduceMean(bceWithLogits(b, logits, t), undefined, false), b.scalar(2, "float32"), "d.loss");
  b.output(lossD);
  const dSec = adam(b, gradients(b, lossD, D.flatMap((l) => [l.W, l.b])), { ...optim, prefix: "D." });
  const updated = new Map(dSec.slots.map((s) => [s.param, s.paramNew]));
  const D1 = D.map((l) => ({ ...l, W: updated.get(l.W)!, b: updated.get(l.b)! }));
  const lossG = meanBce(b, discriminatorForward(b, fake, D1, gMasks, opts.dropout), 1, "g.loss");
  b.output(lossG);
  const gSec = adam(b, gradients(b, lossG, G.flatMap((l) => [l.W, l.b]), { stop: [...updated.values()] }), { ...optim, prefix: "G." });
  return { graph: b.graph, sections: [dSec, gSec] };
}

/**
 * The training step as a chunk graph (loopSteps): `x` [steps,n,784], `z` [steps,n,100] and the
 * masks [steps,·,·] stacked, `t` [2n,1] shared by all steps; `d.loss` and `g.loss` [steps]; both
 * networks' state after the last step. Same names and sections as `ganStepGraph`.
 */
export function ganChunkGraph(optim: GanOptim = GAN_OPTIM, opts: GanGraphOptions = {}): GanStepGraph {
  const step = ganStepGraph(optim, opts);
  const carried = new Map([...step.sections[0].next, ...step.sections[1].next]);
  return { graph: loopSteps(step.graph, { carried, shared: ["t"] }), sections: step.sections };
}

/**
 * The per-step inputs of chunks of training steps (ganChunkGraph), in buffers reused from chunk to
 * chunk: the targets `t`, and for each step the noise z from `zRng` and the dropout masks from
 * `maskRng` (stepMasks), drawn step by step, so the streams do not depend on the chunk size.
 */
export class GanChunkFeeds {
  private readonly z: Float32Array;
  private readonly t: Float32Array;
  private readonly masks: Record<string, Uint16Array>;

  constructor(readonly maxSteps: number, readonly batchSize: number, readonly dropout: number) {
    this.z = new Float32Array(maxSteps * batchSize * GAN_ARCH.zDim);
    this.t = new Float32Array(2 * batchSize);
    this.masks = dropout > 0 ? Object.fromEntries(STEP_MASKS.map((m) => [m.name, new Uint16Array(maxSteps * batchSize * m.rowsPerRow * m.width)])) : {};
  }

  /** Feeds and dim values for a chunk of `steps` batches of `rows` real images each, stacked in `x` (in [−1,1]). */
  next(chunk: { steps: number; rows: number; x: Float32Array }, zRng: Rng, maskRng: MaskRng): { feeds: Record<string, Float32Array | Uint16Array>; dims: DimValues } {
    const { steps, rows } = chunk;
    if (steps > this.maxSteps || rows > this.batchSize) throw new Error(`GanChunkFeeds: ${steps}×${rows} exceeds ${this.maxSteps}×${this.batchSize}`);
    const zLen = rows * GAN_ARCH.zDim;
    const slot = <T extends Float32Array | Uint16Array>(buf: T, len: number, i: number) => buf.subarray(i * len, (i + 1) * len) as T;
    for (let i = 0; i < steps; i++) {
      zRng.fillNormal(slot(this.z, zLen, i));
      stepMasks(maskRng, rows, this.dropout, Object.fromEntries(STEP_MASKS.filter((m) => this.masks[m.name]).map((m) => [m.name, slot(this.masks[m.name], rows * m.rowsPerRow * m.width, i)])));
    }
    const t = this.t.subarray(0, 2 * rows).fill(1, 0, rows).fill(0, rows);
    const feeds: Record<string, Float32Array | Uint16Array> = { x: chunk.x, z: this.z.subarray(0, steps * zLen), t };
    for (const m of STEP_MASKS) if (this.masks[m.name]) feeds[m.name] = this.masks[m.name].subarray(0, steps * rows * m.rowsPerRow * m.width);
    return { feeds, dims: { steps, batch: rows, both: 2 * rows } };
  }
}

/**
 * Losses without updates. Inputs: `x` [n,784] real in [−1,1], `z` [m,100], both networks' params.
 * Outputs (sums over rows, so chunks add up): `d.real` = Σ BCE(D(x),1), `d.fake` = Σ BCE(D(G(z)),0),
 * `g.fake` = Σ BCE(D(G(z)),1). D's loss = d.real/n + d.fake/m; G's loss = g.fake/m.
 */
export function evalGraph(): { graph: Graph; G: Layers; D: Layers } {
  const b = new Builder("gan-eval");
  const x = b.input("x", "float32", ["n", GAN_ARCH.pixels]);
  const z = b.input("z", "float32", ["m", GAN_ARCH.zDim]);
  const G = declare(b, "G");
  const D = declare(b, "D");
  const real = discriminatorForward(b, x, D);
  const fake = discriminatorForward(b, generatorForward(b, z, G), D);
  const sum = (v: string, name: string) => b.reduceSum(v, undefined, false, name);
  b.output(
    sum(bceWithLogits(b, real, b.scalar(1, "float32")), "d.real"),
    sum(bceWithLogits(b, fake, b.scalar(0, "float32")), "d.fake"),
    sum(bceWithLogits(b, fake, b.scalar(1, "float32")), "g.fake"),
  );
  return { graph: b.graph, G, D };
}

// ---------------------------------------------------------------- exported models

/** Sampling graph: `z` [n,100] and G's parameters as inputs → `image` [n,784] in [0,1]. */
export function sampleGraph(): Graph {
  return generatorImageGraph();
}

/** generator.onnx: input `z` [n,100] ~ N(0, I) → output `image` [n,784] in [0,1] = (G(z) + 1)/2; weights inside. */
export function generatorModel(G: Params): Graph {
  return generatorImageGraph(G);
}

function generatorImageGraph(G?: Params): Graph {
  const b = new Builder(G ? "gan-generator" : "gan-sample");
  const z = b.input("z", "float32", ["n", GAN_ARCH.zDim]);
  const g = generatorForward(b, z, declare(b, "G", G));
  // [−1,1] → [0,1], so it is interchangeable with the VAE's decoder.onnx
  const half = b.scalar(0.5, "float32");
  b.output(b.add(b.mul(g, half), half, "image"));
  return b.graph;
}

/** discriminator.onnx: input `image` [n,784] in [0,1] (MNIST pixels) → output `logit` [n,1]; weights inside. */
export function discriminatorModel(D: Params): Graph {
  const b = new Builder("gan-discriminator");
  const image = b.input("image", "float32", ["n", GAN_ARCH.pixels]);
  const x = b.sub(b.mul(image, b.scalar(2, "float32")), b.scalar(1, "float32"));
  b.output(b.identity(discriminatorForward(b, x, declare(b, "D", D)), "logit"));
  return b.graph;
}

/** MNIST pixels in [0,1] → the generator's range [−1,1], in a new array. */
export function toTanhRange(pixels: Float32Array): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = 2 * pixels[i] - 1;
  return out;
}
