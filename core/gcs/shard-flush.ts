/**
 * Flushing, on the state side (Ray paper §4.2.3 and Fig 10b: "flushing/snapshots cap memory"): which
 * rows may leave memory, dropping them once durable storage holds them, and bringing them back.
 * The I/O and the timing live in flusher.ts; everything here is a deterministic function of the
 * state and an op, so every replica of a chain flushes and restores the same rows.
 *
 * What may be flushed: task rows of finished tasks (Ray 2018's flush_finished_tasks), and object
 * rows nobody is subscribed to (their locations stay valid in storage; a node that dies meanwhile
 * is struck from them when they come back). In "discard" mode task rows are dropped instead, like
 * lineage eviction; object rows always go to storage, since a lost location list would be a wrong
 * answer rather than a typed error.
 */
import { assert } from "../assert.js";
import type { GcsOp } from "./messages.js";
import { LOCATION_BYTES, OBJECT_ROW_BYTES, type GcsShardState } from "./shard-state.js";
import type { ObjectEntry, TaskRow } from "./tables.js";
import { specSizeBytes } from "../task-spec.js";

/** Rows written to storage under one key, as they were when picked. */
export interface FlushBatch {
  readonly storageKey: string;
  readonly tasks: ReadonlyMap<string, TaskRow>;
  readonly objects: ReadonlyMap<string, ObjectEntry>;
  readonly sizeBytes: number;
}

/** The replicated op that drops a written batch's unchanged rows from memory. */
export interface FlushedOp {
  readonly op: "internal.flushed";
  readonly storageKey: string;
  readonly taskIds: readonly string[];
  readonly objectIds: readonly string[];
  /** "discard" mode: task rows are dropped as evicted lineage, not kept in storage. */
  readonly discardTasks: boolean;
}

/** The replicated op that brings flushed rows back into memory (read from storage by the head). */
export interface RestoreOp {
  readonly op: "internal.restore";
  readonly tasks: readonly TaskRow[];
  readonly objects: readonly ObjectEntry[];
}

/** Bounds the scan of one pick, so a queue full of stale ids cannot stall the head. */
const SCAN_PER_ROW_MAX = 8;

export function taskRowBytes(row: TaskRow): number {
  return specSizeBytes(row.spec);
}

export function objectRowBytes(entry: ObjectEntry): number {
  return OBJECT_ROW_BYTES + LOCATION_BYTES * entry.locations.length;
}

/**
 * Picks the oldest flushable rows, alternating between finished tasks and unsubscribed objects,
 * until memory would fall to `targetBytes` or `rowsMax` rows are picked. Reads only.
 */
export function pickFlushBatch(
  state: GcsShardState,
  targetBytes: number,
  rowsMax: number,
  storageKey: string,
): FlushBatch | undefined {
  assert(rowsMax > 0, "pickFlushBatch: rowsMax must be > 0");
  const tasks = new Map<string, TaskRow>();
  const objects = new Map<string, ObjectEntry>();
  let freed = 0;
  let ti = 0;
  let oi = 0;
  const scanMax = rowsMax * SCAN_PER_ROW_MAX + 1024;
  const nextTask = (): boolean => {
    for (; ti < scanMax; ti++) {
      const id = state.finishedOrder.at(ti);
      if (id === undefined) return false;
      const row = state.tasks.get(id);
      if (row === undefined || row.status !== "finished" || tasks.has(id)) continue;
      tasks.set(id, { ...row });
      freed += taskRowBytes(row);
      ti++;
      return true;
    }
    return false;
  };
  const nextObject = (): boolean => {
    for (; oi < scanMax; oi++) {
      const id = state.objectOrder.at(oi);
      if (id === undefined) return false;
      const entry = state.objects.get(id);
      if (entry === undefined || state.objectSubscribers.has(id) || objects.has(id)) continue;
      objects.set(id, { ...entry, locations: [...entry.locations] });
      freed += objectRowBytes(entry);
      oi++;
      return true;
    }
    return false;
  };
  let moreTasks = true;
  let moreObjects = true;
  while (
    state.bytes - freed > targetBytes &&
    tasks.size + objects.size < rowsMax &&
    (moreTasks || moreObjects)
  ) {
    if (moreTasks) moreTasks = nextTask();
    if (moreObjects && state.bytes - freed > targetBytes) moreObjects = nextObject();
  }
  if (tasks.size + objects.size === 0) return undefined;
  return { storageKey, tasks, objects, sizeBytes: freed };
}

