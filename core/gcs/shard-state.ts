/**
 * One GCS shard's state machine: its slice of every table plus pub/sub subscriptions, and a pure
 * `apply(op)` that returns the reply and the notifications to publish. Replication (chain) and
 * persistence (flushing, shard-flush.ts) wrap this; every change is a deterministic function of the
 * op and the state, so every replica that applies the same ops in the same order holds the same
 * state.
 *
 * Memory is accounted in bytes per row (an estimate of Redis's footprint) so flushing can cap it.
 * The indexes of flushed and evicted ids are not counted: they stand for keys kept in storage.
 */
import { assert, unreachable } from "../assert.js";
import type { Address } from "../env.js";
import { hasRetriesLeft, nextAttempt, specSizeBytes, type TaskSpec } from "../task-spec.js";
import { IdQueue } from "./id-queue.js";
import type {
  ActorLog,
  GcsNotification,
  GcsOp,
  ResubmitResult,
  TaskAddResult,
  TaskUpdateResult,
} from "./messages.js";
import type { TaskId } from "../ids.js";
import type { ActorEntry, FunctionRow, NodeRow, ObjectEntry, TaskRow } from "./tables.js";

export interface ApplyResult {
  result: unknown;
  notifications: Array<[Address, GcsNotification]>;
}

export const OBJECT_ROW_BYTES = 96;
export const LOCATION_BYTES = 24;
const NODE_ROW_BYTES = 256;
const ACTOR_ROW_BYTES = 128;

export class GcsShardState {
  readonly tasks = new Map<string, TaskRow>();
  readonly objects = new Map<string, ObjectEntry>();
  readonly nodes = new Map<string, NodeRow>();
  readonly actors = new Map<string, ActorEntry>();
  readonly functions = new Map<string, FunctionRow>();
  readonly objectSubscribers = new Map<string, Set<Address>>();
  readonly actorSubscribers = new Map<string, Set<Address>>();
  /** Per actor: the task id of each executed call, by execution sequence; and the checkpoint. */
  readonly actorLogs = new Map<string, { calls: TaskId[]; checkpointSeq: number }>();
  readonly nodeSubscribers = new Map<Address, boolean>();
  /** Estimated bytes held by the tables. */
  bytes = 0;
  /** Finished task rows in completion order: the flushing and lineage-cap candidates. */
  readonly finishedOrder = new IdQueue();
  /** Object rows in creation order (kept only when flushing may drop them). */
  readonly objectOrder = new IdQueue();
  /** Task rows flushed to durable storage: id → the storage key of their batch. */
  readonly flushedTasks = new Map<string, string>();
  /** Object rows flushed to durable storage, with the death count when they left memory. */
  readonly flushedObjects = new Map<
    string,
    { readonly storageKey: string; readonly deathCount: number }
  >();
  /**
   * Node deaths seen so far, and the count at each node's latest death: a flushed object row that
   * comes back drops the locations on nodes that died while it was in storage.
   */
  deathCount = 0;
  readonly deathCountOf = new Map<string, number>();
  /** The highest incarnation of each node declared dead: its late writes are fenced off. */
  readonly deadIncarnation = new Map<string, number>();
  /** Bytes of task rows (the lineage), capped by `maxLineageBytes`. */
  lineageBytes = 0;
  lineageEvicted = 0;
  /** Task ids whose lineage was dropped under the cap (so a request says "evicted", not "unknown"). */
  readonly evictedTasks = new Set<string>();

  /** `trackObjectOrder`: keep `objectOrder`, which only flushing needs (it costs a push per object). */
  constructor(
    readonly shardIndex: number,
    readonly maxLineageBytes = Infinity,
    readonly trackObjectOrder = false,
  ) {}

  isDead(node: string, incarnation: number): boolean {
    return (this.deadIncarnation.get(node) ?? -1) >= incarnation;
  }

  /** Records a verdict (also when it comes from a peer shard). */
  markDead(node: string, incarnation: number): void {
    if ((this.deadIncarnation.get(node) ?? -1) < incarnation)
      this.deadIncarnation.set(node, incarnation);
  }

  apply(op: GcsOp, client: Address, nowUs: number): ApplyResult {
    const notifications: Array<[Address, GcsNotification]> = [];
    // Replies leave the shard as copies: a reader must never see a row change under it.
    const result = copyResult(this.applyOp(op, client, nowUs, notifications));
    return { result, notifications };
  }

