// emlab's Node entry: loads build/core.wasm as the default Core, then re-exports the API.
// (Browsers import emlab/core, src/core/index.ts, and call loadCore themselves.)
import { nodeCore } from "./core/node.js";

nodeCore();

export { GaussianMixture, GMM_DEFAULTS, sortByWeight } from "./mixture/gaussian-mixture.js";
export type { GaussianMixtureOptions, CovarianceType, ComponentVariance, InitMethod, InitSpec } from "./mixture/gaussian-mixture.js";
export { COVARIANCE_TYPES, COVARIANCE_TYPE_NAMES, covarianceEntry, type CovarianceEntry } from "./mixture/covariance.js";
export { EmThreadPool, type EmThreadPoolOptions } from "./parallel/em-threads.js";
export { ShardPool, type ShardPoolOptions } from "./parallel/shard-workers.js";
export type { RowShards } from "./mixture/shards.js";
export type { ChunkRunner } from "./mixture/chunked.js";
export { Core, getCore, setDefaultCore, loadCore, loadCoreSync } from "./core/wasm.js";
export { nodeCore } from "./core/node.js";
export { matrix, takeRows, CoreMatrix, toCoreMatrix, inArena, type Matrix } from "./core/matrix.js";
export { Rng } from "./util/rng.js";
export { readCsv } from "./data/csv.js";
export { loadMnist, loadMnistInto } from "./data/mnist.js";
export { loadData } from "./data/datasets.js";
export { openRowFile, openRowSource, readMatrixFile, type OpenRowFile, type DataFileOptions } from "./data/row-source.js";
