/**
 * An actor restored from its checkpoint whose new node dies mid-replay is restarted again. The
 * path that once hung (checkpoint-interval, seed 2000): a restart's creation attempt is lost with
 * its node and retried as a task, so the attempt that then dies is newer than any restart its
 * owner was granted; the owner must restart that attempt, not the one it remembered.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Simulation } from "../../../sim/index.js";

class Counter {
  n = 0;
  inc(by: number) {
    this.n += by;
    return this.n;
  }
}

async function run(faults: boolean): Promise<{ results: number[]; restarts: number[] }> {
  const sim = new Simulation({
    seed: 5,
    nodes: [
      { name: "head", cpus: 1 },
      ...["w1", "w2", "w3"].map((name) => ({ name, cpus: 2, resources: { a: 1 } })),
    ],
    failureDetection: { heartbeatMs: 10, missedHeartbeats: 5 },
    // A slow checkpoint read: replay lasts long enough to lose its node.
    storage: { latencyMs: 1, bandwidthBytesPerSec: 1e6 },
    checkInvariants: true,
  });
  const hostOf = (restarts: number) =>
    sim.metrics.events().find((e) => e.kind === "actor.restarted" && e.restarts === restarts)?.node;
  const results = await sim.run(async (ray) => {
    const C = ray.actor(Counter, {
      resources: { CPU: 1, a: 1 },
      maxRestarts: 5,
      checkpointInterval: 3,
      checkpointBytes: 200e3,
      methods: { inc: { durationMs: 10 } },
    });
    const c = C.remote();
    const out: number[] = await ray.get([1, 2, 3, 4, 5].map((by) => c.inc.remote(by)));
    if (faults) {
      const first = sim.metrics
        .taskAttempts()
        .filter((r) => r.kind === "actor-method")
        .at(-1)!.node;
      const others = ["w1", "w2", "w3"].filter((n) => n !== first);
      // The restart (after `first`'s death is detected, ~60 ms) goes to a node already dead but
      // not yet declared so: its creation attempt is lost and retried as a task.
      sim.faults.killNode(first, { restartAfterMs: 2_000 });
      await ray.sleep(20);
      sim.faults.killNode(others[0]!, { restartAfterMs: 2_000 });
      const sent = [6, 7].map((by) => c.inc.remote(by));
      let host: string | undefined;
      while ((host = hostOf(2)) === undefined) await ray.sleep(5);
      sim.faults.killNode(host, { restartAfterMs: 2_000 }); // mid-replay: the read takes 200 ms
      out.push(...(await ray.get(sent)));
    } else out.push(...(await ray.get([6, 7].map((by) => c.inc.remote(by)))));
    return out;
  });
  const restarts = sim.metrics
    .events()
    .flatMap((e) => (e.kind === "actor.restarted" ? [e.restarts] : []));
  return { results, restarts };
}

test("an actor whose node dies mid-replay, after its restart was retried as a task, restarts again", async () => {
  const reference = await run(false);
  const faulty = await run(true);
  assert.deepEqual(faulty.results, reference.results);
  assert.deepEqual(reference.results, [1, 3, 6, 10, 15, 21, 28]);
  // Attempt 1 was lost with its node, 2 died mid-replay, 3 finished the work.
  assert.deepEqual(faulty.restarts, [2, 3]);
});
