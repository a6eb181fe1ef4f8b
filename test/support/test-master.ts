/**
 * A chain master of one shard, driven by hand through a recording fake Env
 * (fake-env.ts): `tick` advances the clock one ping interval and fires the timers due.
 */
import type { Address, Message } from "../../core/env.js";
import { ChainMaster } from "../../core/gcs/chain-master.js";
import type { ChainMessage } from "../../core/gcs/chain-messages.js";
import { fakeEnv } from "./fake-env.js";
import { MASTER } from "./test-replica.js";

export const PING_US = 2_000;

export function testMaster(members: readonly Address[]) {
  const sent: Array<{ to: Address; message: Message }> = [];
  const timers: Array<() => void> = [];
  const now = { us: 0 };
  const master = new ChainMaster(fakeEnv({ self: MASTER, sent, now, timers }), {
    initialMembers: [[...members]],
    shards: 1,
    pingIntervalUs: PING_US,
    missedPings: 3,
    requestTimeoutUs: 20_000,
  });
  const tick = () => {
    now.us += PING_US;
    timers.splice(0).forEach((fire) => fire());
  };
  /** A pong from `from`, confirming `epoch` (default: the current one). */
  const pong = (from: Address, epoch = master.config(0).epoch) =>
    master.onMessage(from, { type: "chain.pong", shard: 0, epoch, appliedSeq: 0 } as Message);
  /** What an out-of-lease member sends every interval. */
  const report = (from: Address) =>
    master.onMessage(from, {
      type: "chain.report",
      shard: 0,
      config: master.config(0),
      appliedSeq: 0,
    } as Message);
  /** The lease of every ping sent to `to`, oldest first. */
  const leasesTo = (to: Address) =>
    sent
      .filter((s) => s.to === to)
      .map((s) => s.message as ChainMessage)
      .flatMap((m) => (m.type === "chain.ping" ? [m.leaseUs] : []));
  return { master, tick, pong, report, leasesTo, sent, now };
}
