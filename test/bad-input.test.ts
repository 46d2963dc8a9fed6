// The bad-input matrix of docs/reliability.md ("Bad input"): one row per command × flag × kind
// of bad value, all run by one loop through the real CLI. Each must fail at validation, before
// any training: exit code 2, stdout empty, stderr exactly one line `emlab: …` naming the flag or
// the file (no stack trace), and nothing written (a fresh --out is not created; an existing one
// is left byte for byte as it was).
import { limited } from "./twin/limited.js";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import yargs, { type Argv } from "yargs";
import { commands } from "../src/cli/commands.js";
import { program } from "../src/cli/program.js";
import { UserError } from "../src/util/errors.js";
import { generatorModel, initGan } from "../src/models/gan.js";
import { buildDecoder, initVae, vaeParamNames } from "../src/models/vae.js";
import { serialize } from "../src/onnx/index.js";
import { CHECKPOINT_VERSION, encodeCheckpoint } from "../src/train/checkpoint.js";
import { Rng } from "../src/util/rng.js";
import { GaussianMixture } from "../src/mixture/gaussian-mixture.js";
import { nodeCore } from "../src/core/node.js";
import { floatBytes, npyBytes } from "./twin/npy-file.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "emlab-bad-input-"));
const f = (name: string) => join(root, name);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

// ---------------------------------------------------------------- fixtures

const file = (name: string, text: string | Uint8Array) => (writeFileSync(f(name), text), f(name));
const rows40 = Array.from({ length: 40 }, (_, i) => `${i % 7},${(i * 3) % 5},${i / 10}`).join("\n");
const good = file("good.csv", `x,y,z\n${rows40}\n`);
const nonNum = file("nonnum.csv", "x,y,z\n1,2,3\n7,abc,9\n");
const empty = file("empty.csv", "");
const headerOnly = file("header.csv", "x,y,z\n");
const oneRow = file("one-row.csv", "x,y,z\n1,2,3\n");
const aFile = file("a-file", "not a directory\n");

/** IDX bytes: magic 0x00000803/0x00000801 (u8 values), big-endian dims, then the values. */
function idx(dims: number[], values: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  const v = new DataView(head.buffer);
  v.setUint32(0, 0x0800 + dims.length);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(head.length + values.length);
  out.set(head);
  out.set(values, head.length);
  return out;
}

/** An MNIST directory with the given train/test image and label files (missing ones absent). */
function mnistDir(name: string, files: Record<string, Uint8Array>): string {
  const d = f(name);
  mkdirSync(d, { recursive: true });
  for (const [k, bytes] of Object.entries(files)) writeFileSync(join(d, k), bytes);
  return d;
}
const n = 20;
const images = (m: number) => idx([m, 28, 28], new Uint8Array(m * 784).fill(7));
const labels = (m: number, value = 3) => idx([m], new Uint8Array(m).fill(value));
const full = (m = n) => ({
  "train-images-idx3-ubyte": images(m),
  "train-labels-idx1-ubyte": labels(m),
  "t10k-images-idx3-ubyte": images(m),
  "t10k-labels-idx1-ubyte": labels(m),
});
const mnNone = f("mnist-missing");
const mnMagic = mnistDir("mnist-magic", { ...full(), "train-images-idx3-ubyte": new TextEncoder().encode("hello, not IDX") });
const mnTrunc = mnistDir("mnist-trunc", { ...full(), "train-images-idx3-ubyte": images(n).subarray(0, 16 + 100) });
const mnCount = mnistDir("mnist-count", { ...full(), "train-labels-idx1-ubyte": labels(n - 1) });
const mnLabel = mnistDir("mnist-label", { ...full(), "train-labels-idx1-ubyte": labels(n, 12) });
const mnDims = mnistDir("mnist-dims", { ...full(), "train-images-idx3-ubyte": idx([n, 784], new Uint8Array(n * 784)) });
const { "train-images-idx3-ubyte": _plain, ...rest } = full();
const mnGz = mnistDir("mnist-gz", { ...rest, "train-images-idx3-ubyte.gz": new TextEncoder().encode("not gzip") });
const mnZero = mnistDir("mnist-zero", full(0));

