/**
 * The GCS wire protocol: single-key operations (as on Redis), replies and pub/sub notifications.
 *
 * Over lossy channels: requests and replies are work, so the RPC layer (core/rpc/rpc-layer.ts)
 * acknowledges, resends and dedupes them — single-server writes that want no reply included, which
 * were fire-and-forget. With chain replication the client also resends by request id across
 * failovers and the head applies a write once (request-dedupe.ts). Heartbeats are background and
 * may be lost: the next one supersedes them and the detector waits for several missed. Notifications
 * that matter (a death, object locations, actor states) are work and reliable; the periodic alive
 * rows fanned out to the global scheduler are background, superseded by the next.
 */
import type { Address } from "../env.js";
import type { ActorId, ObjectId, TaskId } from "../ids.js";
import type { TaskSpec } from "../task-spec.js";
import type { ActorEntry, Heartbeat, NodeRow, ObjectEntry, TaskRow, TaskStatus } from "./tables.js";
import { unreachable } from "../assert.js";

export type GcsTable = "task" | "object" | "node" | "actor" | "function";

export type GcsOp =
  | { readonly op: "task.add"; readonly spec: TaskSpec }
  /**
   * Records an attempt's progress. A "scheduled" write never undoes a later status of the same
   * attempt (a placement's write can arrive after the task ran). "running" on an actor creation is
   * a claim: applied only for the latest attempt and if no other node claimed it, so an actor's
   * instance starts on one node only (a restarted scheduler, a forwarder's fallback or a late
   * placement may hand the same or an older attempt to another node).
   */
  | {
      readonly op: "task.update";
      readonly taskId: TaskId;
      readonly status: TaskStatus;
      readonly node: string;
      readonly incarnation: number;
      readonly attempt: number;
      readonly actorSeq?: number;
    }
  /**
   * Atomically grants the next attempt of a task (retry or reconstruction), so concurrent requests
   * from many nodes cause one re-execution (Ray 2018's task-table lease). `expectedAttempt` >= 0:
   * only if that is still the latest attempt (an owner's retry); -1: a reconstruction request, which
   * waits while a live node still holds an attempt in progress.
   */
  | {
      readonly op: "task.resubmit";
      readonly taskId: TaskId;
      readonly expectedAttempt: number;
      readonly cause: "retry" | "reconstruction";
      readonly node: string;
      readonly incarnation: number;
      /**
       * An owner's retry: the attempt it retries. Its fire-and-forget task.add may still be on its
       * way (dropped and resent), so a missing row is recorded from it rather than read as evicted.
       */
      readonly spec?: TaskSpec;
    }
  | { readonly op: "task.get"; readonly taskId: TaskId }
  | {
      readonly op: "object.add";
      readonly objectId: ObjectId;
      readonly node: string;
      readonly incarnation: number;
      readonly sizeBytes: number;
      readonly fromPut: boolean;
    }
  | { readonly op: "object.remove"; readonly objectId: ObjectId; readonly node: string }
  | { readonly op: "object.get"; readonly objectId: ObjectId }
  | { readonly op: "object.subscribe"; readonly objectId: ObjectId }
  | { readonly op: "object.unsubscribe"; readonly objectId: ObjectId }
  | { readonly op: "node.heartbeat"; readonly heartbeat: Heartbeat }
  | { readonly op: "node.subscribe"; readonly heartbeats: boolean }
  | { readonly op: "node.list" }
  | { readonly op: "actor.put"; readonly entry: ActorEntry }
  | { readonly op: "actor.get"; readonly actorId: ActorId }
  | { readonly op: "actor.subscribe"; readonly actorId: ActorId }
  /** The actor's stateful-edge chain: call `seq` of the actor was task `taskId`. */
  | {
      readonly op: "actor.logCall";
      readonly actorId: ActorId;
      readonly seq: number;
      readonly taskId: TaskId;
    }
  /** A checkpoint covering the actor's calls before `seq` is in durable storage. */
  | { readonly op: "actor.checkpoint"; readonly actorId: ActorId; readonly seq: number }
  /** The calls to replay: those after the last checkpoint, in execution order. */
  | { readonly op: "actor.getLog"; readonly actorId: ActorId }
  | { readonly op: "function.register"; readonly functionId: string; readonly name: string };

export type GcsOpName = GcsOp["op"];

