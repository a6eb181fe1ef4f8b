/**
 * Starts the GCS on hosts of its own and gives the simulator a handle on it. With one replica per
 * shard: a single server per shard at `gcs@__gcs<i>` (as Ray ran without replication). With more:
 * a chain per shard of replicas at `gcs@__gcs<i>r<k>` on hosts `__gcs<i>r<k>`, and the chain
 * master at `gcsmaster@__gcsmaster`; clients get the shards' service addresses
 * (core/gcs/chain-messages.ts). The master's host may crash (killMaster) and a fresh, empty master
 * start there (restartMaster): it rebuilds the configuration from the replicas. Killing a replica kills its host, as
 * a machine crash would; a replacement is a fresh process on a fresh host that asks to join.
 */
import { assert } from "../core/assert.js";
import { address, type Address } from "../core/env.js";
import { ChainMaster } from "../core/gcs/chain-master.js";
import { chainServiceAddresses, type ChainConfig } from "../core/gcs/chain-messages.js";
import { ChainReplica } from "../core/gcs/chain-replica.js";
import type { FlushMode } from "../core/gcs/flusher.js";
import { GcsShard } from "../core/gcs/shard.js";
import type { GcsShardState } from "../core/gcs/shard-state.js";
import type { World } from "./world.js";

export interface GcsServiceOptions {
  shards: number;
  replicas: number;
  heartbeatIntervalUs: number;
  heartbeatTimeoutUs: number;
  maxLineageBytes: number;
  flushBytes: number;
  flushMode: FlushMode;
  memorySampleUs: number;
  pingIntervalUs: number;
  missedPings: number;
  requestTimeoutUs: number;
}

export const GCS_MASTER_HOST = "__gcsmaster";

interface ReplicaRecord {
  readonly shard: number;
  readonly host: string;
  readonly replica: ChainReplica;
}

export class GcsService {
  /** What clients are given: server addresses, or the chained shards' service addresses. */
  readonly addresses: Address[];
  /** The live chain master (undefined: not replicated, or its host is down). */
  master: ChainMaster | undefined;
  private readonly replicas = new Map<Address, ReplicaRecord>();
  private readonly spawned: number[];

  constructor(
    private readonly world: World,
    private readonly options: GcsServiceOptions,
  ) {
    assert(
      options.shards >= 1 && options.replicas >= 1,
      "GcsService: at least one shard and one replica",
    );
    this.spawned = Array.from({ length: options.shards }, () => 0);
    if (!this.replicated) {
      this.addresses = Array.from({ length: options.shards }, (_, i) =>
        address("gcs", `__gcs${i}`),
      );
      this.addresses.forEach((addr, i) => this.startServer(i, addr));
      this.master = undefined;
      return;
    }
    const masterAddress = address("gcsmaster", GCS_MASTER_HOST);
    this.addresses = chainServiceAddresses(masterAddress, options.shards);
    const initial = Array.from({ length: options.shards }, (_, s) =>
      Array.from({ length: options.replicas }, () => this.spawnReplica(s, true)),
    );
    world.addNode(GCS_MASTER_HOST);
    this.master = this.spawnMaster(initial);
  }

  /** Crashes the chain master's host. Returns false when there is no master to kill. */
  killMaster(): boolean {
    if (this.master === undefined) return false;
    this.world.killNode(GCS_MASTER_HOST);
    this.master = undefined;
    return true;
  }

  /** A fresh master on the restarted host, knowing nothing: it learns the chains from the replicas. */
  restartMaster(): void {
    if (!this.replicated || this.world.node(GCS_MASTER_HOST).alive) return;
    this.world.addNode(GCS_MASTER_HOST);
    this.master = this.spawnMaster(undefined);
  }

  private spawnMaster(initial: Address[][] | undefined): ChainMaster {
    return this.world.spawn(
      GCS_MASTER_HOST,
      address("gcsmaster", GCS_MASTER_HOST),
      (env) =>
        new ChainMaster(env, {
          initialMembers: initial,
          shards: this.options.shards,
          pingIntervalUs: this.options.pingIntervalUs,
          missedPings: this.options.missedPings,
          requestTimeoutUs: this.options.requestTimeoutUs,
        }),
    );
  }

