/**
 * One replica of a GCS shard (chain-messages.ts describes the protocol). Its role comes from the
 * master's configuration: the head orders writes (shard-head.ts runs there), every replica applies
 * them in order and passes them on, the tail replies to clients and publishes notifications. Reads
 * are answered by any member holding every acknowledged write — the tail, or any replica upstream
 * of it, which holds at least as much — within its lease, so a replica cut off from the master
 * stops answering before the master replaces it.
 *
 * Invariants: a replica applies writes in seq order, each once; a member's state includes every
 * write its successor holds; only the tail role replies, and it hands the role over (a joiner) or
 * takes it (its successor died) with the writes in flight, so no acknowledged write is lost.
 *
 * With no master (`master: undefined`) it is a single server, head and tail at once: the shard as
 * Ray ran it without replication (and this simulator's `gcs.replicas: 1`).
 */
import { assert } from "../assert.js";
import type { Address, Env, Message, Process, TimerId } from "../env.js";
import { applyChainEntry, type AppliedEntry } from "./chain-apply.js";
import { ChainLog } from "./chain-log.js";
import type { ChainConfig, ChainEntry, ChainMessage, ChainOp, ShardRequestMessage } from "./chain-messages.js";
import { GcsClient } from "./client.js";
import { answerFromStorage, readFlushedRows, type FlushOptions } from "./flusher.js";
import { GCS_MESSAGE_BYTES, isRead, type GcsNotification, type GcsNotifyMessage, type GcsOp, type GcsReplyMessage } from "./messages.js";
import { RequestDedupe } from "./request-dedupe.js";
import { flushedKeysOf } from "./shard-flush.js";
import { ShardHead } from "./shard-head.js";
import { installSnapshot, takeSnapshot, type ShardSnapshot } from "./shard-snapshot.js";
import { GcsShardState } from "./shard-state.js";

export interface ChainReplicaOptions {
  shardIndex: number;
  /** How this replica reaches every shard as a client (its verdicts reach the others' locations). */
  peers: readonly Address[];
  /** The chain master; undefined: a single server, with no replication. */
  master: Address | undefined;
  /** Starts with the shard's (empty) state, as a first member; false: joins by state transfer. */
  installed: boolean;
  heartbeatIntervalUs: number;
  heartbeatTimeoutUs: number;
  /** Cap on the bytes of task rows kept (the lineage); oldest finished rows go first. */
  maxLineageBytes: number;
  flush: FlushOptions;
  memorySampleUs: number;
  /** How often a replica outside the chain asks the master to let it join. */
  joinRetryUs: number;
}

/** Requests a fresh tail holds until it has every write its predecessor acknowledged. */
const HELD_READS_MAX = 1 << 16;

export class ChainReplica implements Process {
  state: GcsShardState;
  dedupe: RequestDedupe | undefined;
  appliedSeq = 0;
  installed: boolean;
  installedTransferId: number;
  config: ChainConfig | undefined;
  opsApplied = 0;
  member = false;
  isHead = false;
  tailRole = false;
  predecessor: Address | undefined;
  successor: Address | undefined;
  private leaseUntilUs: number;
  private readonly log = new ChainLog();
  /** A joiner's applied writes whose replies may be its own once the tail hands over. */
  private retained: AppliedEntry[] = [];
  /** A fresh tail replies for writes after this seq, and answers reads once it applied it. */
  private handoverSeq = 0;
  private handedOverTransferId = -1;
  private transferSentId = -1;
  private readonly heldReads: ShardRequestMessage[] = [];
  private head: ShardHead | undefined;
  private readonly peerClient: GcsClient;
  private joinTimer: TimerId | undefined;
  private leaseTimer: TimerId | undefined;
  private joinTicks = 0;

  constructor(readonly env: Env, private readonly options: ChainReplicaOptions) {
    this.state = this.freshState();
    this.dedupe = options.master === undefined ? undefined : new RequestDedupe();
    this.installed = options.installed;
    this.installedTransferId = options.installed ? 0 : -1;
    this.peerClient = new GcsClient(env, options.peers);
    if (options.master === undefined) {
      this.leaseUntilUs = Infinity;
      this.adopt({ shard: options.shardIndex, epoch: 1, members: [env.self], joiner: undefined, transferId: 0, promote: false });
    } else {
      this.leaseUntilUs = -Infinity;
      if (!options.installed) this.scheduleJoinTick();
    }
  }

