/**
 * task.resubmit against the task table (core/gcs/shard-state.ts): an owner's retry may reach the
 * GCS before its own fire-and-forget task.add (the add was dropped and is being resent). Method:
 * apply the retry first, then the late add, and check the retry is granted once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { address } from "../../../core/env.js";
import type { ResubmitResult } from "../../../core/gcs/messages.js";
import { GcsShardState } from "../../../core/gcs/shard-state.js";
import type { ObjectId, TaskId } from "../../../core/ids.js";
import type { TaskSpec } from "../../../core/task-spec.js";

const client = address("cw", "a");

const spec: TaskSpec = {
  taskId: "t1.0" as TaskId,
  kind: "task",
  functionId: "f",
  name: "f",
  args: [],
  returnIds: ["t1.0:0" as ObjectId],
  resources: { CPU: 1 },
  returnBytes: 8,
  maxRetries: -1,
  retryExceptions: false,
  parentTaskId: "t1" as TaskId,
  owner: client,
  ownerNode: "a",
  ownerIncarnation: 0,
  attempt: 0,
  cause: "original",
  submitUs: 0,
};

const retry = {
  op: "task.resubmit",
  taskId: spec.taskId,
  expectedAttempt: 0,
  cause: "retry",
  node: "a",
  incarnation: 0,
} as const;

test("an owner's retry that overtakes its task.add is granted, and the late add changes nothing", () => {
  const state = new GcsShardState(0);
  const r = state.apply({ ...retry, spec }, client, 5).result as ResubmitResult;
  assert.equal(r.kind, "granted");
  assert.equal(r.kind === "granted" && r.spec.attempt, 1);
  state.apply({ op: "task.add", spec }, client, 6);
  assert.equal(state.tasks.get(spec.taskId)?.spec.attempt, 1);
  const again = state.apply({ ...retry, spec }, client, 7).result as ResubmitResult;
  assert.deepEqual(again, { kind: "stale", attempt: 1 });
});

test("a retry naming no spec, of a task the table never saw, is answered as evicted", () => {
  const state = new GcsShardState(0);
  assert.deepEqual(state.apply(retry, client, 5).result, { kind: "evicted" });
});

test("an adopter's retry, after the owner it adopted from died, makes it the owner of the new attempt", () => {
  // Fault seed 25 of the differential property: a retried parent on "b" adopted the child while
  // its owner on "a" lived; "a" died, "b" retried the child, and the attempt's crash report went
  // to the dead owner, so no one retried it again.
  const state = new GcsShardState(0);
  state.apply({ op: "task.add", spec }, client, 1);
  const adopter = address("cw", "b");
  const mine = { ...spec, owner: adopter, ownerNode: "b", ownerIncarnation: 0 };
  state.apply({ op: "task.add", spec: mine }, adopter, 2);
  assert.equal(state.tasks.get(spec.taskId)?.spec.owner, client, "the owner still lives");
  state.markDead("a", 0);
  const r = state.apply({ ...retry, node: "b", spec: mine }, adopter, 3).result as ResubmitResult;
  assert.equal(r.kind, "granted");
  assert.equal(r.kind === "granted" && r.spec.owner, adopter);
  assert.equal(state.tasks.get(spec.taskId)?.spec.ownerNode, "b");
});
