/**
 * Property: a random task DAG run on the simulated cluster yields exactly the values of evaluating
 * it directly in TypeScript, and the same seed gives the same trace fingerprint.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Simulation } from "../../sim/index.js";
import { checkProperty, PROPERTY_TIMEOUT_MS, runBounded } from "../support/property.js";
import { dagArbitrary, evaluateDirectly, runDag } from "../support/dag.js";

function cluster(seed: number) {
  return new Simulation({
    seed,
    nodes: [
      { name: "head", cpus: 1 },
      { name: "w1", cpus: 2, objectStoreBytes: 5e6 },
      { name: "w2", cpus: 2 },
    ],
    checkInvariants: true,
  });
}

test(
  "a random DAG yields the values of direct evaluation; same seed, same fingerprint (property)",
  { timeout: PROPERTY_TIMEOUT_MS },
  async () => {
    await checkProperty(
      fc.asyncProperty(
        dagArbitrary({ maxTasks: 15 }),
        fc.integer({ min: 0, max: 1000 }),
        async (dag, seed) => {
          const a = cluster(seed);
          const values = await runBounded(a, (ray) => runDag(ray, dag));
          assert.deepEqual(values, evaluateDirectly(dag));
          const b = cluster(seed);
          await runBounded(b, (ray) => runDag(ray, dag));
          assert.equal(a.metrics.fingerprint(), b.metrics.fingerprint());
        },
      ),
      { file: "test/sim/dag-evaluation.test.ts", numRuns: 40 },
    );
  },
);
