/**
 * One GCS shard's state machine: its slice of every table plus pub/sub subscriptions, and a pure
 * `apply(op)` that returns the reply and the notifications to publish. Replication (chain) and
 * persistence (flushing) wrap this; they never reach into the maps directly, so every replica that
 * applies the same ops in the same order holds the same state.
 *
 * Memory is accounted in bytes per row (an estimate of Redis's footprint) so flushing can cap it.
 */
import { assert } from "../assert.js";
import type { Address } from "../env.js";
import { specSizeBytes } from "../task-spec.js";
import type { GcsNotification, GcsOp } from "./messages.js";
import type { ActorEntry, FunctionRow, NodeRow, ObjectEntry, TaskRow } from "./tables.js";

export interface ApplyResult {
  result: unknown;
  notifications: Array<[Address, GcsNotification]>;
}

const OBJECT_ROW_BYTES = 96;
const LOCATION_BYTES = 24;
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
  readonly nodeSubscribers = new Map<Address, boolean>();
  /** Estimated bytes held by the tables. */
  bytes = 0;
  /** Finished task rows in completion order: the flushing and lineage-cap candidates. */
  readonly finishedOrder: string[] = [];

  constructor(readonly shardIndex: number) {}

  apply(op: GcsOp, client: Address, nowUs: number): ApplyResult {
    const notifications: Array<[Address, GcsNotification]> = [];
    const result = this.applyOp(op, client, nowUs, notifications);
    return { result, notifications };
  }

  private applyOp(op: GcsOp, client: Address, nowUs: number, out: Array<[Address, GcsNotification]>): unknown {
    switch (op.op) {
      case "task.add": {
        const old = this.tasks.get(op.spec.taskId);
        if (old !== undefined) {
          // A resubmission (retry, reconstruction): keep the row, take the new attempt.
          old.spec = op.spec;
          old.status = "submitted";
          return undefined;
        }
        this.tasks.set(op.spec.taskId, { spec: op.spec, status: "submitted", node: "", actorSeq: -1 });
        this.bytes += specSizeBytes(op.spec);
        return undefined;
      }
      case "task.update": {
        const row = this.tasks.get(op.taskId);
        if (row === undefined || row.spec.attempt > op.attempt) return undefined; // stale update
        row.status = op.status;
        row.node = op.node;
        if (op.actorSeq !== undefined) row.actorSeq = op.actorSeq;
        if (op.status === "finished") this.finishedOrder.push(op.taskId);
        return undefined;
      }
      case "task.get":
        return this.tasks.get(op.taskId);
      case "object.add": {
        let entry = this.objects.get(op.objectId);
        if (entry === undefined) {
          entry = { objectId: op.objectId, locations: [], sizeBytes: op.sizeBytes, fromPut: op.fromPut };
          this.objects.set(op.objectId, entry);
          this.bytes += OBJECT_ROW_BYTES;
        }
        if (!entry.locations.includes(op.node)) {
          entry.locations.push(op.node);
          this.bytes += LOCATION_BYTES;
        }
        entry.sizeBytes = op.sizeBytes;
        this.publishObject(op.objectId, entry, out);
        return undefined;
      }
      case "object.remove": {
        const entry = this.objects.get(op.objectId);
        if (entry === undefined) return undefined;
        const i = entry.locations.indexOf(op.node);
        if (i < 0) return undefined;
        entry.locations.splice(i, 1);
        this.bytes -= LOCATION_BYTES;
        this.publishObject(op.objectId, entry, out);
        return undefined;
      }
      case "object.get":
        return this.objects.get(op.objectId);
      case "object.subscribe": {
        let subs = this.objectSubscribers.get(op.objectId);
        if (subs === undefined) this.objectSubscribers.set(op.objectId, (subs = new Set()));
        subs.add(client);
        return this.objects.get(op.objectId);
      }
      case "object.unsubscribe": {
        const subs = this.objectSubscribers.get(op.objectId);
        subs?.delete(client);
        if (subs !== undefined && subs.size === 0) this.objectSubscribers.delete(op.objectId);
        return undefined;
      }
      case "node.heartbeat":
        return this.applyHeartbeat(op.heartbeat, nowUs, out);
      case "node.subscribe":
        this.nodeSubscribers.set(client, op.heartbeats);
        return [...this.nodes.values()];
      case "node.list":
        return [...this.nodes.values()];
      case "actor.put": {
        if (!this.actors.has(op.entry.actorId)) this.bytes += ACTOR_ROW_BYTES;
        this.actors.set(op.entry.actorId, { ...op.entry });
        for (const sub of this.actorSubscribers.get(op.entry.actorId) ?? []) {
          out.push([sub, { table: "actor", key: op.entry.actorId, entry: { ...op.entry } }]);
        }
        return undefined;
      }
      case "actor.get":
        return this.actors.get(op.actorId);
      case "actor.subscribe": {
        let subs = this.actorSubscribers.get(op.actorId);
        if (subs === undefined) this.actorSubscribers.set(op.actorId, (subs = new Set()));
        subs.add(client);
        return this.actors.get(op.actorId);
      }
      case "function.register":
        this.functions.set(op.functionId, { functionId: op.functionId, name: op.name });
        return undefined;
    }
  }

  private applyHeartbeat(hb: NodeRow["heartbeat"], nowUs: number, out: Array<[Address, GcsNotification]>): undefined {
    const row = this.nodes.get(hb.node);
    if (row !== undefined && hb.incarnation < row.incarnation) return undefined; // a fenced-off incarnation
    if (row !== undefined && row.incarnation === hb.incarnation && row.state === "dead") return undefined;
    const joined = row === undefined || row.incarnation !== hb.incarnation;
    if (row === undefined) this.bytes += NODE_ROW_BYTES;
    const next: NodeRow = { node: hb.node, incarnation: hb.incarnation, state: "alive", lastHeartbeatUs: nowUs, heartbeat: hb };
    this.nodes.set(hb.node, next);
    for (const [sub, wantsHeartbeats] of this.nodeSubscribers) {
      if (joined || wantsHeartbeats) out.push([sub, { table: "node", key: hb.node, row: next }]);
    }
    return undefined;
  }

  /** The failure detector's verdict: the node row turns dead and every subscriber hears of it. */
  declareNodeDead(node: string, out: Array<[Address, GcsNotification]>): void {
    const row = this.nodes.get(node);
    assert(row !== undefined, `declareNodeDead: unknown node ${node}`);
    assert(row.state === "alive", `declareNodeDead: node ${node} is already dead`);
    row.state = "dead";
    for (const sub of this.nodeSubscribers.keys()) out.push([sub, { table: "node", key: node, row: { ...row } }]);
  }

  /** Drops every location on a dead node from this shard's object table, telling subscribers. */
  removeLocationsOn(node: string, out: Array<[Address, GcsNotification]>): number {
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

  private publishObject(id: string, entry: ObjectEntry, out: Array<[Address, GcsNotification]>): void {
    const subs = this.objectSubscribers.get(id);
    if (subs === undefined) return;
    for (const sub of subs) out.push([sub, { table: "object", key: id, entry: { ...entry, locations: [...entry.locations] } }]);
  }
}
