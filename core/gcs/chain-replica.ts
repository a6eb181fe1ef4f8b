/**
 * One replica of a GCS shard: its membership. The master's configuration gives it its place in the
 * chain (chain-master.ts); from it follow its roles and neighbours, a state transfer when a joiner
 * follows it, handing the tail role over to that joiner, and leases: a replica serves only within
 * the lease of the master's last ping. A replica outside the chain (fresh, or removed and still
 * alive) asks to join and starts from a copy of the tail's state. The data path is in
 * chain-data-path.ts.
 *
 * Invariant: a joiner becomes a member only once it holds every write the old tail acknowledged,
 * so no acknowledged write depends on a replica outside the chain.
 *
 * The master may die and restart empty (chain-master.ts rebuilds from `chain.report`s). While it is
 * silent, the configuration cannot change, so the chain serves on: a member whose lease ran out
 * asks every other member to vouch for it, and serves for another lease from the round's start
 * once all of them answer that they hold the same epoch and have no lease either. That is safe
 * because the master removes a member only once it has been silent to the master for a lease, and
 * while the master lives its pings keep the other members' leases valid, so they do not vouch for
 * the silent one; a restarted master removes nobody before a further two leases have passed. A
 * member that cannot be vouched for (one of them died) stops, and the shard waits for the master.
 *
 * With no master (`master: undefined`) it is a single server, head and tail at once: the shard as
 * Ray ran it without replication (and this simulator's `gcs.replicas: 1`).
 */
import { assert, unreachable } from "../assert.js";
import type { Address, Env, Message, Process, TimerId } from "../env.js";
import { ChainDataPath, type ChainReplicaOptions } from "./chain-data-path.js";
import type {
  ChainConfig,
  ChainMessage,
  ReplicaMessage,
  ShardRequestMessage,
} from "./chain-messages.js";
import { RequestDedupe } from "./request-dedupe.js";
import { installSnapshot, takeSnapshot, type ShardSnapshot } from "./shard-snapshot.js";

export type { ChainReplicaOptions } from "./chain-data-path.js";

export class ChainReplica extends ChainDataPath implements Process {
  installedTransferId: number;
  private handedOverTransferId = -1;
  /**
   * The last seq this replica delivered as the tail before it handed the role over: the joiner
   * delivers every write after it. Fixed when the role is given up, so a handover resent after
   * its first copy was lost still names it (swarm seed 654: a resend named the seq applied by then,
   * and the writes in between, a node's death among them, were delivered by neither replica).
   */
  private handedOverSeq = 0;
  private promotedSentFor = -1;
  private transferSentId = -1;
  private joinTimer: TimerId | undefined;
  private leaseTimer: TimerId | undefined;
  private joinTicks = 0;
  /** The lease the master's pings grant; a grace lasts as long. 0: never pinged, no grace. */
  private leaseUs = 0;
  private vouchRoundUs = -1;
  /** The newest epoch in which a ping granted this replica a lease. */
  private leasedEpoch = 0;
  private readonly vouchedBy = new Set<Address>();

  constructor(env: Env, options: ChainReplicaOptions) {
    super(env, options);
    this.installedTransferId = options.installed ? 0 : -1;
    if (options.master === undefined) {
      this.adopt({
        shard: options.shardIndex,
        epoch: 1,
        members: [env.self],
        joiner: undefined,
        transferId: 0,
        promote: false,
      });
    } else if (!options.installed) {
      this.scheduleJoinTick();
    } else if (options.initialMembers !== undefined) {
      this.reportInitialUntilPinged(options.initialMembers);
    }
  }

  /**
   * A first member learns its chain from the master's first ping. Should the master die before
   * that ping reaches it, the successor starts empty and learns each chain only from its members'
   * reports (chain-master.ts), and a replica that knows no configuration reports none: the GCS
   * would stay down for good (swarm seed 950: killGcsMaster at 0 ms). So until a configuration
   * comes, it reports the deployment's chain (every first server is configured with it) every
   * join interval. It adopts nothing itself: it serves only once pinged, as before.
   */
  private reportInitialUntilPinged(initialMembers: readonly Address[]): void {
    assert(
      initialMembers.includes(this.env.self),
      `chain replica ${this.env.self}: installed, but not among the shard's first members`,
    );
    const config: ChainConfig = {
      shard: this.options.shardIndex,
      epoch: 1,
      members: [...initialMembers],
      joiner: undefined,
      transferId: 0,
      promote: false,
    };
    const tick = () => {
      if (this.config !== undefined) return;
      this.env.send(
        this.options.master!,
        { type: "chain.report", shard: config.shard, config, appliedSeq: this.appliedSeq },
        64,
        "background",
      );
      this.env.setTimer(this.options.joinRetryUs, tick, "background");
    };
    this.env.setTimer(this.options.joinRetryUs, tick, "background");
  }

