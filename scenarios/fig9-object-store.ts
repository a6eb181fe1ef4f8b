/**
 * Fig 9 of the Ray paper: one client writing objects of 1 KB … 1 GB into its node's object store;
 * write throughput for large objects, operations per second for small ones. What it checks is the
 * store's cost model (sim/costs.ts, "raylet/raylet.put") as the whole put path sees it: the
 * client's message, the raylet's queue, the store's work.
 */
import { Simulation, type ObjectRef } from "../sim/index.js";
import { defineScenario, table, type ScenarioResult } from "./scenario.js";

const KB = 1e3;
const SIZES_BYTES = [1 * KB, 10 * KB, 100 * KB, 1e6, 1e7, 1e8, 1e9];
/** Paper Fig 9 (text): > 15 GB/s for large objects, 18 K IOPS for small ones. */
const PAPER_LARGE_BYTES_PER_SEC = 15e9;
const PAPER_SMALL_IOPS = 18_000;

interface SizeRow {
  sizeBytes: number;
  size: string;
  puts: number;
  elapsedMs: number;
  iops: number;
  throughputGBps: number;
}

function sizeLabel(bytes: number): string {
  if (bytes >= 1e9) return `${bytes / 1e9} GB`;
  if (bytes >= 1e6) return `${bytes / 1e6} MB`;
  return `${bytes / 1e3} KB`;
}

export const fig9ObjectStore = defineScenario({
  name: "fig9-object-store",
  title: "Object store write throughput and IOPS by object size (Ray Fig. 9)",
  description:
    "Moritz et al., OSDI 2018, Fig. 9: a single client on an m4.4xlarge (16 cores, 64 GiB) writes objects of 1 KB to " +
    "1 GB into its node's object store; the paper reports more than 15 GB/s for large objects (memcpy with 8 threads " +
    "dominates) and 18 K IOPS for small ones (serialisation and IPC dominate). Here the driver puts `puts` objects of " +
    "each size (fewer for large sizes: at most `budgetBytes` per size, at least 3) without waiting between them, " +
    "then gets the last one; the store serves puts in order, so that is the client's sustained rate. Ray's put " +
    "returns once the object is sealed, and the paper's 56 µs per put (18 K IOPS) is the client's serialisation and " +
    'IPC plus the store\'s work; here all of it is charged at the store (costs "raylet/raylet.put"), so waiting for ' +
    "each put (`inFlight` 1) would add a get's round trip that a real put does not make. " +
    "The store is sized to hold every object (no eviction).",
  params: {
    puts: {
      kind: "int",
      min: 10,
      max: 1_000_000,
      default: 2000,
      full: 20_000,
      description: "puts of each small size",
    },
    inFlight: {
      kind: "int",
      min: 1,
      max: 10_000_000,
      default: 10_000_000,
      description:
        "puts outstanding before the client gets the oldest (default: no limit; a get queues behind every put before it, so a window makes the client synchronous)",
    },
    budgetBytes: {
      kind: "number",
      min: 1e6,
      max: 1e12,
      default: 4e9,
      full: 2e10,
      unit: "bytes",
      description: "bytes written per size at most (bounds the large sizes' puts)",
    },
  },
  sweep: { headlines: ["smallIops", "largeThroughputBytesPerSec"] },
  async run(params, seed, progress, options): Promise<ScenarioResult> {
    const counts = SIZES_BYTES.map((s) =>
      Math.max(3, Math.min(params.puts, Math.floor(params.budgetBytes / s))),
    );
    const totalBytes = SIZES_BYTES.reduce((a, s, i) => a + s * counts[i]!, 0);
    const sim = new Simulation({
      seed,
      nodes: [{ name: "client", cpus: 16, objectStoreBytes: totalBytes + 1e9 }],
      // Ray 2018's raylet timeout (100 ms × 300): the heartbeats of a raylet busy with a long queue
      // of puts go out late, and the default 1 s would take the client's node for dead.
      failureDetection: { heartbeatMs: 100, missedHeartbeats: 300 },
      keepEvents: options?.trace === true,
    });
    const rows: SizeRow[] = [];
    await sim.run(async (ray) => {
      for (let i = 0; i < SIZES_BYTES.length; i++) {
        const sizeBytes = SIZES_BYTES[i]!;
        const puts = counts[i]!;
        const startMs = ray.now();
        const refs: ObjectRef<number>[] = [];
        for (let k = 0; k < puts; k++) {
          if (k >= params.inFlight) await ray.get(refs[k - params.inFlight]!);
          refs.push(ray.put(k, { sizeBytes }));
        }
        await ray.get(refs[refs.length - 1]!);
        const elapsedMs = ray.now() - startMs;
        rows.push({
          sizeBytes,
          size: sizeLabel(sizeBytes),
          puts,
          elapsedMs,
          iops: puts / (elapsedMs / 1000),
          throughputGBps: (puts * sizeBytes) / (elapsedMs / 1000) / 1e9,
        });
        progress((i + 1) / SIZES_BYTES.length);
      }
    });
    return {
      tables: {
        sizes: table(["sizeBytes", "size", "puts", "elapsedMs", "iops", "throughputGBps"], rows),
      },
      headlines: headlinesOf(rows),
      plots: plotsOf(),
    };
  },
});

function headlinesOf(rows: readonly SizeRow[]): ScenarioResult["headlines"] {
  const small = rows[0]!;
  const large = rows[rows.length - 1]!;
  return [
    {
      key: "smallIops",
      label: `puts per second, ${small.size} objects`,
      value: small.iops,
      unit: "ops/s",
      reference: {
        value: PAPER_SMALL_IOPS,
        label: "paper",
        source: "Ray paper Fig. 9: 18 K IOPS for small objects, one client",
      },
    },
    {
      key: "largeThroughputBytesPerSec",
      label: `write throughput, ${large.size} objects`,
      value: large.throughputGBps * 1e9,
      unit: "bytes/s",
      reference: {
        value: PAPER_LARGE_BYTES_PER_SEC,
        label: "paper (lower bound)",
        source: "Ray paper Fig. 9: > 15 GB/s for large objects, one client",
      },
    },
  ];
}

function plotsOf(): ScenarioResult["plots"] {
  return [
    {
      kind: "bars",
      name: "throughput",
      title: "Write throughput by object size (paper: > 15 GB/s for large objects)",
      table: "sizes",
      group: { column: "size", label: "object size" },
      value: { column: "throughputGBps", label: "throughput", unit: "GB/s" },
    },
    {
      kind: "bars",
      name: "iops",
      title: "Puts per second by object size (paper: 18 K for small objects)",
      table: "sizes",
      group: { column: "size", label: "object size" },
      value: { column: "iops", label: "IOPS", unit: "ops/s" },
    },
  ];
}
