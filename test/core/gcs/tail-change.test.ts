/**
 * A chained shard's tail publishes its notifications; those its process dies with are lost. The
 * GCS client tells its subscribers when a shard's tail changes, so they subscribe again and read
 * what they missed (swarm seed 6165: a driver's get never heard of its object's only copy; swarm
 * seed 1478: a driver never heard that its task's node died).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Address, Env, Message } from "../../../core/env.js";
import type { ChainConfig } from "../../../core/gcs/chain-messages.js";
import { GcsClient } from "../../../core/gcs/client.js";
import type { GcsRequestMessage } from "../../../core/gcs/messages.js";
import type { NodeRow } from "../../../core/gcs/tables.js";

function fakeEnv(sent: Message[] = []): Env {
  const env = {
    self: "raylet@a" as Address,
    nodeName: "a",
    nowUs: () => 0,
    setTimer: () => 0,
    cancelTimer: () => {},
    send: (_to: Address, message: Message) => void sent.push(message),
    trace: () => {},
    rng: () => ({ next: () => 0.5 }),
  };
  return new Proxy(env, {
    get: (target, key) => {
      if (key in target) return target[key as keyof typeof target];
      throw new Error(`fake env: ${String(key)} not provided`);
    },
  }) as unknown as Env;
}

const R0 = "gcs@__gcs1r0" as Address;
const R1 = "gcs@__gcs1r1" as Address;
const R2 = "gcs@__gcs1r2" as Address;
const config = (epoch: number, members: Address[], joiner?: Address): ChainConfig => ({
  shard: 1,
  epoch,
  members,
  joiner,
  transferId: 0,
  promote: false,
});
const push = (c: ChainConfig): Message =>
  ({ type: "chain.config", config: c, requestTimeoutUs: 20_000 }) as Message;

test("the client tells its listeners when a shard's tail changes, and only then", () => {
  const shards = ["gcsmaster@__gcsmaster#0", "gcsmaster@__gcsmaster#1"] as Address[];
  const client = new GcsClient(fakeEnv(), shards);
  const changed: number[] = [];
  client.onTailChange((shard) => changed.push(shard));
  client.handle(push(config(1, [R0, R1, R2])));
  assert.deepEqual(changed, [], "a first configuration is no change");
  client.handle(push(config(2, [R1, R2])));
  client.handle(push(config(3, [R1, R2], R0)));
  assert.deepEqual(changed, [], "the head left, a joiner came: the same tail");
  client.handle(push(config(4, [R1])));
  assert.deepEqual(changed, [1], "the tail died");
  client.handle(push(config(2, [R1, R2])));
  assert.deepEqual(changed, [1], "an older configuration is ignored");
});

test("subscribeNodes reads a shard's node rows again when its tail changes, and hands each over", () => {
  const shards = ["gcsmaster@__gcsmaster#0", "gcsmaster@__gcsmaster#1"] as Address[];
  const sent: Message[] = [];
  const client = new GcsClient(fakeEnv(sent), shards);
  const again: NodeRow[] = [];
  client.subscribeNodes(false, (row) => again.push(row));
  client.handle(push(config(1, [R0, R1, R2])));
  const subscribes = () =>
    sent.flatMap((m) => {
      const r = m as GcsRequestMessage;
      return r.type === "gcs.request" && r.op.op === "node.subscribe" ? [r] : [];
    });
  const before = subscribes().length;
  client.handle(push(config(2, [R0, R1])));
  const reread = subscribes().slice(before);
  assert.equal(reread.length, 1, "the tail changed: shard 1's rows are read again");
  const dead = { node: "w1", incarnation: 0, state: "dead" } as NodeRow;
  client.handle({ type: "gcs.reply", reqId: reread[0]!.reqId, result: [dead] } as Message);
  assert.deepEqual(again, [dead], "the death the old tail may have lost is handed over");
});
