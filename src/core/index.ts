// `emlab/core`: the Node-free part of emlab, for browsers, workers and bundlers. Nothing here
// (nor anything it imports) touches `node:` modules, and nothing loads core.wasm by itself:
// call `setDefaultCore(await loadCore(url or bytes))` first, or pass `core` to each estimator.
// test/browser.test.ts checks both the import graph and the page in examples/browser/.
// Every export is documented in docs/core-api.md.

export { Core, loadCore, loadCoreSync, defaultCoreUrl, setDefaultCore, getCore, MAX_MEMORY_BYTES } from "./wasm.js";
export type { CoreExports, CoreSource, Region } from "./wasm.js";
export { KERNELS, callKernel } from "./kernels.js";
export type { CoreKernels, KernelArgs, KernelName, KernelSignature } from "./kernels.js";
export { matrix, takeRows, CoreMatrix, toCoreMatrix, inArena, type Matrix } from "./matrix.js";
export { parseCsv } from "../data/csv-parse.js";

export { GaussianMixture, GMM_DEFAULTS, sortByWeight } from "../mixture/gaussian-mixture.js";
export type { GaussianMixtureOptions, CovarianceType, ComponentVariance, InitMethod, InitSpec } from "../mixture/gaussian-mixture.js";
export { COVARIANCE_TYPES, COVARIANCE_TYPE_NAMES, covarianceEntry, type CovarianceEntry } from "../mixture/covariance.js";

export { PCA, type PCAOptions, type PCAJSON } from "../decomposition/pca.js";
export type { CovarianceInput, QuantizedMatrix } from "../linalg/covariance.js";
export { eigh, type Eigh, type EighOptions } from "../linalg/eigh.js";

export { UserError } from "../util/errors.js";
