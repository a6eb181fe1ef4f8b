/**
 * A recovery storm: one of N nodes dies while the cluster holds many objects, and every object is
 * then consumed at once. The lost ones are rebuilt from lineage while the owner and the GCS serve
 * the whole cluster's traffic, so recovery queues behind the work the failure set off. With a free
 * control plane (costs "free") recovery time would not depend on N; here it does.
 */
import { max } from "d3";
import { Simulation, type ObjectRef } from "../sim/index.js";
import type { QueueRow } from "../sim/metrics.js";
import { defineScenario, table, type ScenarioResult } from "./scenario.js";
import { mean } from "./output/simulation-tables.js";

/** The cluster sizes swept: powers of two from 4 up to `maxNodes`. */
export function stormSizes(maxNodes: number): number[] {
  const xs: number[] = [];
  for (let n = 4; n <= maxNodes; n *= 2) xs.push(n);
  if (xs[xs.length - 1] !== maxNodes) xs.push(maxNodes);
  return xs;
}

interface StormParams {
  nodes: number;
  objectsPerNode: number;
  objectBytes: number;
  taskMs: number;
  costs: "ray-2018" | "free";
}

interface StormRun {
  recoveryMs: number;
  /** From the consumers' submission to the last lost object rebuilt, and to the last consumer done. */
  rebuildMs: number;
  stormMs: number;
  detectionDelayMs: number;
  reexecuted: number;
  queues: QueueRow[];
  killMs: number;
  stormStartMs: number;
  endMs: number;
}

/**
 * Once every node has reported in, produces `objectsPerNode` objects per worker (spread by the
 * scheduler), waits until they exist,
 * kills w1, sleeps through its detection, then submits one consumer per object at once.
 */
async function runStorm(
  p: StormParams,
  seed: number,
  heartbeatMs: number,
  missedHeartbeats: number,
): Promise<StormRun> {
  const workers = Array.from({ length: p.nodes }, (_, i) => `w${i + 1}`);
  const sim = new Simulation({
    seed,
    nodes: [{ name: "head", cpus: 0 }, ...workers.map((name) => ({ name, cpus: 4 }))],
    failureDetection: { heartbeatMs, missedHeartbeats },
    defaults: { maxRetries: -1 },
    keepEvents: false,
    costs: p.costs,
  });
  let killMs = 0;
  let stormStartMs = 0;
  let stormMs = 0;
  await sim.run(async (ray) => {
    // A cluster that is up before the job: every node has reported in, so the scheduler spreads
    // the producers (at t = 0 it knows one node, and a free control plane puts them all there).
    await ray.sleep(2 * heartbeatMs);
    const produce = ray.remote((i: number) => i, {
      name: "produce",
      durationMs: p.taskMs,
      returnBytes: p.objectBytes,
    });
    const consume = ray.remote((x: number) => x, {
      name: "consume",
      durationMs: p.taskMs,
      returnBytes: 8,
    });
    const objects: ObjectRef<number>[] = Array.from(
      { length: p.nodes * p.objectsPerNode },
      (_, i) => produce.remote(i),
    );
    await ray.wait(objects, { numReturns: objects.length, fetchLocal: false });
    killMs = ray.now();
    sim.faults.killNode("w1");
    await ray.sleep(heartbeatMs * (missedHeartbeats + 1));
    stormStartMs = ray.now();
    await ray.get(objects.map((o) => consume.remote(o)));
    stormMs = ray.now() - stormStartMs;
  });
  const recovery = sim.metrics.recovery()[0];
  if (recovery === undefined)
    throw new Error(`recovery-storm: no recovery row for the kill of w1 (${p.nodes} nodes)`);
  return {
    recoveryMs: recovery.recoveryMs,
    rebuildMs: recovery.recoveredMs - stormStartMs,
    stormMs,
    stormStartMs,
    detectionDelayMs: recovery.detectionDelayMs,
    reexecuted: recovery.reexecuted,
    queues: sim.metrics.queues(),
    killMs,
    endMs: sim.nowMs,
  };
}

interface SizeRow {
  nodes: number;
  costs: string;
  objects: number;
  recoveryMs: number;
  /** From the consumers' submission (after detection) to the last lost object rebuilt. */
  rebuildMs: number;
  /** From the consumers' submission to the last consumer's result. */
  stormMs: number;
  detectionDelayMs: number;
  reexecuted: number;
  gcsPeakQueue: number;
  ownerPeakQueue: number;
  gcsBusyFraction: number;
  ownerBusyFraction: number;
}