/** Of a batch now in storage, the rows still as written; rows changed meanwhile stay in memory. */
export function unchangedRows(
  state: GcsShardState,
  batch: FlushBatch,
): { taskIds: string[]; objectIds: string[] } {
  const taskIds: string[] = [];
  const objectIds: string[] = [];
  for (const [id, was] of batch.tasks) {
    const row = state.tasks.get(id);
    if (
      row === undefined ||
      row.status !== "finished" ||
      row.spec !== was.spec ||
      row.node !== was.node
    )
      continue;
    if (row.nodeIncarnation !== was.nodeIncarnation || row.actorSeq !== was.actorSeq) continue;
    taskIds.push(id);
  }
  for (const [id, was] of batch.objects) {
    const entry = state.objects.get(id);
    if (entry === undefined || state.objectSubscribers.has(id) || entry.sizeBytes !== was.sizeBytes)
      continue;
    if (entry.locations.join("\u0000") !== was.locations.join("\u0000")) continue;
    objectIds.push(id);
  }
  return { taskIds, objectIds };
}

export function applyFlushed(state: GcsShardState, op: FlushedOp): void {
  for (const id of op.taskIds) {
    const row = state.tasks.get(id);
    assert(
      row !== undefined && row.status === "finished",
      `flush: task row ${id} is not a finished row in memory`,
    );
    const size = taskRowBytes(row);
    state.tasks.delete(id);
    state.bytes -= size;
    state.lineageBytes -= size;
    if (op.discardTasks) {
      state.evictedTasks.add(id);
      state.lineageEvicted++;
    } else {
      state.flushedTasks.set(id, op.storageKey);
    }
  }
  for (const id of op.objectIds) {
    const entry = state.objects.get(id);
    assert(entry !== undefined, `flush: object row ${id} is not in memory`);
    assert(!state.objectSubscribers.has(id), `flush: object row ${id} has subscribers`);
    state.objects.delete(id);
    state.bytes -= objectRowBytes(entry);
    state.flushedObjects.set(id, { storageKey: op.storageKey, deathCount: state.deathCount });
  }
  assert(state.bytes >= 0, `flush: shard ${state.shardIndex} memory went negative`);
  state.finishedOrder.dropFrontWhile((id) => state.tasks.get(id)?.status !== "finished");
  state.objectOrder.dropFrontWhile((id) => !state.objects.has(id));
}

export function applyRestore(state: GcsShardState, op: RestoreOp): void {
  for (const row of op.tasks) {
    const id = row.spec.taskId;
    if (!state.flushedTasks.delete(id)) continue; // restored already by an earlier op
    assert(!state.tasks.has(id), `restore: task row ${id} is both in memory and flushed`);
    const size = taskRowBytes(row);
    state.tasks.set(id, { ...row });
    state.bytes += size;
    state.lineageBytes += size;
    if (row.status === "finished") state.finishedOrder.push(id);
  }
  for (const entry of op.objects) {
    const flushed = state.flushedObjects.get(entry.objectId);
    if (flushed === undefined) continue;
    state.flushedObjects.delete(entry.objectId);
    assert(
      !state.objects.has(entry.objectId),
      `restore: object row ${entry.objectId} is both in memory and flushed`,
    );
    // Locations on nodes that died while the row was in storage are gone.
    const locations = entry.locations.filter(
      (n) => (state.deathCountOf.get(n) ?? 0) <= flushed.deathCount,
    );
    const restored: ObjectEntry = { ...entry, locations };
    state.objects.set(entry.objectId, restored);
    state.bytes += objectRowBytes(restored);
    if (state.trackObjectOrder) state.objectOrder.push(entry.objectId);
  }
  state.enforceLineageCap();
}

/** The flushed rows an op would touch (they must come back before it applies), or undefined. */
export function flushedKeysOf(
  state: GcsShardState,
  op: GcsOp,
): { taskIds: string[]; objectIds: string[] } | undefined {
  if (state.flushedTasks.size === 0 && state.flushedObjects.size === 0) return undefined;
  switch (op.op) {
    case "task.add":
      return state.flushedTasks.has(op.spec.taskId)
        ? { taskIds: [op.spec.taskId], objectIds: [] }
        : undefined;
    case "task.update":
    case "task.resubmit":
    case "task.get":
      return state.flushedTasks.has(op.taskId)
        ? { taskIds: [op.taskId], objectIds: [] }
        : undefined;
    case "object.add":
    case "object.remove":
    case "object.get":
    case "object.subscribe":
      return state.flushedObjects.has(op.objectId)
        ? { taskIds: [], objectIds: [op.objectId] }
        : undefined;
    default:
      return undefined;
  }
}

/** Storage keys holding the given flushed rows. */
export function storageKeysOf(
  state: GcsShardState,
  keys: { taskIds: readonly string[]; objectIds: readonly string[] },
): string[] {
  const out = new Set<string>();
  for (const id of keys.taskIds) {
    const key = state.flushedTasks.get(id);
    if (key !== undefined) out.add(key);
  }
  for (const id of keys.objectIds) {
    const f = state.flushedObjects.get(id);
    if (f !== undefined) out.add(f.storageKey);
  }
  return [...out];
}
