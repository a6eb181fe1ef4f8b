/**
 * Cost profiles (DESIGN.md "Costs: the control plane is a set of queues"): how long each
 * single-threaded control process (raylet, owner = core worker incl. the driver, GCS server or
 * chain replica, chain master, global scheduler) takes to serve one message of a type, what an
 * object-store put or get costs, and what a worker pays to start or to be handed a task.
 *
 * `costs: "ray-2018"` (default) is calibrated on the Ray paper's control-plane figures; `"free"` is
 * the simulator before costs existed (every message served in zero time: pure protocol tests);
 * an object overrides single entries of "ray-2018". Keys are `<kind>/<message type>`, `<kind>/*`
 * (the kind's default) or `*\/<message type>` (any receiver), plus the named non-message costs below.
 * A value is µs, or `{ meanUs, perUnitUs?, distribution? }`: `perUnitUs` times a size the message or
 * its receiver reports (bytes of a put, nodes a placement scans); `"exponential"` draws each service
 * time from a named stream per process (`service/<address>`) — queueing validation needs it.
 */
import { ConfigError } from "../core/api/errors.js";
import type { Rng } from "../core/env.js";

export type ServiceDistribution = "fixed" | "exponential";

export interface CostEntry {
  readonly meanUs: number;
  readonly perUnitUs?: number;
  readonly distribution?: ServiceDistribution;
}

export type CostValue = number | CostEntry;
export type CostOverrides = Readonly<Record<string, CostValue>>;
export type CostsConfig = "ray-2018" | "free" | CostOverrides;

/** Control process kinds: the address prefix (`raylet@n1`) names the kind; driver and worker are owners. */
export const PROCESS_KINDS = ["raylet", "owner", "gcs", "gcsmaster", "gsched"] as const;

/** The messages each kind receives (core/**\/messages.ts), so a misspelt override key is an error. */
const RECEIVES: Record<(typeof PROCESS_KINDS)[number], readonly string[]> = {
  raylet: [
    "raylet.submit",
    "raylet.assign",
    "raylet.forwardAck",
    "raylet.actorCall",
    "raylet.killActor",
    "raylet.fetch",
    "raylet.cancelFetch",
    "raylet.put",
    "raylet.storeError",
    "raylet.blocked",
    "raylet.unblocked",
    "raylet.pull",
    "raylet.push",
    "raylet.pullFailed",
    "raylet.gpuFailed",
    "raylet.gpuRepaired",
    "raylet.objectDropped",
    "gcs.reply",
    "gcs.notify",
    "chain.config",
    "chain.notServing",
    "execution.done",
  ],
  owner: [
    "cw.fetched",
    "cw.taskDone",
    "cw.taskFailed",
    "cw.taskUnschedulable",
    "cw.actorOutputLost",
    "gcs.reply",
    "gcs.notify",
    "chain.config",
    "chain.notServing",
    "execution.done",
  ],
  gcs: [
    "gcs.request",
    "chain.write",
    "chain.ack",
    "chain.lookup",
    "chain.ping",
    "chain.config",
    "chain.join",
    "chain.joined",
    "chain.snapshotRequest",
    "chain.snapshot",
    "chain.handover",
    "chain.vouchRequest",
    "chain.vouch",
    "chain.promoted",
  ],
  gcsmaster: [
    "chain.lookup",
    "chain.pong",
    "chain.report",
    "chain.join",
    "chain.joined",
    "chain.promoted",
    "chain.vouch",
  ],
  gsched: ["gs.schedule", "gcs.reply", "gcs.notify", "chain.config", "chain.notServing"],
};

/** Costs that are not a message's service time. */
export const NAMED_COSTS = ["worker.startUs", "worker.dispatchUs", "timer.firedUs"] as const;

/**
 * Ray 2018 (Moritz et al., OSDI 2018; ../shared/research/ray-paper.md), each constant with its source.
 * Calibration (`npm run bench -- throughput`, row fig8b.calibration; test/sim/costs.test.ts): Fig 8b
 * ran 100 M empty tasks in 54 s on 100 nodes ≈ 18.5 k tasks/s per node. On the bench's Fig 8b
 * workload (a driver task per node submitting waves of 500 empty tasks), measured after the first
 * wave (which waits for one extra worker process: the driver task holds one), one 4-CPU node runs
 * 18.9 k tasks/s with these costs (+2 %; 21.2 k on a 64-vCPU node like the paper's m4.16xlarge,
 * +15 %). The raylet is the busiest process (≈ 4 messages and 47 µs per task), then the GCS shard
 * (6 requests, 30 µs), then the owner (2 messages, 15 µs). Method: the raylet's submit/assign/
 * execution-end entries were scaled (20 → 16 → 15 → 17 → 18 µs; replies and notifications 5 → 6)
 * until the 4-CPU steady rate sat within 5 % of 18.5 k.
 */
