/**
 * Capacity a node loses for good while tasks wait in its queue: a GPU that fails and is never
 * repaired, resources an actor holds for its whole life. Queued work that can no longer run there
 * goes to the global scheduler (which sees the reduced capacity in heartbeats), and an actor
 * creation stays on a node only if it can start there now. Each of these ended in a DeadlockError.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Simulation } from "../../../sim/index.js";

test("a GPU failing for good sends the GPU tasks queued on its node to another GPU node", async () => {
  const sim = new Simulation({
    seed: 1,
    nodes: [
      { name: "head", cpus: 2, gpus: [{ model: "V100" }] },
      { name: "w1", cpus: 2, gpus: [{ model: "V100" }] },
    ],
    checkInvariants: true,
  });
  sim.faults.failGpu("head", 0, { atMs: 1 });
  const out = await sim.run(async (ray) => {
    const train = ray.remote(
      async (i: number) => {
        await ray.sleep(20);
        return { i, node: ray.getRuntimeContext().nodeName };
      },
      { name: "train", resources: { CPU: 1, GPU: 1 } },
    );
    return ray.get([0, 1, 2].map((i) => train.remote(i)));
  });
  assert.deepEqual(
    out.map((o) => o.i),
    [0, 1, 2],
  );
  assert.ok(
    out.some((o) => o.node === "w1"),
    `some ran on w1: ${JSON.stringify(out)}`,
  );
});

test("a second actor whose node is full is placed on a node with room", async () => {
  const sim = new Simulation({
    seed: 1,
    nodes: [
      { name: "head", cpus: 1 },
      { name: "w1", cpus: 4 },
    ],
    checkInvariants: true,
  });
  const out = await sim.run(async (ray) => {
    class Counter {
      n = 0;
      inc(): number {
        return ++this.n;
      }
    }
    const C = ray.actor(Counter, { name: "Counter", resources: { CPU: 1 } });
    const a = C.remote();
    const b = C.remote();
    return ray.get([a.inc.remote(), b.inc.remote(), a.inc.remote()]);
  });
  assert.deepEqual(out, [1, 1, 2]);
});

test("a task queued behind an actor that holds its node's only CPU runs elsewhere", async () => {
  const sim = new Simulation({
    seed: 1,
    nodes: [
      { name: "head", cpus: 1 },
      { name: "w1", cpus: 2 },
    ],
    checkInvariants: true,
  });
  const out = await sim.run(async (ray) => {
    class Holder {
      ping(): string {
        return "pong";
      }
    }
    const H = ray.actor(Holder, { name: "Holder", resources: { CPU: 1 } });
    const h = H.remote();
    await ray.get(h.ping.remote());
    const f = ray.remote(() => ray.getRuntimeContext().nodeName, { name: "f" });
    return ray.get([f.remote(), f.remote()]);
  });
  assert.deepEqual(out, ["w1", "w1"]);
});
