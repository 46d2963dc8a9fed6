// Exercise 2a: the VAE on MNIST, trained by onnxruntime-node on the training-step graph of
// src/models/vae.ts (forward + backward + Adam), run in chunks of VAE_CHUNK_STEPS batches per
// session.run (an ONNX Loop, src/onnx/loop.ts). Per epoch: mean training loss,
// test loss over the test set (fixed ε, so it is reproducible), loss plots, a checkpoint; every
// 10th epoch (and the last) sample and reconstruction grids; at the end the ONNX exports.
// Resuming from the checkpoint gives the same numbers as an uninterrupted run. Node only.

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Matrix } from "../core/matrix.js";
import { loadMnist } from "../data/mnist.js";
import { buildDecoder, buildEncoder, buildEval, buildTrainChunk, initVae, vaeParamNames, type VaeDims } from "../models/vae.js";
import { Graph, TrainStep, createSession, runGraph, serialize, type SessionOptions } from "../onnx/index.js";
import { imageGrid } from "../plot/png.js";
import { batchChunks, batchCount, batches, epochOrder, inOrder } from "../train/batches.js";
import { loadCheckpoint, saveCheckpoint } from "../train/checkpoint.js";
import { historyUpTo, snapshotEpochs, writeLossChart, type EpochRecord } from "../train/history.js";
import { expectedState, restoreState, stateTensors } from "../train/state.js";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.js";
import { UserError } from "../util/errors.js";
import type { Progress } from "../util/progress.js";
import { defaultThreads } from "../parallel/pool.js";
import { Rng } from "../util/rng.js";
import type { RunOptions, Tick, UnitDone } from "./contract.js";

/** Everything a run depends on. */
export interface VaeConfig {
  epochs: number;
  batchSize: number;
  latent: number;
  hidden: number;
  lr: number;
  seed: number;
  /** First `limit` training images only (undefined = all 60000). */
  limit?: number;
  /** First `testLimit` test images only (undefined = all 10000). */
  testLimit?: number;
  /** onnxruntime intra-op threads. */
  threads: number;
  mnistDir?: string;
}

/** Defaults of the assignment (PyTorch's VAE example), on every core. */
export const VAE_DEFAULTS: VaeConfig = { epochs: 50, batchSize: 128, latent: 20, hidden: 400, lr: 1e-3, seed: 1, threads: defaultThreads() };

/** One epoch: losses are per image (training: mean over the epoch's batches; test: whole test set). */
export interface VaeEpoch extends EpochRecord {
  trainLoss: number;
  trainRec: number;
  trainKl: number;
  testLoss: number;
  testRec: number;
  testKl: number;
  /** Wall seconds of the training steps alone (`seconds` adds the test pass and the outputs). */
  trainSeconds: number;
  /** Process CPU seconds (all threads) of the whole epoch: steadier than wall time on a shared machine. */
  cpuSeconds: number;
}

/** Files written, by role (paths). */
export interface VaeFiles {
  plots: string[];
  samples: string[];
  reconstructions: string[];
  onnx: string[];
  checkpoint: string;
}

/** Result of `runVae`. */
export interface VaeRun {
  config: VaeConfig;
  epochs: VaeEpoch[];
  /** Epoch the run started from (0, or the checkpoint's epoch with resume). */
  resumedFrom: number;
  files: VaeFiles;
  /** The fixed latent set (64×latent) and its decoded images (64×784) after the last epoch. */
  fixedZ: Float32Array;
  samples: Float32Array;
}

/** Progress: ticks over each epoch's batches ("epoch 3/50"), a unit after each epoch's checkpoint is written. */
export type VaeEvent = Tick | UnitDone<VaeEpoch>;

/** Options of `runVae`: the run contract's, and the data in memory instead of MNIST from disk (tests). */
export interface VaeRunOptions extends RunOptions<VaeEvent, true> {
  data?: { train: Matrix; test: Matrix };
}

