/**
 * A swarm seed's workload: a small cluster and a driver program drawn from the seed — a task DAG
 * (GPUs whole and fractional, a custom resource, nested tasks, `put` arguments, a task that
 * throws), actors in both recovery modes with and without checkpoints, `wait` with timeouts and a
 * `timeoutMs: 0` polling loop — plus a few *unrecoverable constructions*, each built so that its
 * typed error follows from the workload and the schedule alone (never from the outcome).
 *
 * Where recoverability is decidable, by construction:
 * - Tasks and free actors have unlimited retries and restarts, so crashes, kills and evictions
 *   only delay them; actors whose lost outputs could not be rebuilt (checkpointed "replay",
 *   "restart") live on the driver's node, which no fault kills, and only crashes and GPU failures
 *   reach them; "restart" actors are stateless, so a restart cannot change a value.
 * - The driver's node keeps every `put` object (a large store, never killed); only the put-evict
 *   construction loses one.
 * - The victim node runs the NodeDied construction alone: nothing else may land on it (no CPU) and
 *   no random fault targets it.
 */
import { Draw } from "./draw.js";

export interface SwarmNode {
  readonly name: string;
  readonly cpus: number;
  readonly gpus: number;
  readonly resources: Readonly<Record<string, number>>;
}

export interface SwarmTask {
  /** Earlier tasks whose output this one takes (a DAG by construction). */
  readonly args: readonly number[];
  /** Indices into the workload's `puts`, passed after `args`. */
  readonly puts: readonly number[];
  readonly durationMs: number;
  readonly returnBytes: number;
  readonly gpu: 0 | 0.5 | 1;
  /** Needs the custom resource `acc`. */
  readonly acc: boolean;
  /** Children it submits from its body and waits for (nested tasks). */
  readonly children: number;
  /** The body throws: a TaskError here and at every dependent. */
  readonly throws: boolean;
}

export interface SwarmActor {
  readonly name: string;
  readonly recovery: "replay" | "restart";
  readonly checkpointInterval: number;
  /** Lives on the driver's node (see the module comment). */
  readonly onHead: boolean;
  /** Arguments of its calls, in order. */
  readonly calls: readonly number[];
  readonly methodMs: number;
  /** "restart" actors: the constructor argument. */
  readonly base: number;
}

export interface Constructions {
  /** A put object evicted `afterMs` after it is made, then read: ObjectLostError. */
  readonly putEvict?: { afterMs: number };
  /** A maxRetries-0 task on the victim node, which is killed while it runs: NodeDiedError. */
  readonly nodeDied?: true;
  /** Every execution of a head-pinned task crashes, one more time than maxRetries: WorkerCrashedError. */
  readonly budget?: { maxRetries: number };
  /** An actor with maxRestarts 0 that is killed or crashes: ActorDiedError. */
  readonly actorDied?: { how: "kill" | "crash" };
  /** A task no node can ever run: TaskUnschedulableError. */
  readonly unschedulable?: true;
  /** A get shorter than the task: GetTimeoutError, then its value. */
  readonly getTimeout?: { durationMs: number; timeoutMs: number };
  /** One GCS server, killed at 0 ms: nothing can be recorded, the run must end in DeadlockError. */
  readonly gcsDoom?: true;
}

export interface Workload {
  readonly seed: number;
  readonly nodes: readonly SwarmNode[];
  readonly gcs: { readonly shards: number; readonly replicas: number };
  readonly puts: readonly number[];
  readonly tasks: readonly SwarmTask[];
  readonly actors: readonly SwarmActor[];
  /** wait() checks: one with a timeout, then polling with timeoutMs 0 until all are ready. */
  readonly waits: { readonly numReturns: number; readonly timeoutMs: number } | undefined;
  readonly constructions: Constructions;
}

export const HEAD = "head";
export const VICTIM = "victim";
export const HEARTBEAT_MS = 20;
export const MISSED_HEARTBEATS = 5;
/** A resource only w1 has under the doomed-GCS construction (see driver.ts). */
export const DOOM_RESOURCE = "w1only";
/** Longer than any repair, restart or heal a schedule draws (so a temporary loss never times out). */
export const INFEASIBLE_TIMEOUT_MS = 3_000;

