/**
 * A GCS shard served by a single server (`gcs.replicas: 1`): a chain of one replica with no master,
 * head and tail at once, so it orders, applies, replies and publishes itself, and runs the failure
 * detector (shard-head.ts). With no copy elsewhere, its state lives and dies with its host.
 */
import type { Address, Env } from "../env.js";
import { ChainReplica } from "./chain-replica.js";
import type { FlushOptions } from "./flusher.js";

export interface GcsShardOptions {
  shardIndex: number;
  /** Every shard's address, so a verdict reaches the object locations held elsewhere. */
  peers: readonly Address[];
  heartbeatIntervalUs: number;
  heartbeatTimeoutUs: number;
  /** Cap on the bytes of task rows kept (the lineage); oldest finished rows go first. */
  maxLineageBytes: number;
  flush?: FlushOptions;
  /** How often the shard's memory is sampled into the trace. */
  memorySampleUs?: number;
}

export const DEFAULT_MEMORY_SAMPLE_US = 100_000;

export class GcsShard extends ChainReplica {
  constructor(env: Env, options: GcsShardOptions) {
    super(env, {
      ...options,
      master: undefined,
      installed: true,
      flush: options.flush ?? { flushBytes: Infinity, mode: "storage" },
      memorySampleUs: options.memorySampleUs ?? DEFAULT_MEMORY_SAMPLE_US,
      joinRetryUs: 1,
    });
  }
}
