/**
 * The GCS client every component uses: routes each op to its shard by key, matches replies to
 * callbacks, and dispatches pub/sub notifications to listeners. (Timeouts and retries against
 * replica failover come with chain replication.)
 */
import { assert } from "../assert.js";
import type { Address, Env, Message } from "../env.js";
import { hashId } from "../ids.js";
import { GCS_MESSAGE_BYTES, keyOf, type GcsNotification, type GcsOp, type GcsReplyMessage, type GcsRequestMessage, type GcsNotifyMessage } from "./messages.js";

export type NotificationListener = (notification: GcsNotification) => void;

export class GcsClient {
  private nextReqId = 0;
  private readonly pending = new Map<number, (result: unknown) => void>();
  private listener: NotificationListener | undefined;

  constructor(private readonly env: Env, private readonly shards: readonly Address[]) {
    assert(shards.length > 0, "GcsClient: no shards");
  }

  get shardCount(): number {
    return this.shards.length;
  }

  shardOf(key: string): number {
    return key === "*" ? 0 : hashId(key) % this.shards.length;
  }

  /** Sends an op; `onReply` (if given) gets the result. Without it the write is fire-and-forget. */
  call(op: GcsOp, onReply?: (result: unknown) => void): void {
    this.sendTo(this.shardOf(keyOf(op)), op, onReply);
  }

  /** Sends an op to every shard (node subscriptions, which every shard serves). */
  broadcast(op: GcsOp, onReply?: (result: unknown) => void): void {
    for (let s = 0; s < this.shards.length; s++) this.sendTo(s, op, onReply);
  }

  onNotification(listener: NotificationListener): void {
    this.listener = listener;
  }

  /** Handles a GCS reply or notification; returns false for any other message. */
  handle(message: Message): boolean {
    if (message.type === "gcs.reply") {
      const m = message as GcsReplyMessage;
      const callback = this.pending.get(m.reqId);
      if (callback === undefined) return true; // a duplicate reply after a retry
      this.pending.delete(m.reqId);
      callback(m.result);
      return true;
    }
    if (message.type === "gcs.notify") {
      this.listener?.((message as GcsNotifyMessage).notification);
      return true;
    }
    return false;
  }

  private sendTo(shard: number, op: GcsOp, onReply?: (result: unknown) => void): void {
    let reqId = -1;
    if (onReply !== undefined) {
      reqId = this.nextReqId++;
      this.pending.set(reqId, onReply);
    }
    const request: GcsRequestMessage = { type: "gcs.request", reqId, op, client: this.env.self };
    this.env.send(this.shards[shard]!, request, GCS_MESSAGE_BYTES, op.op === "node.heartbeat" ? "background" : "work");
  }
}
