import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

function emlab(args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", env: { ...process.env, EMLAB_PROGRESS: "0" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), "emlab-mnist-"));

test("mnist --json on a tiny subset: one JSON document, the files written", () => {
  const out = join(tmp, "run");
  const r = emlab(["mnist", "--limit", "1000", "--test-limit", "300", "--pca", "10", "--k", "1-2", "--threads", "2", "--out", out, "--json"]);
  assert.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.is(doc.config.pca, 10);
  assert.is(doc.config.regCovar, 1e-6);
  assert.is(doc.config.nInit, 2);
  assert.equal(doc.config.ks, [1, 2]);
  assert.equal(doc.results.map((x: any) => x.k), [1, 2]);
  for (const x of doc.results) {
    assert.ok(x.testError >= 0 && x.testError < 0.4, `K=${x.k} test error ${x.testError}`);
    assert.ok(x.trainError >= 0 && x.trainError < 0.4);
    assert.ok(x.seconds > 0);
  }
  assert.ok([1, 2].includes(doc.best.k));
  assert.is(doc.best.testError, Math.min(...doc.results.map((x: any) => x.testError)));
  assert.is(doc.confusion.length, 10);
  const total = doc.confusion.flat().reduce((a: number, b: number) => a + b, 0);
  const right = doc.confusion.reduce((a: number, row: number[], i: number) => a + row[i], 0);
  assert.is(total, 300);
  assert.ok(Math.abs(1 - right / total - doc.best.testError) < 1e-12);
  for (const f of ["error-vs-k.svg", "confusion.svg", "confusion.json", "misclassified.png", "results.json"]) {
    assert.ok(existsSync(join(out, f)), f);
  }
  assert.equal(JSON.parse(readFileSync(join(out, "results.json"), "utf8")), doc);
  const png = readFileSync(join(out, "misclassified.png"));
  assert.equal(Array.from(png.subarray(1, 4)), [0x50, 0x4e, 0x47]);
});

const bad: [string[], RegExp][] = [
  [["--pca", "-1"], /--pca/],
  [["--pca", "785"], /--pca/],
  [["--pca", "2.5"], /--pca/],
  [["--covariance", "banana"], /--covariance/],
  [["--k", "3-1"], /--k/],
  [["--k", "x"], /--k/],
  [["--limit", "30", "--k", "10"], /--k.*digit \d has \d training images/],
  [["--limit", "0"], /--limit/],
  [["--threads", "0"], /--threads/],
];
for (const [args, msg] of bad) {
  test(`mnist ${args.join(" ")}: one-line error, exit 2, nothing written`, () => {
    const out = join(tmp, "bad");
    const r = emlab(["mnist", "--test-limit", "10", "--out", out, ...args]);
    assert.is(r.code, 2, r.stderr);
    assert.is(r.stdout, "");
    const lines = r.stderr.trimEnd().split("\n");
    assert.is(lines.length, 1, r.stderr);
    assert.match(lines[0], /^emlab: /);
    assert.match(lines[0], msg);
    assert.not.ok(existsSync(out));
  });
}

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test.run();
