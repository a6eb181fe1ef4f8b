/**
 * Where a restarted actor resumes each caller handle (issue 10, "channels that reorder never
 * change a value or hang"). A restarted instance once took the first call it saw from a handle as
 * where the handle was: resent calls reordered on the wire were dropped as duplicates (a hang), and
 * a call its checkpoint covered, resent because its completion died with the node, ran twice. Now
 * every call carries its caller's floor and a checkpoint holds each handle's next seq.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Simulation, type Ray } from "../../../sim/index.js";
import { runBounded } from "../../support/property.js";

const fast = { heartbeatMs: 10, missedHeartbeats: 5 };
const TIMEOUT_MS = 120_000;

class Counter {
  n = 0;
  log: number[] = [];
  /** `gate` only holds the call back until it is ready. */
  inc(gate: number, by: number) {
    this.n += by + gate;
    this.log.push(by);
    return this.n;
  }
  total() {
    return { n: this.n, log: this.log };
  }
}

/**
 * A replay-mode counter checkpointed after its first two calls, then eight calls queued at it
 * behind an argument that is ready only after its node is killed: the chain after the checkpoint
 * is empty, so the restarted instance knows the handle only from what its caller sends, and the
 * resends reach it reordered.
 */
async function reorderedResends(seed: number, faults: boolean) {
  const sim = new Simulation({
    seed,
    nodes: [
      { name: "head", cpus: 1, resources: { gate: 1 } },
      ...["w1", "w2"].map((name) => ({ name, cpus: 2, resources: { a: 1 } })),
    ],
    failureDetection: fast,
    checkInvariants: true,
  });
  const out = await runBounded(
    sim,
    async (ray: Ray) => {
      const C = ray.actor(Counter, {
        resources: { CPU: 1, a: 1 },
        maxRestarts: 2,
        checkpointInterval: 2,
        checkpointBytes: 1_000,
        methods: { inc: { durationMs: 10 } },
      });
      const slow = ray.remote(() => 0, {
        name: "gate",
        resources: { CPU: 0, gate: 1 },
        durationMs: 400,
      });
      const c = C.remote();
      const first = await ray.get([c.inc.remote(0, 1), c.inc.remote(0, 2)]);
      const gate = slow.remote();
      const queued = [3, 4, 5, 6, 7, 8, 9, 10].map((by) => c.inc.remote(gate, by));
      if (faults) {
        await ray.sleep(50);
        const host = sim.metrics
          .taskAttempts()
          .filter((r) => r.kind === "actor-method" && r.outcome === "ok")
          .at(-1)!.node;
        // The driver's resends to the new instance: most are late, so they arrive out of order.
        sim.faults.delayMessages({ from: "head", to: "raylet", probability: 0.75, extraMs: 30 });
        sim.faults.killNode(host, { restartAfterMs: 50 });
      }
      const rest = await ray.get(queued);
      return { values: [...first, ...rest], state: await ray.get(c.total.remote()) };
    },
    60_000,
  );
  return { out, sim };
}

test(
  "replay mode: resent calls that arrive reordered at the restarted actor all run, once, in order",
  { timeout: TIMEOUT_MS },
  async () => {
    const reference = await reorderedResends(1, false);
    assert.deepEqual(reference.out.values, [1, 3, 6, 10, 15, 21, 28, 36, 45, 55]);
    // Fixed seeds, each a different reordering; every one must end with the failure-free values.
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const { out, sim } = await reorderedResends(seed, true);
      assert.deepEqual(out, reference.out, `seed ${seed}`);
      const replayed = sim.metrics.events().find((e) => e.kind === "actor.replayed");
      assert.ok(
        replayed?.kind === "actor.replayed" && replayed.checkpointSeq === 2 && replayed.calls === 0,
        `seed ${seed}: the restart loaded the checkpoint of 2 calls and had nothing to replay`,
      );
      assert.ok(sim.world.messagesDelayed > 0, `seed ${seed}: no resend was delayed`);
    }
  },
);

/**
 * The checkpoint covers two calls whose completion notices are still on the wire (every message
 * from w1 to a worker is held back 2 s) when the actor's GPU fails: the caller resends them to the
 * restarted instance, whose chain after the checkpoint is empty. (Had the node died instead, the
 * caller would have found both rows finished in the task table when it heard of the death.)
 */
test(
  "replay mode: a call the checkpoint covers, resent because its completion notice was late, does not run twice",
  { timeout: TIMEOUT_MS },
  async () => {
    const sim = new Simulation({
      seed: 7,
      nodes: [
        { name: "head", cpus: 1 },
        ...["w1", "w2"].map((name) => ({ name, cpus: 2, gpus: [{ model: "V100" }] })),
      ],
      failureDetection: fast,
      checkInvariants: true,
    });
    const FAIL_MS = 300;
    const LATE_MS = 2_000;
    sim.faults.delayMessages({
      from: "w1",
      to: "worker",
      probability: 1,
      extraMs: LATE_MS,
      atMs: 0,
      durationMs: FAIL_MS,
    });
    const out = await runBounded(
      sim,
      async (ray: Ray) => {
        const C = ray.actor(Counter, {
          resources: { CPU: 1, GPU: 1 },
          maxRestarts: 1,
          checkpointInterval: 2,
          checkpointBytes: 1_000,
          methods: { inc: { durationMs: 10 } },
        });
        const c = C.remote();
        const covered = [c.inc.remote(0, 1), c.inc.remote(0, 10)];
        await ray.sleep(FAIL_MS / 2);
        const host = sim.metrics.taskAttempts().find((r) => r.kind === "actor-method")!.node;
        assert.equal(host, "w1", "the delay rule is on w1's messages");
        sim.faults.failGpu(host, 0, { atMs: FAIL_MS, repairAfterMs: 100 });
        await ray.sleep(FAIL_MS + 400); // restarted, resent, and still before the late notices
        const state = await ray.get(c.total.remote());
        return { state, values: await ray.get(covered) };
      },
      60_000,
    );
    // The construction held: both calls checkpointed before the failure, and the restored
    // instance loaded that checkpoint with nothing after it to replay.
    const checkpointed = sim.metrics.events().find((e) => e.kind === "actor.checkpointed");
    assert.ok(
      checkpointed?.kind === "actor.checkpointed" &&
        checkpointed.seq === 2 &&
        checkpointed.tUs < FAIL_MS * 1_000,
      "checkpoint of both calls before the failure",
    );
    const replayed = sim.metrics.events().find((e) => e.kind === "actor.replayed");
    assert.ok(
      replayed?.kind === "actor.replayed" &&
        replayed.checkpointSeq === 2 &&
        replayed.calls === 0 &&
        replayed.tUs < LATE_MS * 1_000,
      "the restart loaded the checkpoint of 2 calls, had nothing to replay, and came before the notices",
    );
    assert.deepEqual(out.state, { n: 11, log: [1, 10] });
    assert.deepEqual(out.values, [1, 11]);
  },
);
