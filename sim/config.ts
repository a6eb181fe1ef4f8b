/**
 * The Simulation's configuration: defaults for everything, and validation that names the field and
 * what is accepted (ConfigError). Units are the public API's: milliseconds and bytes; conversion to
 * the core's integer microseconds happens here, through core/units.ts (the one module that
 * multiplies by 1000).
 */
import { ConfigError } from "../core/api/errors.js";
import type { GpuSpec } from "../core/raylet/resource-pool.js";
import { POLICY_NAMES, type PolicyName } from "../core/scheduler/policies.js";
import { msToUs } from "../core/units.js";
import { resolveCosts, type CostsConfig, type ResolvedCosts } from "./costs.js";

export interface GpuConfig {
  model?: string;
  memoryBytes?: number;
  /** Relative speed: a GPU task's duration is divided by it. */
  speedFactor?: number;
}

export interface NodeConfig {
  name: string;
  cpus?: number;
  resources?: Record<string, number>;
  objectStoreBytes?: number;
  gpus?: GpuConfig[];
}

/** The GCS: sharding, chain replication (replicas > 1) and flushing. */
export interface GcsConfig {
  shards?: number;
  /** Replicas per shard (a chain); 1 = a single server per shard. */
  replicas?: number;
  maxLineageBytes?: number;
  /** Memory cap per shard: past it, finished task rows and idle object rows go to storage. */
  flushBytes?: number;
  /** "storage": flushed task rows can be read back; "discard": they are gone, like evicted lineage. */
  flushMode?: "storage" | "discard";
  /** Chain master's ping interval; a replica silent for `missedPings` of them is replaced. */
  pingMs?: number;
  missedPings?: number;
  /** How long a client waits for a chained shard's reply before asking again. */
  requestTimeoutMs?: number;
  /** How often each shard's memory is sampled into the trace ("gcs.memory"). */
  memorySampleMs?: number;
}

export interface SimulationConfig {
  seed?: number | string;
  nodes?: NodeConfig[];
  network?: { latencyMs?: number; localLatencyMs?: number; bandwidthBytesPerSec?: number };
  gcs?: GcsConfig;
  failureDetection?: { heartbeatMs?: number; missedHeartbeats?: number };
  scheduler?: { policy?: PolicyName; queueThreshold?: number; infeasibleTimeoutMs?: number };
  storage?: { latencyMs?: number; bandwidthBytesPerSec?: number };
  defaults?: { maxRetries?: number; returnBytes?: number };
  /** Check invariants after every event (on in tests; costs time). */
  checkInvariants?: boolean;
  /** Keep every trace event for `metrics.events()` (off: only counts and the fingerprint). */
  keepEvents?: boolean;
  /** How long only heartbeats may run while the driver waits before the run is a deadlock. */
  idleLimitMs?: number;
  /**
   * How long (virtual) work may run while no task attempt starts or ends and the driver's awaited
   * set does not change before the run is a livelock (DeadlockError); a task still executing counts
   * as progress. Default 60 000 ms.
   */
  progressLimitMs?: number;
  /**
   * Control-plane service times (sim/costs.ts): "ray-2018" (default, calibrated on the Ray paper),
   * "free" (every message handled instantly: pure protocol tests), or overrides of single entries.
   */
  costs?: CostsConfig;
}

export interface ResolvedNode {
  name: string;
  cpus: number;
  resources: Record<string, number>;
  objectStoreBytes: number;
  gpus: GpuSpec[];
}

export interface ResolvedConfig {
  seed: number | string;
  nodes: ResolvedNode[];
  network: { latencyUs: number; localLatencyUs: number; bandwidthBytesPerSec: number };
  gcs: {
    shards: number;
    replicas: number;
    maxLineageBytes: number;
    flushBytes: number;
    flushMode: "storage" | "discard";
    pingUs: number;
    missedPings: number;
    requestTimeoutUs: number;
    memorySampleUs: number;
  };
  failureDetection: { heartbeatUs: number; missedHeartbeats: number };
  scheduler: { policy: PolicyName; queueThreshold: number; infeasibleTimeoutUs: number };
  storage: { latencyUs: number; bandwidthBytesPerSec: number };
  defaults: { maxRetries: number; returnBytes: number };
  checkInvariants: boolean;
  keepEvents: boolean;
  idleLimitUs: number;
  progressLimitUs: number;
  costs: ResolvedCosts;
}

