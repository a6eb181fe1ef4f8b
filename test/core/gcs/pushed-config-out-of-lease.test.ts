/**
 * A member whose lease ran out reports its configuration every interval until a ping renews the
 * lease: that is how a master it cannot hear from learns it is alive, and how it learns it was
 * removed. A configuration pushed to it (a reconfiguration, not a ping) renews nothing; it must
 * not stop those reports. It did: the member fell silent for good, the master removed it, and it
 * never heard so, never asked to join again, and its shard ran one copy short until a kill lost
 * the shard (swarm seed 4528).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Address, Message } from "../../../core/env.js";
import type { ChainMessage } from "../../../core/gcs/chain-messages.js";
import { chainConfig as config, MASTER, testReplica } from "../../support/test-replica.js";

const R0 = "gcs@__gcs0r0" as Address;
const R1 = "gcs@__gcs0r1" as Address;
const R2 = "gcs@__gcs0r2" as Address;

test("a member out of lease keeps reporting after a configuration is pushed to it", () => {
  const sent: Array<{ to: Address; message: Message }> = [];
  const timers: Array<() => void> = [];
  const now = { us: 1_000 };
  const replica = testReplica(R1, [R0, R1, R2], sent, now, timers);
  replica.onMessage(MASTER, {
    type: "chain.ping",
    config: config(1, [R0, R1, R2]),
    sentUs: now.us,
    leaseUs: 6_000,
  } as Message);
  const reports = () =>
    sent
      .filter((s) => s.to === MASTER)
      .map((s) => s.message as ChainMessage)
      .flatMap((m) => (m.type === "chain.report" ? [m.config.epoch] : []));
  const runTimers = (rounds: number) => {
    for (let i = 0; i < rounds; i++) {
      now.us += 2_000;
      timers.splice(0).forEach((fire) => fire());
    }
  };
  runTimers(6);
  assert.ok(reports().length > 0, "out of lease, the member reports");
  sent.length = 0;
  // The master removed R0 (its pings to R1 lost meanwhile) and pushes the new configuration.
  replica.onMessage(MASTER, {
    type: "chain.config",
    config: config(2, [R1, R2]),
    requestTimeoutUs: 20_000,
  } as Message);
  runTimers(6);
  assert.ok(reports().includes(2), "still out of lease: it goes on reporting, now epoch 2");
});