/** metrics.queues() reports lengths per 1 ms bucket (the world's default). */
const QUEUE_BUCKET_MS = 1;

interface LengthRow {
  process: string;
  tMs: number;
  length: number;
}

/**
 * Queue length over time of the GCS shards and the driver (the owner of every object), per 1 ms
 * bucket from `fromMs` on. The series only holds buckets in which the length changed; the ones in
 * between kept the previous bucket's end length, so they are filled in (a joined line would draw a
 * ramp across the gap otherwise).
 */
function lengthRows(queues: readonly QueueRow[], fromMs: number): LengthRow[] {
  const out: LengthRow[] = [];
  for (const q of queues) {
    if (q.kind !== "gcs" && !q.process.startsWith("driver@")) continue;
    const name = q.kind === "gcs" ? `GCS (${q.process})` : `owner (${q.process})`;
    const points = q.lengths;
    if (points.length === 0) continue;
    let carried = 0;
    let i = 0;
    while (i < points.length && points[i]!.tMs < fromMs) carried = points[i++]!.endLength;
    const lastMs = points[points.length - 1]!.tMs;
    for (let tMs = Math.floor(fromMs); tMs <= lastMs; tMs += QUEUE_BUCKET_MS) {
      const p = points[i];
      if (p !== undefined && p.tMs < tMs + QUEUE_BUCKET_MS) {
        out.push({ process: name, tMs: p.tMs, length: p.maxLength });
        carried = p.endLength;
        i++;
      } else out.push({ process: name, tMs, length: carried });
    }
  }
  return out;
}

/** The longest queue from `fromMs` on, and the busiest lifetime fraction, of the processes picked. */
function peak(
  queues: readonly QueueRow[],
  pick: (q: QueueRow) => boolean,
  fromMs: number,
): { length: number; busy: number } {
  const qs = queues.filter(pick);
  const longest = (q: QueueRow) => max(q.lengths, (l) => (l.tMs >= fromMs ? l.maxLength : 0)) ?? 0;
  return {
    length: Math.max(0, ...qs.map(longest)),
    busy: Math.max(0, ...qs.map((q) => q.busyFraction)),
  };
}

export const recoveryStorm = defineScenario({
  name: "recovery-storm",
  title: "Recovery storm: one of N nodes dies, every object is consumed at once",
  description:
    'A study the paper does not run, made possible by the control plane\'s service times (costs "ray-2018"): N ' +
    "4-CPU workers each end up holding `objectsPerNode` objects made by short tasks (placed by the scheduler); w1 is " +
    "killed, and once its death is detected (heartbeats, 100 ms × 10) the driver submits one consumer per object at " +
    "once. Consumers of w1's objects make the owner rebuild them from lineage, while the owner (the driver) and the " +
    "GCS also serve every other consumer's submission, lookups and completions. Recovery time (from the kill to the " +
    "last re-executed attempt's end) is measured for N = 4, 8, 16, … up to `maxNodes`, once with costs " +
    '"ray-2018" and once with costs "free" (every message handled instantly), and the GCS\'s and the owner\'s queue ' +
    "lengths are shown over time for the largest N.",
  params: {
    maxNodes: {
      kind: "int",
      min: 4,
      max: 512,
      default: 32,
      full: 128,
      description: "largest cluster (N swept over powers of two from 4)",
    },
    objectsPerNode: {
      kind: "int",
      min: 1,
      max: 100_000,
      default: 25,
      full: 200,
      description: "objects each worker holds when w1 dies",
    },
    objectBytes: {
      kind: "number",
      min: 0,
      max: 1e9,
      default: 1e5,
      unit: "bytes",
      description: "size of each object",
    },
    taskMs: {
      kind: "number",
      min: 0,
      max: 10_000,
      default: 1,
      unit: "ms",
      description: "duration of each producer and consumer task",
    },
  },
  async run(params, seed, progress): Promise<ScenarioResult> {
    const sizes = stormSizes(params.maxNodes);
    const rows: SizeRow[] = [];
    let lengths: LengthRow[] = [];
    const work = 2 * sizes.reduce((a, n) => a + n, 0);
    let done = 0;
    for (const costs of ["ray-2018", "free"] as const) {
      for (const nodes of sizes) {
        const r = await runStorm(
          {
            nodes,
            objectsPerNode: params.objectsPerNode,
            objectBytes: params.objectBytes,
            taskMs: params.taskMs,
            costs,
          },
          seed,
          100,
          10,
        );
        rows.push(sizeRowOf(r, nodes, costs, params.objectsPerNode));
        if (costs === "ray-2018" && nodes === sizes[sizes.length - 1])
          lengths = lengthRows(r.queues, r.stormStartMs - 10);
        done += nodes;
        progress(done / work);
      }
    }
    return {
      tables: {
        sizes: table(
          [
            "nodes",
            "costs",
            "objects",
            "recoveryMs",
            "rebuildMs",
            "stormMs",
            "detectionDelayMs",
            "reexecuted",
            "gcsPeakQueue",
            "ownerPeakQueue",
            "gcsBusyFraction",
            "ownerBusyFraction",
          ],
          rows,
        ),
        queueLengths: table(["process", "tMs", "length"], lengths),
      },
      headlines: headlinesOf(rows),
      plots: plotsOf(sizes[sizes.length - 1]!),
    };
  },
});

