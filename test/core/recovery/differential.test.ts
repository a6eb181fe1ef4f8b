/**
 * The heart of the mission, checked differentially: a random task DAG (whose tasks may submit
 * children and create and call actors) under a random *recoverable*
 * fault schedule (node kills with restarts, evictions, worker crashes, GPU failures; the driver's
 * node survives; retries unlimited) returns exactly the values of the failure-free run, finishes
 * within a stated virtual-time bound, and repeats its fingerprint for the same seed. A failure
 * prints the seed, the path, and the shrunk DAG and fault schedule as code.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Simulation } from "../../../sim/index.js";
import { checkProperty, PROPERTY_TIMEOUT_MS, runBounded } from "../../support/property.js";
import {
  dagArbitrary,
  describeDag,
  evaluateDirectly,
  runDag,
  taskNamesOf,
  type DagSpec,
  type NestedWork,
} from "../../support/dag.js";
import {
  applyFaults,
  describeFaults,
  faultScheduleArbitrary,
  type FaultSpec,
} from "../../support/faults.js";

const WORKERS = ["w1", "w2", "w3"];
const HEARTBEAT_MS = 20;
const MISSED = 5;

function cluster(seed: number): Simulation {
  return new Simulation({
    seed,
    nodes: [
      { name: "head", cpus: 1, objectStoreBytes: 20e6 },
      ...WORKERS.map((name) => ({
        name,
        cpus: 2,
        objectStoreBytes: 12e6,
        gpus: [{ model: "V100" }],
      })),
    ],
    failureDetection: { heartbeatMs: HEARTBEAT_MS, missedHeartbeats: MISSED },
    checkInvariants: true,
    idleLimitMs: 10_000,
  });
}

async function runCase(dag: DagSpec, faults: readonly FaultSpec[], seed: number) {
  const sim = cluster(seed);
  const names = taskNamesOf(dag);
  const evictions = applyFaults(sim, faults, WORKERS, (i) => names[i]!, names.length);
  const values = await runBounded(sim, (ray) =>
    runDag(ray, dag, { maxRetries: -1, onSubmitted: evictions }),
  );
  return { sim, values };
}

/** Liveness bound: each task may be hit by each fault once, each costing a detection and a rerun. */
function boundMs(dag: DagSpec, faults: readonly FaultSpec[]): number {
  const horizon = Math.max(
    0,
    ...faults.map(
      (f) =>
        f.atMs +
        ("restartAfterMs" in f ? f.restartAfterMs : 0) +
        ("repairAfterMs" in f ? f.repairAfterMs : 0),
    ),
  );
  const nestedMs = (n: NestedWork | undefined) =>
    n === undefined ? 0 : n.children * (n.childDurationMs + 50) + n.actorCalls * 55 + 100;
  const taskMs = dag.tasks.reduce((a, t) => a + t.durationMs + 50 + nestedMs(t.nested), 0);
  return horizon + (faults.length + 1) * (taskMs + HEARTBEAT_MS * MISSED * 3 + 500);
}

test(
  "a random DAG under random recoverable faults returns the failure-free values (property, 200 cases)",
  { timeout: PROPERTY_TIMEOUT_MS },
  async () => {
    let cases = 0;
    let exercised = 0;
    const arb = fc.record({
      dag: dagArbitrary({
        maxTasks: 12,
        maxReturnBytes: 1_500_000,
        gpus: true,
        maxDurationMs: 150,
        nested: true,
      }),
      faults: faultScheduleArbitrary({ horizonMs: 300, minFaults: 1, maxFaults: 4 }),
      seed: fc.integer({ min: 0, max: 1e6 }),
    });
    await checkProperty(
      fc.asyncProperty(arb, async ({ dag, faults, seed }) => {
        const { sim, values } = await runCase(dag, faults, seed);
        const names = taskNamesOf(dag);
        const context = `\nDAG:\n${describeDag(dag)}\nfaults:\n${describeFaults(faults, WORKERS, (i) => names[i]!, names.length)}`;
        assert.deepEqual(
          values,
          evaluateDirectly(dag),
          `values differ from the failure-free run${context}`,
        );
        assert.ok(
          sim.nowMs <= boundMs(dag, faults),
          `took ${sim.nowMs} ms, bound ${boundMs(dag, faults)} ms${context}`,
        );
        cases++;
        if ((sim.metrics.summary().reexecuted ?? 0) > 0) exercised++;
      }),
      {
        file: "test/core/recovery/differential.test.ts",
        numRuns: Number(process.env.RAYSIM_FC_RUNS ?? 200),
      },
    );
    // The faults must actually hit work: most cases should re-execute something.
    assert.ok(exercised >= cases / 4, `only ${exercised} of ${cases} cases re-executed any task`);
    console.log(`# differential: ${exercised} of ${cases} cases re-executed tasks`);
  },
);

test(
  "the same seed and fault schedule give the same fingerprint (property)",
  { timeout: PROPERTY_TIMEOUT_MS },
  async () => {
    await checkProperty(
      fc.asyncProperty(
        dagArbitrary({ maxTasks: 8, nested: true }),
        faultScheduleArbitrary({ horizonMs: 300, maxFaults: 3 }),
        fc.nat(1000),
        async (dag, faults, seed) => {
          const a = await runCase(dag, faults, seed);
          const b = await runCase(dag, faults, seed);
          assert.equal(a.sim.metrics.fingerprint(), b.sim.metrics.fingerprint());
        },
      ),
      { file: "test/core/recovery/differential.test.ts", numRuns: 25 },
    );
  },
);
