/**
 * Result tables derived from the trace as it streams (API.md "Results"): one row per task attempt,
 * throughput over time split by cause, GCS operations, a summary. Rows are built incrementally from
 * trace events, so nothing here asks core/ for its state.
 */
import type { RecordedEvent, TraceEvent } from "../core/trace.js";
import type {
  FaultRow,
  GcsMemoryRow,
  GcsOpRow,
  NodeDeathRow,
  Outcome,
  QueueLengthPoint,
  QueueRow,
  RunSummary,
  TaskAttemptRow,
  ThroughputRow,
} from "./metric-rows.js";
import type { ProcessQueue } from "./process-queue.js";
import { costKind } from "./costs.js";
import type { Recorder } from "./recorder.js";
import { recoveryRows, type RecoveryRow } from "./recovery-metrics.js";
import { ActorMetrics, type ActorRecoveryRow, type CheckpointRow } from "./actor-metrics.js";
import { usToMs } from "../core/units.js";

export type {
  FaultRow,
  GcsMemoryRow,
  GcsOpRow,
  NodeDeathRow,
  Outcome,
  QueueLengthPoint,
  QueueRow,
  RunSummary,
  TaskAttemptRow,
  ThroughputRow,
};

/** What the world knows of its control processes as servers (sim/process-queue.ts). */
export interface QueueSource {
  /** The cost profile in use: "ray-2018", "free", or "ray-2018+overrides". */
  profile: string;
  nowUs: number;
  queues: readonly ProcessQueue[];
}

function queueRow(q: ProcessQueue, nowUs: number): QueueRow {
  const endUs = q.diedUs >= 0 ? q.diedUs : nowUs;
  const lifeUs = Math.max(0, endUs - q.startUs) * q.servers;
  const busyUs = q.busyUs - q.committedUs(endUs);
  const w = q.waits;
  const lengths: QueueLengthPoint[] = q.bucketStartUs.map((t, i) => ({
    tMs: usToMs(t),
    maxLength: q.bucketMax[i]!,
    endLength: q.bucketEnd[i]!,
  }));
  return {
    process: q.address,
    node: q.node,
    kind: costKind(q.address),
    servers: q.servers,
    served: q.served,
    busyFraction: lifeUs === 0 ? 0 : Math.min(1, Math.max(0, busyUs / lifeUs)),
    meanWaitMs: w.count === 0 ? 0 : usToMs(w.sumUs / w.count),
    p50WaitMs: usToMs(w.quantileUs(0.5)),
    p95WaitMs: usToMs(w.quantileUs(0.95)),
    p99WaitMs: usToMs(w.quantileUs(0.99)),
    maxWaitMs: usToMs(w.maxUs),
    maxQueueLength: q.peakWaiting,
    lengths,
  };
}

const KILLED_REASONS = new Set([
  "worker-crashed",
  "gpu-failed",
  "NodeDiedError",
  "WorkerCrashedError",
  "ActorDiedError",
]);

export class Metrics {
  private readonly rows: TaskAttemptRow[] = [];
  private readonly open = new Map<string, TaskAttemptRow>();
  private readonly gcsRows: GcsOpRow[] = [];
  private readonly gcsMemoryRows: GcsMemoryRow[] = [];
  private readonly faultRows: FaultRow[] = [];
  private readonly deaths: NodeDeathRow[] = [];
  private readonly actorMetrics = new ActorMetrics();

  constructor(
    private readonly recorder: Recorder,
    private readonly nowMs: () => number,
    private readonly queueSource?: () => QueueSource,
  ) {
    recorder.onEvent((tUs, node, e) => this.onEvent(usToMs(tUs), node, e));
  }