  get replicated(): boolean {
    return this.options.replicas > 1;
  }

  /** A fresh replica of `shard` on a fresh host; unless `initial`, it joins by state transfer. */
  spawnReplica(shard: number, initial = false): Address {
    assert(this.replicated, "spawnReplica: the GCS is not replicated");
    const k = this.spawned[shard]!++;
    const host = replicaHost(shard, k);
    const addr = address("gcs", host);
    // The first members are spawned first, in chain order: replicas 0 … replicas − 1.
    const initialMembers = initial
      ? Array.from({ length: this.options.replicas }, (_, i) =>
          address("gcs", replicaHost(shard, i)),
        )
      : undefined;
    this.world.addNode(host);
    const replica = this.world.spawn(
      host,
      addr,
      (env) =>
        new ChainReplica(env, {
          shardIndex: shard,
          peers: this.addresses,
          master: address("gcsmaster", GCS_MASTER_HOST),
          installed: initial,
          ...(initialMembers === undefined ? {} : { initialMembers }),
          heartbeatIntervalUs: this.options.heartbeatIntervalUs,
          heartbeatTimeoutUs: this.options.heartbeatTimeoutUs,
          maxLineageBytes: this.options.maxLineageBytes,
          flush: { flushBytes: this.options.flushBytes, mode: this.options.flushMode },
          memorySampleUs: this.options.memorySampleUs,
          joinRetryUs: this.options.pingIntervalUs,
        }),
    );
    this.replicas.set(addr, { shard, host, replica });
    return addr;
  }

  /**
   * The shard's chain, head first (a single server: just it). With the master down or not yet
   * rebuilt: the newest configuration a live replica of the shard holds.
   */
  members(shard: number): readonly Address[] {
    if (!this.replicated) return [this.addresses[shard]!];
    // The newest configuration anyone holds: a restarted master may hold a stale one for a while.
    let newest: ChainConfig | undefined = this.master?.known(shard);
    for (const r of this.liveReplicas(shard))
      if (r.config !== undefined && (newest === undefined || r.config.epoch > newest.epoch))
        newest = r.config;
    return newest?.members ?? [];
  }

  /**
   * Kills the replica at `position` of the shard's current chain (0 = head), by crashing its host.
   * Returns the host, or undefined when the chain has no such position.
   */
  killReplica(shard: number, position: number): string | undefined {
    const addr = this.members(shard)[position];
    if (addr === undefined) return undefined;
    const host = this.replicas.get(addr)?.host ?? addr.slice(addr.indexOf("@") + 1);
    this.world.killNode(host);
    return host;
  }

  /** Every live replica of a shard (members, joiners, removed ones not yet back). */
  liveReplicas(shard: number): ChainReplica[] {
    const out: ChainReplica[] = [];
    for (const [addr, r] of this.replicas)
      if (r.shard === shard && this.world.isAlive(addr)) out.push(r.replica);
    return out;
  }

  /** Each shard's state as its first live, installed member holds it (undefined: none). */
  states(): Array<GcsShardState | undefined> {
    return Array.from({ length: this.options.shards }, (_, s) => {
      for (const addr of this.members(s)) {
        const r = this.replicas.get(addr);
        if (r !== undefined && r.replica.installed && this.world.isAlive(addr))
          return r.replica.state;
      }
      return undefined;
    });
  }

  replicaAt(addr: Address): ChainReplica | undefined {
    return this.replicas.get(addr)?.replica;
  }

  private startServer(shard: number, addr: Address): void {
    const host = `__gcs${shard}`;
    this.world.addNode(host);
    const server = this.world.spawn(
      host,
      addr,
      (env) =>
        new GcsShard(env, {
          shardIndex: shard,
          peers: this.addresses,
          heartbeatIntervalUs: this.options.heartbeatIntervalUs,
          heartbeatTimeoutUs: this.options.heartbeatTimeoutUs,
          maxLineageBytes: this.options.maxLineageBytes,
          flush: { flushBytes: this.options.flushBytes, mode: this.options.flushMode },
          memorySampleUs: this.options.memorySampleUs,
        }),
    );
    this.replicas.set(addr, { shard, host, replica: server });
  }
}

function replicaHost(shard: number, k: number): string {
  return `__gcs${shard}r${k}`;
}
