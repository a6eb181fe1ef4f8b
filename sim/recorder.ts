/**
 * The recorder: keeps the typed trace in columns (a kind code, time, node and up to four strings
 * and three numbers per event, strings interned) rather than one object per event, and folds every
 * event into a running 64-bit FNV-1a hash as it arrives, so `fingerprint()` costs nothing extra and
 * two runs can be compared without keeping either trace. `keepEvents: false` keeps only the hash.
 */
import { assert } from "../core/assert.js";
import {
  TRACE_KINDS,
  TRACE_SCHEMA,
  type RecordedEvent,
  type TraceEvent,
  type TraceKind,
} from "../core/trace.js";
import { FutureTraces } from "./future-traces.js";

const KIND_CODE = new Map<TraceKind, number>(TRACE_KINDS.map((k, i) => [k, i]));
const ABSENT = -1;

class Columns {
  capacity = 0;
  kind = new Uint8Array(0);
  tUs = new Float64Array(0);
  node = new Int32Array(0);
  s = [new Int32Array(0), new Int32Array(0), new Int32Array(0), new Int32Array(0)];
  n = [new Float64Array(0), new Float64Array(0), new Float64Array(0)];

  grow(): void {
    const capacity = Math.max(1024, this.capacity * 2);
    const growInto = <A extends Uint8Array | Int32Array | Float64Array>(
      old: A,
      make: (n: number) => A,
    ): A => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.kind = growInto(this.kind, (n) => new Uint8Array(n));
    this.tUs = growInto(this.tUs, (n) => new Float64Array(n));
    this.node = growInto(this.node, (n) => new Int32Array(n));
    this.s = this.s.map((c) => growInto(c, (n) => new Int32Array(n)));
    this.n = this.n.map((c) => growInto(c, (n) => new Float64Array(n)));
    this.capacity = capacity;
  }
}

export interface RecorderOptions {
  /** Keep events for `events()`; false keeps only counts and the fingerprint (long runs). */
  keepEvents?: boolean;
}

export class Recorder {
  private readonly columns = new Columns();
  private count = 0;
  private readonly strings: string[] = [];
  private readonly stringIndex = new Map<string, number>();
  private hashHi = 0xcbf29ce4;
  private hashLo = 0x84222325;
  private readonly keepEvents: boolean;
  private readonly countsByKind = new Float64Array(TRACE_KINDS.length);
  /** Listeners see every event as it is recorded (metrics that stream instead of storing). */
  private readonly listeners: ((tUs: number, node: string, event: TraceEvent) => void)[] = [];

  constructor(options: RecorderOptions = {}) {
    this.keepEvents = options.keepEvents ?? true;
  }

  get size(): number {
    return this.count;
  }

  countOf(kind: TraceKind): number {
    return this.countsByKind[KIND_CODE.get(kind)!]!;
  }

  onEvent(listener: (tUs: number, node: string, event: TraceEvent) => void): void {
    this.listeners.push(listener);
  }

  private readonly ahead = new FutureTraces();
  private readonly appendFn = (tUs: number, node: string, event: TraceEvent): void =>
    this.append(tUs, node, event);

  record(tUs: number, node: string, event: TraceEvent): void {
    if (this.ahead.size !== 0 && this.ahead.nextUs <= tUs) this.ahead.drain(tUs, this.appendFn);
    this.append(tUs, node, event);
  }

  /**
   * Records an event stamped `tUs`, which may lie ahead of the clock `nowUs` (a busy process's
   * effects carry the end of its service): it waits until the clock passes it, so the trace stays
   * in time order and `dropAhead` can forget it if `owner` dies first.
   */
  recordAhead(tUs: number, nowUs: number, node: string, event: TraceEvent, owner: object): void {
    if (tUs <= nowUs) this.record(tUs, node, event);
    else this.ahead.push(tUs, node, event, owner);
  }

  /** Events stamped ahead of the clock still waiting. */
  get aheadCount(): number {
    return this.ahead.size;
  }

