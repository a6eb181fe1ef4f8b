/**
 * The actor side of a core worker: routes method calls to the node hosting the actor (learned
 * from the GCS actor table), and owns the actors it created. Actor fault tolerance lives here:
 *
 * - An actor whose instance is lost (its node, worker or GPU died, or `kill` without noRestart)
 *   is restarted by its owner while `maxRestarts` allows: the GCS grants the next attempt of its
 *   creation task, so a restart happens once however many parties notice. Past the budget the
 *   actor is dead and every pending and later call fails with ActorDiedError.
 * - Calls not yet done when the instance died are resent to the new instance. In "replay" mode
 *   the new instance has already re-executed, from its last checkpoint, every call it had run
 *   (the stateful-edge chain in the GCS), so a resent call it already replayed, or that its
 *   checkpoint covers, is a duplicate it drops. Every call sent carries its handle's floor (the
 *   lowest seq this worker has not seen settled), so resends that arrive out of order wait for one
 *   another instead of passing for duplicates. In "restart" mode state is lost: a pending call is retried only while `maxTaskRetries`
 *   allows, else it fails with ActorUnavailableError; no completed call is re-run.
 */
import { assert } from "../assert.js";
import { address, type Address, type Env } from "../env.js";
import type { ActorId, ObjectId, TaskId } from "../ids.js";
import type { GcsClient } from "../gcs/client.js";
import type { ActorEntry, TaskRow } from "../gcs/tables.js";
import type { ActorLog, ResubmitResult } from "../gcs/messages.js";
import { hasRetriesLeft, nextAttempt, withHandleFloor, type TaskSpec } from "../task-spec.js";
import { CONTROL_MESSAGE_BYTES, type RayletMessage } from "../raylet/messages.js";
import { ActorDiedError, ActorUnavailableError, ObjectLostError, type RayError } from "./errors.js";

/**
 * What the actor client needs of its core worker (core-worker.ts implements it): the worker owns
 * the calls, the actor client decides where they go. A narrow port, so the two files do not import
 * each other.
 */
export interface ActorOwner {
  readonly env: Env;
  readonly config: { readonly nodeName: string; readonly incarnation: number };
  readonly gcs: GcsClient;
  /** The tasks this worker owns and has not seen finish, by id. */
  readonly owned: ReadonlyMap<TaskId, { readonly spec: TaskSpec }>;
  readonly rayletAddress: Address;
  /** The owned actor calls to `actorId` not yet done. */
  pendingCallsTo(actorId: ActorId): TaskSpec[];
  /** The lowest handleSeq of `handleId` among the owned calls not yet done or failed for good. */
  handleFloorSeq(handleId: string): number | undefined;
  resubmitLocally(spec: TaskSpec): void;
  submitGranted(spec: TaskSpec): void;
  failForGood(spec: TaskSpec, error: RayError): void;
}

/** How often an actor's entry is read again while calls wait for it (see armRefresh). */
const ACTOR_REFRESH_US = 1_000_000;

export class ActorClient {
  private readonly entries = new Map<ActorId, ActorEntry>();
  private readonly awaiting = new Map<ActorId, TaskSpec[]>();
  /** Actors this worker created (it restarts them): the latest attempt of each creation task. */
  private readonly created = new Map<ActorId, TaskSpec>();
  private readonly subscribed = new Set<ActorId>();
  /** Actors whose entry a refresh timer will read again (armRefresh). */
  private readonly refreshing = new Set<ActorId>();
  restartsRequested = 0;

  constructor(private readonly cw: ActorOwner) {}

  entry(actorId: ActorId): ActorEntry | undefined {
    return this.entries.get(actorId);
  }

  /** Records a creation this worker submitted: it owns the actor. */
  ownCreation(spec: TaskSpec): void {
    assert(
      spec.kind === "actor-creation",
      `actor client: ownCreation of a ${spec.kind} (${spec.taskId})`,
    );
    assert(spec.actorId !== undefined, `actor client: creation ${spec.taskId} names no actor`);
    this.created.set(spec.actorId, spec);
    this.subscribe(spec.actorId);
  }

