/**
 * Every scenario the CLI knows, and the default suite that `npm start` runs. Adding a scenario is
 * one module plus one line here. The suite is what a fresh clone shows: the validation run, the
 * demo with a failure, and a small sweep across seeds (confidence bands against Erlang C).
 */
import { actorReconstruction } from "./actor-reconstruction.js";
import { chainReconstruction } from "./chain-reconstruction.js";
import { checkpointInterval } from "./checkpoint-interval.js";
import { dagRecovery } from "./dag-recovery.js";
import { fig8bScalability } from "./fig8b-scalability.js";
import { fig9ObjectStore } from "./fig9-object-store.js";
import { fig10aGcsFailover } from "./fig10a-gcs-failover/fig10a-gcs-failover.js";
import { fig10bGcsFlushing } from "./fig10b-gcs-flushing.js";
import { fig12Allreduce } from "./fig12-allreduce/fig12-allreduce.js";
import { locality } from "./locality.js";
import { recoveryStorm } from "./recovery-storm.js";
import { mmcQueue } from "./mmc-queue/mmc-queue.js";
import { psTraining } from "./ps-training/ps-training.js";
import { rlLoop } from "./rl-loop.js";
import { sort } from "./sort/sort.js";
import { checkParamSpecs } from "./runner/params.js";
import type { ParamValue, Scenario } from "./scenario.js";
import { UsageError } from "./runner/usage-error.js";

export const SCENARIOS: readonly Scenario[] = [
  chainReconstruction,
  actorReconstruction,
  checkpointInterval,
  dagRecovery,
  locality,
  mmcQueue,
  rlLoop,
  sort,
  fig8bScalability,
  fig9ObjectStore,
  fig10aGcsFailover,
  fig10bGcsFlushing,
  recoveryStorm,
  fig12Allreduce,
  psTraining,
];

for (const s of SCENARIOS) checkParamSpecs(s.name, s.params);

export function findScenario(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name);
  if (found === undefined)
    throw new UsageError(
      `unknown scenario '${name}'; known: ${SCENARIOS.map((s) => s.name).join(", ")}`,
    );
  return found;
}

export type SuiteEntry =
  | { kind: "run"; scenario: string; seed: number; sets?: Readonly<Record<string, ParamValue>> }
  | {
      kind: "sweep";
      scenario: string;
      seeds: readonly number[];
      grid: readonly (readonly [string, readonly ParamValue[]])[];
      /** Settings for the quick size only. */
      quickSets?: Readonly<Record<string, ParamValue>>;
    };

export const DEFAULT_SUITE: readonly SuiteEntry[] = [
  { kind: "run", scenario: "chain-reconstruction", seed: 1 },
  { kind: "run", scenario: "actor-reconstruction", seed: 1 },
  { kind: "run", scenario: "actor-reconstruction", seed: 1, sets: { checkpointInterval: 0 } },
  { kind: "run", scenario: "checkpoint-interval", seed: 1 },
  { kind: "run", scenario: "dag-recovery", seed: 1 },
  { kind: "run", scenario: "locality", seed: 1 },
  { kind: "run", scenario: "mmc-queue", seed: 1 },
  // The control plane's calibration on the paper's figures, and the storm its queues make.
  { kind: "run", scenario: "fig8b-scalability", seed: 1 },
  { kind: "run", scenario: "fig9-object-store", seed: 1 },
  { kind: "run", scenario: "fig10a-gcs-failover", seed: 1 },
  { kind: "run", scenario: "fig10b-gcs-flushing", seed: 1 },
  { kind: "run", scenario: "recovery-storm", seed: 1 },
  { kind: "run", scenario: "rl-loop", seed: 1 },
  { kind: "run", scenario: "rl-loop", seed: 1, sets: { checkpointInterval: 0 } },
  // The lecture's workloads under failures: sort with tasks, allreduce with actors, PS training.
  { kind: "run", scenario: "sort", seed: 1 },
  { kind: "run", scenario: "fig12-allreduce", seed: 1 },
  { kind: "run", scenario: "ps-training", seed: 1 },
  {
    kind: "sweep",
    scenario: "mmc-queue",
    seeds: [1, 2, 3, 4, 5],
    grid: [
      ["servers", [1, 4]],
      ["utilisation", [0.5, 0.7, 0.8, 0.9]],
    ],
    // Shorter runs than the single run's at quick size (the spread across seeds is what this one
    // shows); `npm start -- --full` runs the full size as declared.
    quickSets: { jobs: 20_000 },
  },
];
