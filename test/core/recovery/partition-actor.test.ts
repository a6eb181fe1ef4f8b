/**
 * A partition cuts an actor's node off long enough for the GCS to declare it dead: the owner
 * restarts the actor on the other side while the old instance still sits on the cut-off node.
 * The old node's lease (its last admitted heartbeat's send time + the heartbeat timeout) runs out
 * before the GCS can declare it dead, so from then on the old instance starts and reports no call:
 * there is never more than one instance that could serve one (the invariant checked after every
 * event). After the heal the old node learns its fate and rejoins empty. Before the lease, this
 * run failed with "actor … is alive on both w1 and w2".
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Simulation } from "../../../sim/index.js";

test("an actor cut off by a partition and restarted elsewhere has one serving instance at a time", async () => {
  const sim = new Simulation({
    seed: 5,
    nodes: [
      { name: "head", cpus: 2 },
      { name: "w1", cpus: 1, resources: { slot: 1 } },
    ],
    failureDetection: { heartbeatMs: 20, missedHeartbeats: 5 },
    checkInvariants: true,
  });
  sim.faults.addNode({ name: "w2", cpus: 1, resources: { slot: 1 } }, { atMs: 10 });
  sim.faults.partition(["w1"], ["head"], { atMs: 50, healAfterMs: 400 });
  const seen: Array<{ atMs: number; w1Lease: boolean | undefined }> = [];
  const out = await sim.run(async (ray) => {
    class Counter {
      n = 0;
      inc(): number {
        return ++this.n;
      }
    }
    const C = ray.actor(Counter, {
      name: "Counter",
      resources: { CPU: 0, slot: 1 },
      maxRestarts: 2,
      recovery: "replay",
    });
    const c = C.remote();
    const values = [await ray.get(c.inc.remote())];
    const look = () => seen.push({ atMs: ray.now(), w1Lease: sim.raylets.get("w1")?.holdsLease() });
    look();
    await ray.sleep(250 - ray.now());
    look();
    values.push(await ray.get(c.inc.remote()));
    await ray.sleep(700 - ray.now());
    look();
    values.push(await ray.get(c.inc.remote()));
    return values;
  });
  assert.deepEqual(out, [1, 2, 3]);
  assert.equal(seen[0]!.w1Lease, true, "w1 holds its lease before the partition");
  assert.equal(seen[1]!.w1Lease, false, "cut off past the heartbeat timeout, w1 holds no lease");
  assert.ok(
    sim.metrics.nodeDeaths().some((d) => d.node === "w1"),
    "the GCS declared w1 dead",
  );
});
