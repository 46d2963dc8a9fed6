// emlab gmm → model.json → emlab score / predict / sample, through the real CLI: the round trip
// against the fit (same NLL to the bit, same labels as GaussianMixture.predict), .npy and
// pandas-written input, the non-convergence warning.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { nodeCore } from "../src/core/node.js";
import { parseCsv } from "../src/data/csv-parse.js";
import { readMatrixFile } from "../src/data/row-source.js";
import { GaussianMixture } from "../src/mixture/gaussian-mixture.js";
import { floatBytes, npyBytes } from "./twin/npy-file.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const BUNDLED = fileURLToPath(new URL("../../data/gmm_dataset.csv", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "emlab-cli-reuse-"));
nodeCore();

function emlab(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, EMLAB_PROGRESS: "0" }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const X = readMatrixFile(BUNDLED).matrix;
// the same float32 values as an .npy file, as np.save(f, X.astype('<f4')) writes it
const npyFile = join(dir, "bundled.npy");
writeFileSync(npyFile, npyBytes("<f4", [X.rows, X.cols], new Uint8Array(X.data.buffer, X.data.byteOffset, X.data.length * 4)));

for (const covariance of ["diag", "full"]) {
  test(`gmm --out writes model.json; score reproduces the fit's NLL to the bit (${covariance}, CSV and .npy)`, async () => {
    const out = join(dir, `gmm-${covariance}`);
    const fit = await emlab(["gmm", "--data", BUNDLED, "--k", "4,5", "--covariance", covariance, "--threads", "2", "--out", out, "--json"]);
    assert.is(fit.code, 0, fit.stderr);
    const sweep = JSON.parse(fit.stdout);
    const chosen = sweep.runs.find((r: { k: number }) => r.k === sweep.chosenK);
    const modelFile = join(out, "model.json");
    const model = JSON.parse(readFileSync(modelFile, "utf8"));
    assert.equal([model.kind, model.nComponents, model.covarianceType, model.nFeatures], ["GaussianMixture", sweep.chosenK, covariance, 10]);
    assert.ok(Object.is(model.nll, chosen.nll));
    for (const data of [BUNDLED, npyFile]) {
      const s = await emlab(["score", "--model", modelFile, "--data", data, "--json"]);
      assert.is(s.code, 0, s.stderr);
      const r = JSON.parse(s.stdout);
      assert.is(r.n, 3000);
      assert.ok(Object.is(r.nll, chosen.nll), `${data}: score ${r.nll} vs fit ${chosen.nll}`);
      assert.ok(Object.is(r.meanLogLikelihood, -chosen.nll / 3000));
      assert.is(r.data.input.format, data === npyFile ? "npy" : "csv");
    }
    // the same model in-process: labels and responsibilities
    const gm = GaussianMixture.fromJSON(model);
    const labels = gm.predict(X);
    const proba = gm.predictProba(X);
    const text = await emlab(["predict", "--model", modelFile, "--data", npyFile]);
    assert.equal(text.stdout.trimEnd().split("\n").map(Number), Array.from(labels));
    const json = await emlab(["predict", "--model", modelFile, "--data", BUNDLED, "--proba", "--json"]);
    const doc = JSON.parse(json.stdout);
    assert.equal(doc.labels, Array.from(labels));
    assert.is(doc.proba.length, 3000);
    assert.ok(doc.proba.every((row: number[], i: number) => row.every((v, k) => Object.is(v, proba[i * gm.weights.length + k]))));
    const lines = join(dir, `resp-${covariance}.csv`);
    const pr = await emlab(["predict", "--model", modelFile, "--data", BUNDLED, "--proba", "--out", lines]);
    assert.equal([pr.code, pr.stdout], [0, ""]);
    const m = parseCsv(readFileSync(lines, "utf8"), lines, { header: "no" });
    assert.equal([m.rows, m.cols], [3000, 1 + gm.weights.length]);
    assert.is(m.data[0], labels[0]);
    assert.is(m.data[1], Math.fround(proba[0]));
  });
}

