/**
 * Argument pins against forced drops: `sim.faults.evict` drops a copy whatever its pins, and the
 * object can be rebuilt on the same node while the task that pinned the old copy still runs. The
 * old pin went with the old copy; releasing it must neither fail nor take another task's pin.
 * (Replays `RAYSIM_FC_SEED=102` of the differential property: "unpin: t0:0 is not pinned".)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Simulation } from "../../../sim/index.js";
import { ObjectStore } from "../../../core/raylet/object-store.js";
import type { ObjectId } from "../../../core/ids.js";

test("a pin on a dropped copy does not unpin the copy rebuilt after it", () => {
  const store = new ObjectStore(1000);
  const id = "t0:0" as ObjectId;
  store.put(id, 1, 100);
  const old = store.pin(id);
  assert.equal(store.remove(id), true);
  store.put(id, 1, 100);
  const fresh = store.pin(id);
  store.unpin(old);
  assert.equal(store.isPinned(id), true, "the old pin released the rebuilt copy's pin");
  store.unpin(fresh);
  assert.equal(store.isPinned(id), false);
  store.checkInvariants();
});

test("an argument evicted and rebuilt on the node while its task runs (seed 102 of the differential property)", async () => {
  const workers = ["w1", "w2", "w3"];
  const sim = new Simulation({
    seed: 338980,
    nodes: [
      { name: "head", cpus: 1, objectStoreBytes: 20e6 },
      ...workers.map((name) => ({
        name,
        cpus: 2,
        objectStoreBytes: 12e6,
        gpus: [{ model: "V100" }],
      })),
    ],
    failureDetection: { heartbeatMs: 20, missedHeartbeats: 5 },
    checkInvariants: true,
    idleLimitMs: 10_000,
  });
  // Both other GPUs are down at the start, so both GPU tasks land on w1: task2 pins t0:0 and runs
  // for 1 ms; the eviction drops it under the pin; task1 needs it, so it is rebuilt on w1 and
  // pinned again before task2 ends.
  sim.faults.failGpu("w3", 0, { atMs: 0, repairAfterMs: 1 });
  sim.faults.failGpu("w2", 0, { atMs: 0, repairAfterMs: 1 });
  const values = await sim.run(async (ray) => {
    const opts = { maxRetries: -1 };
    const t0 = ray.remote(() => 1, { ...opts, name: "task0" });
    const t1 = ray.remote((x: number) => x + 10, {
      ...opts,
      name: "task1",
      resources: { CPU: 1, GPU: 0.5 },
    });
    const t2 = ray.remote((x: number) => x + 20, {
      ...opts,
      name: "task2",
      durationMs: 1,
      resources: { CPU: 1, GPU: 0.5 },
    });
    const t3 = ray.remote(() => 3, { ...opts, name: "task3" });
    const a = t0.remote();
    const refs = [a, t1.remote(a), t2.remote(a), t3.remote()];
    sim.faults.evict(a, { atMs: 1 });
    return ray.get(refs);
  });
  assert.deepEqual(values, [1, 11, 21, 3]);
  const rebuilt = sim.metrics
    .taskAttempts()
    .filter((a) => a.name === "task0" && a.cause === "reconstruction");
  assert.equal(rebuilt.length, 1, "the scenario no longer rebuilds t0:0 while task2 holds its pin");
});
