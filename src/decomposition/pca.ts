// Principal component analysis by eigendecomposition of the sample covariance
// (divisor n − 1, as sklearn). Node-free. See docs/pca.md for the mathematics.
import type { Matrix } from "../core/matrix.js";
import { checkFits, getCore, type Core } from "../core/wasm.js";
import { covariance, asQuantized, type CovarianceInput } from "../linalg/covariance.js";
import { eigh } from "../linalg/eigh.js";

export interface PCAOptions {
  /** Components to keep (1 ≤ nComponents ≤ features); default: all features. */
  nComponents?: number;
  /** WASM core to run on; defaults to getCore(). */
  core?: Core;
}

/** The serialised form of a fitted PCA (toJSON / fromJSON). */
export interface PCAJSON {
  kind: "PCA";
  version: 1;
  nComponents: number;
  nFeatures: number;
  nSamples: number;
  mean: number[];
  /** nComponents rows of nFeatures. */
  components: number[][];
  explainedVariance: number[];
  explainedVarianceRatio: number[];
  totalVariance: number;
}

const VERSION = 1;

/**
 * PCA: `fit(X)` takes a Matrix (rows are samples) or `{ matrix, bytes, scale }` for
 * quantized data such as MNIST pixels (then the covariance is exact; see covariance()).
 * Sign convention: in every component the entry of largest magnitude is positive (as
 * sklearn's svd_flip), so results are deterministic.
 */
export class PCA {
  readonly nComponents: number | undefined;
  private readonly core: Core | undefined;

  /** Feature means, length d. */
  mean!: Float64Array;
  /** Principal axes, nComponents×d row-major (row k = component k, unit length). */
  components!: Float64Array;
  /** Variance along each component (eigenvalues of the sample covariance), decreasing. */
  explainedVariance!: Float64Array;
  /** explainedVariance / total variance (the covariance's trace). */
  explainedVarianceRatio!: Float64Array;
  /** Total variance: trace of the sample covariance. */
  totalVariance!: number;
  nFeatures!: number;
  nSamples!: number;

  constructor(options: PCAOptions = {}) {
    const { nComponents, core } = options;
    this.nComponents = nComponents;
    this.core = core;
  }

