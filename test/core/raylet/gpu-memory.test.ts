/**
 * GPU memory as a resource: validation of `gpuMemoryBytes`, placement that respects a GPU's free
 * memory (local and global scheduler, fractional GPUs sharing memory), GpuOutOfMemoryError at
 * launch when memory held outside Ray leaves too little, retried only as retryExceptions says,
 * TaskUnschedulableError when no GPU anywhere could hold it, and memory given back when a task
 * ends or an actor dies. Relations between runs, not absolute times (control-plane costs move).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Simulation,
  ConfigError,
  GpuOutOfMemoryError,
  TaskUnschedulableError,
  type SimulationConfig,
} from "../../../sim/index.js";

const GB = 1e9;

const cluster = (extra: Partial<SimulationConfig> = {}): Simulation =>
  new Simulation({
    seed: 3,
    nodes: [
      { name: "head", cpus: 2 },
      { name: "w1", cpus: 4, gpus: [{ model: "V100", memoryBytes: 16 * GB }] },
    ],
    checkInvariants: true,
    ...extra,
  });

test("gpuMemoryBytes: a finite number >= 0, and only with resources.GPU > 0", async () => {
  const sim = cluster();
  await sim.run((ray) => {
    const f = () => 1;
    for (const bad of [-1, Number.NaN, Infinity, "4GB"]) {
      assert.throws(
        () => ray.remote(f, { resources: { GPU: 1 }, gpuMemoryBytes: bad as number }),
        (e: unknown) =>
          e instanceof ConfigError &&
          /remote\(f\)\.gpuMemoryBytes must be a finite number >= 0/.test(e.message),
      );
    }
    assert.throws(
      () => ray.remote(f, { gpuMemoryBytes: 1 * GB }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /remote\(f\)\.gpuMemoryBytes must be used with resources\.GPU > 0/.test(e.message),
    );
    assert.throws(
      () =>
        ray
          .remote(f, { resources: { GPU: 1 } })
          .options({ resources: { CPU: 1 }, gpuMemoryBytes: 1 }),
      /gpuMemoryBytes must be used with resources\.GPU > 0/,
    );
    class Learner {}
    assert.throws(
      () => ray.actor(Learner, { gpuMemoryBytes: 2 * GB }),
      /actor\(Learner\)\.gpuMemoryBytes must be used with resources\.GPU > 0/,
    );
    assert.throws(
      () => ray.actor(Learner, { resources: { GPU: 0.5 }, gpuMemoryBytes: -5 }),
      /actor\(Learner\)\.gpuMemoryBytes must be a finite number >= 0/,
    );
    ray.remote(f, { resources: { GPU: 0.5 }, gpuMemoryBytes: 0 });
  });
});

/** Two half-GPU tasks of `memoryBytes` each on one 16 GB GPU: when does the second start? */
async function twoHalfGpuTasks(memoryBytes: number): Promise<{ starts: number[]; ends: number[] }> {
  const sim = cluster();
  const spans = await sim.run(async (ray) => {
    const train = ray.remote(
      async () => {
        const start = ray.now();
        await ray.sleep(100);
        return [start, ray.now()];
      },
      { name: "train", resources: { CPU: 1, GPU: 0.5 }, gpuMemoryBytes: memoryBytes },
    );
    return ray.get([train.remote(), train.remote()]);
  });
  return {
    starts: spans.map((s) => s[0]!).sort((a, b) => a - b),
    ends: spans.map((s) => s[1]!).sort((a, b) => a - b),
  };
}

test("fractional GPUs sharing a GPU share its memory: two 10 GB halves of a 16 GB GPU run one after the other", async () => {
  const fit = await twoHalfGpuTasks(6 * GB);
  assert.ok(
    fit.starts[1]! < fit.ends[0]!,
    `6 GB + 6 GB fit in 16 GB and overlap: ${JSON.stringify(fit)}`,
  );
  const tooBig = await twoHalfGpuTasks(10 * GB);
  assert.ok(
    tooBig.starts[1]! >= tooBig.ends[0]!,
    `10 GB + 10 GB do not fit in 16 GB at once: ${JSON.stringify(tooBig)}`,
  );
});

