/**
 * The row types of the result tables (sim/metrics.ts builds them, sim/recovery-metrics.ts derives
 * from them): times in ms of virtual time, as the public API speaks.
 */
import type { TaskCause, TaskKind } from "../core/trace.js";

export type Outcome = "ok" | "error" | "killed" | "pending";

export interface TaskAttemptRow {
  taskId: string;
  name: string;
  kind: TaskKind;
  attempt: number;
  cause: TaskCause;
  node: string;
  gpuIds: number[];
  submitMs: number;
  scheduledMs: number;
  startMs: number;
  endMs: number;
  outcome: Outcome;
}

export interface ThroughputRow {
  tMs: number;
  original: number;
  retry: number;
  reconstruction: number;
  replay: number;
  /** Checkpoints completed in the bucket (actor checkpoint "tasks", Fig 11b). */
  checkpoint: number;
}

export interface GcsOpRow {
  op: string;
  table: string;
  shard: number;
  startMs: number;
  endMs: number;
}

/** A sample of one GCS shard's tracked table memory. */
export interface GcsMemoryRow {
  tMs: number;
  shard: number;
  bytes: number;
}

export interface FaultRow {
  tMs: number;
  fault: string;
  target: string;
  durationMs: number;
}

export interface NodeDeathRow {
  tMs: number;
  node: string;
  reason: string;
}