  onMessage(from: Address, message: Message): void {
    if (message.type === "gcs.request") return this.onRequest(message as ShardRequestMessage);
    if (message.type === "gcs.reply" || message.type === "gcs.notify")
      return void this.peerClient.handle(message);
    const m = message as ReplicaMessage;
    switch (m.type) {
      case "chain.write":
        return this.onWrite(from, m.entry, m.epoch);
      case "chain.ack":
        return this.onAck(from, m.seq, m.epoch);
      case "chain.config":
        this.peerClient.handle(m);
        if (m.config.shard === this.options.shardIndex) this.adopt(m.config);
        return;
      case "chain.ping":
        return this.onPing(from, m.config, m.sentUs, m.leaseUs);
      case "chain.snapshot":
        return this.onSnapshot(from, m.transferId, m.snapshot);
      case "chain.snapshotRequest":
        if (
          this.config?.joiner === from &&
          this.config.transferId === m.transferId &&
          this.successor === from &&
          this.tailRole
        )
          this.sendSnapshot(m.transferId);
        return;
      case "chain.handover":
        return this.onHandover(m.transferId, m.seq);
      case "chain.notServing":
        return void this.peerClient.handle(m);
      case "chain.vouchRequest":
        return this.onVouchRequest(from, m.epoch, m.sentUs);
      case "chain.vouch":
        return this.onVouch(from, m.epoch, m.sentUs);
      default:
        unreachable(m, "GCS replica message");
    }
  }

  private onPing(from: Address, config: ChainConfig, sentUs: number, leaseUs: number): void {
    if (this.config !== undefined && config.epoch < this.config.epoch) {
      // A restarted master that adopted a stale report: no lease from a configuration this chain
      // left behind (it would keep the members from reporting, and the master stale for good).
      // Tell it what this replica holds; the newest epoch wins there.
      const report: ChainMessage = {
        type: "chain.report",
        shard: this.options.shardIndex,
        config: this.config,
        appliedSeq: this.appliedSeq,
      };
      this.env.send(from, report, 64, "background");
      return;
    }
    this.leaseUntilUs = Math.max(this.leaseUntilUs, sentUs + leaseUs);
    if (leaseUs > 0) this.leaseUs = leaseUs;
    this.watchLease();
    this.adopt(config);
    // A lease granted with the configuration that left this replica alone stands (adopt voids
    // the old one); a ping without one (leaseUs 0) asks it to confirm the configuration first.
    if (leaseUs > 0 && this.config?.epoch === config.epoch) {
      this.leasedEpoch = config.epoch;
      this.leaseUntilUs = Math.max(this.leaseUntilUs, sentUs + leaseUs);
    }
    this.env.send(
      from,
      {
        type: "chain.pong",
        shard: this.options.shardIndex,
        epoch: this.config!.epoch,
        appliedSeq: this.appliedSeq,
      } satisfies ChainMessage,
      64,
      "background",
    );
    // A successor silent for a lease: messages were lost, send the writes again.
    const c = this.config!;
    if (this.successor !== undefined && this.log.resendDue(this.env.nowUs(), leaseUs)) {
      this.resendUnacked();
      this.log.resent(this.env.nowUs(), leaseUs);
    }
    if (c.promote && c.joiner !== undefined && this.handedOverTransferId === c.transferId)
      this.sendHandover(c);
  }

  /** Applies a newer configuration: this replica's place in the chain, and what follows from it. */
  adopt(config: ChainConfig): void {
    assert(config.shard === this.options.shardIndex, `adopt: config of shard ${config.shard}`);
    assert(config.members.length > 0, "adopt: a chain with no member");
    if (this.config !== undefined && config.epoch <= this.config.epoch) return;
    const previous = this.config;
    // Configurations skipped: a link that looks unchanged may have been broken and made again.
    if (this.config === undefined || config.epoch !== this.config.epoch + 1)
      this.predecessorSinceEpoch = this.successorSinceEpoch = config.epoch;
    this.config = config;
    const i = config.members.indexOf(this.env.self);
    this.member = i >= 0;
    if (!this.member) return this.adoptOutside(config);
    const aloneBefore = previous?.members.length === 1 && previous.members[0] === this.env.self;
    if (this.options.master !== undefined && config.members.length === 1 && !aloneBefore) {
      // Left alone (or taken back) by a removal: the master lets it serve only once it has heard
      // this replica confirm the configuration, so until then its old lease and grace are void.
      this.leaseUntilUs = -Infinity;
      this.graceUntilUs = -Infinity;
    }
    this.stopJoinTicks();
    // A member out of lease keeps reporting until a ping renews it: a configuration pushed to it
    // (not a ping) renews nothing, and left without ticks it would fall silent for good, so the
    // master, once it removed it, could never tell it so (swarm seed 4528).
    if (this.env.nowUs() >= this.leaseUntilUs) this.scheduleJoinTick();
    this.setPredecessor(i > 0 ? config.members[i - 1] : undefined);
    const last = i === config.members.length - 1;
    if (!last) this.tailRole = false;
    else if (config.joiner !== undefined && config.promote) this.handOver(config);
    else if (!this.tailRole) this.becomeTail();
    const successor = last ? config.joiner : config.members[i + 1];
    if (successor !== this.successor) {
      this.successor = successor;
      if (successor === undefined) this.releaseGated(Infinity);
      this.successorSinceEpoch = config.epoch;
      if (successor === undefined) this.log.clearSent();
      else if (successor === config.joiner) this.sendSnapshot(config.transferId);
      else this.resendUnacked();
    } else if (
      successor !== undefined &&
      successor === config.joiner &&
      this.transferSentId !== config.transferId
    ) {
      this.sendSnapshot(config.transferId);
    }
    this.setHead(i === 0);
  }

