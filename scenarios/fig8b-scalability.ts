/**
 * Fig 8b of the Ray paper: end-to-end scalability on empty tasks. What bounds it here is the
 * control plane's service times (sim/costs.ts): with `costs: "free"` every node would run tens of
 * millions of empty tasks per second.
 */
import { Simulation } from "../sim/index.js";
import { defineScenario, table, type ScenarioResult } from "./scenario.js";

/** 100 M tasks in 54 s on 100 nodes (paper, §5.1 Fig 8b). */
const PAPER_TASKS_PER_SEC_AT_100 = 100e6 / 54;
const PAPER_PER_NODE = PAPER_TASKS_PER_SEC_AT_100 / 100;
/** The paper's x values (70, 80 and 90 were left out for cost). */
const PAPER_NODES = [10, 20, 30, 40, 50, 60, 100];

interface PointRow {
  nodes: number;
  tasks: number;
  virtualMs: number;
  tasksPerSec: number;
  perNodeTasksPerSec: number;
  paperTasksPerSec: number;
}

/** The cluster sizes measured: the paper's up to `maxNodes` (powers of two below 10), from 1. */
export function clusterSizes(maxNodes: number): number[] {
  const xs =
    maxNodes >= 10
      ? [1, ...PAPER_NODES.filter((n) => n <= maxNodes)]
      : [1, 2, 4, 8].filter((n) => n <= maxNodes);
  if (!xs.includes(maxNodes)) xs.push(maxNodes);
  return xs;
}

interface Fig8bRun {
  tasks: number;
  virtualMs: number;
}

/**
 * When the timed waves start, in virtual ms: after a warm-up wave on every node. A wave wider than
 * the free workers makes the raylet start another worker process (worker.startUs, 0.2 s); the
 * paper's 100 M tasks amortise such start-up, a short run would measure it.
 */
const TIMED_FROM_MS = 1000;

/**
 * One cluster size: a driver per node (a task pinned to its node by a custom resource, as the
 * paper's benchmark ran one driver per node) submits a warm-up wave, waits for the common start,
 * then submits `tasksPerNode` empty tasks in waves of `waveSize` and gets each wave. The local
 * scheduler keeps them (the node is not overloaded). One GCS shard per node, as Ray shards its
 * tables: the raylets, not one shard, are what is measured.
 */
async function runCluster(
  nodes: number,
  tasksPerNode: number,
  waveSize: number,
  cpus: number,
  seed: number,
): Promise<Fig8bRun> {
  const sim = new Simulation({
    seed,
    nodes: Array.from({ length: nodes }, (_, i) => ({
      name: `n${i}`,
      cpus,
      resources: { [`at${i}`]: 1 },
    })),
    scheduler: { queueThreshold: 1_000_000 },
    gcs: { shards: nodes },
    keepEvents: false,
  });
  let lastMs = 0;
  await sim.run(async (ray) => {
    const empty = ray.remote(() => null, {
      name: "empty",
      durationMs: 0,
      returnBytes: 8,
      resources: { CPU: 1 },
    });
    const wave = (size: number) => ray.get(Array.from({ length: size }, () => empty.remote()));
    const nodeDriver = ray.remote(
      async () => {
        await wave(waveSize);
        if (ray.now() > TIMED_FROM_MS)
          throw new Error(
            `fig8b: a node's warm-up wave ended at ${ray.now()} ms, after the timed start at ${TIMED_FROM_MS} ms`,
          );
        await ray.sleep(TIMED_FROM_MS - ray.now());
        for (let done = 0; done < tasksPerNode; done += waveSize)
          await wave(Math.min(waveSize, tasksPerNode - done));
        lastMs = Math.max(lastMs, ray.now());
        return null;
      },
      { name: "nodeDriver", resources: { CPU: 0 } },
    );
    await ray.get(
      Array.from({ length: nodes }, (_, i) =>
        nodeDriver.options({ resources: { CPU: 0, [`at${i}`]: 1 } }).remote(),
      ),
    );
  });
  return { tasks: nodes * tasksPerNode, virtualMs: lastMs - TIMED_FROM_MS };
}

