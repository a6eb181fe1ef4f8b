/**
 * Semantics of issue 10, item 5, each checked against API.md: `wait` polling with `timeoutMs: 0`
 * converges; an error is a ready object whatever `fetchLocal` says; `evict` drops `put` objects
 * too; `ray.nodes()` is the GCS's view, not the world's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Simulation, ActorDiedError, ObjectLostError, type ObjectRef } from "../../../sim/index.js";

const cluster = (extra: Record<string, unknown> = {}) =>
  new Simulation({
    seed: 7,
    nodes: [
      { name: "head", cpus: 2 },
      { name: "w1", cpus: 4, resources: { tag1: 4 } },
    ],
    failureDetection: { heartbeatMs: 10, missedHeartbeats: 5 },
    checkInvariants: true,
    idleLimitMs: 5_000,
    ...extra,
  });

test("wait(refs, { timeoutMs: 0 }) polled every 500 ms reports objects that finished long ago", async () => {
  const sim = cluster();
  const polls = await sim.run(async (ray) => {
    const work = ray.remote((x: number) => x, { durationMs: 10, resources: { CPU: 1, tag1: 1 } });
    const refs = [1, 2, 3].map((x) => work.remote(x));
    let ready: ObjectRef<number>[] = [];
    let n = 0;
    while (ready.length < refs.length && n < 10) {
      await ray.sleep(500);
      [ready] = await ray.wait(refs, { numReturns: refs.length, timeoutMs: 0 });
      n++;
    }
    assert.equal(ready.length, 3, `after ${n} polls only ${ready.length} of 3 are ready`);
    return n;
  });
  assert.ok(polls <= 2, `took ${polls} polls`);
});

test("with the default fetchLocal, calls of a dead actor and failed tasks are ready in wait", async () => {
  const sim = cluster();
  await sim.run(async (ray) => {
    const A = ray.actor(
      class A {
        m() {
          return 1;
        }
      },
      { resources: { CPU: 1, tag1: 1 } },
    );
    const a = A.remote();
    assert.equal(await ray.get(a.m.remote()), 1);
    ray.kill(a, { noRestart: true });
    await ray.sleep(50);
    const dead = a.m.remote();
    await assert.rejects(ray.get(dead), (e: unknown) => e instanceof ActorDiedError);
    const [ready] = await ray.wait([dead], { timeoutMs: 100 });
    assert.equal(ready.length, 1, "a call of a dead actor is not ready in wait");

    const boom = ray.remote(
      () => {
        throw new Error("boom");
      },
      { resources: { CPU: 1, tag1: 1 }, returnBytes: 1e9 },
    );
    const failed = boom.remote();
    await assert.rejects(ray.get(failed));
    const [readyFailed] = await ray.wait([failed], { timeoutMs: 0 });
    assert.equal(readyFailed.length, 1, "a failed task's error is not ready in wait");
  });
});

test("a dead actor's call is ready in wait at once, as get raises ActorDiedError at once", async () => {
  const sim = cluster();
  await sim.run(async (ray) => {
    const A = ray.actor(
      class A {
        m() {
          return 1;
        }
      },
      { resources: { CPU: 1, tag1: 1 } },
    );
    const a = A.remote();
    await ray.get(a.m.remote());
    ray.kill(a, { noRestart: true });
    await ray.sleep(50);
    const [ready] = await ray.wait([a.m.remote()], { timeoutMs: 0 });
    assert.equal(ready.length, 1);
  });
});

test("sim.faults.evict(ref) on a put object drops every copy: a later get raises ObjectLostError", async () => {
  const sim = cluster();
  await sim.run(async (ray) => {
    const p = ray.put(42, { sizeBytes: 1000 });
    const read = ray.remote((x: number) => x, { resources: { CPU: 1, tag1: 1 } });
    assert.equal(await ray.get(read.remote(p)), 42); // a second copy on w1
    assert.equal(await ray.get(p), 42);
    sim.faults.evict(p);
    await ray.sleep(10);
    await assert.rejects(ray.get(p), (e: unknown) => e instanceof ObjectLostError);
    // Evicted at the instant it is put: the copy still on its way to the store is dropped too.
    const q = ray.put(43, { sizeBytes: 1000 });
    sim.faults.evict(q);
    await ray.sleep(10);
    await assert.rejects(
      ray.get(q, { timeoutMs: 1000 }),
      (e: unknown) => e instanceof ObjectLostError,
    );
  });
});

test("ray.nodes() is the GCS's view: a killed node stays alive until the detector declares it dead", async () => {
  const sim = cluster();
  const seen = await sim.run(async (ray) => {
    await ray.sleep(20);
    sim.faults.killNode("w1");
    await ray.sleep(1);
    const justAfter = ray.nodes().find((n) => n.name === "w1")!.alive;
    await ray.sleep(200); // 5 missed 10 ms heartbeats and then some
    const later = ray.nodes().find((n) => n.name === "w1")!.alive;
    return { justAfter, later };
  });
  assert.deepEqual(seen, { justAfter: true, later: false });
  assert.equal(sim.metrics.nodeDeaths().length, 1, "ground truth: the node died");
});
