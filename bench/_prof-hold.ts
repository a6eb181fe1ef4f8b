import { Kernel } from "../sim/kernel.js";
import type { EventHandler } from "../sim/event-queue.js";
import seedrandom from "seedrandom";
const pending = Number(process.argv[2] ?? 1e5);
const events = Number(process.argv[3] ?? 2e6);
function hold(pending: number, events: number, seed: number): number {
  const kernel = new Kernel();
  const rng = seedrandom.alea(String(seed));
  let left = events;
  const handler: EventHandler = { handleEvent(tag) { if (left-- > 0) kernel.schedule(1 + Math.floor(rng() * 1000), handler, tag, undefined); } };
  for (let i = 0; i < pending; i++) kernel.schedule(Math.floor(rng() * 1000), handler, i, undefined);
  const start = performance.now();
  kernel.runSync();
  return performance.now() - start;
}
hold(1e4, 2e5, 0);
const ms = hold(pending, events, 1);
console.log(pending, ((events + pending) / ms * 1000 / 1e6).toFixed(2), "M ev/s", ms.toFixed(0), "ms");
