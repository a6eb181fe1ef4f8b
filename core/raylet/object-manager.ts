/**
 * The object manager: makes objects local. A need for a missing object subscribes to its entry in
 * the GCS object table (Ray's "callback on the object table"), pulls a copy from a node that holds
 * it as soon as one is known, stores it, and announces the new location. Copies are served to
 * peers from the local store. An entry that exists with no location left means the object was
 * lost: that is reported to the `onLost` hook (lineage reconstruction), never papered over.
 */
import { assert } from "../assert.js";
import { address, type Env } from "../env.js";
import { isPutObjectId, type ObjectId } from "../ids.js";
import type { GcsClient } from "../gcs/client.js";
import type { ObjectEntry } from "../gcs/tables.js";
import { ObjectStore } from "./object-store.js";
import type { RayletMessage } from "./messages.js";

interface PullState {
  /** The node a pull request is in flight to, or "" when none is. */
  pullingFrom: string;
  /** Nodes that answered pullFailed, skipped until the entry changes. */
  readonly failed: Set<string>;
  lastEntry: ObjectEntry | undefined;
}

export interface ObjectManagerHooks {
  /** An object needed here has an object-table entry but no live copy anywhere. */
  onLost(objectId: ObjectId, entry: ObjectEntry): void;
  /** Objects pushed out by LRU eviction. */
  onEvicted(objectIds: readonly ObjectId[]): void;
}

export class ObjectManager {
  private readonly waiters = new Map<ObjectId, Array<() => void>>();
  private readonly pulls = new Map<ObjectId, PullState>();
  /** Waiting for a copy to exist anywhere (wait with fetchLocal: false). */
  private readonly locators = new Map<ObjectId, Array<() => void>>();
  /** `put` objects a fault dropped before their copy arrived here (see `drop`). */
  private readonly droppedPuts = new Set<ObjectId>();
  transfersIn = 0;
  bytesIn = 0;

  constructor(
    private readonly env: Env,
    private readonly nodeName: string,
    private readonly incarnation: number,
    readonly store: ObjectStore,
    private readonly gcs: GcsClient,
    private readonly hooks: ObjectManagerHooks,
  ) {
    gcs.onTailChange((shard) => this.readAgain(shard));
  }

  /** A shard's notifications may have been lost: read the entries of what waits on it again. */
  private readAgain(shard: number): void {
    for (const id of new Set([...this.pulls.keys(), ...this.locators.keys()])) {
      if (this.gcs.shardOf(id) !== shard) continue;
      this.gcs.call({ op: "object.subscribe", objectId: id }, (entry) =>
        this.onEntry(id, entry as ObjectEntry | undefined),
      );
    }
  }

  isLocal(id: ObjectId): boolean {
    return this.store.has(id);
  }

  /** Calls `ready` once `id` is in the local store (at once if it already is). */
  need(id: ObjectId, ready: () => void): void {
    if (this.store.has(id)) return ready();
    let list = this.waiters.get(id);
    if (list === undefined) this.waiters.set(id, (list = []));
    list.push(ready);
    if (!this.pulls.has(id)) this.startPull(id);
  }

  /** Is `id` awaited here (to fetch or to locate) and not yet local? */
  isWanted(id: ObjectId): boolean {
    return (this.waiters.has(id) || this.locators.has(id)) && !this.store.has(id);
  }

  /** Calls `ready` once a copy of `id` exists on some node (at once if local). */
  locate(id: ObjectId, ready: () => void): void {
    if (this.store.has(id)) return ready();
    let list = this.locators.get(id);
    if (list !== undefined) return void list.push(ready);
    this.locators.set(id, (list = [ready]));
    this.gcs.call({ op: "object.subscribe", objectId: id }, (entry) =>
      this.onEntry(id, entry as ObjectEntry | undefined),
    );
  }

  /** Objects still wanted here (for diagnosing a stall). */
  wanted(): ObjectId[] {
    return [...this.waiters.keys()];
  }

  /**
   * A fault drops every copy of `id` (`sim.faults.evict`). A `put` object not here yet may still be
   * on its way (the put message, a push): that copy is dropped on arrival, once, so the object
   * stays lost; `put` objects cannot be rebuilt, so no later legitimate copy can be confused with it.
   */
  drop(id: ObjectId): void {
    if (this.store.remove(id)) this.evicted([id]);
    else if (isPutObjectId(id)) this.droppedPuts.add(id);
  }

  /** Stores an object made or received here and announces it; false if it cannot fit. */
  addLocal(id: ObjectId, value: unknown, sizeBytes: number, fromPut: boolean): boolean {
    if (this.droppedPuts.delete(id) && !this.store.has(id)) {
      // Announce it and its loss, so readers find an entry with no copy (ObjectLostError).
      this.gcs.call({
        op: "object.add",
        objectId: id,
        node: this.nodeName,
        incarnation: this.incarnation,
        sizeBytes,
        fromPut,
      });
      this.evicted([id]);
      return true;
    }
    const outcome = this.store.put(id, value, sizeBytes);
    if (outcome.evicted.length > 0) this.evicted(outcome.evicted);
    if (!outcome.stored) return false;
    this.gcs.call({
      op: "object.add",
      objectId: id,
      node: this.nodeName,
      incarnation: this.incarnation,
      sizeBytes,
      fromPut,
    });
    this.finishPull(id);
    const list = this.waiters.get(id);
    if (list !== undefined) {
      this.waiters.delete(id);
      for (const ready of list) if (this.store.has(id)) ready();
    }
    return true;
  }

  /** Drops local copies (eviction or a fault) and tells the object table. */
  evicted(ids: readonly ObjectId[]): void {
    for (const id of ids) this.gcs.call({ op: "object.remove", objectId: id, node: this.nodeName });
    this.hooks.onEvicted(ids);
  }

