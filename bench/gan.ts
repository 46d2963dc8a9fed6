// Seconds per GAN epoch (469 D+G step pairs at batch 128 over MNIST's 60000 images), emlab's ONNX
// training graph in onnxruntime-node against PyTorch on the same architecture and optimiser.
//   node build/bench/gan.js [--steps 469] [--torch-steps N] [--threads 2] [--chunk 32] [--epochs 0] [--no-torch] [--no-profile] [--json]
// --steps: time that many step pairs on MNIST batches (469 = one epoch) and extrapolate to an epoch;
// emlab runs them as runGan does, in chunks of --chunk steps per session.run (GAN_CHUNK_STEPS).
// --epochs E: also run `runGan` for E full epochs (with test evaluation) into a temporary directory.
// PyTorch runs the same number of steps in an inline script when /usr/bin/python3 (or python3) can
// import torch (apt-get install -y python3-torch); it is never a product dependency.
// "cpu" is the process CPU time over all threads: on a shared machine it is steadier than wall time.
// Then where the time goes (unless --no-profile): onnxruntime's profiler on the step graph, Adam
// alone in a chunk Loop, this machine's float32 GEMM rate (PyTorch and numpy, when present), and
// the floor these imply for an epoch of this design.
// --json: the last line is {"rows": [...]} for `npm run bench`'s table.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { defaultMnistDir, loadMnist } from "../src/data/mnist.js";
import { GAN_CHUNK_STEPS, GAN_DEFAULTS, runGan } from "../src/experiments/gan.js";
import { GAN_ARCH, GAN_DROPOUT, GAN_OPTIM, ganChunkGraph, GanChunkFeeds, ganStepGraph, initGan, stepPairFlops, toTanhRange } from "../src/models/gan.js";
import { MaskRng } from "../src/train/dropout.js";
import { adam, Builder, countSubnormals, loopSteps, serialize, sessionFor, TrainStep } from "../src/onnx/index.js";
import { batchChunks, epochOrder } from "../src/train/batches.js";
import { Rng } from "../src/util/rng.js";
import { ELEMENTWISE_OPS, GEMM_OPS, opTime, pct, profileOps, topOps } from "./lib/ort-profile.js";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const STEPS = arg("steps", 469);
const THREADS = arg("threads", 2);
const EPOCHS = arg("epochs", 0);
const CHUNK = arg("chunk", GAN_CHUNK_STEPS);
/** D's dropout while training (the CLI's default unless given). */
const DROPOUT = arg("dropout", GAN_DROPOUT);
/** PyTorch steps (default: as many as ours); fewer keep a slow CPU build of torch affordable. */
const TORCH_STEPS = arg("torch-steps", STEPS);
const JSON_OUT = process.argv.includes("--json");
const BATCH = 128;
const PER_EPOCH = Math.ceil(60000 / BATCH);

async function emlabSteps(): Promise<{ wall: number; cpu: number; d: number; g: number }> {
  const train = loadMnist("train");
  const data = { data: toTanhRange(train.images.data), rows: train.images.rows, cols: 784 };
  const cg = ganChunkGraph(undefined, { dropout: DROPOUT });
  const init = initGan(new Rng(1));
  const trainer = new TrainStep(await sessionFor(cg.graph, { threads: THREADS }), cg.graph, cg.sections, { params: { ...init.G, ...init.D } });
  const rng = new Rng(2);
  const maskRng = new MaskRng(3);
  const chunkFeeds = new GanChunkFeeds(CHUNK, BATCH, DROPOUT);
  // a warm-up chunk, then STEPS step pairs in chunks as runGan runs them (full batches only)
  const run = async (steps: number) => {
    let done = 0, d = 0, g = 0;
    while (done < steps) {
      for (const chunk of batchChunks(data, epochOrder(rng, data.rows), { batchSize: BATCH, steps: Math.min(CHUNK, steps - done), dropLast: true })) {
        const { feeds, dims } = chunkFeeds.next(chunk, rng, maskRng);
        const out = await trainer.run(feeds, dims);
        d = Number(out["d.loss"][chunk.steps - 1]);
        g = Number(out["g.loss"][chunk.steps - 1]);
        if ((done += chunk.steps) >= steps) break;
      }
    }
    return { d, g };
  };
  await run(Math.min(CHUNK, STEPS));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const last = await run(STEPS);
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, ...last };
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

