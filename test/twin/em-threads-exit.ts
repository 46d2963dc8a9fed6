// Child process of test/em-threads.test.ts: fits a small mixture on an EmThreadPool, then
// closes the pool ("close") or drops it ("forget"); the process must exit by itself either way.
import { GaussianMixture, type GaussianMixtureOptions } from "../../src/mixture/gaussian-mixture.js";
import { EmThreadPool } from "../../src/parallel/em-threads.js";
import { Rng } from "../../src/util/rng.js";

const mode = process.argv[2];
const rng = new Rng(1);
const n = 3000;
const d = 4;
const X = new Float32Array(n * d);
for (let i = 0; i < X.length; i++) X[i] = rng.normal() + (i % 7 === 0 ? 5 : 0);
const pool = new EmThreadPool({ threads: 2 });
const gm = new GaussianMixture({ nComponents: 2, maxIter: 5, tol: 0, nInit: 1, seed: 1, pool } as GaussianMixtureOptions);
gm.fit({ data: X, rows: n, cols: d });
if (mode === "close") await pool.close();
console.log(`ok ${mode} ${gm.nll}`);