  private applyOp(
    op: GcsOp,
    client: Address,
    nowUs: number,
    out: Array<[Address, GcsNotification]>,
  ): unknown {
    switch (op.op) {
      case "task.add":
        return this.addTask(op.spec);
      case "task.update":
        return this.updateTask(op);
      case "task.resubmit":
        return this.resubmit(op, nowUs);
      case "task.get":
        return this.tasks.get(op.taskId);
      case "object.add":
        return this.addObjectLocation(op, out);
      case "object.remove":
        return this.removeObjectLocation(op, out);
      case "object.get":
        return this.objects.get(op.objectId);
      case "object.subscribe":
        return this.subscribeObject(op.objectId, client);
      case "object.unsubscribe":
        return this.unsubscribeObject(op.objectId, client);
      case "node.heartbeat":
        return this.applyHeartbeat(op.heartbeat, nowUs, out);
      case "node.subscribe":
        this.nodeSubscribers.set(client, op.heartbeats);
        return this.nodeRowsCopy();
      case "node.list":
        return this.nodeRowsCopy();
      case "actor.put":
        return this.putActor(op.entry, out);
      case "actor.get":
        return this.actors.get(op.actorId);
      case "actor.logCall":
        return this.logActorCall(op);
      case "actor.checkpoint": {
        const log = this.actorLog(op.actorId);
        log.checkpointSeq = Math.max(log.checkpointSeq, op.seq);
        return undefined;
      }
      case "actor.getLog":
        return this.actorLogTail(op.actorId);
      case "actor.subscribe":
        return this.subscribeActor(op.actorId, client);
      case "function.register":
        this.functions.set(op.functionId, { functionId: op.functionId, name: op.name });
        return undefined;
      default:
        return unreachable(op, "GCS op");
    }
  }

  private addTask(spec: TaskSpec): TaskAddResult {
    const old = this.tasks.get(spec.taskId);
    if (old !== undefined && spec.attempt > old.spec.attempt) {
      // A newer attempt decided by its owner alone (an actor call retried across a restart).
      old.spec = spec;
      old.status = "submitted";
      return { added: true } satisfies TaskAddResult;
    }
    if (old !== undefined) return this.adopt(old, spec);
    if (this.evictedTasks.has(spec.taskId))
      return { added: false, row: undefined, nodeDead: false } satisfies TaskAddResult;
    this.tasks.set(spec.taskId, {
      spec,
      status: "submitted",
      node: spec.ownerNode,
      nodeIncarnation: spec.ownerIncarnation,
      actorSeq: -1,
    });
    const size = specSizeBytes(spec);
    this.bytes += size;
    this.lineageBytes += size;
    this.enforceLineageCap();
    return { added: true } satisfies TaskAddResult;
  }

  private updateTask(op: Extract<GcsOp, { op: "task.update" }>): TaskUpdateResult {
    const row = this.tasks.get(op.taskId);
    if (row === undefined)
      return notApplied(this.evictedTasks.has(op.taskId) ? "stale" : "unknown");
    if (row.spec.attempt > op.attempt) return notApplied("stale");
    if (this.isDead(op.node, op.incarnation)) return notApplied("dead"); // fenced
    const sameAttempt = row.spec.attempt === op.attempt;
    const pastScheduled = row.status !== "submitted" && row.status !== "scheduled";
    if (op.status === "scheduled" && sameAttempt && pastScheduled) return notApplied("stale");
    if (op.status === "running" && row.spec.kind === "actor-creation") {
      if (!sameAttempt) return notApplied("stale");
      const elsewhere = row.node !== op.node || row.nodeIncarnation !== op.incarnation;
      if (pastScheduled && elsewhere) return notApplied("claimed");
    }
    row.status = op.status;
    row.node = op.node;
    row.nodeIncarnation = op.incarnation;
    if (op.actorSeq !== undefined) row.actorSeq = op.actorSeq;
    if (op.status === "finished") {
      this.finishedOrder.push(op.taskId);
      this.enforceLineageCap();
    }
    return APPLIED;
  }

  private addObjectLocation(
    op: Extract<GcsOp, { op: "object.add" }>,
    out: Array<[Address, GcsNotification]>,
  ): undefined {
    if (this.isDead(op.node, op.incarnation)) return undefined; // fenced: a node declared dead
    let entry = this.objects.get(op.objectId);
    if (entry === undefined) {
      entry = {
        objectId: op.objectId,
        locations: [],
        sizeBytes: op.sizeBytes,
        fromPut: op.fromPut,
      };
      this.objects.set(op.objectId, entry);
      this.bytes += OBJECT_ROW_BYTES;
      if (this.trackObjectOrder) this.objectOrder.push(op.objectId);
    }
    if (!entry.locations.includes(op.node)) {
      entry.locations.push(op.node);
      this.bytes += LOCATION_BYTES;
    }
    entry.sizeBytes = op.sizeBytes;
    this.publishObject(op.objectId, entry, out);
    return undefined;
  }

