/**
 * A first version of the kernel's timing wheel, kept for bench/queue-variants.ts: per-microsecond
 * FIFO buckets over [base, base + 4096 µs), a far heap beyond and a side heap for out-of-order pushes
 * like sim/event-queue.ts, but each bucket is its own growable Float64Array + array pair. Slower than
 * the chunked buckets at 10^5+ pending: every one of the 4096 slots keeps a buffer sized for its
 * peak, so the working set cycles through tens of MB instead of reusing a few warm chunks.
 */
import { KeyHeap, type EventHandler } from "../../sim/event-queue.js";
import { InvariantViolation } from "../../core/assert.js";

function fail(message: string): never {
  throw new InvariantViolation(message);
}

/** Index of the lowest set bit of a non-zero 32-bit word. */
function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** The head is unknown and must be recomputed (findHead). Any real time compares >= to it. */
const UNKNOWN = Number.NEGATIVE_INFINITY;
const SRC_WHEEL = 0;
const SRC_FAR = 1;
const SRC_SIDE = 2;

const EMPTY_KEYS = new Float64Array(0);
const EMPTY_REFS: unknown[] = [];

export class SlotArrayWheelQueue {
  // ---- the wheel -------------------------------------------------------------------------------
  private readonly wheelSize: number;
  private readonly mask: number;
  /** Per slot: [seq, tag] pairs, FIFO from slotHead to slotTail (pair indices). */
  private readonly slotKeys: Float64Array[];
  /** Per slot: [handler, data] pairs, parallel to slotKeys. */
  private readonly slotRefs: unknown[][];
  private readonly slotHead: Int32Array;
  private readonly slotTail: Int32Array;
  /** Bit i of word w: slot 32w + i is non-empty. */
  private readonly bits: Uint32Array;
  /** Bit i of word w: bits[32w + i] is non-zero. */
  private readonly summary: Uint32Array;
  private wheelCount = 0;
  /** The wheel covers [base, base + wheelSize); base only grows (it is set to popped times). */
  private base = 0;
  /** Every wheel/far push so far had a seq <= lastSeq. */
  private lastSeq = Number.NEGATIVE_INFINITY;
  // ---- beyond the wheel ------------------------------------------------------------------------
  private readonly far: KeyHeap;
  private readonly side: KeyHeap;
  private count = 0;
  // ---- the cached head: valid unless headTime === UNKNOWN --------------------------------------
  private headTime = UNKNOWN;
  private headSrc = SRC_WHEEL;
  private headSlot = 0;

  /**
   * @param initialCapacity initial capacity of the far and side heaps (they double as needed).
   * @param wheelBits log2 of the wheel's span in microseconds (>= 10).
   */
  constructor(initialCapacity = 1024, wheelBits = 12) {
    if (!(initialCapacity >= 1)) fail("EventQueue: capacity must be >= 1");
    if (!(wheelBits >= 10 && wheelBits <= 24)) fail("EventQueue: wheelBits must be in [10, 24]");
    const size = 1 << wheelBits;
    this.wheelSize = size;
    this.mask = size - 1;
    this.slotKeys = new Array<Float64Array>(size).fill(EMPTY_KEYS);
    this.slotRefs = new Array<unknown[]>(size).fill(EMPTY_REFS);
    this.slotHead = new Int32Array(size);
    this.slotTail = new Int32Array(size);
    this.bits = new Uint32Array(size >>> 5);
    this.summary = new Uint32Array(size >>> 10);
    this.far = new KeyHeap(initialCapacity);
    this.side = new KeyHeap(16);
  }

  get size(): number {
    return this.count;
  }

  peekTimeUs(): number {
    if (this.count === 0) fail("EventQueue.peekTimeUs on an empty queue");
    if (this.headTime === UNKNOWN) this.findHead();
    return this.headTime;
  }

  peekSeq(): number {
    if (this.count === 0) fail("EventQueue.peekSeq on an empty queue");
    if (this.headTime === UNKNOWN) this.findHead();
    if (this.headSrc === SRC_WHEEL) {
      const slot = this.headSlot;
      return this.slotKeys[slot]![2 * this.slotHead[slot]!]!;
    }
    return this.headSrc === SRC_FAR ? this.far.topSeq() : this.side.topSeq();
  }