  /**
   * A retried parent recreated an actor id that exists: own the live actor (its latest creation
   * attempt) instead of building a second one. `nodeDead`: its creation was in progress on a node
   * declared dead before this worker owned it, so no death notice will come: restart it now.
   */
  adoptCreation(latest: TaskSpec, nodeDead: boolean): void {
    assert(
      latest.kind === "actor-creation",
      `actor client: adoptCreation of a ${latest.kind} (${latest.taskId})`,
    );
    const actorId = latest.actorId!;
    const known = this.created.get(actorId);
    if (known === undefined || known.attempt <= latest.attempt) this.created.set(actorId, latest);
    if (nodeDead)
      this.restart(
        actorId,
        `its node died before its creator was retried`,
        this.created.get(actorId)!.attempt,
      );
  }

  /** Sends a call to the actor's node, or holds it until the actor is alive. */
  send(spec: TaskSpec): void {
    assert(spec.kind === "actor-method", `actor client: send of a ${spec.kind} (${spec.taskId})`);
    assert(spec.actorId !== undefined, `actor client: call ${spec.taskId} names no actor`);
    const actorId = spec.actorId;
    this.subscribe(actorId);
    const entry = this.entries.get(actorId);
    if (entry?.state === "alive") {
      // Stamped now, not at submission: a resend tells the actor how far this caller has settled.
      const seq = spec.handleSeq!;
      const floorSeq = Math.min(this.cw.handleFloorSeq(spec.handleId!) ?? seq, seq);
      this.cw.env.send(
        address("raylet", entry.node),
        { type: "raylet.actorCall", spec: withHandleFloor(spec, floorSeq) } satisfies RayletMessage,
        CONTROL_MESSAGE_BYTES,
      );
      return;
    }
    if (entry?.state === "dead")
      return this.cw.failForGood(spec, new ActorDiedError(actorId, entry.deathCause));
    this.hold(spec);
  }

  kill(actorId: ActorId, noRestart: boolean): void {
    const entry = this.entries.get(actorId);
    if (entry === undefined || entry.state !== "alive") return;
    this.cw.env.send(
      address("raylet", entry.node),
      { type: "raylet.killActor", actorId, noRestart } satisfies RayletMessage,
      CONTROL_MESSAGE_BYTES,
    );
  }

  /** A call reached a node that no longer hosts its actor: resend it where it is, or hold it. */
  callBounced(spec: TaskSpec, bouncedFrom: string): void {
    assert(spec.kind === "actor-method", `actor client: a bounced ${spec.kind} (${spec.taskId})`);
    const actorId = spec.actorId!;
    const t = this.cw.owned.get(spec.taskId);
    if (t === undefined || t.spec.attempt !== spec.attempt) return;
    const entry = this.entries.get(actorId);
    if (entry?.state === "dead")
      return this.cw.failForGood(spec, new ActorDiedError(actorId, entry.deathCause));
    if (entry?.state === "alive" && entry.node !== bouncedFrom) return this.send(spec);
    this.hold(spec);
  }

  /**
   * An actor output was lost. In "replay" mode a fresh instance regenerates it if the call comes
   * after the actor's last checkpoint: ask for one (unless a restart is already under way). A call
   * the checkpoint covers, or any call in "restart" mode, cannot be re-run: the object is lost.
   */
  outputLost(id: ObjectId, spec: TaskSpec): void {
    assert(
      spec.kind === "actor-method",
      `actor client: output ${id} of a ${spec.kind} sent for replay`,
    );
    const actorId = spec.actorId!;
    const entry = this.entries.get(actorId);
    const lost = (why: string) => {
      const error = new ObjectLostError(id, `it came from actor call ${spec.name}, which ${why}`);
      this.cw.env.send(
        this.cw.rayletAddress,
        { type: "raylet.storeError", objectIds: [id], error } satisfies RayletMessage,
        CONTROL_MESSAGE_BYTES,
      );
    };
    if (entry === undefined || entry.recovery === "restart")
      return lost('is not re-run by an actor in recovery mode "restart"');
    if (entry.state === "dead")
      return lost(`cannot be replayed: the actor is dead (${entry.deathCause})`);
    if (entry.state !== "alive") return; // a restart is under way; its replay will bring it back
    this.cw.gcs.call({ op: "task.get", taskId: spec.taskId }, (row) => {
      const actorSeq = (row as TaskRow | undefined)?.actorSeq ?? -1;
      this.cw.gcs.call({ op: "actor.getLog", actorId }, (log) => {
        if (actorSeq < (log as ActorLog).checkpointSeq)
          return lost("a checkpoint covers, so replay does not re-run it");
        const now = this.entries.get(actorId);
        if (now?.state !== "alive") return;
        this.cw.env.send(
          address("raylet", now.node),
          { type: "raylet.killActor", actorId, noRestart: false } satisfies RayletMessage,
          CONTROL_MESSAGE_BYTES,
        );
      });
    });
  }

