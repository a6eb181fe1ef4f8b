/**
 * One chain replica of shard 0 driven by hand through a recording fake Env (fake-env.ts), with the
 * options the GCS unit tests share, and the configurations they hand it.
 */
import type { Address, Message } from "../../core/env.js";
import { ChainReplica } from "../../core/gcs/chain-replica.js";
import type { ChainConfig } from "../../core/gcs/chain-messages.js";
import { fakeEnv } from "./fake-env.js";

export const MASTER = "gcsmaster@__gcsmaster" as Address;

export function testReplica(
  self: Address,
  peers: readonly Address[],
  sent: Array<{ to: Address; message: Message }>,
  now?: { us: number },
  timers?: Array<() => void>,
): ChainReplica {
  return new ChainReplica(fakeEnv({ self, sent, now, timers }), {
    shardIndex: 0,
    peers: [...peers],
    master: MASTER,
    installed: true,
    heartbeatIntervalUs: 100_000,
    heartbeatTimeoutUs: 1_000_000,
    maxLineageBytes: 1e9,
    flush: { flushBytes: Infinity, mode: "discard" },
    memorySampleUs: 1_000_000,
    joinRetryUs: 10_000,
  });
}

/** Shard 0's configuration at `epoch`; with a joiner, transfer 1, promoted if `promote`. */
export function chainConfig(
  epoch: number,
  members: Address[],
  joiner?: Address,
  promote = false,
): ChainConfig {
  return { shard: 0, epoch, members, joiner, transferId: joiner === undefined ? 0 : 1, promote };
}
