/**
 * A task specification: everything needed to run a task again (DESIGN.md "Lineage is data"). The
 * GCS task table stores it; reconstruction and replay resubmit it with attempt + 1.
 */
import { assert } from "./assert.js";
import type { ActorId, ObjectId, TaskId } from "./ids.js";
import type { ResourceSet } from "./resources.js";
import type { Address } from "./env.js";
import type { TaskCause, TaskKind } from "./trace.js";

export type ErrorClass = abstract new (...args: never[]) => Error;

export type TaskArg = { readonly ref: ObjectId } | { readonly value: unknown };

export interface TaskSpec {
  readonly taskId: TaskId;
  readonly kind: TaskKind;
  /** Function table id (for actor calls: the class's id). */
  readonly functionId: string;
  /** Name for traces and fault filters: `fn.name`, or `Class.method` for actor methods. */
  readonly name: string;
  readonly args: readonly TaskArg[];
  readonly returnIds: readonly ObjectId[];
  readonly resources: ResourceSet;
  /** GPU memory held on each of its GPUs while it runs (an actor: for its life); absent = 0. */
  readonly gpuMemoryBytes?: number;
  readonly returnBytes: number;
  /** Shared budget of crash retries and lineage re-executions; -1 = unlimited. */
  readonly maxRetries: number;
  /** Retry when the user's code throws: true, or only for instances of these classes. */
  readonly retryExceptions: boolean | readonly ErrorClass[];
  readonly parentTaskId: TaskId;
  /** The core worker that submitted the task: it retries it and hears of its failures. */
  readonly owner: Address;
  readonly ownerNode: string;
  readonly ownerIncarnation: number;
  readonly attempt: number;
  readonly cause: TaskCause;
  readonly submitUs: number;
  readonly actorId?: ActorId;
  readonly method?: string;
  readonly handleId?: string;
  readonly handleSeq?: number;
  /**
   * An actor call, stamped by its caller each time it sends it: the lowest handleSeq of the handle
   * the caller has not yet seen done or failed for good (≤ handleSeq). The caller never sends a
   * call below it again, so the actor need not wait for one (Ray 0.x's per-handle task counters).
   */
  readonly handleFloorSeq?: number;
  /** For an actor creation: how its actor recovers. */
  readonly recovery?: "replay" | "restart";
}

export function refArgs(spec: TaskSpec): ObjectId[] {
  const out: ObjectId[] = [];
  for (const a of spec.args) if ("ref" in a) out.push(a.ref);
  return out;
}

/** A copy of actor call `spec` carrying the floor of its handle at the moment it is sent. */
export function withHandleFloor(spec: TaskSpec, floorSeq: number): TaskSpec {
  assert(
    spec.kind === "actor-method" && spec.handleSeq !== undefined,
    `task ${spec.taskId}: only an actor call carries a handle floor`,
  );
  assert(
    Number.isInteger(floorSeq) && floorSeq >= 0 && floorSeq <= spec.handleSeq,
    `actor call ${spec.taskId}: handle floor ${floorSeq} must be an integer in [0, its seq ${spec.handleSeq}]`,
  );
  return { ...spec, handleFloorSeq: floorSeq };
}

/** Whether the shared retry budget allows another attempt. */
export function hasRetriesLeft(spec: TaskSpec): boolean {
  return spec.maxRetries === -1 || spec.attempt < spec.maxRetries;
}

/** The spec of the next attempt of the same task (same id, same returns). */
export function nextAttempt(spec: TaskSpec, cause: TaskCause, submitUs: number): TaskSpec {
  assert(
    cause !== "original",
    `task ${spec.taskId}: a next attempt is a retry, reconstruction or replay`,
  );
  return { ...spec, attempt: spec.attempt + 1, cause, submitUs };
}

/** Rough bytes a spec takes in the GCS, for its memory accounting. */
export function specSizeBytes(spec: TaskSpec): number {
  return 160 + spec.taskId.length * 2 + spec.args.length * 48 + spec.returnIds.length * 32;
}
