/**
 * Fig 13's shape: synchronous data-parallel SGD with a sharded parameter server built from actors
 * and gradient tasks on GPU nodes. A PS shard's node is killed mid-run; the shard is restarted on a
 * standby and replays its updates — from the start, or from its last checkpoint — and training
 * goes on with exactly the parameters it would have had.
 */
import { Simulation, type ObjectRef, type Ray } from "../../sim/index.js";
import {
  defineScenario,
  table,
  type Headline,
  type ParamsOf,
  type ScenarioResult,
  type Table,
} from "../scenario.js";
import { simulationTables } from "../output/simulation-tables.js";
import { simulationTrace } from "../output/simulation-trace.js";
import { applyGradients, gradientShard, initialShard, type ShardValue } from "./model.js";

const PARAMS = {
  gpuNodes: {
    kind: "int",
    min: 1,
    max: 256,
    default: 2,
    full: 16,
    description: "worker nodes, one gradient task per node per iteration",
  },
  gpusPerNode: {
    kind: "int",
    min: 1,
    max: 16,
    default: 4,
    description: "V100 GPUs per worker node (the paper: 4 per p3.16xlarge worker)",
  },
  psShards: {
    kind: "int",
    min: 1,
    max: 64,
    default: 2,
    full: 4,
    description: "parameter-server shards, one actor each on its own node",
  },
  modelBytes: {
    kind: "number",
    min: 1e3,
    max: 1e11,
    default: 178e6,
    unit: "bytes",
    description: "model size (ResNet-101: 44.5 M float32 parameters)",
  },
  batchPerGpu: {
    kind: "int",
    min: 1,
    max: 4096,
    default: 64,
    description: "images per GPU per iteration",
  },
  gpuImagesPerSec: {
    kind: "number",
    min: 1,
    max: 1e6,
    default: 200,
    unit: "images/s",
    description: "training images/s of one V100 on the model (speed factor 1)",
  },
  computeBytesPerSec: {
    kind: "number",
    min: 1e6,
    max: 1e12,
    default: 5e9,
    unit: "bytes/s",
    description: "bytes of gradients a PS shard sums and applies per second",
  },
  iterations: {
    kind: "int",
    min: 2,
    max: 100_000,
    default: 100,
    quick: 16,
    description: "synchronous iterations",
  },
  checkpointInterval: {
    kind: "int",
    min: 1,
    max: 100_000,
    default: 10,
    quick: 4,
    description:
      "in the checkpoint run, a PS shard checkpoints every this many calls (its first get, then one update per iteration)",
  },
  killAtFraction: {
    kind: "number",
    min: 0.05,
    max: 0.95,
    default: 0.6,
    unit: "fraction",
    description: "the iteration in which shard 0's node is killed, as a fraction of the run",
  },
  elemsPerShard: {
    kind: "int",
    min: 1,
    max: 100_000,
    default: 4,
    description: "real parameters per shard (the declared bytes are modelBytes / psShards)",
  },
  learningRate: {
    kind: "number",
    min: 0,
    max: 1,
    default: 0.1,
    description: "SGD step size on the real parameters",
  },
} as const;

type Params = ParamsOf<typeof PARAMS>;
type Variant = "failure-free" | "replay" | "checkpoint";

const NIC_BYTES_PER_SEC = 3.125e9;

interface TrainingRun {
  variant: Variant;
  sim: Simulation;
  iterations: { iteration: number; startMs: number; endMs: number }[];
  finalParams: ShardValue[];
  kill?: { node: string; atMs: number; iteration: number };
}

