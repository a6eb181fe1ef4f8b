/**
 * Cost profiles (sim/costs.ts) and metrics.queues(): validation of the `costs` config, "free" as the
 * simulator without service times, the calibration point (one 4-CPU node near Fig 8b's 18.5 k
 * empty tasks/s), and what queues() reports.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, Simulation } from "../../sim/index.js";
import { resolveCosts } from "../../sim/costs.js";
import { runFig8b } from "../../bench/throughput.bench.js";

test("costs: unknown keys, negative values and bad profiles are ConfigErrors naming the key", () => {
  assert.throws(
    () => resolveCosts({ "raylet/raylet.sumbit": 5 }),
    (e: unknown) => e instanceof ConfigError && /raylet\/raylet\.sumbit/.test(e.message),
  );
  assert.throws(
    () => resolveCosts({ "gcs/gcs.request": -1 }),
    (e: unknown) => e instanceof ConfigError && /gcs\/gcs\.request/.test(e.message),
  );
  assert.throws(
    () => resolveCosts({ "worker.startUs": Number.NaN }),
    (e: unknown) => e instanceof ConfigError && /worker\.startUs/.test(e.message),
  );
  assert.throws(
    () => resolveCosts({ "owner/*": { meanUs: 1, distribution: "normal" } }),
    (e: unknown) => e instanceof ConfigError && /owner\/\*/.test(e.message),
  );
  assert.throws(
    () => resolveCosts("ray-2019"),
    (e: unknown) => e instanceof ConfigError && /costs must be "ray-2018", "free"/.test(e.message),
  );
  assert.throws(() => new Simulation({ costs: { "nobody/*": 1 } as never }), ConfigError);
  assert.equal(resolveCosts({ "raylet/*": 3, "*/gcs.request": 0 }).name, "ray-2018+overrides");
  assert.throws(
    () => resolveCosts({ "*/rpc.ack": 1 }),
    (e: unknown) => e instanceof ConfigError && /\*\/rpc\.ack.*transport/.test(e.message),
  );
});

async function emptyTasks(costs: "ray-2018" | "free", n: number): Promise<Simulation> {
  const sim = new Simulation({
    seed: 3,
    nodes: [{ name: "n0", cpus: 4 }],
    costs,
    keepEvents: false,
  });
  await sim.run(async (ray) => {
    const empty = ray.remote(() => null, { name: "empty", durationMs: 0, returnBytes: 8 });
    await ray.get(Array.from({ length: n }, () => empty.remote()));
  });
  return sim;
}

test('costs "free": messages cost nothing, no process ever waits (the simulator before service times)', async () => {
  const sim = await emptyTasks("free", 500);
  assert.equal(sim.metrics.summary().costs, "free");
  assert.ok(sim.nowMs < 2, `500 empty tasks took ${sim.nowMs} ms of virtual time`);
  for (const q of sim.metrics.queues()) {
    assert.equal(q.busyFraction, 0, q.process);
    assert.equal(q.maxWaitMs, 0, q.process);
  }
});

test('costs "ray-2018" (default): the raylet queues, and queues() reports it', async () => {
  const sim = await emptyTasks("ray-2018", 2000);
  assert.equal(sim.metrics.summary().costs, "ray-2018");
  const rows = sim.metrics.queues();
  const raylet = rows.find((r) => r.process === "raylet@n0")!;
  assert.ok(
    raylet.busyFraction > 0.3 && raylet.busyFraction <= 1,
    `raylet busy ${raylet.busyFraction}`,
  );
  assert.ok(
    raylet.maxQueueLength > 10,
    `a burst of 2000 submits queues: max length ${raylet.maxQueueLength}`,
  );
  assert.ok(
    raylet.p50WaitMs <= raylet.p95WaitMs &&
      raylet.p95WaitMs <= raylet.p99WaitMs &&
      raylet.p99WaitMs <= raylet.maxWaitMs,
  );
  assert.ok(
    raylet.lengths.length > 0 &&
      raylet.lengths.every((p, i) => i === 0 || p.tMs > raylet.lengths[i - 1]!.tMs),
  );
  assert.ok(raylet.lengths.some((p) => p.maxLength === raylet.maxQueueLength));
  assert.ok(
    rows.some((r) => r.kind === "gcs") &&
      rows.some((r) => r.kind === "owner") &&
      rows.some((r) => r.kind === "gsched"),
  );
  // 2000 tasks at ≈ 18 k/s take > 100 ms; free, they took < 2.
  assert.ok(sim.nowMs > 80, `took ${sim.nowMs} ms`);
});

test("the same seed gives the same run with costs (fingerprint)", async () => {
  const a = new Simulation({
    seed: 5,
    nodes: [
      { name: "a", cpus: 2 },
      { name: "b", cpus: 2 },
    ],
  });
  const b = new Simulation({
    seed: 5,
    nodes: [
      { name: "a", cpus: 2 },
      { name: "b", cpus: 2 },
    ],
  });
  for (const sim of [a, b]) {
    await sim.run(async (ray) => {
      const f = ray.remote((x: number) => x + 1, { durationMs: 1 });
      await ray.get(Array.from({ length: 200 }, (_, i) => f.remote(i)));
    });
  }
  assert.equal(a.metrics.fingerprint(), b.metrics.fingerprint());
});

test("calibration: one 4-CPU node runs Fig 8b's empty tasks at 18.5 k/s ± 10 % (Ray paper: 1.8 M/s on 100 nodes)", async () => {
  const r = await runFig8b(1, 10_000, 500, { cpus: 4 });
  const perSec = r.steadyTasksPerVirtualSec;
  assert.ok(Math.abs(perSec - 18_500) / 18_500 < 0.1, `${Math.round(perSec)} tasks/s`);
});