const GB = 1e9;

/** Defaults. Network: the Ray paper's AWS testbed links (25 Gbps ≈ 3.125 GB/s). Heartbeats: the
 * raylet-era 100 ms interval; Ray declared a node dead after 300 missed (30 s); we default to 10
 * (1 s) so recovery windows stay short, and scenarios set Ray's value where they cite it. */
export const DEFAULTS = {
  node: { cpus: 4, objectStoreBytes: 2 * GB },
  gpu: { model: "V100", memoryBytes: 16 * GB, speedFactor: 1 },
  network: { latencyMs: 0.1, localLatencyMs: 0.01, bandwidthBytesPerSec: 3.125e9 },
  // Chain failover: a replica is suspected after 3 missed 2 ms pings and removed once its lease has
  // run out, ~10 ms after a crash; the paper's Fig 10a stall stays under 30 ms.
  gcs: {
    shards: 1,
    replicas: 1,
    maxLineageBytes: Infinity,
    flushBytes: Infinity,
    flushMode: "storage" as const,
    pingMs: 2,
    missedPings: 3,
    requestTimeoutMs: 20,
    memorySampleMs: 100,
  },
  failureDetection: { heartbeatMs: 100, missedHeartbeats: 10 },
  scheduler: {
    policy: "locality-aware" as PolicyName,
    queueThreshold: 8,
    infeasibleTimeoutMs: 10_000,
  },
  storage: { latencyMs: 1, bandwidthBytesPerSec: 1e9 },
  defaults: { maxRetries: 3, returnBytes: 1_000 },
  progressLimitMs: 60_000,
};

function fail(field: string, accepted: string, got: unknown): never {
  throw new ConfigError(`${field} must be ${accepted}, got ${JSON.stringify(got)}`);
}

function num(
  field: string,
  v: unknown,
  fallback: number,
  min: number,
  integer = false,
  allowInfinity = false,
): number {
  if (v === undefined) return fallback;
  const ok =
    typeof v === "number" &&
    !Number.isNaN(v) &&
    (allowInfinity || Number.isFinite(v)) &&
    v >= min &&
    (!integer || Number.isInteger(v) || v === Infinity);
  if (!ok) fail(field, `${integer ? "an integer" : "a number"} >= ${min}`, v);
  return v;
}

function positive(field: string, v: number, raw: unknown): number {
  if (!(v > 0)) fail(field, "a number > 0", raw);
  return v;
}

function keys(field: string, o: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (o === undefined) return {};
  if (typeof o !== "object" || o === null || Array.isArray(o)) fail(field, "an object", o);
  for (const k of Object.keys(o))
    if (!allowed.includes(k))
      fail(`${field}.${k}`, `one of the known fields (${allowed.join(", ")})`, k);
  return o as Record<string, unknown>;
}

export function resolveNode(n: unknown, field: string): ResolvedNode {
  const o = keys(field, n, ["name", "cpus", "resources", "objectStoreBytes", "gpus"]);
  if (typeof o.name !== "string" || !/^[A-Za-z0-9_.-]+$/.test(o.name))
    fail(`${field}.name`, "a name of letters, digits, '_', '.' or '-'", o.name);
  const resources: Record<string, number> = {};
  for (const [k, v] of Object.entries(
    keys(`${field}.resources`, o.resources, Object.keys((o.resources as object) ?? {})),
  )) {
    if (k === "CPU" || k === "GPU")
      fail(
        `${field}.resources.${k}`,
        "a custom resource (set CPUs with cpus and GPUs with gpus)",
        k,
      );
    resources[k] = num(`${field}.resources.${k}`, v, 0, 0);
  }
  const gpusIn = o.gpus ?? [];
  if (!Array.isArray(gpusIn))
    fail(`${field}.gpus`, "an array of { model, memoryBytes, speedFactor }", gpusIn);
  const gpus = gpusIn.map((g, i) => {
    const go = keys(`${field}.gpus[${i}]`, g, ["model", "memoryBytes", "speedFactor"]);
    if (go.model !== undefined && typeof go.model !== "string")
      fail(`${field}.gpus[${i}].model`, "a string", go.model);
    const speedFactor = num(
      `${field}.gpus[${i}].speedFactor`,
      go.speedFactor,
      DEFAULTS.gpu.speedFactor,
      0,
    );
    if (speedFactor === 0) fail(`${field}.gpus[${i}].speedFactor`, "a number > 0", go.speedFactor);
    return {
      model: go.model ?? DEFAULTS.gpu.model,
      memoryBytes: num(
        `${field}.gpus[${i}].memoryBytes`,
        go.memoryBytes,
        DEFAULTS.gpu.memoryBytes,
        0,
      ),
      speedFactor,
    };
  });
  return {
    name: o.name,
    cpus: num(`${field}.cpus`, o.cpus, DEFAULTS.node.cpus, 0),
    resources,
    objectStoreBytes: num(
      `${field}.objectStoreBytes`,
      o.objectStoreBytes,
      DEFAULTS.node.objectStoreBytes,
      0,
    ),
    gpus,
  };
}