  get shardIndex(): number {
    return this.options.shardIndex;
  }

  onMessage(from: Address, message: Message): void {
    if (message.type === "gcs.request") return this.onRequest(message as ShardRequestMessage);
    if (message.type === "gcs.reply" || message.type === "gcs.notify") return void this.peerClient.handle(message);
    const m = message as ChainMessage;
    switch (m.type) {
      case "chain.write":
        return this.onWrite(from, m.entry);
      case "chain.ack":
        return this.onAck(from, m.seq);
      case "chain.config":
        this.peerClient.handle(m);
        if (m.config.shard === this.options.shardIndex) this.adopt(m.config);
        return;
      case "chain.ping":
        return this.onPing(from, m.config, m.sentUs, m.leaseUs);
      case "chain.snapshot":
        return this.onSnapshot(from, m.transferId, m.snapshot);
      case "chain.snapshotRequest":
        if (this.config?.joiner === from && this.config.transferId === m.transferId && this.successor === from && this.tailRole) this.sendSnapshot(m.transferId);
        return;
      case "chain.handover":
        return this.onHandover(m.transferId, m.seq);
      case "chain.notServing":
        return void this.peerClient.handle(m);
      default:
        assert(false, `GCS replica: unexpected message ${message.type}`);
    }
  }

  /** Member, holding state, within the lease the master's last ping granted. */
  serving(): boolean {
    return this.installed && this.member && this.env.nowUs() < this.leaseUntilUs;
  }

  // ---- client requests ----

  private onRequest(m: ShardRequestMessage): void {
    if (isRead(m.op as GcsOp)) return this.serveRead(m);
    if (!this.isHead || !this.serving() || this.head === undefined) return this.notServing(m);
    this.head.submit(m);
  }

  private serveRead(m: ShardRequestMessage): void {
    if (!this.serving()) return this.notServing(m);
    if (this.tailRole && this.appliedSeq < this.handoverSeq) {
      assert(this.heldReads.length < HELD_READS_MAX, "GCS replica: too many reads held");
      this.heldReads.push(m);
      return;
    }
    const op = m.op as GcsOp;
    const keys = flushedKeysOf(this.state, op);
    if (keys === undefined) return this.reply(m.client, m.reqId, this.state.apply(op, m.client, this.env.nowUs()).result, false);
    readFlushedRows(this.env.storage, this.state, keys, (restore) => this.reply(m.client, m.reqId, answerFromStorage(this.state, op, restore), false));
  }

  private notServing(m: ShardRequestMessage): void {
    if (this.options.master === undefined || m.reqId < 0) return;
    const message: ChainMessage = { type: "chain.notServing", shard: this.options.shardIndex, reqId: m.reqId };
    this.env.send(m.client, message, GCS_MESSAGE_BYTES);
  }

  private reply(client: Address, reqId: number, result: unknown, background: boolean): void {
    if (reqId < 0) return;
    this.env.send(client, { type: "gcs.reply", reqId, result } satisfies GcsReplyMessage, GCS_MESSAGE_BYTES, background ? "background" : "work");
  }

  private publish(notifications: ReadonlyArray<[Address, GcsNotification]>): void {
    for (const [to, notification] of notifications) {
      // Heartbeat fan-out to the global scheduler is background; a node's death is work.
      const urgency = notification.table === "node" && notification.row.state === "alive" ? "background" : "work";
      this.env.send(to, { type: "gcs.notify", notification } satisfies GcsNotifyMessage, GCS_MESSAGE_BYTES, urgency);
    }
  }

  /** The tail's duty for an applied write. */
  private deliver(a: AppliedEntry): void {
    this.reply(a.entry.client, a.entry.reqId, a.result, a.entry.background);
    this.publish(a.notifications);
  }

  // ---- ordering and passing writes on ----

