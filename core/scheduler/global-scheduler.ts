/**
 * The global scheduler (Ray paper §4.2.2): stateless apart from a cache of the node table fed by
 * heartbeats. For a forwarded task it reads its arguments' locations and sizes from the GCS object
 * table, scores the nodes that have the resources with the placement policy, records the placement
 * in the task table, and hands the task to the chosen raylet. A task no live node can run now
 * waits (for a repair, a restart, a new node) and is placed as soon as a heartbeat shows room;
 * if after `infeasibleTimeoutUs` no live node could run it even once repaired, it fails with
 * TaskUnschedulableError.
 */
import { assert } from "../assert.js";
import { address, type Address, type Env, type Message, type Process } from "../env.js";
import { GcsClient } from "../gcs/client.js";
import type { GcsNotification } from "../gcs/messages.js";
import type { NodeRow, ObjectEntry } from "../gcs/tables.js";
import { fits } from "../resources.js";
import { refArgs, type TaskSpec } from "../task-spec.js";
import { CONTROL_MESSAGE_BYTES, type CoreWorkerMessage, type RayletMessage } from "../raylet/messages.js";
import type { ScheduleMessage } from "./messages.js";
import { makePolicy, type Candidate, type PlacementPolicy, type PolicyName } from "./policies.js";

export interface GlobalSchedulerConfig {
  readonly gcsShards: readonly Address[];
  readonly policy: PolicyName;
  readonly bandwidthBytesPerSec: number;
  readonly infeasibleTimeoutUs: number;
}

interface NodeView {
  row: NodeRow;
  /** Tasks placed since its last heartbeat: keeps a burst from all landing on one node. */
  placedSinceHeartbeat: number;
  /** Resources those tasks take, subtracted from the heartbeat's availability. */
  reserved: Record<string, number>;
}

export class GlobalScheduler implements Process {
  private readonly gcs: GcsClient;
  private readonly policy: PlacementPolicy;
  private readonly nodes = new Map<string, NodeView>();
  private readonly infeasible: Array<{ spec: TaskSpec; entries: Map<string, ObjectEntry | undefined>; sinceUs: number }> = [];
  private graceTimerSet = false;
  tasksPlaced = 0;

  constructor(private readonly env: Env, private readonly config: GlobalSchedulerConfig) {
    this.gcs = new GcsClient(env, config.gcsShards);
    this.policy = makePolicy(config.policy, config.bandwidthBytesPerSec);
    this.gcs.onNotification((n) => this.onNotification(n));
    this.gcs.broadcast({ op: "node.subscribe", heartbeats: true }, (rows) => {
      for (const row of rows as NodeRow[]) this.onNodeRow(row);
    });
  }

  onMessage(_from: Address, message: Message): void {
    if (this.gcs.handle(message)) return;
    const m = message as ScheduleMessage;
    assert(m.type === "gs.schedule", `global scheduler: unexpected message ${message.type}`);
    this.schedule(m.spec);
  }

  private schedule(spec: TaskSpec): void {
    const args = [...new Set(refArgs(spec))];
    const entries = new Map<string, ObjectEntry | undefined>();
    if (args.length === 0) return this.place(spec, entries);
    let left = args.length;
    for (const id of args) {
      this.gcs.call({ op: "object.get", objectId: id }, (entry) => {
        entries.set(id, entry as ObjectEntry | undefined);
        if (--left === 0) this.place(spec, entries);
      });
    }
  }

