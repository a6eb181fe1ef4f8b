/**
 * The recovery storm at tiny size: with control-plane costs the storm queues at the GCS and the
 * owner, and rebuilding the lost objects takes longer than on a free control plane, more so on the
 * larger cluster; the free runs queue nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { recoveryStorm } from "../../../scenarios/recovery-storm.js";
import { assertPlotsHaveTables, headline, rows, runQuick } from "./headline.js";

test("recovery-storm: queues and a rebuild that grows with N under costs, none on a free control plane", async () => {
  const result = await runQuick(recoveryStorm, 1, { maxNodes: 16, objectsPerNode: 20 });
  assertPlotsHaveTables(result);
  const sizes = rows(result, "sizes");
  const at = (costs: string, nodes: number) =>
    sizes.find((r) => r.costs === costs && r.nodes === nodes)!;
  for (const nodes of [4, 8, 16]) {
    // w1 held about its share of the objects (placement is by estimated load, not exact).
    const rebuilt = at("ray-2018", nodes).reexecuted as number;
    assert.ok(rebuilt >= 10 && rebuilt <= 40, `${nodes} nodes: ${rebuilt} objects rebuilt`);
    assert.ok(
      (at("ray-2018", nodes).rebuildMs as number) > (at("free", nodes).rebuildMs as number),
      `${nodes} nodes: costs slow the rebuild`,
    );
    assert.equal(at("free", nodes).gcsPeakQueue, 0);
  }
  assert.ok(
    (at("ray-2018", 16).stormMs as number) > 1.5 * (at("ray-2018", 4).stormMs as number),
    "the storm grows with the cluster",
  );
  assert.ok(
    (at("ray-2018", 16).gcsPeakQueue as number) > (at("ray-2018", 4).gcsPeakQueue as number),
  );
  const growth = headline(result, "rebuildGrowth");
  assert.ok(
    growth.value > growth.reference!.value,
    `rebuild growth ${growth.value} vs free ${growth.reference!.value}`,
  );
  assert.ok(
    rows(result, "queueLengths").some(
      (r) => String(r.process).startsWith("GCS") && (r.length as number) > 0,
    ),
  );
});
