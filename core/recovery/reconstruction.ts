/**
 * Lineage reconstruction, on the side that needs a lost object (Ray paper §4.2.3; DESIGN.md
 * "Lineage is data"). When an object this node waits for has an object-table entry but no live
 * copy, ask the GCS for the next attempt of its creating task (`task.resubmit`, atomic at the
 * shard, so requests from many nodes cause one re-execution) and resubmit the spec read back from
 * the task table. Its lost arguments are rebuilt the same way when the local scheduler needs them,
 * so recursion stops at the first ancestors that still have a copy. While another attempt is in
 * progress on a live node, the request is repeated every `pollUs` until the object is back: an
 * attempt that dies is picked up again (the lease of Ray 2018).
 *
 * Unrecoverable cases end in a typed error stored as the object's value: a `put` object
 * (ObjectLostError), a spent retry budget (…MaxAttemptsExceededError), dropped lineage
 * (…LineageEvictedError).
 */
import type { Env, TimerId } from "../env.js";
import { creatingTaskId, type ObjectId } from "../ids.js";
import {
  ObjectLostError,
  ObjectReconstructionFailedLineageEvictedError,
  ObjectReconstructionFailedMaxAttemptsExceededError,
  type RayError,
} from "../api/errors.js";
import type { GcsClient } from "../gcs/client.js";
import type { ResubmitResult } from "../gcs/messages.js";
import type { ObjectEntry } from "../gcs/tables.js";
import type { TaskSpec } from "../task-spec.js";
import { assert, unreachable } from "../assert.js";

export interface ReconstructionHost {
  readonly env: Env;
  readonly gcs: GcsClient;
  readonly nodeName: string;
  readonly incarnation: number;
  readonly pollUs: number;
  /** Is the object still wanted here and still missing? */
  stillNeeded(id: ObjectId): boolean;
  /** Resubmit a granted attempt from this node. */
  submit(spec: TaskSpec): void;
  /** The object is lost for good: store the error as its value. */
  fail(id: ObjectId, error: RayError): void;
  /** A lost actor output: rebuilt by replaying the actor, not by rerunning a task. */
  actorOutputLost(id: ObjectId, spec: TaskSpec): void;
}

export class LineageReconstruction {
  private readonly active = new Map<ObjectId, TimerId | undefined>();
  requests = 0;
  granted = 0;

  constructor(private readonly host: ReconstructionHost) {
    assert(
      host.pollUs > 0,
      `reconstruction at ${host.nodeName}: poll interval must be > 0, got ${host.pollUs}`,
    );
  }

  /** The object manager found `id` with no live copy. */
  objectLost(id: ObjectId, entry: ObjectEntry): void {
    assert(
      entry.objectId === id,
      `reconstruction: object ${id} reported lost with the entry of ${entry.objectId}`,
    );
    if (this.active.has(id)) return;
    this.host.env.trace({
      kind: "object.lost",
      objectId: id,
      reason: entry.fromPut ? "put" : "no-copy",
    });
    if (entry.fromPut) return this.host.fail(id, new ObjectLostError(id));
    this.active.set(id, undefined);
    this.request(id);
  }

  /** A node died: requests waiting on an attempt there can be granted now, not at the next poll. */
  onNodeDead(): void {
    for (const [id, timer] of this.active) {
      if (timer === undefined) continue;
      this.host.env.cancelTimer(timer);
      this.active.set(id, undefined);
      this.request(id);
    }
  }

  private request(id: ObjectId): void {
    if (!this.host.stillNeeded(id)) return void this.active.delete(id);
    const taskId = creatingTaskId(id);
    this.requests++;
    this.host.gcs.call(
      {
        op: "task.resubmit",
        taskId,
        expectedAttempt: -1,
        cause: "reconstruction",
        node: this.host.nodeName,
        incarnation: this.host.incarnation,
      },
      (result) => this.answered(id, result as ResubmitResult),
    );
  }

  private answered(id: ObjectId, r: ResubmitResult): void {
    if (!this.active.has(id)) return;
    const taskId = creatingTaskId(id);
    switch (r.kind) {
      case "granted":
        // The GCS grants the next attempt of the task that creates `id`, never another task's.
        assert(
          r.spec.taskId === taskId,
          `reconstruction of ${id}: granted task ${r.spec.taskId}, asked for ${taskId}`,
        );
        assert(
          r.spec.attempt >= 1,
          `reconstruction of ${id}: granted attempt ${r.spec.attempt} is not a re-execution`,
        );
        this.granted++;
        this.host.env.trace({
          kind: "object.reconstructed",
          objectId: id,
          taskId,
          attempt: r.spec.attempt,
        });
        if (r.spec.kind === "actor-method") this.host.actorOutputLost(id, r.spec);
        else this.host.submit(r.spec);
        return this.poll(id);
      case "in-progress":
      case "stale":
        return this.poll(id);
      case "exhausted":
        this.active.delete(id);
        return this.host.fail(
          id,
          new ObjectReconstructionFailedMaxAttemptsExceededError(id, taskId, r.attempts),
        );
      case "evicted":
        this.active.delete(id);
        return this.host.fail(id, new ObjectReconstructionFailedLineageEvictedError(id, taskId));
      default:
        unreachable(r, "resubmit result");
    }
  }

  private poll(id: ObjectId): void {
    // One request or one timer per object at a time: a second timer would double the requests.
    assert(
      this.active.get(id) === undefined,
      `reconstruction of ${id}: a poll timer is already pending`,
    );
    if (!this.host.stillNeeded(id)) return void this.active.delete(id);
    const timer = this.host.env.setTimer(
      this.host.pollUs,
      () => {
        this.active.set(id, undefined);
        this.request(id);
      },
      "background",
    );
    this.active.set(id, timer);
  }
}
