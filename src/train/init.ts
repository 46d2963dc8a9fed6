// Parameter initialisation shared by the VAE and the GAN.

import type { LinearParams } from "../onnx/blocks.js";
import type { Rng } from "../util/rng.js";

/**
 * PyTorch's nn.Linear default for one layer: kaiming-uniform with a = √5 on W, which is
 * U(−1/√fan_in, 1/√fan_in) (gain √(2/(1+a²)) = √(1/3), bound gain·√(3/fan_in)), and the same
 * bound for b. W is [in,out] row-major (fan_in = in); W is drawn first, then b.
 */
export function torchLinearInit(rng: Rng, p: LinearParams): Record<string, Float32Array> {
  const bound = 1 / Math.sqrt(p.inDim);
  const W = new Float32Array(p.inDim * p.outDim);
  const b = new Float32Array(p.outDim);
  for (let i = 0; i < W.length; i++) W[i] = (2 * rng.uniform() - 1) * bound;
  for (let i = 0; i < b.length; i++) b[i] = (2 * rng.uniform() - 1) * bound;
  return { [p.W]: W, [p.b]: b };
}