const perEpoch = (s: number, steps = STEPS) => (s / steps) * PER_EPOCH;
const f1 = (v: number) => v.toFixed(1);
console.log(`GAN bench: ${STEPS} D+G step pairs at batch ${BATCH}, dropout ${DROPOUT}, ${CHUNK} steps per run, ${THREADS} threads, ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), load average ${loadavg()[0].toFixed(1)}, ${new Date().toISOString()}`);
const e = await emlabSteps();
console.log(`emlab/onnxruntime  wall ${f1(e.wall)} s → ${f1(perEpoch(e.wall))} s/epoch; cpu ${f1(e.cpu)} s → ${f1(perEpoch(e.cpu / THREADS))} s/epoch at ${THREADS} busy cores; last losses D ${e.d.toFixed(3)} G ${e.g.toFixed(3)}`);
const t = torchSteps();
if (typeof t === "string") console.log(`pytorch            ${t}`);
else console.log(`pytorch ${t.version} (${t.threads} threads, ${TORCH_STEPS} steps)  wall ${f1(t.wall)} s → ${f1(perEpoch(t.wall, TORCH_STEPS))} s/epoch; cpu ${f1(t.cpu)} s → ${f1(perEpoch(t.cpu / THREADS, TORCH_STEPS))} s/epoch at ${THREADS} busy cores; last losses D ${t.d.toFixed(3)} G ${t.g.toFixed(3)}`);

// ---------------------------------------------------------------- where the time goes

/**
 * ms per step pair of Adam alone over both networks' parameters, in a Loop of CHUNK steps as in
 * training. The gradients are fixed normal draws of a gradient's size (σ = 1e-3, one Mul per tensor
 * by a per-step 1): a gradient made from the parameters (g = c·p) would drive them towards 0 and
 * into the subnormals, and time those instead (it did: 16–19 ms against 10).
 */
async function adamAlone(): Promise<{ ms: number; params: number; subnormal: number }> {
  const step = ganStepGraph(undefined, { dropout: DROPOUT });
  const b = new Builder("gan-adam-only");
  const s = b.input("s", "float32", []);
  const shared: string[] = [];
  const sections = step.sections.map((sec, k) => {
    const grads = new Map<string, string>();
    for (const slot of sec.slots) {
      const t = step.graph.typeOf(slot.param);
      const p = b.input(slot.param, t.dtype, t.shape);
      const g = b.input(`g.${slot.param}`, t.dtype, t.shape);
      shared.push(g);
      grads.set(p, b.mul(g, s));
    }
    return adam(b, grads, { ...GAN_OPTIM, prefix: k === 0 ? "D." : "G." });
  });
  const loop = loopSteps(b.graph, { carried: new Map([...sections[0].next, ...sections[1].next]), shared });
  const init = initGan(new Rng(1));
  const params = { ...init.G, ...init.D };
  const rng = new Rng(4);
  const feed: Record<string, Float32Array> = { s: new Float32Array(CHUNK).fill(1) };
  for (const name of shared) {
    const gr = rng.fillNormal(new Float32Array(params[name.slice(2)].length)) as Float32Array;
    for (let i = 0; i < gr.length; i++) gr[i] *= 1e-3;
    feed[name] = gr;
  }
  const t = new TrainStep(await sessionFor(loop, { threads: THREADS }), loop, sections, { params });
  await t.run(feed, { steps: CHUNK });
  const reps = 6;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await t.run(feed, { steps: CHUNK });
  const ms = (performance.now() - t0) / (reps * CHUNK);
  const subnormal = [...t.state.values()].reduce((n, a) => n + countSubnormals(a as Float32Array), 0);
  return { ms, params: Object.values(params).reduce((n, p) => n + p.length, 0), subnormal };
}

/** onnxruntime's profiler on the step graph, one step per run (the profiler adds time: read the shares). */
async function stepProfile(): Promise<{ gemm: number; elementwise: number; kernelMs: number; line: string }> {
  const sg = ganStepGraph(undefined, { dropout: DROPOUT });
  const init = initGan(new Rng(1));
  const real = toTanhRange(loadMnist("train", { limit: BATCH }).images.data);
  const feeds = new GanChunkFeeds(1, BATCH, DROPOUT);
  const rng = new Rng(2), maskRng = new MaskRng(3);
  let trainer: TrainStep | undefined;
  const prof = await profileOps(serialize(sg.graph), async (session) => {
    trainer ??= new TrainStep(session, sg.graph, sg.sections, { params: { ...init.G, ...init.D } });
    const next = feeds.next({ steps: 1, rows: BATCH, x: real }, rng, maskRng);
    await trainer.run(next.feeds, next.dims);
  }, { runs: 40, threads: THREADS });
  const perRun = (us: number) => us / prof.runs / 1000;
  return { gemm: perRun(opTime(prof, GEMM_OPS)), elementwise: perRun(opTime(prof, ELEMENTWISE_OPS)), kernelMs: perRun(prof.kernelUs), line: topOps(prof) };
}

