/**
 * Channels that lose, duplicate and reorder (issue 10, item 3; API.md "Faults"): with any message
 * fault a run ends with the failure-free values and never hangs. What makes it so is the RPC layer
 * (core/rpc/rpc-layer.ts: ids, acks, resends, dedupe at the receiver), not the tests: each case
 * checks that the fault really hit messages.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ConfigError, Simulation, type Ray } from "../../sim/index.js";
import { checkProperty, PROPERTY_TIMEOUT_MS, runBounded } from "../support/property.js";
import {
  dagArbitrary,
  describeDag,
  evaluateDirectly,
  runDag,
  type DagSpec,
} from "../support/dag.js";

const WORKERS = ["w1", "w2", "w3"];
const FILE = "test/sim/message-faults.test.ts";

function cluster(
  seed: number,
  gcs: { shards: number; replicas: number } = { shards: 1, replicas: 1 },
): Simulation {
  return new Simulation({
    seed,
    gcs,
    nodes: [
      { name: "head", cpus: 2, objectStoreBytes: 20e6 },
      ...WORKERS.map((name) => ({
        name,
        cpus: 2,
        objectStoreBytes: 12e6,
        gpus: [{ model: "V100" }],
      })),
    ],
    failureDetection: { heartbeatMs: 20, missedHeartbeats: 10 },
    checkInvariants: true,
    idleLimitMs: 10_000,
  });
}

/** A fixed DAG with transfers between nodes (returns of 200 KB are bulk). */
const DAG: DagSpec = {
  tasks: [
    { args: [], durationMs: 5, returnBytes: 200_000, numReturns: 1, gpu: false },
    { args: [0], durationMs: 10, returnBytes: 8, numReturns: 2, gpu: false },
    { args: [0], durationMs: 3, returnBytes: 300_000, numReturns: 1, gpu: true },
    { args: [1, 2], durationMs: 7, returnBytes: 100, numReturns: 1, gpu: false },
    { args: [3, 0], durationMs: 1, returnBytes: 100_000, numReturns: 1, gpu: false },
    { args: [4, 2, 1], durationMs: 20, returnBytes: 8, numReturns: 1, gpu: false },
    { args: [], durationMs: 0, returnBytes: 8, numReturns: 1, gpu: false },
    { args: [6, 5], durationMs: 4, returnBytes: 8, numReturns: 1, gpu: false },
  ],
};

test("message faults reject bad options with a one-line error naming the parameter", () => {
  const sim = cluster(1);
  assert.throws(
    () => sim.faults.dropMessages({ probability: 1.5 }),
    (e: Error) =>
      e instanceof ConfigError && /dropMessages\(\{ probability \}\).*\[0, 1\]/.test(e.message),
  );
  assert.throws(
    () => sim.faults.duplicateMessages({ probability: -0.1 }),
    /duplicateMessages\(\{ probability \}\)/,
  );
  assert.throws(() => sim.faults.duplicateMessages({ probability: Number.NaN }), /probability/);
  assert.throws(
    () => sim.faults.delayMessages({ probability: 0.5, extraMs: 0 }),
    /delayMessages\(\{ extraMs \}\) must be a finite number of ms > 0/,
  );
  assert.throws(() => sim.faults.delayMessages({ probability: 0.5 } as never), /extraMs/);
  assert.throws(
    () => sim.faults.dropMessages({ probability: 0.5, to: "gsc" }),
    /dropMessages\(\{ to \}\) must be a node name or one of gcs, scheduler, raylet, worker/,
  );
  assert.throws(() => sim.faults.dropMessages({ probability: 0.5, from: "w9" }), /\{ from \}/);
  assert.throws(() => sim.faults.dropMessages({ probability: 0.5, durationMs: -1 }), /durationMs/);
  assert.throws(
    () => sim.faults.dropMessages({ probability: 0.5, extraMs: 3 }),
    /only delayMessages takes extraMs/,
  );
});

test("dropping every message to the GCS for 30 ms (p = 1) delays a DAG but its values are right", async () => {
  const sim = cluster(2);
  sim.faults.dropMessages({ to: "gcs", probability: 1, atMs: 0, durationMs: 30 });
  const values = await runBounded(sim, (ray) => runDag(ray, DAG), 60_000);
  assert.deepEqual(values, evaluateDirectly(DAG));
  assert.ok(sim.world.messagesDropped > 0);
  assert.ok(
    sim.metrics.events().some((e) => e.kind === "fault" && e.fault === "dropMessages"),
    "the fault is in the trace",
  );
});

