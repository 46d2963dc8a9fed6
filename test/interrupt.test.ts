// Nothing lost on interruption: a real `emlab vae` run (and, in the long run, `emlab gan`) is killed (SIGINT mid-epoch by default;
// with EMLAB_LONG_TESTS=1 also SIGTERM at other points, during a checkpoint write, and SIGKILL),
// then every file in --out must be complete, no temp or lock file may stay behind (SIGKILL's
// are removed by the next run), and --resume must finish the run with at most the epoch in
// progress lost: the epochs finished before the kill keep their losses bit for bit.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PNG } from "pngjs";
import { createSession } from "../src/onnx/index.js";
import { loadCheckpoint } from "../src/train/checkpoint.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const LONG = process.env.EMLAB_LONG_TESTS === "1";
const root = mkdtempSync(join(tmpdir(), "emlab-interrupt-"));

/** A training command under test: its flags, checkpoint, and how its losses read. */
interface Model {
  name: "vae" | "gan";
  flags: string[];
  epochs: number;
  checkpoint: string;
  /** Losses of epoch record `e` from the --json document, and from the checkpoint's history. */
  jsonLosses: (e: any) => number[];
  historyLosses: (h: any) => number[];
  /** Files a finished run must have. */
  final: string[];
}
const VAE: Model = {
  name: "vae",
  flags: ["vae", "--limit", "16384", "--test-limit", "512", "--epochs", "3", "--threads", "1", "--hidden", "200", "--json"],
  epochs: 3,
  checkpoint: "checkpoint.emlab",
  jsonLosses: (e) => [e.trainLoss, e.testLoss],
  historyLosses: (h) => [h.trainLoss, h.testLoss],
  final: ["checkpoint.emlab", "history.json", "decoder.onnx", "encoder.onnx", "loss.svg", "samples-epoch-03.png"],
};
const GAN: Model = {
  name: "gan",
  flags: ["gan", "--limit", "2048", "--test-limit", "256", "--epochs", "2", "--threads", "1", "--json"],
  epochs: 2,
  checkpoint: "checkpoint.bin",
  jsonLosses: (e) => [e.train.g, e.train.d, e.test.g, e.test.d],
  historyLosses: (h) => [h.trainG, h.trainD, h.testG, h.testD],
  final: ["checkpoint.bin", "results.json", "generator.onnx", "discriminator.onnx", "loss-generator.svg", "samples-epoch-02.png"],
};

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Start `emlab args`; `done` resolves when it exits. */
function start(args: string[]): { pid: number; kill: (s: NodeJS.Signals) => void; done: Promise<Exit> } {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, EMLAB_PROGRESS: "0" } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const done = new Promise<Exit>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { pid: child.pid!, kill: (s) => child.kill(s), done };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `cond` every `every` ms until it holds (true) or `ms` pass (false). */
async function waitFor(cond: () => boolean, ms: number, every = 5): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(every);
  }
  return cond();
}

let model: Model = VAE; // the model of the kill in progress
const ckptPath = (out: string) => join(out, model.checkpoint);
const epochsDone = (out: string) => (existsSync(ckptPath(out)) ? loadCheckpoint(ckptPath(out), { kind: model.name }).epoch : 0);

/** Every file in out is complete and loads; no temp or lock file is left. Returns the names. */
async function checkComplete(out: string, allowTemps = false): Promise<string[]> {
  const names = readdirSync(out);
  for (const name of names) {
    const p = join(out, name);
    if (statSync(p).isDirectory()) continue;
    if (name.endsWith(".tmp")) {
      assert.ok(allowTemps, `${p}: temp file left behind`);
      continue;
    }
    if (/\.lock$/.test(name)) {
      assert.ok(allowTemps, `${p}: lock file left behind`); // only SIGKILL leaves one; the next run takes it over
      continue;
    }
    const bytes = readFileSync(p);
    if (name.endsWith(".json")) JSON.parse(bytes.toString("utf8"));
    else if (name.endsWith(".svg")) assert.match(bytes.toString("utf8"), /^<svg[\s\S]*<\/svg>\s*$/, p);
    else if (name.endsWith(".png")) PNG.sync.read(bytes);
    else if (name.endsWith(".onnx")) await (await createSession(new Uint8Array(bytes))).release();
    else if (name === model.checkpoint) loadCheckpoint(p, { kind: model.name });
    else assert.unreachable(`${p}: unexpected file`);
  }
  return names;
}

interface Kill {
  name: string;
  signal: NodeJS.Signals;
  /** Wait in the child's run until this holds, then send the signal. */
  when: (out: string) => Promise<void>;
}

