/**
 * Fig 12 of the Ray paper: ring allreduce implemented with actors, one per node, chunks passed as
 * objects between neighbours. Latency by size (12a), the slowdown as a delay is added to every
 * task (12b's scheduler ablation), and Lineage Stash's recovery shape: one member's node killed
 * mid-run, the restarted member replays its calls and the iteration that saw the failure is long.
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
import { expectedSum, RingState, sendSteps, type Incoming } from "./ring.js";

const PARAMS = {
  nodes: {
    kind: "int",
    min: 2,
    max: 256,
    default: 16,
    description: "ring members, one per node (the paper: 16 m4.16xlarge)",
  },
  iterations: {
    kind: "int",
    min: 1,
    max: 1000,
    default: 10,
    quick: 1,
    description: "allreduces timed per size and per added delay",
  },
  elemsPerChunk: {
    kind: "int",
    min: 1,
    max: 100_000,
    default: 4,
    description: "real integers per chunk (the declared bytes are the size's)",
  },
  computeBytesPerSec: {
    kind: "number",
    min: 1e6,
    max: 1e12,
    default: 5e9,
    unit: "bytes/s",
    description:
      "bytes a member adds or copies per second when it receives a chunk (a float32 add in memory)",
  },
  failureIterations: {
    kind: "int",
    min: 2,
    max: 1000,
    default: 30,
    quick: 5,
    description: "allreduces of failureSizeBytes in the run with a kill (in the middle one)",
  },
  failureSizeBytes: {
    kind: "number",
    min: 1e3,
    max: 1e10,
    default: 100e6,
    unit: "bytes",
    description: "size reduced in the run with a kill (Lineage Stash: 100 MB)",
  },
  checkpointIterations: {
    kind: "int",
    min: 0,
    max: 1000,
    default: 0,
    description:
      "in the run with a kill, members checkpoint every this many allreduces (0 = never: replay from the start)",
  },
  heartbeatMs: {
    kind: "number",
    min: 1,
    max: 10_000,
    default: 100,
    unit: "ms",
    description: "heartbeat interval in ms",
  },
  missedHeartbeats: {
    kind: "int",
    min: 2,
    max: 1000,
    default: 10,
    description: "missed heartbeats before a node is declared dead",
  },
} as const;

type Params = ParamsOf<typeof PARAMS>;

/** 25 Gbps, Fig 12's links. */
const NIC_BYTES_PER_SEC = 3.125e9;
const SIZES_BYTES = [10e6, 100e6, 1e9] as const;
/** Fig 12a's Ray numbers at 16 nodes (100 MB ≈ 200 ms, 1 GB ≈ 1.2 s; 10 MB not readable). */
const PAPER_MS: Readonly<Record<number, number>> = { 100e6: 200, 1e9: 1200 };
const DELAYS_MS = [0, 1, 2, 5, 10] as const;
const DELAY_SIZE_BYTES = 100e6;
/** Memory of an m4.16xlarge kept for objects; a replay from the start needs every chunk still there. */
const OBJECT_STORE_BYTES = 100e9;

interface RingRun {
  sizeBytes: number;
  delayMs: number;
  sim: Simulation;
  iterations: { iteration: number; startMs: number; latencyMs: number; correct: boolean }[];
  /** The final vectors of every member equal the elementwise sum. */
  finalCorrect: boolean;
  kill?: { node: string; atMs: number; iteration: number };
}

