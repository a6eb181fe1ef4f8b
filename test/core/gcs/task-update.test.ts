/**
 * The task table's answer to task.update (core/gcs/shard-state.ts): a placement on a node already
 * declared dead is refused (the scheduler then places it anew: swarm seeds 3199, 8284, 5993), a
 * late "scheduled" never undoes a later status, and an actor creation's "running" is a claim that
 * one node only wins, for the latest attempt only (swarm seed 5369: an actor alive on two nodes).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { address } from "../../../core/env.js";
import type { GcsOp, TaskUpdateResult } from "../../../core/gcs/messages.js";
import { GcsShardState } from "../../../core/gcs/shard-state.js";
import type { TaskId } from "../../../core/ids.js";
import type { TaskSpec } from "../../../core/task-spec.js";
import type { TaskStatus } from "../../../core/gcs/tables.js";

const client = address("raylet", "head");
const T = "t1" as TaskId;

function spec(kind: TaskSpec["kind"]): TaskSpec {
  return {
    taskId: T,
    kind,
    functionId: "f",
    name: "f",
    args: [],
    returnIds: [],
    resources: { CPU: 1 },
    returnBytes: 0,
    maxRetries: 3,
    retryExceptions: false,
    parentTaskId: "d" as TaskId,
    owner: client,
    ownerNode: "head",
    ownerIncarnation: 0,
    attempt: 0,
    cause: "original",
    submitUs: 0,
  };
}

function update(
  state: GcsShardState,
  status: TaskStatus,
  node: string,
  attempt = 0,
): TaskUpdateResult {
  const op: GcsOp = { op: "task.update", taskId: T, status, node, incarnation: 0, attempt };
  return state.apply(op, client, 0).result as TaskUpdateResult;
}

test("a placement on a node declared dead is refused, so its scheduler knows to place it again", () => {
  const state = new GcsShardState(0);
  state.apply({ op: "task.add", spec: spec("task") }, client, 0);
  state.markDead("w4", 0);
  assert.deepEqual(update(state, "scheduled", "w4"), { applied: false, reason: "dead" });
  assert.equal(state.tasks.get(T)!.node, "head");
  assert.deepEqual(update(state, "scheduled", "w1"), { applied: true });
});

test("a late placement write does not undo a finished attempt", () => {
  const state = new GcsShardState(0);
  state.apply({ op: "task.add", spec: spec("task") }, client, 0);
  assert.deepEqual(update(state, "finished", "w1"), { applied: true });
  assert.deepEqual(update(state, "scheduled", "w2"), { applied: false, reason: "stale" });
  assert.equal(state.tasks.get(T)!.status, "finished");
  assert.equal(state.tasks.get(T)!.node, "w1");
});

test("an actor creation's attempt is claimed by one node only, and only while it is the latest", () => {
  const state = new GcsShardState(0);
  assert.deepEqual(update(state, "running", "w1"), { applied: false, reason: "unknown" });
  state.apply({ op: "task.add", spec: spec("actor-creation") }, client, 0);
  assert.deepEqual(update(state, "scheduled", "w2"), { applied: true });
  assert.deepEqual(update(state, "running", "w1"), { applied: true });
  assert.deepEqual(update(state, "running", "w2"), { applied: false, reason: "claimed" });
  // A placement of the same attempt elsewhere (a restarted scheduler) does not move the claim.
  assert.deepEqual(update(state, "scheduled", "w2"), { applied: false, reason: "stale" });
  assert.equal(state.tasks.get(T)!.node, "w1");
  const resubmit: GcsOp = {
    op: "task.resubmit",
    taskId: T,
    expectedAttempt: 0,
    cause: "retry",
    node: "head",
    incarnation: 0,
  };
  state.apply(resubmit, client, 0);
  assert.deepEqual(update(state, "running", "w2", 0), { applied: false, reason: "stale" });
  assert.deepEqual(update(state, "running", "w2", 1), { applied: true });
});
