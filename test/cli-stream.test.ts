// emlab gmm / score / predict over a file read a chunk at a time (docs/scale.md): `--stream`
// gives the numbers of the in-memory fit (`--no-stream`) to the last bit, a raw float32 file
// with `--shape` those of the same values in an .npy file, score and predict the same output
// for any --threads; and a data file that shrinks in the middle of a streamed run stops it with
// one line naming the file, exit code 2 and nothing written. (The other bad files of streamed
// runs are rows of test/bad-input.test.ts.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Rng } from "../src/util/rng.js";
import { npyBytes } from "./twin/npy-file.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "emlab-cli-stream-"));
const f = (name: string) => join(dir, name);

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function emlab(args: string[], started?: (child: ChildProcess) => void): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, EMLAB_PROGRESS: "0" }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
    started?.(child);
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await emlab(args);
  assert.is(r.code, 0, `emlab ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** n×d f32 rows from three offset blobs (seeded). */
function rows(n: number, d: number): Float32Array {
  const rng = new Rng(9);
  const X = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const k = rng.int(3);
    for (let j = 0; j < d; j++) X[i * d + j] = 50 + 4 * k + (1 + j) * rng.normal();
  }
  return X;
}

const n = 5000;
const d = 3;
const X = rows(n, d);
const npy = f("x.npy");
writeFileSync(npy, npyBytes("<f4", [n, d], new Uint8Array(X.buffer)));
const raw = f("x.f32");
writeFileSync(raw, new Uint8Array(X.buffer));

/** runs.json and model.json of a gmm run, minus the seconds and how the data were read. */
function numbers(out: string): unknown {
  const runs = JSON.parse(readFileSync(join(out, "runs.json"), "utf8"));
  return { runs: runs.runs.map(({ seconds: _, ...r }: { seconds: number }) => r), chosenK: runs.chosenK, model: JSON.parse(readFileSync(join(out, "model.json"), "utf8")) };
}

test("gmm --stream (3 threads, .npy and raw --shape) gives the in-memory fit's numbers to the bit; the text says how the file was read", async () => {
  const common = ["--k", "2-3", "--covariance", "full", "--seed", "4", "--max-iter", "30"];
  const text = await ok(["gmm", "--data", npy, ...common, "--stream", "--threads", "3", "--out", f("streamed")]);
  await ok(["gmm", "--data", npy, ...common, "--no-stream", "--threads", "2", "--out", f("memory")]);
  await ok(["gmm", "--data", raw, "--shape", `${n},${d}`, ...common, "--stream", "--threads", "2", "--out", f("raw")]);
  assert.equal(numbers(f("streamed")), numbers(f("memory")));
  assert.equal(numbers(f("raw")), numbers(f("memory")));
  assert.match(text, `${npy}: n = ${n}, d = ${d} (.npy float32, format 1.0; streamed: read a chunk at a time on every pass), full covariance`);
  const runs = JSON.parse(readFileSync(join(f("raw"), "runs.json"), "utf8"));
  assert.equal(runs.data.input, { format: "raw", dtype: "float32", shape: [n, d] });
  assert.is(runs.data.streamed, true);
});

test("score and predict on 1 and 3 threads: the same output; score equals the fit's NLL", async () => {
  await ok(["gmm", "--data", npy, "--k", "3", "--threads", "1", "--out", f("m")]);
  const model = join(f("m"), "model.json");
  const nll = JSON.parse(readFileSync(model, "utf8")).nll;
  const scores = await Promise.all(["1", "3"].map((t) => ok(["score", "--model", model, "--data", npy, "--threads", t, "--json"])));
  for (const s of scores) assert.ok(Object.is(JSON.parse(s).nll, nll), `score ${JSON.parse(s).nll} vs the fit's ${nll}`);
  assert.is(JSON.parse(await ok(["score", "--model", model, "--data", raw, "--shape", `${n},${d}`, "--json"])).nll, nll);
  const [one, three] = await Promise.all(["1", "3"].map((t) => ok(["predict", "--model", model, "--data", npy, "--threads", t, "--proba"])));
  assert.is(three, one);
  assert.is(one.trim().split("\n").length, n);
});

/** Whether process `pid` has `path` open (Linux: /proc/<pid>/fd). */
function hasOpen(pid: number, path: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === path;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

test("a data file that shrinks during a streamed gmm run: exit 2, one line naming the file, nothing written", async () => {
  const long = f("long.npy");
  const m = 40_000;
  writeFileSync(long, npyBytes("<f4", [m, 4], new Uint8Array(rows(m, 4).buffer)));
  const out = f("shrink-out");
  let truncated = false;
  const r = await emlab(["gmm", "--data", long, "--stream", "--threads", "1", "--k", "1-40", "--tol", "0", "--max-iter", "200", "--out", out], (child) => {
    // once the run reads the file, and a moment later (past the header's read: the passes are
    // under way), cut it to 1000 rows
    const poll = setInterval(() => {
      if (child.exitCode !== null) return clearInterval(poll);
      if (!hasOpen(child.pid!, long)) return;
      clearInterval(poll);
      setTimeout(() => {
        if (child.exitCode !== null) return;
        truncateSync(long, 128 + 1000 * 4 * 4);
        truncated = true;
      }, 300);
    }, 20);
  });
  assert.ok(truncated, `the run ended before the file could be cut: ${r.stderr}`);
  assert.is(r.code, 2, r.stderr);
  assert.is(r.stdout, "");
  // the size check before a read, or (cut during a read) the read that comes back short
  const why = `(\\d+ data bytes now, shape \\(${m}, 4\\) of float32 needs ${m * 16}|row \\d+ is missing)`;
  assert.match(r.stderr, new RegExp(`^emlab: ${long.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: changed while being read: ${why}\\n$`));
  assert.not.ok(existsSync(out), "--out was created");
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
