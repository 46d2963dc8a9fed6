// Seconds per GAN epoch (469 D+G step pairs at batch 128 over MNIST's 60000 images), emlab's ONNX
// training-step graphs in onnxruntime-node against PyTorch on the same architecture and optimiser.
//   node build/bench/gan.js [--steps 469] [--torch-steps N] [--threads 2] [--epochs 0] [--no-torch]
// --steps: time that many step pairs on MNIST batches (469 = one epoch) and extrapolate to an epoch.
// --epochs E: also run `runGan` for E full epochs (with test evaluation) into a temporary directory.
// PyTorch runs the same number of steps in an inline script when /usr/bin/python3 (or python3) can
// import torch (apt-get install -y python3-torch); it is never a product dependency.
// "cpu" is the process CPU time over all threads: on a shared machine it is steadier than wall time.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { defaultMnistDir, loadMnist } from "../src/data/mnist.js";
import { GAN_DEFAULTS, runGan } from "../src/experiments/gan.js";
import { dropoutMasks, dStepGraph, G_ACTIVATIONS, GAN_DROPOUT, gStepGraph, initGan, layerSpecs, toTanhRange, type Params } from "../src/models/gan.js";
import { MaskRng } from "../src/train/dropout.js";
import { sessionFor, TrainStep } from "../src/onnx/index.js";
import { batches, epochOrder } from "../src/train/batches.js";
import { Rng } from "../src/util/rng.js";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const STEPS = arg("steps", 469);
const THREADS = arg("threads", 2);
const EPOCHS = arg("epochs", 0);
/** D's dropout while training (the CLI's default unless given). */
const DROPOUT = arg("dropout", GAN_DROPOUT);
/** PyTorch steps (default: as many as ours); fewer keep a slow CPU build of torch affordable. */
const TORCH_STEPS = arg("torch-steps", STEPS);
const BATCH = 128;
const PER_EPOCH = Math.ceil(60000 / BATCH);

async function emlabSteps(): Promise<{ wall: number; cpu: number; d: number; g: number }> {
  const train = loadMnist("train");
  const data = { data: toTanhRange(train.images.data), rows: train.images.rows, cols: 784 };
  const dg = dStepGraph(undefined, { dropout: DROPOUT });
  const gg = gStepGraph(undefined, { dropout: DROPOUT });
  const init = initGan(new Rng(1));
  const d = new TrainStep(await sessionFor(dg.graph, { threads: THREADS }), dg.graph, dg.section, { params: init.D }, true);
  const g = new TrainStep(await sessionFor(gg.graph, { threads: THREADS }), gg.graph, gg.section, { params: init.G }, true);
  const params = (s: TrainStep, net: "G" | "D"): Params => Object.fromEntries(layerSpecs(net).flatMap((l) => [[l.W, s.param(l.W) as Float32Array], [l.b, s.param(l.b) as Float32Array]]));
  const rng = new Rng(2);
  const t = new Float32Array(2 * BATCH).fill(1, 0, BATCH);
  const z = () => rng.fillNormal(new Float32Array(BATCH * 100)) as Float32Array;
  const maskRng = new MaskRng(3);
  const masks = (rows: number) => dropoutMasks(maskRng, rows, DROPOUT);
  let done = 0, lastD = 0, lastG = 0, t0 = 0;
  let c0 = process.cpuUsage();
  const warm = 3;
  while (done < STEPS + warm) {
    for (const b of batches(data, epochOrder(rng, data.rows), { batchSize: BATCH, dropLast: true })) {
      if (done === warm) {
        t0 = performance.now();
        c0 = process.cpuUsage();
      }
      // as in runGan: one z per batch; the G step takes G's activations from the D step
      const zb = z();
      const dOut = await d.run({ x: b.x, z: zb, t, ...params(g, "G"), ...masks(2 * BATCH) });
      lastD = Number(dOut["d.loss"][0]);
      const acts = Object.fromEntries(G_ACTIVATIONS.map((a) => [a, dOut[a]]));
      lastG = Number((await g.run({ z: zb, ...acts, ...params(d, "D"), ...masks(BATCH) }))["g.loss"][0]);
      if (++done >= STEPS + warm) break;
    }
  }
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, d: lastD, g: lastG };
}

