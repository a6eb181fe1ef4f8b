/**
 * Run and sweep ids are derived from what was run, never from the clock, so running the same
 * thing again overwrites the same folder, shards of one sweep on different machines agree on
 * where they belong, and the report lists each distinct run once.
 */
import { createHash } from "node:crypto";
import type { ParamValue, Size } from "../scenario.js";

/** JSON with object keys sorted, so equal values always serialise equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  });
}

export function shortHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, 8);
}

/** `quick-s1`, or `quick-s1-3fa9c2d1` when parameters differ from the size defaults. */
export function runId(
  size: Size,
  seed: number,
  nonDefaults: Readonly<Record<string, ParamValue>>,
): string {
  const base = `${size}-s${seed}`;
  return Object.keys(nonDefaults).length === 0 ? base : `${base}-${shortHash(nonDefaults)}`;
}

/** `sweep-quick-s1-5-<hash of grid, seeds and settings>`. */
export function sweepId(size: Size, seeds: readonly number[], identity: unknown): string {
  const first = seeds[0] ?? 0;
  const last = seeds[seeds.length - 1] ?? 0;
  return `sweep-${size}-s${first}-${last}-${shortHash(identity)}`;
}
