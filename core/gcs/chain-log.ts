/**
 * A replica's two queues of writes. `sent`: writes applied and forwarded to the successor that it
 * has not acknowledged yet, in order; they are sent again when the successor changes (a middle
 * replica died) or falls silent (a lost message), and delivered by this replica if it becomes the
 * tail. `early`: writes that arrived ahead of a gap (reordering, a loss, a state transfer still in
 * flight), applied once the gap closes. Both are bounded: a full queue is a protocol bug.
 */
import { assert } from "../assert.js";
import type { AppliedEntry } from "./chain-apply.js";
import type { ChainEntry } from "./chain-messages.js";

/** Far above any window a working chain needs; reaching it means acks stopped for good. */
export const CHAIN_LOG_ENTRIES_MAX = 1 << 21;

export class ChainLog {
  private sent: AppliedEntry[] = [];
  private sentHead = 0;
  readonly early = new Map<number, ChainEntry>();
  /** The highest seq the successor acknowledged. */
  ackedSeq = 0;
  /** When the successor last acknowledged something new, or the log was last resent. */
  progressUs = 0;
  /** Wait before resending again; doubles while the successor stays silent, so a slow state
   * transfer or a dead link does not turn into a resend storm. 0 after progress. */
  resendBackoffUs = 0;

  get unackedCount(): number {
    return this.sent.length - this.sentHead;
  }

  pushSent(applied: AppliedEntry, nowUs: number): void {
    if (this.unackedCount === 0) this.progressUs = nowUs;
    const last = this.sent[this.sent.length - 1];
    if (last !== undefined && last.entry.seq >= applied.entry.seq)
      assert(false, `chain log: seq ${applied.entry.seq} out of order`);
    assert(this.unackedCount < CHAIN_LOG_ENTRIES_MAX, "chain log: too many unacknowledged writes");
    this.sent.push(applied);
  }

  /** Drops every sent write up to `seq`. */
  ack(seq: number, nowUs: number): void {
    if (seq <= this.ackedSeq) return;
    this.ackedSeq = seq;
    this.progressUs = nowUs;
    this.resendBackoffUs = 0;
    while (this.sentHead < this.sent.length && this.sent[this.sentHead]!.entry.seq <= seq)
      this.sentHead++;
    if (this.sentHead === this.sent.length) {
      this.sent = [];
      this.sentHead = 0;
    } else if (this.sentHead > 1024 && this.sentHead * 2 > this.sent.length) {
      this.sent = this.sent.slice(this.sentHead);
      this.sentHead = 0;
    }
  }

  /** Whether the successor has been silent long enough to send the unacknowledged writes again. */
  resendDue(nowUs: number, minUs: number): boolean {
    return (
      this.unackedCount > 0 && nowUs - this.progressUs >= Math.max(minUs, this.resendBackoffUs)
    );
  }

  /** Records a resend: the next one waits twice as long (up to 64 times `minUs`). */
  resent(nowUs: number, minUs: number): void {
    this.progressUs = nowUs;
    this.resendBackoffUs = Math.min(64 * minUs, Math.max(minUs, 2 * this.resendBackoffUs));
  }

  *unacked(): IterableIterator<AppliedEntry> {
    for (let i = this.sentHead; i < this.sent.length; i++) yield this.sent[i]!;
  }

  clearSent(): void {
    this.sent = [];
    this.sentHead = 0;
  }

  addEarly(entry: ChainEntry): void {
    assert(this.early.size < CHAIN_LOG_ENTRIES_MAX, "chain log: too many writes ahead of a gap");
    this.early.set(entry.seq, entry);
  }

  /** Forgets early writes at or below `seq` (a snapshot covers them). */
  dropEarlyThrough(seq: number): void {
    for (const s of this.early.keys()) if (s <= seq) this.early.delete(s);
  }

  clear(): void {
    this.clearSent();
    this.early.clear();
    this.ackedSeq = 0;
  }
}
