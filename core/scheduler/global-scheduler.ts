/**
 * The global scheduler (Ray paper §4.2.2): stateless apart from a cache of the node table fed by
 * heartbeats. For a forwarded task it reads its arguments' locations and sizes from the GCS object
 * table, scores the nodes that have the resources with the placement policy, records the placement
 * in the task table, and hands the task to the chosen raylet. A task no live node can run now
 * waits (for a repair, a restart, a new node) and is placed as soon as a heartbeat shows room;
 * if after `infeasibleTimeoutUs` no live node could run it even once repaired, it fails with
 * TaskUnschedulableError.
 *
 * It may die at any moment and a fresh one start empty: its node view comes back from the GCS node
 * table and heartbeats, and the tasks it held come back because their forwarders hold them until
 * placed and forward them again (core/raylet/forwarded-tasks.ts). A forward is answered: the chosen
 * raylet tells the forwarder, or this scheduler does (`raylet.forwardAck`). A task forwarded twice
 * (a lost answer, a retry) is placed once: a duplicate of one being placed gets "held", of one
 * placed gets the placement sent again (and "held", so it does not run the task itself meanwhile).
 */
import { assignGpus, type GpuFitMode } from "../gpu-assignment.js";
import { assert, assertBound } from "../assert.js";
import { address, type Address, type Env, type Message, type Process } from "../env.js";
import { GcsClient } from "../gcs/client.js";
import type { GcsNotification, TaskUpdateResult } from "../gcs/messages.js";
import type { NodeRow, ObjectEntry } from "../gcs/tables.js";
import { fits } from "../resources.js";
import { refArgs, type TaskSpec } from "../task-spec.js";
import {
  CONTROL_MESSAGE_BYTES,
  type CoreWorkerMessage,
  type RayletMessage,
} from "../raylet/messages.js";
import type { ScheduleMessage } from "./messages.js";
import {
  makePolicy,
  pickBySpread,
  type Candidate,
  type PlacementPolicy,
  type PolicyName,
} from "./policies.js";

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

/** Placements remembered (task attempt → node), to answer a forward whose answer was lost. */
export const MAX_PLACEMENTS_REMEMBERED = 10_000_000;
/** Tasks waiting at the scheduler for a node with room. */
export const MAX_WAITING_PLACEMENTS = 1_000_000;

export class GlobalScheduler implements Process {
  private readonly gcs: GcsClient;
  private readonly policy: PlacementPolicy;
  private readonly nodes = new Map<string, NodeView>();
  private readonly infeasible: Array<{
    spec: TaskSpec;
    entries: Map<string, ObjectEntry | undefined>;
    origin: string;
    sinceUs: number;
  }> = [];
  private graceTimerSet = false;
  /**
   * Node-table shards yet to answer. Until all have, "no live node can ever run this" is not
   * known (with the GCS down, never): a task waits rather than fail as unschedulable.
   */
  private nodeShardsUnread: number;
  /** (task, attempt) keys being placed (reading argument locations, or waiting for room). */
  private readonly placing = new Set<string>();
  /** Where each (task, attempt) this scheduler placed went: the node and its incarnation then. */
  private readonly placed = new Map<string, { node: string; incarnation: number }>();
  tasksPlaced = 0;

  constructor(
    private readonly env: Env,
    private readonly config: GlobalSchedulerConfig,
  ) {
    this.gcs = new GcsClient(env, config.gcsShards);
    this.nodeShardsUnread = config.gcsShards.length;
    this.policy = makePolicy(config.policy, config.bandwidthBytesPerSec);
    this.gcs.onNotification((n) => this.onNotification(n));
    this.gcs.subscribeNodes(
      true,
      (row) => this.onNodeRow(row),
      (rows) => {
        this.nodeShardsUnread--;
        for (const row of rows) this.onNodeRow(row);
      },
    );
  }

