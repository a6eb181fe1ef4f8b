/**
 * A suspicion is a guess: under message loss a live member's pongs (or the pings to it) are lost
 * for a lease, and the master suspects it. Its lease then runs out and it reports every interval;
 * a master that hears those reports and removes it anyway costs the shard a live copy for a whole
 * re-join, and a kill of the member left in that window loses the shard (swarm seed 8483: the
 * master removed a replica whose reports it had heard 2 ms before). A suspect heard from before
 * its removal is pinged again instead.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Address } from "../../../core/env.js";
import { testMaster } from "../../support/test-master.js";

const R0 = "gcs@__gcs0r0" as Address;
const R1 = "gcs@__gcs0r1" as Address;

test("a suspected member that reports before its removal is pinged again and stays in the chain", () => {
  const { master, tick, pong, report, leasesTo } = testMaster([R0, R1]);
  // R1's pongs are lost until the master stops pinging it: it is suspected.
  let pingsToR1 = leasesTo(R1).length;
  for (let i = 0; i < 10; i++) {
    pong(R0);
    tick();
    if (leasesTo(R1).length === pingsToR1) break;
    pingsToR1 = leasesTo(R1).length;
  }
  assert.equal(leasesTo(R1).length, pingsToR1, "R1 is suspected: no more pings");
  // Out of lease, R1 reports every interval, and its pongs get through again.
  for (let i = 0; i < 20; i++) {
    report(R1);
    pong(R0);
    tick();
    pong(R1);
  }
  assert.deepEqual(master.config(0).members, [R0, R1], "the live suspect was never removed");
  assert.ok(leasesTo(R1).length > pingsToR1 + 10, "and it is pinged (leased) again");
});

test("a suspect that stays silent is still removed", () => {
  const { master, tick, pong } = testMaster([R0, R1]);
  for (let i = 0; i < 10 && master.config(0).members.length === 2; i++) {
    pong(R0);
    tick();
  }
  assert.deepEqual(master.config(0).members, [R0]);
});