  /** Learns mean, components and variances from X (n×d, n ≥ 2). Returns this. */
  fit(X: CovarianceInput): this {
    const core = this.core ?? getCore();
    const { rows: n0, cols: d } = asQuantized(X).matrix;
    // Before anything reads the data: X (f32) and the d×d covariance, its eigenvectors and packing (f64).
    checkFits(4 * n0 * d + 8 * 4 * d * d, `PCA.fit on ${n0}×${d} values`, core);
    const k = this.nComponents ?? d;
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`PCA: nComponents must be a positive integer, got ${k}`);
    if (k > d) throw new RangeError(`PCA: nComponents = ${k} exceeds the ${d} features`);
    const { mean, cov, n } = covariance(X, { core });
    let trace = 0;
    for (let i = 0; i < d; i++) trace += cov[i * d + i];
    const { values, vectors } = eigh(cov, d, { core });
    this.mean = mean;
    this.components = vectors.slice(0, k * d);
    // Round-off can leave tiny negative eigenvalues of a PSD matrix: variances are ≥ 0.
    this.explainedVariance = values.slice(0, k).map((v) => Math.max(v, 0));
    // Floor: a constant data set has zero total variance; its ratios are reported as 0.
    this.explainedVarianceRatio = this.explainedVariance.map((v) => (trace > 0 ? v / trace : 0));
    this.totalVariance = trace;
    this.nFeatures = d;
    this.nSamples = n;
    return this;
  }

  /** Z = (X − mean)·componentsᵀ: X n×d → Z n×nComponents (f32, computed on the core). */
  transform(X: Matrix): Matrix {
    this.checkFitted();
    const d = this.nFeatures;
    const k = this.components.length / d;
    if (X.cols !== d) throw new RangeError(`PCA.transform: X has ${X.cols} columns, the model ${d}`);
    const core = this.core ?? getCore();
    return core.scoped(() => {
      const x = core.putF32(X.data);
      const mean = core.putF32(this.mean);
      const comps = core.putF32(this.components);
      const tmp = core.f32(d);
      const out = core.f32(X.rows * k);
      core.call("projectF32", { out: out.ptr, x: x.ptr, mean: mean.ptr, comps: comps.ptr, tmp: tmp.ptr, n: X.rows, d, k });
      return { data: out.view().slice(), rows: X.rows, cols: k };
    });
  }

  /** X̂ = Z·components + mean: Z n×nComponents → X̂ n×d (f32). */
  inverseTransform(Z: Matrix): Matrix {
    this.checkFitted();
    const d = this.nFeatures;
    const k = this.components.length / d;
    if (Z.cols !== k) throw new RangeError(`PCA.inverseTransform: Z has ${Z.cols} columns, the model ${k} components`);
    const core = this.core ?? getCore();
    return core.scoped(() => {
      const z = core.putF32(Z.data);
      const comps = core.putF32(this.components);
      const mean = core.putF32(this.mean);
      const out = core.f32(Z.rows * d);
      core.call("backprojectF32", { out: out.ptr, z: z.ptr, comps: comps.ptr, mean: mean.ptr, n: Z.rows, k, d });
      return { data: out.view().slice(), rows: Z.rows, cols: d };
    });
  }

  toJSON(): PCAJSON {
    this.checkFitted();
    const d = this.nFeatures;
    const k = this.components.length / d;
    return {
      kind: "PCA",
      version: VERSION,
      nComponents: k,
      nFeatures: d,
      nSamples: this.nSamples,
      mean: Array.from(this.mean),
      components: Array.from({ length: k }, (_, i) => Array.from(this.components.subarray(i * d, (i + 1) * d))),
      explainedVariance: Array.from(this.explainedVariance),
      explainedVarianceRatio: Array.from(this.explainedVarianceRatio),
      totalVariance: this.totalVariance,
    };
  }

  /** Rebuilds a fitted PCA from toJSON(); checks kind, version and every shape. */
  static fromJSON(json: unknown, options: Pick<PCAOptions, "core"> = {}): PCA {
    const j = json as Partial<PCAJSON> | null;
    if (!j || typeof j !== "object" || j.kind !== "PCA") throw new Error(`PCA.fromJSON: kind is ${j?.kind}, expected "PCA"`);
    if (j.version !== VERSION) throw new Error(`PCA.fromJSON: version ${j.version} is not supported (expected ${VERSION})`);
    const { nComponents: k, nFeatures: d } = j;
    if (!Number.isInteger(k) || !Number.isInteger(d) || k! < 1 || d! < k!) {
      throw new Error(`PCA.fromJSON: bad shape nComponents=${k}, nFeatures=${d}`);
    }
    const vec = (name: string, v: unknown, len: number): Float64Array => {
      if (!Array.isArray(v) || v.length !== len || !v.every((x) => typeof x === "number" && Number.isFinite(x))) {
        throw new Error(`PCA.fromJSON: ${name} must be ${len} finite numbers`);
      }
      return Float64Array.from(v);
    };
    if (!Array.isArray(j.components) || j.components.length !== k) {
      throw new Error(`PCA.fromJSON: components must have ${k} rows`);
    }
    const components = new Float64Array(k! * d!);
    j.components.forEach((row, i) => components.set(vec(`components[${i}]`, row, d!), i * d!));
    const pca = new PCA({ nComponents: k, core: options.core });
    pca.mean = vec("mean", j.mean, d!);
    pca.components = components;
    pca.explainedVariance = vec("explainedVariance", j.explainedVariance, k!);
    pca.explainedVarianceRatio = vec("explainedVarianceRatio", j.explainedVarianceRatio, k!);
    pca.totalVariance = vec("totalVariance", [j.totalVariance], 1)[0];
    pca.nFeatures = d!;
    pca.nSamples = vec("nSamples", [j.nSamples], 1)[0];
    return pca;
  }

  private checkFitted(): void {
    if (!this.components) throw new Error("PCA: call fit(X) first");
  }
}
