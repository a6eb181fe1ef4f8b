/**
 * A shard down to one member (a false suspicion under message loss removed the other) has a joiner
 * that installed the member's state when the member dies before handing over. The tail held back
 * its replies until the joiner had each write, so the joiner holds every acknowledged write: the
 * master promotes it rather than wait for the dead member for good (swarm seed 4066, shrunk).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Address, Message } from "../../../core/env.js";
import { fakeEnv } from "../../support/fake-env.js";
import { ChainMaster } from "../../../core/gcs/chain-master.js";
import type { ChainConfig } from "../../../core/gcs/chain-messages.js";

const R0 = "gcs@__gcs0r0" as Address;
const R1 = "gcs@__gcs0r1" as Address;
const MASTER_ADDRESS = "gcsmaster@__gcsmaster" as Address;
const PING_US = 2_000;

test("the last member dying after its joiner installed the state: the joiner takes its place", () => {
  const sent: Array<{ to: Address; message: Message }> = [];
  const timers: Array<() => void> = [];
  const now = { us: 0 };
  const master = new ChainMaster(fakeEnv({ self: MASTER_ADDRESS, sent, now, timers }), {
    initialMembers: [[R1]],
    shards: 1,
    pingIntervalUs: PING_US,
    missedPings: 3,
    requestTimeoutUs: 20_000,
  });
  const tick = () => {
    now.us += PING_US;
    timers.splice(0).forEach((fire) => fire());
  };
  master.onMessage(R0, { type: "chain.join", shard: 0 } as Message);
  const transferId = master.config(0).transferId;
  assert.equal(master.config(0).joiner, R0);
  master.onMessage(R0, { type: "chain.joined", shard: 0, transferId } as Message);
  assert.equal(master.config(0).promote, true);
  // R1 dies now: it answers no ping, and never hands over. R0 keeps answering.
  for (let i = 0; i < 20; i++) {
    master.onMessage(R0, { type: "chain.pong", shard: 0, epoch: 0, appliedSeq: 0 } as Message);
    tick();
  }
  const c: ChainConfig = master.config(0);
  assert.deepEqual(c.members, [R0]);
  assert.equal(c.joiner, undefined);
});

test("the last member with no joiner, or one that has not installed the state, is waited for", () => {
  const sent: Array<{ to: Address; message: Message }> = [];
  const timers: Array<() => void> = [];
  const now = { us: 0 };
  const master = new ChainMaster(fakeEnv({ self: MASTER_ADDRESS, sent, now, timers }), {
    initialMembers: [[R1]],
    shards: 1,
    pingIntervalUs: PING_US,
    missedPings: 3,
    requestTimeoutUs: 20_000,
  });
  master.onMessage(R0, { type: "chain.join", shard: 0 } as Message);
  for (let i = 0; i < 20; i++) {
    master.onMessage(R0, { type: "chain.pong", shard: 0, epoch: 0, appliedSeq: 0 } as Message);
    now.us += PING_US;
    timers.splice(0).forEach((fire) => fire());
  }
  assert.deepEqual(master.config(0).members, [R1]);
  assert.equal(master.config(0).joiner, R0);
});
