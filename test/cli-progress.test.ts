// Progress through the real CLI with stderr a pipe (as under nohup or in a CI log): one line per
// K or epoch appears on stderr, --quiet leaves stderr empty on success, and an error still prints
// its one line with --quiet. (On a terminal the same events draw bars instead: test/contract.test.ts.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "emlab-cli-progress-"));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs emlab with stdout and stderr piped, without the EMLAB_PROGRESS switch the other tests set. */
function emlab(args: string[]): Promise<Result> {
  const { EMLAB_PROGRESS: _off, ...env } = process.env;
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const lines = (text: string) => text.split("\n").filter((l) => l !== "");

test("gmm: one line per K on stderr when it is not a terminal; --quiet: none; stdout unchanged", async () => {
  const r = await emlab(["gmm", "--k", "1-3", "--threads", "1", "--json", "--out", join(dir, "gmm")]);
  assert.is(r.code, 0, r.stderr);
  const got = lines(r.stderr);
  assert.is(got.length, 3, r.stderr);
  got.forEach((l, i) => assert.match(l, new RegExp(`^gmm: \\[${i + 1}/3\\] K = ${i + 1}: NLL \\d+\\.\\d, BIC \\d+\\.\\d, \\d+ iterations \\(\\d+\\.\\d\\d s\\)$`)));
  const quiet = await emlab(["gmm", "--k", "1-3", "--threads", "1", "--json", "--quiet", "--out", join(dir, "gmm-quiet")]);
  assert.is(quiet.code, 0, quiet.stderr);
  assert.is(quiet.stderr, "");
  // the same document on stdout, progress or not (times aside)
  const strip = (s: string) => JSON.stringify(JSON.parse(s).runs.map(({ seconds: _s, ...run }: { seconds: number }) => run));
  assert.is(strip(quiet.stdout), strip(r.stdout));
});

test("vae: one line per epoch; --quiet: nothing", async () => {
  const args = ["vae", "--epochs", "2", "--limit", "256", "--test-limit", "128", "--hidden", "16", "--latent", "4", "--threads", "1"];
  const r = await emlab([...args, "--out", join(dir, "vae")]);
  assert.is(r.code, 0, r.stderr);
  const got = lines(r.stderr);
  assert.is(got.length, 2, r.stderr);
  got.forEach((l, i) => assert.match(l, new RegExp(`^vae: epoch ${i + 1}/2: train \\d+\\.\\d\\d, test \\d+\\.\\d\\d \\(\\d+\\.\\d s\\)$`)));
  const quiet = await emlab([...args, "--quiet", "--out", join(dir, "vae-quiet")]);
  assert.is(quiet.code, 0, quiet.stderr);
  assert.is(quiet.stderr, "");
});

test("mnist: one line per K", async () => {
  const r = await emlab(["mnist", "--k", "1-2", "--pca", "10", "--limit", "2000", "--test-limit", "500", "--threads", "1", "--out", join(dir, "mnist")]);
  assert.is(r.code, 0, r.stderr);
  const got = lines(r.stderr);
  assert.is(got.length, 2, r.stderr);
  got.forEach((l, i) => assert.match(l, new RegExp(`^mnist: \\[${i + 1}/2\\] K = ${i + 1}: test error \\d+\\.\\d\\d %, training error \\d+\\.\\d\\d % \\(\\d+\\.\\d s\\)$`)));
});

test("--quiet does not silence errors: the one line, exit code 2", async () => {
  for (const args of [
    ["gmm", "--k", "0-3", "--quiet"],
    ["vae", "--epochs", "0", "--quiet"],
    ["sample", "--model", join(dir, "missing.json"), "--n", "3", "--quiet"],
  ]) {
    const r = await emlab(args);
    assert.is(r.code, 2, args.join(" "));
    assert.is(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, /^emlab: /);
  }
});

test.run();
