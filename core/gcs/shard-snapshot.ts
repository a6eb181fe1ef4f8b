/**
 * State transfer for a joining chain replica: a copy of a shard's state that shares nothing mutable
 * with the original. Task specs, heartbeats and function rows are immutable once written, so they
 * are shared; rows the state machine mutates in place are copied. The message carrying a snapshot
 * is charged bytes in proportion to the state, so a join costs transfer time (Fig 10a).
 */
import { assert } from "../assert.js";
import { RequestDedupe } from "./request-dedupe.js";
import { IdQueue } from "./id-queue.js";
import { GcsShardState } from "./shard-state.js";

export interface ShardSnapshot {
  readonly state: GcsShardState;
  readonly dedupe: RequestDedupe;
  /** The last write the snapshot includes. */
  readonly seq: number;
  readonly sizeBytes: number;
}

/** Fixed overhead of a snapshot message, besides its rows. */
const SNAPSHOT_HEADER_BYTES = 1024;

export function takeSnapshot(
  state: GcsShardState,
  dedupe: RequestDedupe,
  seq: number,
): ShardSnapshot {
  assert(seq >= 0, `takeSnapshot: negative seq ${seq}`);
  const copy = cloneShardState(state);
  assert(copy.bytes === state.bytes, "takeSnapshot: the copy's byte count differs");
  return {
    state: copy,
    dedupe: dedupe.copy(),
    seq,
    sizeBytes: SNAPSHOT_HEADER_BYTES + state.bytes + dedupe.sizeBytes(),
  };
}

/** A snapshot is installed as a copy too: the sender keeps applying writes to its own state. */
export function installSnapshot(snapshot: ShardSnapshot): {
  state: GcsShardState;
  dedupe: RequestDedupe;
} {
  return { state: cloneShardState(snapshot.state), dedupe: snapshot.dedupe.copy() };
}

/**
 * Copies every field of the state generically, so a table added to the state machine is carried
 * by state transfer without a change here: numbers and strings as they are, Maps, Sets, arrays and
 * queues as new containers, and each row (a plain object) one level deep with its array fields
 * copied (an object's locations, an actor's call log). Deeper objects are immutable and shared.
 */
export function cloneShardState(s: GcsShardState): GcsShardState {
  const c = new GcsShardState(s.shardIndex, s.maxLineageBytes, s.trackObjectOrder);
  const from = s as unknown as Record<string, unknown>;
  const to = c as unknown as Record<string, unknown>;
  for (const key of Object.keys(from)) to[key] = copyField(key, from[key]);
  return c;
}

function copyField(key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof IdQueue) return value.copy();
  if (value instanceof Map) {
    const out = new Map();
    for (const [k, v] of value) out.set(k, copyRow(v));
    return out;
  }
  if (value instanceof Set) return new Set(value);
  if (Array.isArray(value)) return value.map(copyRow);
  assert(false, `cloneShardState: field ${key} is neither a value nor a container`);
}

function copyRow(row: unknown): unknown {
  if (row === null || typeof row !== "object") return row;
  if (row instanceof Set) return new Set(row);
  if (Array.isArray(row)) return [...(row as unknown[])];
  assert(
    Object.getPrototypeOf(row) === Object.prototype,
    "cloneShardState: a row is not a plain object",
  );
  const out: Record<string, unknown> = { ...(row as Record<string, unknown>) };
  for (const [k, v] of Object.entries(out)) if (Array.isArray(v)) out[k] = [...(v as unknown[])];
  return out;
}
