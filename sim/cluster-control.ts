/**
 * What the fault injector (sim/faults.ts) and the invariant checker (sim/invariants.ts) may touch
 * of a running cluster: node lifecycles, the world's nodes, links, clock, seeded streams and trace,
 * the GCS's replicas. They get this, not the Simulation facade that builds them, so neither depends
 * on it (no faults ↔ simulation ↔ invariants cycle) and what they can reach is written down here.
 */
import type { NodeRow } from "../core/gcs/tables.js";
import type { Raylet } from "../core/raylet/raylet.js";
import type { NodeConfig, ResolvedConfig, ResolvedNode } from "./config.js";
import type { GcsService } from "./gcs-service.js";
import type { World } from "./world.js";

/** The parts of the world that faults and invariants use. */
export type ClusterWorld = Pick<
  World,
  | "kernel"
  | "random"
  | "recorder"
  | "nodes"
  | "node"
  | "isAlive"
  | "linkFilters"
  | "messageFaults"
  | "onExecutionStart"
  | "inject"
  | "failGpu"
  | "repairGpu"
  | "holdGpuMemory"
  | "failExecution"
>;

export interface ClusterControl {
  readonly config: ResolvedConfig;
  readonly world: ClusterWorld;
  readonly gcs: GcsService;
  /** The live raylets by node name. */
  readonly raylets: ReadonlyMap<string, Raylet>;
  readonly driverNode: string;
  readonly nowMs: number;
  /** Kills every process of a node (no-op if it is dead already). */
  killNode(name: string): void;
  /** Brings a dead node back as its next incarnation (no-op if it is alive). */
  restartNode(name: string): void;
  addNode(config: NodeConfig): void;
  nodeSpec(name: string): ResolvedNode | undefined;
  /** The configured and added nodes' names (not the GCS and scheduler hosts). */
  userNodes(): string[];
  /** Crashes the global scheduler's host (no-op if it is dead already). */
  killScheduler(): void;
  /** Starts a fresh global scheduler on its host (no-op if it is alive). */
  restartScheduler(): void;
  /** The GCS's current row for a node, from whichever shard holds it. */
  nodeRow(name: string): NodeRow | undefined;
}
