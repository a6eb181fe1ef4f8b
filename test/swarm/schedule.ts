/**
 * A swarm seed's fault schedule, swarm-testing style (Groce et al., "Swarm Testing", ISSTA 2012):
 * the seed first draws which fault kinds this run uses and how likely each is, then the faults.
 * Every kind of `sim.faults` is in the pool. Each fault is kept *recoverable* for the workload
 * (see workload.ts): a permanent loss (a node kill without restart, a GPU never repaired) only
 * when what is left can still run every demand; GCS replica kills on a shard spaced so a
 * replacement has joined before the next (see gcsConflict).
 *
 * `describe` prints a fault as the `sim.faults` call that makes it, for replay lines.
 */
import type { Simulation, ObjectRef } from "../../sim/index.js";
import { Draw } from "./draw.js";
import { demands, HEAD, VICTIM, type SwarmNode, type Workload } from "./workload.js";

export const FAULT_KINDS = [
  "killNode",
  "addNode",
  "crashWorkers",
  "failGpu",
  "killGcsReplica",
  "partition",
  "dropMessages",
  "evict",
  "random",
  "killScheduler",
  "killGcsMaster",
  "duplicateMessages",
  "delayMessages",
  "slowNode",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

type MessageFault = {
  to?: string;
  from?: string;
  probability: number;
  atMs: number;
  durationMs: number;
};

export type FaultSpec =
  | { kind: "killNode"; node: string; atMs: number; restartAfterMs?: number }
  | { kind: "addNode"; node: SwarmNode; atMs: number }
  | { kind: "crashWorkers"; task: string; times: number; atMs: number }
  | { kind: "failGpu"; node: string; index: number; atMs: number; repairAfterMs?: number }
  | { kind: "killGcsReplica"; shard: number; replica: number; atMs: number }
  | { kind: "partition"; a: string[]; b: string[]; atMs: number; healAfterMs: number }
  | ({ kind: "dropMessages" } & MessageFault)
  | ({ kind: "duplicateMessages" } & MessageFault)
  | ({ kind: "delayMessages"; extraMs: number } & MessageFault)
  | { kind: "evict"; task: number; atMs: number }
  | { kind: "random"; nodeMtbfMs: number; repairMs: number; untilMs: number; nodes: string[] }
  | { kind: "killScheduler"; atMs: number; restartAfterMs: number }
  | { kind: "killGcsMaster"; atMs: number; restartAfterMs: number }
  | { kind: "slowNode"; node: string; factor: number; atMs: number; durationMs: number };

const HORIZON_MS = 400;
/** Time a fresh GCS replica gets to join its chain before the next kill on that shard. */
const GCS_REJOIN_MS = 300;

export function drawSchedule(w: Workload): FaultSpec[] {
  const drawer = new FaultDrawer(w);
  const d = drawer.d;
  // Swarm testing: which kinds this seed uses, and how often, is itself drawn.
  const weights = FAULT_KINDS.map((k) =>
    d.chance(0.6) && drawer.possible(k) ? 0.1 + d.float() : 0,
  );
  const total = weights.reduce((a, b) => a + b, 0);
  const count = total === 0 ? 0 : d.int(1, 7);
  const out: FaultSpec[] = [];
  for (let i = 0; i < count; i++) {
    const kept = keepRecoverable(w, out, drawer.draw(pickKind(d.float() * total, weights)));
    if (kept !== undefined) out.push(kept);
  }
  return out.sort((a, b) => startMs(a) - startMs(b));
}

/** The kind whose cumulative weight first exceeds `r` (a weighted draw). */
function pickKind(r: number, weights: readonly number[]): FaultKind {
  let kind: FaultKind = FAULT_KINDS[0];
  for (let k = 0; k < FAULT_KINDS.length; k++) {
    if (weights[k]! === 0) continue;
    kind = FAULT_KINDS[k]!;
    r -= weights[k]!;
    if (r < 0) break;
  }
  return kind;
}

/** Draws one fault of a kind, with targets from the workload's cluster. */
class FaultDrawer {
  readonly d: Draw;
  private readonly workers: string[];
  private readonly gpuNodes: SwarmNode[];
  private readonly crashTargets: string[];
  private readonly channels: Array<string | undefined>;
  private added = 0;

  constructor(private readonly w: Workload) {
    this.d = new Draw(w.seed, "faults");
    this.workers = w.nodes.filter((n) => n.name !== HEAD && n.name !== VICTIM).map((n) => n.name);
    this.gpuNodes = w.nodes.filter((n) => n.gpus > 0 && n.name !== VICTIM);
    this.crashTargets = [
      ...w.tasks.map((_, i) => `task${i}`),
      ...w.tasks.flatMap((t, i) => (t.children > 0 ? [`task${i}.child`] : [])),
      ...w.actors.map((a) => `${a.name}.${a.recovery === "restart" ? "f" : "inc"}`),
    ];
    this.channels = [undefined, undefined, "gcs", "scheduler", "raylet", "worker", ...this.workers];
  }

  possible(k: FaultKind): boolean {
    if (k === "killGcsReplica" || k === "killGcsMaster") return this.w.gcs.replicas >= 2;
    if (k === "failGpu") return this.gpuNodes.length > 0;
    if (k === "evict") return this.w.tasks.length > 0;
    return true;
  }

  private at(): number {
    return this.d.int(0, HORIZON_MS);
  }

  private message(): MessageFault {
    const d = this.d;
    const to = d.pick(this.channels);
    const from = d.chance(0.3) ? d.pick(this.channels) : undefined;
    return {
      ...(to === undefined ? {} : { to }),
      ...(from === undefined ? {} : { from }),
      probability: Math.round(d.float() * 30) / 100,
      atMs: this.at(),
      durationMs: d.int(10, 500),
    };
  }

  draw(kind: FaultKind): FaultSpec {
    const d = this.d;
    switch (kind) {
      case "killNode":
        return {
          kind,
          node: d.pick(this.workers),
          atMs: this.at(),
          ...(d.chance(0.7) ? { restartAfterMs: d.int(0, 1000) } : {}),
        };
      case "addNode":
        return {
          kind,
          node: {
            name: `x${++this.added}`,
            cpus: d.int(1, 3),
            gpus: d.int(0, 1),
            resources: d.chance(0.5) ? { acc: 1, actor: 2 } : { actor: 2 },
          },
          atMs: this.at(),
        };
      case "crashWorkers":
        return { kind, task: d.pick(this.crashTargets), times: d.int(1, 3), atMs: this.at() };
      case "failGpu": {
        const node = d.pick(this.gpuNodes);
        return {
          kind,
          node: node.name,
          index: d.int(0, node.gpus - 1),
          atMs: this.at(),
          ...(d.chance(0.8) ? { repairAfterMs: d.int(0, 1000) } : {}),
        };
      }
      default:
        return this.drawControlFault(kind);
    }
  }

  /** Faults of the control plane, channels, partitions, random kills, stragglers, evictions. */
  private drawControlFault(kind: FaultKind): FaultSpec {
    const d = this.d;
    switch (kind) {
      case "killGcsReplica":
        return {
          kind,
          shard: d.int(0, this.w.gcs.shards - 1),
          replica: d.int(0, this.w.gcs.replicas - 1),
          atMs: this.at(),
        };
      case "partition": {
        const a = d.properSubset(this.workers);
        return {
          kind,
          a,
          b: [HEAD, ...this.workers.filter((n) => !a.includes(n))],
          atMs: this.at(),
          healAfterMs: d.int(10, 600),
        };
      }
      case "dropMessages":
      case "duplicateMessages":
        return { kind, ...this.message() };
      case "delayMessages":
        return { kind, ...this.message(), extraMs: d.int(1, 20) };
      case "evict":
        return { kind, task: d.int(0, this.w.tasks.length - 1), atMs: this.at() };
      case "random":
        return {
          kind,
          nodeMtbfMs: d.int(200, 3000),
          repairMs: d.int(10, 300),
          untilMs: d.int(100, 800),
          nodes: this.workers,
        };
      case "killScheduler":
      case "killGcsMaster":
        return { kind, atMs: this.at(), restartAfterMs: d.int(0, 500) };
      case "slowNode":
        return {
          kind,
          node: d.pick(this.w.nodes.filter((n) => n.name !== VICTIM)).name,
          factor: d.pick([2, 3, 5]),
          atMs: this.at(),
          durationMs: d.int(50, 1000),
        };
    }
    throw new Error(`drawControlFault: ${kind} is drawn by draw()`);
  }
}

export function startMs(f: FaultSpec): number {
  return f.kind === "random" ? 0 : f.atMs;
}

/** When the last effect of the fault is over (a restart, a repair, a heal, the end of a window). */
export function endMs(f: FaultSpec): number {
  switch (f.kind) {
    case "killNode":
      return f.atMs + (f.restartAfterMs ?? 0);
    case "failGpu":
      return f.atMs + (f.repairAfterMs ?? 0);
    case "partition":
      return f.atMs + f.healAfterMs;
    case "random":
      return f.untilMs + f.repairMs;
    case "killScheduler":
    case "killGcsMaster":
      return f.atMs + f.restartAfterMs;
    case "dropMessages":
    case "duplicateMessages":
    case "delayMessages":
    case "slowNode":
      return f.atMs + f.durationMs;
    default:
      return f.atMs;
  }
}

/** The fault if the schedule with it stays recoverable, else its temporary form (or none). */
function keepRecoverable(
  w: Workload,
  before: readonly FaultSpec[],
  f: FaultSpec,
): FaultSpec | undefined {
  if (f.kind === "killNode" && f.restartAfterMs === undefined && !covered(w, [...before, f]))
    return { ...f, restartAfterMs: 0 };
  if (f.kind === "failGpu" && f.repairAfterMs === undefined && !covered(w, [...before, f]))
    return { ...f, repairAfterMs: 0 };
  if (f.kind === "killGcsReplica" && gcsConflict(before, f)) return undefined;
  if (f.kind === "killGcsMaster") {
    const lo = f.atMs - GCS_REJOIN_MS;
    const hi = endMs(f) + GCS_REJOIN_MS;
    const inside = before.filter(
      (g) => g.kind === "killGcsReplica" && g.atMs >= lo && g.atMs <= hi,
    ) as Array<FaultSpec & { kind: "killGcsReplica" }>;
    if (new Set(inside.map((g) => g.shard)).size < inside.length) return undefined;
  }
  return f;
}

/**
 * Two kills on one shard are safe once the first's replacement has joined: spaced by
 * GCS_REJOIN_MS, and never both near one outage of the chain master (which admits joiners).
 */
function gcsConflict(
  before: readonly FaultSpec[],
  f: FaultSpec & { kind: "killGcsReplica" },
): boolean {
  const masterWindows = before.flatMap((g) =>
    g.kind === "killGcsMaster" ? [[g.atMs - GCS_REJOIN_MS, endMs(g) + GCS_REJOIN_MS] as const] : [],
  );
  const near = (a: number, b: number) =>
    masterWindows.some(([lo, hi]) => a >= lo && a <= hi && b >= lo && b <= hi);
  return before.some(
    (g) =>
      g.kind === "killGcsReplica" &&
      g.shard === f.shard &&
      (Math.abs(g.atMs - f.atMs) < GCS_REJOIN_MS || near(g.atMs, f.atMs)),
  );
}

/**
 * Whether, after every permanent loss in `faults`, each demand of the workload still fits some
 * node that stays (or is added), and the free actors still find homes.
 */
export function covered(w: Workload, faults: readonly FaultSpec[]): boolean {
  const dead = new Set(
    faults.flatMap((f) =>
      f.kind === "killNode" && f.restartAfterMs === undefined ? [f.node] : [],
    ),
  );
  const lostGpus = new Map<string, number>();
  for (const f of faults)
    if (f.kind === "failGpu" && f.repairAfterMs === undefined)
      lostGpus.set(f.node, (lostGpus.get(f.node) ?? 0) + 1);
  const nodes = [...w.nodes, ...faults.flatMap((f) => (f.kind === "addNode" ? [f.node] : []))]
    .filter((n) => n.name !== VICTIM && !dead.has(n.name))
    .map((n) => ({ ...n, gpus: n.gpus - Math.min(n.gpus, lostGpus.get(n.name) ?? 0) }));
  const fits = (demand: Record<string, number>) =>
    nodes.some((n) =>
      Object.entries(demand).every(
        ([r, v]) =>
          v === 0 ||
          (r === "CPU" ? n.cpus >= v : r === "GPU" ? n.gpus >= 1 : (n.resources[r] ?? 0) >= v),
      ),
    );
  if (!demands(w).every(fits)) return false;
  const freeActors = w.actors.filter((a) => !a.onHead).length;
  return nodes.reduce((s, n) => s + (n.resources.actor ?? 0), 0) >= freeActors;
}

/** Schedules every fault but evictions, which need the refs (see `applyEvictions`). */
export function applySchedule(sim: Simulation, faults: readonly FaultSpec[]): void {
  for (const f of faults) {
    switch (f.kind) {
      case "killNode":
        sim.faults.killNode(f.node, {
          atMs: f.atMs,
          ...(f.restartAfterMs === undefined ? {} : { restartAfterMs: f.restartAfterMs }),
        });
        break;
      case "addNode":
        sim.faults.addNode(nodeConfig(f.node), { atMs: f.atMs });
        break;
      case "crashWorkers":
        sim.faults.crashWorkers({ task: f.task, times: f.times, atMs: f.atMs });
        break;
      case "failGpu":
        sim.faults.failGpu(f.node, f.index, {
          atMs: f.atMs,
          ...(f.repairAfterMs === undefined ? {} : { repairAfterMs: f.repairAfterMs }),
        });
        break;
      case "killGcsReplica":
        sim.faults.killGcsReplica({ shard: f.shard, replica: f.replica }, { atMs: f.atMs });
        break;
      case "partition":
        sim.faults.partition(f.a, f.b, { atMs: f.atMs, healAfterMs: f.healAfterMs });
        break;
      case "random":
        sim.faults.random({
          nodeMtbfMs: f.nodeMtbfMs,
          repairMs: f.repairMs,
          untilMs: f.untilMs,
          nodes: f.nodes,
        });
        break;
      case "evict":
        break;
      case "slowNode":
        sim.faults.slowNode(f.node, { factor: f.factor, atMs: f.atMs, durationMs: f.durationMs });
        break;
      case "dropMessages":
      case "duplicateMessages": {
        const { kind, ...options } = f;
        sim.faults[kind](options);
        break;
      }
      case "delayMessages": {
        const { kind, ...options } = f;
        sim.faults[kind](options);
        break;
      }
      case "killScheduler":
      case "killGcsMaster": {
        const { kind, ...options } = f;
        sim.faults[kind](options);
        break;
      }
    }
  }
}

export function applyEvictions(
  sim: Simulation,
  faults: readonly FaultSpec[],
  taskRefs: readonly ObjectRef[],
): void {
  for (const f of faults)
    if (f.kind === "evict") sim.faults.evict(taskRefs[f.task]!, { atMs: f.atMs });
}

export function nodeConfig(n: SwarmNode) {
  return {
    name: n.name,
    cpus: n.cpus,
    resources: { ...n.resources },
    objectStoreBytes: n.name === HEAD ? 1e9 : 20e6,
    gpus: Array.from({ length: n.gpus }, () => ({ model: "V100" })),
  };
}

/** A value as a TypeScript literal: `{ atMs: 5, nodes: ["w1", "w2"] }` (undefined fields left out). */
function literal(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(literal).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    const fields = Object.entries(v).filter(([, x]) => x !== undefined);
    return fields.length === 0
      ? "{}"
      : `{ ${fields.map(([k, x]) => `${/^\w+$/.test(k) ? k : JSON.stringify(k)}: ${literal(x)}`).join(", ")} }`;
  }
  return JSON.stringify(v);
}

