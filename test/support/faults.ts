/**
 * Fault schedules as fast-check arbitraries (STYLE.md §5): a list of faults, each with a kind, a
 * time within the horizon, a duration and a target picked by index, sorted by time so every shrunk
 * schedule stays in order. Only recoverable faults: node kills always restart, the driver's node is
 * never a target, GPUs are repaired. `describe` prints each fault as the `sim.faults` call.
 */
import fc from "fast-check";
import type { ObjectRef, Simulation } from "../../sim/index.js";

export type FaultSpec =
  | { kind: "kill"; atMs: number; node: number; restartAfterMs: number }
  | { kind: "evict"; atMs: number; task: number }
  | { kind: "crash"; atMs: number; task: number; times: number }
  | { kind: "gpu"; atMs: number; node: number; repairAfterMs: number };

export function faultScheduleArbitrary(options: {
  horizonMs: number;
  maxFaults?: number;
  minFaults?: number;
}): fc.Arbitrary<FaultSpec[]> {
  const at = fc.integer({ min: 0, max: options.horizonMs });
  const fault = fc.oneof(
    fc.record({
      kind: fc.constant("kill" as const),
      atMs: at,
      node: fc.nat(),
      restartAfterMs: fc.integer({ min: 0, max: 3000 }),
    }),
    fc.record({ kind: fc.constant("evict" as const), atMs: at, task: fc.nat() }),
    fc.record({
      kind: fc.constant("crash" as const),
      atMs: at,
      task: fc.nat(),
      times: fc.integer({ min: 1, max: 3 }),
    }),
    fc.record({
      kind: fc.constant("gpu" as const),
      atMs: at,
      node: fc.nat(),
      repairAfterMs: fc.integer({ min: 0, max: 2000 }),
    }),
  );
  return fc
    .array(fault, { minLength: options.minFaults ?? 0, maxLength: options.maxFaults ?? 5 })
    .map((fs) => [...fs].sort((a, b) => a.atMs - b.atMs));
}

/** Schedules every fault; evictions need the refs, so they are scheduled once the DAG is submitted. */
export function applyFaults(
  sim: Simulation,
  faults: readonly FaultSpec[],
  workers: readonly string[],
  taskNames: (i: number) => string,
  taskCount: number,
): (refs: readonly ObjectRef[]) => void {
  for (const f of faults) {
    if (f.kind === "kill")
      sim.faults.killNode(workers[f.node % workers.length]!, {
        atMs: f.atMs,
        restartAfterMs: f.restartAfterMs,
      });
    if (f.kind === "crash")
      sim.faults.crashWorkers({
        atMs: f.atMs,
        task: taskNames(f.task % taskCount),
        times: f.times,
      });
    if (f.kind === "gpu")
      sim.faults.failGpu(workers[f.node % workers.length]!, 0, {
        atMs: f.atMs,
        repairAfterMs: f.repairAfterMs,
      });
  }
  return (refs) => {
    for (const f of faults)
      if (f.kind === "evict") sim.faults.evict(refs[f.task % refs.length]!, { atMs: f.atMs });
  };
}

export function describeFaults(
  faults: readonly FaultSpec[],
  workers: readonly string[],
  taskNames: (i: number) => string,
  taskCount: number,
): string {
  return faults
    .map((f) => {
      switch (f.kind) {
        case "kill":
          return `sim.faults.killNode("${workers[f.node % workers.length]}", { atMs: ${f.atMs}, restartAfterMs: ${f.restartAfterMs} })`;
        case "evict":
          return `sim.faults.evict(refs[${f.task}], { atMs: ${f.atMs} })`;
        case "crash":
          return `sim.faults.crashWorkers({ atMs: ${f.atMs}, task: "${taskNames(f.task % taskCount)}", times: ${f.times} })`;
        case "gpu":
          return `sim.faults.failGpu("${workers[f.node % workers.length]}", 0, { atMs: ${f.atMs}, repairAfterMs: ${f.repairAfterMs} })`;
      }
    })
    .join("\n");
}
