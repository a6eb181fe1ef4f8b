/**
 * The lecture's reinforcement-learning loop on CPUs and GPUs, under random node and GPU failures:
 * rollout tasks (Table 4's simulation shape) feed a learner actor on a GPU, whose new weights are
 * put and loaded by a serving actor that answers policy queries all along.
 */
import { Simulation, type ObjectRef, type Ray } from "../sim/index.js";
import { exponential } from "../core/random/distributions.js";
import {
  defineScenario,
  table,
  type Headline,
  type ParamsOf,
  type ScenarioResult,
  type Table,
} from "./scenario.js";
import { mean, simulationTables } from "./output/simulation-tables.js";
import { simulationTrace } from "./output/simulation-trace.js";

const GB = 1e9;

const PARAMS = {
  cpuNodes: { kind: "int", min: 1, max: 200, default: 4, full: 16, description: "rollout nodes" },
  cpusPerNode: {
    kind: "int",
    min: 1,
    max: 128,
    default: 4,
    full: 16,
    description: "CPUs per rollout node",
  },
  stepMs: {
    kind: "number",
    min: 0.001,
    max: 1000,
    default: 1000 / 22_300,
    unit: "ms",
    description:
      "simulation time per timestep in ms (default: Table 4's 22.3 K timesteps/s on 1 CPU)",
  },
  stepsPerTask: {
    kind: "int",
    min: 1,
    max: 1_000_000,
    default: 200,
    full: 1000,
    description: "timesteps per rollout task (Fig 14b: 10–1000)",
  },
  stepBytes: {
    kind: "number",
    min: 0,
    max: 1e6,
    default: 100,
    unit: "bytes",
    description: "bytes of one timestep in a batch",
  },
  tasksPerBatch: {
    kind: "int",
    min: 1,
    max: 100_000,
    default: 32,
    full: 320,
    description: "rollout results per learner update (full: Fig 14b's 320 000 timesteps)",
  },
  trainMs: {
    kind: "number",
    min: 0,
    max: 1e6,
    default: 20,
    unit: "ms",
    description: "learner update time on a GPU of speed factor 1, in ms",
  },
  weightsBytes: {
    kind: "number",
    min: 0,
    max: 1e10,
    default: 350e3,
    unit: "bytes",
    description: "policy weights (Fig 14b's PPO: about 350 KB)",
  },
  learnerGpuMemoryBytes: {
    kind: "number",
    min: 0,
    max: 80e9,
    default: 8e9,
    unit: "bytes",
    description: "GPU memory the learner holds",
  },
  checkpointInterval: {
    kind: "int",
    min: 0,
    max: 100_000,
    default: 10,
    description: "learner checkpoint every this many updates (0 = never)",
  },
  actMs: {
    kind: "number",
    min: 0,
    max: 10_000,
    default: 5,
    unit: "ms",
    description: "serving time of one policy query (Table 3's FC policy: 5 ms)",
  },
  queryIntervalMs: {
    kind: "number",
    min: 0.1,
    max: 10_000,
    default: 10,
    unit: "ms",
    description: "time between policy queries",
  },
  durationS: {
    kind: "number",
    min: 0.5,
    max: 10_000,
    default: 4,
    full: 20,
    unit: "s",
    description: "length of the loop in s",
  },
  warmupS: {
    kind: "number",
    min: 0,
    max: 10_000,
    default: 1,
    full: 5,
    unit: "s",
    description: "failure-free start, in s (the steady throughput is measured in its second half)",
  },
  nodeMtbfS: {
    kind: "number",
    min: 0,
    max: 1e6,
    default: 12,
    full: 60,
    unit: "s",
    description: "mean time between failures of each worker node (0 = none)",
  },
  gpuMtbfS: {
    kind: "number",
    min: 0,
    max: 1e6,
    default: 6,
    full: 30,
    unit: "s",
    description: "mean time between failures of each GPU (0 = none)",
  },
  repairS: {
    kind: "number",
    min: 0,
    max: 10_000,
    default: 1,
    full: 5,
    unit: "s",
    description: "how long a failed node or GPU stays away",
  },
} as const;

type Params = ParamsOf<typeof PARAMS>;

// Four CPUs each: the learner and a restarted server may both land on one, and a task queued on
// a node whose every CPU an actor holds would wait there for good.
const GPU_NODES = [
  { name: "g1", cpus: 4, gpus: [{ model: "V100", memoryBytes: 16 * GB, speedFactor: 1 }] },
  { name: "g2", cpus: 4, gpus: [{ model: "T4", memoryBytes: 16 * GB, speedFactor: 0.5 }] },
];

