/**
 * What a running task's body knows about itself, carried across its awaits by the Env's task
 * context port: its id and attempt (to derive its children's ids), where it runs, its GPUs, and the
 * node's core worker its nested calls go through. The driver has one too (the root of lineage).
 */
import type { ActorId, TaskId } from "../ids.js";
import type { CoreWorker } from "./core-worker.js";

export interface TaskContext {
  /** The driver's own context, or a task's. */
  readonly isDriver: boolean;
  readonly taskId: TaskId;
  readonly attempt: number;
  readonly nodeName: string;
  readonly gpuIds: readonly number[];
  readonly worker: CoreWorker;
  readonly actorId: ActorId | undefined;
  /** Children submitted so far: the next child's id is derived from this count. */
  childCount: number;
  putCount: number;
  /** The worker died (or the attempt was abandoned): further calls from this body are refused. */
  dead: boolean;
}
