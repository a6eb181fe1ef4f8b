/**
 * The chain master (Ray paper §4.2.3: "a chain master"): owns each shard's chain configuration and
 * changes it in three cases.
 * - A replica stops answering pings: after `missedPings` intervals it is suspected and no longer
 *   pinged; once the lease of its last ping has run out (so it has stopped serving) it is removed,
 *   as soon as a replica staying in the chain has been heard from since (see survivorHeardSince).
 *   A suspect heard from before that (a pong, or the report of a member out of lease) is pinged
 *   again instead (see heard). A removal that leaves one member keeps the removed replica as a
 *   standby until that member confirms (see Solo).
 *   The chain closes the gap: its neighbours resend or take over (chain-replica.ts). The last
 *   member is never removed: it holds the only copy of the shard, so the shard waits for it;
 *   unless a joiner has installed its state: the tail holds back its replies until the joiner has
 *   each write (chain-data-path.ts), so that joiner holds every acknowledged write and takes over.
 * - A fresh replica asks to join: the tail sends it the state; when it holds it, the tail hands
 *   the tail role over, and the master appends it to the chain. One join at a time per shard.
 * - A join whose source (the tail) left restarts from the new tail.
 * Replicas learn the configuration from pings (which repair any lost push); clients from lookups
 * and from a push whenever the members change.
 *
 * It may crash and restart empty (`initialMembers: undefined`). It then rebuilds each shard's
 * configuration from the replicas: a member whose lease ran out reports its configuration every
 * ping interval (chain.report), and the highest epoch per shard wins; a shard is unknown (lookups,
 * joins unanswered; clients ask again) until its first report. While it was down the chains served
 * on by vouching for each other (chain-replica.ts); so that no member it cannot reach still serves
 * when it removes one, it removes nobody for two leases after its start.
 */
import { assert, unreachable } from "../assert.js";
import type { Address, Env, Message, Process, Urgency } from "../env.js";
import type { ChainConfig, ChainMessage, MasterMessage } from "./chain-messages.js";
import { GCS_MESSAGE_BYTES } from "./messages.js";

export interface ChainMasterOptions {
  /** Each shard's first members, head first; undefined: a restart, rebuilding from the replicas. */
  initialMembers: readonly (readonly Address[])[] | undefined;
  shards: number;
  pingIntervalUs: number;
  /** Pings missed before a replica is suspected; the lease lasts as long. */
  missedPings: number;
  /** Told to clients: how long they wait for a reply before asking again. */
  requestTimeoutUs: number;
}

interface Watch {
  lastPongUs: number;
  lastPingSentUs: number;
  suspected: boolean;
  /** The last pong or report received, suspected or not: evidence the replica was alive then. */
  lastHeardUs: number;
}

/**
 * A shard left with one member by a removal, until that member confirms the configuration. Until
 * then it gets no lease (it serves nothing the removed replica lacks), and the removed replica
 * (`standby`), which keeps its state until a transfer replaces it, still holds every write the
 * shard acknowledged. Should the member fall silent unconfirmed, the master takes the standby
 * back rather than wait for a dead member forever (swarm seed 7160: message loss had the master
 * remove the live head just as the tail was killed).
 */
interface Solo {
  member: Address;
  epoch: number;
  standby: Address | undefined;
  sinceUs: number;
}

interface ShardChain {
  config: ChainConfig;
  /** Replicas waiting to join, oldest first. */
  readonly waiting: Address[];
}

export class ChainMaster implements Process {
  /** Per shard; undefined while a restarted master has heard from none of its replicas. */
  readonly chains: Array<ShardChain | undefined>;
  /** A restarted master removes nobody before this (see above). */
  private readonly holdUntilUs: number;
  private readonly watches = new Map<Address, Watch>();
  private readonly solos = new Map<number, Solo>();
  private readonly clients = new Set<Address>();
  private transfers = 0;
  reconfigurations = 0;

  constructor(
    private readonly env: Env,
    private readonly options: ChainMasterOptions,
  ) {
    assert(options.shards > 0, "chain master: no shards");
    assert(options.pingIntervalUs > 0, "chain master: ping interval must be > 0");
    assert(options.missedPings >= 1, "chain master: missedPings must be >= 1");
    this.holdUntilUs =
      options.initialMembers === undefined ? env.nowUs() + 2 * this.leaseUs : -Infinity;
    if (options.initialMembers === undefined) {
      this.chains = Array.from({ length: options.shards }, () => undefined);
      this.tick();
      return;
    }
    assert(
      options.initialMembers.length === options.shards,
      "chain master: initial members for every shard",
    );
    this.chains = options.initialMembers.map((members, shard) => {
      assert(members.length > 0, `chain master: shard ${shard} has no replica`);
      for (const m of members) this.watch(m);
      return {
        config: {
          shard,
          epoch: 1,
          members: [...members],
          joiner: undefined,
          transferId: 0,
          promote: false,
        },
        waiting: [],
      };
    });
    this.tick();
  }

