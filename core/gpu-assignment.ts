/**
 * Which GPUs of a node a request could take: a share of one GPU (< 1) or whole GPUs (>= 1), each
 * with `memoryBytes` of GPU memory on it. Fractional requests sharing a GPU share its memory. One
 * function for the raylet's pool (what it can start now) and the global scheduler's view of a node
 * (from heartbeats), so both places judge "fits" the same way.
 */
import { assert } from "./assert.js";

export interface GpuState {
  readonly memoryBytes: number;
  readonly freeMemoryBytes: number;
  /** Unallocated share of the GPU, in [0, 1]. */
  readonly freeShare: number;
  readonly failed: boolean;
}

/**
 * "now": healthy, with the share and the memory free. "healthy": a healthy GPU that could hold it
 * once free. "installed": any GPU that could hold it once free and repaired.
 */
export type GpuFitMode = "now" | "healthy" | "installed";

export interface GpuGrant {
  readonly index: number;
  readonly share: number;
}

const EPSILON = 1e-9;

function eligible(g: GpuState, share: number, memoryBytes: number, mode: GpuFitMode): boolean {
  if (mode === "installed") return g.memoryBytes >= memoryBytes;
  if (g.failed) return false;
  if (mode === "healthy") return g.memoryBytes >= memoryBytes;
  return g.freeShare + EPSILON >= share && g.freeMemoryBytes >= memoryBytes;
}

/** Whole GPUs for amounts >= 1, else the fullest GPU that still has room (packing); undefined if none. */
export function assignGpus(
  gpus: readonly GpuState[],
  amount: number,
  memoryBytes: number,
  mode: GpuFitMode,
): GpuGrant[] | undefined {
  assert(memoryBytes >= 0, `GPU assignment: negative memory ${memoryBytes}`);
  if (amount <= 0) return [];
  if (amount >= 1) {
    const whole: GpuGrant[] = [];
    for (let i = 0; i < gpus.length && whole.length < amount; i++) {
      if (eligible(gpus[i]!, 1, memoryBytes, mode)) whole.push({ index: i, share: 1 });
    }
    return whole.length === amount ? whole : undefined;
  }
  let best = -1;
  for (let i = 0; i < gpus.length; i++) {
    const g = gpus[i]!;
    if (!eligible(g, amount, memoryBytes, mode)) continue;
    if (best < 0 || g.freeShare < gpus[best]!.freeShare) best = i;
  }
  return best < 0 ? undefined : [{ index: best, share: amount }];
}