  /** The node hosting some of my actors died: restart them. */
  nodeDied(node: string): void {
    for (const [actorId, entry] of this.entries) {
      const hosted = entry.state === "alive" || entry.state === "restarting";
      if (entry.node === node && hosted && this.created.has(actorId))
        this.restart(actorId, `its node ${node} died`, entry.restarts);
    }
  }

  updated(entry: ActorEntry): void {
    const known = this.entries.get(entry.actorId);
    if (
      known !== undefined &&
      (known.restarts > entry.restarts ||
        (known.restarts === entry.restarts && rank(known.state) > rank(entry.state)))
    )
      return;
    this.entries.set(entry.actorId, entry);
    if (entry.state === "lost" && this.created.has(entry.actorId))
      return this.restart(entry.actorId, entry.deathCause, entry.restarts);
    if (entry.state === "dead") return this.failAll(entry);
    if (entry.state !== "alive") return;
    const restarted =
      known !== undefined &&
      entry.restarts > 0 &&
      (known.restarts < entry.restarts || known.state !== "alive");
    if (restarted) this.resendPending(entry);
    const waiting = this.awaiting.get(entry.actorId) ?? [];
    this.awaiting.delete(entry.actorId);
    for (const spec of waiting) this.send(spec);
  }

  private hold(spec: TaskSpec): void {
    let list = this.awaiting.get(spec.actorId!);
    if (list === undefined) {
      this.awaiting.set(spec.actorId!, (list = []));
      this.armRefresh(spec.actorId!);
    }
    if (!list.some((s) => s.taskId === spec.taskId && s.attempt === spec.attempt)) list.push(spec);
  }

  /**
   * While calls wait for an actor, its entry is read again now and then, as a long-polling
   * subscriber would: a notification can be lost for good where a chain's tail changes hands
   * (the write applied by a joiner whose transfer restarted is delivered by no one), and the
   * subscription alone would then wait forever (swarm seed 2541: an actor alive for 11 s, its
   * calls never sent). Background: a refresh never keeps a finished run alive.
   */
  private armRefresh(actorId: ActorId): void {
    // One refresh chain per actor: calls held again before the last chain's timer fired reuse it.
    if (this.refreshing.has(actorId)) return;
    this.refreshing.add(actorId);
    this.cw.env.setTimer(
      ACTOR_REFRESH_US,
      () => {
        this.refreshing.delete(actorId);
        if (!this.awaiting.has(actorId)) return;
        this.cw.gcs.call({ op: "actor.subscribe", actorId }, (entry) => {
          if (entry !== undefined) this.updated(entry as ActorEntry);
        });
        this.armRefresh(actorId);
      },
      "background",
    );
  }

  private subscribe(actorId: ActorId): void {
    if (this.subscribed.has(actorId)) return;
    this.subscribed.add(actorId);
    this.cw.gcs.call({ op: "actor.subscribe", actorId }, (entry) => {
      if (entry !== undefined) this.updated(entry as ActorEntry);
    });
  }

