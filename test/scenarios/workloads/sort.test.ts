/**
 * The sort's headline relation at tiny size: with nodes killed mid-shuffle the job still produces
 * the failure-free output (real keys, checked by digest per partition), and the kills did cost
 * re-execution (so the check is not vacuous).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { sort } from "../../../scenarios/sort/sort.js";
import { digest, expectedDigests, mapInput } from "../../../scenarios/sort/data.js";
import { resolveParams } from "../../../scenarios/runner/params.js";

const TINY = {
  nodes: 4,
  cpusPerNode: 2,
  dataBytes: 4e8,
  maps: 6,
  partitions: 16,
  keysPerMap: 300,
  maxFailures: 2,
  restartAfterS: 2,
};

test("sort's expected output is every input key in order, split by key range", () => {
  const all: number[] = [];
  for (let m = 0; m < 5; m++) all.push(...mapInput(3, m, 100));
  all.sort((a, b) => a - b);
  const parts = expectedDigests(3, 5, 100, 4);
  assert.equal(
    parts.reduce((a, d) => a + d.count, 0),
    500,
  );
  // Concatenated partitions are the global sort: each partition's last key is below the next's first.
  for (let j = 1; j < parts.length; j++)
    if (parts[j]!.count > 0 && parts[j - 1]!.count > 0)
      assert.ok(parts[j - 1]!.last <= parts[j]!.first);
  assert.equal(parts[0]!.first, all[0]);
  assert.equal(parts[parts.length - 1]!.last, all[all.length - 1]);
  assert.equal(digest(all).sorted, true);
  assert.notEqual(digest([2, 1]).hash, digest([1, 2]).hash);
});

test("sort completes with the failure-free output with 0, 1 and 2 nodes killed mid-shuffle", async () => {
  const result = await sort.run(resolveParams(sort, "quick", TINY) as never, 5, () => {});
  const runs = result.tables.runs!.rows;
  assert.equal(runs.length, 3);
  for (const r of runs)
    assert.equal(r.outputCorrect, 1, `run with ${String(r.failures)} failures: output differs`);
  assert.equal(runs[0]!.mapsReexecuted, 0);
  assert.equal(runs[0]!.reducesReexecuted, 0);
  for (const r of runs.slice(1)) {
    assert.ok(
      (r.mapsReexecuted as number) + (r.reducesReexecuted as number) > 0,
      `run with ${String(r.failures)} failures re-executed nothing`,
    );
    assert.ok(
      (r.completionMs as number) > (runs[0]!.completionMs as number),
      "a kill mid-shuffle costs time",
    );
  }
  // The second kill takes the node holding the most map outputs: lineage reconstruction of maps.
  assert.ok((runs[2]!.mapsReexecuted as number) > 0, "no map was rebuilt from its lineage");
  const bound = result.headlines.find((h) => h.key === "completionMs")!;
  assert.ok(
    bound.value >= bound.reference!.value,
    `failure-free ${bound.value} ms below the lower bound ${bound.reference!.value} ms`,
  );
});
