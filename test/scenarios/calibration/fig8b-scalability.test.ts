/**
 * Fig 8b at tiny size: throughput grows near-linearly with nodes, and one node runs empty tasks at
 * the paper's per-node rate's order (18.5 k/s), because the control plane's service times bound it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fig8bScalability } from "../../../scenarios/fig8b-scalability.js";
import { assertPlotsHaveTables, headline, rows, runQuick } from "./headline.js";

test("fig8b-scalability: near-linear in nodes, per-node rate within 2× of the paper's 18.5 k tasks/s", async () => {
  const result = await runQuick(fig8bScalability, 1, { maxNodes: 4, tasksPerNode: 100 });
  assertPlotsHaveTables(result);
  const points = rows(result, "scalability");
  assert.deepEqual(
    points.map((r) => r.nodes),
    [1, 2, 4],
  );
  const efficiency = headline(result, "scalingEfficiency").value;
  assert.ok(efficiency > 0.8 && efficiency <= 1.05, `scaling efficiency ${efficiency}`);
  const perNode = points[0]!.perNodeTasksPerSec as number;
  assert.ok(perNode > 18_500 / 2 && perNode < 18_500 * 2, `one node: ${perNode} tasks/s`);
  const top = headline(result, "tasksPerSec");
  assert.ok(top.value > 3 * perNode, `4 nodes: ${top.value} tasks/s vs one node's ${perNode}`);
  assert.match(top.reference!.label!, /scaled down/);
});
