// One run per --out: OUT/.emlab.lock (src/util/lock.ts). A second run on the same directory is
// refused with a one-line error naming the owner while the first completes; a lock whose pid is
// dead is taken over; the lock goes away on exit, on error and on SIGINT; a refused or failed run
// that found no directory leaves none; temp files of dead writers are removed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../src/util/errors.js";
import { acquireOutLock, LOCK_FILE, removeStaleTemps } from "../src/util/lock.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "emlab-lock-"));
const env = { ...process.env, EMLAB_PROGRESS: "0" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pid of a process that has exited (so certainly not alive now). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

/** Capture what `fn` writes to stderr. */
function stderrOf(fn: () => void): string {
  const write = process.stderr.write;
  let text = "";
  process.stderr.write = ((s: string) => ((text += s), true)) as typeof process.stderr.write;
  try {
    fn();
  } finally {
    process.stderr.write = write;
  }
  return text;
}

test("acquireOutLock: pid, command and start time in OUT/.emlab.lock; nested acquire is a no-op; release removes it", () => {
  const dir = join(root, "a");
  mkdirSync(dir);
  const lock = acquireOutLock(dir, "gmm");
  const info = JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8"));
  assert.is(info.pid, process.pid);
  assert.is(info.command, "gmm");
  assert.ok(Math.abs(Date.parse(info.started) - Date.now()) < 60_000, info.started);
  acquireOutLock(dir, "inner").release(); // same process, same directory: no-op, the lock stays
  assert.ok(existsSync(join(dir, LOCK_FILE)));
  lock.release();
  lock.release();
  assert.not.ok(existsSync(join(dir, LOCK_FILE)));
  assert.ok(existsSync(dir), "an existing directory stays");
});

test("acquireOutLock: the directories it created are removed on release while still empty, kept once written to", () => {
  const dir = join(root, "b", "c", "d");
  acquireOutLock(dir, "pca").release();
  assert.not.ok(existsSync(join(root, "b")), "created and left empty: removed");
  const lock = acquireOutLock(dir, "pca");
  writeFileSync(join(dir, "result.json"), "{}");
  lock.release();
  assert.ok(existsSync(join(dir, "result.json")));
  assert.not.ok(existsSync(join(dir, LOCK_FILE)));
});

test("acquireOutLock: a live owner is a UserError naming it; a dead owner's lock is taken over, saying so", async () => {
  const dir = join(root, "live");
  mkdirSync(dir);
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 20000)"]);
  try {
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: child.pid, command: "vae", started: "2026-11-26T08:00:00.000Z" }));
    assert.throws(
      () => acquireOutLock(dir, "gmm"),
      (e: unknown) => e instanceof UserError && e.message === `${dir} is in use by another emlab run (pid ${child.pid}, vae, started 2026-11-26T08:00:00.000Z); wait for it or use another --out`,
    );
    assert.is(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).pid, child.pid, "the owner's lock is untouched");
  } finally {
    child.kill();
  }
  const stale = join(root, "stale");
  mkdirSync(stale);
  const pid = deadPid();
  writeFileSync(join(stale, LOCK_FILE), JSON.stringify({ pid, command: "gan", started: "2026-11-26T07:00:00.000Z" }));
  let lock: ReturnType<typeof acquireOutLock> | undefined;
  const said = stderrOf(() => (lock = acquireOutLock(stale, "gmm")));
  assert.is(said, `emlab: taking over the stale lock of pid ${pid} (gan, started 2026-11-26T07:00:00.000Z, no longer running) in ${stale}\n`);
  assert.is(JSON.parse(readFileSync(join(stale, LOCK_FILE), "utf8")).pid, process.pid);
  lock!.release();
  // an unreadable lock file: young → in use (it may be mid-creation), old → taken over
  writeFileSync(join(stale, LOCK_FILE), "");
  assert.throws(() => acquireOutLock(stale, "gmm"), /is in use by another emlab run \(its lock .* is being written\)/);
});

