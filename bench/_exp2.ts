import { EventQueue, type EventHandler } from "../sim/event-queue.js";
import { BinaryHeapQueue } from "./queues/binary-heap.js";
import seedrandom from "seedrandom";
const variant = process.argv[2] ?? "wheel12";
const timers = Number(process.argv[3] ?? 16);
const h: EventHandler = { handleEvent() {} };
type Q = { push(t: number, s: number, h: EventHandler, tag: number, d: unknown): void; pop(): void; peekTimeUs(): number; size: number; poppedTimeUs: number; poppedTag: number };
function mk(): Q { return variant === "binary" ? new BinaryHeapQueue(4096) : new EventQueue(4096, Number(variant.slice(5))); }
function bare(events: number) {
  const q = mk(); const rng = seedrandom.alea("1"); let seq = 0;
  for (let i = 0; i < timers; i++) q.push(Math.floor(rng() * 100000), seq++, h, i, undefined);
  const c0 = process.cpuUsage(); let left = events;
  while (q.size > 0) { q.peekTimeUs(); q.pop(); if (left-- > 0) q.push(q.poppedTimeUs + 100000, seq++, h, q.poppedTag, undefined); }
  const c = process.cpuUsage(c0); return (c.user + c.system) / 1000;
}
bare(2e5);
for (let k = 0; k < Number(process.argv[4] ?? 3); k++) { const b = bare(4e6); console.log(variant, timers, (4e6 / b / 1e3).toFixed(2), "M/s"); }
