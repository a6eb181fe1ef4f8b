/**
 * A restarted chain master rebuilds each shard's configuration from the members' reports and
 * adopts the first it hears; a member removed while it was cut off may report first, with a stale
 * configuration. The master then pings the chain with it. A member that holds a newer epoch must
 * not take a lease from that ping (it would stop reporting, leaving the master stale): it answers
 * with its own configuration instead, and the master's highest-epoch rule takes it. Found by swarm
 * seed 42 (killGcsMaster under message loss).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Address, Message } from "../../../core/env.js";
import { chainConfig as config, MASTER, testReplica } from "../../support/test-replica.js";
import type { ChainConfig } from "../../../core/gcs/chain-messages.js";

const R0 = "gcs@__gcs0r0" as Address;
const R1 = "gcs@__gcs0r1" as Address;
const R2 = "gcs@__gcs0r2" as Address;

test("a member holding a newer epoch answers a restarted master's stale ping with a report, not a pong, and takes no lease from it", () => {
  const sent: Array<{ to: Address; message: Message }> = [];
  const now = { us: 1_000 };
  const replica = testReplica(R1, ["gcs@__gcs0r1" as Address], sent, now);
  replica.onMessage(MASTER, {
    type: "chain.ping",
    config: config(2, [R1, R2]),
    sentUs: 900,
    leaseUs: 6_000,
  } as Message);
  const pong = sent.find((s) => s.message.type === "chain.pong");
  assert.ok(pong !== undefined, "the current master's ping is answered with a pong");
  sent.length = 0;
  now.us = 20_000; // the lease from that ping ran out; the master restarted with r0's stale report
  replica.onMessage(MASTER, {
    type: "chain.ping",
    config: config(1, [R0, R1, R2]),
    sentUs: 19_900,
    leaseUs: 6_000,
  } as Message);
  assert.deepEqual(
    sent.map((s) => s.message.type).filter((t) => t.startsWith("chain.")),
    ["chain.report"],
  );
  const report = sent[0]!.message as unknown as { config: ChainConfig };
  assert.equal(report.config.epoch, 2);
  assert.equal(replica.config?.epoch, 2, "the replica keeps its newer configuration");
});
