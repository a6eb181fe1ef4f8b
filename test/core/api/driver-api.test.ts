/**
 * The driver API of API.md, call by call, on small clusters with invariants checked after every
 * event. Each test states the virtual times it expects, derived from the configured durations.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Simulation,
  ConfigError,
  GetTimeoutError,
  TaskError,
  TaskUnschedulableError,
  ObjectRef,
  DeadlockError,
  type SimulationConfig,
} from "../../../sim/index.js";

const cluster = (extra: Partial<SimulationConfig> = {}): Simulation =>
  new Simulation({
    seed: 7,
    nodes: [
      { name: "head", cpus: 2 },
      {
        name: "w1",
        cpus: 4,
        resources: { tag1: 1 },
        gpus: [{ model: "V100" }, { model: "T4", speedFactor: 0.5 }],
      },
    ],
    checkInvariants: true,
    ...extra,
  });

test("remote().remote() returns a ref at once and get(ref) its value", async () => {
  const sim = cluster();
  const out = await sim.run(async (ray) => {
    const square = ray.remote((x: number) => x * x, { durationMs: 10 });
    const ref = square.remote(9);
    assert.ok(ref instanceof ObjectRef);
    assert.equal(ray.now(), 0);
    return [await ray.get(ref), ray.now()] as const;
  });
  assert.equal(out[0], 81);
  assert.ok(out[1] >= 10 && out[1] < 11, `finished at ${out[1]} ms`);
});

test("get([refs]) returns values in order; refs may be arguments (data edges)", async () => {
  const sim = cluster();
  const vals = await sim.run(async (ray) => {
    const inc = ray.remote((x: number) => x + 1, { durationMs: 1 });
    const a = inc.remote(1);
    const b = inc.remote(a);
    const c = inc.remote(b);
    return ray.get([c, a, b]);
  });
  assert.deepEqual(vals, [4, 2, 3]);
});

test("options() overrides without changing the original; numReturns gives that many refs", async () => {
  const sim = cluster();
  const got = await sim.run(async (ray) => {
    const split = ray.remote((x: number) => [x, x * 2, x * 3], { numReturns: 3 });
    const refs = split.remote(5) as unknown as ObjectRef<number>[];
    assert.equal(refs.length, 3);
    const slow = ray.remote(() => ray.now(), { durationMs: 1 });
    const t0 = ray.now();
    await ray.get(slow.options({ durationMs: 50 }).remote());
    const t1 = ray.now();
    await ray.get(slow.remote());
    return { values: await ray.get(refs), long: t1 - t0, short: ray.now() - t1 };
  });
  assert.deepEqual(got.values, [5, 10, 15]);
  assert.ok(got.long >= 50 && got.long < 51);
  assert.ok(got.short >= 1 && got.short < 2);
});

test("get(ref, { timeoutMs }) raises GetTimeoutError at exactly that virtual time", async () => {
  const sim = cluster();
  const at = await sim.run(async (ray) => {
    const slow = ray.remote(() => 1, { durationMs: 1000 });
    const t0 = ray.now();
    await assert.rejects(ray.get(slow.remote(), { timeoutMs: 30 }), GetTimeoutError);
    return ray.now() - t0;
  });
  assert.equal(at, 30);
});

test("wait() returns the first k to finish in virtual-time order; timeoutMs is honoured exactly", async () => {
  const sim = cluster();
  const got = await sim.run(async (ray) => {
    const after = ray.remote((ms: number) => ms, { durationMs: (args) => args[0] as number });
    const refs = [after.remote(40), after.remote(10), after.remote(25), after.remote(500)];
    const [ready, notReady] = await ray.wait(refs, { numReturns: 3 });
    const firstReady = await ray.get(ready);
    const t0 = ray.now();
    const [ready2, notReady2] = await ray.wait(notReady, { numReturns: 1, timeoutMs: 50 });
    return {
      firstReady,
      rest: notReady.length,
      timedOut: ready2.length === 0 && notReady2.length === 1,
      waitedUs: Math.round((ray.now() - t0) * 1000),
    };
  });
  assert.deepEqual(got.firstReady, [10, 25, 40]);
  assert.equal(got.rest, 1);
  assert.ok(got.timedOut);
  assert.equal(got.waitedUs, 50_000);
});

test("put(value) stores an object whose ref works as an argument and in get", async () => {
  const sim = cluster();
  const v = await sim.run(async (ray) => {
    const p = ray.put({ big: [1, 2, 3] }, { sizeBytes: 1e6 });
    const len = ray.remote((o: { big: number[] }) => o.big.length);
    return [await ray.get(p), await ray.get(len.remote(p))];
  });
  assert.deepEqual(v, [{ big: [1, 2, 3] }, 3]);
});

test("a throwing task raises TaskError with .cause, also on every dependent", async () => {
  const sim = cluster();
  await sim.run(async (ray) => {
    const boom = ray.remote(() => {
      throw new RangeError("bad input");
    });
    const inc = ray.remote((x: number) => x + 1);
    const failed = boom.remote();
    const dependent = inc.remote(inc.remote(failed));
    for (const ref of [failed, dependent]) {
      await assert.rejects(
        ray.get(ref),
        (e: unknown) =>
          e instanceof TaskError &&
          e.cause instanceof RangeError &&
          e.cause.message === "bad input",
      );
    }
  });
});

test("resources no node can ever provide raise TaskUnschedulableError", async () => {
  const sim = cluster();
  await sim.run(async (ray) => {
    const greedy = ray.remote(() => 1, { resources: { CPU: 64 } });
    await assert.rejects(ray.get(greedy.remote()), TaskUnschedulableError);
    const custom = ray.remote(() => 1, { resources: { CPU: 1, tpu: 1 } });
    await assert.rejects(ray.get(custom.remote()), TaskUnschedulableError);
  });
});

test("custom and GPU resources place tasks on the node that has them; tasks see their GPU ids", async () => {
  const sim = cluster();
  const ctx = await sim.run(async (ray) => {
    const where = ray.remote(() => ray.getRuntimeContext(), { resources: { CPU: 1, tag1: 1 } });
    const onGpu = ray.remote(() => ray.getRuntimeContext(), { resources: { CPU: 1, GPU: 1 } });
    return [await ray.get(where.remote()), await ray.get(onGpu.remote())];
  });
  assert.equal(ctx[0]!.nodeName, "w1");
  assert.equal(ctx[1]!.nodeName, "w1");
  assert.equal(ctx[1]!.gpuIds.length, 1);
});

test("fractional GPUs share one device; a duration may depend on the GPU model", async () => {
  const sim = cluster();
  const rows = await sim.run(async (ray) => {
    const half = ray.remote(() => ray.getRuntimeContext().gpuIds, {
      resources: { CPU: 0.5, GPU: 0.5 },
      durationMs: (_args, c) => (c.gpuModel === "T4" ? 40 : 10),
    });
    return ray.get([half.remote(), half.remote(), half.remote(), half.remote()]);
  });
  const counts = new Map<number, number>();
  for (const ids of rows) for (const g of ids) counts.set(g, (counts.get(g) ?? 0) + 1);
  assert.ok([...counts.values()].every((c) => c <= 4));
  const attempts = sim.metrics
    .taskAttempts()
    .filter((r) => r.name === "half" || r.gpuIds.length > 0);
  for (const r of attempts) assert.ok(r.gpuIds.length === 1);
});

test("nested tasks: a task body may submit and get children; ids derive from the parent", async () => {
  const sim = cluster();
  const v = await sim.run(async (ray) => {
    const leaf = ray.remote((x: number) => x * 10, { durationMs: 2 });
    const parent = ray.remote(
      async (n: number) => {
        const refs = Array.from({ length: n }, (_, i) => leaf.remote(i));
        const vals = await ray.get(refs);
        return vals.reduce((a, b) => a + b, 0);
      },
      { durationMs: 1 },
    );
    return ray.get(parent.remote(4));
  });
  assert.equal(v, 60);
  const ids = sim.metrics.taskAttempts().map((r) => r.taskId);
  assert.deepEqual(ids.sort(), ["t0", "t0.0", "t0.1", "t0.2", "t0.3"]);
});

test("a task blocked in get releases its CPU, so its children can run on a 1-CPU node", async () => {
  const sim = new Simulation({
    seed: 1,
    nodes: [{ name: "solo", cpus: 1 }],
    checkInvariants: true,
  });
  const v = await sim.run(async (ray) => {
    const child = ray.remote(() => 2, { durationMs: 5 });
    const parent = ray.remote(async () => (await ray.get(child.remote())) + 1);
    return ray.get(parent.remote());
  });
  assert.equal(v, 3);
});

test("actors: calls from one handle run one at a time, in submission order, keeping state", async () => {
  const sim = cluster();
  const got = await sim.run(async (ray) => {
    const Counter = ray.actor(
      class Counter {
        n = 0;
        log: number[] = [];
        inc(by: number) {
          this.n += by;
          this.log.push(by);
          return this.n;
        }
        history() {
          return this.log;
        }
      },
      { methods: { inc: { durationMs: 5 } } },
    );
    const c = Counter.remote();
    const refs = [1, 2, 3, 4].map((by) => c.inc.remote(by));
    return [await ray.get(refs), await ray.get(c.history.remote())] as const;
  });
  assert.deepEqual(got[0], [1, 3, 6, 10]);
  assert.deepEqual(got[1], [1, 2, 3, 4]);
  const calls = sim.metrics.taskAttempts().filter((r) => r.name === "Counter.inc");
  for (let i = 1; i < calls.length; i++)
    assert.ok(calls[i]!.startMs >= calls[i - 1]!.endMs, "calls overlapped");
});

test("sleep() lets exactly that much virtual time pass; nodes() lists the cluster", async () => {
  const sim = cluster();
  const got = await sim.run(async (ray) => {
    await ray.sleep(1234);
    return { now: ray.now(), nodes: ray.nodes().map((n) => [n.name, n.alive]) };
  });
  assert.equal(got.now, 1234);
  assert.deepEqual(got.nodes, [
    ["head", true],
    ["w1", true],
  ]);
});

test("bad configuration throws ConfigError naming the field and what is accepted", () => {
  assert.throws(
    () => new Simulation({ nodes: [{ name: "a", cpus: -1 }] }),
    (e: unknown) =>
      e instanceof ConfigError && /nodes\[0\]\.cpus must be a number >= 0, got -1/.test(e.message),
  );
  assert.throws(
    () => new Simulation({ scheduler: { policy: "fastest" as never } }),
    /scheduler\.policy must be/,
  );
  assert.throws(() => new Simulation({ nodes: [] }), /nodes must be a non-empty array/);
  assert.throws(
    () => new Simulation({ network: { latencyMS: 1 } as never }),
    /network\.latencyMS must be one of the known fields/,
  );
  assert.throws(
    () => new Simulation({ nodes: [{ name: "a" }, { name: "a" }] }),
    /nodes\[1\]\.name must be unique/,
  );
});

test("bad options throw ConfigError at remote()/actor() time", async () => {
  const sim = cluster();
  await sim.run(async (ray) => {
    assert.throws(
      () => ray.remote(() => 1, { numReturns: 0 }),
      /numReturns must be an integer >= 1/,
    );
    assert.throws(
      () => ray.remote(() => 1, { durationMs: { dist: "gamma" } as never }),
      /durationMs\.dist must be/,
    );
    assert.throws(
      () => ray.remote(() => 1, { maxRetries: -2 }),
      /maxRetries must be an integer >= 0/,
    );
    assert.throws(
      () => ray.actor(class A {}, { recovery: "rewind" as never }),
      /recovery must be "replay" or "restart"/,
    );
  });
});

test("a driver waiting on something that cannot happen gets a DeadlockError, not a hang", async () => {
  const sim = cluster({ idleLimitMs: 2_000 });
  await assert.rejects(
    sim.run(async (ray) => {
      const Stuck = ray.actor(
        class Stuck {
          m() {
            return 1;
          }
        },
        { resources: { CPU: 1, tag1: 1 } },
      );
      const s = Stuck.remote();
      const Stuck2 = ray.actor(
        class Stuck2 {
          m() {
            return 1;
          }
        },
        { resources: { CPU: 1, tag1: 1 } },
      );
      const s2 = Stuck2.remote();
      return ray.get([s.m.remote(), s2.m.remote()]);
    }),
    (e: unknown) => e instanceof DeadlockError && /get\(/.test(e.message),
  );
});

test("wait(refs, { fetchLocal: false }) is ready when a copy exists anywhere, without fetching it", async () => {
  const sim = cluster();
  await sim.run(async (ray) => {
    const big = ray.remote(() => 1, { returnBytes: 500e6, resources: { CPU: 1, tag1: 1 } });
    const ref = big.remote();
    const t0 = ray.now();
    const [ready] = await ray.wait([ref], { fetchLocal: false });
    assert.equal(ready.length, 1);
    assert.ok(ray.now() - t0 < 5, "no 500 MB transfer happened");
    assert.equal(sim.raylets.get("head")!.store.has(ref.id), false);
    await ray.wait([ref]);
    assert.equal(sim.raylets.get("head")!.store.has(ref.id), true, "the default fetches it");
  });
});