export function resolveConfig(config: SimulationConfig = {}): ResolvedConfig {
  const c = keys("config", config, [
    "seed",
    "nodes",
    "network",
    "gcs",
    "failureDetection",
    "scheduler",
    "storage",
    "defaults",
    "checkInvariants",
    "keepEvents",
    "idleLimitMs",
    "progressLimitMs",
    "costs",
  ]);
  const seed = c.seed ?? 1;
  if (typeof seed !== "number" && typeof seed !== "string")
    fail("seed", "a number or a string", seed);
  const nodes = resolveNodes(c.nodes ?? [{ name: "head" }]);
  const network = resolveNetwork(c.network);
  const gcs = resolveGcs(c.gcs);
  const failureDetection = resolveFailureDetection(c.failureDetection);
  const scheduler = resolveScheduler(c.scheduler);
  const storage = resolveStorage(c.storage);
  const defaults = resolveDefaults(c.defaults);
  for (const k of ["checkInvariants", "keepEvents"])
    if (c[k] !== undefined && typeof c[k] !== "boolean") fail(k, "true or false", c[k]);
  return {
    seed,
    nodes,
    network,
    gcs,
    failureDetection,
    scheduler,
    storage,
    defaults,
    checkInvariants: (c.checkInvariants as boolean | undefined) ?? false,
    keepEvents: (c.keepEvents as boolean | undefined) ?? true,
    idleLimitUs: msToUs(num("idleLimitMs", c.idleLimitMs, 0, 0)),
    progressLimitUs: positiveMsToUs(
      "progressLimitMs",
      c.progressLimitMs,
      DEFAULTS.progressLimitMs,
      true,
    ),
    costs: resolveCosts(c.costs ?? "ray-2018"),
  };
}

/** A period in ms that must be > 0, in whole µs (at least 1 so a timer always advances time). */
function positiveMsToUs(
  field: string,
  v: unknown,
  fallbackMs: number,
  allowInfinity = false,
): number {
  return Math.max(
    1,
    msToUs(positive(field, num(field, v, fallbackMs, 0, false, allowInfinity), v)),
  );
}

function resolveNodes(nodesIn: unknown): ResolvedNode[] {
  if (!Array.isArray(nodesIn) || nodesIn.length === 0)
    fail("nodes", "a non-empty array of node configs", nodesIn);
  const nodes = nodesIn.map((n, i) => resolveNode(n, `nodes[${i}]`));
  const seen = new Set<string>();
  nodes.forEach((n, i) => {
    if (seen.has(n.name)) fail(`nodes[${i}].name`, "unique", n.name);
    seen.add(n.name);
  });
  return nodes;
}

function resolveNetwork(raw: unknown): ResolvedConfig["network"] {
  const net = keys("network", raw, ["latencyMs", "localLatencyMs", "bandwidthBytesPerSec"]);
  const bandwidthBytesPerSec = num(
    "network.bandwidthBytesPerSec",
    net.bandwidthBytesPerSec,
    DEFAULTS.network.bandwidthBytesPerSec,
    1,
  );
  return {
    latencyUs: msToUs(num("network.latencyMs", net.latencyMs, DEFAULTS.network.latencyMs, 0)),
    localLatencyUs: msToUs(
      num("network.localLatencyMs", net.localLatencyMs, DEFAULTS.network.localLatencyMs, 0),
    ),
    bandwidthBytesPerSec,
  };
}

