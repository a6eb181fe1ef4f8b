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

/** The number of messages waiting at a process (not in service), per bucket of time. */
export interface QueueLengthPoint {
  /** Start of the bucket; a bucket absent from the series kept the previous bucket's `endLength`. */
  tMs: number;
  maxLength: number;
  endLength: number;
}

/** One control process as a server (metrics.queues()): how busy it was and how long messages waited. */
export interface QueueRow {
  process: string;
  node: string;
  /** Its cost kind (sim/costs.ts): raylet, owner, gcs, gcsmaster, gsched, or a test's own. */
  kind: string;
  servers: number;
  /** Messages (and execution ends) served. */
  served: number;
  /** Service time over its lifetime so far (per server). */
  busyFraction: number;
  meanWaitMs: number;
  p50WaitMs: number;
  p95WaitMs: number;
  p99WaitMs: number;
  maxWaitMs: number;
  maxQueueLength: number;
  lengths: QueueLengthPoint[];
}

/** metrics.summary(): the run's figures, and the cost profile it ran with. */
export interface RunSummary {
  tasks: number;
  attempts: number;
  reexecuted: number;
  attemptsOk: number;
  attemptsFailed: number;
  meanLatencyMs: number;
  makespanMs: number;
  nodeDeaths: number;
  recoveryMs: number;
  meanDetectionDelayMs: number;
  wastedTaskMs: number;
  actorRestarts: number;
  callsReplayed: number;
  checkpointOverheadMs: number;
  faults: number;
  events: number;
  /** "ray-2018", "free" or "ray-2018+overrides" (sim/costs.ts). */
  costs: string;
}