  /**
   * A placement scores every node it knows: its cost grows with their number. A forward of a task
   * already being placed is answered from a set lookup: it scores nothing.
   */
  serviceSize(message: Message): number {
    if (message.type !== "gs.schedule") return 0;
    const spec = (message as ScheduleMessage).spec;
    return this.placing.has(`${spec.taskId}/${spec.attempt}`) ? 0 : this.nodes.size;
  }

  onMessage(_from: Address, message: Message): void {
    if (this.gcs.handle(message)) return;
    const m = message as ScheduleMessage;
    assert(m.type === "gs.schedule", `global scheduler: unexpected message ${message.type}`);
    const key = `${m.spec.taskId}/${m.spec.attempt}`;
    if (this.placing.has(key)) return this.ack(m.fromNode, m.spec, false);
    const at = this.placed.get(key);
    if (at !== undefined && at.node !== m.fromNode) {
      // Placed before; the placement or its answer was lost. Send it again, unless that node is
      // dead, or back as a new incarnation that never had it: then the task's retry is the GCS's
      // and its owner's business (the owner may have started a newer attempt there already).
      const row = this.nodes.get(at.node)?.row;
      if (row?.state === "alive" && row.incarnation === at.incarnation) {
        this.assign(at.node, m.spec, m.fromNode);
        // The forwarder hears that this scheduler lives (no fallback: the task is placed), until
        // the chosen node confirms it or is found dead.
        return this.ack(m.fromNode, m.spec, false);
      }
      return this.ack(m.fromNode, m.spec, true);
    }
    // Not placed, or bounced back by the node it was placed on (its view was stale): place it.
    this.beginPlacing(key);
    this.schedule(m.spec, m.fromNode);
  }

  private schedule(spec: TaskSpec, origin: string): void {
    const args = [...new Set(refArgs(spec))];
    const entries = new Map<string, ObjectEntry | undefined>();
    if (args.length === 0) return this.place(spec, entries, origin);
    // The placement waits for the GCS, whose queue may be long in a storm: tell the forwarder now
    // that this scheduler has the task, so it waits rather than forward it again meanwhile.
    this.ack(origin, spec, false);
    let left = args.length;
    for (const id of args) {
      this.gcs.call({ op: "object.get", objectId: id }, (entry) => {
        entries.set(id, entry as ObjectEntry | undefined);
        if (--left === 0) this.place(spec, entries, origin);
      });
    }
  }

