/**
 * The actors living on one node. An actor holds its resources for its lifetime and runs its method
 * calls one at a time. Calls from one handle run in the handle's submission order (they carry a
 * per-handle sequence number; early arrivals wait in a buffer), and each executed call is given the
 * actor's next execution sequence number in the task table: the order replay follows (Ray paper
 * §3.2, stateful edges).
 */
import { assert } from "../assert.js";
import type { ActorId } from "../ids.js";
import { refArgs, type TaskSpec } from "../task-spec.js";
import type { Allocation } from "./resource-pool.js";
import type { ObjectManager } from "./object-manager.js";
import type { Pin } from "./object-store.js";

export interface HostedActor {
  readonly actorId: ActorId;
  readonly creation: TaskSpec;
  readonly instance: Record<string, unknown>;
  readonly allocation: Allocation;
  /** Next expected handleSeq per handle. */
  readonly nextSeq: Map<string, number>;
  readonly buffered: Map<string, Map<number, TaskSpec>>;
  /** Calls accepted in order, waiting for their turn (and their arguments). */
  readonly queue: Array<{ spec: TaskSpec; missing: number; pinned: Pin[] }>;
  running: boolean;
  /** The running call's argument pins (shared with its runner, emptied by whichever releases first). */
  runningPins: Pin[];
  /** Calls executed so far: the next call's execution sequence number. */
  executed: number;
  /** Being restored from its checkpoint and chain: calls that arrive meanwhile are held. */
  restoring: boolean;
  readonly held: TaskSpec[];
  /** Replayed calls still to run; the actor is announced alive when this reaches 0. */
  replayLeft: number;
  replayTotal: number;
  checkpointSeq: number;
  checkpointLoadUs: number;
}

export class ActorHost {
  readonly actors = new Map<ActorId, HostedActor>();

  constructor(
    private readonly objects: ObjectManager,
    private readonly runCall: (actor: HostedActor, spec: TaskSpec, pinned: Pin[]) => void,
  ) {}

  add(actor: HostedActor): void {
    assert(!this.actors.has(actor.actorId), `actor ${actor.actorId} hosted twice on one node`);
    this.actors.set(actor.actorId, actor);
  }

  /** Accepts a call in its handle's order; returns false if the actor is not hosted here. */
  submit(spec: TaskSpec): boolean {
    const actor = this.actors.get(spec.actorId!);
    if (actor === undefined) return false;
    if (actor.restoring) {
      actor.held.push(spec);
      return true;
    }
    const handle = spec.handleId!;
    // The first incarnation expects every handle from seq 0 (calls may arrive out of order: a later
    // one must wait for an earlier one, not make it look like a duplicate). A restarted one takes
    // the first call it sees from a handle as where that handle is.
    const expected =
      actor.nextSeq.get(handle) ?? (actor.creation.attempt === 0 ? 0 : spec.handleSeq!);
    const seq = spec.handleSeq!;
    if (seq < expected) return true; // a duplicate of a call already accepted
    if (seq > expected) {
      let buf = actor.buffered.get(handle);
      if (buf === undefined) actor.buffered.set(handle, (buf = new Map<number, TaskSpec>()));
      buf.set(seq, spec);
      return true;
    }
    this.accept(actor, spec);
    let next = seq + 1;
    const buf = actor.buffered.get(handle);
    while (buf?.has(next)) {
      const s = buf.get(next)!;
      buf.delete(next);
      this.accept(actor, s);
      next++;
    }
    return true;
  }

  /**
   * Queues the replay of the actor's chain (in execution order, ahead of everything), then lets
   * the calls held during the restore through the usual per-handle ordering.
   */
  restored(actor: HostedActor, replay: readonly TaskSpec[]): void {
    for (const spec of replay) {
      actor.nextSeq.set(
        spec.handleId!,
        Math.max(actor.nextSeq.get(spec.handleId!) ?? 0, spec.handleSeq! + 1),
      );
      this.accept(actor, spec, false);
    }
    actor.restoring = false;
    for (const spec of actor.held.splice(0)) this.submit(spec);
  }

  /** The running call ended: start the next one whose arguments are local. */
  callEnded(actor: HostedActor): void {
    assert(actor.running, `actor ${actor.actorId}: a call ended but none was running`);
    actor.running = false;
    this.runNext(actor);
  }

  remove(actorId: ActorId): HostedActor | undefined {
    const actor = this.actors.get(actorId);
    if (actor === undefined) return undefined;
    this.actors.delete(actorId);
    // A killed call never reports its end, so its pins are released here.
    for (const call of actor.queue) for (const pin of call.pinned) this.objects.store.unpin(pin);
    for (const pin of actor.runningPins) this.objects.store.unpin(pin);
    actor.runningPins.length = 0;
    return actor;
  }

  private accept(actor: HostedActor, spec: TaskSpec, advance = true): void {
    if (advance) actor.nextSeq.set(spec.handleId!, spec.handleSeq! + 1);
    const args = refArgs(spec);
    const call = { spec, missing: args.length, pinned: [] as Pin[] };
    actor.queue.push(call);
    for (const id of args) {
      this.objects.need(id, () => {
        if (!this.actors.has(actor.actorId) || !actor.queue.includes(call)) return;
        call.missing--;
        this.runNext(actor);
      });
    }
    this.runNext(actor);
  }

  private runNext(actor: HostedActor): void {
    if (actor.running || actor.queue.length === 0) return;
    const head = actor.queue[0]!;
    if (head.missing > 0) return;
    const args = refArgs(head.spec);
    const evicted = args.filter((id) => !this.objects.isLocal(id));
    if (evicted.length > 0) {
      // An argument was evicted while the call waited its turn: fetch it again.
      head.missing = evicted.length;
      for (const id of evicted)
        this.objects.need(id, () => {
          head.missing--;
          this.runNext(actor);
        });
      return;
    }
    for (const id of args) head.pinned.push(this.objects.store.pin(id));
    actor.queue.shift();
    actor.running = true;
    actor.runningPins = head.pinned;
    this.runCall(actor, head.spec, head.pinned);
  }
}
