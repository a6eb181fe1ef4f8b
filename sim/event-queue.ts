/**
 * The pending-event queue, ordered by (timeUs, seq). Hand-written because it is the hottest loop of
 * the simulator; `npm run bench` measures it through the Kernel against a heap of objects, and
 * `node --import ./register.mjs bench/queue-variants.ts [--cpu]` against the alternatives tried.
 *
 * Structure: a timing wheel of per-microsecond FIFO buckets over the window [base, base + W), base
 * being the last popped time, W = 2^17 µs (131 ms); a three-level bitmap to find the next non-empty
 * bucket; a binary heap ("far") for integer times at or beyond base + W; a second binary heap
 * ("side") for whatever the wheel cannot hold in order: non-integer times, times before base, or a
 * seq not above every seq pushed so far. The Kernel (integer µs, never before its current time, seq
 * growing with every push) only ever uses the wheel and the far heap.
 *
 * Why (events/s through the real Kernel, process CPU time, best of 2 x 3 runs on this 2-core AMD
 * EPYC under Node 20; hold model at 10^3 / 10^5 / 10^6 pending; see queue-variants.ts):
 *   binary heap of parallel typed arrays (the former queue)   4.2M /  1.5M /  0.7M
 *   4-ary heap, all fields moving                              4.6M /  1.6M /  1.0M
 *   4-ary index heap, only (time, seq, index) moving           4.1M /  1.7M /  0.8M
 *   wheel, one growable array pair per bucket                  9.1M /  3.7M /  3.6M
 *   wheel, chunked buckets (this file)                        11.4M / 14.0M / 11.6M
 * The heaps are bound by cache misses in sift-down (log2 n random lines per pop at 10^5+). Times are
 * integers with many ties and pushes are monotone, so a bucket per microsecond is already sorted:
 * push and pop are O(1) and touch the ~1000 bucket tails of the hold window, which stay in cache.
 *
 * Ordering argument. (1) Every wheel or far push has a seq above all earlier ones (checked:
 * `seq > lastSeq`, else it goes to the side heap), so appending keeps each bucket sorted by seq.
 * (2) Far times are all >= base + W > every wheel time; base only moves in pop, and then every far
 * event now inside the window moves into its bucket at once, in (time, seq) order, before the caller
 * can push anything there: it precedes every later-pushed event of its time. (3) The side heap may
 * tie with anything, so the head is the (time, seq) minimum of the wheel's head and the side heap's
 * top, compared in full, and a cached wheel head is dropped after a pop while the side heap is
 * non-empty. Hence pops come out in exactly sorted (time, seq) order for ANY push sequence
 * (test/sim/event-queue.test.ts checks both the monotone and the arbitrary case against a sort).
 *
 * Memory: bucket storage is chunks of 16 events in shared typed arrays, recycled through a free
 * stack; chunks, the heaps and nothing else grow (by doubling), so no push or pop allocates. A
 * non-empty bucket holds at least one chunk (512 B), so events alone in their microsecond cost up
 * to 16x their 32 B (e.g. 10^5 timers at distinct times within 131 ms: ~51 MB).
 */

export interface EventHandler {
  handleEvent(tag: number, data: unknown): void;
}

import { InvariantViolation } from "../core/assert.js";

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

/**
 * Events per bucket chunk. Measured (queue-variants --cpu, hold 10^3 / 10^5 / 10^6 through the
 * Kernel): 4 events 10.1M / 9.2M / 7.2M, 8: 11.7M / 10.4M / 9.1M, 16: 11.7M / 12.8M / 11.4M,
 * 32: 11.7M / 13.8M / 11.1M. 16 is as fast as 32 with half the worst-case memory per bucket.
 */
const CHUNK_BITS = 4;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;