interface Weights {
  version: number;
}
interface Batch {
  steps: number;
}
interface LoopRecord {
  rollouts: { tMs: number; steps: number }[];
  updates: { tMs: number; version: number; stepsSeen: number }[];
  queries: { submitMs: number; latencyMs: number; version: number }[];
  batchesConsumed: number;
  queriesSubmitted: number;
  finalVersion: number;
}

export const rlLoop = defineScenario({
  name: "rl-loop",
  title:
    "RL loop: rollouts on CPUs, a learner on a GPU, a policy server, under node and GPU failures",
  description:
    "The lecture's motivating workload (Moritz et al., OSDI 2018, §2 and Fig. 14b's PPO): rollout tasks simulate " +
    "an environment on CPUs (Table 4's shape: many tasks of a few ms, `stepMs` per timestep, Pendulum-v0 at 22.3 K " +
    "timesteps/s per CPU), a learner actor on a GPU (declaring `learnerGpuMemoryBytes`) trains on every " +
    "`tasksPerBatch` results (`trainMs` divided by the GPU's speed: g1 is a V100, g2 a T4 at half speed), its new " +
    "weights are put in the object store and loaded by a serving actor that answers a policy query every " +
    "`queryIntervalMs` (Table 3's 5 ms FC policy). Worker nodes fail at random (`nodeMtbfS`, `sim.faults.random`) and " +
    "so do GPUs (`gpuMtbfS`, `sim.faults.failGpu`), each back after `repairS`. The learner replays its updates after " +
    "its last checkpoint (`checkpointInterval` = 0: from the start). Quick size is scaled down (16 CPUs, Table 4's middle row).",
  params: PARAMS,
  sweep: { x: "checkpointInterval", headlines: ["timestepsPerSec", "learnerCallsReplayed"] },
  async run(params, seed, progress, options): Promise<ScenarioResult> {
    const cpuNodes = Array.from({ length: params.cpuNodes }, (_, i) => `c${i + 1}`);
    const sim = new Simulation({
      seed,
      nodes: [
        { name: "head", cpus: 0 },
        ...cpuNodes.map((name) => ({ name, cpus: params.cpusPerNode })),
        ...GPU_NODES,
      ],
      defaults: { maxRetries: -1 },
      keepEvents: options?.trace === true,
    });
    const record = await sim.run(async (ray) => {
      // Failures start after the warm-up, drawn from then on.
      const failures = ray
        .sleep(params.warmupS * 1000)
        .then(() => injectFailures(sim, params, cpuNodes));
      const rec = await driver(ray, params, progress);
      await failures;
      return rec;
    });
    return results(sim, params, record, options);
  },
});

/** Node failures on every worker node (rollout and GPU nodes), GPU failures on each GPU. */
function injectFailures(sim: Simulation, params: Params, cpuNodes: readonly string[]): void {
  const untilMs = params.durationS * 1000;
  const repairMs = params.repairS * 1000;
  if (params.nodeMtbfS > 0)
    sim.faults.random({
      nodeMtbfMs: params.nodeMtbfS * 1000,
      repairMs,
      untilMs,
      nodes: [...cpuNodes, ...GPU_NODES.map((n) => n.name)],
    });
  if (params.gpuMtbfS <= 0) return;
  for (const node of GPU_NODES) {
    const rng = sim.world.random.stream(`rl-loop/gpu-failures/${node.name}`);
    for (
      let t = sim.nowMs + exponential(rng, params.gpuMtbfS * 1000);
      t < untilMs;
      t += repairMs + exponential(rng, params.gpuMtbfS * 1000)
    ) {
      sim.faults.failGpu(node.name, 0, { atMs: t, repairAfterMs: repairMs });
    }
  }
}

