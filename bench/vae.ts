// The VAE's speed and accuracy: where a training step's time goes, full MNIST epochs against
// PyTorch's reference numbers, and (when python3-torch is installed) PyTorch's VAE example run
// side by side on the same machine.
//   node build/bench/vae.js [--epochs 2] [--threads 2] [--steps 200] [--torch-epochs =epochs] [--no-torch] [--no-run] [--json]
// Wall times depend on what else runs on the machine (the load average is printed); "cpu" is the
// process CPU time of all threads, which is what the work costs: wall ≥ cpu / threads.
// --json: the last line is {"rows": [...]} for `npm run bench`'s table (seconds per epoch and the
// test loss, emlab against PyTorch in the same run).

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { defaultMnistDir, loadMnist } from "../src/data/mnist.js";
import { runVae, VAE_CHUNK_STEPS, VAE_DEFAULTS, type VaeEpoch } from "../src/experiments/vae.js";
import { buildTrainChunk, buildTrainStep, initVae, lossTerms, vaeParamNames, type VaeDims, type VaeLayers } from "../src/models/vae.js";
import { Builder, TrainStep, createSession, gradients, linearParams, serialize, toOrt } from "../src/onnx/index.js";
import { batches, epochOrder } from "../src/train/batches.js";
import { Rng } from "../src/util/rng.js";
import { ELEMENTWISE_OPS, GEMM_OPS, opTime, pct, profileOps, topOps } from "./lib/ort-profile.js";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const EPOCHS = arg("epochs", 2);
const THREADS = arg("threads", 2);
const STEPS = arg("steps", 200);
const TORCH_EPOCHS = arg("torch-epochs", EPOCHS);
const JSON_OUT = process.argv.includes("--json");
const BATCH = 128;
const dims: VaeDims = { input: 784, hidden: 400, latent: 20 };

/** PyTorch 1.13 VAE example on this 2-core CPU (the brief's reference): test loss per image after epoch e. */
const PYTORCH_TEST: Record<number, number> = { 1: 126.9, 2: 115.4, 10: 105.2, 20: 103.5, 50: 102.0 };

const load = () => loadavg()[0].toFixed(1);

/** Times `calls` calls of `fn` (after 2 warm-up calls), each `stepsPerCall` training steps; returns CPU ms per step. */
async function timeIt(label: string, calls: number, fn: () => Promise<unknown>, stepsPerCall = 1): Promise<number> {
  for (let i = 0; i < 2; i++) await fn();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) await fn();
  const steps = calls * stepsPerCall;
  const ms = (performance.now() - t0) / steps;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1000 / steps;
  console.log(`  ${label.padEnd(46)} ${ms.toFixed(2).padStart(6)} ms/step  cpu ${cpu.toFixed(2).padStart(6)} ms/step  → ${((ms * 469) / 1000).toFixed(2)} s/469 steps`);
  return cpu;
}

/** Forward + backward only (gradients are outputs, no Adam): isolates Adam's share. */
function gradientsOnlyGraph(): Builder {
  const b = new Builder("vae-grad");
  const x = b.input("x", "float32", ["batch", 784]);
  const eps = b.input("eps", "float32", ["batch", 20]);
  const L = (n: string, i: number, o: number) => linearParams(b, n, i, o);
  const layers: VaeLayers = { enc1: L("enc1", 784, 400), enc2: L("enc2", 400, 40), dec1: L("dec1", 20, 400), dec2: L("dec2", 400, 784) };
  const loss = b.reduceMean(lossTerms(b, x, eps, layers, 20).loss, undefined, false, "loss");
  const g = gradients(b, loss, vaeParamNames());
  b.output(loss);
  for (const p of vaeParamNames()) b.output(b.identity(g.get(p)!, `d.${p}`));
  return b;
}