export const psTraining = defineScenario({
  name: "ps-training",
  title:
    "Parameter-server SGD on GPUs: a PS shard's node killed, replay vs checkpoint (Ray Fig. 13's shape)",
  description:
    "Moritz et al., OSDI 2018, Fig. 13: synchronous data-parallel SGD (ResNet-101, p3.16xlarge workers with 4 V100s " +
    "each, 25 Gbps) with a sharded parameter server built from actors. Each iteration every worker node runs one " +
    "gradient task on its `gpusPerNode` GPUs (`batchPerGpu` images each at `gpuImagesPerSec`, divided by the GPU's " +
    "speed factor) that takes every shard's parameters and returns one gradient object per shard (`numReturns`); " +
    "each PS shard sums its gradients and applies them. Three runs: failure-free, then with shard 0's node killed " +
    "in the iteration at `killAtFraction`, once replaying every update from the start (no checkpoints) and once " +
    "from a checkpoint every `checkpointInterval` updates. The shard restarts on a standby PS node. The parameters " +
    "are real numbers (`elemsPerShard` per shard) and each failure run must end with the failure-free ones. " +
    "Quick size: 2 worker nodes (8 GPUs), 2 shards, 16 iterations; --full: 16 nodes (64 GPUs, Fig 13's largest), 4 shards.",
  params: PARAMS,
  sweep: {
    x: "checkpointInterval",
    headlines: ["checkpointRecoveryIterationMs", "checkpointCallsReplayed"],
  },
  async run(params, seed, progress, options): Promise<ScenarioResult> {
    const variants: Variant[] = ["failure-free", "replay", "checkpoint"];
    const runs: TrainingRun[] = [];
    for (const variant of variants) {
      runs.push(
        await train(params, seed, variant, variant === "checkpoint" && options?.trace === true),
      );
      progress(runs.length / variants.length);
    }
    return results(params, runs, options);
  },
});

function shardActor(ray: Ray, params: Params, variant: Variant) {
  const shardBytes = params.modelBytes / params.psShards;
  const workers = params.gpuNodes;
  return ray.actor(
    class ParamShard {
      current: ShardValue;
      constructor(shard: number) {
        this.current = initialShard(shard, params.elemsPerShard);
      }
      get(): ShardValue {
        return this.current;
      }
      apply(...grads: number[][]): ShardValue {
        this.current = applyGradients(this.current, grads, params.learningRate);
        return this.current;
      }
    },
    {
      resources: { CPU: 1, ps: 1 },
      maxRestarts: -1,
      maxTaskRetries: -1,
      checkpointInterval: variant === "checkpoint" ? params.checkpointInterval : 0,
      checkpointBytes: shardBytes,
      methods: {
        get: { returnBytes: shardBytes },
        apply: {
          durationMs: ((workers * shardBytes) / params.computeBytesPerSec) * 1000,
          returnBytes: shardBytes,
        },
      },
    },
  );
}

/** The gradient task: one per worker node per iteration, on all its GPUs at once. */
function gradientTask(ray: Ray, params: Params) {
  const shards = params.psShards;
  return ray.remote(
    (worker: number, iteration: number, ...shardParams: ShardValue[]) => {
      const grads = shardParams.map((p, s) => gradientShard(worker, iteration, s, p));
      return shards === 1 ? grads[0]! : grads;
    },
    {
      name: "gradient",
      resources: { CPU: 1, GPU: params.gpusPerNode },
      durationMs: (params.batchPerGpu / params.gpuImagesPerSec) * 1000,
      numReturns: shards,
      returnBytes: params.modelBytes / shards,
      maxRetries: -1,
    },
  );
}

function clusterNodes(params: Params) {
  return [
    { name: "head", cpus: 0 },
    ...Array.from({ length: params.psShards + 1 }, (_, i) => ({
      name: i < params.psShards ? `ps${i + 1}` : "ps-standby",
      cpus: 4,
      resources: { ps: 1 },
      objectStoreBytes: 100e9,
    })),
    ...Array.from({ length: params.gpuNodes }, (_, i) => ({
      name: `g${i + 1}`,
      cpus: 8,
      gpus: Array.from({ length: params.gpusPerNode }, () => ({
        model: "V100",
        memoryBytes: 16e9,
        speedFactor: 1,
      })),
      objectStoreBytes: 100e9,
    })),
  ];
}

async function train(
  params: Params,
  seed: number,
  variant: Variant,
  trace: boolean,
): Promise<TrainingRun> {
  const sim = new Simulation({
    seed,
    nodes: clusterNodes(params),
    network: { bandwidthBytesPerSec: NIC_BYTES_PER_SEC },
    keepEvents: trace,
  });
  const run: TrainingRun = { variant, sim, iterations: [], finalParams: [] };
  const killIteration =
    variant === "failure-free" ? -1 : Math.floor(params.iterations * params.killAtFraction);
  await sim.run(async (ray) => {
    const Shard = shardActor(ray, params, variant);
    const gradient = gradientTask(ray, params);
    const shards = Array.from({ length: params.psShards }, (_, s) => Shard.remote(s));
    let current: ObjectRef<ShardValue>[] = shards.map((s) => s.get.remote());
    for (let it = 0; it < params.iterations; it++) {
      const startMs = ray.now();
      const grads = Array.from({ length: params.gpuNodes }, (_, w) =>
        asRefs(gradient.remote(w, it, ...current), params.psShards),
      );
      current = shards.map((s, p) => s.apply.remote(...grads.map((g) => g[p]!)));
      if (it === killIteration) run.kill = killShardNode(sim, run, startMs, it);
      // The iteration is over when every shard has applied it (nothing is pulled to the driver).
      await ray.wait(current, { numReturns: current.length, fetchLocal: false });
      run.iterations.push({ iteration: it, startMs, endMs: ray.now() });
    }
    run.finalParams = await ray.get(current);
  });
  return run;
}

