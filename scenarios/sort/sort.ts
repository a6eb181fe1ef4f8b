/**
 * The lecture's sorting application with tasks: map tasks range-partition their input block into
 * one object per output partition (`numReturns`), reduce tasks pull their partition from every map
 * (the shuffle) and sort it. Nodes are killed mid-shuffle; lost map outputs are rebuilt from the
 * lineage in the GCS task table, and every run must produce the failure-free output.
 */
import { Simulation, type ObjectRef } from "../../sim/index.js";
import {
  defineScenario,
  table,
  type Headline,
  type ParamsOf,
  type ScenarioResult,
  type Table,
} from "../scenario.js";
import { simulationTables } from "../output/simulation-tables.js";
import { simulationTrace } from "../output/simulation-trace.js";
import {
  digest,
  expectedDigests,
  mapInput,
  rangePartition,
  sameDigests,
  type Digest,
} from "./data.js";

const PARAMS = {
  nodes: { kind: "int", min: 2, max: 500, default: 8, full: 50, description: "worker nodes" },
  cpusPerNode: {
    kind: "int",
    min: 1,
    max: 128,
    default: 4,
    full: 8,
    description: "CPUs per worker node",
  },
  dataBytes: {
    kind: "number",
    min: 1e3,
    max: 1e13,
    default: 4e9,
    full: 100e9,
    unit: "bytes",
    description: "bytes sorted",
  },
  maps: {
    kind: "int",
    min: 1,
    max: 10_000,
    default: 16,
    full: 100,
    description: "map tasks (input blocks)",
  },
  partitions: {
    kind: "int",
    min: 1,
    max: 10_000,
    default: 32,
    full: 1000,
    description: "output partitions: reduce tasks, and each map's numReturns",
  },
  keysPerMap: {
    kind: "int",
    min: 1,
    max: 1_000_000,
    default: 2000,
    description:
      "real keys each map generates and the sort orders (the declared bytes are dataBytes)",
  },
  cpuBytesPerSec: {
    kind: "number",
    min: 1e3,
    max: 1e12,
    default: 100e6,
    unit: "bytes/s",
    description: "bytes one CPU partitions (map) or sorts (reduce) per second",
  },
  maxFailures: {
    kind: "int",
    min: 0,
    max: 10,
    default: 3,
    description: "runs with 0, 1, ... maxFailures nodes killed mid-shuffle",
  },
  restartAfterS: {
    kind: "number",
    min: 0,
    max: 10_000,
    default: 5,
    unit: "s",
    description: "how long a killed node stays away, in s",
  },
} as const;

type Params = ParamsOf<typeof PARAMS>;

/** 25 Gbps, the Ray paper's AWS links (set explicitly: the shuffle bound below uses it). */
const NIC_BYTES_PER_SEC = 3.125e9;

interface SortRun {
  failures: number;
  sim: Simulation;
  completionMs: number;
  /** The last original map attempt's end: the shuffle starts in earnest. */
  mapEndMs: number;
  digests: Digest[];
}

export const sort = defineScenario({
  name: "sort",
  title: "Distributed sort with tasks: map, shuffle, reduce under node kills",
  description:
    "The lecture's sorting application written with Ray tasks (the shape of Ray's sort benchmarks): `maps` map tasks " +
    "each read an input block of dataBytes / maps, range-partition it and return one object per output partition " +
    "(`numReturns` = `partitions`, `returnBytes` = dataBytes / (maps × partitions)); `partitions` reduce tasks each " +
    "take their block from every map — the all-to-all shuffle — and sort it. A CPU handles `cpuBytesPerSec` in either " +
    "stage. The keys are real (`keysPerMap` per block, generated from the seed) and every run's output is checked " +
    "against the failure-free one by a valsort-style digest per partition. The same job is run with 0 … `maxFailures` " +
    "worker nodes killed during the shuffle (spread over the first half of the failure-free reduce stage, alternately the node running the most reduces and the one that ran the most maps, each back " +
    "empty after `restartAfterS`): map outputs on a killed node are rebuilt from their lineage when a reduce needs " +
    "them, and reduces that ran there are retried. Quick size sorts 4 GB in 32 partitions on 8 nodes; --full sorts " +
    "100 GB in 1000 partitions on 50 nodes of 8 CPUs.",
  params: PARAMS,
  sweep: {
    x: "maxFailures",
    headlines: ["completionMsAtMaxFailures", "mapsReexecutedAtMaxFailures"],
  },
  check(p) {
    if (p.keysPerMap * p.maps > 50_000_000)
      return `keysPerMap × maps must be <= 50000000 (real keys held in memory), got ${p.keysPerMap * p.maps}`;
    return undefined;
  },
  async run(params, seed, progress, options): Promise<ScenarioResult> {
    const expected = expectedDigests(seed, params.maps, params.keysPerMap, params.partitions);
    const runs: SortRun[] = [];
    for (let f = 0; f <= params.maxFailures; f++) {
      const last = f === params.maxFailures;
      runs.push(await runSort(params, seed, f, runs[0], last && options?.trace === true));
      progress((f + 1) / (params.maxFailures + 1));
    }
    return results(params, runs, expected, options);
  },
});

