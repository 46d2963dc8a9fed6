// The diagonal E-step kernel alone (assembly/estep.ts) on the full MNIST training set
// (60000×784 f32), K = 10, one thread, EM from the digit labels: ms per fused E-step
// (estepDiagF32, in the fit's row chunks), per distance pass (logprobDiagF32, no statistics)
// and per start (statsFromRespDiagF32), GFLOP/s at 7·n·d·K flop per E-step. With --baseline FILE.wasm another
// build runs the same EM side by side (calls rotate between builds, so all see the same load)
// and every ℓ and the final parameters are compared with the baseline's bit for bit.
// --wasm takes a comma-separated list of builds (default build/core.wasm).
//   node build/bench/estep-kernel.js [--iters 6] [--wasm a.wasm,b.wasm] [--baseline old-core.wasm]
// (a baseline built before the kernel signatures were aligned takes its arguments in another
// order: compare builds of the same signature table)
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import type { Core } from "../src/core/wasm.js";
import { loadCoreSync } from "../src/core/wasm.js";
import { CORE_WASM_PATH } from "../src/core/node.js";
import { loadMnist } from "../src/data/mnist.js";
import { chunkedWorkspace } from "../src/mixture/chunked.js";
import { covarianceEntry, type MixtureWorkspace } from "../src/mixture/covariance.js";
import { GMM_DEFAULTS } from "../src/mixture/gaussian-mixture.js";
import { oneHot } from "../src/mixture/init.js";
import { flag } from "./lib/flags.js";

const K = 10;
const REG = GMM_DEFAULTS.regCovar;

/** One build of core.wasm with MNIST copied in and a diagonal workspace started from the labels. */
interface Subject {
  name: string;
  core: Core;
  ws: MixtureWorkspace;
  X: { ptr: number; length: number; view(): Float32Array };
  startMs: number;
  estepMs: number[];
  /** Process CPU ms of each E-step: steadier than wall time when other jobs share the cores. */
  estepCpuMs: number[];
  logprobMs: number[];
  ll: number[];
}

function subject(name: string, wasm: string, data: Float32Array, n: number, d: number, labels: Int32Array): Subject {
  const core = loadCoreSync(readFileSync(wasm));
  const X = core.putF32(data);
  const ws = chunkedWorkspace(covarianceEntry("diag").workspace(core, K, d), core, { maxRows: n });
  const resp = oneHot(labels, K);
  const t0 = performance.now();
  ws.statsFromResp(X, n, resp);
  const startMs = performance.now() - t0;
  ws.mstep(REG);
  return { name, core, ws, X, startMs, estepMs: [], estepCpuMs: [], logprobMs: [], ll: [] };
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

function main(): void {
  // As a library user runs it (no --no-liftoff): the E-step in 2048-row chunks tiers up after its
  // first calls. `node --no-liftoff build/bench/estep-kernel.js` measures as the CLI runs.
  const iters = Number(flag("iters") ?? 6);
  const baseline = flag("baseline");
  const { images, labels } = loadMnist("train");
  const n = images.rows;
  const d = images.cols;
  const start = Int32Array.from(labels);
  const builds = (flag("wasm") ?? CORE_WASM_PATH).split(",");
  const subjects = builds.map((w, i) => subject(builds.length > 1 ? `build ${i}` : "current", w, images.data, n, d, start));
  if (baseline) subjects.push(subject("baseline", baseline, images.data, n, d, start));
  const flop = 7 * n * d * K;
  console.log(`MNIST train n=${n} d=${d} K=${K}, ${iters} E-steps, 1 thread; load ${loadavg().map((v) => v.toFixed(2)).join(" ")}`);

  for (let t = 0; t < iters; t++) {
    for (const s of subjects) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      s.ll.push(s.ws.estep(s.X, n));
      s.estepMs.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      s.estepCpuMs.push((c.user + c.system) / 1000);
    }
    for (const s of subjects) {
      const t0 = performance.now();
      s.ws.logprob(s.X, n);
      s.logprobMs.push(performance.now() - t0);
    }
    for (const s of subjects) s.ws.mstep(REG);
  }
  for (const s of subjects) {
    const e = median(s.estepMs);
    const ec = median(s.estepCpuMs);
    const l = median(s.logprobMs);
    console.log(
      `${s.name.padEnd(8)} E-step median ${e.toFixed(1)} ms wall (${(flop / e / 1e6).toFixed(2)} GFLOP/s), min ${Math.min(...s.estepMs).toFixed(1)}, CPU ${ec.toFixed(1)} ms;` +
        ` distances only (logprobDiagF32) ${l.toFixed(1)} ms; start (statsFromRespDiagF32) ${s.startMs.toFixed(1)} ms; final ℓ ${s.ll[s.ll.length - 1]}`,
    );
  }
  if (baseline) {
    const b = subjects[subjects.length - 1];
    const same = (x: ArrayLike<number>, y: ArrayLike<number>) => x.length === y.length && Array.from(x).every((v, i) => Object.is(v, y[i]));
    for (const a of subjects.slice(0, -1)) {
      const llSame = same(a.ll, b.ll);
      const parSame = same(a.ws.means.view(), b.ws.means.view()) && same(a.ws.variances.view(), b.ws.variances.view()) && same(a.ws.weights.view(), b.ws.weights.view());
      const maxRel = Math.max(...a.ll.map((v, i) => Math.abs(v - b.ll[i]) / Math.abs(b.ll[i])));
      const relDiff = (x: Float64Array, y: Float64Array) => {
        let scale = 0, diff = 0;
        for (let i = 0; i < x.length; i++) {
          scale = Math.max(scale, Math.abs(y[i]));
          diff = Math.max(diff, Math.abs(x[i] - y[i]));
        }
        return diff / scale;
      };
      console.log(
        `${a.name} vs baseline: bit-identical ℓ trace ${llSame}, final parameters ${parSame}; largest relative ℓ difference ${maxRel.toExponential(2)};` +
          ` parameters' largest difference / largest entry: means ${relDiff(a.ws.means.view(), b.ws.means.view()).toExponential(1)}, variances ${relDiff(a.ws.variances.view(), b.ws.variances.view()).toExponential(1)};` +
          ` speedup E-step ${(median(b.estepMs) / median(a.estepMs)).toFixed(3)}× wall, ${(median(b.estepCpuMs) / median(a.estepCpuMs)).toFixed(3)}× CPU, distances ${(median(b.logprobMs) / median(a.logprobMs)).toFixed(3)}×, start ${(b.startMs / a.startMs).toFixed(3)}×`,
      );
    }
  }
  console.log(`load after ${loadavg().map((v) => v.toFixed(2)).join(" ")}`);
}

main();
