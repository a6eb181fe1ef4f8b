/**
 * Fig 10b at tiny size: without flushing GCS memory grows linearly with the tasks (the second half
 * of the run adds what the first did), with flushing every sample stays under the cap.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fig10bGcsFlushing } from "../../../scenarios/fig10b-gcs-flushing.js";
import { assertPlotsHaveTables, headline, rows, runQuick } from "./headline.js";

test("fig10b-gcs-flushing: linear growth without flushing, capped with it", async () => {
  const result = await runQuick(fig10bGcsFlushing, 1, { tasks: 600, capBytes: 20_000 });
  assertPlotsHaveTables(result);
  const linearity = headline(result, "growthLinearity").value;
  assert.ok(linearity > 0.8 && linearity < 1.25, `second-half growth over first-half ${linearity}`);
  const flushed = rows(result, "memory").filter((r) => r.flushing === "flushing");
  assert.ok(flushed.length > 5, `${flushed.length} samples with flushing`);
  for (const r of flushed)
    assert.ok(
      (r.bytes as number) <= 20_000,
      `sample at ${String(r.tMs)} ms: ${String(r.bytes)} bytes`,
    );
  assert.ok(headline(result, "unflushedOverFlushed").value > 3);
});