  private onEvent(tMs: number, node: string, e: TraceEvent): void {
    this.actorMetrics.onEvent(tMs, e);
    switch (e.kind) {
      case "task.submitted":
        return this.taskSubmitted(tMs, e);
      case "task.scheduled": {
        const row = this.openRow(e.taskId, e.attempt);
        if (row !== undefined && Number.isNaN(row.scheduledMs)) row.scheduledMs = tMs;
        return;
      }
      case "task.started":
        return this.taskStarted(tMs, node, e);
      case "task.finished":
      case "task.failed": {
        const row = this.openRow(e.taskId, e.attempt);
        if (row === undefined) return;
        this.open.delete(e.taskId);
        row.endMs = tMs;
        row.outcome =
          e.kind === "task.finished" ? "ok" : KILLED_REASONS.has(e.reason) ? "killed" : "error";
        return;
      }
      case "gcs.op":
        this.gcsRows.push({
          op: e.op,
          table: e.table,
          shard: e.shard,
          startMs: usToMs(e.startUs),
          endMs: tMs,
        });
        return;
      case "gcs.memory":
        this.gcsMemoryRows.push({ tMs, shard: e.shard, bytes: e.bytes });
        return;
      case "fault":
        return this.fault(tMs, e);
      case "node.died":
        this.deaths.push({ tMs, node: e.nodeName, reason: e.reason });
        return;
      default:
        return;
    }
  }

  private taskSubmitted(tMs: number, e: Extract<TraceEvent, { kind: "task.submitted" }>): void {
    // An earlier attempt that never reported an end was lost with its node.
    const stale = this.open.get(e.taskId);
    if (stale !== undefined) {
      stale.outcome = "killed";
      stale.endMs = Number.isNaN(stale.startMs) ? NaN : tMs;
    }
    const row: TaskAttemptRow = {
      taskId: e.taskId,
      name: e.name,
      kind: e.taskKind,
      attempt: e.attempt,
      cause: e.cause,
      node: "",
      gpuIds: [],
      submitMs: tMs,
      scheduledMs: NaN,
      startMs: NaN,
      endMs: NaN,
      outcome: "pending",
    };
    this.rows.push(row);
    this.open.set(e.taskId, row);
  }

  private taskStarted(
    tMs: number,
    node: string,
    e: Extract<TraceEvent, { kind: "task.started" }>,
  ): void {
    const row = this.openRow(e.taskId, e.attempt);
    if (row === undefined) return;
    row.startMs = tMs;
    row.node = node;
    row.gpuIds = e.gpus === "" ? [] : e.gpus.split(" ").map(Number);
    if (Number.isNaN(row.scheduledMs)) row.scheduledMs = tMs;
  }

  private fault(tMs: number, e: Extract<TraceEvent, { kind: "fault" }>): void {
    this.faultRows.push({
      tMs,
      fault: e.fault,
      target: e.target,
      durationMs: usToMs(e.durationUs),
    });
    if (e.fault === "killNode" || e.fault === "fencedRestart") this.closeRowsOn(e.target, tMs);
  }

  /** The open row of a task, if it is this attempt's (one attempt of a task is open at a time). */
  private openRow(taskId: string, attempt: number): TaskAttemptRow | undefined {
    const row = this.open.get(taskId);
    return row !== undefined && row.attempt === attempt ? row : undefined;
  }

  /** Attempts running on a node that crashed end there, killed. */
  private closeRowsOn(node: string, tMs: number): void {
    for (const [taskId, row] of this.open) {
      if (row.node !== node) continue;
      this.open.delete(taskId);
      row.endMs = tMs;
      row.outcome = "killed";
    }
  }

  /** A hash of the whole trace: equal seeds and programs give equal fingerprints. */
  fingerprint(): string {
    return this.recorder.fingerprint();
  }

  /** The typed trace (kept unless the simulation was made with keepEvents: false). */
  events(): RecordedEvent[] {
    return [...this.recorder.events()];
  }

  /** One row per execution attempt, in submission order. */
  taskAttempts(): TaskAttemptRow[] {
    return this.rows.map((r) => ({ ...r, gpuIds: [...r.gpuIds] }));
  }

