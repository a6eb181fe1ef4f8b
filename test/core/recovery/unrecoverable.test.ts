/**
 * Unrecoverable and bounded cases of lineage recovery: each ends in the right typed error at the
 * right `get`, never a hang or a wrong value; and reconstruction re-executes only what was lost.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Simulation,
  ObjectLostError,
  ObjectReconstructionFailedMaxAttemptsExceededError,
  ObjectReconstructionFailedLineageEvictedError,
  NodeDiedError,
  WorkerCrashedError,
  TaskError,
  type ObjectRef,
} from "../../../sim/index.js";
import { checkProperty, PROPERTY_TIMEOUT_MS, runBounded } from "../../support/property.js";

const fast = { heartbeatMs: 10, missedHeartbeats: 5 };

function twoWorkers(extra: Record<string, unknown> = {}) {
  return new Simulation({
    seed: 5,
    nodes: [
      { name: "head", cpus: 1 },
      { name: "w1", cpus: 2, resources: { w1: 10 } },
      { name: "w2", cpus: 2, resources: { w2: 10 } },
    ],
    failureDetection: fast,
    checkInvariants: true,
    ...extra,
  });
}

test("get() of a put object lost with its node raises ObjectLostError", async () => {
  const sim = twoWorkers();
  await sim.run(async (ray) => {
    const putOnW1 = ray.remote(() => ray.put(41, { sizeBytes: 1000 }), {
      resources: { CPU: 1, w1: 1 },
    });
    const inner = await ray.get(putOnW1.remote());
    sim.faults.killNode("w1", { restartAfterMs: 10 });
    await ray.sleep(200);
    await assert.rejects(
      ray.get(inner),
      (e: unknown) => e instanceof ObjectLostError && /put\(\)/.test((e as Error).message),
    );
  });
});

test("a task depending on a put can be rebuilt while a copy of the put survives", async () => {
  const sim = twoWorkers();
  const v = await sim.run(async (ray) => {
    const p = ray.put(10, { sizeBytes: 1000 });
    const addOne = ray.remote((x: number) => x + 1, { resources: { CPU: 1, w1: 1 } });
    const r = addOne.remote(p);
    await ray.get(r);
    sim.faults.killNode("w1", { restartAfterMs: 10 });
    await ray.sleep(200);
    sim.faults.evict(r); // the driver's own copy too
    await ray.sleep(1);
    return ray.get(r);
  });
  assert.equal(v, 11);
  const rerun = sim.metrics.taskAttempts().filter((a) => a.cause === "reconstruction");
  assert.equal(rerun.length, 1);
});

test("an object lost twice with maxRetries: 1 gives the max-attempts error the second time", async () => {
  const sim = twoWorkers();
  await sim.run(async (ray) => {
    const make = ray.remote(() => 7, { resources: { CPU: 1, w1: 1 }, maxRetries: 1 });
    const r = make.remote();
    assert.equal(await ray.get(r), 7);
    sim.faults.killNode("w1", { restartAfterMs: 10 });
    await ray.sleep(200);
    sim.faults.evict(r);
    await ray.sleep(1);
    assert.equal(await ray.get(r), 7, "the first loss is rebuilt");
    sim.faults.killNode("w1", { restartAfterMs: 10 });
    await ray.sleep(200);
    sim.faults.evict(r);
    await ray.sleep(1);
    await assert.rejects(ray.get(r), ObjectReconstructionFailedMaxAttemptsExceededError);
  });
});

test("a chain of 20 whose stores overflowed is rebuilt only back to the first surviving ancestor", async () => {
  const sim = new Simulation({
    seed: 2,
    nodes: [
      { name: "head", cpus: 1, objectStoreBytes: 100e6 },
      { name: "w1", cpus: 1, objectStoreBytes: 5.5e6, resources: { w1: 1 } },
    ],
    checkInvariants: true,
  });
  const v = await sim.run(async (ray) => {
    const step = ray.remote((x: number) => x + 1, {
      durationMs: 1,
      returnBytes: 1e6,
      resources: { CPU: 1, w1: 1 },
    });
    const chain: ObjectRef<number>[] = [step.remote(0)];
    for (let i = 1; i < 20; i++) chain.push(step.remote(chain[i - 1]!));
    await ray.wait([chain[19]!]);
    // w1 keeps only the 5 newest results; the driver copies chain[9] to the head before.
    return ray.get(chain[4]!);
  });
  assert.equal(v, 5);
  const rebuilt = sim.metrics
    .taskAttempts()
    .filter((a) => a.cause === "reconstruction")
    .map((a) => a.taskId)
    .sort();
  assert.deepEqual(rebuilt, ["t0", "t1", "t2", "t3", "t4"]);
});

test("a chain is rebuilt only back to an ancestor that still has a copy", async () => {
  const sim = new Simulation({
    seed: 2,
    nodes: [
      { name: "head", cpus: 1, objectStoreBytes: 100e6 },
      { name: "w1", cpus: 1, objectStoreBytes: 5.5e6, resources: { w1: 1 } },
    ],
    checkInvariants: true,
  });
  await sim.run(async (ray) => {
    const step = ray.remote((x: number) => x + 1, {
      durationMs: 1,
      returnBytes: 1e6,
      resources: { CPU: 1, w1: 1 },
    });
    const chain: ObjectRef<number>[] = [step.remote(0)];
    for (let i = 1; i < 20; i++) chain.push(step.remote(chain[i - 1]!));
    await ray.get(chain[9]!); // a copy of chain[9] now lives on the head
    await ray.wait([chain[19]!]);
    sim.faults.evict(chain[12]!);
    sim.faults.evict(chain[13]!);
    await ray.sleep(1);
    assert.equal(await ray.get(chain[13]!), 14);
  });
  const rebuilt = sim.metrics
    .taskAttempts()
    .filter((a) => a.cause === "reconstruction")
    .map((a) => a.taskId)
    .sort();
  assert.deepEqual(rebuilt, ["t10", "t11", "t12", "t13"]);
});

test("lineage evicted under gcs.maxLineageBytes gives the lineage-evicted error", async () => {
  const sim = twoWorkers({ gcs: { maxLineageBytes: 3000 } });
  await sim.run(async (ray) => {
    const make = ray.remote((i: number) => i, { resources: { CPU: 1, w1: 1 } });
    const refs = Array.from({ length: 40 }, (_, i) => make.remote(i));
    await ray.get(refs);
    sim.faults.evict(refs[0]!);
    await ray.sleep(1);
    await assert.rejects(ray.get(refs[0]!), ObjectReconstructionFailedLineageEvictedError);
  });
});

test("a dependent of an unrecoverable object raises TaskError whose cause is that error", async () => {
  const sim = twoWorkers({ gcs: { maxLineageBytes: 3000 } });
  await sim.run(async (ray) => {
    const make = ray.remote((i: number) => i, { resources: { CPU: 1, w1: 1 } });
    const refs = Array.from({ length: 40 }, (_, i) => make.remote(i));
    await ray.get(refs);
    sim.faults.evict(refs[0]!);
    await ray.sleep(1);
    const use = ray.remote((x: number) => x + 1);
    await assert.rejects(
      ray.get(use.remote(refs[0]!)),
      (e: unknown) =>
        e instanceof TaskError && e.cause instanceof ObjectReconstructionFailedLineageEvictedError,
    );
  });
});

test("a node dying under a running task with maxRetries: 0 raises NodeDiedError", async () => {
  const sim = twoWorkers();
  await sim.run(async (ray) => {
    const slow = ray.remote(() => 1, {
      durationMs: 500,
      resources: { CPU: 1, w1: 1 },
      maxRetries: 0,
    });
    const r = slow.remote();
    sim.faults.killNode("w1", { atMs: 100 });
    await assert.rejects(ray.get(r), NodeDiedError);
  });
});

test("crashWorkers() beyond maxRetries raises WorkerCrashedError; within it, the task succeeds", async () => {
  const sim = twoWorkers();
  await sim.run(async (ray) => {
    const fragile = ray.remote(() => "ok", { name: "fragile", durationMs: 10, maxRetries: 2 });
    sim.faults.crashWorkers({ task: "fragile", times: 2 });
    assert.equal(await ray.get(fragile.remote()), "ok");
    const brittle = ray.remote(() => "ok", { name: "brittle", durationMs: 10, maxRetries: 1 });
    sim.faults.crashWorkers({ task: "brittle", times: 2 });
    await assert.rejects(ray.get(brittle.remote()), WorkerCrashedError);
  });
  const fragile = sim.metrics.taskAttempts().filter((a) => a.name === "fragile");
  assert.deepEqual(
    fragile.map((a) => [a.cause, a.outcome]),
    [
      ["original", "killed"],
      ["retry", "killed"],
      ["retry", "ok"],
    ],
  );
});

test("retryExceptions retries user errors of the listed classes only", async () => {
  const sim = twoWorkers();
  await sim.run(async (ray) => {
    let calls = 0;
    const flaky = ray.remote(
      () => {
        if (++calls < 3) throw new RangeError("transient");
        return calls;
      },
      { retryExceptions: [RangeError], maxRetries: 5 },
    );
    assert.equal(await ray.get(flaky.remote()), 3);
    const typed = ray.remote(
      () => {
        throw new TypeError("permanent");
      },
      { retryExceptions: [RangeError], maxRetries: 5 },
    );
    await assert.rejects(
      ray.get(typed.remote()),
      (e: unknown) => e instanceof TaskError && e.cause instanceof TypeError,
    );
  });
});

test("a partitioned node is declared dead, its work is redone, and it rejoins as a fresh incarnation", async () => {
  const sim = twoWorkers();
  const v = await sim.run(async (ray) => {
    const work = ray.remote((i: number) => i * 2, {
      durationMs: 100,
      resources: { CPU: 1, w1: 1 },
    });
    const r = work.remote(21);
    sim.faults.partition(["w1"], ["head", "w2"], { atMs: 20, healAfterMs: 300 });
    const value = await ray.get(r);
    await ray.sleep(500);
    return value;
  });
  assert.equal(v, 42);
  const w1 = sim.nodeInfos().find((n) => n.name === "w1")!;
  assert.ok(w1.incarnation >= 1, "w1 rejoined as a new incarnation after the heal");
  assert.ok(sim.metrics.faults().some((f) => f.fault === "fencedRestart"));
});

test(
  "unrecoverable schedules end in the right typed error at the right get (property)",
  { timeout: PROPERTY_TIMEOUT_MS },
  async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 8 }),
        fc.constantFrom("put", "budget", "lineage"),
        fc.nat(100),
        async (length, kind, seed) => {
          const sim = new Simulation({
            seed,
            nodes: [
              { name: "head", cpus: 1 },
              { name: "w1", cpus: 2, resources: { w1: 100 } },
            ],
            failureDetection: fast,
            gcs: kind === "lineage" ? { maxLineageBytes: 1 } : {},
            checkInvariants: true,
          });
          await runBounded(sim, async (ray) => {
            const step = ray.remote((x: number) => x + 1, {
              durationMs: 5,
              resources: { CPU: 1, w1: 1 },
              maxRetries: kind === "budget" ? 0 : 3,
            });
            const source =
              kind === "put"
                ? await ray.get(
                    ray
                      .remote(() => ray.put(0, { sizeBytes: 10 }), { resources: { CPU: 1, w1: 1 } })
                      .remote(),
                  )
                : step.remote(-1);
            const chain: ObjectRef<number>[] = [source];
            for (let i = 1; i < length; i++) chain.push(step.remote(chain[i - 1]!));
            assert.equal(await ray.get(chain[length - 1]!), length - 1);
            sim.faults.killNode("w1", { restartAfterMs: 5 });
            await ray.sleep(100);
            const expected = {
              put: ObjectLostError,
              budget: ObjectReconstructionFailedMaxAttemptsExceededError,
              lineage: ObjectReconstructionFailedLineageEvictedError,
            }[kind];
            // The source is lost for good, and so is whatever needs it now.
            await assert.rejects(ray.get(chain[0]!), expected);
            await assert.rejects(
              ray.get(step.remote(chain[0]!)),
              (e: unknown) => e instanceof TaskError && e.cause instanceof expected,
            );
          });
        },
      ),
      { file: "test/core/recovery/unrecoverable.test.ts", numRuns: 30 },
    );
  },
);
