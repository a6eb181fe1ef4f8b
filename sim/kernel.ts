/**
 * The discrete-event kernel (DESIGN.md "Discrete-event kernel"; after SimPy's core.py): integer
 * microseconds, events ordered by (time, sequence), a run loop that lets promise reactions run
 * between events so an `async` driver's `await` resumes at the virtual time its value arrived.
 *
 * Work versus background: every event is one or the other (its `seq` is odd for work). A run ends
 * when the driver has settled and no work is pending; background events (heartbeats) never keep it
 * alive. A driver still waiting when only background events remain for `idleLimitUs` (or none at
 * all) is deadlocked: the error names every promise it still awaits. Never a hang.
 *
 * Livelock: work events that keep running while nothing progresses (`noteProgress`: an attempt
 * started or ended, a user promise was made or settled) for `progressLimitUs` end the run too,
 * unless progress is merely not due yet (`progressPending`: a task still executing). Deliveries
 * are tallied by message type only in the second half of a stall, so the hot path pays one
 * comparison per work event, and the error names what kept the run busy.
 */
import { assert, assertBound, InvariantViolation } from "../core/assert.js";
import type { UserDeferred } from "../core/env.js";
import { EventQueue, type EventHandler } from "./event-queue.js";
import { secToUs, usToMs } from "../core/units.js";

export class DeadlockError extends Error {
  override name = "DeadlockError";
  constructor(
    readonly atUs: number,
    readonly awaited: readonly string[],
    why: string,
  ) {
    super(
      `deadlock at ${usToMs(atUs).toFixed(3)} ms: ${why}; the driver still waits on ` +
        (awaited.length > 0
          ? awaited.slice(0, 20).join(", ") + (awaited.length > 20 ? ", …" : "")
          : "(nothing registered)"),
    );
  }
}

export interface RunOptions {
  /** Stop at this virtual time even if work remains (the driver may still be pending). */
  untilUs?: number;
  /** How long only background events may run while the driver waits before it is a deadlock. */
  idleLimitUs?: number;
  /** How long work may run without progress (`noteProgress`) before it is a livelock; default: no limit. */
  progressLimitUs?: number;
  /**
   * Asked (rarely) when progress has stalled: true while progress is scheduled but not yet due — a
   * task executing whose end is pending, a driver sleeping — so the stall is not a livelock.
   */
  progressPending?: () => boolean;
}

export interface RunEnd {
  /** Why the loop stopped. */
  reason: "driver-done" | "until";
  atUs: number;
}

/** Throws like a failed assert; callers build the message only on failure (hot paths). */
function fail(message: string): never {
  throw new InvariantViolation(message);
}

/** Drains every pending promise reaction: Node runs all microtasks before the next macrotask. */
function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Events pending at once (timers, deliveries, executions): far beyond any scenario's need. */
export const MAX_PENDING_EVENTS = 10_000_000;
/** Cancelled events not yet popped (a JS Set holds at most 2^24). */
export const MAX_CANCELLED_EVENTS = 10_000_000;

export class Kernel {
  private nowUsValue = 0;
  private seqCounter = 0;
  private workPending = 0;
  private lastWorkUs = 0;
  private eventsRun = 0;
  private readonly queue = new EventQueue(4096);
  private readonly cancelled = new Set<number>();
  private yieldRequested = false;
  private readonly awaited = new Map<number, string>();
  private awaitedCounter = 0;
  private lastProgressUs = 0;
  private progressLimitUs = Number.POSITIVE_INFINITY;
  /** The stall after which the cold path runs: half the limit (start tallying), then the limit. */
  private stallCheckUs = Number.POSITIVE_INFINITY;
  private progressPending: (() => boolean) | undefined;
  private tallyFromUs = 0;
  private readonly tallyByType = new Map<string, number>();
  /** True in the second half of a stall: deliveries should be passed to `tally`. */
  tallying = false;
  /** Called after every event when set: the simulator's invariant checks (on in tests). */
  afterEvent: (() => void) | undefined;

  get nowUs(): number {
    return this.nowUsValue;
  }

  /** The id of the event being handled (its seq), e.g. to match it against a record. */
  get currentEventId(): number {
    return this.currentSeq;
  }
  private currentSeq = -1;

  get eventsProcessed(): number {
    return this.eventsRun;
  }

  get pendingEvents(): number {
    return this.queue.size;
  }