  /** The head orders a write: it gets the next seq and is applied here first. */
  sequence(op: ChainOp, client: Address, reqId: number, lowWater: number, background: boolean): void {
    assert(this.isHead, "sequence: not the head");
    this.applyAndPass({ seq: this.appliedSeq + 1, op, client, reqId, lowWater, tUs: this.env.nowUs(), background });
  }

  private applyAndPass(entry: ChainEntry): void {
    // Hot path: the message is built only on failure.
    if (entry.seq !== this.appliedSeq + 1) assert(false, `GCS replica: seq ${entry.seq} after ${this.appliedSeq}`);
    const applied = applyChainEntry(this.state, this.dedupe, entry);
    this.appliedSeq = entry.seq;
    this.opsApplied++;
    if (this.successor !== undefined) {
      this.log.pushSent(applied, this.env.nowUs());
      this.env.send(this.successor, { type: "chain.write", entry } satisfies ChainMessage, GCS_MESSAGE_BYTES, entry.background ? "background" : "work");
    } else if (!this.tailRole) {
      assert(this.retained.length < HELD_READS_MAX * 16, "GCS joiner: too many writes retained before the handover");
      this.retained.push(applied);
    }
    if (this.tailRole) this.deliver(applied);
  }

  private onWrite(from: Address, entry: ChainEntry): void {
    if (from !== this.predecessor) return; // from a replica no longer before us: stale
    if (this.installed && entry.seq <= this.appliedSeq) return this.sendAck(entry.background);
    this.log.addEarly(entry);
    if (this.installed) this.drainEarly();
  }

  /** Applies the writes that now follow without a gap, then acknowledges them. */
  private drainEarly(): void {
    let applied = 0;
    let background = true;
    for (let next = this.log.early.get(this.appliedSeq + 1); next !== undefined; next = this.log.early.get(this.appliedSeq + 1)) {
      this.log.early.delete(next.seq);
      background &&= next.background;
      this.applyAndPass(next);
      applied++;
    }
    if (applied > 0) this.sendAck(background);
    this.releaseHeldReads();
  }

  /** Tells the predecessor how far this replica's acknowledgements go. */
  private sendAck(background: boolean): void {
    if (this.predecessor === undefined) return;
    const seq = this.tailRole || this.successor === undefined ? this.appliedSeq : this.log.ackedSeq;
    if (seq <= 0) return;
    this.env.send(this.predecessor, { type: "chain.ack", seq } satisfies ChainMessage, 64, background ? "background" : "work");
  }

  private onAck(from: Address, seq: number): void {
    if (from !== this.successor) return;
    this.log.ack(seq, this.env.nowUs());
    // The tail acknowledges on its own; a joiner's acks only free this replica's log.
    if (!this.tailRole && this.predecessor !== undefined) this.env.send(this.predecessor, { type: "chain.ack", seq } satisfies ChainMessage, 64);
  }

  private resendUnacked(): void {
    assert(this.successor !== undefined, "resendUnacked: no successor");
    for (const a of this.log.unacked()) {
      this.env.send(this.successor, { type: "chain.write", entry: a.entry } satisfies ChainMessage, GCS_MESSAGE_BYTES, a.entry.background ? "background" : "work");
    }
    this.log.progressUs = this.env.nowUs();
  }

  private releaseHeldReads(): void {
    if (this.heldReads.length === 0 || this.appliedSeq < this.handoverSeq) return;
    for (const m of this.heldReads.splice(0)) this.serveRead(m);
  }

  // ---- configuration, leases, joins ----

  private onPing(from: Address, config: ChainConfig, sentUs: number, leaseUs: number): void {
    this.leaseUntilUs = Math.max(this.leaseUntilUs, sentUs + leaseUs);
    this.watchLease();
    this.adopt(config);
    this.env.send(from, { type: "chain.pong", shard: this.options.shardIndex, epoch: this.config!.epoch, appliedSeq: this.appliedSeq } satisfies ChainMessage, 64, "background");
    // A successor silent for a lease: messages were lost, send the writes again.
    const c = this.config!;
    if (this.successor !== undefined && this.log.unackedCount > 0 && this.env.nowUs() - this.log.progressUs >= leaseUs) this.resendUnacked();
    if (c.promote && c.joiner !== undefined && this.handedOverTransferId === c.transferId) this.sendHandover(c);
  }

