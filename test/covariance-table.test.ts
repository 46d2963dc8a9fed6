// The covariance table (src/mixture/covariance.ts) is the one place that knows each type's
// variance layout: its per-component shapes must tile the flat `variances` array exactly, and
// on one-dimensional data, where the three types are the same model, they must agree.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { matrix } from "../src/core/matrix.js";
import { nodeCore } from "../src/core/node.js";
import { COVARIANCE_TYPE_NAMES, COVARIANCE_TYPES, covarianceEntry, type ComponentVariance } from "../src/mixture/covariance.js";
import { GaussianMixture, GMM_DEFAULTS, sortByWeight } from "../src/mixture/gaussian-mixture.js";
import { Rng } from "../src/util/rng.js";

nodeCore();

const flatten = (v: ComponentVariance): number[] => (Array.isArray(v) ? v.flat() : [v]);

test("COVARIANCE_TYPE_NAMES lists the table's keys, the estimator's default first", () => {
  assert.equal([...COVARIANCE_TYPE_NAMES], Object.keys(COVARIANCE_TYPES));
  assert.is(COVARIANCE_TYPE_NAMES[0], GMM_DEFAULTS.covarianceType);
  assert.throws(() => covarianceEntry("tied"), (e: Error) => e.name === "UserError" && /unknown covarianceType: tied \(expected diag, spherical, full\)/.test(e.message));
  assert.throws(() => covarianceEntry("toString"), /unknown covarianceType: toString/);
});

test("componentVariance cuts the flat array into K pieces that tile it in order; featureVariances gives d values", () => {
  for (const type of COVARIANCE_TYPE_NAMES) {
    const entry = covarianceEntry(type);
    for (const [K, d] of [[1, 1], [3, 1], [2, 4], [4, 3]]) {
      const L = entry.varianceLength(K, d);
      const flat = Array.from({ length: L }, (_, i) => i + 0.5);
      const pieces = Array.from({ length: K }, (_, k) => entry.componentVariance(flat, k, d));
      assert.equal(pieces.flatMap(flatten), flat, `${type} K=${K} d=${d}`);
      for (const p of pieces) {
        const f = entry.featureVariances(p, d);
        assert.is(f.length, d, `${type} K=${K} d=${d}: featureVariances length`);
        for (const v of f) assert.ok(flatten(p).includes(v), `${type}: ${v} is not one of the component's values`);
      }
    }
  }
});

test("on 1-D data the three types are one model: same fit, same variances, same parameter count", () => {
  const rng = new Rng(5);
  const n = 600;
  const X = matrix(Float32Array.from({ length: n }, (_, i) => (i % 3) * 4 + rng.normal()), n, 1);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const fits = COVARIANCE_TYPE_NAMES.map((covarianceType) =>
    new GaussianMixture({ nComponents: 3, covarianceType, init: { labels } }).fit(X),
  );
  const ref = sortByWeight(fits[0]);
  const refVar = ref.variances.map((v) => covarianceEntry(fits[0].covarianceType).featureVariances(v, 1)[0]);
  for (const gm of fits) {
    const entry = covarianceEntry(gm.covarianceType);
    const s = sortByWeight(gm);
    assert.is(gm.nParameters(), fits[0].nParameters(), gm.covarianceType);
    assert.ok(Math.abs(gm.nll - fits[0].nll) <= 1e-9 * Math.abs(fits[0].nll), `${gm.covarianceType}: nll ${gm.nll} vs ${fits[0].nll}`);
    s.variances.forEach((v, k) => {
      const got = entry.featureVariances(v, 1)[0];
      assert.ok(Math.abs(got - refVar[k]) <= 1e-9 * refVar[k], `${gm.covarianceType} component ${k}: ${got} vs ${refVar[k]}`);
    });
  }
});

test.run();