  get leaseUs(): number {
    return this.options.pingIntervalUs * this.options.missedPings;
  }

  config(shard: number): ChainConfig {
    const chain = this.chains[shard];
    assert(chain !== undefined, `chain master: no shard ${shard}`);
    return chain.config;
  }

  /** The shard's configuration, or undefined while a restarted master has not learned it. */
  known(shard: number): ChainConfig | undefined {
    assert(shard >= 0 && shard < this.options.shards, `chain master: no shard ${shard}`);
    return this.chains[shard]?.config;
  }

  onMessage(from: Address, message: Message): void {
    const m = message as MasterMessage;
    if (m.type === "chain.report") return this.onReport(from, m.shard, m.config);
    if (m.type === "chain.lookup") this.clients.add(from);
    // Not yet learned from its replicas (a restart): whoever asks, asks again.
    if (this.known(m.shard) === undefined) return;
    switch (m.type) {
      case "chain.lookup":
        return this.sendConfig(from, this.config(m.shard), "background");
      case "chain.pong": {
        this.heard(from);
        return this.confirmed(m.shard, from, m.epoch);
      }
      case "chain.join":
        return this.onJoin(m.shard, from);
      case "chain.joined": {
        const c = this.config(m.shard);
        if (c.joiner !== from || c.transferId !== m.transferId || c.promote) return;
        return this.reconfigure(m.shard, { ...c, promote: true }, false);
      }
      case "chain.promoted": {
        const c = this.config(m.shard);
        if (c.joiner !== from || c.transferId !== m.transferId || !c.promote) return;
        this.reconfigure(
          m.shard,
          { ...c, members: [...c.members, from], joiner: undefined, promote: false },
          true,
        );
        return this.startNextJoin(m.shard);
      }
      default:
        unreachable(m, "chain master message");
    }
  }

  /** A member out of lease reports its configuration: a restarted master adopts the newest. */
  private onReport(from: Address, shard: number, config: ChainConfig): void {
    assert(
      config.shard === shard,
      `chain master: report for shard ${shard} carries shard ${config.shard}`,
    );
    const chain = this.chains[shard];
    this.heard(from);
    this.confirmed(shard, from, config.epoch);
    if (chain !== undefined && config.epoch < chain.config.epoch) {
      // A stale reporter: typically a member removed while it was cut off, which no ping reaches
      // any more; told the configuration, it sees it is outside the chain and asks to join again.
      return this.sendConfig(from, chain.config, "background");
    }
    if (chain !== undefined && config.epoch === chain.config.epoch) return;
    this.chains[shard] = { config, waiting: chain?.waiting ?? [] };
    this.transfers = Math.max(this.transfers, config.transferId);
    const now = this.env.nowUs();
    for (const r of [...config.members, ...(config.joiner === undefined ? [] : [config.joiner])]) {
      const watch = this.watches.get(r);
      if (watch === undefined) this.watch(r);
      else if (!watch.suspected) watch.lastPongUs = Math.max(watch.lastPongUs, now);
    }
    // Clients that looked it up while it was unknown get it now.
    for (const client of this.clients) this.sendConfig(client, config, "background");
  }

  private onJoin(shard: number, from: Address): void {
    const chain = this.chains[shard]!;
    const c = chain.config;
    if (c.members.includes(from) || chain.waiting.includes(from)) return;
    if (c.joiner === from) return this.sendConfig(from, c, "background");
    this.watch(from);
    this.watches.get(from)!.lastHeardUs = this.env.nowUs();
    chain.waiting.push(from);
    this.startNextJoin(shard);
  }

  private startNextJoin(shard: number): void {
    const chain = this.chains[shard]!;
    if (chain.config.joiner !== undefined) return;
    // A transfer resets the joiner's state: the standby waits until it cannot be needed.
    const standby = this.solos.get(shard)?.standby;
    const next = chain.waiting.findIndex((r) => r !== standby);
    if (next < 0) return;
    const joiner = chain.waiting.splice(next, 1)[0]!;
    this.reconfigure(
      shard,
      { ...chain.config, joiner, transferId: ++this.transfers, promote: false },
      false,
    );
  }