  push(timeUs: number, seq: number, handler: EventHandler, tag: number, data: unknown): void {
    const d = timeUs - this.base;
    // The hot case: an integer time inside the window with a new largest seq.
    if (d < this.wheelSize && d >= 0 && (d | 0) === d && seq > this.lastSeq) {
      this.lastSeq = seq;
      this.count++;
      this.wheelCount++;
      const slot = timeUs & this.mask; // ToInt32 is exact modulo 2^32 for integers below 2^53
      this.append(slot, seq, tag, handler, data);
      // A new event is the head only if strictly earlier: at an equal time its seq is larger.
      if (timeUs < this.headTime) {
        this.headTime = timeUs;
        this.headSrc = SRC_WHEEL;
        this.headSlot = slot;
      }
      return;
    }
    this.pushSlow(timeUs, seq, handler, tag, data);
  }

  private pushSlow(
    timeUs: number,
    seq: number,
    handler: EventHandler,
    tag: number,
    data: unknown,
  ): void {
    this.count++;
    if (seq > this.lastSeq && timeUs >= this.base + this.wheelSize && Number.isInteger(timeUs)) {
      this.lastSeq = seq;
      this.far.push(timeUs, seq, handler, tag, data);
      if (timeUs < this.headTime) this.headTime = UNKNOWN;
    } else {
      // Out of the wheel's order: may tie with anything, so the head is recomputed in full.
      this.side.push(timeUs, seq, handler, tag, data);
      this.headTime = UNKNOWN;
    }
  }

  /** Removes the earliest event; read it first with the `popped*` fields. */
  pop(): void {
    if (this.count === 0) fail("EventQueue.pop on an empty queue");
    if (this.headTime === UNKNOWN) this.findHead();
    this.count--;
    const src = this.headSrc;
    if (src === SRC_SIDE) {
      const side = this.side;
      side.pop();
      this.poppedTimeUs = side.poppedTimeUs;
      this.poppedSeq = side.poppedSeq;
      this.poppedTag = side.poppedTag;
      this.poppedHandler = side.poppedHandler;
      this.poppedData = side.poppedData;
      side.poppedHandler = undefined;
      side.poppedData = undefined;
      this.headTime = UNKNOWN;
      return;
    }
    const timeUs = this.headTime;
    if (timeUs !== this.base) {
      // Advance the window; with an empty wheel the head is the far heap's top, which moves in now.
      this.base = timeUs;
      const far = this.far;
      if (far.size > 0 && far.topTime() < timeUs + this.wheelSize)
        this.migrate(timeUs + this.wheelSize);
      if (src === SRC_FAR) {
        this.headSrc = SRC_WHEEL;
        this.headSlot = timeUs & this.mask;
      }
    }
    const slot = this.headSlot;
    const head = this.slotHead[slot]!;
    const keys = this.slotKeys[slot]!;
    const refs = this.slotRefs[slot]!;
    this.poppedTimeUs = timeUs;
    this.poppedSeq = keys[2 * head]!;
    this.poppedTag = keys[2 * head + 1]!;
    this.poppedHandler = refs[2 * head] as EventHandler;
    this.poppedData = refs[2 * head + 1];
    refs[2 * head] = undefined;
    refs[2 * head + 1] = undefined;
    this.wheelCount--;
    if (head + 1 === this.slotTail[slot]) {
      this.slotHead[slot] = 0;
      this.slotTail[slot] = 0;
      this.clearBit(slot);
      this.headTime = UNKNOWN;
    } else {
      this.slotHead[slot] = head + 1;
      // The next event of this slot is the head unless an out-of-order side event ties with it.
      if (this.side.size > 0) this.headTime = UNKNOWN;
    }
  }

  poppedTimeUs = 0;
  poppedSeq = 0;
  poppedTag = 0;
  poppedHandler: EventHandler | undefined;
  poppedData: unknown;

  /** Appends to a slot's FIFO, growing or compacting it when full. */
  private append(
    slot: number,
    seq: number,
    tag: number,
    handler: EventHandler,
    data: unknown,
  ): void {
    let tail = this.slotTail[slot]!;
    let keys = this.slotKeys[slot]!;
    if (2 * tail === keys.length) {
      keys = this.makeRoom(slot);
      tail = this.slotTail[slot]!;
    }
    keys[2 * tail] = seq;
    keys[2 * tail + 1] = tag | 0; // the tag is an int32, as it was in the heap's Int32Array
    const refs = this.slotRefs[slot]!;
    refs[2 * tail] = handler;
    refs[2 * tail + 1] = data;
    this.slotTail[slot] = tail + 1;
    if (tail === 0) this.setBit(slot);
  }

