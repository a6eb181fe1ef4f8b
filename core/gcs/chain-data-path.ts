/**
 * The data path of a GCS shard replica (chain-messages.ts describes the protocol): ordering writes
 * at the head (shard-head.ts runs there), applying them in order and passing them on, acks back
 * up, the tail's replies and notifications, and reads. Reads are answered by any member holding
 * every acknowledged write — the tail, or any replica upstream of it, which holds at least as
 * much — within its lease, so a replica cut off from the master stops answering before the master
 * replaces it. Roles (head, tail, neighbours) are set by chain-replica.ts from the configuration.
 *
 * Invariants: writes are applied in seq order, each once; a replica's log holds every write it
 * passed on that its successor has not acknowledged, so a new successor, or this replica as the
 * new tail, can take them over; only the tail role replies.
 */
import { assert } from "../assert.js";
import type { Address, Env } from "../env.js";
import { applyChainEntry, type AppliedEntry } from "./chain-apply.js";
import { ChainLog } from "./chain-log.js";
import type {
  ChainConfig,
  ChainEntry,
  ChainMessage,
  ChainOp,
  ShardRequestMessage,
} from "./chain-messages.js";
import { GcsClient } from "./client.js";
import { answerFromStorage, readFlushedRows, type FlushOptions } from "./flusher.js";
import {
  GCS_MESSAGE_BYTES,
  isRead,
  type GcsNotification,
  type GcsNotifyMessage,
  type GcsOp,
  type GcsReplyMessage,
} from "./messages.js";
import { RequestDedupe } from "./request-dedupe.js";
import { flushedKeysOf } from "./shard-flush.js";
import { ShardHead } from "./shard-head.js";
import { GcsShardState } from "./shard-state.js";

export interface ChainReplicaOptions {
  shardIndex: number;
  /** How this replica reaches every shard as a client (its verdicts reach the others' locations). */
  peers: readonly Address[];
  /** The chain master; undefined: a single server, with no replication. */
  master: Address | undefined;
  /** Starts with the shard's (empty) state, as a first member; false: joins by state transfer. */
  installed: boolean;
  /**
   * A first member's chain at start (the deployment's layout, as every first server is configured
   * with it), head first: what it reports to a master that restarted before it ever pinged it.
   */
  initialMembers?: readonly Address[];
  heartbeatIntervalUs: number;
  heartbeatTimeoutUs: number;
  /** Cap on the bytes of task rows kept (the lineage); oldest finished rows go first. */
  maxLineageBytes: number;
  flush: FlushOptions;
  memorySampleUs: number;
  /** How often a replica outside the chain asks the master to let it join. */
  joinRetryUs: number;
}

/** Reads a fresh tail holds until it has every write its predecessor acknowledged. */
const HELD_READS_MAX = 1 << 16;

export abstract class ChainDataPath {
  state: GcsShardState;
  dedupe: RequestDedupe | undefined;
  appliedSeq = 0;
  installed: boolean;
  config: ChainConfig | undefined;
  opsApplied = 0;
  member = false;
  isHead = false;
  tailRole = false;
  predecessor: Address | undefined;
  successor: Address | undefined;
  protected leaseUntilUs: number;
  /** Serving on past the lease while the master is silent to the whole chain (chain-replica.ts). */
  protected graceUntilUs = -Infinity;
  protected readonly log = new ChainLog();
  /** A joiner's applied writes whose replies may be its own once the tail hands over. */
  protected retained: AppliedEntry[] = [];
  /**
   * A tail's writes applied while a joiner follows it, delivered once the joiner acknowledges them:
   * every write a client was told of is then also on the joiner, which the master can promote
   * should this tail die before handing over (the shard's last member, swarm seed 4066).
   */
  protected gated: AppliedEntry[] = [];
  /** A fresh tail replies for writes after this seq, and answers reads once it applied it. */
  protected handoverSeq = 0;
  protected readonly heldReads: ShardRequestMessage[] = [];
  /**
   * Since which epoch this replica has had its predecessor (successor) without a gap in the
   * configurations it adopted. Writes and acks carry their sender's epoch; one from before that
   * belongs to an earlier link between the same two replicas, whose seqs may number another
   * history (a head removed, a replica reset by a state transfer) and which the RPC layer may
   * still deliver late: swarm seed 9673 applied a write resent 200 ms on, at a seq the new
   * history had given another write, so a request ran twice. Such messages are dropped; what the
   * link still lacks is resent on the current one.
   */
  protected predecessorSinceEpoch = 0;
  protected successorSinceEpoch = 0;
  private head: ShardHead | undefined;
  protected readonly peerClient: GcsClient;

