/**
 * Simulated empty tasks per wall-second on the Fig 8b workload (Ray paper: a driver per node
 * submitting empty tasks), at 1, 10 and 100 nodes, and heap bytes per completed task. Each node's
 * "driver" is a task pinned to the node by a custom resource that submits waves of empty tasks
 * and gets them; the local scheduler keeps them (the node is not overloaded), as in the paper.
 */
import { Simulation } from "../sim/index.js";

export async function runFig8b(nodes: number, tasksPerNode: number, waveSize: number): Promise<{ tasks: number; wallMs: number; virtualMs: number; heapBytes: number; events: number }> {
  const sim = new Simulation({
    seed: 1,
    nodes: Array.from({ length: nodes }, (_, i) => ({ name: `n${i}`, cpus: 16, resources: { [`at${i}`]: 1 } })),
    scheduler: { queueThreshold: 1_000_000 },
    keepEvents: false,
  });
  (globalThis as { gc?: () => void }).gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const start = performance.now();
  let heapPeak = heapBefore;
  await sim.run(async (ray) => {
    const empty = ray.remote(() => null, { name: "empty", durationMs: 0, returnBytes: 8, resources: { CPU: 1 } });
    const nodeDriver = ray.remote(async () => {
      for (let done = 0; done < tasksPerNode; done += waveSize) {
        const refs = [];
        for (let k = 0; k < waveSize; k++) refs.push(empty.remote());
        await ray.get(refs);
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      }
      return null;
    }, { name: "nodeDriver", resources: { CPU: 0 } });
    await ray.get(Array.from({ length: nodes }, (_, i) => nodeDriver.options({ resources: { CPU: 0, [`at${i}`]: 1 } }).remote()));
  });
  const wallMs = performance.now() - start;
  const tasks = nodes * tasksPerNode;
  return { tasks, wallMs, virtualMs: sim.nowMs, heapBytes: heapPeak - heapBefore, events: sim.world.kernel.eventsProcessed };
}

export async function benchThroughput(): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  await runFig8b(2, 2000, 500); // warm up the JIT
  for (const [nodes, perNode] of [[1, 100_000], [10, 10_000], [100, 1_000]] as const) {
    const r = await runFig8b(nodes, perNode, 500);
    out.push({
      bench: "fig8b.emptyTasks",
      nodes,
      tasks: r.tasks,
      simulatedTasksPerWallSec: Math.round(r.tasks / (r.wallMs / 1000)),
      simulatedTasksPerVirtualSec: Math.round(r.tasks / (r.virtualMs / 1000)),
      eventsPerTask: Number((r.events / r.tasks).toFixed(1)),
      heapBytesPerTask: Math.round(r.heapBytes / r.tasks),
      wallMs: Math.round(r.wallMs),
      seed: 1,
    });
  }
  return out;
}
