// Column means and sample covariance (divisor n − 1) on the WASM core; see docs/pca.md.
import type { Matrix } from "../core/matrix.js";
import { getCore, type Core } from "../core/wasm.js";

/**
 * Quantized data: `matrix` is the float view and `bytes` the same values as raw u8
 * (matrix.data[i] ≈ bytes[i]·scale), e.g. MNIST pixels with scale 1/255.
 */
export interface QuantizedMatrix {
  matrix: Matrix;
  /** Raw values, row-major rows×cols, one byte each. */
  bytes?: Uint8Array;
  /** Value of one quantization step; default 1/255. */
  scale?: number;
}

/** A Matrix, or a Matrix with its raw bytes (then the exact integer kernel is used). */
export type CovarianceInput = Matrix | QuantizedMatrix;

export interface CovarianceOptions {
  core?: Core;
}

/** Column means (d) and covariance (d×d row-major, divisor n − 1), both f64. */
export interface Covariance {
  mean: Float64Array;
  cov: Float64Array;
  /** Rows (samples) used. */
  n: number;
  /** Columns (features). */
  d: number;
  /** "u8" when the exact integer kernel ran, "f32" otherwise. */
  kernel: "u8" | "f32";
}

/** n·Σx² stays in i64 for u8 data while n²·255² < 2⁶³. */
const MAX_ROWS_U8 = 11_900_000;

/** Means and covariance of a Matrix (f64 accumulation) or of quantized bytes (exact integer sums). */
export function covariance(input: CovarianceInput, options: CovarianceOptions = {}): Covariance {
  const { core = getCore() } = options;
  const { matrix: X, bytes, scale } = asQuantized(input);
  const n = X.rows;
  const d = X.cols;
  if (n < 2) throw new RangeError(`covariance: needs at least 2 rows, got ${n}`);
  if (bytes) checkBytes(X, bytes, scale, n);
  return core.scoped(() => {
    const cov = core.f64(d * d);
    const mean = core.f64(d);
    const d4 = Math.ceil(d / 4) * 4;
    if (bytes) {
      const x = core.allocBytes(bytes.length);
      new Uint8Array(core.memory.buffer, x, bytes.length).set(bytes);
      const pack = core.allocBytes(d4 * core.exports.covPackRowsU8() * 2);
      const cols = core.i32(2 * d);
      core.call("covarianceU8", { out: cov.ptr, mean: mean.ptr, x, n, d, scale, pack, cols: cols.ptr });
    } else {
      const x = core.putF32(X.data);
      const pack = core.f64(d4 * core.exports.covPackRowsF32());
      core.call("covarianceF32", { out: cov.ptr, mean: mean.ptr, x: x.ptr, n, d, pack: pack.ptr });
    }
    return { mean: mean.view().slice(), cov: cov.view().slice(), n, d, kernel: bytes ? "u8" : "f32" };
  });
}

/** Normalises the two input forms; a QuantizedMatrix without bytes is a plain Matrix. */
export function asQuantized(input: CovarianceInput): { matrix: Matrix; bytes?: Uint8Array; scale: number } {
  if ("matrix" in input) return { matrix: input.matrix, bytes: input.bytes, scale: input.scale ?? 1 / 255 };
  return { matrix: input, scale: 1 };
}

/** The bytes must match the matrix's shape and (spot-checked) its values, or the two paths would disagree. */
function checkBytes(X: Matrix, bytes: Uint8Array, scale: number, n: number): void {
  if (bytes.length !== X.rows * X.cols) {
    throw new RangeError(`covariance: bytes has ${bytes.length} values, matrix is ${X.rows}×${X.cols}`);
  }
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`covariance: scale must be positive, got ${scale}`);
  if (n > MAX_ROWS_U8) throw new RangeError(`covariance: the u8 kernel handles at most ${MAX_ROWS_U8} rows, got ${n}`);
  const step = Math.max(1, Math.floor(bytes.length / 4096));
  for (let i = 0; i < bytes.length; i += step) {
    if (Math.abs(X.data[i] - bytes[i] * scale) > 1e-6 * Math.max(1, bytes[i] * scale)) {
      throw new RangeError(`covariance: bytes[${i}]·scale = ${bytes[i] * scale} but matrix holds ${X.data[i]}`);
    }
  }
}
