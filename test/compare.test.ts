import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { nodeCore } from "../src/core/node.js";
import { classCoverage } from "../src/compare/coverage.js";
import { frechetDistance, gaussianStats, type GaussianStats } from "../src/compare/frechet.js";
import { sharpness } from "../src/compare/sharpness.js";
import { nearestDistances, quantile } from "../src/compare/memorisation.js";
import { comparisonParagraph, DEFAULT_CLASSIFIER, runCompare } from "../src/compare/compare.js";
import { generatorModel, initGan } from "../src/models/gan.js";
import { buildDecoder, initVae } from "../src/models/vae.js";
import { serialize } from "../src/onnx/index.js";
import { Rng } from "../src/util/rng.js";

nodeCore();
const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

function diagStats(mean: number[], variances: number[]): GaussianStats {
  const d = mean.length;
  const cov = new Float64Array(d * d);
  variances.forEach((v, i) => (cov[i * d + i] = v));
  return { mean: Float64Array.from(mean), cov, d, n: 0 };
}

/** Q·A·Qᵀ with Q a Householder reflection I − 2uuᵀ (orthogonal). */
function reflect(s: GaussianStats, u: number[]): GaussianStats {
  const d = s.d;
  const nrm = Math.hypot(...u);
  const q = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) q[i * d + j] = (i === j ? 1 : 0) - (2 * u[i] * u[j]) / (nrm * nrm);
  const mul = (A: Float64Array, B: Float64Array, tB = false) => {
    const C = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) C[i * d + j] += A[i * d + k] * (tB ? B[j * d + k] : B[k * d + j]);
    return C;
  };
  const mean = new Float64Array(d);
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) mean[i] += q[i * d + k] * s.mean[k];
  return { mean, cov: mul(mul(q, s.cov), q, true), d, n: 0 };
}

test("Fréchet distance: closed form for diagonal covariances, rotation invariance, zero for equal Gaussians", () => {
  const a = diagStats([0, 1, -2, 0.5], [1, 4, 0.25, 2]);
  const b = diagStats([1, 1, 0, 0], [9, 1, 1, 0.5]);
  // ‖Δμ‖² + Σ(√a − √b)²
  let want = 1 + 0 + 4 + 0.25;
  [[1, 9], [4, 1], [0.25, 1], [2, 0.5]].forEach(([x, y]) => (want += (Math.sqrt(x) - Math.sqrt(y)) ** 2));
  assert.ok(Math.abs(frechetDistance(a, b) - want) < 1e-9, `${frechetDistance(a, b)} vs ${want}`);
  assert.ok(Math.abs(frechetDistance(b, a) - want) < 1e-9, "symmetric");
  // the same orthogonal change of basis on both: non-diagonal, non-commuting-looking matrices, same distance
  const u = [0.3, -1, 0.7, 0.2];
  assert.ok(Math.abs(frechetDistance(reflect(a, u), reflect(b, u)) - want) < 1e-8);
  assert.ok(Math.abs(frechetDistance(a, a)) < 1e-9);
  // stats from data: the sample mean and (n − 1) covariance
  const X = { data: Float32Array.from([1, 2, 3, 5, 2, 2, 0, 1]), rows: 4, cols: 2 };
  const s = gaussianStats(X);
  assert.ok(Math.abs(s.mean[0] - 1.5) < 1e-9 && Math.abs(s.mean[1] - 2.5) < 1e-9);
  const cxx = ((1 - 1.5) ** 2 + (3 - 1.5) ** 2 + (2 - 1.5) ** 2 + (0 - 1.5) ** 2) / 3;
  assert.ok(Math.abs(s.cov[0] - cxx) < 1e-6);
});

test("class coverage on hand-made labels", () => {
  const uniform = Array.from({ length: 1000 }, (_, i) => i % 10);
  const u = classCoverage(uniform);
  assert.ok(Math.abs(u.entropy - Math.log(10)) < 1e-12);
  assert.is(u.modeShare, 0.1);
  const one = classCoverage(new Array(50).fill(7));
  assert.is(one.entropy, 0);
  assert.is(one.mode, 7);
  assert.is(one.modeShare, 1);
  assert.is(one.rarestShare, 0);
  const two = classCoverage([0, 0, 0, 1]);
  assert.ok(Math.abs(two.entropy - -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25))) < 1e-12);
  assert.throws(() => classCoverage([0, 10]), /label 10/);
});

test("sharpness: black/white images are sharp, grey ones are not", () => {
  assert.equal(sharpness([0, 1, 1, 0]), { meanEntropyBits: 0, nearBinary: 1 });
  const grey = sharpness([0.5, 0.5]);
  assert.ok(Math.abs(grey.meanEntropyBits - 1) < 1e-12 && grey.nearBinary === 0);
  const mixed = sharpness([0.05, 0.95, 0.5, 0.2]);
  assert.is(mixed.nearBinary, 0.5);
});

