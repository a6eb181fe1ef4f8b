import { EventQueue, type EventHandler } from "../sim/event-queue.js";
import seedrandom from "seedrandom";
const pending = Number(process.argv[2] ?? 1e5);
const events = Number(process.argv[3] ?? 4e6);
function rngOnly(n: number) { const rng = seedrandom.alea("1"); let s = 0; const t0 = performance.now(); for (let i = 0; i < n; i++) s += 1 + Math.floor(rng() * 1000); return [performance.now() - t0, s]; }
const h: EventHandler = { handleEvent() {} };
function bare(pending: number, events: number) {
  const q = new EventQueue(4096); const rng = seedrandom.alea("1"); let seq = 0;
  for (let i = 0; i < pending; i++) q.push(Math.floor(rng() * 1000), seq++, h, i, undefined);
  const t0 = performance.now(); let left = events;
  while (q.size > 0) { q.peekTimeUs(); q.pop(); const now = q.poppedTimeUs; if (left-- > 0) q.push(now + 1 + Math.floor(rng() * 1000), seq++, h, q.poppedTag, undefined); }
  return performance.now() - t0;
}
rngOnly(1e6); bare(1e4, 2e5);
const r = rngOnly(events)[0] as number;
console.log("rng only", (events / r / 1e3).toFixed(2), "M/s", r.toFixed(0), "ms");
for (let k = 0; k < 2; k++) { const b = bare(pending, events); console.log("bare queue", ((events + pending) / b / 1e3).toFixed(2), "M/s"); }
