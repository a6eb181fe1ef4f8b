/**
 * GCS flushing (issue 5 item 6; Ray paper Fig 10b). Method: long runs of sequential tasks with the
 * GCS memory sampled into the trace (`metrics.gcsMemory()`): without flushing the memory grows
 * linearly with the tasks; with `gcs.flushBytes` every sample stays under the cap while every
 * result is still right (fast-check over caps, run lengths, replication and mode). Then lineage
 * that was flushed: rebuilding a lost object reads it back from storage (mode "storage"), or fails
 * with the lineage-evicted error (mode "discard"). Last, the state-side rule that a flushed object
 * row comes back without the locations on nodes that died meanwhile.
 *
 * Measured (seed 1, 3000 sequential tasks, cap 100 kB, one replica): without flushing the shard
 * ends at 1.18 MB and grows ~390 B per task; with flushing its peak is 90 kB.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Simulation,
  ObjectReconstructionFailedLineageEvictedError,
  TaskError,
  type ObjectRef,
} from "../../../sim/index.js";
import { address } from "../../../core/env.js";
import { GcsShardState } from "../../../core/gcs/shard-state.js";
import { applyFlushed, applyRestore, pickFlushBatch } from "../../../core/gcs/shard-flush.js";
import type { ObjectId } from "../../../core/ids.js";
import { checkProperty, PROPERTY_TIMEOUT_MS, runBounded } from "../../support/property.js";

const FILE = "test/core/gcs/flushing.test.ts";

interface SequentialRun {
  sim: Simulation;
  sum: number;
  expected: number;
  first: ObjectRef<number>;
}

function cluster(gcs: Record<string, unknown>, seed = 1): Simulation {
  return new Simulation({
    seed,
    nodes: [
      { name: "head", cpus: 1 },
      { name: "w1", cpus: 2, resources: { w1: 100 } },
    ],
    gcs: { memorySampleMs: 10, ...gcs },
  });
}

/** `tasks` tasks submitted one after another (each waits for the last), as in Fig 10b. */
async function runSequential(
  sim: Simulation,
  tasks: number,
  after?: (
    run: SequentialRun,
    ray: Parameters<Parameters<Simulation["run"]>[0]>[0],
  ) => Promise<void>,
): Promise<SequentialRun> {
  let run!: SequentialRun;
  await runBounded(sim, async (ray) => {
    const inc = ray.remote((x: number) => x + 1, {
      name: "inc",
      durationMs: 1,
      resources: { CPU: 1, w1: 1 },
    });
    const first = inc.remote(0);
    let sum = await ray.get(first);
    for (let i = 1; i < tasks; i++) sum += await ray.get(inc.remote(i));
    run = { sim, sum, expected: (tasks * (tasks + 1)) / 2, first };
    await after?.(run, ray);
  });
  return run;
}

function peakBytes(sim: Simulation): number {
  return Math.max(...sim.metrics.gcsMemory().map((r) => r.bytes));
}

test("without flushing, GCS memory grows linearly with the tasks tracked", async () => {
  const short = await runSequential(cluster({}), 500);
  const long = await runSequential(cluster({}), 2000);
  assert.equal(long.sum, long.expected);
  const perTask = (peakBytes(long.sim) - peakBytes(short.sim)) / 1500;
  assert.ok(perTask > 200, `${perTask} bytes per task`);
  assert.ok(
    peakBytes(long.sim) > 3.5 * peakBytes(short.sim),
    `${peakBytes(long.sim)} vs ${peakBytes(short.sim)}`,
  );
});

test(
  "gcs.flushBytes keeps every memory sample under the cap over a long run, and results stay right (property)",
  { timeout: PROPERTY_TIMEOUT_MS },
  async () => {
    const arb = fc.record({
      capBytes: fc.integer({ min: 30_000, max: 200_000 }),
      tasks: fc.integer({ min: 800, max: 3000 }),
      replicas: fc.integer({ min: 1, max: 2 }),
      mode: fc.constantFrom("storage" as const, "discard" as const),
      seed: fc.nat(100),
    });
    await checkProperty(
      fc.asyncProperty(arb, async ({ capBytes, tasks, replicas, mode, seed }) => {
        const sim = cluster({ flushBytes: capBytes, flushMode: mode, replicas }, seed);
        const run = await runSequential(sim, tasks);
        assert.equal(run.sum, run.expected);
        const rows = sim.metrics.gcsMemory();
        assert.ok(rows.length > 10, `only ${rows.length} memory samples`);
        const over = rows.filter((r) => r.bytes > capBytes);
        assert.deepEqual(over, [], `memory above the cap of ${capBytes} bytes`);
        assert.ok(sim.world.storage.bytesWritten > 0, "nothing was flushed");
      }),
      { file: FILE, numRuns: Number(process.env.RAYSIM_FC_RUNS ?? 8) },
    );
  },
);

test("reconstruction after flushing reads the lineage back from storage (flushMode storage)", async () => {
  const sim = cluster({ flushBytes: 60_000, flushMode: "storage" });
  let rebuilt = NaN;
  let readBefore = 0;
  await runSequential(sim, 1500, async (run, ray) => {
    readBefore = sim.world.storage.bytesRead;
    sim.faults.evict(run.first);
    await ray.sleep(1);
    const times10 = ray.remote((x: number) => x * 10, { resources: { CPU: 1, w1: 1 } });
    rebuilt = await ray.get(times10.remote(run.first));
  });
  assert.equal(rebuilt, 10);
  assert.ok(sim.world.storage.bytesRead > readBefore, "the flushed row was read back");
  const rerun = sim.metrics.taskAttempts().filter((a) => a.cause === "reconstruction");
  assert.deepEqual(
    rerun.map((a) => a.taskId),
    ["t0"],
  );
});

test("reconstruction after discarding flushed lineage raises ObjectReconstructionFailedLineageEvictedError (flushMode discard)", async () => {
  const sim = cluster({ flushBytes: 60_000, flushMode: "discard" });
  await runSequential(sim, 1500, async (run, ray) => {
    sim.faults.evict(run.first);
    await ray.sleep(1);
    await assert.rejects(ray.get(run.first), ObjectReconstructionFailedLineageEvictedError);
    const times10 = ray.remote((x: number) => x * 10, { resources: { CPU: 1, w1: 1 } });
    await assert.rejects(
      ray.get(times10.remote(run.first)),
      (e: unknown) =>
        e instanceof TaskError && e.cause instanceof ObjectReconstructionFailedLineageEvictedError,
    );
  });
});

test("a flushed object row comes back without the locations on nodes that died while it was in storage", () => {
  const state = new GcsShardState(0, Infinity, true);
  const id = "t1:0" as ObjectId;
  for (const node of ["a", "b"])
    state.apply(
      { op: "object.add", objectId: id, node, incarnation: 0, sizeBytes: 8, fromPut: false },
      address("raylet", node),
      0,
    );
  const bytesBefore = state.bytes;
  const batch = pickFlushBatch(state, 0, 10, "k")!;
  assert.deepEqual([...batch.objects.keys()], [id]);
  applyFlushed(state, {
    op: "internal.flushed",
    storageKey: "k",
    taskIds: [],
    objectIds: [id],
    discardTasks: false,
  });
  assert.equal(state.objects.has(id), false);
  assert.ok(state.bytes < bytesBefore);
  state.removeLocationsOn("a", []);
  applyRestore(state, { op: "internal.restore", tasks: [], objects: [...batch.objects.values()] });
  assert.deepEqual(state.objects.get(id)?.locations, ["b"]);
  assert.equal(state.bytes, bytesBefore - 24);
});
