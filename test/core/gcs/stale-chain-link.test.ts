/**
 * The RPC layer may deliver a chain.write long after it was first sent. If its sender and
 * receiver meanwhile left the chain and became neighbours again, that write belongs to an earlier
 * link whose seqs numbered another history: applying it would apply a request twice. A replica
 * drops writes from its predecessor sent before the epoch since which it has held that
 * predecessor with no configuration skipped. Found by swarm seed 9673 (killGcsMaster under loss:
 * "dedupe: raylet@w1#11 applied twice").
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Address, Message } from "../../../core/env.js";
import { chainConfig as config, MASTER, testReplica } from "../../support/test-replica.js";
import type { ChainConfig, ChainEntry, ChainMessage } from "../../../core/gcs/chain-messages.js";

const R1 = "gcs@__gcs0r1" as Address;
const R2 = "gcs@__gcs0r2" as Address;
const entry: ChainEntry = {
  seq: 1,
  op: { op: "node.subscribe", heartbeats: false },
  client: "raylet@w1" as Address,
  session: "s",
  reqId: 11,
  lowWater: 0,
  tUs: 0,
  background: false,
};

test("a write from an earlier link with the same predecessor is dropped; one from the current link is applied", () => {
  const sent: Array<{ to: Address; message: Message }> = [];
  const replica = testReplica(R2, [R1], sent);
  const deliver = (from: Address, m: ChainMessage) => replica.onMessage(from, m);
  const adopt = (c: ChainConfig) =>
    deliver(MASTER, { type: "chain.config", config: c, requestTimeoutUs: 20_000 });
  adopt(config(1, [R1, R2]));
  // Epochs 2..4 (r1 removed, reset, rejoined) never reached r2: the link may have been remade.
  adopt(config(5, [R1, R2]));
  assert.equal(replica.predecessor, R1);
  deliver(R1, { type: "chain.write", entry, epoch: 1 });
  assert.equal(replica.appliedSeq, 0, "a write sent on the epoch-1 link is not applied");
  deliver(R1, { type: "chain.write", entry, epoch: 5 });
  assert.equal(replica.appliedSeq, 1, "the same seq sent on the current link is applied");
  // A link kept through consecutive epochs keeps accepting what was sent on it.
  adopt(config(6, [R1, R2]));
  deliver(R1, { type: "chain.write", entry: { ...entry, seq: 2, reqId: 12 }, epoch: 5 });
  assert.equal(replica.appliedSeq, 2);
});