test("dropping 30% of the messages on every link for 300 ms: right values, no hang", async () => {
  for (const seed of [3, 4, 5]) {
    const sim = cluster(seed);
    sim.faults.dropMessages({ probability: 0.3, atMs: 0, durationMs: 300 });
    const values = await runBounded(sim, (ray) => runDag(ray, DAG), 60_000);
    assert.deepEqual(values, evaluateDirectly(DAG), `seed ${seed}`);
    assert.ok(
      sim.world.messagesDropped > 10,
      `seed ${seed}: only ${sim.world.messagesDropped} dropped`,
    );
  }
});

class Recorder {
  calls: number[] = [];
  add(x: number) {
    this.calls.push(x);
    return this.calls.length;
  }
  log() {
    return this.calls;
  }
}

/** Nested tasks with puts (their worker blocks in `get`), an actor's calls, then the DAG. */
async function actorAndDag(ray: Ray) {
  const r = ray
    .actor(Recorder, { resources: { CPU: 1 }, methods: { add: { durationMs: 2 } } })
    .remote();
  const inner = ray.remote((x: number) => x + 1, { name: "inner", durationMs: 3 });
  const outer = ray.remote(
    async (x: number) => {
      const [a, b] = await ray.get([inner.remote(x), ray.put(x * 10)]);
      return a! + b!;
    },
    { name: "outer", durationMs: 2 },
  );
  const nested = await ray.get(Array.from({ length: 6 }, (_, i) => outer.remote(i)));
  const counts = await ray.get(Array.from({ length: 12 }, (_, i) => r.add.remote(i)));
  const values = await runDag(ray, DAG);
  return { nested, counts, log: await ray.get(r.log.remote()), values };
}

const NESTED = Array.from({ length: 6 }, (_, x) => x + 1 + x * 10);

test("duplicating 30% of the messages on every link: no attempt runs twice, each actor call runs once and in order; values right", async () => {
  for (const seed of [1, 2, 3]) {
    const sim = cluster(seed);
    sim.faults.duplicateMessages({ probability: 0.3, atMs: 0, durationMs: 10_000 });
    const out = await runBounded(sim, actorAndDag, 60_000);
    assert.deepEqual(out.nested, NESTED, `seed ${seed}`);
    assert.deepEqual(
      out.counts,
      Array.from({ length: 12 }, (_, i) => i + 1),
      `seed ${seed}`,
    );
    assert.deepEqual(
      out.log,
      Array.from({ length: 12 }, (_, i) => i),
      `seed ${seed}`,
    );
    assert.deepEqual(out.values, evaluateDirectly(DAG), `seed ${seed}`);
    assert.ok(
      sim.world.messagesDuplicated > 20,
      `seed ${seed}: only ${sim.world.messagesDuplicated} duplicated`,
    );
    // Every attempt ran once: no task id appears with the same attempt twice.
    const attempts = sim.metrics.taskAttempts().map((a) => `${a.taskId}#${a.attempt}`);
    assert.equal(new Set(attempts).size, attempts.length, `seed ${seed}: an attempt ran twice`);
  }
});

test("delaying 30% of the messages by 5 ms reorders them; actor calls stay in order and values right", async () => {
  for (const seed of [8, 9]) {
    const sim = cluster(seed);
    sim.faults.delayMessages({ probability: 0.3, extraMs: 5, atMs: 0, durationMs: 10_000 });
    const out = await runBounded(sim, actorAndDag, 60_000);
    assert.deepEqual(out.nested, NESTED, `seed ${seed}`);
    assert.deepEqual(
      out.log,
      Array.from({ length: 12 }, (_, i) => i),
      `seed ${seed}`,
    );
    assert.deepEqual(out.values, evaluateDirectly(DAG), `seed ${seed}`);
    assert.ok(
      sim.world.messagesDelayed > 20,
      `seed ${seed}: only ${sim.world.messagesDelayed} delayed`,
    );
  }
});