const KIND = "vae";
/** The checkpoint file in the output directory (what `resume` continues). */
export const CHECKPOINT_FILE = "checkpoint.emlab";
/**
 * Training steps per session.run (an ONNX Loop over stacked batches, src/onnx/loop.ts): the state
 * crosses into JavaScript once per chunk. The results do not depend on it (docs/vae.md).
 */
export const VAE_CHUNK_STEPS = 64;
const GRID = 64;
const EVAL_BATCH = 1000;
/** Config fields that may change on --resume without changing the run's numbers. */
const RESUME_FREE = ["epochs", "threads", "mnistDir"];

// ---------------------------------------------------------------- setup

/** The run's independent Rng streams, all derived from the seed. */
function streams(seed: number): { init: Rng; shuffle: Rng; noise: Rng; test: Rng; samples: Rng } {
  const master = new Rng(seed);
  const next = () => new Rng(master.int(2 ** 31 - 1));
  return { init: next(), shuffle: next(), noise: next(), test: next(), samples: next() };
}

/** Checks a config against the data; throws a UserError naming the flag. */
export function checkVaeConfig(c: VaeConfig, trainRows: number, testRows: number): void {
  const whole = (flag: string, v: number, min: number) => {
    if (!(Number.isInteger(v) && v >= min)) throw new UserError(`--${flag}: ${v} must be a whole number ≥ ${min}`);
  };
  whole("epochs", c.epochs, 1);
  whole("batch-size", c.batchSize, 1);
  whole("latent", c.latent, 1);
  whole("hidden", c.hidden, 1);
  whole("threads", c.threads, 1);
  if (!(c.lr > 0 && Number.isFinite(c.lr))) throw new UserError(`--lr: ${c.lr} must be a positive number`);
  if (c.batchSize > trainRows) throw new UserError(`--batch-size: ${c.batchSize} is larger than the ${trainRows} training images`);
  if (testRows < 1) throw new UserError("--test-limit: no test images");
}

function loadData(c: VaeConfig): { train: Matrix; test: Matrix } {
  return {
    train: loadMnist("train", { dir: c.mnistDir, limit: c.limit }).images,
    test: loadMnist("test", { dir: c.mnistDir, limit: c.testLimit }).images,
  };
}

/** The onnxruntime sessions of a run. */
interface Sessions {
  step: TrainStep;
  evalGraph: Graph;
  evalSession: Awaited<ReturnType<typeof createSession>>;
  decoderGraph: Graph;
  decoderSession: Awaited<ReturnType<typeof createSession>>;
  trainBytes: Uint8Array;
  evalBytes: Uint8Array;
}

async function openSessions(c: VaeConfig, dims: VaeDims, params: Record<string, Float32Array>): Promise<Sessions> {
  const opts: SessionOptions = { threads: c.threads, optimization: "all" };
  const train = buildTrainChunk(dims, { lr: c.lr });
  const evalGraph = buildEval(dims);
  const decoderGraph = buildDecoder(dims);
  // the exported training graph is the single step (the chunk graph runs it in a Loop)
  const trainBytes = serialize(train.step);
  const evalBytes = serialize(evalGraph);
  const step = new TrainStep(await createSession(serialize(train.graph), opts), train.graph, train.adam, { params });
  return {
    step,
    evalGraph,
    evalSession: await createSession(evalBytes, opts),
    decoderGraph,
    decoderSession: await createSession(serialize(decoderGraph), opts),
    trainBytes,
    evalBytes,
  };
}

/** Current parameters of the training step, by name (views into its state: copy to keep). */
function params(s: Sessions): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const name of vaeParamNames()) out[name] = s.step.param(name) as Float32Array;
  return out;
}

// ---------------------------------------------------------------- one epoch