const TORCH = String.raw`
import sys, time, numpy as np, torch, torch.nn as nn
steps, threads, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
torch.set_num_threads(threads); torch.manual_seed(1)
x = np.frombuffer(open(path + "/train-images-idx3-ubyte", "rb").read()[16:], dtype=np.uint8).reshape(-1, 784)
x = torch.from_numpy(x.astype(np.float32) / 127.5 - 1)
L = lambda i, o: nn.Linear(i, o)
p = float(sys.argv[4]); Dr = (lambda: nn.Dropout(p)) if p > 0 else (lambda: nn.Identity())
G = nn.Sequential(L(100, 256), nn.LeakyReLU(0.2), L(256, 512), nn.LeakyReLU(0.2), L(512, 1024), nn.LeakyReLU(0.2), L(1024, 784), nn.Tanh())
D = nn.Sequential(L(784, 1024), nn.LeakyReLU(0.2), Dr(), L(1024, 512), nn.LeakyReLU(0.2), Dr(), L(512, 256), nn.LeakyReLU(0.2), Dr(), L(256, 1))
oG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999)); oD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss(); B = 128; ones = torch.ones(B, 1); zeros = torch.zeros(B, 1)
done = 0; warm = 3
while done < steps + warm:
    perm = torch.randperm(x.shape[0])
    for k in range(x.shape[0] // B):
        if done == warm: t0 = time.perf_counter(); c0 = time.process_time()
        real = x[perm[k * B:(k + 1) * B]]
        fake = G(torch.randn(B, 100))
        lD = bce(D(real), ones) + bce(D(fake.detach()), zeros)
        oD.zero_grad(); lD.backward(); oD.step()
        lG = bce(D(fake), ones)
        oG.zero_grad(); lG.backward(); oG.step()
        done += 1
        if done >= steps + warm: break
print(time.perf_counter() - t0, time.process_time() - c0, float(lD), float(lG), torch.__version__, torch.get_num_threads())
`;

function torchSteps(): { wall: number; cpu: number; d: number; g: number; version: string; threads: number } | string {
  if (process.argv.includes("--no-torch")) return "skipped (--no-torch)";
  for (const py of ["/usr/bin/python3", "python3"]) {
    const probe = spawnSync(py, ["-c", "import torch"], { encoding: "utf8" });
    if (probe.status !== 0) continue;
    const r = spawnSync(py, ["-c", TORCH, String(TORCH_STEPS), String(THREADS), defaultMnistDir(), String(DROPOUT)], { encoding: "utf8" });
    if (r.status !== 0) return `failed: ${r.stderr.trim().split("\n").pop()}`;
    const [wall, cpu, d, g, version, threads] = r.stdout.trim().split(/\s+/);
    return { wall: Number(wall), cpu: Number(cpu), d: Number(d), g: Number(g), version, threads: Number(threads) };
  }
  return "skipped (no python3 with torch: apt-get install -y python3-torch)";
}

const perEpoch = (s: number, steps = STEPS) => ((s / steps) * PER_EPOCH).toFixed(1);
console.log(`GAN bench: ${STEPS} D+G step pairs at batch ${BATCH}, ${THREADS} threads, ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${new Date().toISOString()}`);
const e = await emlabSteps();
console.log(`emlab/onnxruntime  wall ${e.wall.toFixed(1)} s → ${perEpoch(e.wall)} s/epoch; cpu ${e.cpu.toFixed(1)} s → ${perEpoch(e.cpu / THREADS)} s/epoch at ${THREADS} busy cores; last losses D ${e.d.toFixed(3)} G ${e.g.toFixed(3)}`);
const t = torchSteps();
if (typeof t === "string") console.log(`pytorch            ${t}`);
else console.log(`pytorch ${t.version} (${t.threads} threads, ${TORCH_STEPS} steps)  wall ${t.wall.toFixed(1)} s → ${perEpoch(t.wall, TORCH_STEPS)} s/epoch; cpu ${t.cpu.toFixed(1)} s → ${perEpoch(t.cpu / THREADS, TORCH_STEPS)} s/epoch at ${THREADS} busy cores; last losses D ${t.d.toFixed(3)} G ${t.g.toFixed(3)}`);

if (EPOCHS > 0) {
  const out = mkdtempSync(join(tmpdir(), "emlab-gan-bench-"));
  try {
    const run = await runGan({ ...GAN_DEFAULTS, epochs: EPOCHS, batchSize: BATCH, dropout: DROPOUT, threads: THREADS }, { out });
    for (const ep of run.epochs) console.log(`runGan epoch ${ep.epoch}: ${ep.seconds.toFixed(1)} s (train + test eval); train G ${ep.train.g.toFixed(3)} D ${ep.train.d.toFixed(3)}; test G ${ep.test.g.toFixed(3)} D ${ep.test.d.toFixed(3)}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