  private removeObjectLocation(
    op: Extract<GcsOp, { op: "object.remove" }>,
    out: Array<[Address, GcsNotification]>,
  ): undefined {
    const entry = this.objects.get(op.objectId);
    if (entry === undefined) return undefined;
    const i = entry.locations.indexOf(op.node);
    if (i < 0) return undefined;
    entry.locations.splice(i, 1);
    this.bytes -= LOCATION_BYTES;
    this.publishObject(op.objectId, entry, out);
    return undefined;
  }

  /** Copies: a reply is a snapshot, and the rows here change in place (heartbeats, deaths). */
  private nodeRowsCopy(): NodeRow[] {
    return [...this.nodes.values()].map((row) => ({ ...row }));
  }

  private subscribeObject(objectId: string, client: Address): ObjectEntry | undefined {
    let subs = this.objectSubscribers.get(objectId);
    if (subs === undefined) this.objectSubscribers.set(objectId, (subs = new Set()));
    subs.add(client);
    return this.objects.get(objectId);
  }

  private unsubscribeObject(objectId: string, client: Address): undefined {
    const subs = this.objectSubscribers.get(objectId);
    subs?.delete(client);
    if (subs !== undefined && subs.size === 0) this.objectSubscribers.delete(objectId);
    return undefined;
  }

  private putActor(entry: ActorEntry, out: Array<[Address, GcsNotification]>): undefined {
    if (!this.actors.has(entry.actorId)) this.bytes += ACTOR_ROW_BYTES;
    this.actors.set(entry.actorId, { ...entry });
    for (const sub of this.actorSubscribers.get(entry.actorId) ?? []) {
      out.push([sub, { table: "actor", key: entry.actorId, entry: { ...entry } }]);
    }
    return undefined;
  }

  private logActorCall(op: Extract<GcsOp, { op: "actor.logCall" }>): undefined {
    const log = this.actorLog(op.actorId);
    // A replayed call logs the seq it had; a fresh one appends.
    if (op.seq >= log.calls.length) this.bytes += 24;
    log.calls[op.seq] = op.taskId;
    return undefined;
  }

  private actorLogTail(actorId: string): ActorLog {
    const log = this.actorLog(actorId);
    return {
      checkpointSeq: log.checkpointSeq,
      calls: log.calls.slice(log.checkpointSeq),
    } satisfies ActorLog;
  }

  private subscribeActor(actorId: string, client: Address): ActorEntry | undefined {
    let subs = this.actorSubscribers.get(actorId);
    if (subs === undefined) this.actorSubscribers.set(actorId, (subs = new Set()));
    subs.add(client);
    return this.actors.get(actorId);
  }

  private actorLog(actorId: string): { calls: TaskId[]; checkpointSeq: number } {
    let log = this.actorLogs.get(actorId);
    if (log === undefined) this.actorLogs.set(actorId, (log = { calls: [], checkpointSeq: 0 }));
    return log;
  }

  /**
   * The same task id submitted again (its parent was retried or replayed): the live row stays as it
   * is. If the row's owner was declared dead, the newcomer becomes the owner of later attempts.
   */
  private adopt(row: TaskRow, spec: TaskSpec): TaskAddResult {
    this.replaceDeadOwner(row, spec);
    return { added: false, row: { ...row }, nodeDead: this.isDead(row.node, row.nodeIncarnation) };
  }

  /** A live claimant (`spec` names it) takes over a row whose owner was declared dead. */
  private replaceDeadOwner(row: TaskRow, spec: TaskSpec): void {
    const ownerDead = this.isDead(row.spec.ownerNode, row.spec.ownerIncarnation);
    if (ownerDead && !this.isDead(spec.ownerNode, spec.ownerIncarnation)) {
      row.spec = {
        ...row.spec,
        owner: spec.owner,
        ownerNode: spec.ownerNode,
        ownerIncarnation: spec.ownerIncarnation,
      };
    }
  }