  private place(
    spec: TaskSpec,
    entries: Map<string, ObjectEntry | undefined>,
    origin: string,
  ): void {
    const candidates: Candidate[] = [];
    const withRoom: Candidate[] = [];
    for (const [name, view] of this.nodes) {
      if (
        view.row.state !== "alive" ||
        !fits(view.row.heartbeat.resourcesTotal, spec.resources) ||
        !gpuMemoryFits(view, spec, "healthy")
      )
        continue;
      const room = hasRoom(view, spec);
      let missingBytes = 0;
      for (const entry of entries.values())
        if (entry !== undefined && !entry.locations.includes(name)) missingBytes += entry.sizeBytes;
      const candidate: Candidate = {
        node: name,
        queueLength: view.row.heartbeat.queueLength + view.placedSinceHeartbeat,
        meanTaskUs: view.row.heartbeat.meanTaskUs,
        cpus: view.row.heartbeat.resourcesTotal.CPU ?? 0,
        missingBytes,
        freeCpuFraction: freeCpuFraction(view),
      };
      candidates.push(candidate);
      if (room) withRoom.push(candidate);
    }
    // Nodes with the resources free now come first. An actor holds its resources for good, so it
    // waits here for room rather than queueing behind other actors on a full node.
    // So does a GPU-memory request: memory an actor holds may never come back on that node.
    const waitForRoom = spec.kind === "actor-creation" || (spec.gpuMemoryBytes ?? 0) > 0;
    const pool = withRoom.length > 0 ? withRoom : waitForRoom ? [] : candidates;
    if (pool.length === 0) return this.defer(spec, entries, origin);
    const rng = this.env.rng("global-scheduler");
    const chosen =
      pool[spec.kind === "actor-creation" ? pickBySpread(pool, rng) : this.policy.pick(pool, rng)]!;
    const view = this.nodes.get(chosen.node)!;
    assert(
      view.row.state === "alive",
      `global scheduler: chose ${chosen.node} for ${spec.taskId}, but it is ${view.row.state}`,
    );
    view.placedSinceHeartbeat++;
    for (const k in spec.resources) view.reserved[k] = (view.reserved[k] ?? 0) + spec.resources[k]!;
    if ((spec.gpuMemoryBytes ?? 0) > 0)
      view.reserved[RESERVED_GPU_MEMORY] =
        (view.reserved[RESERVED_GPU_MEMORY] ?? 0) + spec.gpuMemoryBytes!;
    this.tasksPlaced++;
    const incarnation = this.nodes.get(chosen.node)!.row.incarnation;
    this.gcs.call(
      {
        op: "task.update",
        taskId: spec.taskId,
        status: "scheduled",
        node: chosen.node,
        incarnation,
        attempt: spec.attempt,
      },
      (result) => this.placementRecorded(spec, entries, origin, chosen.node, incarnation, result),
    );
    const key = `${spec.taskId}/${spec.attempt}`;
    // placing → placed happens only here, once per attempt.
    assert(this.placing.has(key), `global scheduler: placed ${key}, which was not being placed`);
    this.placing.delete(key);
    assertBound(
      this.placed.size,
      MAX_PLACEMENTS_REMEMBERED,
      "global scheduler placements (MAX_PLACEMENTS_REMEMBERED)",
    );
    this.placed.set(key, { node: chosen.node, incarnation });
    this.assign(chosen.node, spec, origin);
  }

  /**
   * The task table's answer to a placement. Fenced because the node was already declared dead:
   * the row never named that node, so neither its owner (which retries what the table places on a
   * dead node, and may have handled this death already) nor the forwarder (told "placed" when it
   * forwards again) will run it again. The placement is void: this scheduler places it anew.
   */
  private placementRecorded(
    spec: TaskSpec,
    entries: Map<string, ObjectEntry | undefined>,
    origin: string,
    node: string,
    incarnation: number,
    result: unknown,
  ): void {
    const r = result as TaskUpdateResult;
    if (r.applied || r.reason !== "dead") return;
    const key = `${spec.taskId}/${spec.attempt}`;
    const at = this.placed.get(key);
    if (at === undefined || at.node !== node || at.incarnation !== incarnation) return;
    // The GCS's verdict may be ahead of this scheduler's view: do not choose that node again.
    const view = this.nodes.get(node);
    if (view !== undefined && view.row.incarnation === incarnation && view.row.state === "alive")
      this.nodes.set(node, { ...view, row: { ...view.row, state: "dead" } });
    this.beginPlacing(key);
    this.place(spec, entries, origin);
  }

  /** The task is being placed (again): whatever placement it had is void. */
  private beginPlacing(key: string): void {
    this.placed.delete(key);
    assertBound(
      this.placing.size,
      MAX_WAITING_PLACEMENTS,
      "global scheduler placements in progress (MAX_WAITING_PLACEMENTS)",
    );
    this.placing.add(key);
  }

  private assign(node: string, spec: TaskSpec, origin: string): void {
    this.env.send(
      address("raylet", node),
      { type: "raylet.assign", spec, origin } satisfies RayletMessage,
      CONTROL_MESSAGE_BYTES,
    );
  }

  /** Answers a forwarder: `placed` (stop holding it) or held here, waiting for room. */
  private ack(origin: string, spec: TaskSpec, placed: boolean): void {
    const ack: RayletMessage = {
      type: "raylet.forwardAck",
      taskId: spec.taskId,
      attempt: spec.attempt,
      placed,
    };
    this.env.send(address("raylet", origin), ack, CONTROL_MESSAGE_BYTES);
  }

