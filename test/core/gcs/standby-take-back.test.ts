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
import { testMaster } from "../../support/test-master.js";

const R0 = "gcs@__gcs0r0" as Address;
const R1 = "gcs@__gcs0r1" as Address;

function setUp() {
  const harness = testMaster([R0, R1]);
  const { master, tick, pong } = harness;
  // R1 falls silent (its pongs lost) while R0 answers: R1 is suspected, then removed.
  for (let i = 0; i < 20 && master.config(0).members.length > 1; i++) {
    pong(R0, master.config(0).epoch);
    tick();
  }
  assert.deepEqual(master.config(0).members, [R0], "R1 removed, R0 left alone");
  return harness;
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
