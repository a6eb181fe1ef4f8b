/**
 * Throughput over time as a dense table, the shape `sim.metrics.throughput({ bucketMs })` returns
 * (one row per bucket, empty buckets as zeros, a count per cause), built from completion times.
 * Until the Simulation facade lands, the demo scenarios build it themselves with this.
 */
import type { Row } from "../../plots/plot-spec.js";

export const THROUGHPUT_CAUSES = ["original", "retry", "reconstruction", "replay"] as const;
export type Cause = (typeof THROUGHPUT_CAUSES)[number];

/** A bucket width from 1, 2, 5 × 10^k ms giving about `bucketsTarget` buckets over the horizon. */
export function niceBucketMs(horizonMs: number, bucketsTarget = 80): number {
  const raw = Math.max(horizonMs / bucketsTarget, 1e-3);
  const decade = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * decade >= raw) return m * decade;
  return 10 * decade;
}

/** Rows { tMs, original, retry, reconstruction, replay } covering [0, horizonMs). */
export function throughputRows(
  completions: readonly { endMs: number; cause: Cause }[],
  bucketMs: number,
  horizonMs: number,
): Row[] {
  const count = Math.max(1, Math.ceil(horizonMs / bucketMs));
  const rows = Array.from({ length: count }, (_, i) => ({
    tMs: i * bucketMs,
    original: 0,
    retry: 0,
    reconstruction: 0,
    replay: 0,
  }));
  for (const c of completions) {
    const i = Math.min(count - 1, Math.max(0, Math.floor(c.endMs / bucketMs)));
    rows[i]![c.cause]++;
  }
  return rows;
}
