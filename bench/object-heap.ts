/** The baseline the kernel's queue is measured against: a plain binary heap of event objects. */
export interface HeapEvent {
  timeUs: number;
  seq: number;
  tag: number;
}

export class ObjectHeap {
  private readonly items: HeapEvent[] = [];
  get size(): number {
    return this.items.length;
  }
  push(e: HeapEvent): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(a[p]!, e)) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = e;
  }
  pop(): HeapEvent {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= a.length) break;
        if (c + 1 < a.length && less(a[c + 1]!, a[c]!)) c++;
        if (less(last, a[c]!)) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

function less(x: HeapEvent, y: HeapEvent): boolean {
  return x.timeUs < y.timeUs || (x.timeUs === y.timeUs && x.seq < y.seq);
}