function workerNames(params: Params): string[] {
  return Array.from({ length: params.nodes }, (_, i) => `w${i + 1}`);
}

/** Runs the job once with `failures` nodes killed during the failure-free run's reduce stage. */
async function runSort(
  params: Params,
  seed: number,
  failures: number,
  baseline: SortRun | undefined,
  trace: boolean,
): Promise<SortRun> {
  const workers = workerNames(params);
  // Room for a node's map outputs, the blocks it pulls and its sorted partitions, twice over
  // (a node that takes over a killed node's work holds more).
  const objectStoreBytes = Math.max(2e9, (6 * params.dataBytes) / params.nodes);
  const sim = new Simulation({
    seed,
    nodes: [
      { name: "head", cpus: 0 },
      ...workers.map((name) => ({ name, cpus: params.cpusPerNode, objectStoreBytes })),
    ],
    network: { bandwidthBytesPerSec: NIC_BYTES_PER_SEC },
    defaults: { maxRetries: -1 },
    keepEvents: trace,
  });
  if (failures > 0) {
    if (baseline === undefined)
      throw new Error("sort: a run with failures needs the failure-free run first");
    for (const kill of killPlan(baseline, workers, failures))
      sim.faults.killNode(kill.node, {
        atMs: kill.atMs,
        restartAfterMs: params.restartAfterS * 1000,
      });
  }
  const blockBytes = params.dataBytes / params.maps;
  const partitionBytes = params.dataBytes / params.partitions;
  const { digests, completionMs } = await sim.run(async (ray) => {
    const map = ray.remote(
      (m: number) => rangePartition(mapInput(seed, m, params.keysPerMap), params.partitions),
      {
        name: "map",
        durationMs: (blockBytes / params.cpuBytesPerSec) * 1000,
        numReturns: params.partitions,
        returnBytes: blockBytes / params.partitions,
      },
    );
    // The sorted partition stays where it was made (the job's output); the driver reads its digest.
    const reduce = ray.remote((...blocks: number[][]) => reduceBlocks(blocks), {
      name: "reduce",
      durationMs: (partitionBytes / params.cpuBytesPerSec) * 1000,
      numReturns: 2,
      returnBytes: partitionBytes,
    });
    const mapOut = Array.from({ length: params.maps }, (_, m) =>
      asRefs(map.remote(m), params.partitions),
    );
    const reduced = Array.from(
      { length: params.partitions },
      (_, j) => reduce.remote(...mapOut.map((refs) => refs[j]!)) as unknown as ObjectRef<unknown>[],
    );
    const digests = (await ray.get(reduced.map((r) => r[1]!))) as Digest[];
    return { digests, completionMs: ray.now() };
  });
  const mapEndMs = sim.metrics
    .taskAttempts()
    .reduce(
      (end, a) => (a.name === "map" && a.cause === "original" ? Math.max(end, a.endMs) : end),
      0,
    );
  return { failures, sim, completionMs, mapEndMs, digests };
}

