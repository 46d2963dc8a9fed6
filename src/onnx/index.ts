// The ONNX training-step graph engine: build graphs, differentiate them, add Adam, check,
// serialise and run them in onnxruntime-node. Design and rule math: docs/onnx-engine.md.

export * from "./ir.js";
export * from "./ops.js";
export * from "./builder.js";
export * from "./blocks.js";
export * from "./grad.js";
export * from "./adam.js";
export * from "./validate.js";
export * from "./serialize.js";
export * from "./session.js";
export * from "./loop.js";
