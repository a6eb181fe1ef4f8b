/**
 * An owner's retry grant whose reply is slow (issue 10, swarm seeds 8913, 5873 and 7673): a second
 * node death's pass reads the task row, which already holds the granted attempt, and the owner
 * adopts it before the grant's reply arrives. The grant is still this owner's to send: no one else
 * runs an attempt the GCS granted to it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Simulation } from "../../../sim/index.js";
import type { Message } from "../../../core/env.js";
import type { RpcData } from "../../../core/rpc/rpc-layer.js";
import type { GcsReplyMessage, ResubmitResult } from "../../../core/gcs/messages.js";

test("a retry grant adopted from the task table before its reply is still sent", async () => {
  const sim = new Simulation({
    seed: 3,
    nodes: [
      { name: "head", cpus: 0 },
      { name: "w1", cpus: 1, resources: { w1: 1 } },
      { name: "w2", cpus: 1 },
    ],
    failureDetection: { heartbeatMs: 10, missedHeartbeats: 5 },
    checkInvariants: true,
    progressLimitMs: 2_000,
    idleLimitMs: 2_000,
  });
  // w1 dies running the task: the owner retries it. w2's later death makes the owner read the row.
  sim.faults.killNode("w1", { atMs: 5, restartAfterMs: 150 });
  sim.faults.killNode("w2", { atMs: 20, restartAfterMs: 150 });
  let held = 0;
  sim.world.linkFilters.push((_from, _to, message: Message) => {
    const m = message.type === "rpc.data" ? (message as RpcData).payload : message;
    const late =
      sim.nowMs < 120 &&
      m.type === "gcs.reply" &&
      ((m as GcsReplyMessage).result as ResubmitResult | undefined)?.kind === "granted";
    if (late) held++;
    return late;
  });
  const value = await sim.run(async (ray) => {
    const f = ray.remote(() => 7, { durationMs: 50, resources: { CPU: 1, w1: 1 } });
    return ray.get(f.remote());
  });
  assert.equal(value, 7);
  assert.ok(held > 0, "no grant reply was held back: the test tests nothing");
});
