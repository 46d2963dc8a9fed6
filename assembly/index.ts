// The WASM core: flat kernels over linear memory. One family of kernels per file;
// this file only re-exports them. See docs/core-api.md for the calling convention.
// Convention: pointers are usize byte addresses, sizes and strides count elements,
// the output pointer comes first, and no kernel allocates.

/** First free byte after static data: the TypeScript side owns memory from here up. */
export function heapBase(): usize {
  return __heap_base;
}

export * from "./reduce";
export * from "./estep";
export * from "./estep-sparse";
export * from "./mstep";
export * from "./full";
export * from "./cov";
export * from "./eigen";
export * from "./project";