  constructor(
    readonly env: Env,
    protected readonly options: ChainReplicaOptions,
  ) {
    this.state = this.freshState();
    this.dedupe = options.master === undefined ? undefined : new RequestDedupe();
    this.installed = options.installed;
    this.leaseUntilUs = options.master === undefined ? Infinity : -Infinity;
    this.peerClient = new GcsClient(env, options.peers);
  }

  get shardIndex(): number {
    return this.options.shardIndex;
  }

  /** A joiner holding the tail role has applied every write the old tail acknowledged. */
  protected abstract caughtUp(): void;

  /** Member, holding state, within the lease the master's last ping granted (or a grace). */
  serving(): boolean {
    const now = this.env.nowUs();
    return this.installed && this.member && (now < this.leaseUntilUs || now < this.graceUntilUs);
  }

  protected onRequest(m: ShardRequestMessage): void {
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
    if (keys === undefined)
      return this.reply(
        m.client,
        m.reqId,
        this.state.apply(op, m.client, this.env.nowUs()).result,
        false,
      );
    readFlushedRows(this.env.storage, this.state, keys, (restore) =>
      this.reply(m.client, m.reqId, answerFromStorage(this.state, op, restore), false),
    );
  }

  protected notServing(m: ShardRequestMessage): void {
    if (this.options.master === undefined || m.reqId < 0) return;
    const message: ChainMessage = {
      type: "chain.notServing",
      shard: this.options.shardIndex,
      reqId: m.reqId,
    };
    this.env.send(m.client, message, GCS_MESSAGE_BYTES, "background");
  }

  protected reply(client: Address, reqId: number, result: unknown, background: boolean): void {
    if (reqId < 0) return;
    this.env.send(
      client,
      { type: "gcs.reply", reqId, result } satisfies GcsReplyMessage,
      GCS_MESSAGE_BYTES,
      background ? "background" : "work",
    );
  }

  protected publish(notifications: ReadonlyArray<[Address, GcsNotification]>): void {
    for (const [to, notification] of notifications) {
      // Heartbeat fan-out to the global scheduler is background; a node's death is work.
      const urgency =
        notification.table === "node" && notification.row.state === "alive" ? "background" : "work";
      this.env.send(
        to,
        { type: "gcs.notify", notification } satisfies GcsNotifyMessage,
        GCS_MESSAGE_BYTES,
        urgency,
      );
    }
  }

  /** The tail's duty for an applied write. */
  protected deliver(a: AppliedEntry): void {
    this.reply(a.entry.client, a.entry.reqId, a.result, a.entry.background);
    this.publish(a.notifications);
  }

  /** The head orders a write: it gets the next seq and is applied here first. */
  sequence(
    op: ChainOp,
    client: Address,
    session: string,
    reqId: number,
    lowWater: number,
    background: boolean,
  ): void {
    assert(this.isHead, "sequence: not the head");
    this.applyAndPass({
      seq: this.appliedSeq + 1,
      op,
      client,
      session,
      reqId,
      lowWater,
      tUs: this.env.nowUs(),
      background,
    });
  }

  private applyAndPass(entry: ChainEntry): void {
    // Hot path: the message is built only on failure.
    if (entry.seq !== this.appliedSeq + 1)
      assert(false, `GCS replica: seq ${entry.seq} after ${this.appliedSeq}`);
    const applied = applyChainEntry(this.state, this.dedupe, entry);
    this.appliedSeq = entry.seq;
    this.opsApplied++;
    if (this.successor !== undefined) {
      this.log.pushSent(applied, this.env.nowUs());
      this.env.send(
        this.successor,
        { type: "chain.write", entry, epoch: this.epoch } satisfies ChainMessage,
        GCS_MESSAGE_BYTES,
        entry.background ? "background" : "work",
      );
    } else if (!this.tailRole) {
      assert(
        this.retained.length < HELD_READS_MAX * 16,
        "GCS joiner: too many writes retained before the handover",
      );
      this.retained.push(applied);
    }
    if (this.tailRole && this.successor !== undefined) this.gated.push(applied);
    else if (this.tailRole) this.deliver(applied);
  }

