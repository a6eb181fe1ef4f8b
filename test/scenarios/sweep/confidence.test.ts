/**
 * 95% confidence intervals across seeds: Student's t for small samples, none for one value.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { confidenceInterval, tQuantile975 } from "../../../scenarios/sweep/confidence.js";

test("confidenceInterval() is mean ± t(0.975, n−1)·s/√n", () => {
  const ci = confidenceInterval([1, 2, 3, 4, 5]);
  assert.equal(ci.mean, 3);
  const half = (2.776 * Math.sqrt(2.5)) / Math.sqrt(5);
  assert.ok(Math.abs(ci.low - (3 - half)) < 1e-12 && Math.abs(ci.high - (3 + half)) < 1e-12);
});

test("confidenceInterval() of one value has no width, of none is NaN, and skips NaN", () => {
  assert.deepEqual(confidenceInterval([4]), { n: 1, mean: 4, stddev: Number.NaN, low: 4, high: 4 });
  assert.ok(Number.isNaN(confidenceInterval([]).mean));
  assert.equal(confidenceInterval([1, Number.NaN, 3]).n, 2);
});

test("tQuantile975() joins the table smoothly beyond 30 degrees of freedom", () => {
  assert.ok(Math.abs(tQuantile975(31) - 2.04) < 0.002);
  assert.ok(tQuantile975(1000) > 1.96 && tQuantile975(1000) < 1.963);
});
