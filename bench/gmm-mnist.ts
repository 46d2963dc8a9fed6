// Diagonal GMM on the full MNIST training set (60000×784), K = 10, 20 iterations, one thread,
// hard-assignment start (the digit labels): ms per iteration and GFLOP/s for emlab and,
// side by side in the same run, sklearn (one BLAS thread) when python3 with sklearn is importable.
// Flop count: the conventional 7·n·d·K per iteration (see docs/gmm.md, "Cost").
// Run: node build/bench/gmm-mnist.js [iterations]
import { cpus, loadavg } from "node:os";
import { nodeCore } from "../src/core/node.js";
import { loadMnist } from "../src/data/mnist.js";
import { GaussianMixture, GMM_DEFAULTS } from "../src/mixture/gaussian-mixture.js";
import { findPython, sklearnReference } from "./gmm-sklearn.js";

function main(): void {
  nodeCore();
  const nIter = Number(process.argv[2] ?? 20);
  const K = 10;
  const { images: X, labels } = loadMnist("train");
  const start = Int32Array.from(labels);
  const flop = 7 * X.rows * X.cols * K;
  const gflops = (ms: number) => (flop / (ms * 1e-3) / 1e9).toFixed(2);
  const summary = (ms: number[]) => {
    const sorted = [...ms].sort((a, b) => a - b);
    const med = sorted[Math.floor(sorted.length / 2)];
    return `median ${med.toFixed(1)} ms/iteration (${gflops(med)} GFLOP/s), min ${sorted[0].toFixed(1)} ms (${gflops(sorted[0])} GFLOP/s)`;
  };

  console.log(`MNIST train n=${X.rows} d=${X.cols} K=${K}, ${nIter} iterations, diag, regCovar ${GMM_DEFAULTS.regCovar}, start: digit labels, ${7 * X.rows * X.cols * K / 1e9} GFLOP/iteration`);
  // Consecutive onIteration stamps (each after an E-step) span one M-step + one E-step.
  // Wall time and process CPU time: on a shared machine CPU time is the steadier figure.
  const stamps: number[] = [];
  const cpu: number[] = [];
  const t0 = performance.now();
  const gm = new GaussianMixture({
    nComponents: K, init: { labels: start }, tol: 0, maxIter: nIter, regCovar: GMM_DEFAULTS.regCovar,
    onIteration: () => {
      stamps.push(performance.now());
      const u = process.cpuUsage();
      cpu.push((u.user + u.system) / 1000);
    },
  }).fit(X);
  const fitMs = performance.now() - t0;
  const diffs = (a: number[]) => a.slice(1).map((t, i) => t - a[i]);
  console.log(`emlab (WASM SIMD, 1 thread): wall ${summary(diffs(stamps))}; CPU ${summary(diffs(cpu))}`);
  console.log(`  whole fit ${fitMs.toFixed(0)} ms wall (${(fitMs / nIter).toFixed(1)} ms/iteration incl. copy-in, init, final E-step); nll ${gm.nll.toPrecision(12)}`);

  const py = findPython();
  const machine = () => `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, load average ${loadavg().map((v) => v.toFixed(1)).join(" ")}`;
  console.log(`machine: ${machine()}`);
  if (!py) {
    console.log("sklearn: skipped (python3 with sklearn not importable)");
    return;
  }
  const sk = sklearnReference(py, X, start, K, "diag", GMM_DEFAULTS.regCovar, nIter, nIter - 1);
  console.log(`sklearn (numpy, 1 BLAS thread): wall ${summary(sk.stepMs)}; CPU ${summary(sk.stepCpuMs)}`);
  console.log(`  whole fit ${sk.fitMs.toFixed(0)} ms wall (${(sk.fitMs / nIter).toFixed(1)} ms/iteration incl. init, final E-step); nll ${sk.nll.toPrecision(12)}`);
  console.log(`relative NLL difference: ${(Math.abs(gm.nll - sk.nll) / Math.abs(sk.nll)).toExponential(2)}`);
  console.log(`machine after: ${machine()}`);
}

main();