export const RAY_2018: Readonly<Record<string, CostValue>> = {
  // Raylet event loop: what an empty local task costs it (submit, the execution's end, the GCS
  // replies and notifications it handles). Calibration run, see above.
  "raylet/*": 8,
  "raylet/raylet.submit": 18,
  "raylet/raylet.assign": 18,
  "raylet/raylet.actorCall": 18,
  "raylet/execution.done": 17,
  "raylet/gcs.reply": 6,
  "raylet/gcs.notify": 6,
  // Object store puts (a client's ray.put, a pushed copy landing): Fig 9 — one client reaches
  // 18 K IOPS for small objects ≈ 56 µs per put (serialisation + IPC), and > 15 GB/s for large ones
  // (memcpy, 8 threads): 56 µs plus bytes / 15 GB/s. Simplification: Ray's store (plasma) is its
  // own single-threaded process; here its work queues in the raylet's loop.
  "raylet/raylet.put": { meanUs: 56, perUnitUs: 1e6 / 15e9 },
  // A pushed copy is written as its chunks arrive, overlapped with the (slower) network transfer:
  // only the put's overhead is left once the last byte is in.
  "raylet/raylet.push": 56,
  // The object manager answers a pull from its local store: a lookup, the transfer is the NIC's.
  "raylet/raylet.pull": 10,
  // Owner (core worker): completion notices and GCS replies, the same order as a raylet message
  // (a C++ handler behind Python's worker loop). A get of a fetched value is a store read: the
  // put's IPC without the copy (zero-copy reads), half of Fig 9's 56 µs. Estimates.
  "owner/*": 5,
  "owner/cw.taskDone": 5,
  "owner/cw.fetched": 10,
  // GCS shard (Redis, single-threaded): redis-benchmark's published figures for GET/SET without
  // pipelining are 100–200 k requests/s per server (redis.io "How fast is Redis?") ≈ 5–10 µs each;
  // Ray's client pipelines on one connection, so the low end: 5 µs.
  "gcs/*": 5,
  "gcs/gcs.request": 5,
  "gcs/chain.write": 5,
  "gcs/chain.ack": 3,
  "gcs/chain.ping": 2,
  // Chain master: a tiny Redis-backed coordinator (Fig 10a); pings and reports are cheap lookups.
  "gcsmaster/*": 5,
  // Global scheduler: a placement scans every node's load (Ray 2018's spillback scheduler):
  // 20 µs plus 0.2 µs per node. Estimate; no paper figure (its placement rate never bottlenecks Fig 8b).
  "gsched/*": 5,
  "gsched/gs.schedule": { meanUs: 20, perUnitUs: 0.2 },
  // No RPC acknowledgements: they are the transport's (core/rpc/rpc-layer.ts), taken at arrival
  // like a TCP stack's, and cost the process's loop nothing; so do copies it drops.
  // A Python worker process: interpreter plus `import ray` (numpy, pyarrow) ≈ 0.2 s. Estimate; the
  // paper gives none. Workers for a node's CPUs are started with the node (Ray prestarts them).
  "worker.startUs": 200_000,
  // Handing a task to a warm worker and its return to the store: IPC, deserialising the spec, the
  // call, a small put (Fig 9: 56 µs). Occupies the worker's slot, not the raylet. Estimate ≈ 100 µs.
  "worker.dispatchUs": 100,
  // A timer's own handling is part of what it triggers.
  "timer.firedUs": 0,
};

export interface ResolvedService {
  readonly meanUs: number;
  readonly perUnitUs: number;
  readonly distribution: ServiceDistribution;
}

export interface ResolvedCosts {
  /** "ray-2018", "free", or "ray-2018+overrides". */
  readonly name: string;
  readonly entries: ReadonlyMap<string, ResolvedService>;
  readonly free: boolean;
  named(key: (typeof NAMED_COSTS)[number]): number;
}

function fail(key: string, accepted: string, got: unknown): never {
  throw new ConfigError(`costs["${key}"] must be ${accepted}, got ${JSON.stringify(got)}`);
}

function knownKey(key: string): boolean {
  if ((NAMED_COSTS as readonly string[]).includes(key)) return true;
  const slash = key.indexOf("/");
  if (slash < 0) return false;
  const kind = key.slice(0, slash);
  const type = key.slice(slash + 1);
  if (kind === "*") return PROCESS_KINDS.some((k) => RECEIVES[k].includes(type));
  if (!(PROCESS_KINDS as readonly string[]).includes(kind)) return false;
  return type === "*" || RECEIVES[kind as (typeof PROCESS_KINDS)[number]].includes(type);
}