/** One kill + resume; returns a description for the log. */
async function killAndResume(m: Model, k: Kill, i: number): Promise<string> {
  model = m;
  const out = join(root, `${m.name}-${i}`);
  const run = start([...m.flags, "--out", out]);
  await k.when(out);
  const before = epochsDone(out);
  const history = before > 0 ? loadCheckpoint(ckptPath(out), { kind: m.name }).history : [];
  run.kill(k.signal);
  const t0 = Date.now();
  const r = await run.done;
  const exitMs = Date.now() - t0;
  let note = "";
  if (r.code === 0) {
    // the run got to its end before the signal arrived (a late kill): it must simply be complete
    note = ", finished before the signal arrived";
    JSON.parse(r.stdout);
  } else if (k.signal === "SIGKILL") {
    assert.is(r.signal, "SIGKILL");
  } else if (r.signal === k.signal) {
    // only while node itself boots, before any of emlab's modules runs: nothing can be written yet
    assert.not.ok(existsSync(out), `${k.name}: killed by the default handler after writing`);
  } else {
    const code = k.signal === "SIGINT" ? 130 : 143;
    assert.is(r.code, code, `${k.name}: exit ${r.code} (${r.signal}); stderr ${r.stderr}`);
    assert.is(r.stderr, `emlab: interrupted by ${k.signal}; completed epochs are kept; continue with --resume\n`, k.name);
    assert.is(r.stdout, "", k.name);
    assert.ok(exitMs < 5000, `${k.name}: took ${exitMs} ms to exit`);
  }
  if (!existsSync(out)) return `${k.name}: killed before the first write`;
  const temps = readdirSync(out).filter((n) => n.endsWith(".tmp")).length;
  await checkComplete(out, k.signal === "SIGKILL");
  const after = epochsDone(out);
  assert.ok(after >= before, `${k.name}: checkpoint went back from ${before} to ${after}`);

  const resumed = start([...m.flags, "--out", out, ...(after > 0 ? ["--resume"] : [])]);
  const rr = await resumed.done;
  assert.is(rr.code, 0, `${k.name}: resume failed: ${rr.stderr}`);
  const doc = JSON.parse(rr.stdout);
  assert.equal(doc.epochs.map((e: { epoch: number }) => e.epoch), Array.from({ length: m.epochs }, (_, i) => i + 1), k.name);
  // the epochs finished before the kill are kept exactly
  for (const h of history) assert.equal(m.jsonLosses(doc.epochs[h.epoch - 1]), m.historyLosses(h), `${m.name} ${k.name}: epoch ${h.epoch} losses changed`);
  const names = await checkComplete(out);
  for (const f of m.final) assert.ok(names.includes(f), `${k.name}: ${f} missing after resume`);
  return `${m.name} ${k.name}: ${k.signal} with ${before} epoch(s) checkpointed, ${after} kept${temps ? `, ${temps} temp file(s) left and removed by the resumed run` : ""}, exit in ${exitMs} ms, resumed from ${after}${note}`;
}

const afterCheckpoint = (extraMs: number) => async (out: string) => {
  assert.ok(await waitFor(() => existsSync(ckptPath(out)), 60_000, 20), "no checkpoint within 60 s");
  await sleep(extraMs);
};

/** Poll the directory as fast as we can and return as soon as a temp file shows up (or after ms). */
const duringWrite = (ms: number) => async (out: string) => {
  await waitFor(() => existsSync(out) && readdirSync(out).some((n) => n.endsWith(".tmp")), ms, 0);
};

const short: Kill[] = [{ name: "SIGINT mid-epoch 2", signal: "SIGINT", when: afterCheckpoint(250) }];
const long: Kill[] = [
  { name: "SIGINT during start-up", signal: "SIGINT", when: async () => { await sleep(150); } },
  { name: "SIGTERM mid-epoch 1", signal: "SIGTERM", when: async (out) => void (await waitFor(() => existsSync(out), 30_000, 10), await sleep(400)) },
  { name: "SIGTERM right after checkpoint 1", signal: "SIGTERM", when: afterCheckpoint(0) },
  { name: "SIGINT late in epoch 2", signal: "SIGINT", when: afterCheckpoint(900) },
  { name: "SIGTERM while a temp file exists", signal: "SIGTERM", when: duringWrite(30_000) },
  { name: "SIGTERM during the final exports", signal: "SIGTERM", when: async (out) => void (await waitFor(() => existsSync(out) && epochsDone(out) === 3, 60_000, 2)) },
  { name: "SIGKILL while a temp file exists", signal: "SIGKILL", when: duringWrite(30_000) },
  { name: "SIGKILL mid-epoch 2", signal: "SIGKILL", when: afterCheckpoint(300) },
];

const ganKills: Kill[] = [
  { name: "SIGINT mid-epoch 2", signal: "SIGINT", when: afterCheckpoint(600) },
  { name: "SIGTERM while a temp file exists", signal: "SIGTERM", when: duringWrite(60_000) },
  { name: "SIGKILL mid-epoch 1", signal: "SIGKILL", when: async (out) => void (await waitFor(() => existsSync(out), 30_000, 10), await sleep(800)) },
];
const runs: [Model, Kill][] = LONG ? [...[...short, ...long].map((k) => [VAE, k] as [Model, Kill]), ...ganKills.map((k) => [GAN, k] as [Model, Kill])] : short.map((k) => [VAE, k]);

test(`${runs.length} interruption(s) of vae${LONG ? " and gan" : ""}, each leaves only complete files and --resume finishes the run`, async () => {
  for (let i = 0; i < runs.length; i++) process.stderr.write(`interrupt: ${await killAndResume(runs[i][0], runs[i][1], i)}\n`);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