test("removeStaleTemps: temp files of dead writers go (two levels down), live writers' stay", () => {
  const dir = join(root, "temps");
  mkdirSync(join(dir, "1a"), { recursive: true });
  const dead = deadPid();
  const files = [`.runs.json.${dead}.0.tmp`, `1a/.fit.json.${dead}.3.tmp`, `.mine.json.${process.pid}.0.tmp`, "keep.tmp", "runs.json"];
  for (const f of files) writeFileSync(join(dir, f), "x");
  const removed = removeStaleTemps(dir).map((p) => p.slice(dir.length + 1)).sort();
  assert.equal(removed, [`.runs.json.${dead}.0.tmp`, `1a/.fit.json.${dead}.3.tmp`].sort());
  assert.equal(readdirSync(dir).sort(), [`.mine.json.${process.pid}.0.tmp`, "1a", "keep.tmp", "runs.json"].sort());
});

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[]): { pid: number; kill: (s: NodeJS.Signals) => void; done: Promise<Exit> } {
  const child = spawn(process.execPath, [MAIN, ...args], { env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return { pid: child.pid!, kill: (s) => child.kill(s), done: new Promise((r) => child.on("close", (code) => r({ code, stdout, stderr }))) };
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await sleep(10);
  }
}

/** A few seconds of work that writes into --out only at the end. */
const LONG_RUN = ["mnist", "--limit", "12000", "--test-limit", "300", "--k", "1-4", "--pca", "50", "--covariance", "full", "--threads", "1", "--json"];

test("CLI: a second run on the same --out is refused (exit 2, one line naming the first), the first completes", async () => {
  const out = join(root, "shared");
  const first = start([...LONG_RUN, "--out", out]);
  await waitFor(() => existsSync(join(out, LOCK_FILE)), 30_000);
  const second = start(["pca", "--data", "gmm-default", "--components", "2", "--out", out]);
  const s = await second.done;
  assert.is(s.code, 2, s.stderr);
  assert.is(s.stdout, "");
  assert.match(s.stderr, new RegExp(`^emlab: ${out.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is in use by another emlab run \\(pid ${first.pid}, mnist, started [^)]+\\); wait for it or use another --out\\n$`));
  const f = await first.done;
  assert.is(f.code, 0, f.stderr);
  assert.ok(JSON.parse(f.stdout).best.k >= 1);
  assert.not.ok(existsSync(join(out, "pca.json")), "the refused run wrote nothing");
  assert.ok(existsSync(join(out, "results.json")));
  assert.not.ok(existsSync(join(out, LOCK_FILE)), "released on exit");
});

test("CLI: a stale lock (dead pid) is taken over with a note on stderr; SIGINT releases the lock", async () => {
  const out = join(root, "stale-cli");
  mkdirSync(out);
  const pid = deadPid();
  writeFileSync(join(out, LOCK_FILE), JSON.stringify({ pid, command: "vae", started: "2026-11-26T07:00:00.000Z" }));
  const r = await start(["pca", "--data", "gmm-default", "--components", "2", "--out", out, "--json"]).done;
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, `emlab: taking over the stale lock of pid ${pid} (vae, started 2026-11-26T07:00:00.000Z, no longer running)`);
  assert.ok(existsSync(join(out, "pca.json")));
  assert.not.ok(existsSync(join(out, LOCK_FILE)));

  const out2 = join(root, "sigint");
  const run = start([...LONG_RUN, "--out", out2]);
  await waitFor(() => existsSync(join(out2, LOCK_FILE)), 30_000);
  run.kill("SIGINT");
  const k = await run.done;
  assert.is(k.code, 130, k.stderr);
  assert.is(k.stderr, "emlab: interrupted by SIGINT\n");
  assert.not.ok(existsSync(out2), "the lock and the directory it created are gone");
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
