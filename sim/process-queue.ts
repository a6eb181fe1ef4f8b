/**
 * A control process as a FIFO server with `servers` threads (1 for Ray's event loops): when a
 * message arrives it starts at max(arrival, the earliest a thread is free) and ends a service time
 * later. The world handles it at arrival and stamps its effects with the end (sim/world.ts says
 * why), so this class only does the arithmetic and keeps the statistics `metrics.queues()` reports:
 * busy time, a histogram of waits, and the number waiting over time as per-bucket maxima.
 *
 * Starts are non-decreasing (FIFO), so the times at which waiting messages begin service form a
 * queue that drains in order as later arrivals come in: the length series costs O(1) per message.
 */
import { assert } from "../core/assert.js";

/** Waits are binned on a log scale: 2 % wide bins, so a percentile is within 1 % of the truth. */
const BIN_RATIO = 1.02;
const LOG_BIN = Math.log(BIN_RATIO);

export class WaitHistogram {
  zero = 0;
  count = 0;
  sumUs = 0;
  maxUs = 0;
  private readonly bins: number[] = [];

  add(waitUs: number): void {
    this.count++;
    this.sumUs += waitUs;
    if (waitUs > this.maxUs) this.maxUs = waitUs;
    if (waitUs <= 0) {
      this.zero++;
      return;
    }
    const b = Math.floor(Math.log(waitUs) / LOG_BIN);
    while (this.bins.length <= b) this.bins.push(0);
    this.bins[b]!++;
  }

  /** The q-quantile (0 < q <= 1) in µs: the geometric middle of its bin, capped at the maximum. */
  quantileUs(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(q * this.count);
    if (rank <= this.zero) return 0;
    let seen = this.zero;
    for (let b = 0; b < this.bins.length; b++) {
      seen += this.bins[b]!;
      if (seen >= rank) return Math.min(this.maxUs, Math.exp((b + 0.5) * LOG_BIN));
    }
    return this.maxUs;
  }
}

export class ProcessQueue {
  /** When each thread is next free (µs). One entry for a single-threaded process. */
  private readonly freeAtUs: number[];
  /** The end of the last service begun: the process's clock while and after it runs a handler. */
  lastEndUs = 0;
  busyUs = 0;
  served = 0;
  /** When its process died (its statistics end there), or -1. */
  diedUs = -1;
  readonly waits = new WaitHistogram();
  /** Start times of messages still waiting, in order (FIFO starts never decrease). */
  private readonly pendingStarts: number[] = [];
  private pendingHead = 0;
  private waiting = 0;
  /** Queue length (messages waiting, not in service) as the maximum within each bucket. */
  readonly bucketStartUs: number[] = [];
  readonly bucketMax: number[] = [];
  /** The length at the end of each bucket: it holds through the buckets with no change after it. */
  readonly bucketEnd: number[] = [];
  private maxWaiting = 0;

  constructor(
    readonly address: string,
    readonly node: string,
    readonly startUs: number,
    servers: number,
    private readonly bucketUs: number,
  ) {
    assert(
      Number.isInteger(servers) && servers >= 1,
      `process queue ${address}: servers must be an integer >= 1`,
    );
    this.freeAtUs = new Array<number>(servers).fill(startUs);
  }

  get servers(): number {
    return this.freeAtUs.length;
  }

  /** A message arrives now and needs `serviceUs`: returns when its service ends. */
  serve(nowUs: number, serviceUs: number): number {
    let t = 0;
    const free = this.freeAtUs;
    for (let i = 1; i < free.length; i++) if (free[i]! < free[t]!) t = i;
    const startUs = free[t]! > nowUs ? free[t]! : nowUs;
    const endUs = startUs + serviceUs;
    free[t] = endUs;
    this.lastEndUs = endUs;
    this.busyUs += serviceUs;
    this.served++;
    this.waits.add(startUs - nowUs);
    this.drainStarts(nowUs);
    if (startUs > nowUs) {
      this.pendingStarts.push(startUs);
      this.note(nowUs, ++this.waiting);
    }
    return endUs;
  }

  /** Something that costs no service (a timer) runs now: after whatever this process has begun. */
  clockAfter(nowUs: number): number {
    return this.servers === 1 && this.lastEndUs > nowUs ? this.lastEndUs : nowUs;
  }

  /** Service time already promised past `nowUs` (not yet spent). */
  committedUs(nowUs: number): number {
    let ahead = 0;
    for (const f of this.freeAtUs) ahead += Math.max(0, f - nowUs);
    return ahead;
  }

  get peakWaiting(): number {
    return this.maxWaiting;
  }

  /** Brings the length series up to `nowUs` (before a report). */
  drainStarts(nowUs: number): void {
    const starts = this.pendingStarts;
    while (this.pendingHead < starts.length && starts[this.pendingHead]! <= nowUs) {
      this.note(starts[this.pendingHead++]!, --this.waiting);
    }
    if (this.pendingHead > 1024 && this.pendingHead * 2 > starts.length) {
      starts.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
  }

  private note(tUs: number, length: number): void {
    if (length > this.maxWaiting) this.maxWaiting = length;
    const bucket = Math.floor(tUs / this.bucketUs) * this.bucketUs;
    const last = this.bucketStartUs.length - 1;
    if (last >= 0 && this.bucketStartUs[last] === bucket) {
      if (length > this.bucketMax[last]!) this.bucketMax[last] = length;
      this.bucketEnd[last] = length;
      return;
    }
    // The length carried in from before this bucket counts towards its maximum.
    const carried = last >= 0 ? this.bucketEnd[last]! : 0;
    this.bucketStartUs.push(bucket);
    this.bucketMax.push(Math.max(length, carried));
    this.bucketEnd.push(length);
  }
}