/**
 * Kill times spread over the first half of the failure-free run's reduce stage. Victims are
 * distinct nodes, alternately the one running the most reduces at that moment (they are retried
 * and pull their blocks again) and the one that ran the most maps in the failure-free run (its map
 * outputs are lost, so a retried reduce needs them rebuilt from lineage). A node with nothing
 * left to do would cost nothing.
 */
export function killPlan(
  baseline: SortRun,
  workers: readonly string[],
  failures: number,
): { node: string; atMs: number }[] {
  const windowMs = (baseline.completionMs - baseline.mapEndMs) / 2;
  const attempts = baseline.sim.metrics.taskAttempts();
  const reduces = attempts.filter((a) => a.name === "reduce");
  const maps = attempts.filter((a) => a.name === "map" && a.outcome === "ok");
  const chosen = new Set<string>();
  const plan: { node: string; atMs: number }[] = [];
  for (let i = 0; i < failures; i++) {
    const atMs = baseline.mapEndMs + ((i + 1) / (failures + 1)) * windowMs;
    const score =
      i % 2 === 1
        ? (node: string) => maps.filter((a) => a.node === node).length
        : (node: string) =>
            reduces.filter((a) => a.node === node && a.startMs <= atMs && a.endMs > atMs).length;
    const free = workers.filter((w) => !chosen.has(w));
    const node = free.reduce(
      (best, w) => (score(w) > score(best) ? w : best),
      free[0] ?? workers[i % workers.length]!,
    );
    chosen.add(node);
    plan.push({ node, atMs });
  }
  return plan;
}

/** A map's refs: an array when numReturns > 1, a single ref otherwise. */
function asRefs(refs: unknown, n: number): ObjectRef<number[]>[] {
  return (n === 1 ? [refs] : refs) as ObjectRef<number[]>[];
}

function reduceBlocks(blocks: readonly number[][]): [number[], Digest] {
  const keys: number[] = [];
  for (const b of blocks) for (const k of b) keys.push(k);
  keys.sort((a, b) => a - b);
  return [keys, digest(keys)];
}

function runRows(runs: readonly SortRun[], expected: readonly Digest[]): Record<string, unknown>[] {
  return runs.map((r) => {
    const attempts = r.sim.metrics.taskAttempts();
    const redone = (name: string) =>
      attempts.filter((a) => a.name === name && a.cause !== "original").length;
    const recovery = r.sim.metrics.recovery();
    return {
      failures: r.failures,
      completionMs: r.completionMs,
      slowdown: r.completionMs / runs[0]!.completionMs,
      mapsReexecuted: redone("map"),
      reducesReexecuted: redone("reduce"),
      meanDetectionDelayMs:
        recovery.length === 0
          ? 0
          : recovery.reduce((a, x) => a + x.detectionDelayMs, 0) / recovery.length,
      outputCorrect: sameDigests(r.digests, expected) ? 1 : 0,
    };
  });
}

function stageRows(rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.flatMap((r) => [
    { failures: String(r.failures), stage: "map", reexecuted: r.mapsReexecuted },
    { failures: String(r.failures), stage: "reduce", reexecuted: r.reducesReexecuted },
  ]);
}

function results(
  params: Params,
  runs: readonly SortRun[],
  expected: readonly Digest[],
  options: Parameters<typeof simulationTrace>[1],
): ScenarioResult {
  const last = runs[runs.length - 1]!;
  const rows = runRows(runs, expected);
  const { tables, bucketMs } = simulationTables(last.sim, { attempts: false });
  const all: Record<string, Table> = {
    ...tables,
    runs: table(
      [
        "failures",
        "completionMs",
        "slowdown",
        "mapsReexecuted",
        "reducesReexecuted",
        "meanDetectionDelayMs",
        "outputCorrect",
      ],
      rows,
    ),
    reexecutedByStage: table(["failures", "stage", "reexecuted"], stageRows(rows)),
  };
  const faults = { table: "faults", labelColumns: ["fault", "target"] } as const;
  return {
    ...simulationTrace(last.sim, options),
    tables: all,
    headlines: headlines(params, runs, rows),
    plots: [
      {
        kind: "points",
        name: "completion-vs-failures",
        title: "Sort completion time vs nodes killed mid-shuffle",
        table: "runs",
        joined: true,
        x: { column: "failures", label: "nodes killed", unit: "nodes" },
        y: { column: "completionMs", label: "job completion time", unit: "ms" },
      },
      {
        kind: "bars",
        name: "reexecuted-by-stage",
        title: "Lineage re-executed: task attempts rerun, by stage",
        table: "reexecutedByStage",
        group: { column: "failures", label: "nodes killed" },
        bar: "stage",
        value: { column: "reexecuted", label: "re-executed attempts", unit: "tasks" },
      },
      {
        kind: "throughput",
        name: "throughput",
        title: `Tasks finished per second with ${last.failures} nodes killed, by cause`,
        table: "throughput",
        bucketMs,
        causes: ["original", "retry", "reconstruction"],
        faults,
      },
    ],
  };
}