  private defer(
    spec: TaskSpec,
    entries: Map<string, ObjectEntry | undefined>,
    origin: string,
  ): void {
    assert(
      this.placing.has(`${spec.taskId}/${spec.attempt}`),
      `global scheduler: deferred ${spec.taskId}/${spec.attempt}, which was not being placed`,
    );
    this.infeasible.push({ spec, entries, origin, sinceUs: this.env.nowUs() });
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
      if (expired && this.nodeShardsUnread <= 0 && !this.couldEverRun(t.spec)) {
        this.placing.delete(`${t.spec.taskId}/${t.spec.attempt}`);
        this.env.send(
          t.spec.owner,
          { type: "cw.taskUnschedulable", spec: t.spec } satisfies CoreWorkerMessage,
          CONTROL_MESSAGE_BYTES,
        );
        this.ack(t.origin, t.spec, true);
      } else this.infeasible.push(t);
    }
    if (this.infeasible.length > 0) {
      this.graceTimerSet = true;
      this.env.setTimer(
        this.config.infeasibleTimeoutUs,
        () => this.expireInfeasible(),
        "background",
      );
    }
  }

  private couldEverRun(spec: TaskSpec): boolean {
    for (const view of this.nodes.values()) {
      if (
        view.row.state === "alive" &&
        fits(view.row.heartbeat.resourcesInstalled, spec.resources) &&
        gpuMemoryFits(view, spec, "installed")
      )
        return true;
    }
    return false;
  }

  private onNotification(n: GcsNotification): void {
    if (n.table === "node") this.onNodeRow(n.row);
  }

  private onNodeRow(row: NodeRow): void {
    const view = this.nodes.get(row.node);
    if (view !== undefined && row.incarnation < view.row.incarnation) return;
    // A dead incarnation never comes back (rows read again after a tail change may be old).
    if (view?.row.state === "dead" && row.incarnation === view.row.incarnation) return;
    const next: NodeView = { row, placedSinceHeartbeat: 0, reserved: {} };
    this.nodes.set(row.node, next);
    // A heartbeat may show room (a repaired GPU, a restarted node, a finished actor): place what waits.
    if (
      row.state === "alive" &&
      this.infeasible.length > 0 &&
      this.infeasible.some((t) => hasRoom(next, t.spec))
    ) {
      const retry = this.infeasible.splice(0);
      for (const t of retry) this.place(t.spec, t.entries, t.origin);
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
  return gpuMemoryFits(view, spec, "now");
}

function freeCpuFraction(view: NodeView): number {
  const total = view.row.heartbeat.resourcesTotal.CPU ?? 0;
  if (total <= 0) return 0;
  return ((view.row.heartbeat.resourcesAvailable.CPU ?? 0) - (view.reserved.CPU ?? 0)) / total;
}

/** Memory placed on a node since its heartbeat; which GPU it went to is not known here. */
const RESERVED_GPU_MEMORY = "gpuMemoryBytes placed";

/** A node fits a GPU-memory request only if some assignment of its GPUs has the memory. */
function gpuMemoryFits(view: NodeView, spec: TaskSpec, mode: GpuFitMode): boolean {
  const bytes = spec.gpuMemoryBytes ?? 0;
  if (bytes === 0) return true;
  let gpus = view.row.heartbeat.gpus;
  if (gpus === undefined) return false;
  const placedBytes = view.reserved[RESERVED_GPU_MEMORY] ?? 0;
  // Conservative: what was placed since the heartbeat may have gone to any of its GPUs.
  if (mode === "now" && placedBytes > 0)
    gpus = gpus.map((g) => ({ ...g, freeMemoryBytes: g.freeMemoryBytes - placedBytes }));
  return assignGpus(gpus, spec.resources.GPU ?? 0, bytes, mode) !== undefined;
}