export const fig8bScalability = defineScenario({
  name: "fig8b-scalability",
  title: "End-to-end scalability: empty tasks per second vs cluster size (Ray Fig. 8b)",
  description:
    "Moritz et al., OSDI 2018, Fig. 8b: embarrassingly parallel empty tasks on m4.16xlarge nodes (64 vCPU), one " +
    "driver per node; the paper reports near-perfect linear scaling, more than 1 M tasks/s at 60 nodes and 100 M " +
    "tasks in 54 s (≈ 1.85 M tasks/s, ≈ 18.5 k per node) at 100. Each cluster size here is its own run: a driver " +
    "task pinned to every node submits a warm-up wave (the workers start), then from t = 1 s `tasksPerNode` empty " +
    "tasks in waves of `waveSize`, getting each wave; throughput is all timed tasks over the time from 1 s to the last " +
    "driver's end. What limits it is " +
    "the control plane's service times (costs \"ray-2018\": the raylet's event loop, the owner, the GCS shards). The " +
    "quick size stops at 8 nodes: its reference is the paper's per-node rate times the nodes (scaled down).",
  params: {
    maxNodes: {
      kind: "int",
      min: 1,
      max: 200,
      default: 8,
      full: 100,
      description: "largest cluster measured (the paper's sizes up to it)",
    },
    tasksPerNode: {
      kind: "int",
      min: 10,
      max: 10_000_000,
      default: 300,
      full: 5000,
      description: "empty tasks each node's driver submits",
    },
    waveSize: {
      kind: "int",
      min: 1,
      max: 100_000,
      default: 100,
      full: 500,
      description: "tasks a driver submits before it gets them",
    },
    cpus: {
      kind: "int",
      min: 1,
      max: 256,
      default: 64,
      description: "CPUs per node (m4.16xlarge: 64 vCPU)",
    },
  },
  async run(params, seed, progress): Promise<ScenarioResult> {
    const sizes = clusterSizes(params.maxNodes);
    const rows: PointRow[] = [];
    const work = sizes.reduce((a, n) => a + n, 0);
    let done = 0;
    for (const nodes of sizes) {
      const r = await runCluster(nodes, params.tasksPerNode, params.waveSize, params.cpus, seed);
      const tasksPerSec = r.tasks / (r.virtualMs / 1000);
      rows.push({
        nodes,
        tasks: r.tasks,
        virtualMs: r.virtualMs,
        tasksPerSec,
        perNodeTasksPerSec: tasksPerSec / nodes,
        paperTasksPerSec: PAPER_PER_NODE * nodes,
      });
      done += nodes;
      progress(done / work);
    }
    return {
      tables: {
        scalability: table(
          ["nodes", "tasks", "virtualMs", "tasksPerSec", "perNodeTasksPerSec", "paperTasksPerSec"],
          rows,
        ),
      },
      headlines: headlinesOf(rows),
      plots: plotsOf(),
    };
  },
});

function headlinesOf(rows: readonly PointRow[]): ScenarioResult["headlines"] {
  const one = rows[0]!;
  const top = rows[rows.length - 1]!;
  const scaled = top.nodes < 100 ? " (scaled down)" : "";
  const at60 = rows.find((r) => r.nodes === 60);
  return [
    {
      key: "tasksPerSec",
      label: `empty tasks per second on ${top.nodes} nodes`,
      value: top.tasksPerSec,
      unit: "tasks/s",
      reference: {
        value: PAPER_PER_NODE * top.nodes,
        label: `paper${scaled}`,
        source: `Ray paper Fig. 8b: 100 M tasks in 54 s on 100 nodes = 18.5 k tasks/s per node, × ${top.nodes} nodes`,
      },
    },
    ...(at60 === undefined
      ? []
      : [
          {
            key: "tasksPerSecAt60",
            label: "empty tasks per second on 60 nodes",
            value: at60.tasksPerSec,
            unit: "tasks/s",
            reference: {
              value: 1e6,
              label: "paper (lower bound)",
              source: "Ray paper Fig. 8b: > 1 M tasks/s at 60 nodes",
            },
          },
        ]),
    {
      key: "scalingEfficiency",
      label: `throughput on ${top.nodes} nodes over ${top.nodes} × one node's`,
      value: top.tasksPerSec / (top.nodes * one.tasksPerSec),
      unit: "fraction",
      reference: {
        value: 1,
        label: "linear",
        source: 'Ray paper Fig. 8b: "near-perfect linear" scaling',
      },
    },
  ];
}

function plotsOf(): ScenarioResult["plots"] {
  return [
    {
      kind: "points",
      name: "scalability",
      title: "Empty tasks per second vs nodes (paper: 18.5 k per node)",
      table: "scalability",
      joined: true,
      x: { column: "nodes", label: "nodes", unit: "nodes" },
      y: { column: "tasksPerSec", label: "throughput", unit: "tasks/s" },
    },
    {
      kind: "points",
      name: "per-node",
      title: "Empty tasks per second per node",
      table: "scalability",
      joined: true,
      x: { column: "nodes", label: "nodes", unit: "nodes" },
      y: { column: "perNodeTasksPerSec", label: "throughput per node", unit: "tasks/s" },
      references: [{ value: PAPER_PER_NODE, label: "paper: 18.5 k tasks/s per node" }],
    },
  ];
}