  /**
   * Restarts the instance of creation attempt `lostAttempt`, which died. The GCS grants the next
   * attempt only if that one is still the latest, so a restart happens once per death. The lost
   * attempt, not this owner's record, is named: a creation attempt retried as a task (its node
   * died while it ran) is newer than any restart this owner was granted.
   */
  private restart(actorId: ActorId, cause: string, lostAttempt: number): void {
    const creation = this.created.get(actorId)!;
    // Only an owner restarts an actor: callers check `created` first.
    assert(
      creation !== undefined,
      `actor client: restart of ${actorId}, which this worker did not create`,
    );
    const cfg = this.cw.config;
    this.restartsRequested++;
    this.cw.gcs.call(
      {
        op: "task.resubmit",
        taskId: creation.taskId,
        expectedAttempt: lostAttempt,
        cause: "retry",
        node: cfg.nodeName,
        incarnation: cfg.incarnation,
      },
      (result) => {
        const r = result as ResubmitResult;
        const base = this.entries.get(actorId);
        if (r.kind === "granted") {
          // The GCS grants the attempt after the one this restart named, of the same creation task.
          assert(
            r.spec.taskId === creation.taskId,
            `actor ${actorId}: restart granted task ${r.spec.taskId}, not ${creation.taskId}`,
          );
          assert(
            r.spec.attempt === lostAttempt + 1,
            `actor ${actorId}: restart granted attempt ${r.spec.attempt} after ${lostAttempt}`,
          );
          this.created.set(actorId, r.spec);
          const restarting: ActorEntry = {
            actorId,
            creationTaskId: creation.taskId,
            state: "restarting",
            node: "",
            restarts: r.spec.attempt,
            deathCause: cause,
            recovery: base?.recovery,
          };
          this.cw.gcs.call({ op: "actor.put", entry: restarting });
          this.cw.submitGranted(r.spec);
          return;
        }
        // Another owner (the creator's retried attempt, or its first) restarted it: follow that
        // attempt, so this owner's next restart names it.
        if (r.kind === "stale" && r.attempt > (this.created.get(actorId)?.attempt ?? -1))
          this.created.set(actorId, { ...creation, attempt: r.attempt });
        if (r.kind === "exhausted" || r.kind === "evicted") {
          const dead: ActorEntry = {
            actorId,
            creationTaskId: creation.taskId,
            state: "dead",
            node: "",
            restarts: Math.max(creation.attempt, lostAttempt),
            deathCause: `${cause}, and its maxRestarts budget is used up`,
            recovery: base?.recovery,
          };
          this.cw.gcs.call({ op: "actor.put", entry: dead });
        }
      },
    );
  }

  /** After a restart: calls of mine the old instance did not finish go to the new one. */
  private resendPending(entry: ActorEntry): void {
    // In handle order: a call failed for good here raises the floor the later ones carry, so the
    // new instance never waits for a call that will not come.
    const pending = this.cw
      .pendingCallsTo(entry.actorId)
      .sort((a, b) =>
        a.handleId === b.handleId
          ? a.handleSeq! - b.handleSeq!
          : a.handleId! < b.handleId!
            ? -1
            : 1,
      );
    for (const spec of pending) {
      if (entry.recovery !== "restart") {
        this.send(spec);
        continue;
      }
      if (!hasRetriesLeft(spec)) {
        this.cw.failForGood(
          spec,
          new ActorUnavailableError(
            entry.actorId,
            `it restarted (${entry.deathCause}) while call ${spec.name} was pending and maxTaskRetries is used up`,
          ),
        );
        continue;
      }
      this.cw.resubmitLocally(nextAttempt(spec, "retry", this.cw.env.nowUs()));
    }
  }

  private failAll(entry: ActorEntry): void {
    const error: RayError = new ActorDiedError(entry.actorId, entry.deathCause);
    for (const spec of this.cw.pendingCallsTo(entry.actorId)) this.cw.failForGood(spec, error);
    for (const spec of this.awaiting.get(entry.actorId) ?? []) this.cw.failForGood(spec, error);
    this.awaiting.delete(entry.actorId);
  }
}

/** Within one incarnation, states only move forward. */
function rank(state: ActorEntry["state"]): number {
  return { pending: 0, restarting: 1, alive: 2, lost: 3, dead: 4 }[state];
}