  /** Applies a newer configuration: this replica's place in the chain, and what follows from it. */
  adopt(config: ChainConfig): void {
    assert(config.shard === this.options.shardIndex, `adopt: config of shard ${config.shard}`);
    assert(config.members.length > 0, "adopt: a chain with no member");
    if (this.config !== undefined && config.epoch <= this.config.epoch) return;
    this.config = config;
    const i = config.members.indexOf(this.env.self);
    this.member = i >= 0;
    if (!this.member) return this.adoptOutside(config);
    this.stopJoinTicks();
    this.predecessor = i > 0 ? config.members[i - 1] : undefined;
    const last = i === config.members.length - 1;
    if (!last) this.tailRole = false;
    else if (config.joiner !== undefined && config.promote) this.handOver(config);
    else if (!this.tailRole) this.becomeTail();
    const successor = last ? config.joiner : config.members[i + 1];
    if (successor !== this.successor) {
      this.successor = successor;
      if (successor === undefined) this.log.clearSent();
      else if (successor === config.joiner) this.sendSnapshot(config.transferId);
      else this.resendUnacked();
    } else if (successor !== undefined && successor === config.joiner && this.transferSentId !== config.transferId) {
      this.sendSnapshot(config.transferId);
    }
    this.setHead(i === 0);
  }

  private adoptOutside(config: ChainConfig): void {
    this.setHead(false);
    this.successor = undefined;
    if (config.joiner !== this.env.self) {
      // Removed (or not yet admitted): whatever this replica held is stale. Start over and ask in.
      if (this.installed) this.reset();
      this.predecessor = undefined;
      return this.scheduleJoinTick();
    }
    if (this.installed && config.transferId > this.installedTransferId) this.reset(); // a new transfer
    this.predecessor = config.members[config.members.length - 1];
    this.scheduleJoinTick();
  }

  /**
   * A member whose lease ran out may have been removed without hearing of it (cut off from the
   * master): it asks to join until it hears again, as a member (lease renewed) or a joiner.
   */
  private watchLease(): void {
    if (this.leaseTimer !== undefined) return;
    this.leaseTimer = this.env.setTimer(Math.max(1, this.leaseUntilUs - this.env.nowUs() + 1), () => {
      this.leaseTimer = undefined;
      if (this.env.nowUs() < this.leaseUntilUs) return this.watchLease();
      this.scheduleJoinTick();
    }, "background");
  }

  private setHead(head: boolean): void {
    this.isHead = head;
    if (head && this.head === undefined) {
      this.head = new ShardHead(this, {
        heartbeatIntervalUs: this.options.heartbeatIntervalUs,
        heartbeatTimeoutUs: this.options.heartbeatTimeoutUs,
        memorySampleUs: this.options.memorySampleUs,
        flush: this.options.flush,
      });
    } else if (!head && this.head !== undefined) {
      this.head.stop();
      this.head = undefined;
    }
  }

  /** Takes the tail role with the writes in flight: their replies may never have gone out. */
  private becomeTail(): void {
    this.tailRole = true;
    for (const a of this.log.unacked()) this.deliver(a);
    for (const a of this.retained) if (a.entry.seq > this.handoverSeq) this.deliver(a);
    this.retained = [];
    this.sendAck(false);
  }

  /** The old tail hands its role to a joiner that holds the state: it replies after `seq`. */
  private handOver(config: ChainConfig): void {
    if (this.handedOverTransferId === config.transferId) return;
    this.handedOverTransferId = config.transferId;
    this.tailRole = false;
    this.sendHandover(config);
  }

  private sendHandover(config: ChainConfig): void {
    this.env.send(config.joiner!, { type: "chain.handover", transferId: config.transferId, seq: this.appliedSeq } satisfies ChainMessage, 64);
  }