  /** A full slot: shifts its live part down if at most half is live, otherwise doubles it. */
  private makeRoom(slot: number): Float64Array {
    const keys = this.slotKeys[slot]!;
    const refs = this.slotRefs[slot]!;
    const head = this.slotHead[slot]!;
    const tail = this.slotTail[slot]!;
    const live = tail - head;
    if (head > 0 && 2 * live <= tail) {
      keys.copyWithin(0, 2 * head, 2 * tail);
      for (let i = 0; i < 2 * live; i++) refs[i] = refs[2 * head + i];
      for (let i = 2 * live; i < 2 * tail; i++) refs[i] = undefined;
      this.slotHead[slot] = 0;
      this.slotTail[slot] = live;
      return keys;
    }
    const pairs = Math.max(8, 2 * tail);
    const grown = new Float64Array(2 * pairs);
    grown.set(keys);
    const grownRefs = new Array<unknown>(2 * pairs).fill(undefined);
    for (let i = 2 * head; i < 2 * tail; i++) grownRefs[i] = refs[i];
    this.slotKeys[slot] = grown;
    this.slotRefs[slot] = grownRefs;
    return grown;
  }

  /** Moves every far event earlier than `limit` into its bucket, in (time, seq) order. */
  private migrate(limit: number): void {
    const far = this.far;
    const mask = this.mask;
    while (far.size > 0 && far.topTime() < limit) {
      far.pop();
      this.wheelCount++;
      this.append(
        far.poppedTimeUs & mask,
        far.poppedSeq,
        far.poppedTag,
        far.poppedHandler!,
        far.poppedData,
      );
    }
    far.poppedHandler = undefined;
    far.poppedData = undefined;
  }

  /** Recomputes the head: the earliest of the wheel (or, if empty, the far heap) and the side heap. */
  private findHead(): void {
    let src = SRC_FAR;
    let t = Number.POSITIVE_INFINITY;
    let s = Number.POSITIVE_INFINITY;
    if (this.wheelCount > 0) {
      const from = this.base & this.mask;
      let slot = this.nextSetSlot(from);
      if (slot < 0) slot = this.nextSetSlot(0);
      if (slot < 0) fail("EventQueue: wheel count and bitmap disagree");
      src = SRC_WHEEL;
      t = this.base + ((slot - from) & this.mask);
      s = this.slotKeys[slot]![2 * this.slotHead[slot]!]!;
      this.headSlot = slot;
    } else if (this.far.size > 0) {
      t = this.far.topTime();
      s = this.far.topSeq();
    }
    if (this.side.size > 0) {
      const st = this.side.topTime();
      if (st < t || (st === t && this.side.topSeq() < s)) {
        src = SRC_SIDE;
        t = st;
      }
    }
    this.headSrc = src;
    this.headTime = t;
  }

  /** The first non-empty slot at index >= from (no wrap-around), or -1. */
  private nextSetSlot(from: number): number {
    const bits = this.bits;
    let w = from >>> 5;
    const word = bits[w]! & (-1 << (from & 31));
    if (word !== 0) return (w << 5) | lowestBit(word);
    w++;
    const summary = this.summary;
    let sw = w >>> 5;
    if (sw >= summary.length) return -1;
    let sword = summary[sw]! & (-1 << (w & 31));
    while (sword === 0) {
      if (++sw === summary.length) return -1;
      sword = summary[sw]!;
    }
    w = (sw << 5) | lowestBit(sword);
    return (w << 5) | lowestBit(bits[w]!);
  }

  private setBit(slot: number): void {
    const w = slot >>> 5;
    this.bits[w]! |= 1 << (slot & 31);
    this.summary[w >>> 5]! |= 1 << (w & 31);
  }

  private clearBit(slot: number): void {
    const w = slot >>> 5;
    const word = this.bits[w]! & ~(1 << (slot & 31));
    this.bits[w] = word;
    if (word === 0) this.summary[w >>> 5]! &= ~(1 << (w & 31));
  }
}