export const fig12Allreduce = defineScenario({
  name: "fig12-allreduce",
  title:
    "Ring allreduce with actors: latency, added scheduler delay, and a member killed (Ray Fig. 12)",
  description:
    "Moritz et al., OSDI 2018, Fig. 12: ring allreduce on 16 m4.16xlarge nodes at 25 Gbps, one actor per node; an " +
    "allreduce of S bytes is 2(n − 1) rounds in which every member sends a chunk of S/n to its right neighbour as an " +
    "object (first a reduce-scatter: the receiver adds, `computeBytesPerSec`; then an allgather: it copies). Fig 12a " +
    "times 10 MB, 100 MB and 1 GB (the paper: ≈ 200 ms at 100 MB, ≈ 1.2 s at 1 GB); Fig 12b adds an artificial delay " +
    "to every task (0–10 ms here) and finds ≈ 2× slowdown at a few ms. The third experiment is Lineage Stash's " +
    "(Wang et al., SOSP 2019) allreduce recovery: `failureIterations` allreduces of `failureSizeBytes`, one member's " +
    "node killed in the middle one; the member restarts on a standby node (17th, `ring` slot) and replays its calls " +
    "from its last checkpoint (`checkpointIterations`; 0 = from the start). The vectors are real integers " +
    "(`elemsPerChunk` per chunk) and every iteration's result is checked against the elementwise sum.",
  params: PARAMS,
  sweep: { x: "checkpointIterations", headlines: ["recoveryIterationMs", "callsReplayed"] },
  check(p) {
    const held = p.failureIterations * 4 * p.failureSizeBytes;
    if (held > OBJECT_STORE_BYTES)
      return `failureIterations × 4 × failureSizeBytes must be <= ${OBJECT_STORE_BYTES} (every chunk stays in the object stores for replay), got ${held}`;
    return undefined;
  },
  async run(params, seed, progress, options): Promise<ScenarioResult> {
    const total = SIZES_BYTES.length + DELAYS_MS.length + 1;
    const step = (done: number) => progress(done / total);
    const bySize: RingRun[] = [];
    for (const sizeBytes of SIZES_BYTES) {
      bySize.push(
        await runRing(params, seed, {
          sizeBytes,
          delayMs: 0,
          iterations: params.iterations,
          kill: false,
          trace: false,
        }),
      );
      step(bySize.length);
    }
    const byDelay: RingRun[] = [];
    for (const delayMs of DELAYS_MS) {
      byDelay.push(
        await runRing(params, seed, {
          sizeBytes: DELAY_SIZE_BYTES,
          delayMs,
          iterations: params.iterations,
          kill: false,
          trace: false,
        }),
      );
      step(bySize.length + byDelay.length);
    }
    const failure = await runRing(params, seed, {
      sizeBytes: params.failureSizeBytes,
      delayMs: 0,
      iterations: params.failureIterations,
      kill: true,
      trace: options?.trace === true,
    });
    step(total);
    return results(params, { bySize, byDelay, failure }, options);
  },
});

interface RingConfig {
  sizeBytes: number;
  delayMs: number;
  iterations: number;
  kill: boolean;
  trace: boolean;
}

function ringMembers(ray: Ray, params: Params, cfg: RingConfig) {
  const n = params.nodes;
  const chunkBytes = cfg.sizeBytes / n;
  const receiveMs = cfg.delayMs + (chunkBytes / params.computeBytesPerSec) * 1000;
  const Member = ray.actor(
    class RingMember {
      state: RingState;
      constructor(index: number) {
        this.state = new RingState(index, n, params.elemsPerChunk);
      }
      start(iteration: number): Incoming {
        this.state.begin(iteration);
        return this.state.send(0);
      }
      step(step: number, incoming: Incoming): Incoming {
        this.state.receive(incoming);
        return this.state.send(step);
      }
      finish(incoming: Incoming): number {
        this.state.receive(incoming);
        return this.state.checksum();
      }
      result(): number[] {
        return this.state.vec;
      }
      // The default checkpoint copies fields as plain data, which would drop RingState's methods.
      saveCheckpoint(): number[] {
        return [...this.state.vec];
      }
      loadCheckpoint(vec: number[]): void {
        this.state.vec = [...vec];
      }
    },
    {
      resources: { CPU: 1, ring: 1 },
      maxRestarts: -1,
      maxTaskRetries: -1,
      // Only the run with a kill checkpoints: the writes would lengthen the timed allreduces.
      checkpointInterval: cfg.kill ? params.checkpointIterations * (sendSteps(n) + 1) : 0,
      checkpointBytes: cfg.sizeBytes,
      methods: {
        start: { durationMs: cfg.delayMs, returnBytes: chunkBytes },
        step: { durationMs: receiveMs, returnBytes: chunkBytes },
        finish: { durationMs: receiveMs, returnBytes: 8 },
        result: { returnBytes: 8 * n * params.elemsPerChunk },
      },
    },
  );
  return Array.from({ length: n }, (_, i) => Member.remote(i));
}

