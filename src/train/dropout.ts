// Inverted-dropout masks for graphs that take them as inputs (the GAN's discriminator). A GAN epoch
// needs ~320 M mask values, so they come from their own small, fast generator (xoshiro128**, two
// 16-bit draws per 32-bit output) instead of `Rng`, whose per-call cost would be most of a step.
// The state is four 32-bit words, saved in checkpoints like the other streams.

/** Serialisable state of a `MaskRng` (the generator's four 32-bit words). */
export interface MaskRngState {
  gen: number[];
  spare: null;
}

export class MaskRng {
  private readonly s: Uint32Array;

  /** Seeds the four state words by splitmix32 from `seed` (never all zero). */
  constructor(seed: number | Uint32Array) {
    if (typeof seed !== "number") {
      this.s = Uint32Array.from(seed);
      return;
    }
    this.s = new Uint32Array(4);
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /**
   * Fills `out` with an inverted-dropout mask for drop probability `p` in [0, 1): each value is
   * 1/(1 − p) with probability 1 − p′ and 0 otherwise, where p′ = round(p·65536)/65536 (16-bit
   * resolution; p′ = 0.29999 for p = 0.3). Consumes ⌈length/2⌉ outputs of the generator.
   */
  fill(out: Float32Array, p: number): Float32Array {
    if (!(p >= 0 && p < 1)) throw new Error(`dropout probability ${p} is not in [0, 1)`);
    const cut = Math.round(p * 65536);
    // stored as bit patterns through an integer view: no float conversion in the loop
    const keep = new Uint32Array(Float32Array.of(1 / (1 - p)).buffer)[0] | 0;
    const bits = new Int32Array(out.buffer, out.byteOffset, out.length);
    // the state as int32 locals (`| 0`), so V8 keeps the loop in integer registers; the masks are
    // written branch-free ((x − cut) >> 31 is −1 exactly when x < cut): a 30 % branch mispredicts
    // often enough to double the time
    let s0 = this.s[0] | 0, s1 = this.s[1] | 0, s2 = this.s[2] | 0, s3 = this.s[3] | 0;
    const n = out.length;
    for (let i = 0; i < n; i += 2) {
      // xoshiro128** (Blackman & Vigna): result = rotl(s1·5, 7)·9
      const m = Math.imul(s1, 5);
      const r = Math.imul((m << 7) | (m >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      bits[i] = keep & ~(((r & 0xffff) - cut) >> 31);
      if (i + 1 < n) bits[i + 1] = keep & ~(((r >>> 16) - cut) >> 31);
    }
    this.s[0] = s0;
    this.s[1] = s1;
    this.s[2] = s2;
    this.s[3] = s3;
    return out;
  }

  /** Serialisable state, for checkpoints. */
  getState(): MaskRngState {
    return { gen: Array.from(this.s), spare: null };
  }

  /** The generator at a saved state. */
  static fromState(state: { gen: number[] }): MaskRng {
    if (!Array.isArray(state.gen) || state.gen.length !== 4 || !state.gen.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)) {
      throw new Error("dropout mask state: expected four 32-bit words");
    }
    return new MaskRng(Uint32Array.from(state.gen));
  }
}
