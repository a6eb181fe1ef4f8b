/**
 * A GCS shard server: applies single-key ops to its `GcsShardState`, replies and publishes. It also
 * runs the failure detector for the nodes whose heartbeats it owns (Ray 2018's monitor): a node is
 * declared dead only when no heartbeat arrived for `heartbeatTimeoutUs`, never by asking the world.
 * On a verdict it tells subscribers and its peer shards, which drop the node's object locations.
 */
import { assert } from "../assert.js";
import type { Address, Env, Message, Process } from "../env.js";
import { GCS_MESSAGE_BYTES, type GcsNotification, type GcsNotifyMessage, type GcsReplyMessage, type GcsRequestMessage } from "./messages.js";
import type { NodeRow } from "./tables.js";
import { GcsShardState } from "./shard-state.js";

export interface GcsShardOptions {
  shardIndex: number;
  /** Every shard's address, so a verdict reaches the object locations held elsewhere. */
  peers: readonly Address[];
  heartbeatIntervalUs: number;
  heartbeatTimeoutUs: number;
  /** Cap on the bytes of task rows kept (the lineage); oldest finished rows go first. */
  maxLineageBytes: number;
}

interface PeerNodeDead extends Message {
  readonly type: "gcs.peerNodeDead";
  readonly node: string;
  readonly incarnation: number;
}

export type GcsShardMessage = GcsRequestMessage | PeerNodeDead;

export class GcsShard implements Process {
  readonly state: GcsShardState;
  opsApplied = 0;

  constructor(private readonly env: Env, private readonly options: GcsShardOptions) {
    assert(options.heartbeatTimeoutUs > options.heartbeatIntervalUs, "GCS: heartbeat timeout must exceed the interval");
    this.state = new GcsShardState(options.shardIndex, options.maxLineageBytes);
    this.scheduleDetector();
  }

  onMessage(_from: Address, message: Message): void {
    const m = message as GcsShardMessage;
    switch (m.type) {
      case "gcs.request":
        return this.handleRequest(m);
      case "gcs.peerNodeDead":
        this.state.markDead(m.node, m.incarnation);
        return this.publish(this.collect((out) => this.state.removeLocationsOn(m.node, out)));
      default:
        assert(false, `GCS shard: unexpected message ${(message as Message).type}`);
    }
  }

  private handleRequest(m: GcsRequestMessage): void {
    if (m.op.op === "node.heartbeat") {
      // A node back under a new incarnation before its old one was found dead: the old one is.
      const row = this.state.nodes.get(m.op.heartbeat.node);
      if (row !== undefined && row.state === "alive" && row.incarnation < m.op.heartbeat.incarnation) {
        this.declareDead(row.node, row.incarnation, "it re-registered as a new incarnation");
      }
      if (this.state.isDead(m.op.heartbeat.node, m.op.heartbeat.incarnation)) {
        // A node declared dead still heartbeats (a healed partition): tell it, so it can exit.
        const dead: NodeRow = { node: m.op.heartbeat.node, incarnation: m.op.heartbeat.incarnation, state: "dead", lastHeartbeatUs: this.env.nowUs(), heartbeat: m.op.heartbeat };
        this.env.send(m.client, { type: "gcs.notify", notification: { table: "node", key: dead.node, row: dead } } satisfies GcsNotifyMessage, GCS_MESSAGE_BYTES);
        return;
      }
    }
    const { result, notifications } = this.state.apply(m.op, m.client, this.env.nowUs());
    this.opsApplied++;
    if (m.reqId >= 0) {
      const reply: GcsReplyMessage = { type: "gcs.reply", reqId: m.reqId, result };
      this.env.send(m.client, reply, GCS_MESSAGE_BYTES, m.op.op === "node.heartbeat" ? "background" : "work");
    }
    this.publish(notifications);
  }

  private publish(notifications: Array<[Address, GcsNotification]>): void {
    for (const [to, notification] of notifications) {
      const message: GcsNotifyMessage = { type: "gcs.notify", notification };
      // Heartbeat fan-out to the global scheduler is background; a node's death is work.
      const urgency = notification.table === "node" && notification.row.state === "alive" ? "background" : "work";
      this.env.send(to, message, GCS_MESSAGE_BYTES, urgency);
    }
  }

  private collect(fill: (out: Array<[Address, GcsNotification]>) => void): Array<[Address, GcsNotification]> {
    const out: Array<[Address, GcsNotification]> = [];
    fill(out);
    return out;
  }

  private scheduleDetector(): void {
    this.env.setTimer(this.options.heartbeatIntervalUs, () => this.detect(), "background");
  }

  private detect(): void {
    const now = this.env.nowUs();
    for (const row of this.state.nodes.values()) {
      if (row.state !== "alive" || now - row.lastHeartbeatUs <= this.options.heartbeatTimeoutUs) continue;
      this.declareDead(row.node, row.incarnation, `no heartbeat for ${(now - row.lastHeartbeatUs) / 1000} ms`);
    }
    this.scheduleDetector();
  }

  /** The verdict: subscribers hear it, and every shard drops the node's object locations. */
  private declareDead(node: string, incarnation: number, reason: string): void {
    this.env.trace({ kind: "node.died", nodeName: node, reason, incarnation });
    this.publish(this.collect((out) => this.state.declareNodeDead(node, out)));
    this.publish(this.collect((out) => this.state.removeLocationsOn(node, out)));
    for (const peer of this.options.peers) {
      if (peer !== this.env.self) this.env.send(peer, { type: "gcs.peerNodeDead", node, incarnation } satisfies PeerNodeDead, GCS_MESSAGE_BYTES);
    }
  }
}