  /** Records what waits up to `uptoUs` (every event at the end of a run: +∞). */
  flushAhead(uptoUs = Number.POSITIVE_INFINITY): void {
    if (this.ahead.size !== 0) this.ahead.drain(uptoUs, this.appendFn);
  }

  /** `owner` died at `atUs`: its events stamped later never happened. */
  dropAhead(owner: object, atUs: number): void {
    if (this.ahead.size !== 0) this.ahead.dropAfter(owner, atUs);
  }

  private append(tUs: number, node: string, event: TraceEvent): void {
    const code = KIND_CODE.get(event.kind);
    assert(code !== undefined, `recorder: unknown trace kind ${event.kind}`);
    this.countsByKind[code] = this.countsByKind[code]! + 1;
    const schema = TRACE_SCHEMA[event.kind] as { s: readonly string[]; n: readonly string[] };
    const fields = event as unknown as Record<string, string | number>;
    this.hashNumber(code);
    this.hashNumber(tUs);
    this.hashString(node);
    for (const f of schema.s) this.hashString(String(fields[f]));
    for (const f of schema.n) this.hashNumber(Number(fields[f]));
    for (const listener of this.listeners) listener(tUs, node, event);
    if (!this.keepEvents) return;
    const c = this.columns;
    if (this.count === c.capacity) c.grow();
    const i = this.count++;
    c.kind[i] = code;
    c.tUs[i] = tUs;
    c.node[i] = this.intern(node);
    for (let k = 0; k < 4; k++) {
      const sf = schema.s[k];
      c.s[k]![i] = sf === undefined ? ABSENT : this.intern(String(fields[sf]));
    }
    for (let k = 0; k < 3; k++) {
      const nf = schema.n[k];
      c.n[k]![i] = nf === undefined ? 0 : Number(fields[nf]);
    }
  }

  /** The decoded trace, in recording order. */
  *events(): IterableIterator<RecordedEvent> {
    const c = this.columns;
    for (let i = 0; i < this.count; i++) {
      const kind = TRACE_KINDS[c.kind[i]!]!;
      const schema = TRACE_SCHEMA[kind] as { s: readonly string[]; n: readonly string[] };
      const event: Record<string, unknown> = {
        kind,
        tUs: c.tUs[i],
        node: this.strings[c.node[i]!],
      };
      schema.s.forEach((f, k) => (event[f] = this.strings[c.s[k]![i]!]));
      schema.n.forEach((f, k) => (event[f] = c.n[k]![i]));
      yield event as RecordedEvent;
    }
  }

  /** A 64-bit FNV-1a hash of every event recorded so far, as 16 hex digits. */
  fingerprint(): string {
    return (
      (this.hashHi >>> 0).toString(16).padStart(8, "0") +
      (this.hashLo >>> 0).toString(16).padStart(8, "0")
    );
  }

  private intern(s: string): number {
    let i = this.stringIndex.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.stringIndex.set(s, i);
    }
    return i;
  }

  /** 64-bit FNV-1a on two 32-bit halves (prime 0x100000001b3 = 2^40 + 0x1b3). */
  private hashByte(byte: number): void {
    const lo = (this.hashLo ^ byte) >>> 0;
    const hi = this.hashHi >>> 0;
    const loMul = lo * 0x1b3;
    const newLo = loMul >>> 0;
    const carry = Math.floor(loMul / 0x100000000);
    const newHi = (Math.imul(hi, 0x1b3) + Math.imul(lo, 0x100) + carry) >>> 0;
    this.hashLo = newLo;
    this.hashHi = newHi;
  }

  private hashNumber(x: number): void {
    if (!(Number.isInteger(x) && Math.abs(x) < 2 ** 31)) return this.hashString(String(x));
    this.hashByte(x & 0xff);
    this.hashByte((x >>> 8) & 0xff);
    this.hashByte((x >>> 16) & 0xff);
    this.hashByte((x >>> 24) & 0xff);
  }

  private hashString(s: string): void {
    for (let i = 0; i < s.length; i++) this.hashByte(s.charCodeAt(i) & 0xff);
    this.hashByte(0);
  }
}
