/**
 * A nested task creates an actor while its node is full, so the creation is forwarded; the global
 * scheduler places it on a node that has just died (not yet declared dead), and neither that node
 * nor the scheduler confirms it to the forwarder. Found by the differential property (RAYSIM_FC_SEED
 * 1 and 3) once actor creations were forwarded instead of queued behind a full node: the forwarder,
 * hearing nothing, ran the creation itself after its fallback delay while the owner restarted the
 * actor elsewhere ("alive on both head and w1"), or the scheduler sent the old placement again to
 * the node's new incarnation ("hosted twice on one node"). Now a repeated forward of a placed task
 * is answered "held" while the chosen node lives in that incarnation, and "placed" (stop; the
 * owner retries) once it does not.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Simulation } from "../../../sim/index.js";
import { evaluateDirectly, runDag, taskNamesOf, type DagSpec } from "../../support/dag.js";
import { applyFaults, type FaultSpec } from "../../support/faults.js";

const WORKERS = ["w1", "w2", "w3"];
const DAG: DagSpec = {
  tasks: [
    {
      args: [],
      durationMs: 0,
      returnBytes: 0,
      numReturns: 1,
      gpu: false,
      nested: { children: 1, childDurationMs: 0, actorCalls: 1 },
    },
    { args: [0], durationMs: 0, returnBytes: 0, numReturns: 1, gpu: false },
  ],
};

async function run(faults: FaultSpec[]): Promise<unknown> {
  const sim = new Simulation({
    seed: 340223,
    nodes: [
      { name: "head", cpus: 1, objectStoreBytes: 20e6 },
      ...WORKERS.map((name) => ({
        name,
        cpus: 2,
        objectStoreBytes: 12e6,
        gpus: [{ model: "V100" }],
      })),
    ],
    failureDetection: { heartbeatMs: 20, missedHeartbeats: 5 },
    checkInvariants: true,
    idleLimitMs: 10_000,
  });
  const names = taskNamesOf(DAG);
  const evictions = applyFaults(sim, faults, WORKERS, (i) => names[i]!, names.length);
  return sim.run((ray) => runDag(ray, DAG, { maxRetries: -1, onSubmitted: evictions }), {
    untilMs: 20_000,
  });
}

test("a forwarded actor creation placed on a node that just died runs once (no fallback copy)", async () => {
  const values = await run([{ kind: "kill", atMs: 181, node: 0, restartAfterMs: 100 }]);
  assert.deepEqual(values, evaluateDirectly(DAG));
});

test("a placement on a dead incarnation is not sent again to the node's next incarnation", async () => {
  const values = await run([{ kind: "kill", atMs: 105, node: 0, restartAfterMs: 96 }]);
  assert.deepEqual(values, evaluateDirectly(DAG));
});
