/**
 * A 4-ary index heap: the heap moves only (timeUs, seq, record index) in one interleaved
 * Float64Array (3 doubles per entry, one cache line holds a sibling group's keys), while tag,
 * handler and data stay put in records recycled through a free stack. One of the alternatives to
 * the kernel's queue measured by bench/queue-variants.ts.
 */
import type { EventHandler } from "../../sim/event-queue.js";

export class IndexHeapQueue {
  private capacity: number;
  /** Heap entry k: keys[3k] = timeUs, keys[3k + 1] = seq, keys[3k + 2] = record index. */
  private keys: Float64Array;
  private tags: Int32Array;
  private handlers: (EventHandler | undefined)[];
  private data: unknown[];
  private free: Int32Array;
  private freeCount: number;
  private count = 0;
  poppedTimeUs = 0;
  poppedSeq = 0;
  poppedTag = 0;
  poppedHandler: EventHandler | undefined;
  poppedData: unknown;

  constructor(initialCapacity = 1024) {
    this.capacity = initialCapacity;
    this.keys = new Float64Array(3 * initialCapacity);
    this.tags = new Int32Array(initialCapacity);
    this.handlers = new Array<EventHandler | undefined>(initialCapacity).fill(undefined);
    this.data = new Array(initialCapacity).fill(undefined);
    this.free = new Int32Array(initialCapacity);
    for (let i = 0; i < initialCapacity; i++) this.free[i] = initialCapacity - 1 - i;
    this.freeCount = initialCapacity;
  }

  get size(): number {
    return this.count;
  }

  peekTimeUs(): number {
    if (this.count === 0) throw new Error("empty");
    return this.keys[0]!;
  }

  peekSeq(): number {
    if (this.count === 0) throw new Error("empty");
    return this.keys[1]!;
  }

  push(timeUs: number, seq: number, handler: EventHandler, tag: number, data: unknown): void {
    if (this.count === this.capacity) this.grow();
    const rec = this.free[--this.freeCount]!;
    this.tags[rec] = tag;
    this.handlers[rec] = handler;
    this.data[rec] = data;
    const keys = this.keys;
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const pt = keys[3 * parent]!;
      if (pt < timeUs || (pt === timeUs && keys[3 * parent + 1]! < seq)) break;
      keys[3 * i] = pt;
      keys[3 * i + 1] = keys[3 * parent + 1]!;
      keys[3 * i + 2] = keys[3 * parent + 2]!;
      i = parent;
    }
    keys[3 * i] = timeUs;
    keys[3 * i + 1] = seq;
    keys[3 * i + 2] = rec;
  }

  pop(): void {
    if (this.count === 0) throw new Error("empty");
    const keys = this.keys;
    const rec = keys[2]!;
    this.poppedTimeUs = keys[0]!;
    this.poppedSeq = keys[1]!;
    this.poppedTag = this.tags[rec]!;
    this.poppedHandler = this.handlers[rec];
    this.poppedData = this.data[rec];
    this.handlers[rec] = undefined;
    this.data[rec] = undefined;
    this.free[this.freeCount++] = rec;
    const n = --this.count;
    if (n === 0) return;
    const t = keys[3 * n]!;
    const s = keys[3 * n + 1]!;
    const r = keys[3 * n + 2]!;
    let i = 0;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      let best = first;
      let bt = keys[3 * first]!;
      let bs = keys[3 * first + 1]!;
      const end = Math.min(first + 4, n);
      for (let c = first + 1; c < end; c++) {
        const ct = keys[3 * c]!;
        if (ct < bt || (ct === bt && keys[3 * c + 1]! < bs)) {
          best = c;
          bt = ct;
          bs = keys[3 * c + 1]!;
        }
      }
      if (t < bt || (t === bt && s < bs)) break;
      keys[3 * i] = bt;
      keys[3 * i + 1] = bs;
      keys[3 * i + 2] = keys[3 * best + 2]!;
      i = best;
    }
    keys[3 * i] = t;
    keys[3 * i + 1] = s;
    keys[3 * i + 2] = r;
  }

  private grow(): void {
    const old = this.capacity;
    const capacity = old * 2;
    const keys = new Float64Array(3 * capacity);
    keys.set(this.keys);
    this.keys = keys;
    const tags = new Int32Array(capacity);
    tags.set(this.tags);
    this.tags = tags;
    for (let i = old; i < capacity; i++) {
      this.handlers.push(undefined);
      this.data.push(undefined);
    }
    const free = new Int32Array(capacity);
    free.set(this.free.subarray(0, this.freeCount));
    for (let i = capacity - 1; i >= old; i--) free[this.freeCount++] = i;
    this.free = free;
    this.capacity = capacity;
  }
}
