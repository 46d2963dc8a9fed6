// The fast-check harness shared by the property tests: a fixed seed (FC_SEED overrides),
// EMLAB_LONG_TESTS=1 multiplies every run count by 20, and cases are counted per property.
import fc from "fast-check";
import * as assert from "uvu/assert";

export const LONG = process.env.EMLAB_LONG_TESTS === "1" ? 20 : 1;
export const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 20261126;

/** A checker for one test file: `check` runs a property, `counts` holds the cases run per name. */
export function propertyChecker(file: string) {
  const counts: Record<string, number> = {};
  process.stderr.write(`${file}: fast-check seed ${SEED} (FC_SEED overrides), numRuns ×${LONG}\n`);
  /** Run `predicate` on `runs`×LONG cases of `arb`, counting the cases under `name`. */
  function check<T>(name: string, arb: fc.Arbitrary<T>, runs: number, predicate: (v: T) => void): void {
    counts[name] = 0;
    fc.assert(
      fc.property(arb, (v) => {
        counts[name]++;
        predicate(v);
      }),
      { seed: SEED, numRuns: runs * LONG, includeErrorInReport: true },
    );
  }
  /**
   * Report that `skipped` of property `name`'s cases were checked only partly (`what` says how),
   * and fail when that is more than `maxShare` of them or leaves none fully checked: a property
   * that skips (almost) every case would pass while checking nothing.
   */
  function skippedCases(name: string, skipped: number, what: string, maxShare: number): void {
    const total = counts[name];
    process.stderr.write(`${file}: ${name}: ${what}: ${skipped} of ${total}\n`);
    assert.ok(total > 0, `${name}: no case ran`);
    assert.ok(skipped < total, `${name}: every case was skipped (${what})`);
    assert.ok(skipped <= maxShare * total, `${name}: ${skipped} of ${total} cases skipped (${what}), more than ${maxShare * 100}%`);
  }
  return { check, counts, skippedCases };
}
