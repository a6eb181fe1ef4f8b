/**
 * Placement (Ray paper Fig 8a): a task whose 100 MB argument lives on one node runs there under the
 * locality-aware policy; the locality-unaware policy often sends it elsewhere and pays the transfer.
 * Method: a head node with no CPUs (so every task goes to the global scheduler) and two workers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Simulation } from "../../../sim/index.js";
import type { PolicyName } from "../../../core/scheduler/policies.js";

async function runFig8a(policy: PolicyName, tasks: number) {
  const sim = new Simulation({
    seed: 3,
    nodes: [
      { name: "head", cpus: 0 },
      { name: "w1", cpus: 4 },
      { name: "w2", cpus: 4 },
    ],
    scheduler: { policy },
    checkInvariants: true,
  });
  const result = await sim.run(async (ray) => {
    const produce = ray.remote((i: number) => i, {
      returnBytes: 100e6,
      durationMs: 1,
      resources: { CPU: 1 },
    });
    const consume = ray.remote((x: number) => ({ x, node: ray.getRuntimeContext().nodeName }), {
      durationMs: 1,
    });
    const rows: Array<{ producedOn: string; consumedOn: string; latencyMs: number }> = [];
    for (let i = 0; i < tasks; i++) {
      const arg = produce.remote(i);
      await ray.wait([arg], { numReturns: 1 });
      const producedOn = sim.metrics
        .taskAttempts()
        .find((r) => r.taskId === arg.id.split(":")[0])!.node;
      const t0 = ray.now();
      const out = await ray.get(consume.remote(arg));
      rows.push({ producedOn, consumedOn: out.node, latencyMs: ray.now() - t0 });
    }
    return rows;
  });
  return result;
}

test("locality-aware placement runs a task where its 100 MB argument lives", async () => {
  const rows = await runFig8a("locality-aware", 12);
  for (const r of rows) assert.equal(r.consumedOn, r.producedOn);
});

test("locality-unaware placement often moves the argument, and its latency is much higher", async () => {
  const aware = await runFig8a("locality-aware", 12);
  const unaware = await runFig8a("locality-unaware", 12);
  const moved = unaware.filter((r) => r.consumedOn !== r.producedOn).length;
  assert.ok(moved >= 3, `only ${moved} of 12 tasks ran away from their argument`);
  const mean = (rs: typeof aware) => rs.reduce((a, r) => a + r.latencyMs, 0) / rs.length;
  // A 100 MB transfer at 3.125 GB/s costs 32 ms against ~1 ms of work.
  assert.ok(
    mean(unaware) > 5 * mean(aware),
    `unaware ${mean(unaware)} ms vs aware ${mean(aware)} ms`,
  );
});
