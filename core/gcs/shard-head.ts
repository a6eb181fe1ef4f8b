/**
 * What a shard's head does besides ordering writes; it runs on exactly one replica (the head of
 * the chain, or the single server), so nothing here happens twice:
 * - drops retried writes that were applied already (ordering a re-reply instead);
 * - the failure detector for the nodes whose heartbeats the shard owns (Ray 2018's monitor): a
 *   node is declared dead only when no heartbeat arrived for `heartbeatTimeoutUs`. The verdict is
 *   an ordered write, so every replica applies it; peer shards hear of it to drop locations;
 * - flushing, and bringing flushed rows back before an op that needs them (the op and every later
 *   one wait for the read, so the shard's order is kept);
 * - sampling the shard's memory into the trace ("gcs.memory").
 */
import { assert } from "../assert.js";
import type { Address, Env, TimerId } from "../env.js";
import { isInternal, type ChainOp, type ShardRequestMessage } from "./chain-messages.js";
import { Flusher, readFlushedRows, type FlushOptions } from "./flusher.js";
import { GCS_MESSAGE_BYTES, type GcsNotifyMessage } from "./messages.js";
import type { RequestDedupe } from "./request-dedupe.js";
import { flushedKeysOf, type FlushedOp } from "./shard-flush.js";
import type { GcsShardState } from "./shard-state.js";
import type { NodeRow } from "./tables.js";
import { usToMs } from "../units.js";

export interface ShardHeadOptions {
  heartbeatIntervalUs: number;
  heartbeatTimeoutUs: number;
  memorySampleUs: number;
  flush: FlushOptions;
}

export interface ShardHeadHost {
  readonly env: Env;
  readonly state: GcsShardState;
  readonly dedupe: RequestDedupe | undefined;
  /** Orders a write: applies it here and passes it down the chain. */
  sequence(
    op: ChainOp,
    client: Address,
    session: string,
    reqId: number,
    lowWater: number,
    background: boolean,
  ): void;
  /** Head, member, and within its lease. */
  isServingHead(): boolean;
  /** Tells every other shard that a node died (they drop its object locations). */
  tellPeersNodeDied(node: string, incarnation: number): void;
}

/** Requests waiting behind a read of flushed rows; a full queue means storage stopped answering. */
const WAITING_MAX = 1 << 20;

export class ShardHead {
  private readonly flusher: Flusher;
  private readonly waiting: ShardRequestMessage[] = [];
  private restoring = false;
  private stopped = false;
  private detectorTimer: TimerId | undefined;
  private sampleTimer: TimerId | undefined;
  /** Since when this head serves without a gap: detection gives nodes that long to be heard. */
  private servingSinceUs: number;
  private sampledBytes = -1;

  constructor(
    private readonly host: ShardHeadHost,
    private readonly options: ShardHeadOptions,
  ) {
    assert(
      options.heartbeatTimeoutUs > options.heartbeatIntervalUs,
      "GCS: heartbeat timeout must exceed the interval",
    );
    assert(options.memorySampleUs > 0, "GCS: memorySampleUs must be > 0");
    this.flusher = new Flusher(
      {
        env: host.env,
        get state() {
          return host.state;
        },
        sequenceInternal: (op: FlushedOp) => host.sequence(op, host.env.self, "", -1, 0, false),
        isServingHead: () => !this.stopped && host.isServingHead(),
        sampleMemory: () => this.sampleMemory(true),
      },
      options.flush,
    );
    this.servingSinceUs = host.env.nowUs();
    this.scheduleDetector();
    this.scheduleSample();
  }