export function drawWorkload(seed: number): Workload {
  const d = new Draw(seed, "workload");
  const gcsDoom = d.chance(0.02);
  const nodes = drawNodes(d);
  const puts = Array.from({ length: d.int(0, 3) }, () => d.int(1, 999));
  const taskCount = d.int(3, 14);
  const tasks: SwarmTask[] = [];
  const throwing = d.chance(0.3) ? d.int(0, taskCount - 1) : -1;
  for (let i = 0; i < taskCount; i++) {
    const args = i === 0 ? [] : Array.from({ length: d.int(0, 3) }, () => d.int(0, i - 1));
    // Demands drawn from one node's resources, so some node of the cluster fits each task.
    const fit = d.pick(nodes);
    tasks.push({
      args: [...new Set(args)],
      puts: puts.length > 0 && d.chance(0.3) ? [d.int(0, puts.length - 1)] : [],
      durationMs: d.int(0, 50),
      returnBytes: d.pick([100, 10_000, 1_000_000, 3_000_000]),
      gpu: fit.gpus > 0 && d.chance(0.3) ? d.pick([0.5, 1] as const) : 0,
      acc: (fit.resources.acc ?? 0) > 0 && d.chance(0.3),
      children: d.chance(0.25) ? d.int(1, 2) : 0,
      throws: i === throwing,
    });
  }
  const actors: SwarmActor[] = [];
  for (let k = 0, n = d.int(0, 3); k < n; k++) {
    const recovery = d.chance(0.5) ? "replay" : "restart";
    const checkpointInterval = recovery === "replay" && d.chance(0.5) ? d.int(1, 3) : 0;
    actors.push({
      name: `Actor${k}`,
      recovery,
      checkpointInterval,
      onHead: recovery === "restart" || checkpointInterval > 0,
      calls: Array.from({ length: d.int(1, 6) }, () => d.int(1, 9)),
      methodMs: d.int(1, 20),
      base: d.int(0, 99),
    });
  }
  // No polling loop with the doomed GCS: a driver that polls forever is not a livelock.
  const waits =
    d.chance(0.5) && !gcsDoom
      ? { numReturns: d.int(1, taskCount), timeoutMs: d.pick([0, 5, 50]) }
      : undefined;
  const constructions: Constructions = gcsDoom
    ? { gcsDoom: true }
    : {
        ...(d.chance(0.25) ? { putEvict: { afterMs: d.int(0, 100) } } : {}),
        ...(d.chance(0.25) ? { nodeDied: true as const } : {}),
        ...(d.chance(0.25) ? { budget: { maxRetries: d.int(0, 2) } } : {}),
        ...(d.chance(0.2) ? { actorDied: { how: d.pick(["kill", "crash"] as const) } } : {}),
        ...(d.chance(0.1) ? { unschedulable: true as const } : {}),
        ...(d.chance(0.2)
          ? { getTimeout: { durationMs: d.int(100, 300), timeoutMs: d.int(0, 40) } }
          : {}),
      };
  if (constructions.nodeDied)
    nodes.push({ name: VICTIM, cpus: 0, gpus: 0, resources: { victim: 1 } });
  if (gcsDoom)
    nodes[1] = { ...nodes[1]!, resources: { ...nodes[1]!.resources, [DOOM_RESOURCE]: 1 } };
  const gcs = gcsDoom
    ? { shards: 1, replicas: 1 }
    : { shards: d.int(1, 2), replicas: d.pick([1, 2, 2, 3]) };
  return { seed, nodes, gcs, puts, tasks, actors, waits, constructions };
}

function drawNodes(d: Draw): SwarmNode[] {
  const nodes: SwarmNode[] = [
    { name: HEAD, cpus: d.int(1, 2), gpus: d.int(0, 1), resources: { head: 8, actor: 2 } },
  ];
  const workers = d.int(2, 4);
  for (let i = 1; i <= workers; i++) {
    nodes.push({
      name: `w${i}`,
      cpus: d.int(1, 4),
      gpus: d.pick([0, 1, 1, 2]),
      resources: d.chance(0.5) ? { acc: d.int(1, 2), actor: 2 } : { actor: 2 },
    });
  }
  return nodes;
}

/** Resource demands of everything that must find a live node for the workload to finish. */
export function demands(w: Workload): Array<Record<string, number>> {
  const out: Array<Record<string, number>> = [{ CPU: 1 }];
  for (const t of w.tasks) out.push(taskResources(t));
  for (const a of w.actors) out.push(actorResources(a));
  return out;
}

export function taskResources(t: SwarmTask): Record<string, number> {
  return { CPU: 1, ...(t.gpu > 0 ? { GPU: t.gpu } : {}), ...(t.acc ? { acc: 1 } : {}) };
}

export function actorResources(a: SwarmActor): Record<string, number> {
  return a.onHead ? { CPU: 0, head: 1 } : { CPU: 0, actor: 1 };
}

/** The value of task i given its inputs: pure and order-sensitive. */
export function taskValue(i: number, inputs: readonly number[]): number {
  let v = (i * 7919 + 13) % 1_000_003;
  for (const a of inputs) v = (v * 31 + a) % 1_000_003;
  return v;
}

export function childValue(i: number, child: number, x: number): number {
  return (x * 17 + i * 101 + child * 7) % 1_000_003;
}

/** A task's result: the value of its inputs, folded with its children's values. */
export function taskResult(i: number, t: SwarmTask, inputs: readonly number[]): number {
  const x = taskValue(i, inputs);
  let v = x;
  for (let c = 0; c < t.children; c++) v = (v * 13 + childValue(i, c, x)) % 1_000_003;
  return v;
}

export function restartActorValue(a: SwarmActor, x: number): number {
  return x * 3 + a.base;
}
