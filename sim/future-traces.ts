/**
 * Trace events stamped ahead of the kernel's clock: a busy process handles a message when it
 * arrives but its effects carry the time its service ends (sim/world.ts). They wait here, ordered
 * by (stamp, arrival), until the clock reaches them, so the recorded trace stays in time order and
 * an event of a process that dies before its stamp is never recorded (its effects must not escape).
 */
import type { TraceEvent } from "../core/trace.js";

interface Pending {
  readonly tUs: number;
  readonly seq: number;
  readonly node: string;
  readonly event: TraceEvent;
  readonly owner: object;
}

export class FutureTraces {
  private heap: Pending[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** The earliest stamp waiting, or +∞. */
  get nextUs(): number {
    return this.heap.length === 0 ? Number.POSITIVE_INFINITY : this.heap[0]!.tUs;
  }

  push(tUs: number, node: string, event: TraceEvent, owner: object): void {
    this.heap.push({ tUs, seq: this.seq++, node, event, owner });
    this.up(this.heap.length - 1);
  }

  /** Removes and hands over, in order, every event stamped at or before `uptoUs`. */
  drain(uptoUs: number, sink: (tUs: number, node: string, event: TraceEvent) => void): void {
    while (this.heap.length > 0 && this.heap[0]!.tUs <= uptoUs) {
      const top = this.pop();
      sink(top.tUs, top.node, top.event);
    }
  }

  /** Forgets `owner`'s events stamped after `afterUs`: it died before they happened. */
  dropAfter(owner: object, afterUs: number): void {
    const kept = this.heap.filter((p) => p.owner !== owner || p.tUs <= afterUs);
    if (kept.length === this.heap.length) return;
    this.heap = [];
    for (const p of kept.sort((a, b) => a.tUs - b.tUs || a.seq - b.seq)) this.heap.push(p);
  }

  private less(a: Pending, b: Pending): boolean {
    return a.tUs < b.tUs || (a.tUs === b.tUs && a.seq < b.seq);
  }

  private pop(): Pending {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      this.down(0);
    }
    return top;
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) return;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