function entry(key: string, v: unknown): ResolvedService {
  const nonNegative = (x: unknown): x is number =>
    typeof x === "number" && Number.isFinite(x) && x >= 0;
  if (typeof v === "number") {
    if (!nonNegative(v))
      fail(key, "a number of µs >= 0 or { meanUs, perUnitUs?, distribution? }", v);
    return { meanUs: v, perUnitUs: 0, distribution: "fixed" };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v))
    fail(key, "a number of µs >= 0 or { meanUs, perUnitUs?, distribution? }", v);
  const o = v as Record<string, unknown>;
  for (const f of Object.keys(o))
    if (!["meanUs", "perUnitUs", "distribution"].includes(f))
      fail(`${key}.${f}`.replace(/"/g, ""), "one of meanUs, perUnitUs, distribution", f);
  if (!nonNegative(o.meanUs)) fail(key, "an entry whose meanUs is a number >= 0", o.meanUs);
  if (o.perUnitUs !== undefined && !nonNegative(o.perUnitUs))
    fail(key, "an entry whose perUnitUs is a number >= 0", o.perUnitUs);
  const distribution = o.distribution ?? "fixed";
  if (distribution !== "fixed" && distribution !== "exponential")
    fail(key, 'an entry whose distribution is "fixed" or "exponential"', distribution);
  return { meanUs: o.meanUs, perUnitUs: o.perUnitUs ?? 0, distribution };
}

function build(
  name: string,
  table: Readonly<Record<string, CostValue>>,
  free: boolean,
): ResolvedCosts {
  const entries = new Map<string, ResolvedService>();
  for (const [k, v] of Object.entries(table)) entries.set(k, entry(k, v));
  return {
    name,
    entries,
    free,
    named: (key) => entries.get(key)?.meanUs ?? 0,
  };
}

/**
 * Resolves the `costs` config. Unknown keys and negative values are a ConfigError naming the key.
 * `extraKinds` admits process kinds beyond Ray's (a test's own server process).
 */
export function resolveCosts(
  config: unknown = "ray-2018",
  extraKinds: readonly string[] = [],
): ResolvedCosts {
  if (config === "free") return build("free", {}, true);
  if (config === "ray-2018") return build("ray-2018", RAY_2018, false);
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new ConfigError(
      `costs must be "ray-2018", "free" or an object of overrides, got ${JSON.stringify(config)}`,
    );
  }
  const overrides = config as Record<string, unknown>;
  for (const k of Object.keys(overrides)) {
    if (k.endsWith("/rpc.ack"))
      fail(
        k,
        "left out (acknowledgements are the RPC transport's and cost a process no service)",
        overrides[k],
      );
    if (!knownKey(k) && !extraKinds.some((kind) => k.startsWith(`${kind}/`))) {
      fail(
        k,
        `a known cost key (<kind>/<message type>, <kind>/*, */<message type> with kind one of ${PROCESS_KINDS.join(", ")}; or one of ${NAMED_COSTS.join(", ")})`,
        k,
      );
    }
    entry(k, overrides[k]);
  }
  return build("ray-2018+overrides", { ...RAY_2018, ...(overrides as CostOverrides) }, false);
}

/** The cost kind of an address: its prefix, with the core workers (driver, worker) as "owner". */
export function costKind(address: string): string {
  const kind = address.slice(0, address.indexOf("@"));
  return kind === "driver" || kind === "worker" ? "owner" : kind;
}

/**
 * One process's service times, looked up by message type once and cached (the hot path pays a
 * Map.get per message). `size` is what a per-unit cost multiplies.
 */
export class ServiceTable {
  private readonly cache = new Map<string, ResolvedService | null>();
  constructor(
    private readonly costs: ResolvedCosts,
    private readonly kind: string,
    private readonly rng: () => Rng,
  ) {}

  lookup(type: string): ResolvedService | null {
    let s = this.cache.get(type);
    if (s === undefined) {
      const e = this.costs.entries;
      s = e.get(`${this.kind}/${type}`) ?? e.get(`*/${type}`) ?? e.get(`${this.kind}/*`) ?? null;
      if (s !== null && s.meanUs === 0 && s.perUnitUs === 0) s = null;
      this.cache.set(type, s);
    }
    return s;
  }

  /** Integer µs to serve one message of `type` of `size` units (0 when the profile has no cost for it). */
  serviceUs(type: string, size: number): number {
    const s = this.lookup(type);
    return s === null ? 0 : this.draw(s, size);
  }

  /** One service time of `s` for `size` units: fixed, or drawn from this process's stream. */
  draw(s: ResolvedService, size: number): number {
    const mean =
      s.distribution === "exponential" ? -Math.log(1 - this.rng().next()) * s.meanUs : s.meanUs;
    return Math.round(mean + s.perUnitUs * size);
  }
}
