/**
 * Message loss can make the master remove a live replica just as the member that stays is
 * killed: the shard is left with one dead member, and the removed replica, alive and holding every
 * write the shard acknowledged, was reset (swarm seeds 7160 and 8483). Now the member a removal
 * leaves alone gets no lease until it confirms the configuration, and the removed replica keeps
 * its state as a standby: if the member falls silent unconfirmed, it served nothing the standby
 * lacks, and the master takes the standby back.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Address, Message } from "../../../core/env.js";
import { fakeEnv } from "../../support/fake-env.js";
import { ChainMaster } from "../../../core/gcs/chain-master.js";
import type { ChainMessage } from "../../../core/gcs/chain-messages.js";

const R0 = "gcs@__gcs0r0" as Address;
const R1 = "gcs@__gcs0r1" as Address;
const MASTER_ADDRESS = "gcsmaster@__gcsmaster" as Address;
const PING_US = 2_000;

function setUp() {
  const sent: Array<{ to: Address; message: Message }> = [];
  const timers: Array<() => void> = [];
  const now = { us: 0 };
  const master = new ChainMaster(fakeEnv({ self: MASTER_ADDRESS, sent, now, timers }), {
    initialMembers: [[R0, R1]],
    shards: 1,
    pingIntervalUs: PING_US,
    missedPings: 3,
    requestTimeoutUs: 20_000,
  });
  const tick = () => {
    now.us += PING_US;
    timers.splice(0).forEach((fire) => fire());
  };
  const pong = (from: Address, epoch: number) =>
    master.onMessage(from, { type: "chain.pong", shard: 0, epoch, appliedSeq: 0 } as Message);
  const leasesTo = (to: Address) =>
    sent
      .filter((s) => s.to === to)
      .map((s) => s.message as ChainMessage)
      .flatMap((m) => (m.type === "chain.ping" ? [m.leaseUs] : []));
  // R1 falls silent (its pongs lost) while R0 answers: R1 is suspected, then removed.
  for (let i = 0; i < 20 && master.config(0).members.length > 1; i++) {
    pong(R0, master.config(0).epoch);
    tick();
  }
  assert.deepEqual(master.config(0).members, [R0], "R1 removed, R0 left alone");
  return { master, tick, pong, leasesTo, sent };
}

test("the member a removal left alone dies before confirming: the removed replica is taken back", () => {
  const { master, tick, leasesTo } = setUp();
  const removedAt = master.config(0).epoch;
  const before = leasesTo(R0).length;
  // R0 was killed before it confirmed the new configuration; R1, alive, asks to join again.
  for (let i = 0; i < 20 && master.config(0).members[0] === R0; i++) {
    master.onMessage(R1, { type: "chain.join", shard: 0 } as Message);
    tick();
  }
  assert.ok(
    leasesTo(R0)
      .slice(before)
      .every((leaseUs) => leaseUs === 0),
    "no lease to an unconfirmed sole member",
  );
  assert.deepEqual(master.config(0).members, [R1], "the standby holds the shard again");
  assert.ok(master.config(0).epoch > removedAt);
});

test("a sole member that confirmed its configuration is waited for, never replaced", () => {
  const { master, tick, pong, leasesTo } = setUp();
  pong(R0, master.config(0).epoch);
  tick();
  assert.ok(leasesTo(R0).at(-1)! > 0, "a confirmed member gets its lease");
  // Now R0 falls silent: it may have acknowledged writes R1 lacks, so R1 must not come back.
  for (let i = 0; i < 20; i++) {
    master.onMessage(R1, { type: "chain.join", shard: 0 } as Message);
    tick();
  }
  assert.deepEqual(master.config(0).members, [R0]);
});
