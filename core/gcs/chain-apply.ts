/**
 * Applying one ordered write to a replica's state: the client ops of the state machine, plus the
 * internal ops the head injects (failure verdicts, flush and restore) and the at-most-once record
 * of client requests. Deterministic: replicas that apply the same entries hold the same state and
 * compute the same replies and notifications, so any of them can take over as tail.
 */
import { assert } from "../assert.js";
import type { Address } from "../env.js";
import type { ChainEntry } from "./chain-messages.js";
import type { GcsNotification } from "./messages.js";
import type { RequestDedupe } from "./request-dedupe.js";
import { applyFlushed, applyRestore } from "./shard-flush.js";
import type { GcsShardState } from "./shard-state.js";

/** A write as a replica applied it: what the tail sends when it is (or becomes) the tail. */
export interface AppliedEntry {
  readonly entry: ChainEntry;
  readonly result: unknown;
  readonly notifications: ReadonlyArray<[Address, GcsNotification]>;
}

export function applyChainEntry(
  state: GcsShardState,
  dedupe: RequestDedupe | undefined,
  entry: ChainEntry,
): AppliedEntry {
  const op = entry.op;
  const out: Array<[Address, GcsNotification]> = [];
  let result: unknown;
  switch (op.op) {
    case "internal.nodeDead": {
      const row = state.nodes.get(op.node);
      if (
        op.verdict &&
        row !== undefined &&
        row.state === "alive" &&
        row.incarnation === op.incarnation
      )
        state.declareNodeDead(op.node, out);
      else state.markDead(op.node, op.incarnation);
      state.removeLocationsOn(op.node, out);
      break;
    }
    case "internal.flushed":
      applyFlushed(state, op);
      break;
    case "internal.restore":
      applyRestore(state, op);
      break;
    case "internal.replyAgain":
      assert(dedupe !== undefined, "replyAgain without a dedupe table");
      return {
        entry,
        result: dedupe.resultOf(entry.client, entry.session, entry.reqId),
        notifications: out,
      };
    default: {
      // The common case, kept lean: no copy of the notifications.
      const r = state.apply(op, entry.client, entry.tUs);
      if (dedupe !== undefined && entry.reqId >= 0)
        dedupe.record(entry.client, entry.session, entry.reqId, r.result, entry.lowWater);
      return { entry, result: r.result, notifications: r.notifications };
    }
  }
  if (dedupe !== undefined && entry.reqId >= 0)
    dedupe.record(entry.client, entry.session, entry.reqId, result, entry.lowWater);
  return { entry, result, notifications: out };
}
