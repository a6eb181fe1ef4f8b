/**
 * A shard down to one member (a false suspicion under message loss removed the other) has a joiner
 * that installed the member's state when the member dies before handing over. The tail held back
 * its replies until the joiner had each write, so the joiner holds every acknowledged write: the
 * master promotes it rather than wait for the dead member for good (swarm seed 4066, shrunk).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Address, Message } from "../../../core/env.js";
import type { ChainConfig } from "../../../core/gcs/chain-messages.js";
import { testMaster } from "../../support/test-master.js";

const R0 = "gcs@__gcs0r0" as Address;
const R1 = "gcs@__gcs0r1" as Address;

test("the last member dying after its joiner installed the state: the joiner takes its place", () => {
  const { master, tick, pong } = testMaster([R1]);
  master.onMessage(R0, { type: "chain.join", shard: 0 } as Message);
  const transferId = master.config(0).transferId;
  assert.equal(master.config(0).joiner, R0);
  master.onMessage(R0, { type: "chain.joined", shard: 0, transferId } as Message);
  assert.equal(master.config(0).promote, true);
  // R1 dies now: it answers no ping, and never hands over. R0 keeps answering.
  for (let i = 0; i < 20; i++) {
    pong(R0, 0);
    tick();
  }
  const c: ChainConfig = master.config(0);
  assert.deepEqual(c.members, [R0]);
  assert.equal(c.joiner, undefined);
});

test("the last member with no joiner, or one that has not installed the state, is waited for", () => {
  const { master, tick, pong } = testMaster([R1]);
  master.onMessage(R0, { type: "chain.join", shard: 0 } as Message);
  for (let i = 0; i < 20; i++) {
    pong(R0, 0);
    tick();
  }
  assert.deepEqual(master.config(0).members, [R1]);
  assert.equal(master.config(0).joiner, R0);
});