  private adoptOutside(config: ChainConfig): void {
    this.setHead(false);
    this.successor = undefined;
    if (config.joiner !== this.env.self) {
      // Removed (or not yet admitted): it serves no more and asks in again. It keeps its state
      // until a transfer replaces it: should the member left alone die before confirming the
      // configuration that removed this one, the master takes this one back (chain-master.ts).
      this.tailRole = false;
      for (const m of this.heldReads.splice(0)) this.notServing(m);
      this.setPredecessor(undefined);
      return this.scheduleJoinTick();
    }
    if (this.installed && config.transferId > this.installedTransferId) this.reset(); // a new transfer
    this.setPredecessor(config.members[config.members.length - 1]);
    this.scheduleJoinTick();
  }

  /**
   * A member whose lease ran out may have been removed without hearing of it (cut off from the
   * master): it asks to join until it hears again, as a member (lease renewed) or a joiner.
   */
  private watchLease(): void {
    if (this.leaseTimer !== undefined) return;
    this.leaseTimer = this.env.setTimer(
      Math.max(1, this.leaseUntilUs - this.env.nowUs() + 1),
      () => {
        this.leaseTimer = undefined;
        if (this.env.nowUs() < this.leaseUntilUs) return this.watchLease();
        this.scheduleJoinTick();
      },
      "background",
    );
  }

  /** The old tail hands its role to a joiner that holds the state: it replies after `seq`. */
  private handOver(config: ChainConfig): void {
    if (this.handedOverTransferId === config.transferId) return;
    this.handedOverTransferId = config.transferId;
    this.handedOverSeq = this.appliedSeq;
    this.tailRole = false;
    this.sendHandover(config);
  }

  private sendHandover(config: ChainConfig): void {
    this.env.send(
      config.joiner!,
      {
        type: "chain.handover",
        transferId: config.transferId,
        seq: this.handedOverSeq,
      } satisfies ChainMessage,
      64,
    );
  }

  private sendSnapshot(transferId: number): void {
    assert(this.tailRole, "sendSnapshot: only the tail transfers its state");
    this.transferSentId = transferId;
    // The snapshot holds them: they wait for no acknowledgement of the previous transfer.
    this.releaseGated(Infinity);
    this.log.clearSent();
    const snapshot = takeSnapshot(this.state, this.dedupe ?? new RequestDedupe(), this.appliedSeq);
    this.env.send(
      this.successor!,
      { type: "chain.snapshot", transferId, snapshot } satisfies ChainMessage,
      snapshot.sizeBytes,
    );
  }

  private onSnapshot(from: Address, transferId: number, snapshot: ShardSnapshot): void {
    if (transferId <= this.installedTransferId || this.member) return;
    if (
      this.config !== undefined &&
      this.config.joiner === this.env.self &&
      this.config.transferId !== transferId
    )
      return;
    const installed = installSnapshot(snapshot);
    this.state = installed.state;
    this.dedupe = installed.dedupe;
    this.appliedSeq = snapshot.seq;
    this.installed = true;
    this.installedTransferId = transferId;
    this.tailRole = false;
    this.retained = [];
    this.setPredecessor(from);
    this.log.dropEarlyThrough(snapshot.seq);
    this.drainEarly();
    this.env.send(
      this.options.master!,
      { type: "chain.joined", shard: this.options.shardIndex, transferId } satisfies ChainMessage,
      64,
    );
  }

  private onHandover(transferId: number, seq: number): void {
    if (transferId !== this.installedTransferId || !this.installed) return;
    if (!this.tailRole) {
      this.handoverSeq = seq;
      this.becomeTail();
      this.releaseHeldReads();
    }
    this.reportPromoted(false);
  }

