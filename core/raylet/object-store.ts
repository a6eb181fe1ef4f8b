/**
 * A node's object store (Plasma): immutable objects up to a byte capacity. Objects are pinned while
 * a queued or running task needs them; when room is needed, least-recently-used unpinned objects
 * are evicted (the caller removes them from the object table: an evicted object is as lost as one
 * on a dead node). A Map keeps insertion order, so re-inserting on use makes it the LRU list.
 */
import { assert } from "../assert.js";
import type { ObjectId } from "../ids.js";

interface StoredObject {
  readonly value: unknown;
  readonly sizeBytes: number;
  pins: number;
}

/**
 * One holder's pin on one resident copy. A forced drop (`remove`) takes the copy's pins with it;
 * a later copy of the same id is a different object, so an old pin must not unpin it.
 */
export interface Pin {
  readonly id: ObjectId;
  readonly copy: object;
}

export type PutOutcome =
  { stored: true; evicted: ObjectId[] } | { stored: false; evicted: ObjectId[] };

export class ObjectStore {
  private readonly objects = new Map<ObjectId, StoredObject>();
  private used = 0;
  private pinnedBytes = 0;

  constructor(readonly capacityBytes: number) {
    assert(capacityBytes >= 0, "object store capacity must be >= 0");
  }

  get usedBytes(): number {
    return this.used;
  }

  get count(): number {
    return this.objects.size;
  }

  has(id: ObjectId): boolean {
    return this.objects.has(id);
  }

  /** Reads an object and marks it recently used. */
  get(id: ObjectId): unknown {
    const o = this.objects.get(id);
    assert(o !== undefined, `object store: ${id} is not resident`);
    this.objects.delete(id);
    this.objects.set(id, o);
    return o.value;
  }

  sizeOf(id: ObjectId): number {
    return this.objects.get(id)?.sizeBytes ?? 0;
  }

  /** Stores an object, evicting LRU unpinned objects to make room; refuses if it cannot fit. */
  put(id: ObjectId, value: unknown, sizeBytes: number): PutOutcome {
    assert(sizeBytes >= 0, `object store: negative size for ${id}`);
    const evicted: ObjectId[] = [];
    if (this.objects.has(id)) return { stored: true, evicted };
    if (sizeBytes > this.capacityBytes - this.pinnedBytes) return { stored: false, evicted };
    for (const [victim, o] of this.objects) {
      if (this.used + sizeBytes <= this.capacityBytes) break;
      if (o.pins > 0) continue;
      this.objects.delete(victim);
      this.used -= o.sizeBytes;
      evicted.push(victim);
    }
    assert(
      this.used + sizeBytes <= this.capacityBytes,
      `object store: eviction left no room for ${id}`,
    );
    this.objects.set(id, { value, sizeBytes, pins: 0 });
    this.used += sizeBytes;
    return { stored: true, evicted };
  }

  pin(id: ObjectId): Pin {
    const o = this.objects.get(id);
    assert(o !== undefined, `pin: ${id} is not resident`);
    if (o.pins++ === 0) this.pinnedBytes += o.sizeBytes;
    return { id, copy: o };
  }

  /** Releases a pin; a no-op when its copy was dropped since (the pin went with it). */
  unpin(pin: Pin): void {
    const o = this.objects.get(pin.id);
    if (o !== pin.copy) return;
    assert(o.pins > 0, `unpin: ${pin.id} is not pinned`);
    if (--o.pins === 0) this.pinnedBytes -= o.sizeBytes;
  }

  isPinned(id: ObjectId): boolean {
    return (this.objects.get(id)?.pins ?? 0) > 0;
  }

  /** Drops an object whatever its pins (a fault: `sim.faults.evict`). */
  remove(id: ObjectId): boolean {
    const o = this.objects.get(id);
    if (o === undefined) return false;
    if (o.pins > 0) this.pinnedBytes -= o.sizeBytes;
    this.objects.delete(id);
    this.used -= o.sizeBytes;
    return true;
  }

  ids(): IterableIterator<ObjectId> {
    return this.objects.keys();
  }

  checkInvariants(): void {
    let total = 0;
    let pinned = 0;
    for (const o of this.objects.values()) {
      total += o.sizeBytes;
      if (o.pins > 0) pinned += o.sizeBytes;
    }
    assert(total === this.used, "object store: used bytes out of sync");
    assert(pinned === this.pinnedBytes, "object store: pinned bytes out of sync");
    assert(this.used <= this.capacityBytes, "object store: over capacity");
  }
}