async function breakdown(): Promise<void> {
  console.log(`\nStep breakdown: batch ${BATCH}, ${STEPS} steps per line, intraOpNumThreads ${THREADS}, load average ${load()}`);
  const rng = new Rng(1);
  const mnist = loadMnist("train", { limit: 4096 }).images;
  const x = mnist.data.slice(0, BATCH * 784);
  const eps = rng.fillNormal(new Float32Array(BATCH * 20)) as Float32Array;
  const opts = { threads: THREADS, optimization: "all" as const };

  const t = buildTrainStep(dims);
  const session = await createSession(serialize(t.graph), opts);
  const step = new TrainStep(session, t.graph, t.adam, { params: initVae(rng, dims) });
  const full = await timeIt("TrainStep.run, one step per run", STEPS, () => step.run({ x, eps }));

  // as in training: the step in an ONNX Loop over a chunk of stacked batches
  const c = buildTrainChunk(dims);
  const chunk = new TrainStep(await createSession(serialize(c.graph), opts), c.graph, c.adam, { params: initVae(rng, dims) });
  const K = VAE_CHUNK_STEPS;
  const xs = new Float32Array(K * x.length), es = new Float32Array(K * eps.length);
  for (let i = 0; i < K; i++) (xs.set(x, i * x.length), es.set(eps, i * eps.length));
  const inChunk = await timeIt(`${K} steps per run (Loop), as in training`, Math.ceil(STEPS / K), () => chunk.run({ x: xs, eps: es }, { steps: K, batch: BATCH }), K);
  console.log(`  → ${(full / inChunk).toFixed(2)}× less CPU per step than one step per run`);

  // the same session.run with every ort.Tensor built once: the JS wrapping cost is the difference
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of t.graph.inputs) feeds[name] = toOrt(name, t.graph.typeOf(name), name === "x" ? x : name === "eps" ? eps : step.state.get(name)!);
  const fetches: Record<string, ort.Tensor | null> = {};
  for (const k of t.graph.outputs) {
    const into = t.adam.next.get(k);
    fetches[k] = into ? toOrt(k, t.graph.typeOf(into), step.state.get(into)!.slice()) : null;
  }
  await timeIt("session.run alone (tensors prebuilt)", STEPS, () => session.run(feeds, fetches));

  const g = gradientsOnlyGraph();
  const gs = await createSession(serialize(g.graph), opts);
  const gFeeds: Record<string, ort.Tensor> = {};
  for (const name of g.graph.inputs) gFeeds[name] = feeds[name];
  const gFetch: Record<string, ort.Tensor | null> = { loss: null };
  for (const p of vaeParamNames()) gFetch[`d.${p}`] = toOrt(p, g.graph.typeOf(p), new Float32Array(step.state.get(p)!.length));
  const fb = await timeIt("forward + backward only (no Adam)", STEPS, () => gs.run(gFeeds, gFetch));
  console.log(`  → Adam's 10 elementwise passes over ${(vaeParamNames().reduce((s, p) => s + step.state.get(p)!.length, 0) / 1e6).toFixed(2)} M parameters: ≈ ${(100 * (1 - fb / full)).toFixed(0)} % of a step's CPU`);

  // feeding: gather the shuffled rows and draw ε, as the training loop does per batch
  const order = epochOrder(rng, mnist.rows);
  const epsBuf = new Float32Array(BATCH * 20);
  let it = batches(mnist, order, { batchSize: BATCH });
  await timeIt("feeding: gather 128 rows + draw 128×20 ε (JS)", STEPS, async () => {
    let n = it.next();
    if (n.done) {
      it = batches(mnist, order, { batchSize: BATCH });
      n = it.next();
    }
    rng.fillNormal(epsBuf);
  });

  // per op type, from onnxruntime's profiler
  const prof = await profileOps(serialize(t.graph), (ps) => ps.run(feeds, fetches), { runs: 50, threads: THREADS });
  const gemm = opTime(prof, GEMM_OPS);
  const elementwise = opTime(prof, ELEMENTWISE_OPS);
  console.log(`  onnxruntime profile (${prof.runs} runs): kernels ${(prof.kernelUs / prof.runs / 1000).toFixed(2)} ms of ${(prof.runUs / prof.runs / 1000).toFixed(2)} ms per run;` +
    ` Gemm ${pct(gemm, prof.kernelUs)}, Add/Sub/Mul/Div/Sqrt (mostly Adam) ${pct(elementwise, prof.kernelUs)}, rest ${pct(prof.kernelUs - gemm - elementwise, prof.kernelUs)}`);
  console.log(`  top ops: ${topOps(prof)}`);
}

