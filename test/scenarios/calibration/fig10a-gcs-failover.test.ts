/**
 * Fig 10a at tiny size: a replica failure shows as one stall, longer than any steady request and
 * under the paper's 30 ms, whichever member dies; a steady read costs a network round trip plus a
 * Redis op (≈ redis.io's 200 µs).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fig10aGcsFailover } from "../../../scenarios/fig10a-gcs-failover/fig10a-gcs-failover.js";
import { assertPlotsHaveTables, headline, rows, runQuick } from "./headline.js";

test("fig10a-gcs-failover: a stall under 30 ms at the kill, steady reads near 0.2 ms", async () => {
  const result = await runQuick(fig10aGcsFailover, 1, { killAtMs: 100, durationMs: 200 });
  assertPlotsHaveTables(result);
  const steadyMax = Math.max(
    ...rows(result, "ops")
      .filter((r) => (r.startMs as number) < 90)
      .map((r) => r.latencyMs as number),
  );
  for (const key of ["maxLatencyHeadKilledMs", "maxLatencyTailKilledMs"]) {
    const worst = headline(result, key).value;
    assert.ok(worst < 30, `${key} ${worst} ms`);
    assert.ok(worst > 5 * steadyMax, `${key} ${worst} ms vs steady ${steadyMax} ms`);
  }
  const read = headline(result, "steadyReadLatencyMs").value;
  assert.ok(Math.abs(read / 0.2 - 1) < 0.25, `steady read ${read} ms`);
  assert.ok(headline(result, "steadyWriteLatencyMs").value > read, "a write crosses the chain");
});