function headlinesOf(rows: readonly SizeRow[]): ScenarioResult["headlines"] {
  const costed = rows.filter((r) => r.costs === "ray-2018");
  const free = rows.filter((r) => r.costs === "free");
  const first = costed[0]!;
  const last = costed[costed.length - 1]!;
  const freeFirst = free[0]!;
  const freeLast = free[free.length - 1]!;
  return [
    {
      key: "recoveryMs",
      label: `recovery time on ${last.nodes} nodes (kill to the last lost object rebuilt)`,
      value: last.recoveryMs,
      unit: "ms",
    },
    {
      key: "rebuildMs",
      label: `rebuild time on ${last.nodes} nodes (storm start to the last lost object rebuilt)`,
      value: last.rebuildMs,
      unit: "ms",
    },
    {
      key: "rebuildGrowth",
      label: `rebuild time on ${last.nodes} nodes over that on ${first.nodes}`,
      value: last.rebuildMs / first.rebuildMs,
      unit: "×",
      reference: {
        value: freeLast.rebuildMs / freeFirst.rebuildMs,
        label: "free control plane",
        source: 'the same runs with costs "free" (every message handled instantly)',
      },
    },
    {
      key: "ownerPeakQueue",
      label: `owner's longest queue during the storm, ${last.nodes} nodes`,
      value: last.ownerPeakQueue,
      unit: "messages",
    },
    {
      key: "gcsPeakQueue",
      label: `GCS's longest queue during the storm, ${last.nodes} nodes`,
      value: last.gcsPeakQueue,
      unit: "messages",
    },
    {
      key: "meanDetectionDelayMs",
      label: "mean failure detection delay",
      value: mean(costed.map((r) => r.detectionDelayMs)),
      unit: "ms",
    },
  ];
}

function plotsOf(lastNodes: number): ScenarioResult["plots"] {
  return [
    {
      kind: "points",
      name: "rebuild-vs-nodes",
      title: "Rebuild time vs cluster size, with and without control-plane costs",
      table: "sizes",
      series: "costs",
      joined: true,
      x: { column: "nodes", label: "nodes", unit: "nodes" },
      y: { column: "rebuildMs", label: "storm start to last object rebuilt", unit: "ms" },
    },
    {
      kind: "points",
      name: "queues",
      title: `Messages waiting at the GCS and the owner during the storm (${lastNodes} nodes)`,
      table: "queueLengths",
      series: "process",
      joined: true,
      x: { column: "tMs", label: "time", unit: "ms" },
      y: { column: "length", label: "messages waiting (max per ms)", unit: "messages" },
    },
  ];
}

/** One storm's row of the sizes table: its times and how busy the GCS and the owner got. */
function sizeRowOf(
  r: Awaited<ReturnType<typeof runStorm>>,
  nodes: number,
  costs: SizeRow["costs"],
  objectsPerNode: number,
): SizeRow {
  const gcs = peak(r.queues, (q) => q.kind === "gcs", r.stormStartMs);
  const owner = peak(r.queues, (q) => q.process.startsWith("driver@"), r.stormStartMs);
  return {
    nodes,
    costs,
    objects: nodes * objectsPerNode,
    recoveryMs: r.recoveryMs,
    rebuildMs: r.rebuildMs,
    stormMs: r.stormMs,
    detectionDelayMs: r.detectionDelayMs,
    reexecuted: r.reexecuted,
    gcsPeakQueue: gcs.length,
    ownerPeakQueue: owner.length,
    gcsBusyFraction: gcs.busy,
    ownerBusyFraction: owner.busy,
  };
}
