// The kernel signatures of core.wasm and core-mt.wasm, once: every export's parameter names in
// order and its result. The TypeScript type of the exports (CoreKernels) is derived from this
// table, and callKernel passes named arguments in the table's order, so a call site names each
// argument instead of relying on its position. test/kernels.test.ts checks the table against
// both compiled modules (every export listed, arity = fn.length, nothing extra) and against the
// parameter names in assembly/*.ts. A new kernel: export it from assembly/, add one line here.
// Node-free.

/** What a kernel returns: a number (i32, usize or f64) or nothing. */
export type KernelResult = "f64" | "i32" | "usize" | "void";

/** One kernel: parameter names in order (pointers are byte addresses, sizes count elements). */
export interface KernelSignature {
  readonly params: readonly string[];
  readonly result: KernelResult;
  /**
   * Row kernels of the chunked E-step (src/mixture/chunked.ts) only: the output parameters the
   * kernel adds to (+=, never zeroes). They also take `x` (first row), `n` (rows) and `scratch`.
   */
  readonly accumulates?: readonly string[];
}

/** Every export of core.wasm / core-mt.wasm but `memory`, by name. */
export const KERNELS = {
  heapBase: { params: [], result: "usize" },
  // reduce.ts
  sumF32: { params: ["x", "n"], result: "f64" },
  firstNonFiniteF32: { params: ["x", "n"], result: "i32" },
  // estep.ts: the diagonal / spherical family
  estepDiagF32: {
    params: ["sumR", "sumX", "sumX2", "scratch", "x", "means", "prec", "logConst", "n", "d", "k"],
    result: "f64",
    accumulates: ["sumR", "sumX", "sumX2"],
  },
  logprobDiagF32: { params: ["out", "scratch", "x", "means", "prec", "logConst", "n", "d", "k"], result: "void" },
  statsFromRespDiagF32: { params: ["sumR", "sumX", "sumX2", "shift", "scratch", "x", "resp", "n", "d", "k"], result: "void" },
  // estep.ts: the start from responsibilities in passes that split into chunks (src/mixture/init.ts)
  respMomentsF32: { params: ["mass", "moment", "scratch", "x", "resp", "n", "d", "k"], result: "void" },
  shiftFromMomentsF64: { params: ["shift", "mass", "moment", "d", "k"], result: "void" },
  respStatsDiagF32: { params: ["sumR", "sumX", "sumX2", "scratch", "x", "resp", "shift", "n", "d", "k"], result: "void" },
  // estep-sparse.ts: the sparse diagonal E-step and the rule between it and estepDiagF32
  estepDiagByDensityF32: {
    params: ["sumR", "sumX", "sumX2", "scratch", "x", "means", "prec", "logConst", "pbT", "quad", "n", "d", "k"],
    result: "f64",
    accumulates: ["sumR", "sumX", "sumX2"],
  },
  estepDiagSparseF32: {
    params: ["sumR", "sumX", "sumX2", "scratch", "x", "means", "logConst", "pbT", "quad", "n", "d", "k"],
    result: "f64",
    accumulates: ["sumR", "sumX", "sumX2"],
  },
  estepDiagSparsePath: { params: ["x", "quad", "n", "d", "k"], result: "i32" },
  prepareDiagSparseF64: { params: ["pbT", "quad", "means", "prec", "d", "k"], result: "void" },
  estepDiagSparseScratch: { params: ["d", "k"], result: "i32" },
  sparseParamsLength: { params: ["d", "k"], result: "i32" },
  // mstep.ts
  mstepDiagF64: { params: ["weights", "means", "variances", "sumR", "sumX", "sumX2", "shift", "d", "k", "regCovar"], result: "void" },
  mstepSphericalF64: {
    params: ["weights", "means", "variances", "scratch", "sumR", "sumX", "sumX2", "shift", "d", "k", "regCovar"],
    result: "void",
  },
  prepareDiagF64: { params: ["logConst", "prec", "weights", "variances", "d", "k"], result: "void" },
  prepareSphericalF64: { params: ["logConst", "prec", "weights", "variances", "d", "k"], result: "void" },
  // full.ts
  fullScratchLength: { params: ["d", "k"], result: "i32" },
  precisionCholeskyF64: { params: ["precChol", "logDet", "scratch", "covariances", "d", "k"], result: "i32" },
  estepFullF32: {
    params: ["sumR", "sumX", "sumXX", "scratch", "x", "means", "precChol", "logDet", "logWeights", "n", "d", "k"],
    result: "f64",
    accumulates: ["sumR", "sumX", "sumXX"],
  },
  statsFromRespFullF32: { params: ["sumR", "sumX", "sumXX", "shift", "scratch", "x", "resp", "n", "d", "k"], result: "void" },
  respStatsFullF32: { params: ["sumR", "sumX", "sumXX", "scratch", "x", "resp", "shift", "n", "d", "k"], result: "void" },
  mstepFullF64: { params: ["weights", "means", "covariances", "sumR", "sumX", "sumXX", "shift", "d", "k", "regCovar"], result: "void" },
  logprobFullF32: { params: ["out", "scratch", "x", "means", "precChol", "logDet", "logWeights", "n", "d", "k"], result: "void" },
  // cov.ts (the panel helpers are exported so that V8 tiers them up as separate functions)
  covPackRowsU8: { params: [], result: "i32" },
  covPackRowsF32: { params: [], result: "i32" },
  covarianceU8: { params: ["out", "mean", "x", "n", "d", "scale", "pack", "cols"], result: "void" },
  covarianceF32: { params: ["out", "mean", "x", "n", "d", "pack"], result: "void" },
  columnMeansF32: { params: ["mean", "x", "n", "d"], result: "void" },
  addRowF32: { params: ["acc", "row", "d"], result: "void" },
  chunkLiveColumnsU8: { params: ["chunkSum", "live", "sums", "x", "rows", "d"], result: "i32" },
  packPanelU8: { params: ["pack", "live", "x", "rows", "d", "m", "K"], result: "void" },
  syrkPanelI16: { params: ["out", "pack", "live", "d", "m", "rPad", "K"], result: "void" },
  packPanelCentredF32: { params: ["pack", "mean", "x", "rows", "d", "K"], result: "void" },
  syrkPanelF64: { params: ["out", "pack", "d", "rPad", "K"], result: "void" },
  // eigen.ts (the row helpers likewise)
  eighF64: { params: ["w", "d", "e", "n"], result: "i32" },
  gramRowsWeightedF64: { params: ["out", "v", "s", "k", "n"], result: "void" },
  dotF64: { params: ["x", "y", "len"], result: "f64" },
  axpyF64: { params: ["y", "x", "a", "len"], result: "void" },
  dotAxpyF64: { params: ["acc", "row", "u", "f", "len"], result: "f64" },
  rank2F64: { params: ["row", "q", "u", "f", "g", "len"], result: "void" },
  rotateRowsF64: { params: ["a", "b", "c", "s", "len"], result: "void" },
  swapRowsF64: { params: ["a", "b", "len"], result: "void" },
  // project.ts
  projectF32: { params: ["out", "x", "mean", "comps", "tmp", "n", "d", "k"], result: "void" },
  projectRowF32: { params: ["dst", "row", "mean", "comps", "tmp", "d", "k"], result: "void" },
  backprojectF32: { params: ["out", "z", "comps", "mean", "n", "k", "d"], result: "void" },
  backprojectRowF32: { params: ["dst", "zr", "comps", "mean", "k", "d"], result: "void" },
} as const satisfies Record<string, KernelSignature>;

