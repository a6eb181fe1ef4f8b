/**
 * The kernel's original pending-event queue (a binary min-heap over parallel typed arrays ordered by
 * (timeUs, seq)), kept verbatim as a baseline for bench/queue-variants.ts.
 */
import { assert } from "../../core/assert.js";
import type { EventHandler } from "../../sim/event-queue.js";

export class BinaryHeapQueue {
  private capacity: number;
  private timeUs: Float64Array;
  private seq: Float64Array;
  private tags: Int32Array;
  private handlers: (EventHandler | undefined)[];
  private data: unknown[];
  private count = 0;

  constructor(initialCapacity = 1024) {
    assert(initialCapacity >= 1, "EventQueue: capacity must be >= 1");
    this.capacity = initialCapacity;
    this.timeUs = new Float64Array(initialCapacity);
    this.seq = new Float64Array(initialCapacity);
    this.tags = new Int32Array(initialCapacity);
    this.handlers = new Array<EventHandler | undefined>(initialCapacity);
    this.data = new Array(initialCapacity);
  }

  get size(): number {
    return this.count;
  }

  peekTimeUs(): number {
    assert(this.count > 0, "EventQueue.peekTimeUs on an empty queue");
    return this.timeUs[0]!;
  }

  peekSeq(): number {
    assert(this.count > 0, "EventQueue.peekSeq on an empty queue");
    return this.seq[0]!;
  }

  push(timeUs: number, seq: number, handler: EventHandler, tag: number, data: unknown): void {
    if (this.count === this.capacity) this.grow();
    let i = this.count++;
    // Sift up: move parents down until the slot for the new event is found.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = this.timeUs[parent]!;
      if (pt < timeUs || (pt === timeUs && this.seq[parent]! < seq)) break;
      this.move(parent, i);
      i = parent;
    }
    this.timeUs[i] = timeUs;
    this.seq[i] = seq;
    this.tags[i] = tag;
    this.handlers[i] = handler;
    this.data[i] = data;
  }

  /** Removes the earliest event; read it first with the `popped*` fields. */
  pop(): void {
    assert(this.count > 0, "EventQueue.pop on an empty queue");
    this.poppedTimeUs = this.timeUs[0]!;
    this.poppedSeq = this.seq[0]!;
    this.poppedTag = this.tags[0]!;
    this.poppedHandler = this.handlers[0]!;
    this.poppedData = this.data[0];
    const last = --this.count;
    if (last > 0) this.siftDownFrom(last);
    this.handlers[last] = undefined;
    this.data[last] = undefined;
  }

  poppedTimeUs = 0;
  poppedSeq = 0;
  poppedTag = 0;
  poppedHandler: EventHandler | undefined;
  poppedData: unknown;

  /** Places the element at index `last` into the root hole, sifting it down. */
  private siftDownFrom(last: number): void {
    const t = this.timeUs[last]!;
    const s = this.seq[last]!;
    const tag = this.tags[last]!;
    const h = this.handlers[last];
    const d = this.data[last];
    const n = this.count;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n) {
        const ct = this.timeUs[child]!;
        const rt = this.timeUs[right]!;
        if (rt < ct || (rt === ct && this.seq[right]! < this.seq[child]!)) child = right;
      }
      const ct = this.timeUs[child]!;
      if (t < ct || (t === ct && s < this.seq[child]!)) break;
      this.move(child, i);
      i = child;
    }
    this.timeUs[i] = t;
    this.seq[i] = s;
    this.tags[i] = tag;
    this.handlers[i] = h;
    this.data[i] = d;
  }

  private move(from: number, to: number): void {
    this.timeUs[to] = this.timeUs[from]!;
    this.seq[to] = this.seq[from]!;
    this.tags[to] = this.tags[from]!;
    this.handlers[to] = this.handlers[from];
    this.data[to] = this.data[from];
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const timeUs = new Float64Array(capacity);
    timeUs.set(this.timeUs);
    const seq = new Float64Array(capacity);
    seq.set(this.seq);
    const tags = new Int32Array(capacity);
    tags.set(this.tags);
    this.timeUs = timeUs;
    this.seq = seq;
    this.tags = tags;
    this.handlers.length = capacity;
    this.data.length = capacity;
    this.capacity = capacity;
  }
}