test("sample: CSV on stdout and .npy files hold the rows of GaussianMixture.sample for the seed, exactly", async () => {
  const modelFile = join(dir, "gmm-diag", "model.json");
  const gm = GaussianMixture.fromJSON(JSON.parse(readFileSync(modelFile, "utf8")));
  const want = gm.sample(10_000, 5).X;
  const csv = await emlab(["sample", "--model", modelFile, "--n", "10000", "--seed", "5"]);
  assert.is(csv.code, 0, csv.stderr);
  const got = parseCsv(csv.stdout, "stdout");
  assert.equal([got.rows, got.cols, got.info.header.line], [10_000, 10, null]);
  assert.ok(got.data.every((v, i) => Object.is(v, want.data[i])), "CSV values read back to the same float32");
  const npy = join(dir, "draws.npy");
  const r = await emlab(["sample", "--model", modelFile, "--n", "10000", "--seed", "5", "--out", npy]);
  assert.is(r.code, 0, r.stderr);
  const back = readMatrixFile(npy);
  assert.equal(back.info, { format: "npy", version: "1.0", dtype: "float32", shape: [10_000, 10] });
  assert.ok(back.matrix.data.every((v, i) => Object.is(v, want.data[i])));
  assert.equal(readdirSync(dir).filter((f) => f.endsWith(".tmp")), []);
  // without --seed, the library's default seed: the rows of gm.sample(n)
  const byDefault = parseCsv((await emlab(["sample", "--model", modelFile, "--n", "50"])).stdout, "stdout").data;
  const lib = gm.sample(50).X.data;
  assert.ok(byDefault.length === lib.length && byDefault.every((v, i) => Object.is(v, lib[i])), "emlab sample = gm.sample(n) without --seed");
});

test("pandas-written CSV (header 0…d−1, index column) through gmm: the header decision is in --json's data", async () => {
  const rows = Array.from({ length: 60 }, (_, i) => `${i},${(i % 3) * 5 + Math.sin(i)},${(i % 3) * -4 + Math.cos(3 * i)}`);
  const file = join(dir, "pandas.csv");
  writeFileSync(file, [",0,1", ...rows].join("\n") + "\n");
  const r = await emlab(["gmm", "--data", file, "--k", "3", "--out", join(dir, "g-pandas"), "--json", "--threads", "1"]);
  assert.is(r.code, 0, r.stderr);
  const data = JSON.parse(r.stdout).data;
  assert.equal([data.n, data.d], [60, 2]);
  assert.equal(data.input, { format: "csv", separator: "comma", header: { mode: "auto", line: 1, reason: "cell 1 is empty" }, indexColumn: true });
});

test("gmm: a fit stopped at --max-iter warns on stderr naming --max-iter and --tol; --tol 0 does not", async () => {
  const r = await emlab(["gmm", "--data", BUNDLED, "--k", "3,5", "--max-iter", "2", "--out", join(dir, "g-warn"), "--json", "--threads", "1"]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).runs.map((x: { converged: boolean }) => x.converged), [false, false]);
  assert.is(r.stderr, "emlab gmm: warning: K = 3, 5 stopped at --max-iter 2 without converging (|Δℓ| > --tol 0.00001 × |ℓ|): raise --max-iter or loosen --tol\n");
  const zero = await emlab(["gmm", "--data", BUNDLED, "--k", "3", "--max-iter", "2", "--tol", "0", "--out", join(dir, "g-tol0"), "--threads", "1"]);
  assert.equal([zero.code, zero.stderr], [0, ""]);
  const fine = await emlab(["gmm", "--data", BUNDLED, "--k", "5", "--out", join(dir, "g-ok"), "--threads", "1"]);
  assert.equal([fine.code, fine.stderr], [0, ""]);
});

test("score, predict and sample --help list every flag with its default and show examples", async () => {
  for (const cmd of ["score", "predict", "sample"]) {
    const h = await emlab([cmd, "--help"]);
    assert.is(h.code, 0);
    assert.match(h.stdout, "Examples:");
    for (const flag of cmd === "sample" ? ["--model", "--n", "--seed", "--out"] : ["--model", "--data", "--header", "--json"]) assert.match(h.stdout, flag);
    if (cmd !== "sample") assert.match(h.stdout, '[default: "auto"]');
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
