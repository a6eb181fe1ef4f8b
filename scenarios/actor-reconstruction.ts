/**
 * Fig 11b of the Ray paper: many actors, two of ten nodes killed; the lost actors are restarted
 * elsewhere and replay their method chain, from their last checkpoint when they take them.
 */
import { Simulation } from "../sim/index.js";
import { defineScenario, table, type ScenarioResult } from "./scenario.js";
import { mean, simulationTables } from "./output/simulation-tables.js";
import { simulationTrace } from "./output/simulation-trace.js";

export const actorReconstruction = defineScenario({
  name: "actor-reconstruction",
  title: "Actor reconstruction with and without checkpoints (Ray Fig. 11b)",
  description:
    "Moritz et al., OSDI 2018, Fig. 11b: 10 nodes run 2000 actors whose method calls form stateful-edge chains; at " +
    "t = 200 s two nodes are killed and their 400 actors are restarted on the remaining nodes, replaying the calls " +
    "after their last checkpoint from the GCS (recovered during t = 200–270 s). With checkpointing the paper re-executes " +
    "only 500 methods, against 10 k without. Here actors are created by the driver, each receives `callsPerActor` " +
    "calls of `methodMs`, the kill comes at `killAtFraction` of the calls, and `checkpointInterval` = 0 turns " +
    "checkpoints off. Scaled down at quick size (200 actors).",
  params: {
    nodes: { kind: "int", min: 3, max: 200, default: 10, description: "worker nodes" },
    actors: { kind: "int", min: 1, max: 100_000, default: 200, full: 2000, description: "actors" },
    callsPerActor: { kind: "int", min: 1, max: 100_000, default: 30, full: 50, description: "method calls per actor" },
    methodMs: { kind: "number", min: 0, max: 100_000, default: 50, unit: "ms", description: "duration of a method call in ms" },
    checkpointInterval: { kind: "int", min: 0, max: 100_000, default: 10, description: "checkpoint every this many calls (0 = never)" },
    checkpointBytes: { kind: "number", min: 0, max: 1e10, default: 1e6, unit: "bytes", description: "size of a checkpoint" },
    killAtFraction: { kind: "number", min: 0, max: 1, default: 0.6, unit: "fraction", description: "when the two nodes die, as a fraction of the calls issued" },
    restartAfterS: { kind: "number", min: 0, max: 10_000, default: 5, unit: "s", description: "how long the killed nodes stay away" },
  },
  sweep: { x: "checkpointInterval", headlines: ["callsReplayed", "meanUnavailableMs"] },
  async run(params, seed, progress, options): Promise<ScenarioResult> {
    const workers = Array.from({ length: params.nodes }, (_, i) => `w${i + 1}`);
    const cpus = Math.max(4, Math.ceil((2 * params.actors) / params.nodes));
    const sim = new Simulation({
      seed,
      nodes: [{ name: "head", cpus: 0 }, ...workers.map((name) => ({ name, cpus }))],
      keepEvents: options?.trace === true,
    });
    await sim.run(async (ray) => {
      const Acc = ray.actor(class Accumulator {
        sum = 0;
        add(x: number) {
          this.sum += x;
          return this.sum;
        }
      }, { maxRestarts: -1, checkpointInterval: params.checkpointInterval, checkpointBytes: params.checkpointBytes, methods: { add: { durationMs: params.methodMs } } });
      const handles = Array.from({ length: params.actors }, () => Acc.remote());
      const killAt = Math.floor(params.callsPerActor * params.killAtFraction);
      for (let k = 0; k < params.callsPerActor; k++) {
        if (k === killAt) for (const w of workers.slice(1, 3)) sim.faults.killNode(w, { restartAfterMs: params.restartAfterS * 1000 });
        // One call per actor per round, awaited: the outputs live on the driver's node too.
        await ray.get(handles.map((h) => h.add.remote(1)));
        progress((k + 1) / params.callsPerActor);
      }
    });
    const { tables, bucketMs } = simulationTables(sim, { attempts: false, bucketMs: 1000 });
    const actorRows = sim.metrics.actorRecovery();
    tables.actorRecovery = table(["actorId", "failureMs", "restartedMs", "restartMs", "checkpointSeq", "checkpointLoadMs", "callsReplayed", "servingMs", "unavailableMs"], actorRows);
    const s = sim.metrics.summary();
    return {
      ...simulationTrace(sim, options),
      tables,
      headlines: [
        { key: "actorsRestarted", label: "actors restarted", value: actorRows.length, unit: "actors" },
        {
          key: "callsReplayed", label: "method calls replayed", value: s.callsReplayed ?? 0, unit: "calls",
          reference: { value: params.checkpointInterval > 0 ? 500 : 10_000, label: "Ray paper", source: "Fig. 11b (400 actors recovered): 500 re-executed with checkpoints, 10 k without" },
        },
        { key: "meanRestartMs", label: "mean time to a new instance", value: mean(actorRows.map((r) => r.restartMs)), unit: "ms" },
        { key: "meanCheckpointLoadMs", label: "mean checkpoint load time", value: mean(actorRows.map((r) => r.checkpointLoadMs)), unit: "ms" },
        { key: "meanUnavailableMs", label: "mean time until the actor serves again", value: mean(actorRows.map((r) => r.unavailableMs)), unit: "ms" },
        { key: "checkpointOverheadMs", label: "time spent writing checkpoints (all actors)", value: s.checkpointOverheadMs ?? 0, unit: "ms" },
      ],
      plots: [
        { kind: "throughput", name: "throughput", title: "Method calls per second: original, replay, checkpoint", table: "throughput", bucketMs, causes: ["original", "replay", "checkpoint"], faults: { table: "faults", labelColumns: ["fault", "target"] } },
        { kind: "cdf", name: "unavailable-cdf", title: "Time each restarted actor was unavailable", table: "actorRecovery", value: { column: "unavailableMs", label: "unavailable", unit: "ms" } },
      ],
    };
  },
});