/** The failure-free job cannot beat its CPUs nor its NICs: a bound a reader can recompute. */
function lowerBoundMs(params: Params): { ms: number; source: string } {
  const cpus = params.nodes * params.cpusPerNode;
  const mapMs = (params.dataBytes / params.maps / params.cpuBytesPerSec) * 1000;
  const reduceMs = (params.dataBytes / params.partitions / params.cpuBytesPerSec) * 1000;
  const computeMs =
    Math.ceil(params.maps / cpus) * mapMs + Math.ceil(params.partitions / cpus) * reduceMs;
  // All but a node's own share crosses the network, spread over every node's ingress link.
  const shuffleMs =
    ((params.dataBytes * (params.nodes - 1)) / params.nodes / (params.nodes * NIC_BYTES_PER_SEC)) *
    1000;
  return computeMs >= shuffleMs
    ? {
        ms: computeMs,
        source:
          "compute bound: ⌈maps / CPUs⌉ × map time + ⌈partitions / CPUs⌉ × reduce time (a reduce needs every map)",
      }
    : {
        ms: shuffleMs,
        source: "shuffle bound: dataBytes × (n − 1)/n over n ingress links of 25 Gbps",
      };
}

function mapsOnVictims(params: Params, runs: readonly SortRun[]): number {
  const victims = new Set(
    killPlan(runs[0]!, workerNames(params), runs.length - 1).map((k) => k.node),
  );
  return runs[0]!.sim.metrics.taskAttempts().filter((a) => a.name === "map" && victims.has(a.node))
    .length;
}

function headlines(
  params: Params,
  runs: readonly SortRun[],
  rows: readonly Record<string, unknown>[],
): Headline[] {
  const last = rows[rows.length - 1]!;
  const f = runs.length - 1;
  const bound = lowerBoundMs(params);
  return [
    {
      key: "completionMs",
      label: "failure-free job completion time",
      value: runs[0]!.completionMs,
      unit: "ms",
      reference: { value: bound.ms, label: "lower bound", source: bound.source },
    },
    {
      key: "completionMsAtMaxFailures",
      label: `job completion time with ${f} nodes killed mid-shuffle`,
      value: last.completionMs as number,
      unit: "ms",
    },
    {
      key: "mapsReexecutedAtMaxFailures",
      label: `map attempts re-executed with ${f} nodes killed`,
      value: last.mapsReexecuted as number,
      unit: "tasks",
      reference: {
        value: mapsOnVictims(params, runs),
        label: "maps on killed nodes",
        source:
          "maps the failure-free run placed on the nodes killed (runs table, attempts): their outputs are lost and, mid-shuffle, still needed",
      },
    },
    {
      key: "reducesReexecutedAtMaxFailures",
      label: `reduce attempts re-executed with ${f} nodes killed`,
      value: last.reducesReexecuted as number,
      unit: "tasks",
    },
    {
      key: "runsWithCorrectOutput",
      label: "runs whose sorted output equals the failure-free one",
      value: rows.filter((r) => r.outputCorrect === 1).length,
      unit: "runs",
      reference: {
        value: rows.length,
        label: "runs",
        source: "lineage re-execution is deterministic: every run must sort the same keys",
      },
    },
  ];
}
