/**
 * Per-failure recovery figures, derived from the trace (issue: "Measurement"):
 * - detection delay: from the crash to the GCS declaring the node dead (heartbeats missed);
 * - recovery time: from the failure to the end of the last re-executed attempt (retry,
 *   reconstruction or replay) it caused — when every lost object that was needed is available
 *   again. Re-executions are attributed by time: those submitted from this failure's detection
 *   to the next failure's belong to it (an approximation when failures overlap);
 * - re-executed attempts in that window, and the work the failure wasted: task-ms (and GPU-ms) of
 *   attempts it killed.
 */
import type { FaultRow, NodeDeathRow, TaskAttemptRow } from "./metric-rows.js";

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

const FAILURES = new Set([
  "killNode",
  "crashWorker",
  "failGpu",
  "partition",
  "evict",
  "killGcsReplica",
  "dropMessages",
]);

export function recoveryRows(
  faults: readonly FaultRow[],
  deaths: readonly NodeDeathRow[],
  attempts: readonly TaskAttemptRow[],
): RecoveryRow[] {
  const failures = faults.filter((f) => FAILURES.has(f.fault));
  // Re-executions follow a failure's detection (a node's tasks are retried once it is declared
  // dead), so each failure owns the re-executions submitted from its detection to the next one's.
  const deathOf = (f: FaultRow) =>
    f.fault === "killNode" || f.fault === "partition"
      ? deaths.find((d) => d.tMs >= f.tMs && f.target.split(/[|+]/).includes(d.node))
      : undefined;
  const starts = failures.map((f) => deathOf(f)?.tMs ?? f.tMs);
  return failures.map((f, i) => {
    const node = f.target.split("/")[0]!;
    const death = deathOf(f);
    const fromMs = starts[i]!;
    let toMs = Infinity;
    for (const t of starts.slice(i + 1)) if (t > fromMs && t < toMs) toMs = t;
    const nextMs = failures[i + 1]?.tMs ?? Infinity;
    const reruns = attempts.filter(
      (a) =>
        a.cause !== "original" && a.submitMs >= fromMs && a.submitMs < toMs && a.outcome === "ok",
    );
    // Loops rather than Math.max(...reruns): workload-sized spreads overflow the stack.
    let recoveredMs = reruns.length === 0 ? (death?.tMs ?? f.tMs) : -Infinity;
    for (const a of reruns) if (a.endMs > recoveredMs) recoveredMs = a.endMs;
    let wastedTaskMs = 0;
    let wastedGpuMs = 0;
    for (const a of attempts) {
      if (a.outcome !== "killed" || Number.isNaN(a.startMs) || a.endMs < f.tMs || a.endMs >= nextMs)
        continue;
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