  /** Publishes a configuration: to every replica concerned and, when members changed, to clients. */
  private reconfigure(
    shard: number,
    next: Omit<ChainConfig, "epoch">,
    membersChanged: boolean,
  ): void {
    const chain = this.chains[shard];
    assert(chain !== undefined, `chain master: reconfiguring unknown shard ${shard}`);
    assert(next.members.length > 0, `chain master: shard ${shard} would have no member`);
    chain.config = { ...next, epoch: chain.config.epoch + 1 };
    this.reconfigurations++;
    for (const r of this.replicasOf(chain)) this.sendConfig(r, chain.config, "work");
    if (membersChanged)
      for (const client of this.clients) this.sendConfig(client, chain.config, "work");
  }

  /** Answers to lookups are background (clients ask again while a shard is down); pushes are work. */
  private sendConfig(to: Address, config: ChainConfig, urgency: Urgency): void {
    this.env.send(
      to,
      {
        type: "chain.config",
        config,
        requestTimeoutUs: this.options.requestTimeoutUs,
      } satisfies ChainMessage,
      GCS_MESSAGE_BYTES,
      urgency,
    );
  }

  private replicasOf(chain: ShardChain): Address[] {
    const out = [...chain.config.members];
    if (chain.config.joiner !== undefined) out.push(chain.config.joiner);
    return out;
  }

  private watch(replica: Address): void {
    if (this.watches.has(replica)) return;
    this.watches.set(replica, {
      lastPongUs: this.env.nowUs(),
      lastPingSentUs: -Infinity,
      suspected: false,
      lastHeardUs: -Infinity,
    });
  }

  /**
   * A pong or a report: the replica is alive now (the world delivers nothing from a dead sender,
   * and the RPC layer resends only for a live one). A suspect heard before its removal is no
   * suspect: it is pinged again (a fresh lease) rather than removed. Suspicion alone cannot tell a
   * dead replica from pongs lost on the way, and removing a live one costs the shard a copy until
   * it has joined again (swarm seed 8483: the master removed a replica whose reports it had heard
   * 2 ms before, and the one member left was killed within the re-join).
   */
  private heard(replica: Address): void {
    const w = this.watches.get(replica);
    if (w === undefined) return;
    const now = this.env.nowUs();
    w.lastHeardUs = now;
    w.lastPongUs = now;
    w.suspected = false;
  }

  /** `replica` said it holds `epoch`: a solo member that confirmed its configuration may serve. */
  private confirmed(shard: number, replica: Address, epoch: number): void {
    const solo = this.solos.get(shard);
    if (solo !== undefined && solo.member === replica && epoch >= solo.epoch) {
      this.solos.delete(shard);
      this.startNextJoin(shard);
    }
  }

  /**
   * The member a removal left alone has been silent for two leases without confirming: it never
   * served in its configuration (no lease), so the standby holds every write the shard
   * acknowledged. If the standby was heard since the removal, it becomes the shard's member.
   */
  private takeBackStandby(shard: number, chain: ShardChain, now: number): void {
    const solo = this.solos.get(shard);
    if (solo === undefined || solo.standby === undefined) return;
    const member = this.watches.get(solo.member);
    const standby = this.watches.get(solo.standby);
    if (
      chain.config.members.length !== 1 ||
      chain.config.members[0] !== solo.member ||
      now - solo.sinceUs <= 2 * this.leaseUs ||
      (member !== undefined && now - member.lastHeardUs <= 2 * this.leaseUs) ||
      standby === undefined ||
      standby.lastHeardUs < solo.sinceUs
    )
      return;
    const c = chain.config;
    const back = solo.standby;
    const waitingIndex = chain.waiting.indexOf(back);
    if (waitingIndex >= 0) chain.waiting.splice(waitingIndex, 1);
    // A joiner copying the silent member's state starts over from the standby.
    if (c.joiner !== undefined && c.joiner !== back) chain.waiting.unshift(c.joiner);
    standby.suspected = false;
    standby.lastPongUs = now;
    this.solos.set(shard, { member: back, epoch: c.epoch + 1, standby: undefined, sinceUs: now });
    this.reconfigure(shard, { ...c, members: [back], joiner: undefined, promote: false }, true);
    this.startNextJoin(shard);
  }

