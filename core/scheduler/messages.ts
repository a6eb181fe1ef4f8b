/**
 * Messages the global scheduler receives. Over lossy channels `gs.schedule` goes through the RPC
 * layer (acknowledged, resent, deduped: core/rpc/rpc-layer.ts); the forwarding raylet also holds
 * the task until it is placed and the scheduler dedupes by (task, attempt), so a forward survives
 * the scheduler's own failure too.
 */
import type { TaskSpec } from "../task-spec.js";

export interface ScheduleMessage {
  readonly type: "gs.schedule";
  readonly spec: TaskSpec;
  /** The raylet that forwarded it. */
  readonly fromNode: string;
}
