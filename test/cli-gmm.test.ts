import { test } from "uvu";
import { limited } from "./twin/limited.js";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseKList, parseNumberFlag } from "../src/cli/args.js";
import { parseLabels } from "../src/data/labels.js";
import { gmmConfig } from "../src/cli/gmm.js";
import { nodeCore } from "../src/core/node.js";
import { loadData } from "../src/data/datasets.js";
import { fitSweep, selectByBic, sweepJson, type GmmRun } from "../src/experiments/gmm-sweep.js";
import { EmThreadPool } from "../src/parallel/em-threads.js";
import { UserError } from "../src/util/errors.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "emlab-cli-gmm-"));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function emlab(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, EMLAB_PROGRESS: "0" } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}


function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** 40 rows in 2-D: two blobs (weights 0.25 / 0.75) around (0, 0) and (6, 6), no randomness needed. */
const ROWS = Array.from({ length: 40 }, (_, i) => {
  const [cx, cy] = i % 4 === 0 ? [0, 0] : [6, 6];
  return `${(cx + Math.sin(i * 1.7)).toFixed(4)},${(cy + Math.cos(i * 2.3)).toFixed(4)}`;
});
const good = file("good.csv", ["a,b", ...ROWS].join("\n") + "\n");

function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.instance(e, UserError);
    return (e as Error).message;
  }
  assert.unreachable("expected a UserError");
  return "";
}

