/**
 * The M/M/c scenario measures what Erlang C predicts, and its tables depend on the seed alone.
 * Method: quick-size runs at fixed seeds, compared with the theory within tolerances that a
 * correct simulator meets at this sample size (checked over seeds 1..8 when written).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mmcQueue } from "../../../scenarios/mmc-queue/mmc-queue.js";
import { resolveParams } from "../../../scenarios/runner/params.js";
import type { ScenarioResult } from "../../../scenarios/scenario.js";

async function run(seed: number, overrides: Record<string, number> = {}): Promise<ScenarioResult> {
  return mmcQueue.run(resolveParams(mmcQueue, "quick", overrides) as never, seed, () => {});
}

function headline(result: ScenarioResult, key: string) {
  const h = result.headlines.find((x) => x.key === key);
  assert.ok(h !== undefined, `headline ${key}`);
  return h;
}

test("mmc-queue run() measures Erlang C's probability of waiting and mean wait", async () => {
  const result = await run(1, { servers: 2, utilisation: 0.5, jobs: 40_000 });
  const probWait = headline(result, "probWait");
  assert.ok(Math.abs(probWait.value - 1 / 3) < 0.02, `P(wait) ${probWait.value}`);
  assert.ok(Math.abs(probWait.reference!.value - 1 / 3) < 1e-12);
  const meanWait = headline(result, "meanWaitMs");
  assert.ok(
    Math.abs(meanWait.value / meanWait.reference!.value - 1) < 0.12,
    `mean wait ${meanWait.value} vs ${meanWait.reference!.value}`,
  );
  const utilisation = headline(result, "utilisation");
  assert.ok(Math.abs(utilisation.value - 0.5) < 0.02, `utilisation ${utilisation.value}`);
});

test("mmc-queue run() gives the same tables for the same seed and others for another", async () => {
  const a = await run(7, { jobs: 2000 });
  const b = await run(7, { jobs: 2000 });
  const c = await run(8, { jobs: 2000 });
  assert.deepEqual(a.tables, b.tables);
  assert.deepEqual(a.headlines, b.headlines);
  assert.notDeepEqual(a.tables.jobs!.rows, c.tables.jobs!.rows);
});

test("mmc-queue run() returns the tables its plots draw from", async () => {
  const result = await run(1, { jobs: 1000 });
  for (const plot of result.plots)
    assert.ok(result.tables[plot.table] !== undefined, `${plot.name} draws from ${plot.table}`);
  assert.equal(result.tables.jobs!.rows.length, 1000);
  assert.equal(result.tables.jobs!.rows.filter((r) => r.warmup === true).length, 100);
});
