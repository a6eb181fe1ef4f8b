/**
 * Metrics over workload-sized traces: a `Math.max(...rows)` over a few hundred thousand attempts
 * overflowed the stack (`actor-reconstruction --full` died in `throughput`). These counts are
 * above what V8 accepts as spread arguments, so a spread reintroduced anywhere here fails.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Recorder } from "../../sim/recorder.js";
import { Metrics } from "../../sim/metrics.js";
import { faultBandPx } from "../../plots/fault-markers.js";

const ATTEMPTS = 300_000;

test("throughput() and recovery() handle 300 000 attempts (no spread over the rows)", () => {
  const recorder = new Recorder({ keepEvents: false });
  let nowUs = 0;
  const metrics = new Metrics(recorder, () => nowUs / 1000);
  recorder.record(0, "w1", { kind: "fault", fault: "killNode", target: "w1", durationUs: 0 });
  recorder.record(1000, "head", {
    kind: "node.died",
    nodeName: "w1",
    reason: "heartbeats",
    incarnation: 0,
  });
  for (let i = 0; i < ATTEMPTS; i++) {
    const taskId = `t${i}`;
    const tUs = 2000 + i * 10;
    // Every attempt is a re-execution after the kill, so recovery() scans all of them too.
    recorder.record(tUs, "w2", {
      kind: "task.submitted",
      taskId,
      name: "f",
      cause: "reconstruction",
      taskKind: "task",
      attempt: 1,
    });
    recorder.record(tUs + 1, "w2", {
      kind: "task.started",
      taskId,
      name: "f",
      gpus: "",
      attempt: 1,
    });
    recorder.record(tUs + 5, "w2", { kind: "task.finished", taskId, name: "f", attempt: 1 });
  }
  nowUs = 2000 + ATTEMPTS * 10;
  const rows = metrics.throughput({ bucketMs: 1000 });
  assert.equal(
    rows.reduce((n, r) => n + r.reconstruction, 0),
    ATTEMPTS,
  );
  const recovery = metrics.recovery();
  assert.equal(recovery.length, 1);
  assert.equal(recovery[0]!.reexecuted, ATTEMPTS);
  assert.equal(recovery[0]!.recoveredMs, (2000 + (ATTEMPTS - 1) * 10 + 5) / 1000);
});

test("faultBandPx handles 300 000 fault markers", () => {
  const faults = Array.from({ length: ATTEMPTS }, (_, i) => ({ tMs: i, label: `f${i}` }));
  assert.ok(faultBandPx(faults, [0, ATTEMPTS], 800) > 0);
});
