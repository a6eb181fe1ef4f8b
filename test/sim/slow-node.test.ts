/**
 * faults.slowNode: a straggler. A task started on the node while it is slowed takes `factor` ×
 * its duration; one started after the slowdown ended takes its own; a bad factor is a ConfigError.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, Simulation } from "../../sim/index.js";

async function durationsOn(
  slow: { factor: number; atMs?: number; durationMs?: number } | undefined,
) {
  const sim = new Simulation({ seed: 5, nodes: [{ name: "w1", cpus: 1 }], checkInvariants: true });
  if (slow !== undefined) sim.faults.slowNode("w1", slow);
  const values = await sim.run(async (ray) => {
    const work = ray.remote((x: number) => x + 1, { durationMs: 100 });
    const first = await ray.get(work.remote(1));
    await ray.sleep(1_000);
    const second = await ray.get(work.remote(2));
    return [first, second];
  });
  const spans = sim.metrics.taskAttempts().map((a) => a.endMs - a.startMs);
  return { values, spans };
}

test("slowNode: a task started while the node is slowed takes factor × longer; later ones do not", async () => {
  const base = await durationsOn(undefined);
  const slowed = await durationsOn({ factor: 4, atMs: 0, durationMs: 500 });
  assert.deepEqual(slowed.values, base.values);
  assert.equal(base.spans.length, 2);
  // The drawn 100 ms takes 4 × as long; whatever the attempt costs besides it (dispatch) does not.
  assert.ok(Math.abs(base.spans[0]! - 100) < 1, `base span ${base.spans[0]}`);
  assert.ok(
    Math.abs(slowed.spans[0]! - base.spans[0]! - 300) < 1e-6,
    `slowed span ${slowed.spans[0]} ms, want ${base.spans[0]! + 300}`,
  );
  assert.ok(
    Math.abs(slowed.spans[1]! - base.spans[1]!) < 1e-6,
    `span after the slowdown ${slowed.spans[1]} ms, want ${base.spans[1]}`,
  );
  assert.ok(slowed.values.length === 2);
});

test("slowNode is recorded as a fault", async () => {
  const sim = new Simulation({ seed: 1, nodes: [{ name: "w1", cpus: 1 }] });
  sim.faults.slowNode("w1", { factor: 2 });
  await sim.run(async (ray) => ray.get(ray.remote(() => 1, { durationMs: 10 }).remote()));
  const rows = sim.metrics.faults().filter((f) => f.fault === "slowNode");
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.target, "w1x2");
});

test("slowNode rejects a factor below 1 or a node it does not know", () => {
  const sim = new Simulation({ seed: 1, nodes: [{ name: "w1", cpus: 1 }] });
  assert.throws(
    () => sim.faults.slowNode("w1", { factor: 0.5 }),
    (e: unknown) =>
      e instanceof ConfigError &&
      /slowNode\(\{ factor \}\) must be a finite number >= 1/.test(e.message),
  );
  assert.throws(() => sim.faults.slowNode("w1", { factor: Number.NaN }), ConfigError);
  assert.throws(() => sim.faults.slowNode("nope", { factor: 2 }), /slowNode: unknown node "nope"/);
});