export class EventQueue {
  // ---- the wheel -------------------------------------------------------------------------------
  private readonly wheelSize: number;
  private readonly mask: number;
  /**
   * Bucket storage: chunks of CHUNK events in shared arrays, each bucket a linked list of chunks
   * taken from a LIFO free stack (so a just-emptied, cache-warm chunk is reused first).
   * keys[2i], keys[2i + 1] = seq, tag of event slot i; refs[2i], refs[2i + 1] = handler, data.
   */
  private keys: Float64Array;
  private refs: unknown[];
  private chunkNext: Int32Array;
  private freeChunks: Int32Array;
  private freeCount = 0;
  private chunkCount = 0;
  /** Per slot: event index of its first event, and one past its last (0: the slot is empty). */
  private readonly slotHead: Int32Array;
  private readonly slotTail: Int32Array;
  /** Bit i of word w: slot 32w + i is non-empty. */
  private readonly bits: Uint32Array;
  /** Bit i of word w: bits[32w + i] is non-zero. */
  private readonly mid: Uint32Array;
  /** Bit i of word w: mid[32w + i] is non-zero. A scan reads at most 3 words per level. */
  private readonly top: Uint32Array;
  private wheelCount = 0;
  /** The wheel covers [base, base + wheelSize); base only grows (it is set to popped times). */
  private base = 0;
  /**
   * base's slot (base mod wheelSize). Slots are computed as baseSlot + (time - base), a small int:
   * `time & mask` on times beyond 2^31 µs (36 virtual minutes) takes V8's double-to-int32 path
   * (sparse bench, whose times pass 2^31, 2^17 wheel: 6.6M -> 8.0M events/s, wall, one run each).
   */
  private baseSlot = 0;
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
   * @param wheelBits log2 of the wheel's span in µs, in [10, 20]. Measured (queue-variants --cpu,
   *   heartbeats every 100 ms, 16 and 1000 timers): 2^12 7.9M / 3.5M, 2^14 5.9M / 3.2M, 2^16 6.9M /
   *   3.4M, 2^17 11.3M / 5.9M, 2^18 8.2M / 5.9M events/s; the hold model the same within noise.
   *   2^17 µs = 131 ms holds 100 ms timers in the wheel; a new queue costs ~0.3 ms (2 x 512 KB).
   */
  constructor(initialCapacity = 1024, wheelBits = 17) {
    if (!(initialCapacity >= 1)) fail("EventQueue: capacity must be >= 1");
    if (!(wheelBits >= 10 && wheelBits <= 20)) fail("EventQueue: wheelBits must be in [10, 20]");
    const size = 1 << wheelBits;
    this.wheelSize = size;
    this.mask = size - 1;
    this.slotHead = new Int32Array(size);
    this.slotTail = new Int32Array(size);
    this.keys = new Float64Array(0);
    this.refs = [];
    this.chunkNext = new Int32Array(0);
    this.freeChunks = new Int32Array(0);
    this.addChunks(64);
    this.bits = new Uint32Array(size >>> 5);
    this.mid = new Uint32Array(Math.max(1, size >>> 10));
    this.top = new Uint32Array(Math.max(1, size >>> 15));
    this.far = new KeyHeap(initialCapacity);
    this.side = new KeyHeap(16);
  }

  get size(): number {
    return this.count;
  }

  peekTimeUs(): number {
    // An empty queue always has an UNKNOWN head, and findHead fails on it.
    if (this.headTime === UNKNOWN) this.findHead();
    return this.headTime;
  }

  peekSeq(): number {
    if (this.count === 0) fail("EventQueue.peekSeq on an empty queue");
    if (this.headTime === UNKNOWN) this.findHead();
    if (this.headSrc === SRC_WHEEL) {
      return this.keys[2 * this.slotHead[this.headSlot]!]!;
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
      const slot = (this.baseSlot + d) & this.mask;
      this.append(slot, seq, tag, handler, data);
      // A new event is the head only if strictly earlier: at an equal time its seq is larger.
      if (timeUs < this.headTime) {
        this.headTime = timeUs;
        this.headSrc = SRC_WHEEL;
        this.headSlot = slot;
      }
      return;
    }
    // Doubles passed to a call V8 does not inline are boxed (a heap number each) once times pass
    // 2^31 µs; through fields they are not. Bare-queue heartbeat loop: 183 -> 98 scavenges per run
    // (through the Kernel V8 inlines pushSlow and either way stays at 19, as the binary heap did).
    this.argTimeUs = timeUs;
    this.argSeq = seq;
    this.pushSlow(handler, tag, data);
  }

  private argTimeUs = 0.5;
  private argSeq = 0.5;

  private pushSlow(handler: EventHandler, tag: number, data: unknown): void {
    const timeUs = this.argTimeUs;
    const seq = this.argSeq;
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
    // Kept small enough for TurboFan to inline into the Kernel's loop: the common case is another
    // event of the current microsecond's bucket; the rest is in prepareHead. Moving it out took the
    // Kernel at 10^5 pending from 6.7M to 13.4M events/s (wall, one run each).
    if (this.headTime !== this.base || this.headSrc !== SRC_WHEEL) {
      if (this.prepareHead()) return;
    }
    this.count--;
    this.wheelCount--;
    const slot = this.headSlot;
    const i = this.slotHead[slot]!;
    const keys = this.keys;
    const refs = this.refs;
    this.poppedTimeUs = this.base;
    this.poppedSeq = keys[2 * i]!;
    this.poppedTag = keys[2 * i + 1]!;
    this.poppedHandler = refs[2 * i] as EventHandler;
    this.poppedData = refs[2 * i + 1];
    refs[2 * i] = undefined;
    refs[2 * i + 1] = undefined;
    if (i + 1 === this.slotTail[slot]) {
      this.releaseSlot(slot, i);
      return;
    }
    const next = i + 1;
    if ((next & CHUNK_MASK) === 0) {
      // Crossed the end of a chunk: continue in the next one of this bucket, free this one.
      const chunk = i >> CHUNK_BITS;
      this.slotHead[slot] = this.chunkNext[chunk]! << CHUNK_BITS;
      this.freeChunks[this.freeCount++] = chunk;
    } else {
      this.slotHead[slot] = next;
    }
    // The next event of this slot is the head unless an out-of-order side event ties with it.
    if (this.side.size > 0) this.headTime = UNKNOWN;
  }

  /**
   * Makes the head a wheel event at time `base` (advancing the window, pulling far events in) and
   * returns false; or pops a side-heap head itself and returns true.
   */
  private prepareHead(): boolean {
    if (this.headTime === UNKNOWN) this.findHead();
    if (this.headSrc === SRC_SIDE) {
      const side = this.side;
      side.pop();
      this.count--;
      this.poppedTimeUs = side.poppedTimeUs;
      this.poppedSeq = side.poppedSeq;
      this.poppedTag = side.poppedTag;
      this.poppedHandler = side.poppedHandler;
      this.poppedData = side.poppedData;
      side.poppedHandler = undefined;
      side.poppedData = undefined;
      this.headTime = UNKNOWN;
      return true;
    }
    const timeUs = this.headTime;
    if (this.headSrc === SRC_FAR) {
      // The wheel is empty: pop the far heap's top directly (no round trip through a bucket), then
      // advance the window to its time and pull in what now falls inside it. Heartbeats beyond the
      // window (16 timers, 2^12 wheel, --cpu): 6.7M -> 7.9M events/s.
      const far = this.far;
      far.pop();
      this.count--;
      this.poppedTimeUs = timeUs;
      this.poppedSeq = far.poppedSeq;
      this.poppedTag = far.poppedTag;
      this.poppedHandler = far.poppedHandler;
      this.poppedData = far.poppedData;
      far.poppedHandler = undefined;
      far.poppedData = undefined;
      this.advance();
      this.headTime = UNKNOWN;
      return true;
    }
    if (timeUs !== this.base) this.advance();
    return false;
  }

  /** Moves the window to start at the head's time (no wheel event is earlier), pulls far events in. */
  private advance(): void {
    const timeUs = this.headTime;
    const delta = timeUs - this.base;
    this.baseSlot =
      delta < 0x40000000 ? (this.baseSlot + delta) & this.mask : timeUs % this.wheelSize;
    this.base = timeUs;
    const far = this.far;
    if (far.size > 0 && far.topTime() < timeUs + this.wheelSize) this.migrate();
  }

  /** The slot's last event was popped: return its chunk, mark it empty. */
  private releaseSlot(slot: number, i: number): void {
    this.freeChunks[this.freeCount++] = i >> CHUNK_BITS;
    this.slotTail[slot] = 0;
    this.clearBit(slot);
    this.headTime = UNKNOWN;
  }

  poppedTimeUs = 0;
  poppedSeq = 0;
  poppedTag = 0;
  poppedHandler: EventHandler | undefined;
  poppedData: unknown;

  /** Appends to a slot's FIFO, taking a new chunk when the last one is full (or none). */
  private append(
    slot: number,
    seq: number,
    tag: number,
    handler: EventHandler,
    data: unknown,
  ): void {
    const tail = this.slotTail[slot]!;
    let i = tail;
    if ((i & CHUNK_MASK) === 0) {
      // The bucket is empty (tail = 0) or its last chunk is full: link a fresh chunk.
      if (this.freeCount === 0) this.addChunks(this.chunkCount);
      const chunk = this.freeChunks[--this.freeCount]!;
      i = chunk << CHUNK_BITS;
      if (tail === 0) {
        this.slotHead[slot] = i;
        this.setBit(slot);
      } else {
        this.chunkNext[(tail - 1) >> CHUNK_BITS] = chunk;
      }
    }
    this.keys[2 * i] = seq;
    this.keys[2 * i + 1] = tag | 0; // the tag is an int32, as it was in the heap's Int32Array
    this.refs[2 * i] = handler;
    this.refs[2 * i + 1] = data;
    this.slotTail[slot] = i + 1;
  }

  /** Grows the chunk arrays by `more` chunks (amortised doubling; never per event). */
  private addChunks(more: number): void {
    const chunks = this.chunkCount + more;
    const keys = new Float64Array(2 * chunks * CHUNK);
    keys.set(this.keys);
    this.keys = keys;
    const refs = this.refs;
    for (let i = refs.length; i < 2 * chunks * CHUNK; i++) refs.push(undefined);
    const chunkNext = new Int32Array(chunks);
    chunkNext.set(this.chunkNext);
    this.chunkNext = chunkNext;
    const free = new Int32Array(chunks);
    free.set(this.freeChunks.subarray(0, this.freeCount));
    // Lowest chunk on top of the stack.
    for (let c = chunks - 1; c >= this.chunkCount; c--) free[this.freeCount++] = c;
    this.freeChunks = free;
    this.chunkCount = chunks;
  }

  /** Moves every far event earlier than `limit` into its bucket, in (time, seq) order. */
  private migrate(): void {
    const limit = this.base + this.wheelSize;
    const far = this.far;
    const mask = this.mask;
    while (far.size > 0 && far.topTime() < limit) {
      far.pop();
      this.wheelCount++;
      this.append(
        (this.baseSlot + (far.poppedTimeUs - this.base)) & mask,
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
    if (this.count === 0) fail("EventQueue: peek or pop on an empty queue");
    let src = SRC_FAR;
    let t = Number.POSITIVE_INFINITY;
    let s = Number.POSITIVE_INFINITY;
    if (this.wheelCount > 0) {
      const from = this.baseSlot;
      let slot = this.nextSetSlot(from);
      if (slot < 0) slot = this.nextSetSlot(0);
      if (slot < 0) fail("EventQueue: wheel count and bitmap disagree");
      src = SRC_WHEEL;
      t = this.base + ((slot - from) & this.mask);
      s = this.keys[2 * this.slotHead[slot]!]!;
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
    // The next non-zero bits word after w, through mid.
    const mid = this.mid;
    w++;
    let m = w >>> 5;
    if (m >= mid.length) return -1;
    const mword = mid[m]! & (-1 << (w & 31));
    if (mword !== 0) {
      w = (m << 5) | lowestBit(mword);
      return (w << 5) | lowestBit(bits[w]!);
    }
    // The next non-zero mid word after m, through top.
    const top = this.top;
    m++;
    let t = m >>> 5;
    if (t >= top.length) return -1;
    let tword = top[t]! & (-1 << (m & 31));
    while (tword === 0) {
      if (++t === top.length) return -1;
      tword = top[t]!;
    }
    m = (t << 5) | lowestBit(tword);
    w = (m << 5) | lowestBit(mid[m]!);
    return (w << 5) | lowestBit(bits[w]!);
  }

  private setBit(slot: number): void {
    const w = slot >>> 5;
    const old = this.bits[w]!;
    this.bits[w] = old | (1 << (slot & 31));
    if (old !== 0) return;
    const m = w >>> 5;
    const oldMid = this.mid[m]!;
    this.mid[m] = oldMid | (1 << (w & 31));
    if (oldMid === 0) this.top[m >>> 5]! |= 1 << (m & 31);
  }

  private clearBit(slot: number): void {
    const w = slot >>> 5;
    const word = this.bits[w]! & ~(1 << (slot & 31));
    this.bits[w] = word;
    if (word !== 0) return;
    const m = w >>> 5;
    const midWord = this.mid[m]! & ~(1 << (w & 31));
    this.mid[m] = midWord;
    if (midWord === 0) this.top[m >>> 5]! &= ~(1 << (m & 31));
  }
}

/**
 * A binary min-heap by (timeUs, seq) over parallel typed arrays: the far and side queues. Exported
 * for the queue variants in bench/queues, which share it rather than keep a copy.
 */
export class KeyHeap {
  private capacity: number;
  private timeUs: Float64Array;
  private seq: Float64Array;
  private tags: Int32Array;
  private handlers: (EventHandler | undefined)[];
  private data: unknown[];
  size = 0;
  poppedTimeUs = 0;
  poppedSeq = 0;
  poppedTag = 0;
  poppedHandler: EventHandler | undefined;
  poppedData: unknown;

  constructor(initialCapacity: number) {
    this.capacity = initialCapacity;
    this.timeUs = new Float64Array(initialCapacity);
    this.seq = new Float64Array(initialCapacity);
    this.tags = new Int32Array(initialCapacity);
    this.handlers = new Array<EventHandler | undefined>(initialCapacity);
    this.data = new Array(initialCapacity);
  }

  topTime(): number {
    return this.timeUs[0]!;
  }

  topSeq(): number {
    return this.seq[0]!;
  }

  push(timeUs: number, seq: number, handler: EventHandler, tag: number, data: unknown): void {
    if (this.size === this.capacity) this.grow();
    let i = this.size++;
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

  pop(): void {
    this.poppedTimeUs = this.timeUs[0]!;
    this.poppedSeq = this.seq[0]!;
    this.poppedTag = this.tags[0]!;
    this.poppedHandler = this.handlers[0]!;
    this.poppedData = this.data[0];
    const last = --this.size;
    if (last > 0) this.siftDownFrom(last);
    this.handlers[last] = undefined;
    this.data[last] = undefined;
  }

  private siftDownFrom(last: number): void {
    const t = this.timeUs[last]!;
    const s = this.seq[last]!;
    const tag = this.tags[last]!;
    const h = this.handlers[last];
    const d = this.data[last];
    const n = this.size;
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
