/**
 * The checkpoint-interval study's headline relation at tiny size: under the same random failures,
 * completion takes longer when checkpointing every call (paying C each time) and when
 * checkpointing rarely (losing long stretches of work per failure) than near the Young/Daly
 * interval √(2·C·M); and the fit that locates the measured optimum finds a known minimum.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fitOptimum, runCheckpointed } from "../../scenarios/checkpoint-interval.js";

// C = 1 ms + 50 MB / 100 MB/s ≈ 0.5 s, M = 50 s: √(2CM) ≈ 7 s = 7 calls of 1 s. (Seeds 1, 2, 3 and 7
// all give 1 < 7 > 70 by 25 % or more: the relation does not hang on one lucky schedule.)
const TINY = {
  actors: 3,
  calls: 150,
  methodMs: 1000,
  nodeMtbfS: 50,
  repairS: 5,
  checkpointBytes: 50e6,
  storageMBps: 100,
};

test("completion time is higher at a very small and a very large interval than near √(2CM)", async () => {
  const at = async (interval: number) => (await runCheckpointed(TINY, 7, interval, 1)).completionS;
  const small = await at(1);
  const near = await runCheckpointed(TINY, 7, 7, 1);
  const large = await at(70);
  assert.ok(near.failures > 0, "failures happened");
  assert.ok(
    Math.abs(near.checkpointMs - 501) < 1,
    `C is the storage cost of a checkpoint, got ${near.checkpointMs} ms`,
  );
  assert.ok(
    small > near.completionS,
    `every call: ${small} s vs ${near.completionS} s near the optimum`,
  );
  assert.ok(
    large > near.completionS,
    `every 70 calls: ${large} s vs ${near.completionS} s near the optimum`,
  );
  assert.ok(near.completionS > TINY.calls, "never faster than the failure-free work");
});

test("fitOptimum finds √(b/c) of a + b/I + c·I", () => {
  const points = [2, 4, 8, 16, 32, 64].map((i) => [i, 500 + 400 / i + 4 * i] as const);
  assert.ok(Math.abs(fitOptimum(points) - 10) < 1e-6);
  assert.ok(
    Number.isNaN(fitOptimum([1, 2, 3].map((i) => [i, 10 - i] as const))),
    "no interior minimum",
  );
});