  /** Leaves the head role: timers stop, waiting requests are dropped (their clients retry). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.detectorTimer !== undefined) this.host.env.cancelTimer(this.detectorTimer);
    if (this.sampleTimer !== undefined) this.host.env.cancelTimer(this.sampleTimer);
    this.detectorTimer = this.sampleTimer = undefined;
    this.waiting.length = 0;
  }

  submit(m: ShardRequestMessage): void {
    assert(!this.stopped, "ShardHead.submit after stop");
    if (this.restoring) {
      assert(this.waiting.length < WAITING_MAX, "GCS head: too many requests wait for storage");
      this.waiting.push(m);
      return;
    }
    this.process(m);
  }

  private process(m: ShardRequestMessage): void {
    const { op, client, reqId } = m;
    const lowWater = m.lowWater ?? 0;
    const session = m.session ?? "";
    const dedupe = this.host.dedupe;
    if (dedupe !== undefined && reqId >= 0 && dedupe.isDuplicate(client, session, reqId)) {
      // Applied already: answer again through the chain (the tail holds the reply), never re-apply.
      if (dedupe.hasResult(client, session, reqId))
        this.host.sequence({ op: "internal.replyAgain" }, client, session, reqId, lowWater, false);
      return;
    }
    if (op.op === "node.heartbeat" && !this.heartbeatAdmitted(m)) return;
    if (!isInternal(op) && this.flusher.enabled) {
      const keys = flushedKeysOf(this.host.state, op);
      if (keys !== undefined) return this.restoreThen(m, keys);
    }
    this.host.sequence(op, client, session, reqId, lowWater, op.op === "node.heartbeat");
    if (this.flusher.enabled) this.flusher.afterWrite();
  }

  private restoreThen(
    m: ShardRequestMessage,
    keys: { taskIds: string[]; objectIds: string[] },
  ): void {
    this.restoring = true;
    readFlushedRows(this.host.env.storage, this.host.state, keys, (restore) => {
      if (this.stopped || !this.host.isServingHead()) return this.stop();
      this.restoring = false;
      this.host.sequence(restore, this.host.env.self, "", -1, 0, false);
      this.process(m);
      while (!this.restoring && this.waiting.length > 0) this.process(this.waiting.shift()!);
    });
  }

  /** A heartbeat's side effects before it is ordered; false when it must not be applied. */
  private heartbeatAdmitted(m: ShardRequestMessage): boolean {
    assert(m.op.op === "node.heartbeat", "heartbeatAdmitted: not a heartbeat");
    const hb = m.op.heartbeat;
    const state = this.host.state;
    // A node back under a new incarnation before its old one was found dead: the old one is.
    const row = state.nodes.get(hb.node);
    if (row !== undefined && row.state === "alive" && row.incarnation < hb.incarnation) {
      this.declareDead(row.node, row.incarnation, "it re-registered as a new incarnation");
    }
    if (!state.isDead(hb.node, hb.incarnation)) {
      // Admitted and applied here now: this head cannot declare the node dead before
      // sentUs + heartbeatTimeoutUs, so the node may serve its actors until then (its lease).
      if (hb.sentUs !== undefined) {
        const alive: NodeRow = {
          node: hb.node,
          incarnation: hb.incarnation,
          state: "alive",
          lastHeartbeatUs: this.host.env.nowUs(),
          heartbeat: hb,
        };
        this.host.env.send(
          m.client,
          {
            type: "gcs.notify",
            notification: { table: "node", key: alive.node, row: alive },
          } satisfies GcsNotifyMessage,
          GCS_MESSAGE_BYTES,
          "background",
        );
      }
      return true;
    }
    // A node declared dead still heartbeats (a healed partition): tell it, so it can exit.
    const dead: NodeRow = {
      node: hb.node,
      incarnation: hb.incarnation,
      state: "dead",
      lastHeartbeatUs: this.host.env.nowUs(),
      heartbeat: hb,
    };
    this.host.env.send(
      m.client,
      {
        type: "gcs.notify",
        notification: { table: "node", key: dead.node, row: dead },
      } satisfies GcsNotifyMessage,
      GCS_MESSAGE_BYTES,
    );
    return false;
  }

  private scheduleDetector(): void {
    this.detectorTimer = this.host.env.setTimer(
      this.options.heartbeatIntervalUs,
      () => this.detect(),
      "background",
    );
  }

  private detect(): void {
    this.detectorTimer = undefined;
    const now = this.host.env.nowUs();
    if (!this.host.isServingHead()) {
      // Heartbeats could not reach a head without a lease: nobody is to blame for that gap.
      this.servingSinceUs = now;
    } else {
      for (const row of this.host.state.nodes.values()) {
        const heardUs = Math.max(row.lastHeartbeatUs, this.servingSinceUs);
        if (row.state !== "alive" || now - heardUs <= this.options.heartbeatTimeoutUs) continue;
        this.declareDead(
          row.node,
          row.incarnation,
          `no heartbeat for ${usToMs(now - row.lastHeartbeatUs)} ms`,
        );
      }
    }
    this.scheduleDetector();
  }

  /** The verdict: ordered like any write, so every replica applies it; peers drop locations. */
  private declareDead(node: string, incarnation: number, reason: string): void {
    this.host.env.trace({ kind: "node.died", nodeName: node, reason, incarnation });
    this.host.sequence(
      { op: "internal.nodeDead", node, incarnation, verdict: true },
      this.host.env.self,
      "",
      -1,
      0,
      false,
    );
    this.host.tellPeersNodeDied(node, incarnation);
  }

  private scheduleSample(): void {
    this.sampleTimer = this.host.env.setTimer(
      this.options.memorySampleUs,
      () => {
        this.sampleTimer = undefined;
        this.sampleMemory(false);
        this.scheduleSample();
      },
      "background",
    );
  }

  /** Traces the shard's memory when it changed since the last sample (or always, when forced). */
  sampleMemory(force: boolean): void {
    const bytes = this.host.state.bytes;
    if (!force && bytes === this.sampledBytes) return;
    this.sampledBytes = bytes;
    this.host.env.trace({ kind: "gcs.memory", shard: this.host.state.shardIndex, bytes });
  }
}
