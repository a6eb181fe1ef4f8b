/**
 * A placement on a node that dies before the GCS records it (issue 10, swarm seeds 6191 and 7310):
 * the GCS fences the scheduler's "scheduled" update, since it names an incarnation already declared
 * dead, so the task row still says "submitted" at the forwarder and the owner's node-death pass
 * sees nothing to retry. The forwarder's resend must get the task placed again, not be told it was
 * placed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Simulation } from "../../../sim/index.js";
import type { Message } from "../../../core/env.js";
import type { RpcData } from "../../../core/rpc/rpc-layer.js";
import type { GcsRequestMessage } from "../../../core/gcs/messages.js";

test("a placement the GCS fenced (its node died first) is placed again", async () => {
  const sim = new Simulation({
    seed: 3,
    nodes: [
      { name: "head", cpus: 0 },
      { name: "w1", cpus: 1, resources: { w1: 1 } },
    ],
    failureDetection: { heartbeatMs: 10, missedHeartbeats: 5 },
    checkInvariants: true,
    progressLimitMs: 2_000,
    idleLimitMs: 2_000,
  });
  // w1 dies before the assignment reaches it; the scheduler still sees it alive and picks it.
  sim.faults.killNode("w1", { atMs: 0.2, restartAfterMs: 200 });
  // The scheduler's placement update reaches the GCS only after w1's death is declared (~50 ms).
  let held = 0;
  sim.world.linkFilters.push((_from, _to, message: Message) => {
    const m = message.type === "rpc.data" ? (message as RpcData).payload : message;
    const late =
      sim.nowMs < 100 &&
      m.type === "gcs.request" &&
      (m as GcsRequestMessage).op.op === "task.update" &&
      (m as GcsRequestMessage).client.startsWith("gsched@");
    if (late) held++;
    return late;
  });
  const value = await sim.run(async (ray) => {
    const f = ray.remote(() => 7, { durationMs: 5, resources: { CPU: 1, w1: 1 } });
    return ray.get(f.remote());
  });
  assert.equal(value, 7);
  assert.ok(held > 0, "the placement update was never held back: the test tests nothing");
});
