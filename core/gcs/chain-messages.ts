/**
 * The chain-replication protocol (van Renesse & Schneider, OSDI 2004, as Ray 2018's GCS used it):
 * writes enter at a shard's head, which orders them (`seq`) and applies them, then flow down the
 * chain; the tail replies and publishes. Acks flow back up so each replica can forget the writes
 * its successor holds. A master (the paper's reliable chain master) watches the replicas with pings
 * that carry the configuration and grant leases, removes replicas that stop answering, and adds a
 * fresh replica at the tail after a state transfer.
 *
 * Over lossy channels: chain.write and chain.ack are work (the RPC layer resends and dedupes them,
 * and a replica resends what its successor has not acknowledged, a duplicate write being dropped
 * by seq); pings, pongs, lookups, configs, join steps and notServing hints are background — lost
 * ones are repeated by the next ping or the asker's timeout.
 *
 * Clients name a chained shard by a service address, `<master address>#<shard>`; no process lives
 * there: the client asks the master for the chain behind it. Plain addresses (a single server per
 * shard) contain no '#'.
 */
import { assert } from "../assert.js";
import type { Address, Message } from "../env.js";
import type { GcsOp, GcsRequestMessage } from "./messages.js";
import type { FlushedOp, RestoreOp } from "./shard-flush.js";
import type { ShardSnapshot } from "./shard-snapshot.js";

/** A failure detector's verdict: `verdict` on the shard that owns the node row, else a peer's news. */
export interface NodeDeadOp {
  readonly op: "internal.nodeDead";
  readonly node: string;
  readonly incarnation: number;
  readonly verdict: boolean;
}

/** A retried write that was applied already: the tail answers again with the original result. */
export interface ReplyAgainOp {
  readonly op: "internal.replyAgain";
}

export type InternalOp = NodeDeadOp | FlushedOp | RestoreOp | ReplyAgainOp;
export type ChainOp = GcsOp | InternalOp;

export function isInternal(op: ChainOp): op is InternalOp {
  return op.op.startsWith("internal.");
}

/** One write in a shard's total order. Every replica applies it with the head's clock reading. */
export interface ChainEntry {
  readonly seq: number;
  readonly op: ChainOp;
  readonly client: Address;
  /** The client process's session (request-dedupe.ts); "" for the head's own writes. */
  readonly session: string;
  /** -1: nobody waits for a reply (heartbeats, a single server's fire-and-forget writes). */
  readonly reqId: number;
  readonly lowWater: number;
  readonly tUs: number;
  /** Heartbeats: their traffic never keeps a finished run alive. */
  readonly background: boolean;
}

/** A shard's chain as the master decided it. `epoch` orders configurations. */
export interface ChainConfig {
  readonly shard: number;
  readonly epoch: number;
  /** Head first, tail last. Never empty: the master keeps the last replica, the only copy. */
  readonly members: readonly Address[];
  /** A replica receiving the state from the tail, to join after it (undefined: none). */
  readonly joiner: Address | undefined;
  readonly transferId: number;
  /** The joiner holds the state: the tail is to hand its role over to it. */
  readonly promote: boolean;
}

export interface ShardRequestMessage extends Omit<GcsRequestMessage, "op"> {
  readonly op: ChainOp;
}

export type ChainMessage =
  /** `epoch`: the sender's configuration when it sent (chain-data-path.ts: stale links). */
  | { readonly type: "chain.write"; readonly entry: ChainEntry; readonly epoch: number }
  | { readonly type: "chain.ack"; readonly seq: number; readonly epoch: number }
  | {
      readonly type: "chain.config";
      readonly config: ChainConfig;
      readonly requestTimeoutUs: number;
    }
  /** From the master: the configuration, and a lease to serve until `sentUs + leaseUs`. */
  | {
      readonly type: "chain.ping";
      readonly config: ChainConfig;
      readonly sentUs: number;
      readonly leaseUs: number;
    }
  | {
      readonly type: "chain.pong";
      readonly shard: number;
      readonly epoch: number;
      readonly appliedSeq: number;
    }
  | { readonly type: "chain.join"; readonly shard: number }
  | { readonly type: "chain.joined"; readonly shard: number; readonly transferId: number }
  | { readonly type: "chain.promoted"; readonly shard: number; readonly transferId: number }
  | {
      readonly type: "chain.snapshot";
      readonly transferId: number;
      readonly snapshot: ShardSnapshot;
    }
  | { readonly type: "chain.snapshotRequest"; readonly transferId: number }
  /** From the old tail: replies for writes after `seq` are now the joiner's to send. */
  | { readonly type: "chain.handover"; readonly transferId: number; readonly seq: number }
  | { readonly type: "chain.lookup"; readonly shard: number }
  /**
   * From a member whose lease ran out, every ping interval: what it holds, so a restarted master
   * rebuilds each shard's configuration from the replicas (the highest epoch wins).
   */
  | {
      readonly type: "chain.report";
      readonly shard: number;
      readonly config: ChainConfig;
      readonly appliedSeq: number;
    }
  /**
   * Between the members of one configuration while the master is silent to all of them: a member
   * serves on (grace) only while every other member answers that it, too, has no lease and holds
   * the same epoch (chain-replica.ts explains why that is safe).
   */
  | {
      readonly type: "chain.vouchRequest";
      readonly shard: number;
      readonly epoch: number;
      readonly sentUs: number;
    }
  | {
      readonly type: "chain.vouch";
      readonly shard: number;
      readonly epoch: number;
      readonly sentUs: number;
    }
  /** From a replica that may not serve a request (not a member, no lease, not the head). */
  | { readonly type: "chain.notServing"; readonly shard: number; readonly reqId: number };

/** What the chain master receives; replicas receive the rest. */
export type MasterMessage = Extract<
  ChainMessage,
  {
    readonly type:
      | "chain.lookup"
      | "chain.pong"
      | "chain.join"
      | "chain.joined"
      | "chain.promoted"
      | "chain.report";
  }
>;
export type ReplicaMessage = Exclude<ChainMessage, MasterMessage>;

export function isChainMessage(message: Message): message is ChainMessage {
  return message.type.startsWith("chain.");
}

export function chainServiceAddresses(master: Address, shards: number): Address[] {
  assert(!master.includes("#"), `chain master address ${master} may not contain '#'`);
  return Array.from({ length: shards }, (_, i) => `${master}#${i}` as Address);
}

/** The master behind service addresses, or undefined for plain server addresses. */
export function chainMasterOf(shards: readonly Address[]): Address | undefined {
  const first = shards[0];
  if (first === undefined || !first.includes("#")) return undefined;
  const master = first.slice(0, first.lastIndexOf("#")) as Address;
  shards.forEach((s, i) =>
    assert(s === `${master}#${i}`, `GCS service address ${s} does not match ${master}#${i}`),
  );
  return master;
}
