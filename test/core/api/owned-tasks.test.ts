/**
 * A core worker's owned tasks keep each caller handle's floor (the lowest unsettled handleSeq)
 * through every set and delete, against a plain recomputation over the map.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { OwnedTasks } from "../../../core/api/owned-tasks.js";
import type { TaskId } from "../../../core/ids.js";
import type { TaskSpec } from "../../../core/task-spec.js";
import { checkProperty, PROPERTY_TIMEOUT_MS } from "../../support/property.js";

const HANDLES = ["a:t0/h", "a:t5/h"];

/** Call `seq` of handle `h`: one task id per (handle, seq), as the id scheme gives. */
function call(h: number, seq: number, attempt = 0): TaskSpec {
  return {
    taskId: `t${h}x${seq}` as TaskId,
    kind: "actor-method",
    handleId: HANDLES[h],
    handleSeq: seq,
    attempt,
  } as TaskSpec;
}

function plainFloor(owned: OwnedTasks, handleId: string): number | undefined {
  const seqs = [...owned.values()]
    .filter(({ spec }) => spec.handleId === handleId)
    .map(({ spec }) => spec.handleSeq!);
  return seqs.length === 0 ? undefined : Math.min(...seqs);
}

test("a handle's floor rises as its calls settle and falls when a lower one is owned again", () => {
  const owned = new OwnedTasks();
  for (let s = 0; s < 4; s++) owned.set(call(0, s).taskId, { spec: call(0, s) });
  owned.set("t9" as TaskId, { spec: { taskId: "t9", kind: "task" } as TaskSpec });
  assert.equal(owned.floorSeq(HANDLES[0]!), 0);
  owned.delete(call(0, 1).taskId);
  assert.equal(owned.floorSeq(HANDLES[0]!), 0);
  owned.delete(call(0, 0).taskId);
  assert.equal(owned.floorSeq(HANDLES[0]!), 2);
  owned.set(call(0, 2).taskId, { spec: call(0, 2, 1) }); // a next attempt of the same call
  assert.equal(owned.floorSeq(HANDLES[0]!), 2);
  owned.set(call(0, 0).taskId, { spec: call(0, 0) }); // a retried parent recreates it
  assert.equal(owned.floorSeq(HANDLES[0]!), 0);
  owned.delete(call(0, 0).taskId);
  owned.delete(call(0, 2).taskId);
  owned.delete(call(0, 3).taskId);
  assert.equal(owned.floorSeq(HANDLES[0]!), undefined);
  assert.equal(owned.floorSeq(HANDLES[1]!), undefined);
  assert.equal(owned.size, 1);
});

test(
  "the floor equals the minimum over the owned calls after any sets and deletes (property)",
  { timeout: PROPERTY_TIMEOUT_MS },
  async () => {
    const op = fc.record({
      set: fc.boolean(),
      h: fc.integer({ min: 0, max: 1 }),
      seq: fc.integer({ min: 0, max: 20 }),
      attempt: fc.integer({ min: 0, max: 2 }),
    });
    await checkProperty(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const owned = new OwnedTasks();
        for (const o of ops) {
          const spec = call(o.h, o.seq, o.attempt);
          if (o.set) owned.set(spec.taskId, { spec });
          else owned.delete(spec.taskId);
          for (const h of HANDLES) assert.equal(owned.floorSeq(h), plainFloor(owned, h));
        }
      }),
      { file: "test/core/api/owned-tasks.test.ts", numRuns: 200 },
    );
  },
);
