/**
 * A GCS key-value workload on a bare World, for the fig10a-gcs-failover scenario and the
 * chain-replication tests (test/support/gcs-workload.ts re-exports it): the GCS (sim/gcs-service)
 * on its hosts and one client process that writes and reads task rows (the paper's Fig 10a client
 * "records and reads tasks"), in `streams` sequential streams over disjoint keys, so each key has at
 * most one op in flight. Every write of a key carries the next version; a read must return the
 * version of the key's last acknowledged write (with one op per key in flight, "that one or a later
 * one" means exactly that one). Replica kills are guarded: a kill that would leave a shard with no
 * live member is skipped, since it is unrecoverable by construction.
 */
import type { Address, Env, Message, Process } from "../../core/env.js";
import { address } from "../../core/env.js";
import { GcsClient } from "../../core/gcs/client.js";
import type { TaskRow } from "../../core/gcs/tables.js";
import type { TaskId } from "../../core/ids.js";
import type { TaskSpec } from "../../core/task-spec.js";
import { GcsService, type GcsServiceOptions } from "../../sim/gcs-service.js";
import type { ResolvedCosts } from "../../sim/costs.js";
import { Metrics } from "../../sim/metrics.js";
import { World } from "../../sim/world.js";

export interface KvOp {
  readonly key: number;
  readonly write: boolean;
}

export interface ReplicaKill {
  readonly atMs: number;
  readonly shard: number;
  /** Index among the shard's live members at that moment (modulo their number). */
  readonly position: number;
}

export interface KvRunOptions {
  seed: number;
  shards: number;
  replicas: number;
  ops: readonly KvOp[];
  streams: number;
  kills: readonly ReplicaKill[];
  /** Bytes of padding in each written value (Fig 10a: 512-byte values). */
  valueBytes?: number;
  gcs?: Partial<GcsServiceOptions>;
  /** Called once the GCS is up, to schedule more faults on the world. */
  setup?: (world: World, service: GcsService) => void;
  /** Virtual-time bound of the run (default 120 s): a workload unfinished by then fails. */
  boundMs?: number;
  /** No stream starts an op after this (default: every op in `ops` runs). */
  stopAtMs?: number;
  /** Service times of the GCS processes (sim/costs.ts); default free. */
  costs?: ResolvedCosts;
}

export interface KvRunResult {
  world: World;
  service: GcsService;
  metrics: Metrics;
  /** Wrong answers: a read that missed the last acknowledged write, or a lost write at the end. */
  violations: string[];
  opsDone: number;
  killsDone: number;
}

class KvClientProcess implements Process {
  readonly gcs: GcsClient;
  constructor(
    readonly env: Env,
    shards: readonly Address[],
  ) {
    this.gcs = new GcsClient(env, shards);
  }
  onMessage(_from: Address, message: Message): void {
    this.gcs.handle(message);
  }
}

/** A 25-byte key, as in Fig 10a. */
export function kvKey(key: number): TaskId {
  return `k${key}`.padEnd(25, "_") as TaskId;
}

/**
 * A write of `version` to `key`, as a task row. The version is also the attempt: `task.add` of an
 * id that exists adopts the live row unless the attempt is newer (a retried task), so each write
 * must be a newer attempt to replace the value, and a late copy of an older write changes nothing.
 */
function kvSpec(key: number, version: number, pad: string): TaskSpec {
  return {
    taskId: kvKey(key),
    kind: "task",
    functionId: "kv",
    name: "kv",
    args: [{ value: { version, pad } }],
    returnIds: [],
    resources: {},
    returnBytes: 0,
    maxRetries: 0,
    retryExceptions: false,
    parentTaskId: "d" as TaskId,
    owner: address("kv", "client"),
    ownerNode: "client",
    ownerIncarnation: 0,
    attempt: version,
    cause: "original",
    submitUs: 0,
  };
}

function versionOf(row: unknown): number {
  if (row === undefined) return 0;
  return ((row as TaskRow).spec.args[0] as { value: { version: number } }).value.version;
}

export const KV_GCS_DEFAULTS: GcsServiceOptions = {
  shards: 1,
  replicas: 2,
  heartbeatIntervalUs: 100_000,
  heartbeatTimeoutUs: 1_000_000,
  maxLineageBytes: Infinity,
  flushBytes: Infinity,
  flushMode: "storage",
  memorySampleUs: 100_000,
  pingIntervalUs: 2_000,
  missedPings: 3,
  requestTimeoutUs: 20_000,
};

