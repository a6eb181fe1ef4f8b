/**
 * The real keys the sort moves: each map input is a deterministic function of (seed, map index),
 * so a map re-executed by lineage reconstruction regenerates exactly the block it first produced —
 * the property that makes re-execution correct, and the one the sort's test checks. A reduce's
 * output is summarised as a valsort-style digest (count, first, last, order-sensitive hash), so
 * the driver checks the output without pulling the declared bytes to its node.
 */

/** A 32-bit generator (mulberry32): fast, seedable, and independent of the simulation's streams. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The `keys` 32-bit keys of map input `mapIndex`. */
export function mapInput(seed: number, mapIndex: number, keys: number): number[] {
  const next = mulberry32(Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(mapIndex + 1, 0x85ebca6b));
  return Array.from({ length: keys }, () => next());
}

/** Range-partitions keys into `partitions` buckets (partition j holds keys in [j, j+1) × 2^32 / partitions). */
export function rangePartition(keys: readonly number[], partitions: number): number[][] {
  const out: number[][] = Array.from({ length: partitions }, () => []);
  for (const k of keys) out[Math.floor((k * partitions) / 2 ** 32)]!.push(k);
  return out;
}

export interface Digest {
  count: number;
  first: number;
  last: number;
  /** FNV-1a over the keys in order: equal only for the same keys in the same order. */
  hash: number;
  sorted: boolean;
}

export function digest(keys: readonly number[]): Digest {
  let hash = 0x811c9dc5;
  let sorted = true;
  for (let i = 0; i < keys.length; i++) {
    if (i > 0 && keys[i - 1]! > keys[i]!) sorted = false;
    hash = Math.imul(hash ^ keys[i]!, 0x01000193) >>> 0;
  }
  return {
    count: keys.length,
    first: keys[0] ?? -1,
    last: keys[keys.length - 1] ?? -1,
    hash,
    sorted,
  };
}

/** The digests a correct sort produces: every input key, partitioned and sorted here directly. */
export function expectedDigests(
  seed: number,
  maps: number,
  keysPerMap: number,
  partitions: number,
): Digest[] {
  const all: number[][] = Array.from({ length: partitions }, () => []);
  for (let m = 0; m < maps; m++)
    rangePartition(mapInput(seed, m, keysPerMap), partitions).forEach((p, j) => all[j]!.push(...p));
  return all.map((p) => digest(p.sort((a, b) => a - b)));
}

export function sameDigests(a: readonly Digest[], b: readonly Digest[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (d, i) =>
        d.count === b[i]!.count &&
        d.hash === b[i]!.hash &&
        d.first === b[i]!.first &&
        d.last === b[i]!.last &&
        d.sorted &&
        b[i]!.sorted,
    )
  );
}
