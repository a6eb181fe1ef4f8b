/**
 * The client side of chain replication: learns each shard's chain from the master, sends writes to
 * the head and reads to the tail, and keeps every request until its reply arrives. A request is
 * sent again when its replica leaves the chain (the master pushes the new chain), when a replica
 * says it may not serve it, or when no reply came within the request timeout (then the client also
 * asks the master for the chain). Duplicates are harmless: the head applies a write once. While a
 * shard has no serving replica, its requests simply wait and go out again; nothing fails.
 *
 * Every request's client-observed start and end are traced ("gcs.op"), as in the paper's Fig 10a.
 * Heartbeats are the exception: periodic and superseded by the next, they are sent once, untracked
 * (the latest is held until the shard's chain is known). The head confirms each one it admits (the
 * node's alive row, sent back to it); heartbeats unconfirmed for a request timeout make the client
 * ask the master for the chain, as a request's timeout does. Without that a client that sends only
 * heartbeats would heartbeat a dead head for good whenever the master's push of the new chain
 * cannot reach it — a restarted master knows no clients until they look a shard up — and the new
 * head would declare its node dead (swarm seeds 4897, 5219, 8572: killGcsMaster, then the head).
 */
import { assert } from "../assert.js";
import type { Address, Env, TimerId, Urgency } from "../env.js";
import { isInternal, type ChainConfig, type ChainMessage, type ChainOp } from "./chain-messages.js";
import { GCS_MESSAGE_BYTES, isRead, tableOf, type GcsOp } from "./messages.js";

interface PendingRequest {
  readonly reqId: number;
  readonly op: ChainOp;
  readonly shard: number;
  readonly read: boolean;
  readonly startUs: number;
  sentUs: number;
  /** Where it went last; undefined while it waits for a chain to send it to. */
  target: Address | undefined;
  readonly onReply: ((result: unknown) => void) | undefined;
}

/** Until the master says otherwise (its config messages carry the timeout). */
export const DEFAULT_REQUEST_TIMEOUT_US = 20_000;
/** Requests in flight per client; far above need, a guard against a request leak. */
const PENDING_MAX = 1 << 22;

export class ChainRouter {
  private readonly configs: Array<ChainConfig | undefined>;
  private readonly lookupSentUs: number[];
  /** A heartbeat that found no chain yet, per shard: sent as soon as one is known. */
  private readonly heldHeartbeats: Array<ChainOp | undefined>;
  /** Per shard: the node heartbeating, and when its oldest heartbeat not yet confirmed went out. */
  private readonly unconfirmedHeartbeats: Array<{ node: string; sinceUs: number } | undefined>;
  private readonly pending = new Map<number, PendingRequest>();
  private nextReqId = 0;
  /**
   * Tells this process apart from an earlier one at the same address (a node's next incarnation
   * numbers its requests from 0 again): its start time and a draw from a named stream.
   */
  private readonly session: string;
  private requestTimeoutUs = DEFAULT_REQUEST_TIMEOUT_US;
  private sweepTimer: TimerId | undefined;
  retries = 0;
  /** Called when a shard's tail changed hands (see `onConfig`). */
  onTailChange: ((shard: number) => void) | undefined;

