/**
 * The result tables every Simulation-based scenario shares, straight from `sim.metrics`: task
 * attempts, throughput by cause, injected faults, per-failure recovery and actor recovery.
 */
import type { Simulation } from "../../sim/index.js";
import { niceBucketMs } from "./throughput-table.js";
import { table, type ScenarioResult, type Table } from "../scenario.js";

export const ATTEMPT_COLUMNS = [
  "taskId",
  "name",
  "kind",
  "attempt",
  "cause",
  "node",
  "gpuIds",
  "submitMs",
  "scheduledMs",
  "startMs",
  "endMs",
  "latencyMs",
  "outcome",
];

export function simulationTables(
  sim: Simulation,
  options: { attempts?: boolean; bucketMs?: number } = {},
): { tables: Record<string, Table>; bucketMs: number } {
  const endMs = Math.max(sim.nowMs, 1);
  const bucketMs = options.bucketMs ?? niceBucketMs(endMs);
  const tables: Record<string, Table> = {
    throughput: table(
      ["tMs", "original", "retry", "reconstruction", "replay", "checkpoint"],
      sim.metrics.throughput({ bucketMs }),
    ),
    faults: table(["tMs", "fault", "target", "durationMs"], sim.metrics.faults()),
    recovery: table(
      [
        "fault",
        "target",
        "tMs",
        "detectedMs",
        "detectionDelayMs",
        "recoveredMs",
        "recoveryMs",
        "reexecuted",
        "wastedTaskMs",
        "wastedGpuMs",
      ],
      sim.metrics.recovery(),
    ),
  };
  if (options.attempts !== false) {
    tables.attempts = table(
      ATTEMPT_COLUMNS,
      sim.metrics.taskAttempts().map((r) => ({ ...r, latencyMs: r.endMs - r.submitMs })),
    );
  }
  return { tables, bucketMs };
}

export function mean(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  return finite.length === 0 ? Number.NaN : finite.reduce((a, b) => a + b, 0) / finite.length;
}

/**
 * The two charts of a recovery run on the Simulation's tables: finished tasks per second by cause
 * with the faults marked, and recovery time per failed node.
 */
export function recoveryPlots(
  bucketMs: number,
  labels: { tasks: string; removal: string; removedNode: string },
): ScenarioResult["plots"] {
  return [
    {
      kind: "throughput",
      name: "throughput",
      title: `${labels.tasks} tasks finished per second, by cause`,
      table: "throughput",
      bucketMs,
      causes: ["original", "retry", "reconstruction"],
      faults: { table: "faults", labelColumns: ["fault", "target"] },
    },
    {
      kind: "bars",
      name: "recovery",
      title: `Recovery time per ${labels.removal}`,
      table: "recovery",
      group: { column: "target", label: labels.removedNode },
      value: { column: "recoveryMs", label: "recovery time", unit: "ms" },
    },
  ];
}
