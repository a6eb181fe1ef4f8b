/**
 * Flushing, on the I/O side (issue 5 item 6; Ray paper Fig 10b): run by a shard's head. When the
 * shard's tracked memory passes `startFraction` of `flushBytes`, the oldest flushable rows (see
 * shard-flush.ts) are written to durable storage as one batch, which costs the storage's latency
 * plus the batch's bytes over its bandwidth; once the write is done, the head orders an
 * `internal.flushed` op that drops them from memory on every replica. Flushing aims at
 * `targetFraction` of the cap, so one batch buys room for many writes; starting below the cap
 * leaves room for the writes that arrive while a batch is being written, so memory stays under
 * the cap as long as finished rows make up most of it.
 *
 * Reading back: an op that needs a flushed row waits while the head reads the batch holding it
 * (paying the read), then an `internal.restore` op brings the row back before the op applies.
 */
import { assert } from "../assert.js";
import type { DurableStorage, Env } from "../env.js";
import type { GcsOp } from "./messages.js";
import {
  pickFlushBatch,
  storageKeysOf,
  taskRowBytes,
  unchangedRows,
  type FlushBatch,
  type FlushedOp,
  type RestoreOp,
} from "./shard-flush.js";
import type { GcsShardState } from "./shard-state.js";
import type { ObjectEntry, TaskRow } from "./tables.js";

export type FlushMode = "storage" | "discard";

export interface FlushOptions {
  /** The memory cap per shard in bytes (Infinity: never flush). */
  flushBytes: number;
  mode: FlushMode;
}

export const FLUSH_START_FRACTION = 0.9;
export const FLUSH_TARGET_FRACTION = 0.5;
/** Rows per batch: bounds one write and the time one pick takes. */
const FLUSH_ROWS_MAX = 50_000;

/** What a batch stores: row copies by id. */
interface StoredBatch {
  readonly tasks: ReadonlyMap<string, TaskRow>;
  readonly objects: ReadonlyMap<string, ObjectEntry>;
}

export interface FlusherHost {
  readonly env: Env;
  readonly state: GcsShardState;
  /** Orders an internal op at the head (applied here, then down the chain). */
  sequenceInternal(op: FlushedOp): void;
  /** Still the serving head: a batch finished after losing the role is left alone. */
  isServingHead(): boolean;
  sampleMemory(): void;
}

export class Flusher {
  private inFlight = false;
  batchesWritten = 0;

  constructor(
    private readonly host: FlusherHost,
    private readonly options: FlushOptions,
  ) {
    assert(options.flushBytes > 0, `flushBytes must be > 0, got ${options.flushBytes}`);
  }

  get enabled(): boolean {
    return this.options.flushBytes !== Infinity;
  }

  /** Called after each write the head orders: starts a batch when memory passed the start mark. */
  afterWrite(): void {
    if (this.inFlight || this.host.state.bytes <= this.options.flushBytes * FLUSH_START_FRACTION)
      return;
    const state = this.host.state;
    const key = `gcs/shard${state.shardIndex}/flush/${this.host.env.self}/${this.host.env.nowUs()}/${this.batchesWritten}`;
    const batch = pickFlushBatch(
      state,
      this.options.flushBytes * FLUSH_TARGET_FRACTION,
      FLUSH_ROWS_MAX,
      key,
    );
    if (batch === undefined) return;
    this.inFlight = true;
    this.host.sampleMemory();
    const discard = this.options.mode === "discard";
    // Discarded task rows are not written: only object rows go to storage in that mode.
    if (discard && batch.objects.size === 0) return this.afterWriteDone(batch, true, discard);
    let sizeBytes = batch.sizeBytes;
    if (discard) for (const row of batch.tasks.values()) sizeBytes -= taskRowBytes(row);
    const stored: StoredBatch = {
      tasks: discard ? new Map() : batch.tasks,
      objects: batch.objects,
    };
    this.host.env.storage.write(key, stored, sizeBytes, (ok) =>
      this.afterWriteDone(batch, ok, discard),
    );
  }

  private afterWriteDone(batch: FlushBatch, ok: boolean, discard: boolean): void {
    assert(this.inFlight, "flusher: a write finished with none in flight");
    this.inFlight = false;
    this.batchesWritten++;
    if (!ok || !this.host.isServingHead()) return;
    const { taskIds, objectIds } = unchangedRows(this.host.state, batch);
    if (taskIds.length + objectIds.length === 0) return;
    this.host.sequenceInternal({
      op: "internal.flushed",
      storageKey: batch.storageKey,
      taskIds,
      objectIds,
      discardTasks: discard,
    });
    this.host.sampleMemory();
    this.afterWrite();
  }
}

/** Reads the batches holding an op's flushed rows; `done` gets them as a restore op. */
export function readFlushedRows(
  storage: DurableStorage,
  state: GcsShardState,
  keys: { taskIds: string[]; objectIds: string[] },
  done: (restore: RestoreOp) => void,
): void {
  const storageKeys = storageKeysOf(state, keys);
  assert(storageKeys.length > 0, "readFlushedRows: nothing to read");
  const tasks: TaskRow[] = [];
  const objects: ObjectEntry[] = [];
  let left = storageKeys.length;
  for (const key of storageKeys) {
    storage.read(key, (found, value) => {
      assert(found, `flushed GCS batch ${key} is missing from durable storage`);
      const batch = value as StoredBatch;
      for (const id of keys.taskIds) {
        const row = batch.tasks.get(id);
        if (row !== undefined) tasks.push(row);
      }
      for (const id of keys.objectIds) {
        const entry = batch.objects.get(id);
        if (entry !== undefined) objects.push(entry);
      }
      if (--left === 0) done({ op: "internal.restore", tasks, objects });
    });
  }
}

/**
 * A read (task.get, object.get) of a flushed row answered from storage without bringing the row
 * back: the row as stored, or the one in memory if a write restored it meanwhile.
 */
export function answerFromStorage(state: GcsShardState, op: GcsOp, restore: RestoreOp): unknown {
  if (op.op === "task.get") {
    if (!state.flushedTasks.has(op.taskId)) return copyOrUndefined(state.tasks.get(op.taskId));
    const row = restore.tasks.find((r) => r.spec.taskId === op.taskId);
    return row === undefined ? undefined : { ...row };
  }
  assert(op.op === "object.get", `answerFromStorage: ${op.op} is not a read of a flushable row`);
  const flushed = state.flushedObjects.get(op.objectId);
  if (flushed === undefined) {
    const entry = state.objects.get(op.objectId);
    return entry === undefined ? undefined : { ...entry, locations: [...entry.locations] };
  }
  const entry = restore.objects.find((e) => e.objectId === op.objectId);
  if (entry === undefined) return undefined;
  return {
    ...entry,
    locations: entry.locations.filter(
      (n) => (state.deathCountOf.get(n) ?? 0) <= flushed.deathCount,
    ),
  };
}

function copyOrUndefined<T extends object>(row: T | undefined): T | undefined {
  return row === undefined ? undefined : { ...row };
}
