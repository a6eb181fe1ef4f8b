/**
 * A random task DAG on a cluster that loses nodes: how long detection takes, how long recovery
 * takes, and how much work is re-executed (retries of tasks that were running, reconstruction of
 * lost objects from lineage).
 */
import seedrandom from "seedrandom";
import { Simulation, type ObjectRef } from "../sim/index.js";
import { defineScenario, type ScenarioResult } from "./scenario.js";
import { mean, recoveryPlots, simulationTables } from "./output/simulation-tables.js";
import { simulationTrace } from "./output/simulation-trace.js";

export const dagRecovery = defineScenario({
  name: "dag-recovery",
  title: "A random task DAG under node kills: detection, recovery, re-execution",
  description:
    "A driver submits a random DAG of `tasks` tasks (each takes up to `maxFanIn` earlier results as arguments; " +
    "durations exponential with mean `taskMsMean`; results of `objectBytes`) to `nodes` nodes, and gets every result. " +
    "`kills` worker nodes are killed at evenly spaced times during the run and come back empty `restartAfterMs` later. " +
    "Failure detection is by heartbeats (Ray's raylet-era 100 ms interval; `missedHeartbeats` of them). Tasks that ran " +
    "on a dead node are retried by their owner; lost results needed later are rebuilt from the GCS task table " +
    "(Moritz et al., OSDI 2018, §4.2.3).",
  params: {
    nodes: {
      kind: "int",
      min: 2,
      max: 500,
      default: 10,
      description: "nodes (the first holds the driver)",
    },
    tasks: { kind: "int", min: 1, max: 1_000_000, default: 1000, description: "tasks in the DAG" },
    maxFanIn: {
      kind: "int",
      min: 0,
      max: 16,
      default: 2,
      description: "most arguments a task takes",
    },
    taskMsMean: {
      kind: "number",
      min: 0,
      max: 1e6,
      default: 50,
      unit: "ms",
      description: "mean task duration in ms",
    },
    objectBytes: {
      kind: "number",
      min: 0,
      max: 1e9,
      default: 1e6,
      unit: "bytes",
      description: "size of each result",
    },
    kills: { kind: "int", min: 0, max: 100, default: 3, description: "node kills during the run" },
    restartAfterMs: {
      kind: "number",
      min: 0,
      max: 1e7,
      default: 2000,
      unit: "ms",
      description: "downtime of a killed node in ms",
    },
    missedHeartbeats: {
      kind: "int",
      min: 2,
      max: 1000,
      default: 10,
      description: "missed 100 ms heartbeats before a node is declared dead",
    },
  },
  sweep: { x: "missedHeartbeats", headlines: ["meanRecoveryMs", "reexecutedTasks"] },
  async run(params, seed, progress, options): Promise<ScenarioResult> {
    const names = Array.from({ length: params.nodes }, (_, i) => (i === 0 ? "head" : `w${i}`));
    const sim = new Simulation({
      seed,
      nodes: names.map((name) => ({ name, cpus: 4, objectStoreBytes: 2e9 })),
      failureDetection: { heartbeatMs: 100, missedHeartbeats: params.missedHeartbeats },
      defaults: { maxRetries: -1 },
      keepEvents: options?.trace === true,
    });
    // Kill evenly over the DAG's expected span (its work spread over the cluster's CPUs).
    const spanMs = Math.max(1000, ((params.tasks * params.taskMsMean) / (4 * params.nodes)) * 2);
    for (let k = 0; k < params.kills && params.nodes > 1; k++) {
      sim.faults.killNode(names[1 + (k % (params.nodes - 1))]!, {
        atMs: ((k + 1) * spanMs) / (params.kills + 1),
        restartAfterMs: params.restartAfterMs,
      });
    }
    await sim.run(async (ray) => {
      const rng = seedrandom.alea(`${seed}/dag`);
      const f = ray.remote((...xs: number[]) => xs.reduce((a, b) => (a * 31 + b) % 1_000_003, 7), {
        name: "dagTask",
        durationMs: { dist: "exp", meanMs: params.taskMsMean },
        returnBytes: params.objectBytes,
      });
      const refs: ObjectRef<number>[] = [];
      for (let i = 0; i < params.tasks; i++) {
        const fanIn = i === 0 ? 0 : Math.floor(rng() * (params.maxFanIn + 1));
        refs.push(f.remote(...Array.from({ length: fanIn }, () => refs[Math.floor(rng() * i)]!)));
      }
      let done = 0;
      for (const r of refs) {
        await ray.wait([r], { fetchLocal: false });
        progress(++done / refs.length);
      }
      await ray.get(refs);
    });
    const { tables, bucketMs } = simulationTables(sim, { attempts: false });
    return {
      ...simulationTrace(sim, options),
      tables,
      headlines: headlinesOf(sim),
      plots: plotsOf(bucketMs),
    };
  },
});

function headlinesOf(sim: Simulation): ScenarioResult["headlines"] {
  const recovery = sim.metrics.recovery();
  const s = sim.metrics.summary();
  return [
    {
      key: "makespanMs",
      label: "time to finish the DAG",
      value: s.makespanMs ?? 0,
      unit: "ms",
    },
    // No reference: 100 ms × missedHeartbeats is the configured timeout, not a measurement.
    {
      key: "meanDetectionDelayMs",
      label: "mean detection delay (configured timeout: 100 ms × missedHeartbeats)",
      value: mean(recovery.map((r) => r.detectionDelayMs)),
      unit: "ms",
    },
    {
      key: "meanRecoveryMs",
      label: "mean recovery time per kill",
      value: mean(recovery.map((r) => r.recoveryMs)),
      unit: "ms",
    },
    {
      key: "reexecutedTasks",
      label: "re-executed attempts",
      value: s.reexecuted ?? 0,
      unit: "tasks",
    },
    {
      key: "wastedTaskMs",
      label: "work lost with the killed nodes",
      value: s.wastedTaskMs ?? 0,
      unit: "ms",
    },
  ];
}

function plotsOf(bucketMs: number): ScenarioResult["plots"] {
  return recoveryPlots(bucketMs, {
    tasks: "DAG",
    removal: "node kill",
    removedNode: "killed node",
  });
}
