/**
 * executeRuns(): worker threads give the same outcomes as the main thread, in run order, and a
 * failing run stops the sweep with the command that replays it.
 * Method: a tiny mmc-queue sweep, once on this thread and once on a worker only.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { threadId } from "node:worker_threads";
import { mmcQueue } from "../../../scenarios/mmc-queue/mmc-queue.js";
import { executeRuns, SweepRunError, type RunOutcome } from "../../../scenarios/sweep/pool.js";
import { planRuns, type SweepPlan } from "../../../scenarios/sweep/plan.js";

const plan: SweepPlan = {
  scenario: "mmc-queue",
  size: "quick",
  seeds: [1, 2, 3],
  grid: [["servers", [1, 2]]],
  sets: { jobs: 400 },
};
const numbers = (outcomes: readonly RunOutcome[]) =>
  outcomes.map(({ wallMs: _w, threadId: _t, ...rest }) => rest);

test("executeRuns() on worker threads gives the outcomes of the main thread, in run order", async () => {
  const runs = planRuns(mmcQueue, plan);
  const inline = await executeRuns(runs, { jobs: 1, onProgress: () => {} });
  assert.ok(inline.every((o) => o.threadId === threadId));
  let progressed = 0;
  // One worker: a second would only add its start-up (seconds of ts-node) to the test.
  const workers = await executeRuns(runs, {
    jobs: 1,
    mainThread: false,
    onProgress: (done) => (progressed = Math.max(progressed, done)),
  });
  assert.ok(
    workers.every((o) => o.threadId !== threadId),
    "every run ran on a worker",
  );
  assert.deepEqual(numbers(workers), numbers(inline));
  assert.deepEqual(
    workers.map((o) => o.index),
    [0, 1, 2, 3, 4, 5],
  );
  assert.equal(progressed, 6);
});

test("executeRuns() stops at a failing run and names the command that replays it", async () => {
  // Utilisation 1 has no steady state: Erlang C refuses it after the simulation ran.
  const runs = planRuns(mmcQueue, plan).map((r) =>
    r.index === 1
      ? { ...r, request: { ...r.request, params: { ...r.request.params, utilisation: 1 } } }
      : r,
  );
  await assert.rejects(
    executeRuns(runs, { jobs: 1, onProgress: () => {} }),
    (e: unknown) =>
      e instanceof SweepRunError &&
      /run 1 \(seed 2\) failed: .*must be < 1[\s\S]*replay: npm start -- run mmc-queue --seed 2 --set servers=1 --set utilisation=1 --set jobs=400/.test(
        e.message,
      ),
  );
});