function asRefs(refs: unknown, n: number): ObjectRef<number[]>[] {
  return (n === 1 ? [refs] : refs) as ObjectRef<number[]>[];
}

/** Kills the node hosting shard 0 half a normal iteration in: the GPUs are computing. */
function killShardNode(
  sim: Simulation,
  run: TrainingRun,
  startMs: number,
  iteration: number,
): { node: string; atMs: number; iteration: number } {
  const creation = sim.metrics.taskAttempts().find((a) => a.kind === "actor-creation");
  if (creation === undefined)
    throw new Error("ps-training: shard 0 was not created before the kill");
  const lengths = run.iterations.map((r) => r.endMs - r.startMs).sort((a, b) => a - b);
  const atMs = startMs + (lengths[Math.floor(lengths.length / 2)] ?? 0) / 2;
  sim.faults.killNode(creation.node, { atMs });
  return { node: creation.node, atMs, iteration };
}

function imagesPerIteration(params: Params): number {
  return params.gpuNodes * params.gpusPerNode * params.batchPerGpu;
}

function throughputRows(
  params: Params,
  runs: readonly TrainingRun[],
  bucketMs: number,
): Record<string, unknown>[] {
  return runs.flatMap((r) => {
    const endMs = r.iterations[r.iterations.length - 1]?.endMs ?? 0;
    const counts = new Array<number>(Math.max(1, Math.ceil(endMs / bucketMs))).fill(0);
    for (const it of r.iterations)
      counts[Math.min(counts.length - 1, Math.floor(it.endMs / bucketMs))]! +=
        imagesPerIteration(params);
    return counts.map((c, i) => ({
      run: r.variant,
      tMs: i * bucketMs,
      imagesPerSec: (c * 1000) / bucketMs,
    }));
  });
}

function results(
  params: Params,
  runs: readonly TrainingRun[],
  options: Parameters<typeof simulationTrace>[1],
): ScenarioResult {
  const checkpointRun = runs.find((r) => r.variant === "checkpoint")!;
  const { tables } = simulationTables(checkpointRun.sim, { attempts: false });
  const longest = Math.max(...runs.map((r) => r.iterations[r.iterations.length - 1]?.endMs ?? 0));
  const bucketMs = longest > 60_000 ? 2000 : longest > 10_000 ? 1000 : 500;
  const all: Record<string, Table> = {
    ...tables,
    images: table(["run", "tMs", "imagesPerSec"], throughputRows(params, runs, bucketMs)),
    iterations: table(
      ["run", "iteration", "startMs", "endMs", "lengthMs"],
      runs.flatMap((r) =>
        r.iterations.map((it) => ({ run: r.variant, ...it, lengthMs: it.endMs - it.startMs })),
      ),
    ),
    kills: table(
      ["tMs", "label"],
      runs.flatMap((r) =>
        r.kill === undefined
          ? []
          : [{ tMs: r.kill.atMs, label: `${r.variant}: killNode ${r.kill.node}` }],
      ),
    ),
    psRecovery: table(
      [
        "run",
        "actorId",
        "failureMs",
        "restartedMs",
        "checkpointSeq",
        "checkpointLoadMs",
        "callsReplayed",
        "servingMs",
        "unavailableMs",
      ],
      runs.flatMap((r) => r.sim.metrics.actorRecovery().map((a) => ({ run: r.variant, ...a }))),
    ),
  };
  return {
    ...simulationTrace(checkpointRun.sim, options),
    tables: all,
    headlines: headlines(params, runs),
    plots: [
      {
        kind: "points",
        name: "images-per-sec",
        title:
          "Training throughput over time: failure-free, PS replay from the start, PS checkpoints",
        table: "images",
        series: "run",
        joined: true,
        x: { column: "tMs", label: "time", unit: "ms" },
        y: { column: "imagesPerSec", label: "throughput", unit: "images/s" },
        faults: { table: "kills", labelColumn: "label" },
      },
      {
        kind: "bars",
        name: "ps-recovery",
        title: "PS shard recovery: calls replayed, replay vs checkpoint",
        table: "psRecovery",
        group: { column: "run", label: "recovery" },
        value: { column: "callsReplayed", label: "updates replayed", unit: "calls" },
      },
    ],
  };
}

