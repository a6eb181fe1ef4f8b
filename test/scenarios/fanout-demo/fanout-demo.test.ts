/**
 * The fan-out demo: every round completes despite the node kill, the dead worker's tasks are
 * retried, detection by heartbeats takes the configured timeout (within one heartbeat), and a node
 * that comes back before the timeout is still recognised as a new incarnation.
 * Method: small runs with different kill schedules.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fanoutDemo } from "../../../scenarios/fanout-demo/fanout-demo.js";
import { resolveParams } from "../../../scenarios/runner/params.js";
import type { ScenarioResult } from "../../../scenarios/scenario.js";

async function run(overrides: Record<string, number>): Promise<ScenarioResult> {
  return fanoutDemo.run(resolveParams(fanoutDemo, "quick", { rounds: 40, ...overrides }) as never, 2, () => {});
}

const value = (r: ScenarioResult, key: string) => r.headlines.find((h) => h.key === key)?.value;

test("fanout-demo run() detects the kill within one heartbeat of the timeout and retries", async () => {
  const r = await run({ killAtMs: 523, restartAfterMs: 1000, heartbeatMs: 50, missedHeartbeats: 6 });
  const detectionMs = value(r, "detectionMs")!;
  assert.ok(detectionMs > 300 - 50 && detectionMs <= 300 + 50, `detection ${detectionMs} ms`);
  assert.ok(value(r, "retriedTasks")! > 0);
  assert.equal(r.tables.rounds!.rows.length, 40);
  const kinds = r.tables.faults!.rows.map((f) => f.kind);
  assert.deepEqual(kinds, ["kill", "declared-dead", "restart", "rejoined"]);
  const retries = r.tables.throughput!.rows.reduce((a, row) => a + Number(row.retry), 0);
  assert.equal(retries, value(r, "retriedTasks"));
});

test("fanout-demo run() treats a node back before the timeout as a new incarnation", async () => {
  const r = await run({ killAtMs: 300, restartAfterMs: 100 });
  assert.deepEqual(
    r.tables.faults!.rows.map((f) => f.kind),
    ["kill", "restart", "declared-dead", "rejoined"],
  );
  assert.equal(r.tables.rounds!.rows.length, 40);
});

test("fanout-demo run() with killWorker=0 has no faults and no retries", async () => {
  const r = await run({ killWorker: 0 });
  assert.equal(r.tables.faults!.rows.length, 0);
  assert.equal(value(r, "retriedTasks"), 0);
  assert.equal(value(r, "detectionMs"), undefined);
});