  /** Attempts that finished ok, per bucket of end time, split by cause. */
  throughput(options: { bucketMs?: number } = {}): ThroughputRow[] {
    const bucketMs = options.bucketMs ?? 1000;
    if (!(bucketMs > 0))
      throw new RangeError(`throughput({ bucketMs }) must be > 0, got ${bucketMs}`);
    // A loop, not Math.max(...rows): a spread over a workload-sized array overflows the stack.
    let endMs = this.nowMs();
    for (const r of this.rows) if (r.endMs > endMs) endMs = r.endMs;
    const n = Math.max(1, Math.ceil(endMs / bucketMs) || 1);
    const out: ThroughputRow[] = Array.from({ length: n }, (_, i) => ({
      tMs: i * bucketMs,
      original: 0,
      retry: 0,
      reconstruction: 0,
      replay: 0,
      checkpoint: 0,
    }));
    for (const r of this.rows) {
      if (r.outcome !== "ok") continue;
      const b = Math.min(n - 1, Math.floor(r.endMs / bucketMs));
      out[b]![r.cause]++;
    }
    for (const c of this.actorMetrics.checkpoints)
      out[Math.min(n - 1, Math.floor(c.endMs / bucketMs))]!.checkpoint++;
    return out;
  }

  gcsOps(): GcsOpRow[] {
    return [...this.gcsRows];
  }

  /** GCS memory over time: each shard's head samples its tables' bytes (Fig 10b). */
  gcsMemory(): GcsMemoryRow[] {
    return this.gcsMemoryRows.map((r) => ({ ...r }));
  }

  faults(): FaultRow[] {
    return [...this.faultRows];
  }

  nodeDeaths(): NodeDeathRow[] {
    return [...this.deaths];
  }

  /** One row per actor restart: restart time, checkpoint load, calls replayed, back to serving. */
  actorRecovery(): ActorRecoveryRow[] {
    return this.actorMetrics.recoveries.map((r) => ({ ...r }));
  }

  /** One row per actor checkpoint written. */
  checkpoints(): CheckpointRow[] {
    return this.actorMetrics.checkpoints.map((c) => ({ ...c }));
  }

  /** One row per injected failure: detection delay, recovery time, re-executed work, waste. */
  recovery(): RecoveryRow[] {
    return recoveryRows(this.faultRows, this.deaths, this.rows);
  }

  /**
   * Per control process (one row each, dead incarnations too): busy fraction, messages waiting over
   * time (per-bucket maxima, 1 ms buckets) and the distribution of waits (percentiles within 1 %).
   */
  queues(): QueueRow[] {
    if (this.queueSource === undefined) return [];
    const { nowUs, queues } = this.queueSource();
    return queues.map((q) => queueRow(q, nowUs));
  }

  /** The cost profile the run used ("ray-2018", "free", "ray-2018+overrides"). */
  costProfile(): string {
    return this.queueSource?.().profile ?? "free";
  }

  summary(): RunSummary {
    const tasks = new Set<string>();
    let attempts = 0;
    let reexecuted = 0;
    let ok = 0;
    let failed = 0;
    let latencySum = 0;
    let makespan = 0;
    for (const r of this.rows) {
      attempts++;
      tasks.add(r.taskId);
      if (r.cause !== "original") reexecuted++;
      if (r.outcome === "ok") {
        ok++;
        latencySum += r.endMs - r.submitMs;
        makespan = Math.max(makespan, r.endMs);
      } else if (r.outcome !== "pending") failed++;
    }
    const recovery = this.recovery();
    const detections = recovery.filter((r) => !Number.isNaN(r.detectionDelayMs));
    return {
      tasks: tasks.size,
      attempts,
      reexecuted,
      attemptsOk: ok,
      attemptsFailed: failed,
      meanLatencyMs: ok === 0 ? 0 : latencySum / ok,
      makespanMs: makespan,
      nodeDeaths: this.deaths.length,
      recoveryMs: recovery.reduce((m, r) => Math.max(m, r.recoveryMs), 0),
      meanDetectionDelayMs:
        detections.length === 0
          ? 0
          : detections.reduce((a, r) => a + r.detectionDelayMs, 0) / detections.length,
      wastedTaskMs: recovery.reduce((a, r) => a + r.wastedTaskMs, 0),
      actorRestarts: this.actorMetrics.recoveries.length,
      callsReplayed: this.actorMetrics.recoveries.reduce((a, r) => a + r.callsReplayed, 0),
      checkpointOverheadMs: this.actorMetrics.checkpointOverheadMs(),
      faults: this.faultRows.length,
      events: this.recorder.size,
      costs: this.costProfile(),
    };
  }
}
