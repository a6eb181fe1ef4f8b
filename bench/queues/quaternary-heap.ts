/**
 * A 4-ary min-heap by (timeUs, seq) over parallel typed arrays, every field moving with its key:
 * one of the alternatives to the kernel's queue measured by bench/queue-variants.ts.
 */
import type { EventHandler } from "../../sim/event-queue.js";

export class QuaternaryHeapQueue {
  private capacity: number;
  private timeUs: Float64Array;
  private seq: Float64Array;
  private tags: Int32Array;
  private handlers: (EventHandler | undefined)[];
  private data: unknown[];
  private count = 0;
  poppedTimeUs = 0;
  poppedSeq = 0;
  poppedTag = 0;
  poppedHandler: EventHandler | undefined;
  poppedData: unknown;

  constructor(initialCapacity = 1024) {
    this.capacity = initialCapacity;
    this.timeUs = new Float64Array(initialCapacity);
    this.seq = new Float64Array(initialCapacity);
    this.tags = new Int32Array(initialCapacity);
    this.handlers = new Array<EventHandler | undefined>(initialCapacity).fill(undefined);
    this.data = new Array(initialCapacity).fill(undefined);
  }

  get size(): number {
    return this.count;
  }

  peekTimeUs(): number {
    if (this.count === 0) throw new Error("empty");
    return this.timeUs[0]!;
  }

  peekSeq(): number {
    if (this.count === 0) throw new Error("empty");
    return this.seq[0]!;
  }

  push(timeUs: number, seq: number, handler: EventHandler, tag: number, data: unknown): void {
    if (this.count === this.capacity) this.grow();
    let i = this.count++;
    const times = this.timeUs;
    const seqs = this.seq;
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const pt = times[parent]!;
      if (pt < timeUs || (pt === timeUs && seqs[parent]! < seq)) break;
      this.move(parent, i);
      i = parent;
    }
    times[i] = timeUs;
    seqs[i] = seq;
    this.tags[i] = tag;
    this.handlers[i] = handler;
    this.data[i] = data;
  }

  pop(): void {
    if (this.count === 0) throw new Error("empty");
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

  private siftDownFrom(last: number): void {
    const times = this.timeUs;
    const seqs = this.seq;
    const t = times[last]!;
    const s = seqs[last]!;
    const tag = this.tags[last]!;
    const h = this.handlers[last];
    const d = this.data[last];
    const n = this.count;
    let i = 0;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      let best = first;
      let bt = times[first]!;
      const end = Math.min(first + 4, n);
      for (let c = first + 1; c < end; c++) {
        const ct = times[c]!;
        if (ct < bt || (ct === bt && seqs[c]! < seqs[best]!)) {
          best = c;
          bt = ct;
        }
      }
      if (t < bt || (t === bt && s < seqs[best]!)) break;
      this.move(best, i);
      i = best;
    }
    times[i] = t;
    seqs[i] = s;
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
    for (let i = this.capacity; i < capacity; i++) {
      this.handlers.push(undefined);
      this.data.push(undefined);
    }
    this.capacity = capacity;
  }
}
