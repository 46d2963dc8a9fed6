import { test } from "uvu";
import * as assert from "uvu/assert";
import { MaskRng } from "../src/train/dropout.js";

/** xoshiro128** written out plainly (unsigned arithmetic), as in Blackman & Vigna's reference C. */
function reference(state: number[], count: number): number[] {
  const s = state.map((v) => v >>> 0);
  const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0);
    const t = (s[1] << 9) >>> 0;
    s[2] = (s[2] ^ s[0]) >>> 0;
    s[3] = (s[3] ^ s[1]) >>> 0;
    s[1] = (s[1] ^ s[2]) >>> 0;
    s[0] = (s[0] ^ s[3]) >>> 0;
    s[2] = (s[2] ^ t) >>> 0;
    s[3] = rotl(s[3], 11);
  }
  return out;
}

test("the reference generator gives xoshiro128**'s known first outputs from state (1, 2, 3, 4)", () => {
  assert.equal(reference([1, 2, 3, 4], 3), [11520, 0, 5927040]);
});

test("masks: value i is 1/(1−p) exactly when its 16-bit half of output ⌊i/2⌋ is ≥ round(p·65536)", () => {
  const p = 0.3;
  const raw = reference([1, 2, 3, 4], 500);
  const out = MaskRng.fromState({ gen: [1, 2, 3, 4] }).fill(new Float32Array(999), p);
  const cut = Math.round(p * 65536);
  const keep = Math.fround(1 / (1 - p));
  for (let i = 0; i < out.length; i++) {
    const half = i % 2 === 0 ? raw[i >> 1] & 0xffff : raw[i >> 1] >>> 16;
    assert.is(out[i], half >= cut ? keep : 0, `value ${i}`);
  }
});

test("masks: kept share ≈ 1 − p, mean ≈ 1; consecutive fills continue the stream; state round-trips", () => {
  for (const p of [0.1, 0.3, 0.5]) {
    const m = new MaskRng(7).fill(new Float32Array(1 << 20), p);
    let kept = 0, sum = 0;
    for (const v of m) {
      kept += v > 0 ? 1 : 0;
      sum += v;
    }
    assert.ok(Math.abs(kept / m.length - (1 - p)) < 0.003, `p ${p}: kept ${kept / m.length}`);
    assert.ok(Math.abs(sum / m.length - 1) < 0.005, `p ${p}: mean ${sum / m.length}`);
  }
  const a = new MaskRng(11);
  const whole = a.fill(new Float32Array(64), 0.3);
  const b = new MaskRng(11);
  const first = b.fill(new Float32Array(32), 0.3);
  const saved = b.getState();
  const second = MaskRng.fromState(JSON.parse(JSON.stringify(saved))).fill(new Float32Array(32), 0.3);
  assert.equal([...first, ...second], [...whole]);
  assert.not.equal([...new MaskRng(12).fill(new Float32Array(64), 0.3)], [...whole], "another seed, another mask");
});

test("masks: bad probability and bad saved state are refused", () => {
  assert.throws(() => new MaskRng(1).fill(new Float32Array(4), 1), /not in \[0, 1\)/);
  assert.throws(() => new MaskRng(1).fill(new Float32Array(4), -0.1), /not in \[0, 1\)/);
  assert.throws(() => MaskRng.fromState({ gen: [1, 2, 3] }), /four 32-bit words/);
  assert.throws(() => MaskRng.fromState({ gen: [1, 2, 3, 2 ** 32] }), /four 32-bit words/);
});

test.run();