async function epochs(): Promise<VaeEpoch[]> {
  console.log(`\nFull MNIST: ${EPOCHS} epoch(s), batch ${BATCH}, Adam lr 1e-3, seed 1, intraOpNumThreads ${THREADS} (load average ${load()})`);
  const out = mkdtempSync(join(tmpdir(), "emlab-vae-bench-"));
  console.log("  epoch   train loss   test loss (PyTorch)   wall s  train s   cpu s");
  try {
    return (await runVae({ ...VAE_DEFAULTS, epochs: EPOCHS, threads: THREADS }, {
      out,
      onProgress: (ev) => {
        if (ev.kind !== "unit") return;
        const e: VaeEpoch = ev.record;
        const ref = PYTORCH_TEST[e.epoch] !== undefined ? `(${PYTORCH_TEST[e.epoch].toFixed(1)}, ${e.testLoss - PYTORCH_TEST[e.epoch] >= 0 ? "+" : ""}${(e.testLoss - PYTORCH_TEST[e.epoch]).toFixed(2)})` : "";
        console.log(`  ${String(e.epoch).padStart(5)}  ${e.trainLoss.toFixed(3).padStart(10)}  ${e.testLoss.toFixed(3).padStart(10)} ${ref.padEnd(16)} ${e.seconds.toFixed(2).padStart(7)}  ${e.trainSeconds.toFixed(2).padStart(7)}  ${e.cpuSeconds.toFixed(2).padStart(6)}`);
      },
    })).epochs;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** PyTorch's examples/vae/main.py (same model, loss, optimiser, batch), timed per epoch. */
const TORCH_SCRIPT = String.raw`
import sys, time, gzip, struct, numpy as np, torch
from torch import nn
from torch.nn import functional as F
torch.manual_seed(1); torch.set_num_threads(int(sys.argv[2]))
d = sys.argv[3]
def idx(name):
    b = open(d + '/' + name, 'rb').read()
    n = struct.unpack('>I', b[4:8])[0]
    return torch.tensor(np.frombuffer(b, np.uint8, offset=16).reshape(n, 784).astype(np.float32) / 255)
train, test = idx('train-images-idx3-ubyte'), idx('t10k-images-idx3-ubyte')
class VAE(nn.Module):
    def __init__(s):
        super().__init__(); s.fc1 = nn.Linear(784, 400); s.fc21 = nn.Linear(400, 20); s.fc22 = nn.Linear(400, 20); s.fc3 = nn.Linear(20, 400); s.fc4 = nn.Linear(400, 784)
    def forward(s, x):
        h = F.relu(s.fc1(x)); mu, lv = s.fc21(h), s.fc22(h)
        z = mu + torch.randn_like(lv) * torch.exp(0.5 * lv)
        return torch.sigmoid(s.fc4(F.relu(s.fc3(z)))), mu, lv
def lossf(r, x, mu, lv):
    return F.binary_cross_entropy(r, x, reduction='sum') - 0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())
m = VAE(); opt = torch.optim.Adam(m.parameters(), lr=1e-3)
for e in range(1, int(sys.argv[1]) + 1):
    t0 = time.time(); m.train(); perm = torch.randperm(60000); tl = 0
    for i in range(0, 60000, 128):
        x = train[perm[i:i + 128]]; opt.zero_grad(); r, mu, lv = m(x); l = lossf(r, x, mu, lv); l.backward(); tl += l.item(); opt.step()
    tt = time.time() - t0; m.eval(); sl = 0
    with torch.no_grad():
        for i in range(0, 10000, 128):
            x = test[i:i + 128]; r, mu, lv = m(x); sl += lossf(r, x, mu, lv).item()
    print(e, tl / 60000, sl / 10000, tt, time.time() - t0, flush=True)
`;

/** One PyTorch epoch: losses per image, training seconds, wall seconds with its test pass. */
interface TorchEpoch {
  epoch: number;
  trainLoss: number;
  testLoss: number;
  trainSeconds: number;
  seconds: number;
}

function torch(): { version: string; epochs: TorchEpoch[] } | string {
  // a pyenv python3 may shadow the system one that has python3-torch
  const python = ["python3", "/usr/bin/python3"].find((p) => spawnSync(p, ["-c", "import torch"]).status === 0);
  const probe = spawnSync(python ?? "python3", ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
  if (!python || probe.status !== 0) return "skipped (python3 cannot import torch; apt-get install -y python3-torch)";
  const version = probe.stdout.trim();
  console.log(`\nPyTorch ${version} VAE example, ${TORCH_EPOCHS} epoch(s), torch.set_num_threads(${THREADS}) (load average ${load()})`);
  console.log("  epoch   train loss   test loss   train s   wall s");
  const r = spawnSync(python, ["-c", TORCH_SCRIPT, String(TORCH_EPOCHS), String(THREADS), defaultMnistDir()], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const out: TorchEpoch[] = [];
  for (const line of r.stdout.trim().split("\n").filter(Boolean)) {
    const [epoch, trainLoss, testLoss, trainSeconds, seconds] = line.split(" ").map(Number);
    out.push({ epoch, trainLoss, testLoss, trainSeconds, seconds });
    console.log(`  ${String(epoch).padStart(5)}  ${trainLoss.toFixed(3).padStart(10)}  ${testLoss.toFixed(3).padStart(10)}  ${trainSeconds.toFixed(2).padStart(7)}  ${seconds.toFixed(2).padStart(7)}`);
  }
  if (r.status !== 0) return `PyTorch run failed (exit ${r.status})`;
  return { version, epochs: out };
}

await breakdown();
const ours = process.argv.includes("--no-run") ? [] : await epochs();
const ref = process.argv.includes("--no-torch") ? "skipped (--no-torch)" : torch();
if (JSON_OUT) {
  const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null);
  const refEpochs = typeof ref === "string" ? [] : ref.epochs;
  const note = typeof ref === "string" ? ref : `PyTorch ${ref.version}, ${refEpochs.length} epoch(s)`;
  const row = (workload: string, o: number | null, r: number | null, unit: string, digits: number) => ({
    workload, unit, note,
    ours: o === null ? null : +o.toFixed(digits),
    reference: r === null ? null : +r.toFixed(digits),
    ratio: o && r ? +(r / o).toFixed(2) : null,
  });
  const last = Math.min(ours.length, refEpochs.length);
  const rows = [row(`VAE epoch: 469 steps, batch 128, with the test pass (s/epoch, wall, mean of ${ours.length})`, mean(ours.map((e) => e.seconds)), mean(refEpochs.map((e) => e.seconds)), "s", 2)];
  if (last > 0) rows.push(row(`VAE test loss per image after epoch ${last} (lower is better)`, ours[last - 1].testLoss, refEpochs[last - 1].testLoss, "", 2));
  console.log(JSON.stringify({ rows }));
}