function actors(ray: Ray, params: Params) {
  const Learner = ray.actor(
    class Learner {
      version = 0;
      stepsSeen = 0;
      train(...batches: Batch[]): Weights & { stepsSeen: number } {
        this.version++;
        for (const b of batches) this.stepsSeen += b.steps;
        return { version: this.version, stepsSeen: this.stepsSeen };
      }
      stats(): { version: number; stepsSeen: number } {
        return { version: this.version, stepsSeen: this.stepsSeen };
      }
    },
    {
      resources: { CPU: 1, GPU: 1 },
      gpuMemoryBytes: params.learnerGpuMemoryBytes,
      maxRestarts: -1,
      maxTaskRetries: -1,
      checkpointInterval: params.checkpointInterval,
      checkpointBytes: params.weightsBytes,
      methods: { train: { durationMs: params.trainMs, returnBytes: params.weightsBytes } },
    },
  );
  // Its state is the weights it loaded: a restarted server starts from the initial weights and
  // catches up at the next load, so it restarts rather than replays every query it answered.
  const PolicyServer = ray.actor(
    class PolicyServer {
      version = 0;
      load(w: Weights): number {
        this.version = Math.max(this.version, w.version);
        return this.version;
      }
      act(_state: number): number {
        return this.version;
      }
    },
    {
      resources: { CPU: 1 },
      maxRestarts: -1,
      maxTaskRetries: -1,
      recovery: "restart",
      methods: { act: { durationMs: params.actMs }, load: { durationMs: 1 } },
    },
  );
  return { learner: Learner.remote(), server: PolicyServer.remote() };
}

async function driver(
  ray: Ray,
  params: Params,
  progress: (f: number) => void,
): Promise<LoopRecord> {
  const durationMs = params.durationS * 1000;
  const rec: LoopRecord = {
    rollouts: [],
    updates: [],
    queries: [],
    batchesConsumed: 0,
    queriesSubmitted: 0,
    finalVersion: 0,
  };
  const { learner, server } = actors(ray, params);
  const taskMs = params.stepsPerTask * params.stepMs;
  const rollout = ray.remote((_w: Weights): Batch => ({ steps: params.stepsPerTask }), {
    name: "rollout",
    durationMs: { dist: "uniform", minMs: 0.8 * taskMs, maxMs: 1.2 * taskMs },
    returnBytes: params.stepsPerTask * params.stepBytes,
  });
  let weights: ObjectRef<Weights> = ray.put({ version: 0 }, { sizeBytes: params.weightsBytes });
  const updates: Promise<void>[] = [];
  const update = async (batch: ObjectRef<Batch>[]): Promise<void> => {
    const w = await ray.get(
      learner.train.remote(...batch) as ObjectRef<Weights & { stepsSeen: number }>,
    );
    rec.updates.push({ tMs: ray.now(), version: w.version, stepsSeen: w.stepsSeen });
    weights = ray.put({ version: w.version }, { sizeBytes: params.weightsBytes });
    server.load.remote(weights);
  };
  const queries = serveQueries(ray, server, params, durationMs, rec);
  let batch: ObjectRef<Batch>[] = [];
  // One rollout in flight per CPU, each slot resubmitting as its result is ready (asynchronous
  // scatter-gather, as Ray runs Table 4's tasks; a wait per slot costs O(1), not O(CPUs)).
  const slot = async (): Promise<void> => {
    while (ray.now() < durationMs) {
      const ref = rollout.remote(weights);
      await ray.wait([ref], { fetchLocal: false });
      rec.rollouts.push({ tMs: ray.now(), steps: params.stepsPerTask });
      batch.push(ref);
      if (batch.length >= params.tasksPerBatch) {
        rec.batchesConsumed++;
        updates.push(update(batch));
        batch = [];
      }
      progress(Math.min(1, ray.now() / durationMs));
    }
  };
  await Promise.all(Array.from({ length: params.cpuNodes * params.cpusPerNode }, slot));
  await Promise.all([...updates, queries]);
  rec.finalVersion = (await ray.get(learner.stats.remote())).version;
  return rec;
}

/** A query every queryIntervalMs; its latency runs from submission to the reply at the driver. */
async function serveQueries(
  ray: Ray,
  server: ReturnType<typeof actors>["server"],
  params: Params,
  durationMs: number,
  rec: LoopRecord,
): Promise<void> {
  const pending: Promise<void>[] = [];
  for (let i = 0; ray.now() < durationMs; i++) {
    const submitMs = ray.now();
    const ref = server.act.remote(i);
    rec.queriesSubmitted++;
    pending.push(
      ray
        .get(ref)
        .then(
          (version) =>
            void rec.queries.push({ submitMs, latencyMs: ray.now() - submitMs, version }),
        ),
    );
    await ray.sleep(params.queryIntervalMs);
  }
  await Promise.all(pending);
}

/** Counts per bucket of what happened at times `tMs`, weighted. */
function buckets(
  times: readonly { tMs: number; w: number }[],
  bucketMs: number,
  endMs: number,
): { tMs: number; value: number }[] {
  const out = Array.from({ length: Math.max(1, Math.ceil(endMs / bucketMs)) }, (_, i) => ({
    tMs: i * bucketMs,
    value: 0,
  }));
  for (const t of times) {
    const b = out[Math.min(out.length - 1, Math.floor(t.tMs / bucketMs))]!;
    b.value += t.w;
  }
  return out;
}

