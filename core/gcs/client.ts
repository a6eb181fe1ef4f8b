/**
 * The GCS client every component uses: routes each op to its shard by key, matches replies to
 * callbacks, and dispatches pub/sub notifications to listeners.
 *
 * Two transports, chosen by the shard addresses it is given. Plain addresses: one server per shard
 * (`gcs.replicas: 1`), reached directly; a write without a callback wants no reply, as Ray's did
 * (the RPC layer under the process still resends it until the server acknowledges it, and the
 * server applies it once: core/rpc/rpc-layer.ts). Service addresses (`<master>#<shard>`, see chain-messages.ts): chain-replicated shards,
 * reached through chain-client.ts, which tracks every request until the tail acknowledges it and
 * retries across failovers.
 *
 * Each op that gets a reply is traced with its client-observed start ("gcs.op"); the fire-and-forget
 * writes of a single server have no observed end and are not.
 */
import { assert } from "../assert.js";
import type { Address, Env, Message } from "../env.js";
import { hashId } from "../ids.js";
import { ChainRouter } from "./chain-client.js";
import { chainMasterOf, isChainMessage, isInternal, type ChainOp } from "./chain-messages.js";
import {
  GCS_MESSAGE_BYTES,
  keyOf,
  tableOf,
  type GcsNotification,
  type GcsOp,
  type GcsReplyMessage,
  type GcsNotifyMessage,
} from "./messages.js";
import type { NodeRow } from "./tables.js";

export type NotificationListener = (notification: GcsNotification) => void;

interface DirectPending {
  readonly op: ChainOp;
  readonly shard: number;
  readonly startUs: number;
  readonly onReply: (result: unknown) => void;
}

export class GcsClient {
  private nextReqId = 0;
  private readonly pending = new Map<number, DirectPending>();
  private listener: NotificationListener | undefined;
  /** Set when the shards are chain-replicated. */
  readonly chain: ChainRouter | undefined;

  constructor(
    private readonly env: Env,
    private readonly shards: readonly Address[],
  ) {
    assert(shards.length > 0, "GcsClient: no shards");
    const master = chainMasterOf(shards);
    this.chain = master === undefined ? undefined : new ChainRouter(env, master, shards.length);
  }

  get shardCount(): number {
    return this.shards.length;
  }

  shardOf(key: string): number {
    return key === "*" ? 0 : hashId(key) % this.shards.length;
  }

  /** Sends an op; `onReply` (if given) gets the result. Without it the write is fire-and-forget. */
  call(op: GcsOp, onReply?: (result: unknown) => void): void {
    this.callShard(this.shardOf(keyOf(op)), op, onReply);
  }

  /** Sends an op to every shard (node subscriptions, which every shard serves). */
  broadcast(op: GcsOp, onReply?: (result: unknown) => void): void {
    for (let s = 0; s < this.shards.length; s++) this.callShard(s, op, onReply);
  }

  /** Sends an op to one shard, whatever its key (the GCS's own messages between shards). */
  callShard(shard: number, op: ChainOp, onReply?: (result: unknown) => void): void {
    // Hot path: the message is built only on failure.
    if (!(shard >= 0 && shard < this.shards.length)) assert(false, `GcsClient: no shard ${shard}`);
    if (this.chain !== undefined) return this.chain.call(shard, op, onReply);
    let reqId = -1;
    if (onReply !== undefined) {
      reqId = this.nextReqId++;
      this.pending.set(reqId, { op, shard, startUs: this.env.nowUs(), onReply });
    }
    this.env.send(
      this.shards[shard]!,
      { type: "gcs.request", reqId, op, client: this.env.self },
      GCS_MESSAGE_BYTES,
      op.op === "node.heartbeat" ? "background" : "work",
    );
  }

  /**
   * Subscribes to the node table on every shard (`onRows`: each shard's rows as it answers). When
   * a shard's tail changes hands, its rows are read again and each is handed to `onRowAgain`: the
   * death notices the old tail had not delivered are lost with it, and nobody sends them again
   * (swarm seed 1478: a driver never heard that its task's node died).
   */
  subscribeNodes(
    heartbeats: boolean,
    onRowAgain: (row: NodeRow) => void,
    onRows?: (rows: NodeRow[]) => void,
  ): void {
    this.broadcast(
      { op: "node.subscribe", heartbeats },
      onRows === undefined ? undefined : (rows) => onRows(rows as NodeRow[]),
    );
    this.onTailChange((shard) =>
      this.callShard(shard, { op: "node.subscribe", heartbeats }, (rows) => {
        for (const row of rows as NodeRow[]) onRowAgain(row);
      }),
    );
  }

  onNotification(listener: NotificationListener): void {
    this.listener = listener;
  }

  /**
   * `listener(shard)` runs when a chain-replicated shard's tail changed hands: notifications it had
   * not delivered may be lost, so a subscriber that waits on one reads the entry again.
   */
  onTailChange(listener: (shard: number) => void): void {
    if (this.chain === undefined) return;
    const previous = this.chain.onTailChange;
    this.chain.onTailChange = (shard) => {
      previous?.(shard);
      listener(shard);
    };
  }

  /** Handles a GCS reply, notification or chain message; returns false for any other message. */
  handle(message: Message): boolean {
    if (message.type === "gcs.reply") {
      const m = message as GcsReplyMessage;
      if (this.chain !== undefined) {
        this.chain.onReply(m.reqId, m.result);
        return true;
      }
      const p = this.pending.get(m.reqId);
      if (p === undefined) return true; // a duplicate reply
      this.pending.delete(m.reqId);
      if (!isInternal(p.op))
        this.env.trace({
          kind: "gcs.op",
          op: p.op.op,
          table: tableOf(p.op),
          shard: p.shard,
          startUs: p.startUs,
        });
      p.onReply(m.result);
      return true;
    }
    if (message.type === "gcs.notify") {
      const notification = (message as GcsNotifyMessage).notification;
      // A node's alive row with a send time: the head's receipt of that node's heartbeat.
      if (
        this.chain !== undefined &&
        notification.table === "node" &&
        notification.row.state === "alive" &&
        notification.row.heartbeat.sentUs !== undefined
      ) {
        const node = notification.row.node;
        this.chain.onHeartbeatConfirmed(this.shardOf(node), node);
      }
      this.listener?.(notification);
      return true;
    }
    if (this.chain !== undefined && isChainMessage(message))
      return this.chain.onChainMessage(message);
    return false;
  }
}