export async function runKvWorkload(o: KvRunOptions): Promise<KvRunResult> {
  const world = new World({
    seed: o.seed,
    network: { latencyUs: 100 },
    ...(o.costs === undefined ? {} : { costs: o.costs }),
  });
  const metrics = new Metrics(world.recorder, () => world.kernel.nowUs / 1000);
  const service = new GcsService(world, {
    ...KV_GCS_DEFAULTS,
    ...o.gcs,
    shards: o.shards,
    replicas: o.replicas,
  });
  world.addNode("client");
  const client = world.spawn(
    "client",
    address("kv", "client"),
    (env) => new KvClientProcess(env, service.addresses),
  );
  o.setup?.(world, service);
  const pad = "x".repeat(o.valueBytes ?? 16);
  const acked = new Map<number, number>();
  const issued = new Map<number, number>();
  const ledger: KvLedger = { world, client, pad, acked, issued, violations: [], opsDone: 0 };
  const violations = ledger.violations;
  world.kernel.afterEvent = () => checkChainPrefix(service, o.shards, world);
  const kills = scheduleKills(world, service, o.kills);
  const done = world.kernel.userDeferred<void>("kv workload");
  let streamsLeft = o.streams;
  const stopAtUs = o.stopAtMs === undefined ? Infinity : Math.round(o.stopAtMs * 1000);
  const finalCheck = () => {
    const keys = [...issued.keys()];
    let left = keys.length;
    if (left === 0) return done.resolve();
    for (const key of keys) {
      client.gcs.call({ op: "task.get", taskId: kvKey(key) }, (row) => {
        if (versionOf(row) !== acked.get(key))
          violations.push(
            `final read of key ${key}: version ${versionOf(row)}, last acknowledged ${acked.get(key)}`,
          );
        if (--left === 0) done.resolve();
      });
    }
  };
  for (let s = 0; s < o.streams; s++) {
    const queue = o.ops.filter((op) => op.key % o.streams === s);
    runStream(ledger, queue, stopAtUs, () => void (--streamsLeft === 0 && finalCheck()));
  }
  if (o.streams === 0) finalCheck();
  // Bounded in virtual time: a workload still running at the bound fails the opsDone check.
  await world.kernel.run(done.promise, {
    idleLimitUs: 10_000_000,
    untilUs: Math.round((o.boundMs ?? 120_000) * 1000),
  });
  return {
    world,
    service,
    metrics,
    violations,
    opsDone: ledger.opsDone,
    killsDone: kills.count,
  };
}

/** What the client's streams share: the versions issued and acknowledged per key, what went wrong. */
interface KvLedger {
  world: World;
  client: KvClientProcess;
  pad: string;
  acked: Map<number, number>;
  issued: Map<number, number>;
  violations: string[];
  opsDone: number;
}

function scheduleKills(
  world: World,
  service: GcsService,
  kills: readonly ReplicaKill[],
): { count: number } {
  const done = { count: 0 };
  for (const k of kills) {
    world.kernel.schedule(
      Math.round(k.atMs * 1000),
      { handleEvent: () => (done.count += guardedKill(world, service, k) ? 1 : 0) },
      0,
      undefined,
      false,
    );
  }
  return done;
}

/** Issues one stream's ops in order, each after the previous one's reply, checking every read. */
function runStream(
  ledger: KvLedger,
  queue: readonly KvOp[],
  stopAtUs: number,
  onEnd: () => void,
): void {
  const { world, client, pad, acked, issued, violations } = ledger;
  const next = (i: number): void => {
    if (i === queue.length || world.kernel.nowUs > stopAtUs) return onEnd();
    const op = queue[i]!;
    if (op.write) {
      const version = (issued.get(op.key) ?? 0) + 1;
      issued.set(op.key, version);
      client.gcs.call({ op: "task.add", spec: kvSpec(op.key, version, pad) }, () => {
        acked.set(op.key, version);
        ledger.opsDone++;
        next(i + 1);
      });
    } else {
      const expected = acked.get(op.key) ?? 0;
      client.gcs.call({ op: "task.get", taskId: kvKey(op.key) }, (row) => {
        if (versionOf(row) !== expected)
          violations.push(
            `read of key ${op.key} at ${world.kernel.nowUs / 1000} ms: version ${versionOf(row)}, last acknowledged ${expected}`,
          );
        ledger.opsDone++;
        next(i + 1);
      });
    }
  };
  next(0);
}

/** Kills a live member and starts a replacement, unless that would leave no live member. */
function guardedKill(world: World, service: GcsService, k: ReplicaKill): boolean {
  const shard = k.shard % service.addresses.length;
  const live = service.members(shard).filter((m) => world.isAlive(m));
  if (live.length < 2) return false;
  const target = live[k.position % live.length]!;
  service.killReplica(shard, service.members(shard).indexOf(target));
  service.spawnReplica(shard);
  return true;
}

/** Chain replication's prefix property, after every event: upstream holds what downstream holds. */
function checkChainPrefix(service: GcsService, shards: number, world: World): void {
  for (let s = 0; s < shards; s++) {
    const members = service.members(s);
    for (let i = 0; i + 1 < members.length; i++) {
      const a = service.replicaAt(members[i]!);
      const b = service.replicaAt(members[i + 1]!);
      if (a === undefined || b === undefined || !a.installed || !b.installed) continue;
      if (!world.isAlive(members[i]!) || !world.isAlive(members[i + 1]!)) continue;
      if (a.appliedSeq < b.appliedSeq)
        throw new Error(
          `shard ${s}: ${members[i]} applied ${a.appliedSeq} < successor's ${b.appliedSeq}`,
        );
    }
  }
}
