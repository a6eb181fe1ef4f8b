/**
 * Ring allreduce's headline relations at tiny size: every member ends with the elementwise sum of
 * real integer vectors, with and without a member's node killed mid-run (the restarted member
 * replays its calls); the killed iteration is the long one; added task delay costs about one delay
 * per call on a member's chain.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fig12Allreduce } from "../../../scenarios/fig12-allreduce/fig12-allreduce.js";
import { RingState, expectedSum, sendSteps } from "../../../scenarios/fig12-allreduce/ring.js";
import { resolveParams } from "../../../scenarios/runner/params.js";
import type { ScenarioResult } from "../../../scenarios/scenario.js";

function headline(result: ScenarioResult, key: string) {
  const h = result.headlines.find((x) => x.key === key);
  assert.ok(h !== undefined, `headline ${key}`);
  return h;
}

test("ring arithmetic: 2(n − 1) steps leave every member with the elementwise sum", () => {
  for (const n of [2, 3, 4, 7]) {
    const members = Array.from({ length: n }, (_, i) => new RingState(i, n, 3));
    members.forEach((m) => m.begin(5));
    for (let s = 0; s < sendSteps(n); s++) {
      const out = members.map((m) => m.send(s));
      members.forEach((m, i) => m.receive(out[(i - 1 + n) % n]!));
    }
    const want = expectedSum(5, n, 3);
    for (const m of members) assert.deepEqual(m.vec, want, `n = ${n}, member ${m.index}`);
  }
});

for (const checkpointIterations of [0, 1]) {
  test(`allreduce sums are right with and without a member killed (checkpointIterations ${checkpointIterations})`, async () => {
    const params = resolveParams(fig12Allreduce, "quick", {
      nodes: 4,
      iterations: 2,
      failureIterations: 5,
      failureSizeBytes: 10e6,
      elemsPerChunk: 3,
      checkpointIterations,
    });
    const result = await fig12Allreduce.run(params as never, 3, () => {});
    const rows = result.tables.iterations!.rows;
    const failure = rows.filter((r) => r.experiment === "failure");
    assert.equal(failure.length, 5);
    for (const r of rows)
      assert.equal(
        r.correct,
        1,
        `${String(r.experiment)} iteration ${String(r.iteration)}: wrong sum`,
      );
    const correct = headline(result, "correctAllreduces");
    assert.equal(correct.value, correct.reference!.value);
    // The kill happened and was recovered from by replay, not skipped.
    assert.equal(result.tables.faults!.rows.length, 1);
    assert.ok(headline(result, "callsReplayed").value > 0, "no call was replayed");
    const restored = result.tables.actorRecovery!.rows;
    assert.equal(restored.length, 1);
    // With a checkpoint every allreduce, the member restarts from one (not from the start).
    assert.equal((restored[0]!.checkpointSeq as number) > 0, checkpointIterations > 0);
    const recovery = headline(result, "recoveryIterationMs").value;
    const normal = headline(result, "normalIterationMs").value;
    assert.ok(recovery > 5 * normal, `recovery iteration ${recovery} ms vs normal ${normal} ms`);
    for (const r of result.tables.bySize!.rows)
      assert.ok(
        (r.meanMs as number) >= (r.boundMs as number),
        `${String(r.size)}: ${String(r.meanMs)} ms below the bandwidth bound`,
      );
    // Each member's chain of 2(n − 1) + 1 calls pays an added delay once per call.
    const slope = headline(result, "delaySlopeMsPerMs");
    assert.ok(
      Math.abs(slope.value - slope.reference!.value) / slope.reference!.value < 0.25,
      `slope ${slope.value} vs ${slope.reference!.value}`,
    );
  });
}
