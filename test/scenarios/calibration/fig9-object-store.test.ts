/**
 * Fig 9 at tiny size: small puts are bound by a per-operation cost (IOPS within 25 % of the paper's 18 K, and
 * nearly the same for 1 KB and 10 KB), large ones by bandwidth (throughput rising with size).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fig9ObjectStore } from "../../../scenarios/fig9-object-store.js";
import { assertPlotsHaveTables, headline, rows, runQuick } from "./headline.js";

test("fig9-object-store: per-op bound for small objects, bandwidth bound for large ones", async () => {
  const result = await runQuick(fig9ObjectStore, 1, { puts: 200, budgetBytes: 4e8 });
  assertPlotsHaveTables(result);
  const bySize = new Map(rows(result, "sizes").map((r) => [r.sizeBytes as number, r]));
  const iops = (s: number) => bySize.get(s)!.iops as number;
  const gbps = (s: number) => bySize.get(s)!.throughputGBps as number;
  assert.ok(iops(1e4) > 0.9 * iops(1e3), `10 KB ${iops(1e4)} vs 1 KB ${iops(1e3)} IOPS`);
  assert.ok(iops(1e3) > 5 * iops(1e7), `1 KB ${iops(1e3)} vs 10 MB ${iops(1e7)} IOPS`);
  assert.ok(gbps(1e8) > 5 * gbps(1e5), `100 MB ${gbps(1e8)} vs 100 KB ${gbps(1e5)} GB/s`);
  const small = headline(result, "smallIops").value;
  assert.ok(Math.abs(small / 18_000 - 1) < 0.25, `small-object IOPS ${small}`);
  assert.ok(gbps(1e8) > 15 * 0.75, `100 MB objects: ${gbps(1e8)} GB/s`);
});

test("fig9-object-store: 1 GB objects are written at the paper's > 15 GB/s", async () => {
  const result = await runQuick(fig9ObjectStore, 1, { puts: 10, budgetBytes: 4e9 });
  const large = headline(result, "largeThroughputBytesPerSec").value;
  assert.ok(large > 15e9 * 0.75, `1 GB objects: ${large / 1e9} GB/s`);
});
