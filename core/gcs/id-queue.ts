/**
 * A first-in first-out queue of ids with O(1) `shift` and indexed reads from the front: the order in
 * which task rows finished (lineage cap, flushing) and object rows were created (flushing). Consumed
 * slots are reclaimed in bulk once they are the larger part of the array, so a long run neither
 * pays Array#shift's copying nor keeps every id it ever saw.
 */
import { assert } from "../assert.js";

export class IdQueue {
  private items: string[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(id: string): void {
    this.items.push(id);
  }

  /** The i-th id from the front (0 = the oldest), or undefined past the end. */
  at(i: number): string | undefined {
    if (i < 0) assert(false, `IdQueue.at: negative index ${i}`);
    return this.items[this.head + i];
  }

  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const id = this.items[this.head++];
    this.compact();
    return id;
  }

  /** Drops ids from the front while `stale(id)` says they no longer matter. */
  dropFrontWhile(stale: (id: string) => boolean): void {
    while (this.head < this.items.length && stale(this.items[this.head]!)) this.head++;
    this.compact();
  }

  copy(): IdQueue {
    const out = new IdQueue();
    out.items = this.items.slice(this.head);
    return out;
  }

  private compact(): void {
    if (this.head < 1024 || this.head * 2 < this.items.length) return;
    this.items = this.items.slice(this.head);
    this.head = 0;
  }
}