  /** The simulation made progress (an attempt started or ended): the livelock clock restarts. */
  noteProgress(): void {
    this.lastProgressUs = this.nowUsValue;
    if (this.tallying) this.stopTally();
  }

  /** Counts one delivery of a message type during a stall (only while `tallying`). */
  tally(type: string): void {
    this.tallyByType.set(type, (this.tallyByType.get(type) ?? 0) + 1);
  }

  private stopTally(): void {
    this.tallying = false;
    this.tallyByType.clear();
    this.stallCheckUs = this.progressLimitUs / 2;
  }

  /** The cold path of the livelock check, run after a work event once progress stalled. */
  private stalled(): void {
    if (this.progressPending?.() === true) {
      // Progress is on its way (a long task): not a stall, however long it takes.
      this.lastProgressUs = this.nowUsValue;
      if (this.tallying) this.stopTally();
      return;
    }
    if (!this.tallying) {
      this.tallying = true;
      this.tallyFromUs = this.nowUsValue;
      this.stallCheckUs = this.progressLimitUs;
      return;
    }
    const busiest = [...this.tallyByType].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const busy =
      busiest.length === 0
        ? "no work message was delivered (only timers ran)"
        : `in its last ${usToMs(this.nowUsValue - this.tallyFromUs).toFixed(0)} ms it delivered (work messages) ` +
          busiest
            .slice(0, 8)
            .map(([type, n]) => `${n} × ${type}`)
            .join(", ") +
          (busiest.length > 8 ? ", …" : "");
    throw new DeadlockError(
      this.nowUsValue,
      this.awaitedLabels(),
      `livelock: work ran for ${usToMs(this.progressLimitUs)} ms but no task attempt started or ended and ` +
        `the driver's awaited set did not change (progressLimitMs); ${busy}`,
    );
  }

  /** Schedules `handler.handleEvent(tag, data)` after `delayUs`; returns an id for `cancel`. */
  schedule(
    delayUs: number,
    handler: EventHandler,
    tag: number,
    data: unknown,
    work = true,
  ): number {
    // Messages are built only on failure: a template literal in assert() cost one string per call.
    if (!(delayUs >= 0)) fail(`schedule: negative delay ${delayUs} µs`);
    if (!Number.isInteger(delayUs)) fail(`schedule: delay ${delayUs} µs is not an integer`);
    const seq = 2 * this.seqCounter++ + (work ? 1 : 0);
    if (this.queue.size >= MAX_PENDING_EVENTS)
      assertBound(this.queue.size, MAX_PENDING_EVENTS, "kernel event queue (MAX_PENDING_EVENTS)");
    if (work) this.workPending++;
    this.queue.push(this.nowUsValue + delayUs, seq, handler, tag, data);
    return seq;
  }

  /** Cancels a pending event. The caller guarantees it has not fired (timers track that). */
  cancel(eventId: number): void {
    if (this.cancelled.has(eventId)) fail(`cancel: event ${eventId} cancelled twice`);
    assertBound(
      this.cancelled.size,
      MAX_CANCELLED_EVENTS,
      "kernel cancelled events (MAX_CANCELLED_EVENTS)",
    );
    this.cancelled.add(eventId);
    if ((eventId & 1) === 1) this.workPending--;
    assert(this.workPending >= 0, "cancel: work count went negative");
  }

  /** A promise for user code; settling it makes the loop yield so awaiting code resumes now. */
  userDeferred<T>(label: string): UserDeferred<T> {
    const key = this.awaitedCounter++;
    this.awaited.set(key, label);
    this.noteProgress();
    let resolveFn!: (value: T) => void;
    let rejectFn!: (error: unknown) => void;
    const promise = new Promise<T>((resolve, reject) => {
      resolveFn = resolve;
      rejectFn = reject;
    });
    let settled = false;
    return {
      promise,
      resolve: (value: T) => {
        if (settled) return;
        settled = true;
        this.awaited.delete(key);
        this.yieldRequested = true;
        this.noteProgress();
        resolveFn(value);
      },
      reject: (error: unknown) => {
        if (settled) return;
        settled = true;
        this.awaited.delete(key);
        this.yieldRequested = true;
        this.noteProgress();
        rejectFn(error);
      },
    };
  }

  /** Labels of user promises not yet settled, oldest first (for deadlock reports). */
  awaitedLabels(): string[] {
    return [...this.awaited.values()];
  }