// model files for score, predict and sample: a fitted 2-component diag model of good.csv's 3 columns, and broken ones
const goodRows = { data: Float32Array.from(rows40.split("\n").flatMap((l) => l.split(",").map(Number))), rows: 40, cols: 3 };
const modelJson = new GaussianMixture({ nComponents: 2, seed: 1, nInit: 1, core: nodeCore() }).fit(goodRows).toJSON() as Record<string, unknown>;
const modelFile = (name: string, json: unknown) => file(name, typeof json === "string" ? json : JSON.stringify(json, null, 2));
const model = modelFile("model.json", modelJson);
const modelNotJson = modelFile("model-syntax.json", '{\n  "kind": "GaussianMixture",\n  "weights": [0.5 0.5]\n}\n');
const modelKind = modelFile("model-kind.json", { ...modelJson, kind: "PCA" });
const modelShape = modelFile("model-shape.json", { ...modelJson, means: [1, 2] });
const modelWeight = modelFile("model-weight.json", { ...modelJson, weights: [1.5, -0.5] });
const modelVar = modelFile("model-var.json", { ...modelJson, variances: [1, 0, 1, 1, 1, 1] });
const fullNotPd = modelFile("model-full.json", {
  ...modelJson, covarianceType: "full", variances: [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 2, 0, 2, 1, 0, 0, 0, 1],
});
const npyFortran = file("fortran.npy", npyBytes("<f8", [4, 3], floatBytes(Array.from({ length: 12 }, (_, i) => i), "<f8"), { fortran: true }));
const npyTwoCols = file("two.npy", npyBytes("<f4", [4, 2], floatBytes([1, 2, 3, 4, 5, 6, 7, 8], "<f4")));
const npyTrunc = file("trunc.npy", npyBytes("<f8", [4, 3], floatBytes([1, 2, 3], "<f8")));
const badQuote = file("quote.csv", 'x,y,z\n1,2,3\n4,"5,6\n');
// streamed input (docs/scale.md): a raw float32 file of 10 rows × 3, .npy headers that are cut or declare more rows, a NaN past the first chunk
const raw10 = file("raw10.f32", floatBytes(Array.from({ length: 30 }, (_, i) => i / 7), "<f4"));
const npyHeaderCut = file("header-cut.npy", npyBytes("<f4", [4, 3], floatBytes(Array.from({ length: 12 }, (_, i) => i), "<f4")).subarray(0, 70));
const npyDeclared = file("declared.npy", npyBytes("<f4", [40, 3], floatBytes(Array.from({ length: 30 }, (_, i) => i), "<f4")));
const npyNaN = file("nan.npy", npyBytes("<f4", [3000, 3], floatBytes(Array.from({ length: 9000 }, (_, i) => (i === 2500 * 3 + 1 ? NaN : i % 11)), "<f4")));
const numbersOnly = file("numbers-only.csv", "1,2,3\n");

// model directories for compare: a small valid VAE decoder and GAN generator, and broken ones
const vaeOk = f("vae-ok");
mkdirSync(vaeOk);
const dims = { input: 784, hidden: 16, latent: 4 };
writeFileSync(join(vaeOk, "decoder.onnx"), serialize(buildDecoder(dims, initVae(new Rng(1), dims))));
const ganOk = f("gan-ok");
mkdirSync(ganOk);
writeFileSync(join(ganOk, "generator.onnx"), serialize(generatorModel(initGan(new Rng(2)).G)));
const vaeShape = f("vae-shape");
mkdirSync(vaeShape);
const small = { input: 100, hidden: 16, latent: 4 }; // 100 values per sample, not 784
writeFileSync(join(vaeShape, "decoder.onnx"), serialize(buildDecoder(small, initVae(new Rng(1), small))));
const vaeGarbage = f("vae-garbage");
mkdirSync(vaeGarbage);
writeFileSync(join(vaeGarbage, "decoder.onnx"), "\x08\x07garbage that is not protobuf \xff\xff\xff");

// run directories holding a bad checkpoint, for --resume (they must be left exactly as they are)
const vaeFlags = ["--limit", "64", "--test-limit", "16", "--batch-size", "32", "--latent", "2", "--hidden", "8", "--epochs", "2", "--threads", "1"];
const vaeKey = { batchSize: 32, latent: 2, hidden: 8, lr: 0.001, seed: 1, limit: 64, testLimit: 16 };
function runDir(name: string, ckptName: string, bytes: Uint8Array | string): string {
  const d = f(name);
  mkdirSync(d);
  writeFileSync(join(d, ckptName), bytes);
  writeFileSync(join(d, "history.json"), "{}\n");
  return d;
}
const ckpt = (kind: string, config: Record<string, unknown>, tensors: Record<string, { data: Float32Array; shape: number[] }> = {}) =>
  encodeCheckpoint({ kind, config, epoch: 0, history: [], rng: {}, tensors });