async function trainEpoch(s: Sessions, train: Matrix, c: VaeConfig, shuffle: Rng, noise: Rng, bar: Progress): Promise<{ loss: number; rec: number; kl: number }> {
  const order = epochOrder(shuffle, train.rows);
  const eps = new Float32Array(VAE_CHUNK_STEPS * c.batchSize * c.latent);
  let loss = 0, rec = 0, kl = 0;
  for (const chunk of batchChunks(train, order, { batchSize: c.batchSize, steps: VAE_CHUNK_STEPS })) {
    // ε of the chunk's steps in order: the same draws as batch by batch
    const e = noise.fillNormal(eps.subarray(0, chunk.steps * chunk.rows * c.latent));
    const out = await s.step.run({ x: chunk.x, eps: e }, { steps: chunk.steps, batch: chunk.rows });
    // the graph reports means over each batch; weight by rows so a short last batch counts per image
    for (let i = 0; i < chunk.steps; i++) {
      loss += Number(out.loss[i]) * chunk.rows;
      rec += Number(out.rec[i]) * chunk.rows;
      kl += Number(out.kl[i]) * chunk.rows;
    }
    const done = chunk.index + chunk.steps;
    bar.update(done, `loss ${(loss / (done * c.batchSize)).toFixed(2)}`);
  }
  if (!Number.isFinite(loss)) throw new Error(`VAE training diverged (loss ${loss}); try a smaller --lr`);
  // once per epoch, whatever the chunk size: stuck subnormal moments slow x86 CPUs and move nothing
  s.step.flushSubnormalMoments();
  return { loss: loss / train.rows, rec: rec / train.rows, kl: kl / train.rows };
}

/** Per-image test loss over the whole test set with the fixed ε; also the first rows' reconstructions. */
async function evaluate(s: Sessions, test: Matrix, testEps: Float32Array, latent: number, wantRecon: number): Promise<{ loss: number; rec: number; kl: number; recon: Float32Array }> {
  let loss = 0, rec = 0, kl = 0;
  let recon = new Float32Array(0);
  const feeds = params(s);
  const batchSize = Math.min(EVAL_BATCH, test.rows);
  for (const batch of batches(test, inOrder(test.rows), { batchSize })) {
    const start = batch.index * batchSize;
    const eps = testEps.subarray(start * latent, (start + batch.rows) * latent);
    const fetch = batch.index === 0 && wantRecon > 0 ? ["loss", "rec", "kl", "recon"] : ["loss", "rec", "kl"];
    const out = await runGraph(s.evalSession, s.evalGraph, { ...feeds, x: batch.x, eps }, fetch);
    for (let i = 0; i < batch.rows; i++) {
      loss += out.loss[i] as number;
      rec += out.rec[i] as number;
      kl += out.kl[i] as number;
    }
    if (out.recon) recon = (out.recon as Float32Array).slice(0, Math.min(wantRecon, batch.rows) * test.cols);
  }
  return { loss: loss / test.rows, rec: rec / test.rows, kl: kl / test.rows, recon };
}

async function decodeSamples(s: Sessions, z: Float32Array): Promise<Float32Array> {
  const out = await runGraph(s.decoderSession, s.decoderGraph, { ...params(s), z });
  return out.image as Float32Array;
}

// ---------------------------------------------------------------- outputs

const pad2 = (e: number) => String(e).padStart(2, "0");

/** Rows of 8 originals then their 8 reconstructions, 4 times (8×8 tiles). */
function reconstructionGrid(test: Matrix, recon: Float32Array): { images: Float32Array; n: number } {
  const d = test.cols;
  const pairs = Math.min(GRID / 2, recon.length / d);
  const images = new Float32Array(2 * pairs * d);
  let k = 0;
  for (let r = 0; r < pairs; r += 8) {
    const m = Math.min(8, pairs - r);
    for (let i = 0; i < m; i++) images.set(test.data.subarray((r + i) * d, (r + i + 1) * d), (k + i) * d);
    for (let i = 0; i < m; i++) images.set(recon.subarray((r + i) * d, (r + i + 1) * d), (k + m + i) * d);
    k += 2 * m;
  }
  return { images, n: k };
}

/** loss.svg: training and test loss on one chart, so a test loss that turns up (overfitting) shows against the training loss. */
function writePlots(out: string, history: VaeEpoch[]): string[] {
  const series = [
    { key: "trainLoss", name: "train" },
    { key: "testLoss", name: "test" },
  ];
  return [writeLossChart(join(out, "loss.svg"), history, series, { title: "VAE loss per image (BCE + KL)" })];
}