test("parseKList: single, range, list, mixed; sorted and unique; errors name --k", () => {
  assert.equal(parseKList("5"), [5]);
  assert.equal(parseKList("1-10"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(parseKList("5,1,3"), [1, 3, 5]);
  assert.equal(parseKList(" 2-4, 3 ,9"), [2, 3, 4, 9]);
  assert.is(userError(() => parseKList("4-2")), "--k: '4-2' has a decreasing range 4-2 (use e.g. 5, 1-10 or 1,3,5)");
  assert.match(userError(() => parseKList("1.5")), /^--k: '1\.5' is not a whole number/);
  assert.match(userError(() => parseKList("1,,2")), /^--k: /);
  assert.match(userError(() => parseKList("1-100000")), /more than 1000 values/);
  assert.match(userError(() => parseKList(["1", "2"])), /^--k: given 2 times/);
});

test("parseNumberFlag: rules for integers and ranges", () => {
  assert.is(parseNumberFlag("tol", "0"), 0);
  assert.is(parseNumberFlag("tol", "1e-5", { min: 0 }), 1e-5);
  assert.is(userError(() => parseNumberFlag("x", "", {})), "--x: '' is not a finite number");
  assert.is(userError(() => parseNumberFlag("x", "3", { max: 2 })), "--x: 3 is above the maximum 2");
  assert.is(userError(() => parseNumberFlag("x", "0", { above: 0 })), "--x: 0 must be greater than 0");
});

test("parseLabels: whitespace, commas and newlines; line numbers in errors", () => {
  assert.equal(Array.from(parseLabels("0 1\n2,1\r\n\n0\n", "l.txt", 5, 3)), [0, 1, 2, 1, 0]);
  assert.is(userError(() => parseLabels("0\n1\n\n3\n", "l.txt", 4, 3)), "l.txt:4: label 3 is out of range 0..2");
  assert.is(userError(() => parseLabels("0\n1.0\n", "l.txt", 2, 3)), "l.txt:2: label '1.0' is not an integer");
  assert.is(userError(() => parseLabels("", "l.txt", 2, 3)), "l.txt:1: has 0 labels, expected one per data row (2)");
});

test("gmmConfig: defaults parse; each bad flag is a UserError naming it (in-process twin of the CLI cases)", () => {
  const base = { data: "gmm-default", k: "1-10", covariance: "diag", init: "kmeans++", seed: "1", "max-iter": "500", tol: "1e-5", "reg-covar": "1e-6", header: "auto", out: join(dir, "cfg"), json: false };
  const c = gmmConfig(base);
  assert.equal(c.config.ks, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal([c.config.seed, c.config.maxIter, c.config.tol, c.config.regCovar, c.config.nInit], [1, 500, 1e-5, 1e-6, undefined]);
  assert.is(c.config.threads, availableParallelism(), "--threads defaults to every core");
  assert.is(gmmConfig({ ...base, threads: "3" }).config.threads, 3);
  const bad: [Record<string, unknown>, string][] = [
    [{ k: "0-3" }, "--k: '0-3' has a K below 1"],
    [{ k: "five" }, "--k: 'five' is not a whole number"],
    [{ tol: "NaN" }, "--tol: 'NaN' is not a finite number"],
    [{ "reg-covar": "-1" }, "--reg-covar: -1 is below the minimum 0"],
    [{ seed: "-2" }, "--seed: -2 is below the minimum 0"],
    [{ seed: "1e12" }, "--seed: 1e12 is above the maximum 2147483647"],
    [{ "max-iter": "0" }, "--max-iter: 0 is below the minimum 1"],
    [{ "n-init": "0" }, "--n-init: 0 is below the minimum 1"],
    [{ "n-init": "two" }, "--n-init: 'two' is not a whole number"],
    [{ covariance: "Diag" }, "--covariance: 'Diag' is not one of diag, spherical, full"],
    [{ data: "" }, "--data: expected a value, got an empty string"],
    [{ threads: "0" }, "--threads: 0 is below the minimum 1"],
    [{ threads: "1.5" }, "--threads: '1.5' is not a whole number"],
    [{ threads: "many" }, "--threads: 'many' is not a whole number"],
    [{ threads: "257" }, "--threads: 257 is above the maximum 256"],
    [{ header: "maybe" }, "--header: 'maybe' is not one of auto, yes, no"],
  ];
  for (const [over, msg] of bad) {
    const got = userError(() => gmmConfig({ ...base, ...over } as any));
    assert.ok(got.startsWith(msg), `${JSON.stringify(over)}: ${got}`);
  }
  // A negative label is out of range like any other.
  assert.is(userError(() => parseLabels("0 -1 1", "l.txt", 3, 2)), "l.txt:1: label -1 is out of range 0..1");
});

test("selectByBic: minimum BIC (ties to the smaller K) and a reason built from the numbers", () => {
  const run = (k: number, nll: number, bic: number, p: number): GmmRun => ({ k, nll, bic, aic: 0, nParameters: p, nllTrace: [nll], iterations: 1, converged: true, seconds: 0 });
  const runs = [run(1, 100, 210, 3), run(2, 80, 180, 7), run(3, 79, 185, 11), run(4, 78.5, 190, 15)];
  const s = selectByBic(runs, 100);
  assert.is(s.k, 2);
  assert.is(
    s.reason,
    "BIC is lowest at K = 2 (180.0); K = 1 is 30.0 higher, K = 3 is 5.0 higher. The NLL falls by 20.0 from K = 1 to K = 2, " +
      "but only by 1.5 (1.88%) from K = 2 to K = 4, while BIC charges 18.4 (Δp·ln n / 2) for the 8 extra parameters.",
  );
  assert.is(selectByBic([run(3, 1, 5, 1), run(2, 1, 5, 1)], 10).k, 2);
  assert.is(selectByBic([run(4, 1, 5, 1)], 10).reason, "only K = 4 was fitted (BIC 5.0)");
  assert.match(selectByBic([run(1, 10, 5, 1), run(2, 9, 6, 3)], 10).reason, /^BIC is lowest at K = 1 \(5\.0\); K = 2 is 1\.0 higher\. The NLL falls only by 1\.0/);
});

test("the sweep on the bundled data picks K = 5 by BIC and recovers the generating mixture", () => {
  const data = loadData("gmm-default");
  const X = data.matrix;
  const r = fitSweep(X, { source: data.source, n: X.rows, d: X.cols }, { ks: [4, 5, 6], covarianceType: "diag", init: "kmeans++", seed: 1, maxIter: 500, tol: 1e-5, regCovar: 1e-6 }, { core: nodeCore() });
  assert.is(r.chosenK, 5);
  const truth = JSON.parse(readFileSync(data.truthFile!, "utf8"));
  // Truth weights are distinct and increasing, like the report order, so components pair up by index.
  r.model.weights.forEach((w, k) => assert.ok(Math.abs(w - truth.weights[k]) < 0.01, `weight ${k}: ${w}`));
  r.model.means.forEach((m, k) => m.forEach((v, j) => assert.ok(Math.abs(v - truth.means[k][j]) < 0.35, `mean ${k},${j}`)));
  (r.model.variances as number[][]).forEach((vs, k) => vs.forEach((v, j) => assert.ok(Math.abs(v / truth.variances[k][j] - 1) < 0.4, `variance ${k},${j}`)));
});

test("gmm --json: one JSON document with runs, BIC choice and the model by increasing weight; files written", async () => {
  const out = join(dir, "out-ok");
  const r = await emlab(["gmm", "--data", good, "--k", "1-3", "--n-init", "2", "--seed", "3", "--out", out, "--json"]);
  assert.is(r.stderr, "");
  assert.is(r.code, 0);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.data.n, 40);
  assert.equal(doc.data.d, 2);
  assert.is(doc.data.source, good);
  assert.equal(doc.runs.map((x: any) => x.k), [1, 2, 3]);
  for (const run of doc.runs) {
    for (const key of ["nll", "bic", "aic", "seconds"]) assert.type(run[key], "number", key);
    assert.ok(Array.isArray(run.nllTrace) && run.nllTrace.length >= 1);
    assert.type(run.converged, "boolean");
    assert.ok(Number.isInteger(run.iterations));
  }
  const best = doc.runs.reduce((a: any, b: any) => (b.bic < a.bic ? b : a));
  assert.is(doc.chosenK, best.k);
  assert.is(doc.chosenK, 2); // two well-separated blobs
  assert.is(doc.selection.criterion, "BIC");
  assert.match(doc.selection.reason, `BIC is lowest at K = ${doc.chosenK}`);
  const w: number[] = doc.model.weights;
  assert.is(w.length, doc.chosenK);
  assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  for (let k = 1; k < w.length; k++) assert.ok(w[k - 1] <= w[k], "weights increase");
  assert.ok(Math.abs(w[0] - 0.25) < 1e-6 && Math.abs(w[1] - 0.75) < 1e-6, `weights ${w}`);
  assert.ok(Math.abs(doc.model.means[0][0]) < 1 && Math.abs(doc.model.means[1][0] - 6) < 1);
  assert.equal(doc.model.variances.map((v: number[]) => v.length), [2, 2]);
  for (const f of ["nll-vs-k.svg", "parameters.md", "parameters.json", "runs.json"]) assert.ok(existsSync(join(out, f)), f);
  const params = JSON.parse(readFileSync(join(out, "parameters.json"), "utf8"));
  assert.equal(params.model, doc.model);
  assert.equal(JSON.parse(readFileSync(join(out, "runs.json"), "utf8")).runs, doc.runs);
  assert.match(readFileSync(join(out, "nll-vs-k.svg"), "utf8"), /^<svg /);
});

test("gmm: same seed gives identical numbers; table output; --init-labels start; --tol 0 runs exactly --max-iter", async () => {
  const labels = file("labels.txt", ROWS.map((_, i) => (i % 4 === 0 ? 1 : 0)).join("\n") + "\n");
  const [a, b, table, lab, fixed] = await Promise.all([
    emlab(["gmm", "--data", good, "--k", "2", "--out", join(dir, "s1"), "--json"]),
    emlab(["gmm", "--data", good, "--k", "2", "--out", join(dir, "s2"), "--json"]),
    emlab(["gmm", "--data", good, "--k", "1,2", "--covariance", "spherical", "--out", join(dir, "t")]),
    emlab(["gmm", "--data", good, "--k", "2", "--init-labels", labels, "--out", join(dir, "l"), "--json"]),
    emlab(["gmm", "--data", good, "--k", "2", "--tol", "0", "--max-iter", "7", "--covariance", "full", "--out", join(dir, "f"), "--json"]),
  ]);
  for (const r of [a, b, table, lab, fixed]) assert.is(r.code, 0, r.stderr);
  const strip = (s: string) => JSON.stringify(JSON.parse(s).runs.map(({ seconds: _, ...rest }: any) => rest));
  assert.is(strip(a.stdout), strip(b.stdout));
  assert.match(table.stdout, /K\s+NLL\s+BIC\s+AIC\s+iter\s+converged\s+seconds/);
  assert.match(table.stdout, /# Gaussian mixture, K = 2 \(spherical covariance\)/);
  const l = JSON.parse(lab.stdout);
  assert.is(l.chosenK, 2);
  assert.ok(Math.abs(l.model.weights[0] - 0.25) < 1e-6);
  const f = JSON.parse(fixed.stdout);
  assert.is(f.runs[0].iterations, 7);
  assert.is(f.model.variances[0].length, 2); // 2×2 covariance matrices
});

/** 20000 rows like ROWS (two blobs): ten E-step chunks of 2048 rows, so a second thread gets work. */
const BIG_ROWS = 20000;
const big = file("big.csv", ["a,b", ...Array.from({ length: BIG_ROWS }, (_, i) => {
  const [cx, cy] = i % 4 === 0 ? [0, 0] : [6, 6];
  return `${(cx + Math.sin(i * 1.7)).toFixed(4)},${(cy + Math.cos(i * 2.3)).toFixed(4)}`;
})].join("\n") + "\n");

test("fitSweep with an EmThreadPool of 2: the worker runs chunks, and every number equals the sweep without a pool", async () => {
  const data = loadData(big);
  const X = data.matrix;
  const config = { ks: [2, 3], covarianceType: "spherical" as const, init: "kmeans++" as const, seed: 2, maxIter: 30, tol: 0, regCovar: 1e-6, nInit: 1 };
  const info = { source: data.source, n: X.rows, d: X.cols };
  const pool = new EmThreadPool({ threads: 2 });
  try {
    // Without this, a loaded machine can finish the sweep before the worker has started.
    await pool.ready();
    const pooled = fitSweep(X, info, config, { pool });
    const byThread = pool.chunksByThread();
    assert.ok(byThread[1] > 0, `the worker ran no chunk (${byThread})`);
    const serial = fitSweep(X, info, config, { core: nodeCore() });
    const strip = (r: typeof serial) => JSON.stringify(sweepJson({ ...r, runs: r.runs.map((x) => ({ ...x, seconds: 0 })) }));
    assert.is(strip(pooled), strip(serial));
  } finally {
    await pool.close();
  }
});

test("gmm --threads: 1 and 2 threads give the same JSON (but seconds), for diag, spherical and full; default = all cores", async () => {
  const run = (cov: string, threads?: string) =>
    emlab(["gmm", "--data", big, "--k", "2,3", "--n-init", "2", "--seed", "5", "--max-iter", "30", "--covariance", cov, ...(threads ? ["--threads", threads] : []), "--out", join(dir, `thr-${cov}-${threads ?? "default"}`), "--json"]);
  const results = await limited([
    () => run("diag", "1"), () => run("diag", "2"), () => run("diag"),
    () => run("spherical", "1"), () => run("spherical", "2"),
    () => run("full", "1"), () => run("full", "2"),
  ]);
  for (const r of results) {
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stderr, "");
  }
  const strip = (s: string) => {
    const doc = JSON.parse(s);
    doc.runs = doc.runs.map(({ seconds: _, ...rest }: any) => rest);
    return JSON.stringify(doc);
  };
  const [d1, d2, dd, s1, s2, f1, f2] = results.map((r) => strip(r.stdout));
  assert.is(d2, d1, "diag: --threads 2 vs 1");
  assert.is(dd, d1, "diag: default threads vs 1");
  assert.is(s2, s1, "spherical: --threads 2 vs 1");
  assert.is(f2, f1, "full: --threads 2 vs 1");
  assert.not.ok("threads" in JSON.parse(d1).config, "the thread count is not a setting of the results");
});

test("gmm: every bad input is one 'emlab:' line naming the file:line or flag, exit 2, nothing written", async () => {
  const header = "x,y,z\n1,2,3\n4,5,6\n";
  const cases: [string, string[], string | RegExp][] = [];
  const add = (name: string, args: string[], expect: string | RegExp) => cases.push([name, args, expect]);
  const nonNum = file("nonnum.csv", header + "7,abc,9\n");
  add("non-numeric cell", ["--data", nonNum], `${nonNum}:4: column 2: 'abc' is not a number`);
  const nan = file("nan.csv", header + "7,8,NaN\n");
  add("NaN cell", ["--data", nan], `${nan}:4: column 3: 'NaN' is not a finite number`);
  const inf = file("inf.csv", header + "-Infinity,8,9\n");
  add("Infinity cell", ["--data", inf], `${inf}:4: column 1: '-Infinity' is not a finite number`);
  const ragged = file("ragged.csv", header + "7,8\n");
  add("ragged rows", ["--data", ragged], `${ragged}:4: has 2 columns, expected 3`);
  const empty = file("empty.csv", "");
  add("empty file", ["--data", empty], `${empty}: is empty`);
  const headerOnly = file("header.csv", "x,y\n");
  add("header only", ["--data", headerOnly], `${headerOnly}: has a header row but no data rows`);
  add("unreadable path", ["--data", join(dir, "missing.csv")], `${join(dir, "missing.csv")}: cannot read: no such file or directory`);
  add("K < 1", ["--data", good, "--k", "0"], "--k: '0' has a K below 1");
  add("K > n", ["--data", good, "--k", "3,41"], `--k: K = 41 exceeds the 40 data rows of ${good}`);
  const outOfRange = file("lab-range.txt", ROWS.map((_, i) => (i === 17 ? 2 : 0)).join("\n"));
  add("labels out of range", ["--data", good, "--k", "2", "--init-labels", outOfRange], `${outOfRange}:18: label 2 is out of range 0..1`);
  const fewer = file("lab-few.txt", ROWS.slice(1).map(() => 0).join("\n") + "\n");
  add("labels of wrong count (fewer)", ["--data", good, "--k", "2", "--init-labels", fewer], `${fewer}:39: has 39 labels, expected one per data row (40)`);
  const more = file("lab-more.txt", [...ROWS, "x"].map(() => 1).join("\n"));
  add("labels of wrong count (more)", ["--data", good, "--k", "2", "--init-labels", more], `${more}:41: more labels than the 40 data rows`);
  const word = file("lab-word.txt", "0 1 one\n");
  add("label not an integer", ["--data", good, "--k", "2", "--init-labels", word], `${word}:1: label 'one' is not an integer`);
  add("labels file missing", ["--data", good, "--k", "2", "--init-labels", join(dir, "nope.txt")], `${join(dir, "nope.txt")}: cannot read --init-labels`);
  add("bad --tol", ["--data", good, "--tol", "abc"], "--tol: 'abc' is not a finite number");
  add("negative --tol", ["--data", good, "--tol=-1e-3"], "--tol: -1e-3 is below the minimum 0");
  add("bad --max-iter", ["--data", good, "--max-iter", "1.5"], "--max-iter: '1.5' is not a whole number");
  add("repeated flag", ["--data", good, "--tol", "1", "--tol", "2"], "--tol: given 2 times, expected once");
  add("bad --threads", ["--data", good, "--threads", "0"], "--threads: 0 is below the minimum 1");
  add("non-integer --threads", ["--data", good, "--threads", "2.5"], "--threads: '2.5' is not a whole number");
  add("unknown --covariance", ["--data", good, "--covariance", "banded"], "--covariance: 'banded' is not one of diag, spherical, full");
  add("unknown --init", ["--data", good, "--init", "kmeans"], "--init: 'kmeans' is not one of kmeans++, random, random-assignment");
  // A bad flag is reported before the data is read.
  add("flag checked before data", ["--data", join(dir, "missing.csv"), "--tol", "x"], "--tol: 'x' is not a finite number");

  const results = await limited(cases.map(([name, args], i) => () => emlab(["gmm", ...args, "--out", join(dir, `bad-${i}`)]).then((r) => [name, r] as const)));
  results.forEach(([name, r], i) => {
    const expect = cases[i][2];
    assert.is(r.code, 2, `${name}: exit code ${r.code}, stderr ${r.stderr}`);
    assert.is(r.stdout, "", `${name}: stdout`);
    const lines = r.stderr.split("\n");
    assert.is(lines.length, 2, `${name}: stderr must be one line: ${JSON.stringify(r.stderr)}`);
    assert.is(lines[1], "", name);
    assert.ok(lines[0].startsWith("emlab: "), `${name}: ${lines[0]}`);
    if (typeof expect === "string") assert.ok(lines[0].includes(expect), `${name}: got ${JSON.stringify(lines[0])}, expected it to include ${JSON.stringify(expect)}`);
    else assert.match(lines[0], expect, name);
    assert.not.ok(existsSync(join(dir, `bad-${i}`)), `${name}: --out was created`);
  });
});

test("gmm --out naming an existing file is an error naming --out", async () => {
  const r = await emlab(["gmm", "--data", good, "--k", "1", "--out", good]);
  assert.is(r.code, 2);
  assert.is(r.stderr, `emlab: --out: '${good}' exists and is not a directory\n`);
});

test.run();
