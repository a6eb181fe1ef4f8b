/**
 * State transfer (core/gcs/shard-snapshot.ts): a joining replica's copy must equal the original and
 * share nothing mutable with it, so the two evolve alike under the same ops and apart under
 * different ones. Method: fill a shard with ops of every table, copy it, then apply more ops to one
 * side or both and compare.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { address } from "../../../core/env.js";
import type { GcsOp } from "../../../core/gcs/messages.js";
import { RequestDedupe } from "../../../core/gcs/request-dedupe.js";
import {
  cloneShardState,
  installSnapshot,
  takeSnapshot,
} from "../../../core/gcs/shard-snapshot.js";
import { GcsShardState } from "../../../core/gcs/shard-state.js";
import type { ActorId, ObjectId, TaskId } from "../../../core/ids.js";
import type { TaskSpec } from "../../../core/task-spec.js";

const client = address("raylet", "a");

function spec(taskId: string): TaskSpec {
  return {
    taskId: taskId as TaskId,
    kind: "task",
    functionId: "f",
    name: "f",
    args: [],
    returnIds: [`${taskId}:0` as ObjectId],
    resources: { CPU: 1 },
    returnBytes: 8,
    maxRetries: 3,
    retryExceptions: false,
    parentTaskId: "d" as TaskId,
    owner: client,
    ownerNode: "a",
    ownerIncarnation: 0,
    attempt: 0,
    cause: "original",
    submitUs: 0,
  };
}

function heartbeat(node: string) {
  return {
    node,
    incarnation: 0,
    resourcesTotal: { CPU: 1 },
    resourcesInstalled: { CPU: 1 },
    resourcesAvailable: { CPU: 1 },
    queueLength: 0,
    meanTaskUs: 0,
    objectStoreUsedBytes: 0,
  };
}

const filling: GcsOp[] = [
  { op: "node.subscribe", heartbeats: true },
  { op: "node.heartbeat", heartbeat: heartbeat("a") },
  { op: "task.add", spec: spec("t1") },
  {
    op: "task.update",
    taskId: "t1" as TaskId,
    status: "finished",
    node: "a",
    incarnation: 0,
    attempt: 0,
  },
  {
    op: "object.add",
    objectId: "t1:0" as ObjectId,
    node: "a",
    incarnation: 0,
    sizeBytes: 8,
    fromPut: false,
  },
  { op: "object.subscribe", objectId: "t2:0" as ObjectId },
  {
    op: "actor.put",
    entry: {
      actorId: "a:t3" as ActorId,
      creationTaskId: "t3" as TaskId,
      state: "alive",
      node: "a",
      restarts: 0,
      deathCause: "",
    },
  },
  { op: "actor.subscribe", actorId: "a:t3" as ActorId },
  { op: "actor.logCall", actorId: "a:t3" as ActorId, seq: 0, taskId: "t4" as TaskId },
  { op: "function.register", functionId: "f", name: "f" },
];

function filled(): GcsShardState {
  const state = new GcsShardState(0, Infinity, true);
  for (const op of filling) state.apply(op, client, 1);
  return state;
}

test("cloneShardState() copies every table, byte count and queue", () => {
  const state = filled();
  const copy = cloneShardState(state);
  assert.deepEqual(copy, state);
  assert.equal(copy.bytes, state.bytes);
  assert.equal(copy.finishedOrder.size, 1);
  assert.equal(copy.objectOrder.size, 1);
});

test("cloneShardState() shares nothing mutable: a write to the copy leaves the original as it was", () => {
  const state = filled();
  const before = cloneShardState(state);
  const copy = cloneShardState(state);
  copy.apply(
    {
      op: "task.update",
      taskId: "t1" as TaskId,
      status: "lost",
      node: "b",
      incarnation: 1,
      attempt: 0,
    },
    client,
    2,
  );
  copy.apply(
    {
      op: "object.add",
      objectId: "t1:0" as ObjectId,
      node: "b",
      incarnation: 0,
      sizeBytes: 8,
      fromPut: false,
    },
    client,
    2,
  );
  copy.apply({ op: "object.subscribe", objectId: "t2:0" as ObjectId }, address("raylet", "b"), 2);
  copy.apply(
    { op: "actor.logCall", actorId: "a:t3" as ActorId, seq: 1, taskId: "t5" as TaskId },
    client,
    2,
  );
  copy.declareNodeDead("a", []);
  assert.deepEqual(state, before);
  assert.notDeepEqual(copy, state);
});

test("a copy and its original stay equal under the same ops, as chain replicas must", () => {
  const a = filled();
  const b = cloneShardState(a);
  const more: GcsOp[] = [
    {
      op: "task.resubmit",
      taskId: "t1" as TaskId,
      expectedAttempt: -1,
      cause: "reconstruction",
      node: "a",
      incarnation: 0,
    },
    { op: "object.remove", objectId: "t1:0" as ObjectId, node: "a" },
    { op: "node.heartbeat", heartbeat: heartbeat("b") },
  ];
  for (const op of more) assert.deepEqual(b.apply(op, client, 5), a.apply(op, client, 5));
  assert.deepEqual(b, a);
});

test("takeSnapshot() charges the state's bytes, and installSnapshot() gives an independent copy", () => {
  const state = filled();
  const dedupe = new RequestDedupe();
  dedupe.record(client, "s", 0, "r", 0);
  const snapshot = takeSnapshot(state, dedupe, 42);
  assert.equal(snapshot.seq, 42);
  assert.ok(snapshot.sizeBytes >= state.bytes);
  const installed = installSnapshot(snapshot);
  assert.deepEqual(installed.state, state);
  assert.equal(installed.dedupe.resultOf(client, "s", 0), "r");
  installed.state.apply({ op: "task.add", spec: spec("t9") }, client, 3);
  assert.equal(snapshot.state.tasks.has("t9"), false);
});