  /** An object-table entry arrived (subscription reply or notification). */
  onEntry(id: ObjectId, entry: ObjectEntry | undefined): void {
    const locators = this.locators.get(id);
    if (locators !== undefined && entry !== undefined) {
      if (entry.locations.length > 0) {
        this.locators.delete(id);
        if (!this.pulls.has(id)) this.gcs.call({ op: "object.unsubscribe", objectId: id });
        for (const ready of locators) ready();
      } else if (!this.pulls.has(id)) this.hooks.onLost(id, entry);
    }
    const pull = this.pulls.get(id);
    if (pull === undefined) return;
    // A new entry may list a copy made since a pull failed (even on a node of the same name).
    pull.failed.clear();
    pull.lastEntry = entry;
    // A pull in flight to a copy the entry no longer lists is answered by a failure at best, and
    // never if that node died — even before the pull went out (its death was news here already,
    // the GCS dropped its locations only later): swarm seed 5417. Try a listed copy.
    if (
      pull.pullingFrom !== "" &&
      entry !== undefined &&
      !entry.locations.includes(pull.pullingFrom)
    )
      pull.pullingFrom = "";
    this.tryPull(id, pull);
  }

  /** A peer asks for a copy. */
  servePull(objectId: ObjectId, requesterNode: string): void {
    const to = address("raylet", requesterNode);
    if (!this.store.has(objectId)) {
      this.env.send(to, { type: "raylet.pullFailed", objectId } satisfies RayletMessage, 64);
      return this.reassertGone(objectId);
    }
    const sizeBytes = this.store.sizeOf(objectId);
    const value = this.store.get(objectId);
    this.env.send(
      to,
      { type: "raylet.push", objectId, value, sizeBytes } satisfies RayletMessage,
      Math.max(64, sizeBytes),
    );
    this.env.trace({ kind: "object.transferred", objectId, from: this.nodeName, sizeBytes });
  }

  /**
   * The object table lists a copy here that is gone. Usually this node's remove is on its way; but
   * writes are not ordered, and an add resent after a partition can land after the remove of a
   * later eviction, leaving a location nobody will ever remove (readers would wait on it forever).
   * Remove it again; a copy that arrived meanwhile is announced again once the remove has landed.
   */
  private reassertGone(objectId: ObjectId): void {
    this.gcs.call({ op: "object.remove", objectId, node: this.nodeName }, () => {
      if (!this.store.has(objectId)) return;
      this.gcs.call({
        op: "object.add",
        objectId,
        node: this.nodeName,
        incarnation: this.incarnation,
        sizeBytes: this.store.sizeOf(objectId),
        fromPut: isPutObjectId(objectId),
      });
    });
  }

  onPush(objectId: ObjectId, value: unknown, sizeBytes: number): void {
    const pull = this.pulls.get(objectId);
    if (pull !== undefined) pull.pullingFrom = "";
    if (this.store.has(objectId) || !this.waiters.has(objectId)) return;
    this.transfersIn++;
    this.bytesIn += sizeBytes;
    if (!this.addLocal(objectId, value, sizeBytes, false))
      this.hooks.onLost(objectId, { objectId, locations: [], sizeBytes, fromPut: false });
  }

  onPullFailed(objectId: ObjectId, fromNode: string): void {
    const pull = this.pulls.get(objectId);
    if (pull === undefined) return;
    pull.failed.add(fromNode);
    pull.pullingFrom = "";
    // Try another copy; the subscription brings the entry's next change (the stale location's removal).
    this.tryPull(objectId, pull);
  }

  /** A node died: a pull in flight to it will never be answered. */
  onNodeDead(node: string): void {
    for (const [id, pull] of this.pulls) {
      if (pull.pullingFrom !== node) continue;
      pull.pullingFrom = "";
      pull.failed.add(node);
      this.tryPull(id, pull);
    }
  }

  /** Gives up waiting for an object (its waiters are told by the caller). */
  abandon(id: ObjectId): void {
    this.waiters.delete(id);
    this.finishPull(id);
  }

  private startPull(id: ObjectId): void {
    const pull: PullState = { pullingFrom: "", failed: new Set(), lastEntry: undefined };
    this.pulls.set(id, pull);
    this.gcs.call({ op: "object.subscribe", objectId: id }, (entry) =>
      this.onEntry(id, entry as ObjectEntry | undefined),
    );
  }

  private tryPull(id: ObjectId, pull: PullState): void {
    if (pull.pullingFrom !== "" || this.store.has(id)) return;
    const entry = pull.lastEntry;
    if (entry === undefined) return; // not created yet: the subscription will tell us
    const source = entry.locations.find((n) => n !== this.nodeName && !pull.failed.has(n));
    if (source !== undefined) {
      pull.pullingFrom = source;
      this.env.send(
        address("raylet", source),
        { type: "raylet.pull", objectId: id, node: this.nodeName } satisfies RayletMessage,
        64,
      );
      return;
    }
    // Only this node is listed, and the copy is gone: a stale location (see reassertGone). Its
    // removal brings the entry again, empty: then the object is lost (swarm seed 6955).
    if (entry.locations.includes(this.nodeName)) return this.reassertGone(id);
    if (entry.locations.length === 0) this.hooks.onLost(id, entry);
  }

  private finishPull(id: ObjectId): void {
    if (!this.pulls.delete(id)) return;
    this.gcs.call({ op: "object.unsubscribe", objectId: id });
  }

  checkInvariants(): void {
    for (const id of this.waiters.keys())
      assert(!this.store.has(id), `object manager: ${id} is local but still awaited`);
  }
}
