// Random bits for dropout masks in graphs that take them as inputs (the GAN's discriminator): one
// uniform 16-bit draw per unit (an ONNX uint16 tensor); the graph drops the units whose draw is
// below dropCut(p) and applies the 1/(1 − p) scale. A GAN epoch needs ~320 M of them, so they come
// from their own small, fast generator (xoshiro128**, two draws per 32-bit output, stored whole)
// instead of `Rng`, whose per-call cost would be most of a step. The state is four 32-bit words,
// saved in checkpoints like the other streams.

/**
 * The 16-bit threshold of drop probability p in [0, 1): a unit is dropped when its draw is below
 * it, i.e. with probability p′ = round(p·65536)/65536 (p′ = 0.29999 for p = 0.3; at most 65535/65536).
 */
export function dropCut(p: number): number {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout probability ${p} is not in [0, 1)`);
  return Math.min(Math.round(p * 65536), 65535);
}

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
   * Fills `out` with uniform 16-bit draws, two per generator output (low half first; an odd length
   * takes the low half of one more output): consumes ⌈length/2⌉ outputs. A unit is dropped with
   * drop probability p when its draw is below `dropCut(p)`; the graph makes that comparison.
   */
  fill(out: Uint16Array): Uint16Array {
    // the state as int32 locals (`| 0`), so V8 keeps the loop in integer registers; whole outputs
    // are stored through a 32-bit view (little-endian: the low half is the even element)
    let s0 = this.s[0] | 0, s1 = this.s[1] | 0, s2 = this.s[2] | 0, s3 = this.s[3] | 0;
    const n = out.length;
    const words = out.byteOffset % 4 === 0 ? new Int32Array(out.buffer, out.byteOffset, n >> 1) : null;
    for (let i = 0; i < (n + 1) >> 1; i++) {
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
      if (words && i < words.length) words[i] = r;
      else {
        out[2 * i] = r & 0xffff;
        if (2 * i + 1 < n) out[2 * i + 1] = r >>> 16;
      }
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