  /**
   * Runs until `driver` settles and no work is pending (or until `untilUs`). Rejects with the
   * driver's error, with an error thrown by an event handler, or with a DeadlockError.
   */
  async run<T>(
    driver: Promise<T> | undefined,
    options: RunOptions = {},
  ): Promise<{ value: T | undefined; end: RunEnd }> {
    const untilUs = options.untilUs ?? Number.POSITIVE_INFINITY;
    const idleLimitUs = options.idleLimitUs ?? secToUs(60);
    assert(untilUs >= this.nowUsValue, `run: untilUs ${untilUs} is in the past`);
    const progressLimitUs = options.progressLimitUs ?? Number.POSITIVE_INFINITY;
    assert(progressLimitUs > 0, `run: progressLimitUs ${progressLimitUs} must be > 0`);
    this.progressLimitUs = progressLimitUs;
    this.progressPending = options.progressPending;
    this.lastProgressUs = this.nowUsValue;
    this.stopTally();
    let settled = driver === undefined;
    let failed = false;
    let value: T | undefined;
    let error: unknown;
    driver?.then(
      (v) => ((settled = true), (value = v)),
      (e: unknown) => ((settled = true), (failed = true), (error = e)),
    );
    this.lastWorkUs = this.nowUsValue;
    await drainMicrotasks();
    for (;;) {
      const stop = this.stepUntilYield(() => settled, untilUs, idleLimitUs);
      if (stop === "yield") {
        await drainMicrotasks();
        continue;
      }
      if (failed) throw error;
      return { value, end: { reason: stop, atUs: this.nowUsValue } };
    }
  }

  /**
   * Runs without a driver, synchronously, until no work is pending or `untilUs` (benchmarks and
   * protocol tests that need no promise reactions between events).
   */
  runSync(untilUs = Number.POSITIVE_INFINITY): RunEnd {
    for (;;) {
      const stop = this.stepUntilYield(() => true, untilUs, Number.POSITIVE_INFINITY);
      if (stop !== "yield") return { reason: stop, atUs: this.nowUsValue };
    }
  }

  /** The synchronous hot loop: runs events until a user promise settled or the run is over. */
  private stepUntilYield(
    settled: () => boolean,
    untilUs: number,
    idleLimitUs: number,
  ): "yield" | "driver-done" | "until" {
    const queue = this.queue;
    const bounded = untilUs !== Number.POSITIVE_INFINITY;
    for (;;) {
      if (this.yieldRequested) {
        this.yieldRequested = false;
        return "yield";
      }
      const done = settled();
      if (done && this.workPending === 0) return "driver-done";
      if (queue.size === 0) {
        if (done) return "driver-done";
        throw new DeadlockError(this.nowUsValue, this.awaitedLabels(), "no event is left");
      }
      // Peek only when a time bound applies (untilUs, or the idle limit while only background work
      // is left); otherwise the two checks below cannot fire. A double returned by a call V8 does
      // not inline is boxed, so past 2^31 µs each peek allocated a heap number (sparse bench: 16 B
      // per event, ~80 MB per run) besides the call itself.
      const idleWatch = !done && this.workPending === 0;
      if (bounded || idleWatch) {
        const nextUs = queue.peekTimeUs();
        if (nextUs > untilUs) {
          this.nowUsValue = untilUs;
          return "until";
        }
        if (idleWatch && nextUs - this.lastWorkUs > idleLimitUs) {
          throw new DeadlockError(
            this.nowUsValue,
            this.awaitedLabels(),
            `only background events (heartbeats) ran for ${usToMs(idleLimitUs)} ms`,
          );
        }
      }
      queue.pop();
      const timeUs = queue.poppedTimeUs;
      const seq = queue.poppedSeq;
      if (this.cancelled.size > 0 && this.cancelled.delete(seq)) continue;
      assert(timeUs >= this.nowUsValue, "virtual time went backwards");
      this.nowUsValue = timeUs;
      // seq & 1 rather than seq % 2: exact for every integer below 2^53, and never a float modulo.
      if ((seq & 1) === 1) {
        this.workPending--;
        this.lastWorkUs = timeUs;
      }
      this.eventsRun++;
      this.currentSeq = seq;
      queue.poppedHandler!.handleEvent(queue.poppedTag, queue.poppedData);
      if (this.afterEvent !== undefined) this.afterEvent();
      // After the handler: an event that settles what the driver awaits (a sleep's timer) is
      // progress, not the last straw.
      if ((seq & 1) === 1 && timeUs - this.lastProgressUs > this.stallCheckUs) this.stalled();
    }
  }
}
