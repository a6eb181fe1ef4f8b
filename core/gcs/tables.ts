/**
 * Rows of the GCS tables (Ray paper §4.2.3): object table (locations, size), task table (the
 * lineage: spec, status, where it ran), function table, actor table and node table (resources,
 * load, heartbeats).
 */
import type { GpuState } from "../gpu-assignment.js";
import type { ActorId, ObjectId, TaskId } from "../ids.js";
import type { ResourceSet } from "../resources.js";
import type { TaskSpec } from "../task-spec.js";

export type TaskStatus = "submitted" | "scheduled" | "running" | "finished" | "failed" | "lost";

export interface TaskRow {
  spec: TaskSpec;
  status: TaskStatus;
  /** The node (and its incarnation) it was last handed to or ran on. */
  node: string;
  nodeIncarnation: number;
  /** For actor calls: the position in the actor's execution order (replay order). */
  actorSeq: number;
}

export interface ObjectEntry {
  readonly objectId: ObjectId;
  locations: string[];
  sizeBytes: number;
  /** Made by `put`: not reconstructable. */
  fromPut: boolean;
}

/**
 * "lost": the instance is gone (worker, GPU or node died, or killed without noRestart) and its
 * owner decides whether to restart it; "restarting": a new instance is being created or replayed.
 */
export type ActorState = "pending" | "alive" | "lost" | "restarting" | "dead";

export interface ActorEntry {
  readonly actorId: ActorId;
  readonly creationTaskId: TaskId;
  state: ActorState;
  node: string;
  /** How many times it was restarted (its incarnation). */
  restarts: number;
  /** Why it is dead, when it is. */
  deathCause: string;
  /** Its recovery mode, so callers know how to treat calls pending across a restart. */
  recovery?: "replay" | "restart";
}

export interface Heartbeat {
  readonly node: string;
  readonly incarnation: number;
  /** Capacity tasks can ever get now: a failed GPU and what hosted actors hold are not counted. */
  readonly resourcesTotal: ResourceSet;
  /** Installed capacity, failed parts included: what the node can provide once repaired. */
  readonly resourcesInstalled: ResourceSet;
  readonly resourcesAvailable: ResourceSet;
  /** Each GPU's memory, free memory, free share and health (absent: no GPU detail known). */
  readonly gpus?: readonly GpuState[];
  readonly queueLength: number;
  /** Exponentially averaged task execution time, µs. */
  readonly meanTaskUs: number;
  readonly objectStoreUsedBytes: number;
  /** When the node sent it. The shard head echoes an admitted heartbeat back: the node's lease. */
  readonly sentUs?: number;
}

export type NodeState = "alive" | "dead";

export interface NodeRow {
  readonly node: string;
  incarnation: number;
  state: NodeState;
  lastHeartbeatUs: number;
  heartbeat: Heartbeat;
}

export interface FunctionRow {
  readonly functionId: string;
  readonly name: string;
}
