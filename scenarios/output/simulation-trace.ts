/**
 * What the `trace` command needs from a Simulation-based scenario, as two ScenarioResult fields:
 * the recorded events (streamed from the recorder, not copied), and which tasks produced each
 * task's arguments, read from the GCS task table once the run is over. Rows the lineage cap
 * evicted have no arrows. A scenario opts in with `keepEvents: options?.trace === true` in its
 * Simulation config and `...simulationTrace(sim, options)` in its result.
 */
import { creatingTaskId } from "../../core/ids.js";
import { refArgs } from "../../core/task-spec.js";
import type { Simulation } from "../../sim/index.js";
import type { RunOptions, ScenarioResult } from "../scenario.js";

export function simulationTrace(
  sim: Simulation,
  options: RunOptions | undefined,
): Pick<ScenarioResult, "trace" | "traceInputs"> {
  if (options?.trace !== true) return {};
  let inputs: Map<string, string[]> | undefined;
  return {
    trace: () => sim.world.recorder.events(),
    traceInputs: (taskId) => {
      inputs ??= argumentProducers(sim);
      return inputs.get(taskId) ?? [];
    },
  };
}

function argumentProducers(sim: Simulation): Map<string, string[]> {
  const producers = new Map<string, string[]>();
  for (const state of sim.gcs.states()) {
    if (state === undefined) continue;
    for (const [taskId, row] of state.tasks)
      producers.set(
        taskId,
        refArgs(row.spec).map((ref) => creatingTaskId(ref)),
      );
  }
  return producers;
}
