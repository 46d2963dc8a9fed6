// Seeded random numbers for every stochastic step (initialisation, shuffles, noise).
// xoroshiro128+ from pure-rand; its state serialises, so checkpoints can resume a stream.
import { xoroshiro128plus, unsafeUniformIntDistribution, type RandomGenerator } from "pure-rand";

export class Rng {
  private gen: RandomGenerator;
  /** Second Box–Muller value, kept so normals come in a fixed order. */
  private spare: number | null = null;

  constructor(seed: number | RandomGenerator) {
    this.gen = typeof seed === "number" ? xoroshiro128plus(seed | 0) : seed;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.gen.unsafeNext() >>> 5; // 27 bits
    const lo = this.gen.unsafeNext() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return unsafeUniformIntDistribution(0, n - 1, this.gen);
  }

  /** Standard normal by Box–Muller; 1 − u keeps the log's argument in (0, 1]. */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u = 1 - this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fill `out` with standard normals. */
  fillNormal(out: Float32Array | Float64Array): typeof out {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** Serialisable state, for checkpoints. */
  getState(): { gen: number[]; spare: number | null } {
    return { gen: [...this.gen.getState()], spare: this.spare };
  }

  static fromState(state: { gen: number[]; spare: number | null }): Rng {
    const r = new Rng(xoroshiro128plus.fromState(state.gen));
    r.spare = state.spare;
    return r;
  }
}
