/**
 * Per-failure recovery figures, derived from the trace (issue: "Measurement"):
 * - detection delay: from the crash to the GCS declaring the node dead (heartbeats missed);
 * - recovery time: from the failure to the end of the last re-executed attempt (retry,
 *   reconstruction or replay) submitted before the next failure — when every lost object that was
 *   needed is available again;
 * - re-executed attempts in that window, and the work the failure wasted: task-ms (and GPU-ms) of
 *   attempts it killed.
 */
import type { FaultRow, NodeDeathRow, TaskAttemptRow } from "./metrics.js";

export interface RecoveryRow {
  fault: string;
  target: string;
  tMs: number;
  detectedMs: number;
  detectionDelayMs: number;
  recoveredMs: number;
  recoveryMs: number;
  reexecuted: number;
  wastedTaskMs: number;
  wastedGpuMs: number;
}

const FAILURES = new Set(["killNode", "crashWorker", "failGpu", "partition", "evict", "killGcsReplica", "dropMessages"]);

export function recoveryRows(faults: readonly FaultRow[], deaths: readonly NodeDeathRow[], attempts: readonly TaskAttemptRow[]): RecoveryRow[] {
  const failures = faults.filter((f) => FAILURES.has(f.fault));
  return failures.map((f, i) => {
    const nextMs = failures[i + 1]?.tMs ?? Infinity;
    const node = f.target.split("/")[0]!;
    const death = f.fault === "killNode" || f.fault === "partition" ? deaths.find((d) => d.tMs >= f.tMs && f.target.split(/[|+]/).includes(d.node)) : undefined;
    const reruns = attempts.filter((a) => a.cause !== "original" && a.submitMs >= f.tMs && a.submitMs < nextMs && a.outcome === "ok");
    const recoveredMs = reruns.length === 0 ? (death?.tMs ?? f.tMs) : Math.max(...reruns.map((a) => a.endMs));
    let wastedTaskMs = 0;
    let wastedGpuMs = 0;
    for (const a of attempts) {
      if (a.outcome !== "killed" || Number.isNaN(a.startMs) || a.endMs < f.tMs || a.endMs >= nextMs) continue;
      if (f.fault === "killNode" && a.node !== node) continue;
      const ms = a.endMs - a.startMs;
      wastedTaskMs += ms;
      wastedGpuMs += ms * a.gpuIds.length;
    }
    return {
      fault: f.fault,
      target: f.target,
      tMs: f.tMs,
      detectedMs: death?.tMs ?? NaN,
      detectionDelayMs: death === undefined ? NaN : death.tMs - f.tMs,
      recoveredMs,
      recoveryMs: recoveredMs - f.tMs,
      reexecuted: reruns.length,
      wastedTaskMs,
      wastedGpuMs,
    };
  });
}
