/**
 * Sweep plans: grid points in the order given (last key fastest), seeds within each point, and
 * shards that partition the runs exactly, each spread over the grid.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseSeeds, parseShard } from "../../../scenarios/cli/args.js";
import { mmcQueue } from "../../../scenarios/mmc-queue/mmc-queue.js";
import {
  gridPoints,
  parseGrid,
  planRuns,
  shardRuns,
  sweepIdOf,
  type SweepPlan,
} from "../../../scenarios/sweep/plan.js";
import { checkProperty, PROPERTY_TIMEOUT_MS } from "../../support/property.js";

const plan: SweepPlan = {
  scenario: "mmc-queue",
  size: "quick",
  seeds: [1, 2],
  grid: [
    ["servers", [1, 4]],
    ["utilisation", [0.5, 0.9]],
  ],
  sets: { jobs: 500 },
};

test("gridPoints() varies the last key fastest", () => {
  assert.deepEqual(gridPoints(plan.grid), [
    { servers: 1, utilisation: 0.5 },
    { servers: 1, utilisation: 0.9 },
    { servers: 4, utilisation: 0.5 },
    { servers: 4, utilisation: 0.9 },
  ]);
});

test("planRuns() numbers runs point by point, seeds within a point, with --set applied", () => {
  const runs = planRuns(mmcQueue, plan);
  assert.equal(runs.length, 8);
  assert.deepEqual(
    runs.map((r) => [r.point, r.request.seed]),
    [
      [0, 1],
      [0, 2],
      [1, 1],
      [1, 2],
      [2, 1],
      [2, 2],
      [3, 1],
      [3, 2],
    ],
  );
  assert.ok(runs.every((r) => r.request.params.jobs === 500));
});

test(
  "shardRuns() over shards 1..n partitions the runs",
  { timeout: PROPERTY_TIMEOUT_MS },
  async () => {
    await checkProperty(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 12 }),
        (runCount, shardCount) => {
          const runs = Array.from({ length: runCount }, (_, index) => ({ index }));
          const seen = Array.from({ length: shardCount }, (_, i) =>
            shardRuns(runs, { index: i + 1, count: shardCount }),
          )
            .flat()
            .map((r) => r.index);
          assert.deepEqual(
            seen.sort((a, b) => a - b),
            runs.map((r) => r.index),
          );
        },
      ),
      { file: "test/scenarios/sweep/plan.test.ts" },
    );
  },
);

test("sweepIdOf() depends on what is swept, not on when", () => {
  assert.equal(sweepIdOf(plan), sweepIdOf({ ...plan }));
  assert.notEqual(sweepIdOf(plan), sweepIdOf({ ...plan, seeds: [1, 2, 3] }));
  assert.match(sweepIdOf(plan), /^sweep-quick-s1-2-[0-9a-f]{8}$/);
});

test("parseGrid() rejects a key given twice, a key also --set, and repeated values", () => {
  assert.throws(
    () => parseGrid(mmcQueue, ["servers=1", "servers=2"], {}),
    /--grid servers is given twice/,
  );
  assert.throws(
    () => parseGrid(mmcQueue, ["servers=1,2"], { servers: 3 }),
    /servers is both --set and --grid/,
  );
  assert.throws(() => parseGrid(mmcQueue, ["servers=1,1"], {}), /repeats a value/);
});

test("parseSeeds() and parseShard() read ranges, lists and i/n", () => {
  assert.deepEqual(parseSeeds("3..6"), [3, 4, 5, 6]);
  assert.deepEqual(parseSeeds("5,1,9"), [5, 1, 9]);
  assert.throws(() => parseSeeds("1..200000"), /at most 100000/);
  assert.deepEqual(parseShard("2/8"), { index: 2, count: 8 });
  assert.throws(() => parseShard("0/8"), /--shard must be i\/n/);
});