function writeExports(out: string, s: Sessions, dims: VaeDims): string[] {
  const weights: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(params(s))) weights[k] = v.slice();
  const files: [string, Uint8Array][] = [
    ["vae-train-step.onnx", s.trainBytes],
    ["vae-eval.onnx", s.evalBytes],
    ["encoder.onnx", serialize(buildEncoder(dims, weights))],
    ["decoder.onnx", serialize(buildDecoder(dims, weights))],
  ];
  return files.map(([name, bytes]) => {
    writeFileAtomic(join(out, name), bytes);
    return join(out, name);
  });
}

// ---------------------------------------------------------------- the run

/** Trains the VAE for `config.epochs` epochs (continuing a checkpoint with `resume`) and writes every output to `opts.out`. */
export async function runVae(config: VaeConfig, opts: VaeRunOptions): Promise<VaeRun> {
  const { out, resume = false, onProgress } = opts;
  // the epoch loop reports through a bar and a callback; both become the contract's events here
  const makeBar = (label: string, total: number): Progress => {
    onProgress?.({ kind: "tick", label, done: 0, total });
    return { update: (done, info) => onProgress?.({ kind: "tick", label, done, total, info }), stop() {} };
  };
  const onEpoch = (record: VaeEpoch) => onProgress?.({ kind: "unit", done: record.epoch, total: config.epochs, record });
  const data = opts.data ?? loadData(config);
  checkVaeConfig(config, data.train.rows, data.test.rows);
  // Two runs on one --out are kept apart by the CLI's lock (src/util/lock.ts), taken before this.
  return trainAndWrite(config, out, data, resume, makeBar, onEpoch);
}

/** Where a run starts: fresh, or the checkpoint's epoch with its state, Rng streams and history. */
interface Start {
  epoch: number;
  history: VaeEpoch[];
  shuffle: Rng;
  noise: Rng;
}

function restore(s: Sessions, config: VaeConfig, ckptPath: string, fresh: Start): Start {
  if (!existsSync(ckptPath)) throw new UserError(`--resume: no checkpoint ${ckptPath} (run without --resume first)`);
  const ck = loadCheckpoint(ckptPath, { kind: KIND, config: configKey(config), ignoreConfig: RESUME_FREE, tensors: expectedState(s.step) });
  if (ck.epoch > config.epochs) throw new UserError(`--epochs: ${config.epochs} is fewer than the ${ck.epoch} epochs already in ${ckptPath}`);
  if (!ck.rng.shuffle || !ck.rng.noise) throw new UserError(`checkpoint ${ckptPath}: lacks the shuffle/noise Rng states`);
  restoreState(s.step, ck.tensors);
  return { ...fresh, epoch: ck.epoch, history: historyUpTo(ck.history, ck.epoch) as VaeEpoch[], shuffle: Rng.fromState(ck.rng.shuffle), noise: Rng.fromState(ck.rng.noise) };
}

/** Sample and reconstruction grids of one epoch; returns their paths. */
async function writeSnapshot(out: string, epoch: number, s: Sessions, fixedZ: Float32Array, test: Matrix, recon: Float32Array): Promise<[string, string]> {
  const grid = reconstructionGrid(test, recon);
  const sp = join(out, `samples-epoch-${pad2(epoch)}.png`);
  const rp = join(out, `reconstructions-epoch-${pad2(epoch)}.png`);
  writeFileAtomic(sp, imageGrid(await decodeSamples(s, fixedZ), GRID, { h: 28, w: 28, cols: 8, range: [0, 1] }));
  writeFileAtomic(rp, imageGrid(grid.images, grid.n, { h: 28, w: 28, cols: 8, range: [0, 1] }));
  return [sp, rp];
}

