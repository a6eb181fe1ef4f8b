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
import { testMaster } from "../../support/test-master.js";
import type { ChainConfig } from "../../../core/gcs/chain-messages.js";

const HEAD = "gcs@__gcs0r0" as Address;
const TAIL = "gcs@__gcs0r1" as Address;

const setUp = () => testMaster([HEAD, TAIL]);

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