  private sendSnapshot(transferId: number): void {
    assert(this.tailRole, "sendSnapshot: only the tail transfers its state");
    this.transferSentId = transferId;
    this.log.clearSent();
    const snapshot = takeSnapshot(this.state, this.dedupe ?? new RequestDedupe(), this.appliedSeq);
    this.env.send(this.successor!, { type: "chain.snapshot", transferId, snapshot } satisfies ChainMessage, snapshot.sizeBytes);
  }

  private onSnapshot(from: Address, transferId: number, snapshot: ShardSnapshot): void {
    if (transferId <= this.installedTransferId || this.member) return;
    if (this.config !== undefined && this.config.joiner === this.env.self && this.config.transferId !== transferId) return;
    const installed = installSnapshot(snapshot);
    this.state = installed.state;
    this.dedupe = installed.dedupe;
    this.appliedSeq = snapshot.seq;
    this.installed = true;
    this.installedTransferId = transferId;
    this.tailRole = false;
    this.retained = [];
    this.predecessor = from;
    this.log.dropEarlyThrough(snapshot.seq);
    this.drainEarly();
    this.env.send(this.options.master!, { type: "chain.joined", shard: this.options.shardIndex, transferId } satisfies ChainMessage, 64);
  }

  private onHandover(transferId: number, seq: number): void {
    if (transferId !== this.installedTransferId || !this.installed) return;
    if (!this.tailRole) {
      this.handoverSeq = seq;
      this.becomeTail();
      this.releaseHeldReads();
    }
    this.env.send(this.options.master!, { type: "chain.promoted", shard: this.options.shardIndex, transferId } satisfies ChainMessage, 64);
  }

  private reset(): void {
    this.setHead(false);
    this.state = this.freshState();
    this.dedupe = new RequestDedupe();
    this.appliedSeq = 0;
    this.installed = false;
    this.tailRole = false;
    this.handoverSeq = 0;
    this.log.clear();
    this.retained = [];
    for (const m of this.heldReads.splice(0)) this.notServing(m);
  }

  /** Outside the chain: ask to join; as a joiner, nudge whatever step of the transfer is due. */
  private scheduleJoinTick(): void {
    if (this.joinTimer !== undefined || this.options.master === undefined) return;
    // Backs off, so a long state transfer is not restarted by impatience.
    const delayUs = this.options.joinRetryUs * Math.min(64, 2 ** Math.min(6, this.joinTicks));
    this.joinTimer = this.env.setTimer(this.joinTicks === 0 ? 0 : delayUs, () => this.joinTick(), "background");
  }

  private stopJoinTicks(): void {
    if (this.joinTimer !== undefined) this.env.cancelTimer(this.joinTimer);
    this.joinTimer = undefined;
    this.joinTicks = 0;
  }

  private joinTick(): void {
    this.joinTimer = undefined;
    if (this.member && this.env.nowUs() < this.leaseUntilUs) return void (this.joinTicks = 0);
    this.joinTicks++;
    const shard = this.options.shardIndex;
    const c = this.config;
    let message: ChainMessage = { type: "chain.join", shard };
    if (c !== undefined && c.joiner === this.env.self) {
      if (!this.installed) {
        if (this.predecessor !== undefined && this.joinTicks > 1) this.env.send(this.predecessor, { type: "chain.snapshotRequest", transferId: c.transferId } satisfies ChainMessage, 64);
        return this.scheduleJoinTick();
      }
      message = this.tailRole ? { type: "chain.promoted", shard, transferId: c.transferId } : { type: "chain.joined", shard, transferId: c.transferId };
    }
    this.env.send(this.options.master!, message, 64);
    this.scheduleJoinTick();
  }

  private freshState(): GcsShardState {
    return new GcsShardState(this.options.shardIndex, this.options.maxLineageBytes, this.options.flush.flushBytes !== Infinity);
  }

  // ---- the head's hooks ----

  isServingHead(): boolean {
    return this.isHead && this.serving();
  }

  tellPeersNodeDied(node: string, incarnation: number): void {
    for (let s = 0; s < this.peerClient.shardCount; s++) {
      if (s !== this.options.shardIndex) this.peerClient.callShard(s, { op: "internal.nodeDead", node, incarnation, verdict: false });
    }
  }
}