const vaeGarbageRun = runDir("vae-run-garbage", "checkpoint.emlab", "EMLABCKP but nothing sensible after it");
const vaeTruncRun = runDir("vae-run-trunc", "checkpoint.emlab", ckpt("vae", vaeKey, { w: { data: new Float32Array(64), shape: [64] } }).subarray(0, 200));
const vaeKindRun = runDir("vae-run-kind", "checkpoint.emlab", ckpt("gan", vaeKey));
const v9 = ckpt("vae", vaeKey);
v9[Buffer.from(v9).indexOf(`"version":${CHECKPOINT_VERSION}`) + '"version":'.length] = "9".charCodeAt(0);
const vaeVersionRun = runDir("vae-run-version", "checkpoint.emlab", v9);
const vaeConfigRun = runDir("vae-run-config", "checkpoint.emlab", ckpt("vae", { ...vaeKey, hidden: 9 }));
const firstParam = vaeParamNames()[0];
const vaeShapeRun = runDir("vae-run-shape", "checkpoint.emlab", ckpt("vae", vaeKey, { [firstParam]: { data: new Float32Array(1), shape: [1] } }));
const ganKindRun = runDir("gan-run-kind", "checkpoint.bin", ckpt("vae", {}));

// ---------------------------------------------------------------- the matrix

interface Case {
  /** The command line after `emlab`; a fresh `--out` is appended unless `out` is given. */
  cmd: string[];
  /** What the one stderr line must match: it names the flag or the file. */
  expect: RegExp;
  /** An existing directory passed as --out (already in cmd): it must be left byte for byte. */
  out?: string;
}
const cases: Case[] = [];
const add = (cmd: string[], expect: RegExp, out?: string) => cases.push({ cmd, expect, out });
const nan = (flag: string) => new RegExp(`^emlab: --${flag}: 'abc' is not a (whole|finite) number$`);
const below = (flag: string, v: string, min: string) => new RegExp(`^emlab: --${esc(flag)}: ${esc(v)} is below the minimum ${esc(min)}$`);
const above = (flag: string, v: string, max: string) => new RegExp(`^emlab: --${esc(flag)}: ${esc(v)} is above the maximum ${esc(max)}$`);
const notWhole = (flag: string, v: string) => new RegExp(`^emlab: --${esc(flag)}: '${esc(v)}' is not a whole number$`);
const names = (path: string, what = "") => new RegExp(`^emlab: ${esc(path)}.*${what}`);

// yargs level: no command, unknown command, unknown flag, stray word, missing required flag, missing value
add([], /^emlab: name a command \(see emlab --help\)$/);
add(["gmn"], /^emlab: unknown command 'gmn' \(did you mean gmm\?\)$/);
add(["gmm", "--bogus", "1"], /^emlab: unknown argument 'bogus'/);
add(["vae", "stray"], /^emlab: unknown argument 'stray'/);
add(["pca"], /^emlab: --data, --components: required$/);
add(["pca", "--data", good], /^emlab: --components: required$/);
add(["gmm", "--k", "--json"], /^emlab: --k: expected a value after the flag$/);
add(["gmm", "--json=maybe"], /^emlab: --json: 'maybe' is not true or false$/);
add(["report", "--force=1"], /^emlab: --force: '1' is not true or false$/);
add(["vae", "--resume=yes"], /^emlab: --resume: 'yes' is not true or false$/);
// every string flag of every command without its value (generated from the command modules below)

// gmm: flags
add(["gmm", "--data", good, "--k", "abc"], /^emlab: --k: 'abc' is not a whole number, range or list/);
add(["gmm", "--data", good, "--k", "5-2"], /^emlab: --k: '5-2' has a decreasing range 5-2/);
add(["gmm", "--data", good, "--k", "1-2000"], /^emlab: --k: '1-2000' lists more than 1000 values/);
add(["gmm", "--data", good, "--k", ""], /^emlab: --k: expected a value, got an empty string$/);
add(["gmm", "--data", good, "--seed", "abc"], nan("seed"));
add(["gmm", "--data", good, "--seed", "-1"], below("seed", "-1", "0"));
add(["gmm", "--data", good, "--seed", "1.5"], notWhole("seed", "1.5"));
add(["gmm", "--data", good, "--seed", "2147483648"], above("seed", "2147483648", "2147483647"));
add(["gmm", "--data", good, "--max-iter", "0"], below("max-iter", "0", "1"));
add(["gmm", "--data", good, "--max-iter", "abc"], nan("max-iter"));
add(["gmm", "--data", good, "--tol", "Infinity"], /^emlab: --tol: 'Infinity' is not a finite number$/);
add(["gmm", "--data", good, "--reg-covar", "-1e-3"], below("reg-covar", "-1e-3", "0"));
add(["gmm", "--data", good, "--n-init", "0"], below("n-init", "0", "1"));
add(["gmm", "--data", good, "--threads", "0"], below("threads", "0", "1"));
add(["gmm", "--data", good, "--threads", "257"], above("threads", "257", "256"));
add(["gmm", "--data", good, "--out", join(aFile, "sub")], /^emlab: --out: cannot create .*a-file\/sub.* \(ENOTDIR\)$/, aFile);
// gmm: data files (the CSV and label-file cases are in test/cli-gmm.test.ts)
add(["gmm", "--data", "mnist-train", "--mnist-dir", mnNone], names(join(mnNone, "train-images-idx3-ubyte"), "cannot read: no such file"));