/** The fault as the `sim.faults` call that makes it. */
export function describe(f: FaultSpec): string {
  const o = literal;
  switch (f.kind) {
    case "killNode":
      return `sim.faults.killNode(${JSON.stringify(f.node)}, ${o({ atMs: f.atMs, restartAfterMs: f.restartAfterMs })})`;
    case "addNode":
      return `sim.faults.addNode(${o(nodeConfig(f.node))}, ${o({ atMs: f.atMs })})`;
    case "failGpu":
      return `sim.faults.failGpu(${JSON.stringify(f.node)}, ${f.index}, ${o({ atMs: f.atMs, repairAfterMs: f.repairAfterMs })})`;
    case "killGcsReplica":
      return `sim.faults.killGcsReplica(${o({ shard: f.shard, replica: f.replica })}, ${o({ atMs: f.atMs })})`;
    case "partition":
      return `sim.faults.partition(${o(f.a)}, ${o(f.b)}, ${o({ atMs: f.atMs, healAfterMs: f.healAfterMs })})`;
    case "evict":
      return `sim.faults.evict(taskRefs[${f.task}], ${o({ atMs: f.atMs })})`;
    case "slowNode":
      return `sim.faults.slowNode(${JSON.stringify(f.node)}, ${o({ factor: f.factor, atMs: f.atMs, durationMs: f.durationMs })})`;
    default: {
      const { kind, ...options } = f;
      return `sim.faults.${kind}(${o(options)})`;
    }
  }
}
