/**
 * A tail told to promote its joiner gives up the tail role at once and hands over at the seq it
 * had delivered up to; the joiner delivers every write after that seq. Under message loss the
 * handover is sent again with each ping. A resend that named the seq applied by then (not the one
 * at the handover) made the joiner skip the writes in between, which neither replica delivered: a
 * node's death was never published and its actors never restarted (swarm seed 654, dropMessages
 * to the GCS).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Address, Message } from "../../../core/env.js";
import { chainConfig, MASTER, testReplica } from "../../support/test-replica.js";
import type { ChainEntry, ChainMessage } from "../../../core/gcs/chain-messages.js";

const HEAD = "gcs@__gcs0r0" as Address;
const TAIL = "gcs@__gcs0r1" as Address;
const JOINER = "gcs@__gcs0r2" as Address;
const config = (epoch: number, joiner: Address | undefined, promote: boolean) =>
  chainConfig(epoch, [HEAD, TAIL], joiner, promote);
const write = (seq: number): ChainEntry => ({
  seq,
  op: { op: "node.subscribe", heartbeats: false },
  client: `raylet@w${seq}` as Address,
  session: "s",
  reqId: seq,
  lowWater: 0,
  tUs: 0,
  background: false,
});

test("a handover sent again names the seq at which the tail gave up its role", () => {
  const sent: Array<{ to: Address; message: Message }> = [];
  const now = { us: 1_000 };
  const tail = testReplica(TAIL, [HEAD, TAIL], sent, now);
  const deliver = (from: Address, m: ChainMessage) => tail.onMessage(from, m);
  const handovers = () =>
    sent
      .map((s) => s.message as ChainMessage)
      .flatMap((m) => (m.type === "chain.handover" ? [m.seq] : []));
  deliver(MASTER, {
    type: "chain.config",
    config: config(1, undefined, false),
    requestTimeoutUs: 1,
  });
  deliver(HEAD, { type: "chain.write", entry: write(1), epoch: 1 });
  deliver(MASTER, { type: "chain.config", config: config(2, JOINER, false), requestTimeoutUs: 1 });
  deliver(MASTER, { type: "chain.config", config: config(3, JOINER, true), requestTimeoutUs: 1 });
  assert.equal(tail.tailRole, false, "the tail role is given up with the promotion");
  assert.deepEqual(handovers(), [1]);
  // The first handover is lost; writes go on, forwarded to the joiner, which now has the role.
  deliver(HEAD, { type: "chain.write", entry: write(2), epoch: 3 });
  deliver(HEAD, { type: "chain.write", entry: write(3), epoch: 3 });
  assert.equal(tail.appliedSeq, 3);
  now.us += 2_000;
  deliver(MASTER, {
    type: "chain.ping",
    config: config(3, JOINER, true),
    sentUs: now.us,
    leaseUs: 10_000,
  });
  assert.deepEqual(handovers(), [1, 1], "the resend names seq 1, so the joiner delivers 2 and 3");
});