/** One allreduce: every member's chain of 2(n − 1) + 1 calls, chunks passed to the right. */
async function allreduce(
  ray: Ray,
  members: ReturnType<typeof ringMembers>,
  iteration: number,
  onSubmitted: () => void,
): Promise<number[]> {
  const n = members.length;
  let sent: ObjectRef<Incoming>[] = members.map((m) => m.start.remote(iteration));
  for (let s = 1; s < sendSteps(n); s++) {
    const prev = sent;
    sent = members.map((m, i) => m.step.remote(s, prev[(i - 1 + n) % n]!));
  }
  const last = sent;
  const sums = members.map((m, i) => m.finish.remote(last[(i - 1 + n) % n]!));
  onSubmitted();
  return ray.get(sums);
}

async function runRing(params: Params, seed: number, cfg: RingConfig): Promise<RingRun> {
  const workers = [...Array.from({ length: params.nodes }, (_, i) => `w${i + 1}`), "standby"];
  const sim = new Simulation({
    seed,
    nodes: [
      { name: "head", cpus: 0 },
      ...workers.map((name) => ({
        name,
        cpus: 4,
        resources: { ring: 1 },
        objectStoreBytes: OBJECT_STORE_BYTES,
      })),
    ],
    network: { bandwidthBytesPerSec: NIC_BYTES_PER_SEC },
    failureDetection: {
      heartbeatMs: params.heartbeatMs,
      missedHeartbeats: params.missedHeartbeats,
    },
    keepEvents: cfg.trace,
  });
  const run: RingRun = {
    sizeBytes: cfg.sizeBytes,
    delayMs: cfg.delayMs,
    sim,
    iterations: [],
    finalCorrect: false,
  };
  const killIteration = Math.floor(cfg.iterations / 2);
  await sim.run(async (ray) => {
    const members = ringMembers(ray, params, cfg);
    for (let it = 0; it < cfg.iterations; it++) {
      const startMs = ray.now();
      const kill =
        cfg.kill && it === killIteration
          ? () => (run.kill = killMidIteration(sim, run, startMs, it))
          : () => {};
      const sums = await allreduce(ray, members, it, kill);
      const want = expectedSum(it, params.nodes, params.elemsPerChunk).reduce((a, v) => a + v, 0);
      run.iterations.push({
        iteration: it,
        startMs,
        latencyMs: ray.now() - startMs,
        correct: sums.every((s) => s === want),
      });
    }
    const want = JSON.stringify(
      expectedSum(cfg.iterations - 1, params.nodes, params.elemsPerChunk),
    );
    run.finalCorrect = (await ray.get(members.map((m) => m.result.remote()))).every(
      (v) => JSON.stringify(v) === want,
    );
  });
  return run;
}

