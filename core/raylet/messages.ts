/**
 * Messages a raylet receives: from core workers, the global scheduler, and other raylets.
 *
 * Over lossy channels (core/rpc/rpc-layer.ts) — every message here is sent as work, so it is
 * acknowledged, resent on a timeout and delivered at most once per send:
 * - dispatch (submit, assign, actorCall, killActor): a second delivery would run or kill twice, so
 *   the layer's dedupe matters; actor calls are also ordered and deduped by their handle's seq at
 *   the actor host, forwards by (task, attempt).
 * - fetch, cancelFetch, put, storeError, blocked/unblocked: not idempotent (blocked/unblocked move
 *   CPU between tasks), deduped by the layer; they may arrive in any order except where a reply
 *   orders them.
 * - pull, push, pullFailed (object transfers): a lost push is sent again by its sender after a
 *   timeout that grows with its size; a pull whose peer died is answered by the GCS's verdict.
 * - gpuFailed, gpuRepaired, objectDropped come from the node's own hardware, never over a link.
 * The core worker's messages (cw.*) are the same: taskDone and taskFailed are idempotent per
 * attempt anyway, fetched per (request, object).
 */
import type { ActorId, ObjectId, TaskId } from "../ids.js";
import type { TaskSpec } from "../task-spec.js";
import type { RayError } from "../api/errors.js";

export type RayletMessage =
  /** A core worker on this node submits a task (or an actor creation). */
  | { readonly type: "raylet.submit"; readonly spec: TaskSpec }
  /** The global scheduler places a task here: keep it, and tell `origin` (the forwarder) it is placed. */
  | { readonly type: "raylet.assign"; readonly spec: TaskSpec; readonly origin?: string }
  /**
   * About a task this raylet forwarded (forwarded-tasks.ts): `placed` — a raylet has it, or the
   * scheduler failed it (stop holding it); otherwise the scheduler has it and waits for room.
   */
  | {
      readonly type: "raylet.forwardAck";
      readonly taskId: TaskId;
      readonly attempt: number;
      readonly placed: boolean;
    }
  /** A caller sends a method call to the node hosting the actor. */
  | { readonly type: "raylet.actorCall"; readonly spec: TaskSpec }
  | { readonly type: "raylet.killActor"; readonly actorId: ActorId; readonly noRestart: boolean }
  /** Make these objects local and send each to the requester as it arrives. */
  /** `locateOnly`: answer when a copy exists anywhere (wait with fetchLocal: false), fetch nothing. */
  | {
      readonly type: "raylet.fetch";
      readonly reqId: number;
      readonly objectIds: readonly ObjectId[];
      readonly locateOnly?: boolean;
    }
  | { readonly type: "raylet.cancelFetch"; readonly reqId: number }
  | {
      readonly type: "raylet.put";
      readonly objectId: ObjectId;
      readonly value: unknown;
      readonly sizeBytes: number;
      readonly fromPut: boolean;
    }
  /** Store an error as the value of these objects (a task that failed for good). */
  | {
      readonly type: "raylet.storeError";
      readonly objectIds: readonly ObjectId[];
      readonly error: RayError;
    }
  | { readonly type: "raylet.blocked"; readonly taskId: TaskId }
  | { readonly type: "raylet.unblocked"; readonly taskId: TaskId }
  /** Object manager: a peer asks for a copy; the answer is a push or a pullFailed. */
  | { readonly type: "raylet.pull"; readonly objectId: ObjectId; readonly node: string }
  | {
      readonly type: "raylet.push";
      readonly objectId: ObjectId;
      readonly value: unknown;
      readonly sizeBytes: number;
    }
  | { readonly type: "raylet.pullFailed"; readonly objectId: ObjectId }
  /** From the node's hardware: a GPU failed or was repaired; memory lost an object. */
  | { readonly type: "raylet.gpuFailed"; readonly index: number }
  | { readonly type: "raylet.gpuRepaired"; readonly index: number }
  | { readonly type: "raylet.objectDropped"; readonly objectId: ObjectId };

/** Messages a core worker (driver or a node's worker library) receives from raylets and schedulers. */
export type CoreWorkerMessage =
  | {
      readonly type: "cw.fetched";
      readonly reqId: number;
      readonly objectId: ObjectId;
      readonly value: unknown;
    }
  | { readonly type: "cw.taskDone"; readonly taskId: TaskId; readonly attempt: number }
  /** The task's attempt failed in a way the owner may retry (worker crash, retriable user error). */
  | {
      readonly type: "cw.taskFailed";
      readonly spec: TaskSpec;
      readonly error: RayError;
      readonly retriable: boolean;
    }
  | { readonly type: "cw.taskUnschedulable"; readonly spec: TaskSpec }
  /** An actor call's output was lost and its actor must replay it. */
  | { readonly type: "cw.actorOutputLost"; readonly objectId: ObjectId; readonly spec: TaskSpec };

export const CONTROL_MESSAGE_BYTES = 128;