test("nearest distances agree with a brute-force loop; quantiles interpolate", async () => {
  const rng = new Rng(4);
  const Q = { data: Float32Array.from({ length: 37 * 5 }, () => rng.normal()), rows: 37, cols: 5 };
  const R = { data: Float32Array.from({ length: 301 * 5 }, () => rng.normal()), rows: 301, cols: 5 };
  const got = await nearestDistances(Q, R, 1);
  for (let i = 0; i < Q.rows; i++) {
    let best = Infinity;
    for (let j = 0; j < R.rows; j++) {
      let s = 0;
      for (let k = 0; k < 5; k++) s += (Q.data[i * 5 + k] - R.data[j * 5 + k]) ** 2;
      best = Math.min(best, s);
    }
    assert.ok(Math.abs(got[i] - Math.sqrt(best)) < 1e-4, `${got[i]} vs ${Math.sqrt(best)}`);
  }
  assert.is(quantile([4, 1, 3, 2], 0.5), 2.5);
  assert.is(quantile([0, 10], 0.05), 0.5);
});

const dir = mkdtempSync(join(tmpdir(), "emlab-compare-"));

/** A VAE dir with an (untrained) decoder.onnx and a GAN dir with an (untrained) generator.onnx. */
function models(): { vae: string; gan: string } {
  const vae = join(dir, "vae");
  const gan = join(dir, "gan");
  mkdirSync(vae, { recursive: true });
  mkdirSync(gan, { recursive: true });
  const dims = { input: 784, hidden: 64, latent: 8 };
  writeFileSync(join(vae, "decoder.onnx"), serialize(buildDecoder(dims, initVae(new Rng(1), dims))));
  writeFileSync(join(gan, "generator.onnx"), serialize(generatorModel(initGan(new Rng(2)).G)));
  writeFileSync(join(gan, "results.json"), JSON.stringify({ epochs: [{ epoch: 1, seconds: 3 }, { epoch: 2, seconds: 5 }] }));
  return { vae, gan };
}

test("compare end to end on a small subset: table, paragraph from the numbers, cached classifier", async () => {
  const { vae, gan } = models();
  const out = join(dir, "out");
  const config = {
    vae, gan, samples: 200, seed: 1, pca: 50,
    classifier: { ...DEFAULT_CLASSIFIER, nComponents: 1, maxIter: 50 },
    limit: 1000, testLimit: 300, threads: 1,
  };
  const c = await runCompare(config, { out });
  assert.is(c.models.length, 2);
  for (const m of c.models) {
    assert.ok(Number.isFinite(m.fd) && m.fd > c.reference.fd, `${m.name} FD ${m.fd} above the train/test floor ${c.reference.fd}`);
    assert.ok(m.coverage.entropy >= 0 && m.coverage.entropy <= Math.log(10) + 1e-12);
    assert.ok(m.nearest.median > 0);
  }
  assert.is(c.models[1].cost.secondsPerEpoch, 4);
  assert.is(c.models[1].cost.epochs, 2);
  assert.ok(c.models[1].cost.samplerParameters > 1_400_000);
  assert.ok(c.reference.sharpness.nearBinary > 0.7, "MNIST pixels are mostly near-binary");
  assert.ok(c.paragraph.includes(c.models[0].fd.toFixed(2)) && c.paragraph.includes(c.models[1].fd.toFixed(2)));
  // the coverage verdict: one clause when both models get the same one, else one per model
  const withCoverage = (vae: [number, number, number], gan: [number, number, number]) => {
    const d = structuredClone(c);
    for (const [m, [entropy, modeShare, rarestShare]] of [[d.models[0], vae], [d.models[1], gan]] as const) Object.assign(m.coverage, { entropy, modeShare, rarestShare });
    return comparisonParagraph(d);
  };
  assert.match(withCoverage([2.25, 0.14, 0.06], [2.26, 0.15, 0.06]), /: both produce every digit in roughly even proportions\./);
  assert.match(withCoverage([2.25, 0.14, 0.06], [1.87, 0.35, 0.02]), /: the VAE produces every digit in roughly even proportions, and the GAN falls below 2\.0 nats/);
  assert.match(withCoverage([2.1, 0.25, 0.06], [2.2, 0.14, 0.07]), /: the VAE produces every digit but unevenly, and the GAN produces every digit in roughly even/);
  assert.not.ok(c.classifier.cached);
  assert.equal(c.files, [join(out, "comparison.md"), join(out, "comparison.json")]);
  for (const f of c.files) assert.ok(existsSync(f));
  assert.match(readFileSync(c.files[0], "utf8"), /\| Fréchet distance/);
  assert.is(JSON.parse(readFileSync(c.files[1], "utf8")).config.out, out);
  const again = await runCompare(config, { out });
  assert.ok(again.classifier.cached, "second run reads classifier.json");
  assert.is(again.models[0].fd, c.models[0].fd, "same seed, same samples, same numbers");
});

test("compare: a missing model is a one-line error naming the file, exit 2", () => {
  const { gan } = models();
  const missing = join(dir, "no-vae");
  const r = spawnSync(process.execPath, [MAIN, "compare", "--vae", missing, "--gan", gan, "--out", join(dir, "o2")], { encoding: "utf8" });
  assert.is(r.status, 2);
  assert.match(r.stderr, new RegExp(`${join(missing, "decoder.onnx").replace(/[/.]/g, "\\$&")} not found`));
  assert.is(r.stderr.trim().split("\n").length, 1);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
