/** Messages the global scheduler receives. */
import type { TaskSpec } from "../task-spec.js";

export interface ScheduleMessage {
  readonly type: "gs.schedule";
  readonly spec: TaskSpec;
  /** The raylet that forwarded it. */
  readonly fromNode: string;
}