  private resubmit(op: Extract<GcsOp, { op: "task.resubmit" }>, nowUs: number): ResubmitResult {
    if (op.spec !== undefined && !this.tasks.has(op.taskId) && !this.evictedTasks.has(op.taskId)) {
      // The owner's add has not arrived yet (its retry overtook it): the retry stands for it.
      assert(
        op.spec.taskId === op.taskId && op.spec.attempt === op.expectedAttempt,
        `resubmit of ${op.taskId} attempt ${op.expectedAttempt} carries ${op.spec.taskId} attempt ${op.spec.attempt}`,
      );
      this.addTask(op.spec);
    }
    const row = this.tasks.get(op.taskId);
    if (row === undefined) return { kind: "evicted" };
    if (op.expectedAttempt >= 0 && row.spec.attempt !== op.expectedAttempt)
      return { kind: "stale", attempt: row.spec.attempt };
    const active =
      row.status === "submitted" || row.status === "scheduled" || row.status === "running";
    if (op.expectedAttempt < 0 && active && !this.isDead(row.node, row.nodeIncarnation))
      return { kind: "in-progress", attempt: row.spec.attempt };
    // An actor call's output is rebuilt by replaying its actor, which maxRestarts bounds, not this.
    if (row.spec.kind !== "actor-method" && !hasRetriesLeft(row.spec))
      return { kind: "exhausted", attempts: row.spec.attempt + 1 };
    // An adopter that watched the row while its owner lived retries it once the owner died: the
    // new attempt's reports must reach the adopter, not the dead owner (fault seed 25).
    if (op.spec !== undefined) this.replaceDeadOwner(row, op.spec);
    row.spec = nextAttempt(row.spec, op.cause, nowUs);
    row.status = "submitted";
    row.node = op.node;
    row.nodeIncarnation = op.incarnation;
    return { kind: "granted", spec: row.spec };
  }

  /** Drops the oldest finished task rows while the lineage exceeds its cap. */
  enforceLineageCap(): void {
    while (this.lineageBytes > this.maxLineageBytes && this.finishedOrder.size > 0) {
      const id = this.finishedOrder.shift()!;
      const row = this.tasks.get(id);
      if (row === undefined || row.status !== "finished") continue;
      const size = specSizeBytes(row.spec);
      this.tasks.delete(id);
      this.evictedTasks.add(id);
      this.bytes -= size;
      this.lineageBytes -= size;
      this.lineageEvicted++;
    }
  }

  private applyHeartbeat(
    hb: NodeRow["heartbeat"],
    nowUs: number,
    out: Array<[Address, GcsNotification]>,
  ): undefined {
    const row = this.nodes.get(hb.node);
    if (row !== undefined && hb.incarnation < row.incarnation) return undefined; // a fenced-off incarnation
    if (row !== undefined && row.incarnation === hb.incarnation && row.state === "dead")
      return undefined;
    const joined = row === undefined || row.incarnation !== hb.incarnation;
    if (row === undefined) this.bytes += NODE_ROW_BYTES;
    const next: NodeRow = {
      node: hb.node,
      incarnation: hb.incarnation,
      state: "alive",
      lastHeartbeatUs: nowUs,
      heartbeat: hb,
    };
    this.nodes.set(hb.node, next);
    for (const [sub, wantsHeartbeats] of this.nodeSubscribers) {
      // A copy: the row is mutated in place when the node is declared dead, and a subscriber that
      // kept this one must still see it as it was (else it would take the death as old news).
      if (joined || wantsHeartbeats)
        out.push([sub, { table: "node", key: hb.node, row: { ...next } }]);
    }
    return undefined;
  }

  /** The failure detector's verdict: the node row turns dead and every subscriber hears of it. */
  declareNodeDead(node: string, out: Array<[Address, GcsNotification]>): void {
    const row = this.nodes.get(node);
    assert(row !== undefined, `declareNodeDead: unknown node ${node}`);
    assert(row.state === "alive", `declareNodeDead: node ${node} is already dead`);
    row.state = "dead";
    this.markDead(node, row.incarnation);
    for (const sub of this.nodeSubscribers.keys())
      out.push([sub, { table: "node", key: node, row: { ...row } }]);
  }

  /** Drops every location on a dead node from this shard's object table, telling subscribers. */
  removeLocationsOn(node: string, out: Array<[Address, GcsNotification]>): number {
    this.deathCount++;
    this.deathCountOf.set(node, this.deathCount);
    let removed = 0;
    for (const [id, entry] of this.objects) {
      const i = entry.locations.indexOf(node);
      if (i < 0) continue;
      entry.locations.splice(i, 1);
      this.bytes -= LOCATION_BYTES;
      removed++;
      this.publishObject(id, entry, out);
    }
    return removed;
  }

  publishObject(id: string, entry: ObjectEntry, out: Array<[Address, GcsNotification]>): void {
    const subs = this.objectSubscribers.get(id);
    if (subs === undefined) return;
    for (const sub of subs)
      out.push([
        sub,
        { table: "object", key: id, entry: { ...entry, locations: [...entry.locations] } },
      ]);
  }
}

const APPLIED: TaskUpdateResult = { applied: true };

function notApplied(reason: "stale" | "dead" | "claimed" | "unknown"): TaskUpdateResult {
  return { applied: false, reason };
}

function copyResult(result: unknown): unknown {
  if (result === undefined || result === null || typeof result !== "object") return result;
  if (Array.isArray(result)) return result.map(copyResult);
  const row = { ...(result as Record<string, unknown>) };
  if (Array.isArray(row.locations)) row.locations = [...(row.locations as string[])];
  return row;
}
