/**
 * The actors living on one node. An actor holds its resources for its lifetime and runs its method
 * calls one at a time. Calls from one handle run in the handle's submission order (they carry a
 * per-handle sequence number; early arrivals wait in a buffer), and each executed call is given the
 * actor's next execution sequence number in the task table: the order replay follows (Ray paper
 * §3.2, stateful edges).
 *
 * Where a handle resumes: each call carries its caller's floor (task-spec.ts `handleFloorSeq`),
 * below which the caller sends nothing again; the expected seq only rises, to the floor or past an
 * accepted call. A restarted instance starts from its checkpoint's per-handle seqs, raised by the
 * chain it replays — never from whichever resent call happens to arrive first.
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
  /** Per handle, the seq after its last call that ran: what a checkpoint records. */
  readonly ranSeq: Map<string, number>;
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
    const seq = spec.handleSeq!;
    const floor = spec.handleFloorSeq!;
    assert(
      Number.isInteger(floor) && floor >= 0 && floor <= seq,
      `actor ${actor.actorId}: call ${spec.taskId} (seq ${seq}) carries handle floor ${floor}`,
    );
    // Calls may arrive out of order (a later one waits for an earlier one, it does not make it look
    // like a duplicate), so a handle this instance knows nothing of starts at its caller's floor.
    const expected = this.raise(actor, handle, floor);
    if (seq < expected) return true; // a duplicate of a call already accepted, or settled
    let buf = actor.buffered.get(handle);
    if (buf === undefined) actor.buffered.set(handle, (buf = new Map<number, TaskSpec>()));
    buf.set(seq, spec);
    this.drain(actor, handle);
    return true;
  }

  /**
   * Queues the replay of the actor's chain (in execution order, ahead of everything), then lets
   * the calls held during the restore through the usual per-handle ordering.
   */
  restored(
    actor: HostedActor,
    checkpointSeqs: ReadonlyMap<string, number>,
    replay: readonly TaskSpec[],
  ): void {
    // What the checkpoint covers first (a call it covers may be resent: its completion notice can
    // die with the node), then what the chain replays.
    for (const [handle, next] of checkpointSeqs) {
      assert(
        Number.isInteger(next) && next >= 0,
        `actor ${actor.actorId}: checkpoint holds seq ${next} for handle ${handle}`,
      );
      actor.nextSeq.set(handle, Math.max(actor.nextSeq.get(handle) ?? 0, next));
      actor.ranSeq.set(handle, Math.max(actor.ranSeq.get(handle) ?? 0, next));
    }
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

  /** Raises the handle's expected seq to `floorSeq` (never lowers it); returns the expected seq. */
  private raise(actor: HostedActor, handle: string, floorSeq: number): number {
    const known = actor.nextSeq.get(handle);
    const expected = Math.max(known ?? 0, floorSeq);
    if (expected === known) return expected;
    actor.nextSeq.set(handle, expected);
    const buf = actor.buffered.get(handle);
    if (buf !== undefined) for (const s of [...buf.keys()]) if (s < expected) buf.delete(s);
    return expected;
  }

  /** Accepts the handle's buffered calls from its expected seq on, while they are contiguous. */
  private drain(actor: HostedActor, handle: string): void {
    const buf = actor.buffered.get(handle);
    if (buf === undefined) return;
    let next = actor.nextSeq.get(handle) ?? 0;
    while (buf.has(next)) {
      const s = buf.get(next)!;
      buf.delete(next);
      this.accept(actor, s);
      next++;
    }
    if (buf.size === 0) actor.buffered.delete(handle);
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
    const handle = head.spec.handleId!;
    actor.ranSeq.set(handle, Math.max(actor.ranSeq.get(handle) ?? 0, head.spec.handleSeq! + 1));
    actor.running = true;
    actor.runningPins = head.pinned;
    this.runCall(actor, head.spec, head.pinned);
  }
}
