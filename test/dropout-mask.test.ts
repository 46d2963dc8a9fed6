import { test } from "uvu";
import * as assert from "uvu/assert";
import { dropCut, MaskRng } from "../src/train/dropout.js";

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

test("draws: value i is the low (even i) or high (odd i) half of output ⌊i/2⌋, at any offset", () => {
  const raw = reference([1, 2, 3, 4], 500);
  const want = Array.from({ length: 999 }, (_, i) => (i % 2 === 0 ? raw[i >> 1] & 0xffff : raw[i >> 1] >>> 16));
  assert.equal(Array.from(MaskRng.fromState({ gen: [1, 2, 3, 4] }).fill(new Uint16Array(999))), want);
  // a view that starts 2 bytes into its buffer (no 32-bit view possible): the same draws
  const odd = new Uint16Array(1001).subarray(1, 1000);
  assert.equal(Array.from(MaskRng.fromState({ gen: [1, 2, 3, 4] }).fill(odd)), want);
});

test("draws below dropCut(p): share ≈ p; consecutive fills continue the stream; state round-trips", () => {
  for (const p of [0.1, 0.3, 0.5]) {
    const d = new MaskRng(7).fill(new Uint16Array(1 << 20));
    const cut = dropCut(p);
    let dropped = 0;
    for (const v of d) dropped += v < cut ? 1 : 0;
    assert.ok(Math.abs(dropped / d.length - p) < 0.003, `p ${p}: dropped ${dropped / d.length}`);
  }
  assert.is(dropCut(0.3), 19661);
  assert.is(dropCut(0), 0);
  assert.is(dropCut(0.9999999), 65535);
  const a = new MaskRng(11);
  const whole = a.fill(new Uint16Array(64));
  const b = new MaskRng(11);
  const first = b.fill(new Uint16Array(32));
  const saved = b.getState();
  const second = MaskRng.fromState(JSON.parse(JSON.stringify(saved))).fill(new Uint16Array(32));
  assert.equal([...first, ...second], [...whole]);
  assert.not.equal([...new MaskRng(12).fill(new Uint16Array(64))], [...whole], "another seed, other draws");
});

test("masks: bad probability and bad saved state are refused", () => {
  assert.throws(() => dropCut(1), /not in \[0, 1\)/);
  assert.throws(() => dropCut(-0.1), /not in \[0, 1\)/);
  assert.throws(() => MaskRng.fromState({ gen: [1, 2, 3] }), /four 32-bit words/);
  assert.throws(() => MaskRng.fromState({ gen: [1, 2, 3, 2 ** 32] }), /four 32-bit words/);
});

test.run();
