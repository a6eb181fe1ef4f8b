/**
 * Nested tasks exactly once at a time (issue 10, item 4): a retried parent recreates the same
 * child and actor ids, and must adopt what its first attempt started, never start a second copy.
 * Invariants are checked after every event ("attempt … runs twice at once", one live instance per
 * actor); each case also counts how often the child's body ran.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Simulation } from "../../../sim/index.js";
import { GcsShardState } from "../../../core/gcs/shard-state.js";
import type { TaskAddResult } from "../../../core/gcs/messages.js";
import type { Address } from "../../../core/env.js";
import type { TaskId } from "../../../core/ids.js";
import type { TaskSpec } from "../../../core/task-spec.js";

const fast = { heartbeatMs: 10, missedHeartbeats: 5 };

function cluster() {
  return new Simulation({
    seed: 11,
    nodes: [
      { name: "head", cpus: 1 },
      { name: "w1", cpus: 2, resources: { parent: 1 } },
      { name: "w2", cpus: 2, resources: { child: 4 } },
    ],
    failureDetection: fast,
    checkInvariants: true,
    idleLimitMs: 10_000,
  });
}

test("a parent whose node is killed while its child runs: the retried parent adopts the running child", async () => {
  const sim = cluster();
  let childRuns = 0;
  const value = await sim.run(async (ray) => {
    const child = ray.remote(
      (x: number) => {
        childRuns++;
        return x * 10;
      },
      { name: "child", durationMs: 400, resources: { CPU: 1, child: 1 } },
    );
    const parent = ray.remote(async (x: number) => (await ray.get(child.remote(x))) + 1, {
      name: "parent",
      resources: { CPU: 1, parent: 1 },
      maxRetries: 3,
    });
    sim.faults.killNode("w1", { atMs: 100, restartAfterMs: 10 });
    return ray.get(parent.remote(4));
  });
  assert.equal(value, 41);
  assert.equal(childRuns, 1, "the child ran again though its first execution was alive");
  const childAttempts = sim.metrics.taskAttempts().filter((a) => a.name === "child");
  assert.equal(childAttempts.length, 1);
  assert.ok(
    sim.metrics.taskAttempts().filter((a) => a.name === "parent").length >= 2,
    "the parent was not retried: the case tests nothing",
  );
});

test("a retried parent uses the output of a child that already finished", async () => {
  const sim = cluster();
  let childRuns = 0;
  const value = await sim.run(async (ray) => {
    const child = ray.remote(
      (x: number) => {
        childRuns++;
        return x * 10;
      },
      { name: "child", durationMs: 10, resources: { CPU: 1, child: 1 } },
    );
    const parent = ray.remote(
      async (x: number) => {
        const v = await ray.get(child.remote(x));
        await ray.sleep(200); // dies here, after the child is done
        return v + 1;
      },
      { name: "parent", resources: { CPU: 1, parent: 1 }, maxRetries: 3 },
    );
    sim.faults.killNode("w1", { atMs: 100, restartAfterMs: 10 });
    return ray.get(parent.remote(4));
  });
  assert.equal(value, 41);
  assert.equal(childRuns, 1);
});

test("an actor created inside a task survives its creator's retry: no second instance, no call re-run", async () => {
  const sim = cluster();
  let constructed = 0;
  class Counter {
    n = 0;
    constructor() {
      constructed++;
    }
    inc(by: number) {
      this.n += by;
      return this.n;
    }
  }
  const value = await sim.run(async (ray) => {
    const Cls = ray.actor(Counter, {
      resources: { CPU: 1, child: 1 },
      methods: { inc: { durationMs: 20 } },
    });
    const parent = ray.remote(
      async () => {
        const c = Cls.remote();
        const a = await ray.get(c.inc.remote(1));
        const b = await ray.get(c.inc.remote(2));
        await ray.sleep(200); // dies here, with the actor alive on w2
        return [a, b, await ray.get(c.inc.remote(3))];
      },
      { name: "parent", resources: { CPU: 1, parent: 1 }, maxRetries: 3 },
    );
    sim.faults.killNode("w1", { atMs: 150, restartAfterMs: 10 });
    return ray.get(parent.remote());
  });
  assert.deepEqual(value, [1, 3, 6]);
  assert.equal(constructed, 1, "the retried parent built a second instance of its actor");
});

test("an async task body that awaits nothing of Ray's ends (its promise is seen to settle)", async () => {
  const sim = new Simulation({
    seed: 1,
    nodes: [
      { name: "head", cpus: 1 },
      { name: "w1", cpus: 2 },
    ],
    idleLimitMs: 1000,
  });
  const values = await sim.run(async (ray) => {
    const f = ray.remote(async (x: number) => x + 2, { name: "f" });
    const g = ray.remote((x: number) => Promise.resolve(x).then((v) => v * 3), { name: "g" });
    return ray.get([f.remote(1), g.remote(2)]);
  });
  assert.deepEqual(values, [3, 6]);
});

test("task.add of an id that exists adopts the row: attempt and status stay; a dead owner is replaced", () => {
  const state = new GcsShardState(0);
  const spec = (owner: string, incarnation: number): TaskSpec => ({
    taskId: "t0.0" as TaskId,
    kind: "task",
    functionId: "f",
    name: "child",
    args: [],
    returnIds: [],
    resources: { CPU: 1 },
    returnBytes: 0,
    maxRetries: -1,
    retryExceptions: false,
    parentTaskId: "t0" as TaskId,
    owner: `driver@${owner}` as Address,
    ownerNode: owner,
    ownerIncarnation: incarnation,
    attempt: 0,
    cause: "original",
    submitUs: 0,
  });
  const client = "driver@w1" as Address;
  assert.deepEqual(state.apply({ op: "task.add", spec: spec("w1", 0) }, client, 0).result, {
    added: true,
  });
  state.apply(
    {
      op: "task.update",
      taskId: "t0.0" as TaskId,
      status: "running",
      node: "w2",
      incarnation: 0,
      attempt: 0,
    },
    client,
    1,
  );
  const again = state.apply({ op: "task.add", spec: spec("w3", 0) }, client, 2)
    .result as TaskAddResult;
  assert.equal(again.added, false);
  assert.ok(
    !again.added && again.row?.status === "running" && again.row.node === "w2" && !again.nodeDead,
  );
  assert.equal(state.tasks.get("t0.0")!.status, "running", "the live row was reset");
  assert.equal(state.tasks.get("t0.0")!.spec.owner, "driver@w1", "a live owner keeps its task");
  state.markDead("w1", 0);
  state.apply({ op: "task.add", spec: spec("w3", 0) }, client, 3);
  assert.equal(
    state.tasks.get("t0.0")!.spec.owner,
    "driver@w3",
    "a dead owner's task goes to the adopter",
  );
  assert.equal(state.tasks.get("t0.0")!.spec.attempt, 0);
});
