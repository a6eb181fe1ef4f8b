/**
 * A suspicion is a guess: under message loss the chain master may suspect a live member just as
 * another one dies. Removing the live one would leave the shard to the dead one alone, and the
 * removed replica drops its state, so the shard would wait forever though a live replica held every
 * acknowledged write. The master removes a member only once a replica staying in the chain has been
 * heard from since the suspect's lease ran out; the live suspect's reports then decide for it
 * (swarm seed 4066: the live tail's pongs were lost while the head was killed).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Address, Message } from "../../../core/env.js";
import { fakeEnv } from "../../support/fake-env.js";
import { ChainMaster } from "../../../core/gcs/chain-master.js";
import type { ChainConfig } from "../../../core/gcs/chain-messages.js";

const HEAD = "gcs@__gcs0r0" as Address;
const TAIL = "gcs@__gcs0r1" as Address;
const MASTER_ADDRESS = "gcsmaster@__gcsmaster" as Address;
const PING_US = 2_000;

function setUp() {
  const sent: Array<{ to: Address; message: Message }> = [];
  const timers: Array<() => void> = [];
  const now = { us: 0 };
  const master = new ChainMaster(fakeEnv({ self: MASTER_ADDRESS, sent, now, timers }), {
    initialMembers: [[HEAD, TAIL]],
    shards: 1,
    pingIntervalUs: PING_US,
    missedPings: 3,
    requestTimeoutUs: 20_000,
  });
  const pong = (from: Address) =>
    master.onMessage(from, {
      type: "chain.pong",
      shard: 0,
      epoch: master.config(0).epoch,
      appliedSeq: 0,
    } as Message);
  const tick = () => {
    now.us += PING_US;
    timers.splice(0).forEach((fire) => fire());
  };
  return { master, pong, tick, sent };
}

test("a silent tail is not removed while the head, the only member left, is silent too; its reports win", () => {
  const { master, pong, tick } = setUp();
  // Both answer for a while; then the tail's pongs are lost, and a little later the head dies.
  for (let i = 0; i < 3; i++) {
    pong(HEAD);
    pong(TAIL);
    tick();
  }
  for (let i = 0; i < 3; i++) {
    pong(HEAD);
    tick();
  }
  for (let i = 0; i < 6; i++) tick();
  assert.deepEqual(
    master.config(0).members,
    [HEAD, TAIL],
    "the tail is held: no member staying in the chain was heard from since its lease ran out",
  );
  // The tail, alive and out of lease, reports its configuration every interval.
  const config: ChainConfig = master.config(0);
  for (let i = 0; i < 6; i++) {
    master.onMessage(TAIL, { type: "chain.report", shard: 0, config, appliedSeq: 0 } as Message);
    tick();
  }
  assert.deepEqual(master.config(0).members, [TAIL], "the dead head goes, the live tail stays");
});

test("a silent member is removed once the other has answered since its lease ran out", () => {
  const { master, pong, tick } = setUp();
  for (let i = 0; i < 3; i++) {
    pong(HEAD);
    pong(TAIL);
    tick();
  }
  for (let i = 0; i < 8 && master.config(0).members.length === 2; i++) {
    pong(HEAD);
    tick();
  }
  assert.deepEqual(master.config(0).members, [HEAD]);
});