type Table = typeof KERNELS;

/** The name of an export of core.wasm (other than `memory`). */
export type KernelName = keyof Table;

/** The parameter names of kernel K. */
export type KernelParam<K extends KernelName> = Table[K]["params"][number];

/** Kernel K's arguments by parameter name (byte addresses, element counts, scalars). */
export type KernelArgs<K extends KernelName> = { readonly [P in KernelParam<K>]: number };

type Positional<P extends readonly string[]> = { [I in keyof P]: number };
type ResultOf<R extends KernelResult> = R extends "void" ? void : number;

/** The kernels as the module exports them: positional arguments, in the table's order. */
export type CoreKernels = {
  readonly [K in KernelName]: (...args: Positional<Table[K]["params"]>) => ResultOf<Table[K]["result"]>;
};

/** The row kernels of the chunked E-step: those that declare the statistics they accumulate. */
export type RowKernelName = { [K in KernelName]: Table[K] extends { accumulates: readonly string[] } ? K : never }[KernelName];

/** The statistics (output parameters, accumulated) of row kernel K. */
export type AccumulatedParam<K extends RowKernelName> = Extract<Table[K] extends { accumulates: readonly (infer S)[] } ? S : never, string>;

/** Kernel `name`'s signature; throws for a name the table does not list (a job posted by hand). */
export function kernelSignature(name: string): KernelSignature {
  if (!Object.prototype.hasOwnProperty.call(KERNELS, name)) throw new Error(`core.wasm has no kernel ${name}`);
  return KERNELS[name as KernelName];
}

/**
 * Call kernel `name` of `exports` with arguments by parameter name: the one way TypeScript
 * calls a kernel with more than a couple of arguments, so no call site depends on the order.
 */
export function callKernel<K extends KernelName>(
  exports: CoreKernels,
  name: K,
  args: KernelArgs<K>,
): ReturnType<CoreKernels[K]> {
  const { params } = kernelSignature(name);
  const values = params.map((p) => {
    const v = (args as Record<string, number>)[p];
    // A missing argument would reach WebAssembly as 0 (a null pointer), silently.
    if (typeof v !== "number") throw new Error(`${name}: argument ${p} is ${v === undefined ? "missing" : typeof v}`);
    return v;
  });
  return (exports[name] as (...a: number[]) => ReturnType<CoreKernels[K]>)(...values);
}