  constructor(
    private readonly env: Env,
    private readonly master: Address,
    shardCount: number,
  ) {
    assert(shardCount > 0, "ChainRouter: no shards");
    this.configs = Array.from({ length: shardCount }, () => undefined);
    this.lookupSentUs = Array.from({ length: shardCount }, () => -Infinity);
    this.heldHeartbeats = Array.from({ length: shardCount }, () => undefined);
    this.unconfirmedHeartbeats = Array.from({ length: shardCount }, () => undefined);
    this.session = `${env.nowUs()}.${Math.floor(env.rng("gcs/client-sessions").next() * 2 ** 32)}`;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  call(shard: number, op: ChainOp, onReply: ((result: unknown) => void) | undefined): void {
    if (op.op === "node.heartbeat") return this.sendHeartbeat(shard, op);
    assert(this.pending.size < PENDING_MAX, "GCS client: too many requests in flight");
    const now = this.env.nowUs();
    const p: PendingRequest = {
      reqId: this.nextReqId++,
      op,
      shard,
      read: isRead(op as GcsOp),
      startUs: now,
      sentUs: now,
      target: undefined,
      onReply,
    };
    this.pending.set(p.reqId, p);
    this.send(p, "work");
    this.armSweep();
  }

  /** A reply: completes its request; a duplicate (the request was answered already) is dropped. */
  onReply(reqId: number, result: unknown): void {
    const p = this.pending.get(reqId);
    if (p === undefined) return;
    this.pending.delete(reqId);
    if (!isInternal(p.op))
      this.env.trace({
        kind: "gcs.op",
        op: p.op.op,
        table: tableOf(p.op),
        shard: p.shard,
        startUs: p.startUs,
      });
    p.onReply?.(result);
  }

  onChainMessage(m: ChainMessage): boolean {
    if (m.type === "chain.config") {
      this.onConfig(m.config, m.requestTimeoutUs);
      return true;
    }
    if (m.type === "chain.notServing") {
      const p = this.pending.get(m.reqId);
      if (p !== undefined && p.shard === m.shard) p.target = undefined;
      this.lookup(m.shard);
      return true;
    }
    return false;
  }

  private onConfig(config: ChainConfig, requestTimeoutUs: number): void {
    assert(requestTimeoutUs > 0, "GCS client: request timeout must be > 0");
    this.requestTimeoutUs = requestTimeoutUs;
    const shard = config.shard;
    this.lookupSentUs[shard] = -Infinity;
    const known = this.configs[shard];
    if (known === undefined || config.epoch > known.epoch) this.configs[shard] = config;
    const members = this.configs[shard]!.members;
    // The tail sends the notifications: those the old one had not delivered are lost with it (a
    // death, a new copy's location), and no one sends them again. Subscribers read again.
    const oldTail = known?.members[known.members.length - 1];
    if (oldTail !== undefined && oldTail !== members[members.length - 1])
      this.onTailChange?.(shard);
    const heartbeat = this.heldHeartbeats[shard];
    if (heartbeat !== undefined) {
      this.heldHeartbeats[shard] = undefined;
      this.sendHeartbeat(shard, heartbeat);
    }
    for (const p of this.pending.values()) {
      if (p.shard === shard && (p.target === undefined || !members.includes(p.target)))
        this.send(p, "background");
    }
  }

  /**
   * First sends are work; resends are background, like the retry timers behind them, so a shard
   * that stays down leaves only background traffic and a waiting driver ends in a deadlock error
   * instead of retrying forever. The replies to them are work again.
   */
  private send(p: PendingRequest, urgency: Urgency): void {
    const config = this.configs[p.shard];
    if (config === undefined) {
      p.target = undefined;
      return this.lookup(p.shard);
    }
    p.target = p.read ? config.members[config.members.length - 1]! : config.members[0]!;
    p.sentUs = this.env.nowUs();
    const request = {
      type: "gcs.request",
      reqId: p.reqId,
      op: p.op,
      client: this.env.self,
      lowWater: this.lowWater(),
      session: this.session,
    };
    this.env.send(p.target, request, GCS_MESSAGE_BYTES, urgency);
  }

  private sendHeartbeat(shard: number, op: ChainOp): void {
    const config = this.configs[shard];
    if (config === undefined) {
      // Only the latest matters: a newer heartbeat replaces one still held.
      this.heldHeartbeats[shard] = op;
      return this.lookup(shard);
    }
    assert(op.op === "node.heartbeat", `sendHeartbeat: ${op.op}`);
    const now = this.env.nowUs();
    const unconfirmed = this.unconfirmedHeartbeats[shard];
    if (unconfirmed === undefined || unconfirmed.node !== op.heartbeat.node)
      this.unconfirmedHeartbeats[shard] = { node: op.heartbeat.node, sinceUs: now };
    else if (now - unconfirmed.sinceUs >= this.requestTimeoutUs) this.lookup(shard);
    this.env.send(
      config.members[0]!,
      { type: "gcs.request", reqId: -1, op, client: this.env.self },
      GCS_MESSAGE_BYTES,
      "background",
    );
  }

  /** The head of `shard` admitted a heartbeat of `node`'s: if this client sent it, its chain is current. */
  onHeartbeatConfirmed(shard: number, node: string): void {
    assert(shard >= 0 && shard < this.configs.length, `GCS client: no shard ${shard}`);
    if (this.unconfirmedHeartbeats[shard]?.node === node)
      this.unconfirmedHeartbeats[shard] = undefined;
  }

  /** The oldest request still waiting: every id below it is answered. */
  private lowWater(): number {
    for (const reqId of this.pending.keys()) return reqId;
    return this.nextReqId;
  }

  private lookup(shard: number): void {
    const now = this.env.nowUs();
    if (now - this.lookupSentUs[shard]! < this.requestTimeoutUs) return;
    this.lookupSentUs[shard] = now;
    this.env.send(
      this.master,
      { type: "chain.lookup", shard } satisfies ChainMessage,
      64,
      "background",
    );
  }

  private armSweep(): void {
    if (this.sweepTimer !== undefined || this.pending.size === 0) return;
    this.sweepTimer = this.env.setTimer(
      Math.max(1, Math.floor(this.requestTimeoutUs / 2)),
      () => this.sweep(),
      "background",
    );
  }

  /** Sends again what waited a whole timeout, asking the master whether the chain changed. */
  private sweep(): void {
    this.sweepTimer = undefined;
    const now = this.env.nowUs();
    for (const p of this.pending.values()) {
      if (now - p.sentUs < this.requestTimeoutUs) continue;
      this.retries++;
      this.lookup(p.shard);
      this.send(p, "background");
      if (p.target === undefined) p.sentUs = now;
    }
    this.armSweep();
  }
}