test("the global scheduler sends a request only to a node with a GPU whose free memory holds it", async () => {
  const sim = new Simulation({
    seed: 5,
    nodes: [
      { name: "head", cpus: 2 },
      { name: "big", cpus: 4, gpus: [{ model: "A100", memoryBytes: 40 * GB }] },
      { name: "small", cpus: 4, gpus: [{ model: "T4", memoryBytes: 16 * GB }] },
    ],
    checkInvariants: true,
  });
  const nodes = await sim.run(async (ray) => {
    class Resident {
      where(): string {
        return ray.getRuntimeContext().nodeName;
      }
    }
    // 30 GB fits only the A100; then 12 GB fits only the T4, whose half share is as free as the A100's.
    const resident = ray
      .actor(Resident, { resources: { CPU: 1, GPU: 0.5 }, gpuMemoryBytes: 30 * GB })
      .remote();
    const residentNode = await ray.get(resident.where.remote());
    await ray.sleep(500); // heartbeats carry the A100's 10 GB left to the scheduler
    const where = ray.remote(() => ray.getRuntimeContext().nodeName, {
      resources: { CPU: 1, GPU: 0.5 },
      gpuMemoryBytes: 12 * GB,
    });
    // One at a time: a node is picked among those with room, at random between equals.
    const placed = [residentNode];
    for (let i = 0; i < 4; i++) placed.push(await ray.get(where.remote()));
    return placed;
  });
  assert.deepEqual(nodes, ["big", "small", "small", "small", "small"]);
});

test("a request no GPU of any node can hold is TaskUnschedulableError", async () => {
  const sim = cluster({ scheduler: { infeasibleTimeoutMs: 200 } });
  const err = await sim.run(async (ray) => {
    const huge = ray.remote(() => 1, { resources: { GPU: 1 }, gpuMemoryBytes: 17 * GB });
    return ray.get(huge.remote()).then(
      () => undefined,
      (e: unknown) => e,
    );
  });
  assert.ok(err instanceof TaskUnschedulableError, `got ${String(err)}`);
});

/** A 8 GB task on a 16 GB GPU of which a process outside Ray holds 10 GB from t=0 until releaseAfterMs. */
async function underForeignMemory(
  retryExceptions: boolean | readonly (abstract new (...a: never[]) => Error)[],
  releaseAfterMs: number,
) {
  const sim = cluster();
  sim.faults.holdGpuMemory("w1", 0, { bytes: 10 * GB, atMs: 0, releaseAfterMs });
  const result = await sim.run(async (ray) => {
    const f = ray.remote(() => "trained", {
      name: "f",
      resources: { GPU: 1 },
      gpuMemoryBytes: 8 * GB,
      maxRetries: -1,
      retryExceptions,
    });
    return ray.get(f.remote()).then(
      (v) => v,
      (e: unknown) => e,
    );
  });
  const attempts = sim.metrics.taskAttempts().filter((a) => a.name === "f").length;
  return { result, attempts };
}

test("a launch that finds too little GPU memory free fails with GpuOutOfMemoryError, retried only when retryExceptions says so", async () => {
  const noRetry = await underForeignMemory(false, 50);
  assert.ok(noRetry.result instanceof GpuOutOfMemoryError, `got ${String(noRetry.result)}`);
  assert.match((noRetry.result as Error).message, /8000000000 bytes of GPU memory.*GPU 0 of w1/);
  assert.equal(noRetry.attempts, 1);
  for (const retryExceptions of [true, [GpuOutOfMemoryError]] as const) {
    const retried = await underForeignMemory(retryExceptions, 50);
    assert.equal(retried.result, "trained");
    assert.ok(
      retried.attempts > 1,
      `retried until the memory was given back: ${retried.attempts} attempts`,
    );
  }
  class Other extends Error {}
  const wrongClass = await underForeignMemory([Other], 50);
  assert.ok(wrongClass.result instanceof GpuOutOfMemoryError);
  assert.equal(wrongClass.attempts, 1);
});

test("GPU memory comes back when a task ends and when an actor dies", async () => {
  const sim = cluster();
  const out = await sim.run(async (ray) => {
    const step = ray.remote(() => ray.now(), {
      resources: { GPU: 1 },
      gpuMemoryBytes: 12 * GB,
      durationMs: 10,
    });
    const times = [await ray.get(step.remote()), await ray.get(step.remote())];
    class Holder {
      ping(): number {
        return 1;
      }
    }
    const holder = ray.actor(Holder, { resources: { GPU: 0.5 }, gpuMemoryBytes: 12 * GB }).remote();
    await ray.get(holder.ping.remote());
    ray.kill(holder);
    // A half GPU is free beside the actor, but its memory only once the actor is gone.
    const half = ray.remote(() => "ran", { resources: { GPU: 0.5 }, gpuMemoryBytes: 12 * GB });
    return [...times, await ray.get(half.remote())];
  });
  assert.equal(out[2], "ran");
  assert.ok((out[1] as number) > (out[0] as number));
});
