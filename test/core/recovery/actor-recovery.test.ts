/**
 * Actor fault tolerance (Ray paper §4.2.3, Fig 11b; Ray docs for "restart" mode): restarts,
 * checkpoints and replay of the stateful-edge chain, restart-mode retry rules, and the errors when
 * restarts run out. Method: counters whose state records every call, compared with a failure-free
 * reference, on clusters with invariants checked after every event (at most one live instance).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Simulation,
  ActorDiedError,
  ActorUnavailableError,
  type ObjectRef,
  type Ray,
} from "../../../sim/index.js";
import { checkProperty, PROPERTY_TIMEOUT_MS, runBounded } from "../../support/property.js";

const fast = { heartbeatMs: 10, missedHeartbeats: 5 };
const WORKERS = ["w1", "w2", "w3"];

function cluster(seed = 3) {
  return new Simulation({
    seed,
    nodes: [
      { name: "head", cpus: 1 },
      ...WORKERS.map((name) => ({ name, cpus: 2, resources: { a: 2 }, gpus: [{ model: "V100" }] })),
    ],
    failureDetection: fast,
    checkInvariants: true,
  });
}

class Counter {
  n = 0;
  log: Array<[number, number]> = [];
  static constructed = 0;
  constructor() {
    Counter.constructed++;
  }
  inc(handle: number, by: number) {
    this.n += by;
    this.log.push([handle, by]);
    return this.n;
  }
  state() {
    return { n: this.n, log: this.log };
  }
}

function defineCounter(ray: Ray, options: Record<string, unknown>) {
  return ray.actor(Counter, {
    resources: { CPU: 1, a: 1 },
    methods: { inc: { durationMs: 10 } },
    ...options,
  });
}

function actorNode(sim: Simulation): string {
  return sim.metrics
    .taskAttempts()
    .filter((r) => r.kind === "actor-method" && r.outcome === "ok")
    .at(-1)!.node;
}

test("replay: a restarted actor replays its calls, so results and state equal the failure-free run", async () => {
  const sim = cluster();
  const out = await sim.run(async (ray) => {
    const c = defineCounter(ray, { maxRestarts: 2 }).remote();
    const first = await ray.get([1, 2, 3, 4, 5].map((by) => c.inc.remote(0, by)));
    sim.faults.killNode(actorNode(sim), { restartAfterMs: 30 });
    const second = await ray.get([6, 7].map((by) => c.inc.remote(0, by)));
    return { first, second, state: await ray.get(c.state.remote()) };
  });
  assert.deepEqual(out.first, [1, 3, 6, 10, 15]);
  assert.deepEqual(out.second, [21, 28]);
  assert.deepEqual(
    out.state.log.map(([, by]) => by),
    [1, 2, 3, 4, 5, 6, 7],
  );
  const replayed = sim.metrics.events().find((e) => e.kind === "actor.replayed");
  assert.ok(replayed !== undefined && replayed.kind === "actor.replayed" && replayed.calls === 5);
});

test("checkpoints bound the replay: only the calls after the last checkpoint are re-executed", async () => {
  const sim = cluster();
  await sim.run(async (ray) => {
    const c = defineCounter(ray, {
      maxRestarts: 1,
      checkpointInterval: 4,
      checkpointBytes: 1e6,
    }).remote();
    await ray.get(Array.from({ length: 10 }, (_, i) => c.inc.remote(0, i)));
    sim.faults.killNode(actorNode(sim), { restartAfterMs: 30 });
    assert.equal((await ray.get(c.state.remote())).log.length, 10);
  });
  const replays = sim.metrics.taskAttempts().filter((a) => a.cause === "replay");
  assert.equal(replays.length, 2, "calls 8 and 9 follow the checkpoint taken after call 8");
  assert.ok(sim.metrics.events().some((e) => e.kind === "actor.checkpointed"));
});

test("restart mode with maxTaskRetries: 0: no call runs twice, and pending calls fail with ActorUnavailableError", async () => {
  const sim = cluster();
  Counter.constructed = 0;
  await sim.run(async (ray) => {
    const c = defineCounter(ray, {
      recovery: "restart",
      maxRestarts: 1,
      maxTaskRetries: 0,
      methods: { inc: { durationMs: 50 } },
    }).remote();
    await ray.get(c.inc.remote(0, 1));
    const pending = [c.inc.remote(0, 2), c.inc.remote(0, 3)];
    await ray.sleep(20);
    sim.faults.killNode(actorNode(sim), { restartAfterMs: 10 });
    for (const p of pending) await assert.rejects(ray.get(p), ActorUnavailableError);
    assert.equal(
      await ray.get(c.inc.remote(0, 5)),
      5,
      "state was lost: the new instance starts from 0",
    );
  });
  const okByTask = new Map<string, number>();
  for (const a of sim.metrics.taskAttempts())
    if (a.kind === "actor-method" && a.outcome === "ok")
      okByTask.set(a.taskId, (okByTask.get(a.taskId) ?? 0) + 1);
  assert.ok(
    [...okByTask.values()].every((n) => n === 1),
    "a call ran twice",
  );
  assert.equal(Counter.constructed, 2, "the constructor runs once per restart");
});

test("restart mode with maxTaskRetries: -1: every call eventually completes", async () => {
  const sim = cluster();
  const results = await sim.run(async (ray) => {
    const c = defineCounter(ray, {
      recovery: "restart",
      maxRestarts: -1,
      maxTaskRetries: -1,
      methods: { inc: { durationMs: 30 } },
    }).remote();
    const refs = Array.from({ length: 6 }, () => c.inc.remote(0, 1));
    await ray.sleep(45);
    sim.faults.killNode(actorNode(sim), { restartAfterMs: 10 });
    // The first call finished before the crash; its output died with the node (restart mode
    // re-runs no completed call). The others complete on the new instance.
    return ray.get(refs.slice(1));
  });
  assert.deepEqual(results, [1, 2, 3, 4, 5]);
  const done = new Set(
    sim.metrics
      .taskAttempts()
      .filter((a) => a.kind === "actor-method" && a.outcome === "ok")
      .map((a) => a.taskId),
  );
  assert.equal(done.size, 6);
});

test("when maxRestarts is used up, pending and later calls raise ActorDiedError", async () => {
  const sim = cluster();
  await sim.run(async (ray) => {
    const c = defineCounter(ray, { maxRestarts: 0 }).remote();
    await ray.get(c.inc.remote(0, 1));
    sim.faults.killNode(actorNode(sim), { restartAfterMs: 10 });
    await ray.sleep(200);
    await assert.rejects(ray.get(c.inc.remote(0, 1)), ActorDiedError);
  });
});

test("kill(handle, { noRestart: true }) makes the actor dead for good", async () => {
  const sim = cluster();
  await sim.run(async (ray) => {
    const c = defineCounter(ray, { maxRestarts: 5 }).remote();
    await ray.get(c.inc.remote(0, 1));
    ray.kill(c, { noRestart: true });
    await ray.sleep(5);
    await assert.rejects(ray.get(c.inc.remote(0, 1)), ActorDiedError);
  });
});

test("a GPU failure kills the actor using it; it restarts on a healthy GPU and replays", async () => {
  const sim = cluster();
  const state = await sim.run(async (ray) => {
    const c = defineCounter(ray, { maxRestarts: 2, resources: { CPU: 1, GPU: 1 } }).remote();
    await ray.get([1, 2, 3].map((by) => c.inc.remote(0, by)));
    sim.faults.failGpu(actorNode(sim), 0, { repairAfterMs: 1000 });
    await ray.get(c.inc.remote(0, 4));
    return ray.get(c.state.remote());
  });
  assert.deepEqual(
    state.log.map(([, by]) => by),
    [1, 2, 3, 4],
  );
});

test(
  "random calls from several handles under random recoverable faults equal the failure-free run (property)",
  { timeout: PROPERTY_TIMEOUT_MS },
  async () => {
    const arb = fc.record({
      calls: fc.array(
        fc.record({ handle: fc.nat(2), by: fc.integer({ min: 1, max: 9 }), awaitIt: fc.boolean() }),
        { minLength: 1, maxLength: 20 },
      ),
      faults: fc.array(
        fc.record({
          kind: fc.constantFrom("kill", "crash", "gpu"),
          afterCall: fc.nat(20),
          restartAfterMs: fc.integer({ min: 0, max: 100 }),
        }),
        { maxLength: 3 },
      ),
      checkpointInterval: fc.constantFrom(0, 3),
      seed: fc.nat(1000),
    });
    await checkProperty(
      fc.asyncProperty(arb, async ({ calls, faults, checkpointInterval, seed }) => {
        const sim = cluster(seed);
        const out = await runBounded(sim, async (ray) => {
          const Cls = defineCounter(ray, {
            maxRestarts: -1,
            checkpointInterval,
            checkpointBytes: 1000,
            resources: { CPU: 1, GPU: 1 },
          });
          const first = Cls.remote();
          const handles = [first, first, first];
          const refs: ObjectRef<number>[] = [];
          for (let i = 0; i < calls.length; i++) {
            for (const f of faults) {
              if (f.afterCall !== i) continue;
              const node = sim.metrics
                .taskAttempts()
                .filter((r) => r.kind !== "task" && r.outcome === "ok")
                .at(-1)?.node;
              if (node === undefined || node === "head") continue;
              if (f.kind === "kill")
                sim.faults.killNode(node, { restartAfterMs: f.restartAfterMs });
              if (f.kind === "crash") sim.faults.crashWorkers({ task: "Counter.inc", times: 1 });
              if (f.kind === "gpu")
                sim.faults.failGpu(node, 0, { repairAfterMs: f.restartAfterMs });
            }
            const call = calls[i]!;
            const ref = handles[call.handle]!.inc.remote(call.handle, call.by);
            refs.push(ref);
            // Outputs a checkpoint covers cannot be replayed: with checkpoints, fetch each result
            // (its copy on the driver's node survives) before a fault can take the only one.
            if (call.awaitIt || checkpointInterval > 0) await ray.get(ref);
          }
          return { values: await ray.get(refs), state: await ray.get(first.state.remote()) };
        });
        let n = 0;
        const expected = calls.map((c) => (n += c.by));
        assert.deepEqual(out.values, expected);
        assert.deepEqual(
          out.state.log,
          calls.map((c) => [c.handle, c.by]),
        );
      }),
      {
        file: "test/core/recovery/actor-recovery.test.ts",
        numRuns: Number(process.env.RAYSIM_FC_RUNS ?? 100),
      },
    );
  },
);