  /**
   * A joiner that took the tail role joins the chain only once it holds every write the old tail
   * acknowledged (up to the handover): were the old tail lost before, those writes would be too.
   */
  protected caughtUp(): void {
    this.reportPromoted(false);
  }

  private reportPromoted(again: boolean): void {
    if (this.member || !this.tailRole || this.appliedSeq < this.handoverSeq) return;
    if (!again && this.promotedSentFor === this.installedTransferId) return;
    assert(this.installed, "reportPromoted: a tail without state");
    this.promotedSentFor = this.installedTransferId;
    const message: ChainMessage = {
      type: "chain.promoted",
      shard: this.options.shardIndex,
      transferId: this.installedTransferId,
    };
    this.env.send(this.options.master!, message, 64, again ? "background" : "work");
  }

  /** Out of lease: report to the master (a restarted one rebuilds from this) and seek a grace. */
  private graceTick(): void {
    const c = this.config!;
    const shard = this.options.shardIndex;
    const now = this.env.nowUs();
    this.env.send(
      this.options.master!,
      {
        type: "chain.report",
        shard,
        config: c,
        appliedSeq: this.appliedSeq,
      } satisfies ChainMessage,
      64,
      "background",
    );
    if (!this.installed || this.leaseUs === 0) return;
    this.vouchRoundUs = now;
    this.vouchedBy.clear();
    const others = c.members.filter((m) => m !== this.env.self);
    // The sole member: the master never removes the last copy, so nobody else could serve; unless
    // a joiner holds it too (the master may promote that one in its place).
    if (others.length === 0) {
      // Not before the master granted it a lease in this configuration: until then the master
      // may still take back the replica whose removal left this one alone.
      if (c.joiner === undefined && this.leasedEpoch === c.epoch) this.extendGrace(now);
      return;
    }
    for (const o of others)
      this.env.send(
        o,
        { type: "chain.vouchRequest", shard, epoch: c.epoch, sentUs: now } satisfies ChainMessage,
        64,
        "background",
      );
  }

  private onVouchRequest(from: Address, epoch: number, sentUs: number): void {
    const c = this.config;
    if (
      !this.installed ||
      !this.member ||
      c === undefined ||
      c.epoch !== epoch ||
      !c.members.includes(from)
    )
      return;
    if (this.env.nowUs() < this.leaseUntilUs) return; // the master is alive: it decides about `from`
    this.env.send(
      from,
      { type: "chain.vouch", shard: this.options.shardIndex, epoch, sentUs } satisfies ChainMessage,
      64,
      "background",
    );
  }

  private onVouch(from: Address, epoch: number, sentUs: number): void {
    const c = this.config;
    if (
      c === undefined ||
      sentUs !== this.vouchRoundUs ||
      epoch !== c.epoch ||
      !c.members.includes(from)
    )
      return;
    this.vouchedBy.add(from);
    if (c.members.every((m) => m === this.env.self || this.vouchedBy.has(m)))
      this.extendGrace(sentUs);
  }

  private extendGrace(roundUs: number): void {
    this.graceUntilUs = Math.max(this.graceUntilUs, roundUs + this.leaseUs);
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
    this.gated = [];
    for (const m of this.heldReads.splice(0)) this.notServing(m);
  }

  /** Outside the chain: ask to join; as a joiner, nudge whatever step of the transfer is due. */
  private scheduleJoinTick(): void {
    if (this.joinTimer !== undefined || this.options.master === undefined) return;
    // Backs off, so a long state transfer is not restarted by impatience.
    // A member out of lease does not back off: its grace is renewed every interval.
    const delayUs = this.member
      ? this.options.joinRetryUs
      : this.options.joinRetryUs * Math.min(64, 2 ** Math.min(6, this.joinTicks));
    this.joinTimer = this.env.setTimer(
      this.joinTicks === 0 ? 0 : delayUs,
      () => this.joinTick(),
      "background",
    );
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
    if (this.member) {
      this.graceTick();
      return this.scheduleJoinTick();
    }
    const shard = this.options.shardIndex;
    const c = this.config;
    let message: ChainMessage = { type: "chain.join", shard };
    if (c !== undefined && c.joiner === this.env.self) {
      if (!this.installed) {
        if (this.predecessor !== undefined && this.joinTicks > 1)
          this.env.send(
            this.predecessor,
            { type: "chain.snapshotRequest", transferId: c.transferId } satisfies ChainMessage,
            64,
            "background",
          );
        return this.scheduleJoinTick();
      }
      if (this.tailRole) {
        this.reportPromoted(true);
        return this.scheduleJoinTick();
      }
      message = { type: "chain.joined", shard, transferId: c.transferId };
    }
    // Periodic nudges are background: a replica that can never join must not keep a run alive.
    this.env.send(this.options.master!, message, 64, "background");
    this.scheduleJoinTick();
  }
}