function medianLength(run: TrainingRun): number {
  const lengths = run.iterations
    .filter((it) => it.iteration !== run.kill?.iteration)
    .map((it) => it.endMs - it.startMs)
    .sort((a, b) => a - b);
  return lengths[Math.floor(lengths.length / 2)] ?? Number.NaN;
}

function sameParams(a: readonly ShardValue[], b: readonly ShardValue[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Sync SGD without overlap: GPU compute, then params in and gradients out through the busiest NIC. */
function iterationBoundMs(params: Params): number {
  const perDirectionBytes = Math.max(
    params.modelBytes,
    (params.gpuNodes * params.modelBytes) / params.psShards,
  );
  return (
    (params.batchPerGpu / params.gpuImagesPerSec) * 1000 +
    ((2 * perDirectionBytes) / NIC_BYTES_PER_SEC) * 1000
  );
}

function failureHeadlines(params: Params, run: TrainingRun): Headline[] {
  const v = run.variant;
  const killed = run.iterations.find((it) => it.iteration === run.kill?.iteration);
  const replayed = run.sim.metrics.actorRecovery().reduce((a, r) => a + r.callsReplayed, 0);
  const k = run.kill?.iteration ?? 0;
  // The shard's calls before the killed iteration's update: its first get and k updates; a
  // checkpoint every `checkpointInterval` calls leaves the calls after the last one.
  const expected = v === "checkpoint" ? (k + 1) % params.checkpointInterval : k + 1;
  return [
    {
      key: `${v}RecoveryIterationMs`,
      label: `${v}: the iteration in which shard 0's node died`,
      value: killed === undefined ? Number.NaN : killed.endMs - killed.startMs,
      unit: "ms",
    },
    {
      key: `${v}CallsReplayed`,
      label: `${v}: PS shard calls replayed`,
      value: replayed,
      unit: "calls",
      reference: {
        value: expected,
        label: v === "checkpoint" ? "calls since the checkpoint" : "calls before the kill",
        source:
          v === "checkpoint"
            ? "(k + 1) mod checkpointInterval: the shard's calls (a get, then one update per iteration) after its last checkpoint, k = the killed iteration"
            : "k + 1: the shard's calls before the killed iteration (a get, then one update per iteration)",
      },
    },
  ];
}

function headlines(params: Params, runs: readonly TrainingRun[]): Headline[] {
  const base = runs.find((r) => r.variant === "failure-free")!;
  const images = imagesPerIteration(params);
  const failed = runs.filter((r) => r.variant !== "failure-free");
  return [
    {
      key: "imagesPerSec",
      label: `failure-free training throughput, ${params.gpuNodes * params.gpusPerNode} GPUs`,
      value: (images * 1000) / medianLength(base),
      unit: "images/s",
      reference: {
        value: (images * 1000) / iterationBoundMs(params),
        label: "no-overlap bound",
        source:
          "images per iteration / (batch compute + 2 × max(model, nodes × model / shards) / 25 Gbps)",
      },
    },
    {
      key: "linearScalingFraction",
      label: "throughput as a fraction of GPUs × gpuImagesPerSec",
      value:
        (images * 1000) /
        medianLength(base) /
        (params.gpuNodes * params.gpusPerNode * params.gpuImagesPerSec),
      unit: "fraction",
    },
    ...failed.flatMap((r) => failureHeadlines(params, r)),
    {
      key: "checkpointOverheadMs",
      label: "checkpoint run: time the shards spent writing checkpoints",
      value:
        runs.find((r) => r.variant === "checkpoint")!.sim.metrics.summary().checkpointOverheadMs ??
        0,
      unit: "ms",
    },
    {
      key: "runsWithFailureFreeParams",
      label: "failure runs whose final parameters equal the failure-free ones",
      value: failed.filter((r) => sameParams(r.finalParams, base.finalParams)).length,
      unit: "runs",
      reference: {
        value: failed.length,
        label: "failure runs",
        source: "a shard replays its updates in their original order from the same gradients",
      },
    },
  ];
}