  /** Delivers the gated writes up to `seq` (all of them: Infinity). */
  protected releaseGated(seq: number): void {
    let n = 0;
    while (n < this.gated.length && this.gated[n]!.entry.seq <= seq) this.deliver(this.gated[n++]!);
    if (n > 0) this.gated = this.gated.slice(n);
  }

  protected onWrite(from: Address, entry: ChainEntry, epoch: number): void {
    // From a replica no longer before us, or from an earlier link with it: stale.
    if (from !== this.predecessor || epoch < this.predecessorSinceEpoch) return;
    if (this.installed && entry.seq <= this.appliedSeq) return this.sendAck(entry.background);
    this.log.addEarly(entry);
    if (this.installed) this.drainEarly();
  }

  /** Applies the writes that now follow without a gap, then acknowledges them. */
  protected drainEarly(): void {
    let applied = 0;
    let background = true;
    for (
      let next = this.log.early.get(this.appliedSeq + 1);
      next !== undefined;
      next = this.log.early.get(this.appliedSeq + 1)
    ) {
      this.log.early.delete(next.seq);
      background &&= next.background;
      this.applyAndPass(next);
      applied++;
    }
    if (applied > 0) this.sendAck(background);
    this.releaseHeldReads();
    if (applied > 0 && this.tailRole && !this.member) this.caughtUp();
  }

  /** Tells the predecessor how far this replica's acknowledgements go. */
  protected sendAck(background: boolean): void {
    if (this.predecessor === undefined) return;
    const seq = this.tailRole || this.successor === undefined ? this.appliedSeq : this.log.ackedSeq;
    if (seq <= 0) return;
    this.env.send(
      this.predecessor,
      { type: "chain.ack", seq, epoch: this.epoch } satisfies ChainMessage,
      64,
      background ? "background" : "work",
    );
  }

  protected onAck(from: Address, seq: number, epoch: number): void {
    if (from !== this.successor || epoch < this.successorSinceEpoch) return;
    this.log.ack(seq, this.env.nowUs());
    this.releaseGated(seq);
    // The tail acknowledges on its own; a joiner's acks only free this replica's log.
    if (!this.tailRole && this.predecessor !== undefined)
      this.env.send(
        this.predecessor,
        { type: "chain.ack", seq, epoch: this.epoch } satisfies ChainMessage,
        64,
      );
  }

  protected resendUnacked(): void {
    assert(this.successor !== undefined, "resendUnacked: no successor");
    for (const a of this.log.unacked()) {
      this.env.send(
        this.successor,
        { type: "chain.write", entry: a.entry, epoch: this.epoch } satisfies ChainMessage,
        GCS_MESSAGE_BYTES,
        a.entry.background ? "background" : "work",
      );
    }
    this.log.progressUs = this.env.nowUs();
  }

  protected releaseHeldReads(): void {
    if (this.heldReads.length === 0 || this.appliedSeq < this.handoverSeq) return;
    for (const m of this.heldReads.splice(0)) this.serveRead(m);
  }

  /**
   * Writes held ahead of a gap came from the old predecessor; a new one resends what this replica
   * lacks, and a removed head's numbering may differ from the new head's, so they are dropped.
   */
  protected setPredecessor(predecessor: Address | undefined): void {
    if (predecessor !== this.predecessor) {
      this.log.early.clear();
      this.predecessorSinceEpoch = this.epoch;
    }
    this.predecessor = predecessor;
  }

  protected get epoch(): number {
    return this.config?.epoch ?? 0;
  }

  protected setHead(head: boolean): void {
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
  protected becomeTail(): void {
    this.tailRole = true;
    for (const a of this.log.unacked()) this.deliver(a);
    for (const a of this.retained) if (a.entry.seq > this.handoverSeq) this.deliver(a);
    this.retained = [];
    this.sendAck(false);
  }

  protected freshState(): GcsShardState {
    return new GcsShardState(
      this.options.shardIndex,
      this.options.maxLineageBytes,
      this.options.flush.flushBytes !== Infinity,
    );
  }

  isServingHead(): boolean {
    return this.isHead && this.serving();
  }

  tellPeersNodeDied(node: string, incarnation: number): void {
    for (let s = 0; s < this.peerClient.shardCount; s++) {
      if (s !== this.options.shardIndex)
        this.peerClient.callShard(s, {
          op: "internal.nodeDead",
          node,
          incarnation,
          verdict: false,
        });
    }
  }
}