const GEMM_RATE = String.raw`
import sys, time, json, numpy as np
m, k, n, threads = map(int, sys.argv[1:5])
r = np.random.default_rng(0); a = r.random((m, k), dtype=np.float32); b = r.random((k, n), dtype=np.float32)
def rate(f):
    for _ in range(3): f()
    reps, t = 0, time.perf_counter()
    while time.perf_counter() - t < 1.0: f(); reps += 1
    return 2 * m * k * n * reps / (time.perf_counter() - t) / 1e9
out = {"numpy": rate(lambda: a @ b)}
try:
    import torch
    torch.set_num_threads(threads); ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    out["torch"] = rate(lambda: ta @ tb)
except ImportError: pass
print(json.dumps(out))
`;

/** GFLOP/s of a float32 m×k·k×n product in numpy (its BLAS's threads) and PyTorch (THREADS), when python3 has them. */
function gemmRate(m: number, k: number, n: number): Record<string, number> | string {
  for (const py of ["/usr/bin/python3", "python3"]) {
    const r = spawnSync(py, ["-c", GEMM_RATE, String(m), String(k), String(n), String(THREADS)], { encoding: "utf8" });
    if (r.status === 0) return JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, number>;
  }
  return "no python3 with numpy";
}

if (!process.argv.includes("--no-profile")) {
  const flops = stepPairFlops(BATCH);
  const p = await stepProfile();
  console.log(`where the time goes — onnxruntime profiler on the step graph (40 single steps; it adds time, read the shares): Gemm ${pct(p.gemm, p.kernelMs)} of kernel time (${(flops / (p.gemm / 1000) / 1e9).toFixed(0)} GFLOP/s on ${(flops / 1e9).toFixed(2)} GFLOP per pair), Add/Sub/Mul/Div/Sqrt (Adam) ${pct(p.elementwise, p.kernelMs)}, rest ${pct(p.kernelMs - p.gemm - p.elementwise, p.kernelMs)}; ${p.line}`);
  const a = await adamAlone();
  console.log(`Adam alone over both networks' ${(a.params / 1e6).toFixed(2)} M parameters, ${CHUNK} steps per run (+ one Mul per tensor for the gradient): ${a.ms.toFixed(1)} ms per step pair (${a.subnormal} subnormal state values after)`);
  const [m, k, n] = [2 * BATCH, GAN_ARCH.discriminator[0], GAN_ARCH.discriminator[1]];
  const rates = gemmRate(m, k, n);
  if (typeof rates === "string") console.log(`this machine's float32 GEMM: ${rates}`);
  else {
    console.log(`this machine's float32 GEMM on the D step's ${m}×${k}·${k}×${n}: ${Object.entries(rates).map(([lib, r]) => `${lib} ${r.toFixed(0)} GFLOP/s`).join(", ")}`);
    const best = Math.max(...Object.values(rates));
    const pairMs = (flops / (best * 1e9)) * 1000 + a.ms;
    const floorEpoch = (pairMs / 1000) * PER_EPOCH;
    const vs = typeof t === "string" ? "" : `, at most ${(perEpoch(t.wall, TORCH_STEPS) / floorEpoch).toFixed(1)}× PyTorch's epoch above`;
    console.log(`floor of this design here: ${(flops / 1e9).toFixed(2)} GFLOP at ${best.toFixed(0)} GFLOP/s = ${(pairMs - a.ms).toFixed(1)} ms + Adam ${a.ms.toFixed(1)} ms = ${pairMs.toFixed(1)} ms per pair → ${floorEpoch.toFixed(1)} s per epoch${vs}`);
  }
}

if (EPOCHS > 0) {
  const out = mkdtempSync(join(tmpdir(), "emlab-gan-bench-"));
  try {
    const run = await runGan({ ...GAN_DEFAULTS, epochs: EPOCHS, batchSize: BATCH, dropout: DROPOUT, threads: THREADS }, { out });
    for (const ep of run.epochs) console.log(`runGan epoch ${ep.epoch}: ${ep.seconds.toFixed(1)} s (train + test eval); train G ${ep.train.g.toFixed(3)} D ${ep.train.d.toFixed(3)}; test G ${ep.test.g.toFixed(3)} D ${ep.test.d.toFixed(3)}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (JSON_OUT) {
  const ours = +f1(perEpoch(e.wall));
  const ref = typeof t === "string" ? null : +f1(perEpoch(t.wall, TORCH_STEPS));
  const note = typeof t === "string" ? t : `PyTorch ${t.version}, ${TORCH_STEPS} steps`;
  console.log(JSON.stringify({ rows: [{ workload: `GAN epoch: 469 D+G step pairs, batch 128, dropout ${DROPOUT} (s/epoch, wall)`, ours, reference: ref, ratio: ref ? +(ref / ours).toFixed(2) : null, unit: "s", note }] }));
}