/** Which table an op touches and the key that picks its shard. */
export function tableOf(op: GcsOp): GcsTable {
  return op.op.slice(0, op.op.indexOf(".")) as GcsTable;
}

export function keyOf(op: GcsOp): string {
  switch (op.op) {
    case "task.add":
      return op.spec.taskId;
    case "task.update":
    case "task.resubmit":
    case "task.get":
      return op.taskId;
    case "object.add":
    case "object.remove":
    case "object.get":
    case "object.subscribe":
    case "object.unsubscribe":
      return op.objectId;
    case "node.heartbeat":
      return op.heartbeat.node;
    case "node.subscribe":
    case "node.list":
      return "*";
    case "actor.put":
      return op.entry.actorId;
    case "actor.get":
    case "actor.subscribe":
    case "actor.logCall":
    case "actor.checkpoint":
    case "actor.getLog":
      return op.actorId;
    case "function.register":
      return op.functionId;
    default:
      return unreachable(op, "GCS op");
  }
}

/** Ops that only read: served by a chain's tail. */
export function isRead(op: GcsOp): boolean {
  return op.op.endsWith(".get") || op.op === "node.list" || op.op === "actor.getLog";
}

/** The answer to actor.getLog: task ids of calls `checkpointSeq`, `checkpointSeq + 1`, … */
export interface ActorLog {
  readonly checkpointSeq: number;
  readonly calls: readonly TaskId[];
}

/**
 * The answer to task.add. A task id that exists is adopted, never reset: a retried parent recreates
 * its children's ids, and their live rows (attempt, status) are the truth. `row` is undefined when
 * the row's lineage was evicted (only finished rows are). `nodeDead`: the node the row names was
 * declared dead, so no one may be left to report on that attempt.
 */
export type TaskAddResult =
  | { readonly added: true }
  | { readonly added: false; readonly row: TaskRow | undefined; readonly nodeDead: boolean };

/**
 * The answer to task.update. Not applied: "stale" (a newer attempt exists, or the row was evicted),
 * "dead" (the node it names was declared dead: its writes are fenced off), "claimed" (another node
 * already claimed this attempt of an actor creation), "unknown" (no row yet: the owner's task.add
 * has not arrived).
 */
export type TaskUpdateResult =
  | { readonly applied: true }
  | { readonly applied: false; readonly reason: "stale" | "dead" | "claimed" | "unknown" };

/** The answer to task.resubmit. */
export type ResubmitResult =
  | { readonly kind: "granted"; readonly spec: TaskSpec }
  | { readonly kind: "in-progress"; readonly attempt: number }
  | { readonly kind: "stale"; readonly attempt: number }
  | { readonly kind: "exhausted"; readonly attempts: number }
  | { readonly kind: "evicted" };

export type GcsNotification =
  | { readonly table: "object"; readonly key: string; readonly entry: ObjectEntry | undefined }
  | { readonly table: "node"; readonly key: string; readonly row: NodeRow }
  | { readonly table: "actor"; readonly key: string; readonly entry: ActorEntry };

export interface GcsRequestMessage {
  readonly type: "gcs.request";
  /** -1: no reply wanted (a fire-and-forget write). */
  readonly reqId: number;
  readonly op: GcsOp;
  readonly client: Address;
  /** Chain replication: the client's lowest request id still waiting (request-dedupe.ts). */
  readonly lowWater?: number;
  /** Chain replication: tells this client process apart from an earlier one at its address. */
  readonly session?: string;
}

export interface GcsReplyMessage {
  readonly type: "gcs.reply";
  readonly reqId: number;
  readonly result: unknown;
}

export interface GcsNotifyMessage {
  readonly type: "gcs.notify";
  readonly notification: GcsNotification;
}

export type GcsResult<O extends GcsOp["op"]> = O extends "task.get"
  ? TaskRow | undefined
  : O extends "task.add"
    ? TaskAddResult
    : O extends "task.update"
      ? TaskUpdateResult
      : O extends "object.get" | "object.subscribe"
        ? ObjectEntry | undefined
        : O extends "actor.get" | "actor.subscribe"
          ? ActorEntry | undefined
          : O extends "node.list" | "node.subscribe"
            ? NodeRow[]
            : undefined;

export const GCS_MESSAGE_BYTES = 256;