function resolveGcs(raw: unknown): ResolvedConfig["gcs"] {
  const gcs = keys("gcs", raw, [
    "shards",
    "replicas",
    "maxLineageBytes",
    "flushBytes",
    "flushMode",
    "pingMs",
    "missedPings",
    "requestTimeoutMs",
    "memorySampleMs",
  ]);
  const flushMode = (gcs.flushMode ?? DEFAULTS.gcs.flushMode) as "storage" | "discard";
  if (flushMode !== "storage" && flushMode !== "discard")
    fail("gcs.flushMode", '"storage" or "discard"', gcs.flushMode);
  return {
    shards: num("gcs.shards", gcs.shards, DEFAULTS.gcs.shards, 1, true),
    replicas: num("gcs.replicas", gcs.replicas, DEFAULTS.gcs.replicas, 1, true),
    maxLineageBytes: num(
      "gcs.maxLineageBytes",
      gcs.maxLineageBytes,
      DEFAULTS.gcs.maxLineageBytes,
      0,
      false,
      true,
    ),
    flushBytes: positive(
      "gcs.flushBytes",
      num("gcs.flushBytes", gcs.flushBytes, DEFAULTS.gcs.flushBytes, 0, false, true),
      gcs.flushBytes,
    ),
    flushMode,
    pingUs: positiveMsToUs("gcs.pingMs", gcs.pingMs, DEFAULTS.gcs.pingMs),
    missedPings: num("gcs.missedPings", gcs.missedPings, DEFAULTS.gcs.missedPings, 1, true),
    requestTimeoutUs: positiveMsToUs(
      "gcs.requestTimeoutMs",
      gcs.requestTimeoutMs,
      DEFAULTS.gcs.requestTimeoutMs,
    ),
    memorySampleUs: positiveMsToUs(
      "gcs.memorySampleMs",
      gcs.memorySampleMs,
      DEFAULTS.gcs.memorySampleMs,
    ),
  };
}

function resolveFailureDetection(raw: unknown): ResolvedConfig["failureDetection"] {
  const fd = keys("failureDetection", raw, ["heartbeatMs", "missedHeartbeats"]);
  const heartbeatMs = num(
    "failureDetection.heartbeatMs",
    fd.heartbeatMs,
    DEFAULTS.failureDetection.heartbeatMs,
    0.001,
  );
  const missedHeartbeats = num(
    "failureDetection.missedHeartbeats",
    fd.missedHeartbeats,
    DEFAULTS.failureDetection.missedHeartbeats,
    2,
    true,
  );
  return { heartbeatUs: Math.max(1, msToUs(heartbeatMs)), missedHeartbeats };
}

function resolveScheduler(raw: unknown): ResolvedConfig["scheduler"] {
  const sch = keys("scheduler", raw, ["policy", "queueThreshold", "infeasibleTimeoutMs"]);
  const policy = (sch.policy ?? DEFAULTS.scheduler.policy) as PolicyName;
  if (!POLICY_NAMES.includes(policy))
    fail("scheduler.policy", POLICY_NAMES.map((p) => `"${p}"`).join(", "), sch.policy);
  return {
    policy,
    queueThreshold: num(
      "scheduler.queueThreshold",
      sch.queueThreshold,
      DEFAULTS.scheduler.queueThreshold,
      1,
      true,
    ),
    infeasibleTimeoutUs: msToUs(
      num(
        "scheduler.infeasibleTimeoutMs",
        sch.infeasibleTimeoutMs,
        DEFAULTS.scheduler.infeasibleTimeoutMs,
        0,
      ),
    ),
  };
}

function resolveStorage(raw: unknown): ResolvedConfig["storage"] {
  const st = keys("storage", raw, ["latencyMs", "bandwidthBytesPerSec"]);
  return {
    latencyUs: msToUs(num("storage.latencyMs", st.latencyMs, DEFAULTS.storage.latencyMs, 0)),
    bandwidthBytesPerSec: num(
      "storage.bandwidthBytesPerSec",
      st.bandwidthBytesPerSec,
      DEFAULTS.storage.bandwidthBytesPerSec,
      1,
    ),
  };
}

function resolveDefaults(raw: unknown): ResolvedConfig["defaults"] {
  const d = keys("defaults", raw, ["maxRetries", "returnBytes"]);
  const maxRetries =
    d.maxRetries === -1
      ? -1
      : num("defaults.maxRetries", d.maxRetries, DEFAULTS.defaults.maxRetries, 0, true);
  return {
    maxRetries,
    returnBytes: num("defaults.returnBytes", d.returnBytes, DEFAULTS.defaults.returnBytes, 0),
  };
}