function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function loopTables(
  sim: Simulation,
  params: Params,
  rec: LoopRecord,
  bucketMs: number,
): Record<string, Table> {
  const endMs = params.durationS * 1000;
  const attempts = sim.metrics.taskAttempts().filter((a) => a.outcome === "ok");
  const byCause = (name: string, causes: readonly string[], weight: number) => {
    const rows = buckets([], bucketMs, endMs).map((b): Record<string, number> => ({
      tMs: b.tMs,
      ...Object.fromEntries(causes.map((c) => [c, 0])),
    }));
    for (const a of attempts) {
      if (a.name !== name || a.endMs >= endMs || !causes.includes(a.cause)) continue;
      rows[Math.floor(a.endMs / bucketMs)]![a.cause]! += weight;
    }
    return rows;
  };
  return {
    timesteps: table(
      ["tMs", "original", "retry", "reconstruction"],
      byCause("rollout", ["original", "retry", "reconstruction"], params.stepsPerTask),
    ),
    learnerCalls: table(
      ["tMs", "original", "replay"],
      byCause("Learner.train", ["original", "replay"], 1),
    ),
    updates: table(["tMs", "version", "stepsSeen"], rec.updates),
    queries: table(["submitMs", "latencyMs", "version"], rec.queries),
  };
}

/** The second half of the failure-free warm-up (the first fills the pipeline). */
function steadyWindowMs(params: Params): [number, number] {
  const endMs = Math.min(params.warmupS, params.durationS) * 1000;
  return [endMs / 2, endMs];
}

function results(
  sim: Simulation,
  params: Params,
  rec: LoopRecord,
  options: Parameters<typeof simulationTrace>[1],
): ScenarioResult {
  const endMs = params.durationS * 1000;
  const bucketMs = endMs >= 20_000 ? 1000 : 250;
  const { tables } = simulationTables(sim, { attempts: false, bucketMs });
  Object.assign(tables, loopTables(sim, params, rec, bucketMs));
  const faults = { table: "faults", labelColumns: ["fault", "target"] } as const;
  return {
    ...simulationTrace(sim, options),
    tables,
    headlines: headlines(sim, params, rec),
    plots: [
      {
        kind: "throughput",
        name: "timesteps",
        title: "Timesteps simulated per second, by cause",
        table: "timesteps",
        bucketMs,
        causes: ["original", "retry", "reconstruction"],
        yLabel: "timesteps",
        yUnit: "timesteps/s",
        faults,
      },
      {
        kind: "throughput",
        name: "learner-updates",
        title: "Learner updates per second: new and replayed",
        table: "learnerCalls",
        bucketMs,
        causes: ["original", "replay"],
        yLabel: "learner updates",
        yUnit: "updates/s",
        faults,
      },
      {
        kind: "points",
        name: "serving-latency",
        title: "Policy query latency (submit to reply)",
        table: "queries",
        x: { column: "submitMs", label: "submitted at", unit: "ms" },
        y: { column: "latencyMs", label: "latency", unit: "ms" },
        faults,
      },
      {
        kind: "points",
        name: "policy-version",
        title: "Policy version: learner output and what the server answered with",
        table: "queries",
        x: { column: "submitMs", label: "submitted at", unit: "ms" },
        y: { column: "version", label: "policy version served", unit: "updates" },
        faults,
      },
    ],
  };
}

/** Table 4's Ray row at the CPU counts it measured, for the same simulation shape. */
const TABLE4_RAY: Readonly<Record<number, number>> = { 1: 22_300, 16: 290_000, 256: 4_030_000 };

function underFailuresPerSec(rec: LoopRecord, params: Params): number {
  const fromMs = params.warmupS * 1000;
  const toMs = params.durationS * 1000;
  if (toMs <= fromMs) return Number.NaN;
  return (
    (rec.rollouts.filter((r) => r.tMs >= fromMs && r.tMs < toMs).reduce((a, r) => a + r.steps, 0) *
      1000) /
    (toMs - fromMs)
  );
}

function headlines(sim: Simulation, params: Params, rec: LoopRecord): Headline[] {
  return [
    ...throughputHeadlines(params, rec),
    ...learnerHeadlines(sim, params, rec),
    ...servingHeadlines(sim, rec),
  ];
}