  private place(spec: TaskSpec, entries: Map<string, ObjectEntry | undefined>): void {
    const candidates: Candidate[] = [];
    const withRoom: Candidate[] = [];
    for (const [name, view] of this.nodes) {
      if (view.row.state !== "alive" || !fits(view.row.heartbeat.resourcesTotal, spec.resources)) continue;
      const room = hasRoom(view, spec);
      let missingBytes = 0;
      for (const entry of entries.values()) if (entry !== undefined && !entry.locations.includes(name)) missingBytes += entry.sizeBytes;
      const candidate: Candidate = {
        node: name,
        queueLength: view.row.heartbeat.queueLength + view.placedSinceHeartbeat,
        meanTaskUs: view.row.heartbeat.meanTaskUs,
        cpus: view.row.heartbeat.resourcesTotal.CPU ?? 0,
        missingBytes,
      };
      candidates.push(candidate);
      if (room) withRoom.push(candidate);
    }
    // Nodes with the resources free now come first. An actor holds its resources for good, so it
    // waits here for room rather than queueing behind other actors on a full node.
    const pool = withRoom.length > 0 ? withRoom : spec.kind === "actor-creation" ? [] : candidates;
    if (pool.length === 0) return this.defer(spec, entries);
    const chosen = pool[this.policy.pick(pool, this.env.rng("global-scheduler"))]!;
    const view = this.nodes.get(chosen.node)!;
    view.placedSinceHeartbeat++;
    for (const k in spec.resources) view.reserved[k] = (view.reserved[k] ?? 0) + spec.resources[k]!;
    this.tasksPlaced++;
    const incarnation = this.nodes.get(chosen.node)!.row.incarnation;
    this.gcs.call({ op: "task.update", taskId: spec.taskId, status: "scheduled", node: chosen.node, incarnation, attempt: spec.attempt });
    this.env.send(address("raylet", chosen.node), { type: "raylet.assign", spec } satisfies RayletMessage, CONTROL_MESSAGE_BYTES);
  }

  private defer(spec: TaskSpec, entries: Map<string, ObjectEntry | undefined>): void {
    this.infeasible.push({ spec, entries, sinceUs: this.env.nowUs() });
    if (this.graceTimerSet) return;
    this.graceTimerSet = true;
    this.env.setTimer(this.config.infeasibleTimeoutUs, () => this.expireInfeasible(), "background");
  }

  /** Fails the tasks that waited their time and that no live node could run even once repaired. */
  private expireInfeasible(): void {
    this.graceTimerSet = false;
    const now = this.env.nowUs();
    const waiting = this.infeasible.splice(0);
    for (const t of waiting) {
      const expired = now - t.sinceUs >= this.config.infeasibleTimeoutUs;
      if (expired && !this.couldEverRun(t.spec)) {
        this.env.send(t.spec.owner, { type: "cw.taskUnschedulable", spec: t.spec } satisfies CoreWorkerMessage, CONTROL_MESSAGE_BYTES);
      } else this.infeasible.push(t);
    }
    if (this.infeasible.length > 0) {
      this.graceTimerSet = true;
      this.env.setTimer(this.config.infeasibleTimeoutUs, () => this.expireInfeasible(), "background");
    }
  }

  private couldEverRun(spec: TaskSpec): boolean {
    for (const view of this.nodes.values()) {
      if (view.row.state === "alive" && fits(view.row.heartbeat.resourcesInstalled, spec.resources)) return true;
    }
    return false;
  }

  private onNotification(n: GcsNotification): void {
    if (n.table === "node") this.onNodeRow(n.row);
  }

  private onNodeRow(row: NodeRow): void {
    const view = this.nodes.get(row.node);
    if (view !== undefined && row.incarnation < view.row.incarnation) return;
    const next: NodeView = { row, placedSinceHeartbeat: 0, reserved: {} };
    this.nodes.set(row.node, next);
    // A heartbeat may show room (a repaired GPU, a restarted node, a finished actor): place what waits.
    if (row.state === "alive" && this.infeasible.length > 0 && this.infeasible.some((t) => hasRoom(next, t.spec))) {
      const retry = this.infeasible.splice(0);
      for (const t of retry) this.place(t.spec, t.entries);
    }
  }
}

/** Does the node's last reported availability, minus what was placed there since, fit the task? */
function hasRoom(view: NodeView, spec: TaskSpec): boolean {
  const available = view.row.heartbeat.resourcesAvailable;
  for (const k in spec.resources) {
    const need = spec.resources[k]!;
    if (need > 0 && (available[k] ?? 0) - (view.reserved[k] ?? 0) + 1e-9 < need) return false;
  }
  return true;
}