add(["gmm", "--data", good, "--header", "maybe"], /^emlab: --header: 'maybe' is not one of auto, yes, no$/);
add(["gmm", "--data", npyFortran], names(npyFortran, ": is in Fortran order \\(fortran_order: True\\): save np.ascontiguousarray\\(X\\)$"));
add(["gmm", "--data", npyTrunc], names(npyTrunc, ": truncated: shape \\(4, 3\\) of float64 needs 96 data bytes, the file has 24 \\(1 row of 3\\)$"));
add(["gmm", "--data", badQuote], names(badQuote, ":3: column 2: the quote opened here is not closed$"));
// gmm: streamed input (a file that shrinks while it is read: test/cli-stream.test.ts)
add(["gmm", "--data", raw10, "--shape", "11,3", "--stream"], names(raw10, ": truncated: --shape 11,3 of float32 needs 132 data bytes, the file has 120 \\(10 rows of 3\\)$"));
add(["gmm", "--data", raw10, "--shape", "9,3"], names(raw10, ": 12 unexpected bytes after the 108 data bytes of --shape 9,3 \\(10 rows of 3\\)$"));
add(["gmm", "--data", raw10, "--shape", "10"], /^emlab: --shape: '10' is not n,d \(two whole numbers ≥ 1: rows, then values per row\)$/);
add(["gmm", "--data", raw10, "--shape", "0,3"], /^emlab: --shape: '0,3' is not n,d/);
add(["gmm", "--data", npyTwoCols, "--shape", "4,2"], new RegExp(`^emlab: --shape: ${esc(npyTwoCols)} is an \\.npy file, whose header gives its shape: drop --shape$`));
add(["gmm", "--data", npyHeaderCut, "--stream"], names(npyHeaderCut, ": truncated: the \\.npy header needs 128 bytes, the file has 70$"));
add(["gmm", "--data", npyDeclared, "--stream"], names(npyDeclared, ": truncated: shape \\(40, 3\\) of float32 needs 480 data bytes, the file has 120 \\(10 rows of 3\\)$"));
add(["gmm", "--data", npyTrunc, "--stream"], names(npyTrunc, ": truncated: shape \\(4, 3\\) of float64 needs 96 data bytes, the file has 24 \\(1 row of 3\\)$"));
add(["gmm", "--data", npyNaN, "--stream", "--threads", "2", "--k", "2"], names(npyNaN, ": X\\[2500, 1\\] = NaN is not a finite number$"));
add(["gmm", "--data", "mnist-train", "--stream"], /^emlab: --stream: mnist-train is read from MNIST's IDX files, into memory; stream a CSV, \.npy or raw float32 file$/);

// score, predict, sample: the model file, the data file, each flag
for (const cmd of ["score", "predict"]) {
  const run = (...a: string[]) => withFlags([cmd, "--model", model, "--data", good], a);
  add(run("--model", f("missing.json")), names(f("missing.json"), ": cannot read --model: no such file or directory$"));
  add(run("--model", modelNotJson), names(modelNotJson, ":3: not JSON"));
  add(run("--model", modelKind), names(modelKind, ": not a GaussianMixture model \\(kind: PCA\\)$"));
  add(run("--model", modelShape), names(modelShape, ": GaussianMixture model: means must be 6 finite numbers$"));
  add(run("--model", modelWeight), names(modelWeight, ": weight 1 is -0.5, expected ≥ 0$"));
  add(run("--model", modelVar), names(modelVar, ": component 0: variance of feature 1 is 0, expected > 0$"));
  add(run("--data", f("missing.csv")), names(f("missing.csv"), ": cannot read: no such file or directory$"));
  add(run("--data", nonNum), names(nonNum, ":3: column 2: 'abc' is not a number$"));
  add(run("--data", badQuote), names(badQuote, ":3: column 2: the quote opened here is not closed$"));
  add(run("--data", empty), names(empty, ": is empty \\(no data rows\\)$"));
  add(run("--data", npyFortran), names(npyFortran, ": is in Fortran order"));
  add(run("--data", npyTwoCols), new RegExp(`^emlab: --data: ${esc(npyTwoCols)} has 2 columns, the model ${esc(model)} has 3 features$`));
  add(run("--header", "maybe"), /^emlab: --header: 'maybe' is not one of auto, yes, no$/);
  add(run("--header", "yes", "--data", numbersOnly), names(numbersOnly, ": has a header row but no data rows$"));
  add(run("--data", raw10, "--shape", "11,3"), names(raw10, ": truncated: --shape 11,3 of float32 needs 132 data bytes"));
  add(run("--data", npyDeclared, "--threads", "2"), names(npyDeclared, ": truncated: shape \\(40, 3\\)"));
  add(run("--data", npyNaN, "--threads", "2"), names(npyNaN, ": X\\[2500, 1\\] = NaN is not a finite number$"));
  add(run("--shape", "3,x"), /^emlab: --shape: '3,x' is not n,d/);
  add(run("--threads", "0"), below("threads", "0", "1"));
}
add(["predict", "--model", model, "--data", good, "--out", root], new RegExp(`^emlab: --out: '${esc(root)}' is a directory, expected a file name$`));
add(["predict", "--model", model, "--data", good, "--out", join(aFile, "labels.txt")], new RegExp(`^emlab: --out: '${esc(aFile)}' is not a directory$`));
const smp = (...a: string[]) => withFlags(["sample", "--model", model, "--n", "10"], a);
add(smp("--n", "0"), below("n", "0", "1"));
add(smp("--n", "abc"), nan("n"));
add(smp("--n", "2.5"), notWhole("n", "2.5"));
add(smp("--seed", "-1"), below("seed", "-1", "0"));
add(smp("--out", f("draws.txt")), new RegExp(`^emlab: --out: '${esc(f("draws.txt"))}' must end in \\.csv or \\.npy$`));
add(smp("--model", modelKind), names(modelKind, ": not a GaussianMixture model"));
add(smp("--model", fullNotPd), names(fullNotPd, ": the covariance of component 1 is not positive definite \\(pivot 1 is -3: the matrix is not positive definite\\)$"));

// pca
add(["pca", "--data", good, "--components", "0"], below("components", "0", "1"));
add(["pca", "--data", good, "--components", "abc"], nan("components"));
add(["pca", "--data", good, "--components", "1.5"], notWhole("components", "1.5"));
add(["pca", "--data", good, "--components", "4"], new RegExp(`^emlab: --components: 4 is above the 3 features of ${esc(good)}$`));
add(["pca", "--data", "gmm-default", "--components", "11"], /^emlab: --components: 11 is above the 10 features of gmm-default$/);
add(["pca", "--data", f("missing.csv"), "--components", "1"], names(f("missing.csv"), "cannot read"));
add(["pca", "--data", nonNum, "--components", "1"], names(nonNum, ":3: column 2"));
add(["pca", "--data", empty, "--components", "1"], names(empty, ": is empty"));
add(["pca", "--data", headerOnly, "--components", "1"], names(headerOnly, ": has a header row but no data rows"));
add(["pca", "--data", oneRow, "--components", "1"], new RegExp(`^emlab: --data: ${esc(oneRow)} has 1 row\\(s\\); PCA needs at least 2$`));
add(["pca", "--data", good, "--components", "1", "--out", aFile], /^emlab: --out: .* exists and is not a directory$/, aFile);
add(["pca", "--data", "mnist-train", "--components", "2", "--mnist-dir", mnNone], names(join(mnNone, "train-images-idx3-ubyte"), "cannot read: no such file"));
add(["pca", "--data", "mnist-train", "--components", "2", "--mnist-dir", mnMagic], names(join(mnMagic, "train-images-idx3-ubyte"), "not an IDX file: magic number"));
add(["pca", "--data", "mnist-train", "--components", "2", "--mnist-dir", mnTrunc], names(join(mnTrunc, "train-images-idx3-ubyte"), "truncated"));
add(["pca", "--data", "mnist-train", "--components", "2", "--mnist-dir", mnCount], /has 20 images but .*train-labels-idx1-ubyte has 19 labels$/);
add(["pca", "--data", "mnist-train", "--components", "2", "--mnist-dir", mnLabel], names(join(mnLabel, "train-labels-idx1-ubyte"), "label 12 of item 0 is not a digit 0-9"));
add(["pca", "--data", "mnist-train", "--components", "2", "--mnist-dir", mnDims], names(join(mnDims, "train-images-idx3-ubyte"), "expected 3 IDX dimension\\(s\\), the header has 2"));
add(["pca", "--data", "mnist-train", "--components", "2", "--mnist-dir", mnGz], names(join(mnGz, "train-images-idx3-ubyte.gz"), "not a valid gzip file"));
add(["pca", "--data", "mnist-test", "--components", "2", "--mnist-dir", mnZero], /^emlab: --data: mnist-test has 0 row\(s\); PCA needs at least 2$/);

// mnist (more in test/cli-mnist.test.ts)
const mn = (...a: string[]) => withFlags(["mnist", "--test-limit", "10"], a);
add(mn("--init", "best"), /^emlab: --init: 'best' is not one of kmeans\+\+, random, random-assignment$/);
add(mn("--covariance", "banded"), /^emlab: --covariance: 'banded' is not one of diag, spherical, full$/);
add(mn("--seed", "abc"), nan("seed"));
add(mn("--reg-covar", "-1"), below("reg-covar", "-1", "0"));
add(mn("--n-init", "0"), below("n-init", "0", "1"));
add(mn("--max-iter", "0"), below("max-iter", "0", "1"));
add(mn("--tol", "abc"), nan("tol"));
add(mn("--test-limit", "0"), below("test-limit", "0", "1"));
add(mn("--out", aFile), /^emlab: --out: .* exists and is not a directory$/, aFile);
add(mn("--mnist-dir", mnNone), names(join(mnNone, "train-images-idx3-ubyte"), "cannot read: no such file"));
add(mn("--mnist-dir", mnMagic), names(join(mnMagic, "train-images-idx3-ubyte"), "not an IDX file"));
add(mn("--mnist-dir", mnTrunc), names(join(mnTrunc, "train-images-idx3-ubyte"), "truncated"));
add(mn("--mnist-dir", mnCount), /has 20 images but .*has 19 labels$/);
add(mn("--mnist-dir", mnLabel), names(join(mnLabel, "train-labels-idx1-ubyte"), "label 12"));
add(mn("--mnist-dir", mnZero), /^emlab: --k: digit 0 has 0 training images/);

// report (more in test/report.test.ts)
add(["report", "--only", ","], /^emlab: --only: ',' names no stage/);
add(["report", "--seed", "-1"], below("seed", "-1", "0"));
add(["report", "--threads", "0"], below("threads", "0", "1"));
add(["report", "--threads", "257"], above("threads", "257", "256"));
add(["report", "--threads", "abc"], nan("threads"));
add(["report", "--quick", "--tiny"], /^emlab: --quick and --tiny: choose one$/);

// vae (more in test/vae.test.ts)
/** `base` with the flags of `extra` set: a flag already in base gets the new value (flags take one value each). */
function withFlags(base: string[], extra: string[]): string[] {
  const out = [...base];
  for (let i = 0; i < extra.length; i++) {
    const flag = extra[i];
    const hasValue = i + 1 < extra.length && !extra[i + 1].startsWith("--");
    const at = out.indexOf(flag);
    if (at >= 0 && hasValue && at + 1 < out.length && !out[at + 1].startsWith("--")) out[at + 1] = extra[++i];
    else if (hasValue) out.push(flag, extra[++i]);
    else out.push(flag);
  }
  return out;
}
const vae = (...a: string[]) => withFlags(["vae", ...vaeFlags], a);
add(vae("--epochs", "abc"), nan("epochs"));
add(vae("--latent", "0"), below("latent", "0", "1"));
add(vae("--latent", "4097"), above("latent", "4097", "4096"));
add(vae("--hidden", "1.5"), notWhole("hidden", "1.5"));
add(vae("--lr", "abc"), nan("lr"));
add(vae("--seed", "-1"), below("seed", "-1", "0"));
add(vae("--limit", "0"), below("limit", "0", "1"));
add(vae("--test-limit", "0"), below("test-limit", "0", "1"));
add(vae("--threads", "257"), above("threads", "257", "256"));
add(vae("--out", aFile), /^emlab: --out: .* exists and is not a directory$/, aFile);
add(vae("--batch-size", "128"), /^emlab: --batch-size: 128 is larger than the 64 training images$/);
add(vae("--mnist-dir", mnNone), names(join(mnNone, "train-images-idx3-ubyte"), "cannot read: no such file"));
add(vae("--mnist-dir", mnMagic), names(join(mnMagic, "train-images-idx3-ubyte"), "not an IDX file"));
add(vae("--mnist-dir", mnZero), /^emlab: --batch-size: 32 is larger than the 0 training images$/);
add(vae("--resume"), /^emlab: --resume: no checkpoint .*checkpoint\.emlab \(run without --resume first\)$/);
add(vae("--resume", "--out", vaeGarbageRun), names(`checkpoint ${join(vaeGarbageRun, "checkpoint.emlab")}`, ": "), vaeGarbageRun);
add(vae("--resume", "--out", vaeTruncRun), names(`checkpoint ${join(vaeTruncRun, "checkpoint.emlab")}`, "truncated"), vaeTruncRun);
add(vae("--resume", "--out", vaeKindRun), names(`checkpoint ${join(vaeKindRun, "checkpoint.emlab")}`, "holds a 'gan' model, expected 'vae'"), vaeKindRun);
add(vae("--resume", "--out", vaeVersionRun), names(`checkpoint ${join(vaeVersionRun, "checkpoint.emlab")}`, "format version 9"), vaeVersionRun);
add(vae("--resume", "--out", vaeConfigRun), names(`checkpoint ${join(vaeConfigRun, "checkpoint.emlab")}`, "was written with hidden = 9, this run has hidden = 8"), vaeConfigRun);
add(vae("--resume", "--out", vaeShapeRun), names(`checkpoint ${join(vaeShapeRun, "checkpoint.emlab")}`, `tensor '${esc(firstParam)}' has shape \\[1\\], expected`), vaeShapeRun);

// gan (more in test/gan.test.ts)
const gan = (...a: string[]) => withFlags(["gan", "--limit", "64", "--test-limit", "16", "--batch-size", "32", "--epochs", "2", "--threads", "1"], a);
add(gan("--batch-size", "abc"), nan("batch-size"));
add(gan("--lr", "-1"), /^emlab: --lr: -1 must be greater than 0$/);
add(gan("--beta1", "1"), above("beta1", "1", "0.999999"));
add(gan("--beta2", "-0.1"), below("beta2", "-0.1", "0"));
add(gan("--seed", "abc"), nan("seed"));
add(gan("--limit", "0"), below("limit", "0", "1"));
add(gan("--test-limit", "0"), below("test-limit", "0", "1"));
add(gan("--threads", "0"), below("threads", "0", "1"));
add(gan("--threads", "257"), above("threads", "257", "256"));
add(gan("--out", aFile), /^emlab: --out: .* exists and is not a directory$/, aFile);
add(gan("--mnist-dir", mnNone), names(join(mnNone, "train-images-idx3-ubyte"), "cannot read: no such file"));
add(gan("--mnist-dir", mnTrunc), names(join(mnTrunc, "train-images-idx3-ubyte"), "truncated"));
add(gan("--resume"), /^emlab: --resume: no checkpoint .*checkpoint\.bin/);
add(gan("--resume", "--out", ganKindRun), names(`checkpoint ${join(ganKindRun, "checkpoint.bin")}`, "holds a 'vae' model, expected 'gan'"), ganKindRun);

// compare (more in test/compare.test.ts)
const cmp = (...a: string[]) => withFlags(["compare", "--vae", vaeOk, "--gan", ganOk, "--limit", "100", "--test-limit", "50", "--threads", "1"], a);
add(cmp("--samples", "1"), below("samples", "1", "2"));
add(cmp("--samples", "abc"), nan("samples"));
add(cmp("--seed", "-1"), below("seed", "-1", "0"));
add(cmp("--classifier-k", "0"), below("classifier-k", "0", "1"));
add(cmp("--classifier-covariance", "banded"), /^emlab: --classifier-covariance: 'banded' is not one of diag, spherical, full$/);
add(cmp("--limit", "50"), below("limit", "50", "51"));
add(cmp("--test-limit", "1"), below("test-limit", "1", "2"));
add(cmp("--threads", "0"), below("threads", "0", "1"));
add(cmp("--gan", f("no-gan")), names(`--gan: model file ${join(f("no-gan"), "generator.onnx")} not found`));
add(cmp("--vae", vaeGarbage), names(join(vaeGarbage, "decoder.onnx"), ": not an ONNX model"));
add(cmp("--vae", vaeShape), new RegExp(`^emlab: ${esc(join(vaeShape, "decoder.onnx"))}: output '.+' has 100 values per sample, expected 784$`));
add(cmp("--out", aFile), /^emlab: --out: .* exists and is not a directory$/, aFile);

/** Every flag of every command that takes a value (all but the booleans: text, numbers, choices), from the command modules, as [command, flag]. */
function valuedFlags(): [string, string][] {
  const out: [string, string][] = [];
  for (const c of commands) {
    const name = String(c.command).split(" ")[0];
    const options = ((c.builder as (y: Argv) => Argv)(yargs([])) as any).getOptions() as { key: Record<string, unknown>; boolean: string[] };
    // camelCase twins (maxIter of max-iter) are yargs' aliases, not flags of their own
    for (const flag of Object.keys(options.key).filter((k) => !/[A-Z]/.test(k) && !options.boolean.includes(k))) out.push([name, flag]);
  }
  return out;
}
const missingValue = valuedFlags();
// through the real CLI: the first valued flag of each command without its value
for (const name of new Set(missingValue.map(([c]) => c))) {
  const flag = missingValue.find(([c]) => c === name)![1];
  add([name, `--${flag}`], new RegExp(`^emlab: --${esc(flag)}: expected a value after the flag$`));
}

// ---------------------------------------------------------------- the loop

/** Commands with an --out flag (a directory, or for predict and sample a file) get a fresh one appended. */
const withOut = new Set(commands.filter((c) => ((c.builder as (y: Argv) => Argv)(yargs([])) as any).getOptions().key.out).map((c) => String(c.command).split(" ")[0]));
const hasOut = (cmd: string | undefined) => cmd !== undefined && withOut.has(cmd);
/** The fresh --out of case i: sample's must name a CSV or .npy file. */
const freshOut = (c: Case, i: number) => f(`out-${i}${c.cmd[0] === "sample" ? ".csv" : ""}`);

interface Result {
  seconds?: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

function emlab(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    // cwd inside the temp tree, so defaults like --vae out/vae never touch the repository
    execFile(process.execPath, [MAIN, ...args], { cwd: root, env: { ...process.env, EMLAB_PROGRESS: "0" }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}


/** Every file under dir with its bytes, for "left exactly as it was". */
function snapshot(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  const walk = (d: string) => {
    if (!statSync(d).isDirectory()) return void m.set(d, readFileSync(d, "base64"));
    for (const e of readdirSync(d)) walk(join(d, e));
  };
  if (existsSync(dir)) walk(dir);
  return m;
}

test(`bad-input matrix: ${cases.length} cases, each exit 2, one 'emlab:' line naming the flag or file, nothing written`, async () => {
  const before = cases.map((c) => (c.out ? snapshot(c.out) : null));
  const t0 = performance.now();
  const results = await limited(
    cases.map((c, i) => async () => {
      const fresh = freshOut(c, i);
      const t = performance.now();
      const r = await emlab(c.out || !hasOut(c.cmd[0]) || c.cmd.includes("--out") ? c.cmd : [...c.cmd, "--out", fresh]);
      return { ...r, seconds: (performance.now() - t) / 1000 };
    }),
  );
  const failures: string[] = [];
  results.forEach((r, i) => {
    const c = cases[i];
    const label = `emlab ${c.cmd.join(" ")}`;
    const fail = (why: string) => failures.push(`${label}: ${why}\n    stderr ${JSON.stringify(r.stderr)}`);
    if (r.code !== 2) fail(`exit code ${r.code}, expected 2`);
    if (r.stdout !== "") fail(`stdout not empty: ${JSON.stringify(r.stdout.slice(0, 200))}`);
    if (!/^emlab: [^\n]*\n$/.test(r.stderr)) fail("stderr is not exactly one 'emlab: …' line");
    if (/\n\s+at /.test(r.stderr)) fail("stack trace");
    if (!c.expect.test(r.stderr.replace(/\n$/, ""))) fail(`does not match ${c.expect}`);
    if (existsSync(freshOut(c, i))) fail("--out was created");
    if (c.out) {
      const now = snapshot(c.out);
      const was = before[i]!;
      if (now.size !== was.size || [...was].some(([k, v]) => now.get(k) !== v)) fail(`${c.out} changed: ${[...now.keys()].join(", ")}`);
    }
  });
  // EMLAB_BAD_INPUT_LOG=1: each case and its message, to keep docs/reliability.md's table current
  if (process.env.EMLAB_BAD_INPUT_LOG === "1") results.forEach((r, i) => process.stderr.write(`CASE\t${cases[i].cmd.join(" ").split(root).join("T")}\t${r.stderr.trim().split(root).join("T")}\n`));
  const dirs = readdirSync(root).filter((e) => e === "out" || e.startsWith("out-"));
  if (dirs.length) failures.push(`directories created: ${dirs.join(", ")}`);
  const slow = results.map((r, i) => [r.seconds!, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 5);
  process.stderr.write(`bad-input: slowest ${slow.map(([t, i]) => `${t.toFixed(1)} s emlab ${cases[i].cmd.slice(0, 3).join(" ")}…`).join("; ")}\n`);
  process.stderr.write(`bad-input: ${cases.length} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  assert.ok(failures.length === 0, `${failures.length} of ${cases.length} cases failed:\n${failures.join("\n")}`);
});

test(`missing value: each of the ${missingValue.length} flags that take a value, of the ${new Set(missingValue.map(([c]) => c)).size} commands, given last without a value, is a UserError naming it (in-process parse)`, async () => {
  for (const [name, flag] of missingValue) {
    // stop before any handler, should a flag ever parse without its value
    const cli = program([name, `--${flag}`]).middleware(() => {
      throw new Error(`emlab ${name} --${flag}: parsed without a value`);
    }, false);
    let err: unknown = null;
    try {
      await cli.parseAsync();
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof UserError, `emlab ${name} --${flag}: ${String(err)}`);
    assert.is((err as UserError).message, `--${flag}: expected a value after the flag`);
  }
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