/** Kills a member's node half a normal iteration after this one started (its chunks in flight). */
function killMidIteration(
  sim: Simulation,
  run: RingRun,
  startMs: number,
  iteration: number,
): { node: string; atMs: number; iteration: number } {
  const creation = sim.metrics.taskAttempts().find((a) => a.kind === "actor-creation");
  if (creation === undefined)
    throw new Error("fig12-allreduce: no member was created before the kill");
  const normalMs = median(run.iterations.map((r) => r.latencyMs));
  const atMs = startMs + (Number.isFinite(normalMs) ? normalMs / 2 : 0);
  sim.faults.killNode(creation.node, { atMs });
  return { node: creation.node, atMs, iteration };
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 === 1
    ? s[(s.length - 1) / 2]!
    : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function meanLatency(run: RingRun): number {
  return run.iterations.reduce((a, r) => a + r.latencyMs, 0) / run.iterations.length;
}

/** The bandwidth bound of ring allreduce: each NIC carries 2(n − 1)/n · S. */
function boundMs(params: Params, sizeBytes: number): number {
  return ((sendSteps(params.nodes) / params.nodes) * sizeBytes * 1000) / NIC_BYTES_PER_SEC;
}

interface Runs {
  bySize: readonly RingRun[];
  byDelay: readonly RingRun[];
  failure: RingRun;
}

function ringTables(params: Params, runs: Runs): Record<string, Table> {
  const base = meanLatency(runs.byDelay[0]!);
  const iterationRows = (experiment: string, r: RingRun) =>
    r.iterations.map((it) => ({
      experiment,
      sizeBytes: r.sizeBytes,
      delayMs: r.delayMs,
      ...it,
      correct: it.correct ? 1 : 0,
    }));
  return {
    bySize: table(
      ["size", "sizeBytes", "meanMs", "boundMs", "paperMs"],
      runs.bySize.map((r) => ({
        size: `${r.sizeBytes / 1e6} MB`,
        sizeBytes: r.sizeBytes,
        meanMs: meanLatency(r),
        boundMs: boundMs(params, r.sizeBytes),
        paperMs: params.nodes === 16 ? (PAPER_MS[r.sizeBytes] ?? "") : "",
      })),
    ),
    byDelay: table(
      ["delayMs", "meanMs", "slowdown", "predictedMs"],
      runs.byDelay.map((r) => ({
        delayMs: r.delayMs,
        meanMs: meanLatency(r),
        slowdown: meanLatency(r) / base,
        predictedMs: base + (sendSteps(params.nodes) + 1) * r.delayMs,
      })),
    ),
    iterations: table(
      ["experiment", "sizeBytes", "delayMs", "iteration", "startMs", "latencyMs", "correct"],
      [
        ...runs.bySize.flatMap((r) => iterationRows("size", r)),
        ...runs.byDelay.flatMap((r) => iterationRows("delay", r)),
        ...iterationRows("failure", runs.failure),
      ],
    ),
  };
}

function results(
  params: Params,
  runs: Runs,
  options: Parameters<typeof simulationTrace>[1],
): ScenarioResult {
  const { tables } = simulationTables(runs.failure.sim, { attempts: false });
  Object.assign(tables, ringTables(params, runs));
  const actorRows = runs.failure.sim.metrics.actorRecovery();
  tables.actorRecovery = table(
    [
      "actorId",
      "failureMs",
      "restartedMs",
      "restartMs",
      "checkpointSeq",
      "checkpointLoadMs",
      "callsReplayed",
      "servingMs",
      "unavailableMs",
    ],
    actorRows,
  );
  return {
    ...simulationTrace(runs.failure.sim, options),
    tables,
    headlines: headlines(params, runs),
    plots: [
      {
        kind: "bars",
        name: "latency-by-size",
        title: "Fig 12a: allreduce latency by size (16 members)",
        table: "bySize",
        group: { column: "size", label: "object size" },
        value: { column: "meanMs", label: "mean allreduce time", unit: "ms" },
        referenceColumn: "boundMs",
        referenceLabel: "bandwidth bound 2(n−1)/n·S/B",
      },
      {
        kind: "points",
        name: "latency-vs-delay",
        title: "Fig 12b: 100 MB allreduce time as a delay is added to every task",
        table: "byDelay",
        joined: true,
        x: { column: "delayMs", label: "added delay per task", unit: "ms" },
        y: { column: "meanMs", label: "mean allreduce time", unit: "ms" },
      },
      {
        kind: "points",
        name: "failure-iterations",
        title: "Iteration time with one member's node killed (Lineage Stash's recovery shape)",
        table: "iterations",
        where: { experiment: "failure" },
        joined: true,
        x: { column: "startMs", label: "iteration start", unit: "ms" },
        y: { column: "latencyMs", label: "iteration time", unit: "ms" },
        faults: { table: "faults", labelColumns: ["fault", "target"] },
      },
    ],
  };
}

/** Least-squares slope of y on x. */
function slope(points: readonly { x: number; y: number }[]): number {
  const mx = points.reduce((a, p) => a + p.x, 0) / points.length;
  const my = points.reduce((a, p) => a + p.y, 0) / points.length;
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxy / sxx;
}

function sizeHeadlines(params: Params, runs: Runs): Headline[] {
  const at16 = params.nodes === 16;
  return runs.bySize.map((r): Headline => {
    const mb = r.sizeBytes / 1e6;
    const paper = PAPER_MS[r.sizeBytes];
    const key = `latency${mb >= 1000 ? `${mb / 1000}Gb` : `${mb}Mb`}Ms`;
    const reference =
      paper === undefined
        ? {
            value: boundMs(params, r.sizeBytes),
            label: "bandwidth bound",
            source:
              "ring allreduce moves 2(n − 1)/n · S through every NIC: ≥ 2(n−1)/n · S / 3.125 GB/s",
          }
        : {
            value: paper,
            label: "Ray paper",
            source: `Fig. 12a, Ray on 16 nodes at 25 Gbps: ≈ ${paper} ms at ${mb >= 1000 ? "1 GB" : `${mb} MB`}`,
            ...(at16 ? {} : { scaledDown: true }),
          };
    return {
      key,
      label: `mean allreduce time, ${mb >= 1000 ? `${mb / 1000} GB` : `${mb} MB`}, ${params.nodes} members`,
      value: meanLatency(r),
      unit: "ms",
      reference,
    };
  });
}

function failureHeadlines(params: Params, runs: Runs): Headline[] {
  const failure = runs.failure;
  const kill = failure.kill;
  const normal = median(
    failure.iterations.filter((r) => r.iteration !== kill?.iteration).map((r) => r.latencyMs),
  );
  const recovery =
    failure.iterations.find((r) => r.iteration === kill?.iteration)?.latencyMs ?? Number.NaN;
  const calls = sendSteps(params.nodes) + 1;
  const killIteration = kill?.iteration ?? 0;
  const sinceCheckpoint =
    params.checkpointIterations > 0 ? killIteration % params.checkpointIterations : killIteration;
  const timeoutMs = params.heartbeatMs * params.missedHeartbeats;
  return [
    {
      key: "normalIterationMs",
      label: `median iteration, ${failure.sizeBytes / 1e6} MB, in the run with a kill`,
      value: normal,
      unit: "ms",
    },
    {
      key: "recoveryIterationMs",
      label: "the iteration in which a member's node was killed",
      value: recovery,
      unit: "ms",
      reference: {
        value: timeoutMs + normal,
        label: "timeout + iteration",
        source:
          "the failure must be detected (heartbeatMs × missedHeartbeats) before the member restarts and replays; Lineage Stash measured the same shape, 18–20 s against 0.3–0.6 s, with Ray 2019's timeouts",
      },
    },
    {
      key: "callsReplayed",
      label: "member calls replayed after the kill",
      value: failure.sim.metrics.summary().callsReplayed ?? 0,
      unit: "calls",
      reference: {
        value: sinceCheckpoint * calls,
        label: "lower bound",
        source:
          "whole allreduces since the last checkpoint × (2(n − 1) + 1) calls; the killed allreduce's calls done before the kill come on top",
      },
    },
  ];
}

function headlines(params: Params, runs: Runs): Headline[] {
  const base = meanLatency(runs.byDelay[0]!);
  const at5 = runs.byDelay.find((r) => r.delayMs === 5)!;
  const calls = sendSteps(params.nodes) + 1;
  const all = [...runs.bySize, ...runs.byDelay, runs.failure];
  return [
    ...sizeHeadlines(params, runs),
    {
      key: "delaySlopeMsPerMs",
      label: "100 MB allreduce time added per ms of delay on every task",
      value: slope(runs.byDelay.map((r) => ({ x: r.delayMs, y: meanLatency(r) }))),
      unit: "ms/ms",
      reference: {
        value: calls,
        label: "calls per chain",
        source: "each member's chain is 2(n − 1) + 1 dependent calls, each paying the delay once",
      },
    },
    {
      key: "slowdownAt5Ms",
      label: "100 MB allreduce slowdown with 5 ms added per task",
      value: meanLatency(at5) / base,
      unit: "×",
      reference: {
        value: 2,
        label: "Ray paper",
        source: "Fig. 12b: ≈ 2× slower with a few ms of added scheduler latency",
        ...(params.nodes === 16 ? {} : { scaledDown: true }),
      },
    },
    ...failureHeadlines(params, runs),
    {
      key: "correctAllreduces",
      label: "allreduces whose every member's sum was right",
      value: all.reduce((a, r) => a + r.iterations.filter((i) => i.correct).length, 0),
      unit: "allreduces",
      reference: {
        value: all.reduce((a, r) => a + r.iterations.length, 0),
        label: "allreduces run",
        source: "the elementwise sum of integer vectors is exact, whatever was replayed",
      },
    },
  ];
}