/** Rollout throughput, before and under failures, against its bound and Table 4. */
function throughputHeadlines(params: Params, rec: LoopRecord): Headline[] {
  const cpus = params.cpuNodes * params.cpusPerNode;
  const [fromMs, toMs] = steadyWindowMs(params);
  const steadySteps = rec.rollouts
    .filter((r) => r.tMs >= fromMs && r.tMs < toMs)
    .reduce((a, r) => a + r.steps, 0);
  const steadyPerSec = (steadySteps * 1000) / Math.max(1e-9, toMs - fromMs);
  const boundStepsPerSec = (cpus * 1000) / params.stepMs;
  const paper = TABLE4_RAY[cpus];
  const out: Headline[] = [
    {
      key: "timestepsPerSec",
      label: `timesteps/s before failures start (${cpus} CPUs${paper === undefined ? "; scaled down from Table 4's 256" : ""})`,
      value: steadyPerSec,
      unit: "timesteps/s",
      reference: {
        value: boundStepsPerSec,
        label: "upper bound",
        source: "rollout CPUs × 1000 / stepMs (every CPU simulating all the time)",
      },
    },
    {
      key: "timestepsPerSecUnderFailures",
      label: "timesteps/s consumed after failures start",
      value: underFailuresPerSec(rec, params),
      unit: "timesteps/s",
      reference: {
        value: steadyPerSec,
        label: "failure-free",
        source: "this run's rate before failures start (the headline above)",
      },
    },
  ];
  if (paper !== undefined) {
    out.splice(1, 0, {
      key: "timestepsPerSecTable4",
      label: `timesteps/s before failures start, at Table 4's ${cpus} CPUs`,
      value: steadyPerSec,
      unit: "timesteps/s",
      reference: {
        value: paper,
        label: "Ray paper",
        source: `Table 4, Pendulum-v0, Ray on ${cpus} CPU${cpus > 1 ? "s" : ""}`,
      },
    });
  }
  return out;
}

/** The learner: exactly one update per batch, how fast, and how many were replayed. */
function learnerHeadlines(sim: Simulation, params: Params, rec: LoopRecord): Headline[] {
  const endMs = params.durationS * 1000;
  const cpus = params.cpuNodes * params.cpusPerNode;
  const boundStepsPerSec = (cpus * 1000) / params.stepMs;
  const replayed = sim.metrics
    .taskAttempts()
    .filter((a) => a.name === "Learner.train" && a.cause === "replay").length;
  return [
    {
      key: "learnerUpdates",
      label: "learner updates applied (its final version)",
      value: rec.finalVersion,
      unit: "updates",
      reference: {
        value: rec.batchesConsumed,
        label: "batches consumed",
        source: "exactly once: one update per batch handed to the learner, whatever was replayed",
      },
    },
    {
      key: "learnerUpdatesPerSec",
      label: "learner updates per second over the run",
      value: (rec.updates.filter((u) => u.tMs < endMs).length * 1000) / endMs,
      unit: "updates/s",
      reference: {
        value: Math.min(
          1000 / params.trainMs,
          boundStepsPerSec / (params.stepsPerTask * params.tasksPerBatch),
        ),
        label: "upper bound",
        source: "min(V100 updates/s = 1000 / trainMs, timesteps/s bound / timesteps per batch)",
      },
    },
    {
      key: "learnerCallsReplayed",
      label: "learner updates replayed after failures",
      value: replayed,
      unit: "updates",
    },
  ];
}

/** The policy server: every query answered, how long they took, how fast failures were repaired. */
function servingHeadlines(sim: Simulation, rec: LoopRecord): Headline[] {
  const latencies = rec.queries.map((q) => q.latencyMs);
  return [
    {
      key: "queriesAnswered",
      label: "policy queries answered",
      value: rec.queries.length,
      unit: "queries",
      reference: {
        value: rec.queriesSubmitted,
        label: "submitted",
        source: "every query answered (the server restarts and calls are retried)",
      },
    },
    {
      key: "servingP50Ms",
      label: "median policy query latency",
      value: quantile(latencies, 0.5),
      unit: "ms",
    },
    {
      key: "servingP99Ms",
      label: "99th percentile policy query latency",
      value: quantile(latencies, 0.99),
      unit: "ms",
    },
    {
      key: "servingMaxMs",
      label: "worst policy query latency",
      value: quantile(latencies, 1),
      unit: "ms",
    },
    {
      key: "meanRecoveryMs",
      label: "mean recovery time per failure",
      value: mean(sim.metrics.recovery().map((r) => r.recoveryMs)),
      unit: "ms",
    },
  ];
}
