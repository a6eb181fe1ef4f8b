/**
 * Parameter-server SGD's headline relation at tiny size: with a PS shard's node killed, the
 * shard replays its updates (from the start, or from a checkpoint) and training ends with exactly
 * the failure-free parameters (real numbers); a checkpoint replays fewer calls than none.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { psTraining } from "../../../scenarios/ps-training/ps-training.js";
import {
  applyGradients,
  gradientShard,
  initialShard,
} from "../../../scenarios/ps-training/model.js";
import { resolveParams } from "../../../scenarios/runner/params.js";
import type { ScenarioResult } from "../../../scenarios/scenario.js";

function headline(result: ScenarioResult, key: string) {
  const h = result.headlines.find((x) => x.key === key);
  assert.ok(h !== undefined, `headline ${key}`);
  return h;
}

test("the model: a replayed update sequence reaches the same parameters, a skipped or repeated one does not", () => {
  const run = (order: readonly number[]) =>
    order.reduce(
      (p, it) =>
        applyGradients(
          p,
          [0, 1].map((w) => gradientShard(w, it, 0, p)),
          0.1,
        ),
      initialShard(0, 5),
    );
  assert.deepEqual(run([0, 1, 2, 3]), run([0, 1, 2, 3]));
  assert.notDeepEqual(run([0, 1, 2, 3]).values, run([0, 1, 3]).values);
  assert.notDeepEqual(run([0, 1, 2, 3]).values, run([0, 1, 1, 2, 3]).values);
});

test("ps-training ends with the failure-free parameters after a PS shard's node is killed, replay and checkpoint", async () => {
  const params = resolveParams(psTraining, "quick", {
    gpuNodes: 2,
    gpusPerNode: 2,
    psShards: 2,
    modelBytes: 20e6,
    iterations: 8,
    checkpointInterval: 3,
    elemsPerShard: 3,
  });
  const result = await psTraining.run(params as never, 4, () => {});
  const same = headline(result, "runsWithFailureFreeParams");
  assert.equal(same.value, 2);
  assert.equal(result.tables.kills!.rows.length, 2);
  const replay = headline(result, "replayCallsReplayed");
  const checkpoint = headline(result, "checkpointCallsReplayed");
  assert.equal(
    replay.value,
    replay.reference!.value,
    "replay re-executes every call before the kill",
  );
  assert.equal(
    checkpoint.value,
    checkpoint.reference!.value,
    "checkpoint replays the calls after it",
  );
  assert.ok(checkpoint.value < replay.value);
  const normal = result.tables
    .iterations!.rows.filter((r) => r.run === "failure-free")
    .map((r) => r.lengthMs as number);
  assert.ok(
    headline(result, "replayRecoveryIterationMs").value > Math.max(...normal),
    "the killed iteration is longer than any failure-free one",
  );
  const bound = headline(result, "imagesPerSec");
  assert.ok(
    bound.value <= bound.reference!.value,
    `throughput ${bound.value} above its bound ${bound.reference!.value}`,
  );
});
