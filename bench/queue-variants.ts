/**
 * Alternatives to the kernel's pending-event queue, each measured through the real Kernel (its
 * queue swapped in) on the workloads of kernel.bench.ts, one child process per (variant, workload)
 * so that no variant's JIT feedback pollutes another's. Prints one JSON line per figure.
 *
 *   node --import ./register.mjs bench/queue-variants.ts [--cpu] [variant,... [workload,...]]
 *
 * --cpu times the runs by process CPU time instead of wall time (less noise on a shared machine).
 *
 * Variants: binary (the former queue), quaternary (4-ary heap), index (4-ary heap moving only keys),
 * slot-arrays (timing wheel with a growable array per bucket), wheel<bits> (sim/event-queue.ts).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Kernel } from "../sim/kernel.js";
import { EventQueue } from "../sim/event-queue.js";
import { heartbeatKernel, holdKernel, setBenchClock } from "./kernel.bench.js";
import { BinaryHeapQueue } from "./queues/binary-heap.js";
import { QuaternaryHeapQueue } from "./queues/quaternary-heap.js";
import { IndexHeapQueue } from "./queues/index-heap.js";
import { SlotArrayWheelQueue } from "./queues/wheel-slot-arrays.js";

const VARIANTS: Record<string, () => unknown> = {
  binary: () => new BinaryHeapQueue(4096),
  quaternary: () => new QuaternaryHeapQueue(4096),
  index: () => new IndexHeapQueue(4096),
  "slot-arrays": () => new SlotArrayWheelQueue(4096),
  wheel10: () => new EventQueue(4096, 10),
  wheel12: () => new EventQueue(4096, 12),
  wheel14: () => new EventQueue(4096, 14),
  wheel16: () => new EventQueue(4096, 16),
  wheel17: () => new EventQueue(4096, 17),
  wheel18: () => new EventQueue(4096, 18),
};

interface Workload {
  pending: number;
  events: number;
  run(kernel: Kernel, seed: number, events: number): number;
}

const WORKLOADS: Record<string, Workload> = {
  "hold-1e3": { pending: 1e3, events: 2e6, run: (k, s, e) => holdKernel(1e3, e, s, k) },
  "hold-1e5": { pending: 1e5, events: 2e6, run: (k, s, e) => holdKernel(1e5, e, s, k) },
  "hold-1e6": { pending: 1e6, events: 4e6, run: (k, s, e) => holdKernel(1e6, e, s, k) },
  "sparse-16": {
    pending: 16,
    events: 2e6,
    run: (k, s, e) => heartbeatKernel(16, 100_000, e, s, k),
  },
  "sparse-1000": {
    pending: 1000,
    events: 2e6,
    run: (k, s, e) => heartbeatKernel(1000, 100_000, e, s, k),
  },
};

function kernelWith(variant: string): Kernel {
  const kernel = new Kernel();
  (kernel as unknown as { queue: unknown }).queue = VARIANTS[variant]!();
  return kernel;
}

const args = process.argv.slice(2);
const cpu = args[0] === "--cpu";
if (cpu) args.shift();
const [mode, a, b] = args;
if (cpu) {
  setBenchClock(() => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  });
}
if (mode === "--child") {
  const variant = a!;
  const workload = WORKLOADS[b!]!;
  workload.run(kernelWith(variant), 0, 2e5); // warm up the JIT
  let best = Number.POSITIVE_INFINITY;
  for (let rep = 0; rep < 3; rep++)
    best = Math.min(best, workload.run(kernelWith(variant), 1, workload.events));
  const total = workload.events + workload.pending;
  process.stdout.write(
    JSON.stringify({
      bench: "queue.variant",
      variant,
      workload: b,
      pendingEvents: workload.pending,
      events: total,
      eventsPerSec: Math.round(total / (best / 1000)),
      [cpu ? "cpuMs" : "wallMs"]: Math.round(best),
      repeats: 3,
      seed: 1,
    }) + "\n",
  );
} else {
  const variants = mode !== undefined ? mode.split(",") : Object.keys(VARIANTS);
  const workloads = a !== undefined ? a.split(",") : Object.keys(WORKLOADS);
  const self = fileURLToPath(import.meta.url);
  for (const w of workloads) {
    for (const v of variants) {
      const r = spawnSync(
        process.execPath,
        [...process.execArgv, self, ...(cpu ? ["--cpu"] : []), "--child", v, w],
        { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
      );
      process.stdout.write(r.stdout);
    }
  }
}
