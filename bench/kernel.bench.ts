/**
 * The hold model (each event schedules one more at a random future time), run on the kernel and on
 * a plain object heap in the same process, at 10^3, 10^5 and 10^6 pending events; and sparse
 * heartbeats ("kernel.sparse": 16 or 1000 timers firing every 100 ms at random phases, so
 * consecutive events are 6.25 ms or 100 µs apart, and the 16-timer run's clock passes 2^31 µs: the
 * case a timing wheel handles worst). Prints one JSON line per figure (STYLE.md §11).
 * Target: >= 5M events/s at 10^5 pending. bench/queue-variants.ts compares alternative queues.
 */
import { Kernel } from "../sim/kernel.js";
import type { EventHandler } from "../sim/event-queue.js";
import { ObjectHeap } from "./object-heap.js";
import seedrandom from "seedrandom";

/** The clock of the timed sections (ms); bench/queue-variants.ts --cpu swaps in process CPU time. */
let clockMs: () => number = () => performance.now();
export function setBenchClock(clock: () => number): void {
  clockMs = clock;
}

/** Runs the hold model on a kernel; returns the wall time of the run loop in ms. */
export function holdKernel(
  pending: number,
  events: number,
  seed: number,
  kernel = new Kernel(),
): number {
  const rng = seedrandom.alea(String(seed));
  let left = events;
  const handler: EventHandler = {
    handleEvent(tag) {
      if (left-- > 0) kernel.schedule(1 + Math.floor(rng() * 1000), handler, tag, undefined);
    },
  };
  for (let i = 0; i < pending; i++)
    kernel.schedule(Math.floor(rng() * 1000), handler, i, undefined);
  const start = clockMs();
  // The hold loop is synchronous: no driver, so run() never yields to the host.
  kernel.runSync();
  return clockMs() - start;
}

export function holdObjects(pending: number, events: number, seed: number): number {
  const heap = new ObjectHeap();
  const rng = seedrandom.alea(String(seed));
  let seq = 0;
  for (let i = 0; i < pending; i++)
    heap.push({ timeUs: Math.floor(rng() * 1000), seq: seq++, tag: i });
  const start = clockMs();
  let left = events;
  while (heap.size > 0) {
    const e = heap.pop();
    const now = e.timeUs;
    if (left-- > 0)
      heap.push({ timeUs: now + 1 + Math.floor(rng() * 1000), seq: seq++, tag: e.tag });
  }
  return clockMs() - start;
}

/**
 * `timers` heartbeats of period `periodUs` at random phases, `events` firings in all. They are work
 * events here (real heartbeats are background) so that runSync keeps going until the count is spent.
 */
export function heartbeatKernel(
  timers: number,
  periodUs: number,
  events: number,
  seed: number,
  kernel = new Kernel(),
): number {
  const rng = seedrandom.alea(String(seed));
  let left = events;
  const handler: EventHandler = {
    handleEvent(tag) {
      if (left-- > 0) kernel.schedule(periodUs, handler, tag, undefined);
    },
  };
  for (let i = 0; i < timers; i++)
    kernel.schedule(Math.floor(rng() * periodUs), handler, i, undefined);
  const start = clockMs();
  kernel.runSync();
  return clockMs() - start;
}

export function heartbeatObjects(
  timers: number,
  periodUs: number,
  events: number,
  seed: number,
): number {
  const heap = new ObjectHeap();
  const rng = seedrandom.alea(String(seed));
  let seq = 0;
  for (let i = 0; i < timers; i++)
    heap.push({ timeUs: Math.floor(rng() * periodUs), seq: seq++, tag: i });
  const start = clockMs();
  let left = events;
  while (heap.size > 0) {
    const e = heap.pop();
    if (left-- > 0) heap.push({ timeUs: e.timeUs + periodUs, seq: seq++, tag: e.tag });
  }
  return clockMs() - start;
}

function line(
  bench: string,
  pending: number,
  total: number,
  kernelMs: number,
  objectMs: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const kernelRate = total / (kernelMs / 1000);
  const objectRate = total / (objectMs / 1000);
  return {
    bench,
    pendingEvents: pending,
    ...extra,
    events: total,
    eventsPerSec: Math.round(kernelRate),
    objectHeapEventsPerSec: Math.round(objectRate),
    ratioVsObjectHeap: Number((kernelRate / objectRate).toFixed(2)),
    wallMs: Math.round(kernelMs),
    seed: 1,
  };
}

export function benchKernel(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const pending of [1e3, 1e5, 1e6]) {
    const events = Math.max(2e6, pending * 4);
    holdKernel(Math.min(pending, 1e4), 2e5, 0); // warm up the JIT
    const kernelMs = holdKernel(pending, events, 1);
    const objectMs = holdObjects(pending, events, 1);
    out.push(line("kernel.hold", pending, events + pending, kernelMs, objectMs));
  }
  const periodUs = 100_000;
  for (const timers of [16, 1000]) {
    const events = 2e6;
    heartbeatKernel(timers, periodUs, 2e5, 0); // warm up the JIT
    const kernelMs = heartbeatKernel(timers, periodUs, events, 1);
    const objectMs = heartbeatObjects(timers, periodUs, events, 1);
    out.push(line("kernel.sparse", timers, events + timers, kernelMs, objectMs, { periodUs }));
  }
  return out;
}
