/**
 * Simulated empty tasks per wall-second on the Fig 8b workload (Ray paper: a driver per node
 * submitting empty tasks), at 1, 10 and 100 nodes, and heap bytes per completed task. Each node's
 * "driver" is a task pinned to the node by a custom resource that submits waves of empty tasks
 * and gets them; the local scheduler keeps them (the node is not overloaded), as in the paper.
 */
import { Simulation } from "../sim/index.js";
import type { CostsConfig } from "../sim/costs.js";

export interface Fig8bOptions {
  cpus?: number;
  costs?: CostsConfig;
}

/**
 * One GCS shard per node: with costs, a shard serves ≈ 28 k tasks/s (7 requests of 5 µs each per
 * task), so one shard for a cluster would measure the GCS, not the raylets (and its RPC resends).
 */
export async function runFig8b(
  nodes: number,
  tasksPerNode: number,
  waveSize: number,
  options: Fig8bOptions = {},
): Promise<{
  tasks: number;
  wallMs: number;
  virtualMs: number;
  steadyTasksPerVirtualSec: number;
  heapBytes: number;
  events: number;
  sim: Simulation;
}> {
  const sim = new Simulation({
    seed: 1,
    nodes: Array.from({ length: nodes }, (_, i) => ({
      name: `n${i}`,
      cpus: options.cpus ?? 16,
      resources: { [`at${i}`]: 1 },
    })),
    scheduler: { queueThreshold: 1_000_000 },
    gcs: { shards: nodes },
    keepEvents: false,
    costs: options.costs ?? "ray-2018",
  });
  (globalThis as { gc?: () => void }).gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const start = performance.now();
  let heapPeak = heapBefore;
  await sim.run(async (ray) => {
    const empty = ray.remote(() => null, {
      name: "empty",
      durationMs: 0,
      returnBytes: 8,
      resources: { CPU: 1 },
    });
    const nodeDriver = ray.remote(
      async () => {
        for (let done = 0; done < tasksPerNode; done += waveSize) {
          const refs = [];
          for (let k = 0; k < waveSize; k++) refs.push(empty.remote());
          await ray.get(refs);
          heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
        }
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
  const wallMs = performance.now() - start;
  const tasks = nodes * tasksPerNode;
  return {
    tasks,
    wallMs,
    virtualMs: sim.nowMs,
    steadyTasksPerVirtualSec: steadyRate(sim, nodes * waveSize),
    heapBytes: heapPeak - heapBefore,
    events: sim.world.kernel.eventsProcessed,
    sim,
  };
}

/**
 * Empty tasks per virtual second after the first wave: the start-up (each node's driver task holds
 * a worker, so the first wave waits for one more worker process to start, worker.startUs) is not
 * Fig 8b's steady rate.
 */
function steadyRate(sim: Simulation, firstWave: number): number {
  const ends = sim.metrics
    .taskAttempts()
    .filter((r) => r.name === "empty" && r.outcome === "ok")
    .map((r) => r.endMs)
    .sort((a, b) => a - b);
  if (ends.length <= firstWave) return NaN;
  const spanMs = ends.at(-1)! - ends[firstWave - 1]!;
  return Math.round((ends.length - firstWave) / (spanMs / 1000));
}

/** The process whose queue was busiest, and how busy (with costs, the bottleneck). */
function busiest(sim: Simulation): { process: string; busyFraction: number } {
  let top = { process: "", busyFraction: 0 };
  for (const q of sim.metrics.queues())
    if (q.busyFraction > top.busyFraction)
      top = { process: q.process, busyFraction: Number(q.busyFraction.toFixed(3)) };
  return top;
}

/**
 * Per node count, the run with Ray 2018's control-plane costs and the free one (the simulator
 * before service times: what the queues cost in events and wall time is the difference). Then the
 * calibration point: one 4-CPU node against Fig 8b's ≈ 18.5 k tasks/s per node.
 */
export async function benchThroughput(): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  await runFig8b(2, 2000, 500); // warm up the JIT
  for (const [nodes, perNode] of [
    [1, 100_000],
    [10, 10_000],
    [100, 1_000],
  ] as const) {
    for (const costs of ["ray-2018", "free"] as const) {
      const r = await runFig8b(nodes, perNode, 500, { costs });
      out.push({
        bench: "fig8b.emptyTasks",
        costs,
        nodes,
        tasks: r.tasks,
        simulatedTasksPerWallSec: Math.round(r.tasks / (r.wallMs / 1000)),
        simulatedTasksPerVirtualSec: Math.round(r.tasks / (r.virtualMs / 1000)),
        steadyPerNodeTasksPerVirtualSec: Math.round(r.steadyTasksPerVirtualSec / nodes),
        eventsPerTask: Number((r.events / r.tasks).toFixed(1)),
        heapBytesPerTask: Math.round(r.heapBytes / r.tasks),
        wallMs: Math.round(r.wallMs),
        busiest: busiest(r.sim),
        seed: 1,
      });
    }
  }
  const c = await runFig8b(1, 20_000, 500, { cpus: 4 });
  out.push({
    bench: "fig8b.calibration",
    costs: "ray-2018",
    nodes: 1,
    cpus: 4,
    tasks: c.tasks,
    simulatedTasksPerVirtualSec: Math.round(c.tasks / (c.virtualMs / 1000)),
    steadyPerNodeTasksPerVirtualSec: c.steadyTasksPerVirtualSec,
    reference: 18_500,
    referenceSource: "Ray paper Fig 8b: 100 M empty tasks in 54 s on 100 nodes",
    busiest: busiest(c.sim),
    seed: 1,
  });
  return out;
}
