/**
 * Actor recovery figures from the trace (issue: actor "Measurement"): per restart, the time from
 * the failure to the new instance (restart time), the checkpoint load time, the calls replayed,
 * and when the actor serves new calls again; and checkpoint overhead (time the actor spent writing
 * checkpoints, during which it served nothing).
 */
import type { TraceEvent } from "../core/trace.js";
import { usToMs } from "../core/units.js";

export interface ActorRecoveryRow {
  actorId: string;
  /** The failure it recovers from: the last fault injected before the restart. */
  failureMs: number;
  restartedMs: number;
  restartMs: number;
  checkpointSeq: number;
  checkpointLoadMs: number;
  callsReplayed: number;
  /** When the restored actor was announced alive (serving new calls). */
  servingMs: number;
  unavailableMs: number;
}

export interface CheckpointRow {
  actorId: string;
  seq: number;
  startMs: number;
  endMs: number;
  sizeBytes: number;
}

export class ActorMetrics {
  private lastFaultMs = 0;
  private readonly open = new Map<string, ActorRecoveryRow>();
  readonly recoveries: ActorRecoveryRow[] = [];
  readonly checkpoints: CheckpointRow[] = [];

  onEvent(tMs: number, e: TraceEvent): void {
    switch (e.kind) {
      case "fault":
        this.lastFaultMs = tMs;
        return;
      case "actor.restarted": {
        const row: ActorRecoveryRow = {
          actorId: e.actorId,
          failureMs: this.lastFaultMs,
          restartedMs: tMs,
          restartMs: tMs - this.lastFaultMs,
          checkpointSeq: 0,
          checkpointLoadMs: 0,
          callsReplayed: 0,
          servingMs: tMs,
          unavailableMs: tMs - this.lastFaultMs,
        };
        this.recoveries.push(row);
        this.open.set(e.actorId, row);
        return;
      }
      case "actor.replayed": {
        const row = this.open.get(e.actorId);
        if (row === undefined) return;
        this.open.delete(e.actorId);
        row.callsReplayed = e.calls;
        row.checkpointSeq = e.checkpointSeq;
        row.checkpointLoadMs = usToMs(e.checkpointLoadUs);
        row.servingMs = tMs;
        row.unavailableMs = tMs - row.failureMs;
        return;
      }
      case "actor.checkpointed":
        this.checkpoints.push({
          actorId: e.actorId,
          seq: e.seq,
          startMs: usToMs(e.startUs),
          endMs: tMs,
          sizeBytes: e.sizeBytes,
        });
        return;
      default:
        return;
    }
  }

  /** Total time actors spent writing checkpoints (the failure-free overhead of checkpointing). */
  checkpointOverheadMs(): number {
    return this.checkpoints.reduce((a, c) => a + (c.endMs - c.startMs), 0);
  }
}