test("message faults are deterministic: the same seed gives the same run", async () => {
  const fingerprint = async () => {
    const sim = cluster(10);
    sim.faults.dropMessages({ probability: 0.2, atMs: 0, durationMs: 200 });
    sim.faults.duplicateMessages({ to: "raylet", probability: 0.2 });
    sim.faults.delayMessages({ from: "worker", probability: 0.2, extraMs: 3 });
    const values = await runBounded(sim, (ray) => runDag(ray, DAG), 60_000);
    return JSON.stringify([
      values,
      sim.nowMs,
      sim.world.messagesSent,
      sim.world.messagesDropped,
      sim.world.messagesDuplicated,
      sim.world.messagesDelayed,
    ]);
  };
  assert.equal(await fingerprint(), await fingerprint());
});

type Kind = "drop" | "duplicate" | "delay";
interface MessageFaultSpec {
  kind: Kind;
  to: string | undefined;
  from: string | undefined;
  probability: number;
  atMs: number;
  durationMs: number;
  extraMs: number;
}

const TARGETS = [undefined, "gcs", "scheduler", "raylet", "worker", ...WORKERS, "head"];

const faultArb: fc.Arbitrary<MessageFaultSpec> = fc.record({
  kind: fc.constantFrom<Kind>("drop", "duplicate", "delay"),
  to: fc.constantFrom(...TARGETS),
  from: fc.constantFrom(...TARGETS),
  probability: fc.integer({ min: 0, max: 30 }).map((p) => p / 100),
  atMs: fc.integer({ min: 0, max: 200 }),
  durationMs: fc.integer({ min: 1, max: 500 }),
  extraMs: fc.integer({ min: 1, max: 20 }),
});

function describeFault(f: MessageFaultSpec): string {
  const method =
    f.kind === "drop"
      ? "dropMessages"
      : f.kind === "duplicate"
        ? "duplicateMessages"
        : "delayMessages";
  const target = `${f.to === undefined ? "" : `to: "${f.to}", `}${f.from === undefined ? "" : `from: "${f.from}", `}`;
  return `sim.faults.${method}({ ${target}probability: ${f.probability}, atMs: ${f.atMs}, durationMs: ${f.durationMs}${f.kind === "delay" ? `, extraMs: ${f.extraMs}` : ""} });`;
}

function applyFault(sim: Simulation, f: MessageFaultSpec): void {
  const options = {
    to: f.to,
    from: f.from,
    probability: f.probability,
    atMs: f.atMs,
    durationMs: f.durationMs,
  };
  if (f.kind === "drop") sim.faults.dropMessages(options);
  else if (f.kind === "duplicate") sim.faults.duplicateMessages(options);
  else sim.faults.delayMessages({ ...options, extraMs: f.extraMs });
}

test(
  "a random DAG under random message faults (p <= 0.3) returns the failure-free values (property, 60 cases; single-server and chain-replicated GCS)",
  { timeout: PROPERTY_TIMEOUT_MS },
  async () => {
    const arb = fc.record({
      dag: dagArbitrary({ maxTasks: 10, maxReturnBytes: 500_000, gpus: true, maxDurationMs: 50 }),
      faults: fc.array(faultArb, { minLength: 1, maxLength: 4 }),
      gcs: fc.record({ shards: fc.constantFrom(1, 2), replicas: fc.constantFrom(1, 1, 2, 3) }),
      seed: fc.integer({ min: 0, max: 1e6 }),
    });
    await checkProperty(
      fc.asyncProperty(arb, async ({ dag, faults, gcs, seed }) => {
        const sim = cluster(seed, gcs);
        for (const f of faults) applyFault(sim, f);
        const context = `\nseed ${seed}, gcs ${JSON.stringify(gcs)}\nDAG:\n${describeDag(dag)}\nfaults:\n${faults.map(describeFault).join("\n")}`;
        let values: number[];
        try {
          values = await runBounded(sim, (ray) => runDag(ray, dag, { maxRetries: -1 }), 120_000);
        } catch (e) {
          throw new Error(`${(e as Error).name}: ${(e as Error).message}${context}`);
        }
        assert.deepEqual(
          values,
          evaluateDirectly(dag),
          `values differ from the failure-free run${context}`,
        );
      }),
      { numRuns: 60, file: FILE },
    );
  },
);