  /** Every ping interval: suspect the silent, remove the suspects whose lease ran out, ping. */
  private tick(): void {
    const now = this.env.nowUs();
    const suspectAfterUs = this.leaseUs;
    this.chains.forEach((chain, shard) => {
      if (chain === undefined) return;
      this.takeBackStandby(shard, chain, now);
      const solo = this.solos.get(shard);
      for (const r of [...this.replicasOf(chain), ...chain.waiting]) {
        const w = this.watches.get(r)!;
        // The last member is never suspected: it holds the only copy, so the shard waits for it.
        // Unless a joiner installed its state: that joiner holds every write it acknowledged since.
        const sole = chain.config.members.length === 1 && chain.config.members[0] === r;
        if (sole && !(chain.config.joiner !== undefined && chain.config.promote))
          w.suspected = false;
        else if (!w.suspected && now - w.lastPongUs > suspectAfterUs) w.suspected = true;
        if (
          w.suspected &&
          now >= w.lastPingSentUs + this.leaseUs &&
          now >= this.holdUntilUs &&
          this.survivorHeardSince(chain.config, r, w.lastPingSentUs + this.leaseUs)
        ) {
          this.remove(shard, r);
          continue;
        }
        if (w.suspected) continue;
        w.lastPingSentUs = now;
        this.env.send(
          r,
          {
            type: "chain.ping",
            config: chain.config,
            sentUs: now,
            leaseUs: solo?.member === r ? 0 : this.leaseUs,
          } satisfies ChainMessage,
          64,
          "background",
        );
      }
    });
    this.env.setTimer(this.options.pingIntervalUs, () => this.tick(), "background");
  }

  /**
   * Removing a member hands the shard to the rest of the chain, and a removed replica gives up its
   * state once a transfer replaces it (chain-replica.ts): were all of the rest dead, the shard
   * would wait forever for them while the removed one, alive and holding every acknowledged write,
   * stays out (swarm seed 4066: message loss made the master suspect the live tail just as the head
   * was killed; removing the tail left the dead head as the only member). A suspicion is a guess,
   * so the master removes a member only once some replica that stays in the chain has been heard
   * from since the suspect's lease ran out, i.e. was alive when the suspect stopped serving. While
   * none is, it holds; the suspects it holds keep reporting (an out-of-lease member reports every
   * interval), so when the others turn out dead, a live suspect is heard (and no longer suspected)
   * and the dead ones are removed in its favour. Holding is always safe (the chain keeps its configuration); it costs
   * liveness only if every replica left is silent, and then the shard could not serve anyway.
   * Non-members (waiting replicas, a joiner not being promoted) hold no copy anyone depends on:
   * never held. A window remains: a survivor heard just before it dies. Where the removal leaves
   * one member, the removed replica is kept as a standby and taken back if that member dies before
   * confirming (`Solo` above); a longer chain that loses all its remaining members stays down.
   */
  private survivorHeardSince(c: ChainConfig, suspect: Address, sinceUs: number): boolean {
    if (!c.members.includes(suspect)) return true;
    const survivors = c.members.filter((m) => m !== suspect);
    if (survivors.length === 0 && c.joiner !== undefined) survivors.push(c.joiner);
    return survivors.some((s) => (this.watches.get(s)?.lastHeardUs ?? -Infinity) >= sinceUs);
  }

  private remove(shard: number, replica: Address): void {
    const chain = this.chains[shard];
    assert(chain !== undefined, `chain master: removing from unknown shard ${shard}`);
    const c = chain.config;
    this.watches.delete(replica);
    const waitingIndex = chain.waiting.indexOf(replica);
    if (waitingIndex >= 0) return void chain.waiting.splice(waitingIndex, 1);
    if (c.joiner === replica) {
      this.reconfigure(shard, { ...c, joiner: undefined, promote: false }, false);
      return this.startNextJoin(shard);
    }
    assert(
      c.members.includes(replica),
      `chain master: removing ${replica}, which shard ${shard} does not hold`,
    );
    this.solos.delete(shard);
    if (c.members.length === 1 && c.joiner !== undefined && c.promote) {
      // The last member died before handing over to a joiner that holds its state: promote it.
      this.reconfigure(
        shard,
        { ...c, members: [c.joiner], joiner: undefined, promote: false },
        true,
      );
      return this.startNextJoin(shard);
    }
    assert(c.members.length > 1, `chain master: shard ${shard} would lose its last replica`);
    const members = c.members.filter((m) => m !== replica);
    const sourceLeft = c.joiner !== undefined && c.members[c.members.length - 1] === replica;
    // A join whose source left starts over from the new tail, which holds at least as much.
    const transfer = sourceLeft ? { transferId: ++this.transfers, promote: false } : {};
    this.reconfigure(shard, { ...c, members, ...transfer }, true);
    if (members.length === 1)
      this.solos.set(shard, {
        member: members[0]!,
        epoch: chain.config.epoch,
        standby: replica,
        sinceUs: this.env.nowUs(),
      });
  }
}