/** The epochs loop and every output, after the config checks. */
async function trainAndWrite(
  config: VaeConfig,
  out: string,
  data: { train: Matrix; test: Matrix },
  resume: boolean,
  makeBar: (label: string, total: number) => Progress,
  onEpoch?: (record: VaeEpoch) => void,
): Promise<VaeRun> {
  const ckptPath = join(out, CHECKPOINT_FILE);
  const dims: VaeDims = { input: data.train.cols, hidden: config.hidden, latent: config.latent };
  const rng = streams(config.seed);
  // drawn once from their own streams, so a resumed run regenerates them identically
  const fixedZ = rng.samples.fillNormal(new Float32Array(GRID * config.latent)) as Float32Array;
  const testEps = rng.test.fillNormal(new Float32Array(data.test.rows * config.latent)) as Float32Array;
  const s = await openSessions(config, dims, initVae(rng.init, dims));
  const fresh: Start = { epoch: 0, history: [], shuffle: rng.shuffle, noise: rng.noise };
  const { epoch: startEpoch, history, shuffle, noise } = resume ? restore(s, config, ckptPath, fresh) : fresh;

  const snaps = snapshotEpochs(config.epochs);
  const files: VaeFiles = { plots: [], samples: [], reconstructions: [], onnx: [], checkpoint: ckptPath };
  const nBatches = batchCount(data.train.rows, config.batchSize);
  for (let epoch = startEpoch + 1; epoch <= config.epochs; epoch++) {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const bar = makeBar(`epoch ${epoch}/${config.epochs}`, nBatches);
    let tr;
    try {
      tr = await trainEpoch(s, data.train, config, shuffle, noise, bar);
      bar.update(nBatches, `loss ${tr.loss.toFixed(2)}`);
    } finally {
      bar.stop();
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    const snap = snaps.includes(epoch);
    const te = await evaluate(s, data.test, testEps, config.latent, snap ? GRID / 2 : 0);
    if (snap) await writeSnapshot(out, epoch, s, fixedZ, data.test, te.recon);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    history.push({ epoch, seconds, trainSeconds, cpuSeconds, trainLoss: tr.loss, trainRec: tr.rec, trainKl: tr.kl, testLoss: te.loss, testRec: te.rec, testKl: te.kl });
    const rngState = { shuffle: shuffle.getState(), noise: noise.getState() };
    saveCheckpoint(ckptPath, { kind: KIND, config: configKey(config), epoch, history, rng: rngState, tensors: stateTensors(s.step) });
    writePlots(out, history);
    onEpoch?.(history[history.length - 1]);
  }
  files.plots = writePlots(out, history);
  files.onnx = writeExports(out, s, dims);
  writeJsonAtomic(join(out, "history.json"), { config, epochs: history });
  // every snapshot of the run so far, including those written before a resume
  for (const e of snaps.filter((e) => e <= config.epochs)) {
    const sp = join(out, `samples-epoch-${pad2(e)}.png`), rp = join(out, `reconstructions-epoch-${pad2(e)}.png`);
    if (existsSync(sp)) files.samples.push(sp);
    if (existsSync(rp)) files.reconstructions.push(rp);
  }
  return { config, epochs: history, resumedFrom: startEpoch, files, fixedZ, samples: await decodeSamples(s, fixedZ) };
}


/** The config as compared on resume (undefined limits spelled out, so absent = all data). */
function configKey(c: VaeConfig): Record<string, unknown> {
  return { ...c, limit: c.limit ?? null, testLimit: c.testLimit ?? null, mnistDir: c.mnistDir ?? null };
}

/** A finished epoch as one line of progress: `train 120.33, test 118.20 (3.4 s)`. */
export function vaeEpochLine(r: VaeEpoch): string {
  return `train ${r.trainLoss.toFixed(2)}, test ${r.testLoss.toFixed(2)} (${r.seconds.toFixed(1)} s)`;
}

/** The --json document: config, per-epoch numbers, files. */
export function vaeSummary(run: VaeRun): object {
  return {
    config: run.config,
    resumedFrom: run.resumedFrom,
    epochs: run.epochs.map((e) => ({ epoch: e.epoch, trainLoss: e.trainLoss, testLoss: e.testLoss, seconds: e.seconds, trainSeconds: e.trainSeconds })),
    files: { plots: run.files.plots, samples: [...run.files.samples, ...run.files.reconstructions], onnx: run.files.onnx, checkpoint: run.files.checkpoint },
  };
}
