/**
 * Bulk transfers through the network model alone (no processes): 8 senders → 1 receiver (incast)
 * and 1 sender → 8 receivers (fan-out), 10^4 transfers each, arriving in waves so that every
 * start and every completion changes the set of active flows and the rates are recomputed.
 * Figures: transfers and kernel events per wall-second, kernel events per transfer.
 */
import { Kernel } from "../sim/kernel.js";
import { Network } from "../sim/network.js";
import type { EventHandler } from "../sim/event-queue.js";

const TRANSFERS = 10_000;
const WAVE = 8;
const WAVE_GAP_US = 100;

interface TransferRun {
  wallMs: number;
  /** CPU time of the process (user + system): steadier than wall time on a shared machine. */
  cpuMs: number;
  virtualMs: number;
  events: number;
  delivered: number;
}

/** `pattern(i)` names the sender and receiver of transfer i; waves of WAVE start WAVE_GAP_US apart. */
async function runTransfers(
  pattern: (i: number) => [string, string],
  sizeBytes: number,
): Promise<TransferRun> {
  const kernel = new Kernel();
  const network = new Network(kernel, { latencyUs: 100, bandwidthBytesPerSec: 1e9 });
  let delivered = 0;
  const sink: EventHandler = { handleEvent: () => void delivered++ };
  const starter: EventHandler = {
    handleEvent: (wave: number) => {
      for (let k = 0; k < WAVE; k++) {
        const [from, to] = pattern(wave * WAVE + k);
        network.transmit(from, to, sizeBytes, sink, 0, undefined, true);
      }
    },
  };
  for (let wave = 0; wave < TRANSFERS / WAVE; wave++)
    kernel.schedule(wave * WAVE_GAP_US, starter, wave, undefined, true);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  await kernel.run(undefined);
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (delivered !== TRANSFERS)
    throw new Error(`transfer bench: ${delivered} of ${TRANSFERS} delivered`);
  return {
    wallMs,
    cpuMs,
    virtualMs: kernel.nowUs / 1000,
    events: kernel.eventsProcessed,
    delivered,
  };
}

export async function benchTransfer(): Promise<Record<string, unknown>[]> {
  const patterns: Array<[string, (i: number) => [string, string], number]> = [
    ["incast8to1", (i) => [`s${i % 8}`, "r"], 1e6],
    ["fanout1to8", (i) => ["s", `r${i % 8}`], 1e6],
    ["incast8to1.chunked", (i) => [`s${i % 8}`, "r"], 20e6],
  ];
  await runTransfers(patterns[0]![1], 1e6); // warm up the JIT
  const out: Record<string, unknown>[] = [];
  for (const [name, pattern, sizeBytes] of patterns) {
    const r = await runTransfers(pattern, sizeBytes);
    out.push({
      bench: `network.${name}`,
      transfers: TRANSFERS,
      sizeBytes,
      transfersPerWallSec: Math.round(TRANSFERS / (r.wallMs / 1000)),
      eventsPerTransfer: Number((r.events / TRANSFERS).toFixed(1)),
      virtualMs: Number(r.virtualMs.toFixed(1)),
      wallMs: Math.round(r.wallMs),
      cpuMs: Math.round(r.cpuMs),
    });
  }
  return out;
}
