/**
 * The hold model (each event schedules one more at a random future time), run on the kernel and on
 * a plain object heap in the same process, at 10^3, 10^5 and 10^6 pending events. Prints one JSON
 * line per figure (STYLE.md §11). Target: >= 5M events/s at 10^5 pending.
 */
import { Kernel } from "../sim/kernel.js";
import type { EventHandler } from "../sim/event-queue.js";
import { ObjectHeap } from "./object-heap.js";
import seedrandom from "seedrandom";

function holdKernel(pending: number, events: number, seed: number): number {
  const kernel = new Kernel();
  const rng = seedrandom.alea(String(seed));
  let left = events;
  const handler: EventHandler = {
    handleEvent(tag) {
      if (left-- > 0) kernel.schedule(1 + Math.floor(rng() * 1000), handler, tag, undefined);
    },
  };
  for (let i = 0; i < pending; i++) kernel.schedule(Math.floor(rng() * 1000), handler, i, undefined);
  const start = performance.now();
  // The hold loop is synchronous: no driver, so run() never yields to the host.
  kernel.runSync();
  return performance.now() - start;
}

function holdObjects(pending: number, events: number, seed: number): number {
  const heap = new ObjectHeap();
  const rng = seedrandom.alea(String(seed));
  let seq = 0;
  let now = 0;
  for (let i = 0; i < pending; i++) heap.push({ timeUs: Math.floor(rng() * 1000), seq: seq++, tag: i });
  const start = performance.now();
  let left = events;
  while (heap.size > 0) {
    const e = heap.pop();
    now = e.timeUs;
    if (left-- > 0) heap.push({ timeUs: now + 1 + Math.floor(rng() * 1000), seq: seq++, tag: e.tag });
  }
  return performance.now() - start;
}

export function benchKernel(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const pending of [1e3, 1e5, 1e6]) {
    const events = Math.max(2e6, pending * 4);
    holdKernel(Math.min(pending, 1e4), 2e5, 0); // warm up the JIT
    const kernelMs = holdKernel(pending, events, 1);
    const objectMs = holdObjects(pending, events, 1);
    const total = events + pending;
    const kernelRate = total / (kernelMs / 1000);
    const objectRate = total / (objectMs / 1000);
    out.push({
      bench: "kernel.hold",
      pendingEvents: pending,
      events: total,
      eventsPerSec: Math.round(kernelRate),
      objectHeapEventsPerSec: Math.round(objectRate),
      ratioVsObjectHeap: Number((kernelRate / objectRate).toFixed(2)),
      wallMs: Math.round(kernelMs),
      seed: 1,
    });
  }
  return out;
}
