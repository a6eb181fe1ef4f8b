/**
 * Demo scenario: rounds of fan-out/fan-in over a few worker nodes, with one worker node killed and
 * restarted part-way. It shows latency over time, the throughput timeline with its causes and the
 * fault markers, and how long failure detection by heartbeats takes against its configured bound.
 * It runs on the world (sim/world.ts) with its own small driver and workers; once the Simulation
 * facade lands, the same figures come from `ray.remote` tasks and `sim.faults.killNode`.
 */
import { address } from "../../core/env.js";
import { exponential } from "../../core/random/distributions.js";
import type { PlotSpec, Row } from "../../plots/plot-spec.js";
import { World } from "../../sim/world.js";
import { FanoutDriver, Worker, type Attempt } from "./processes.js";
import { defineScenario, table, type Headline, type ScenarioResult } from "../scenario.js";
import { niceBucketMs, throughputRows } from "../output/throughput-table.js";

export const fanoutDemo = defineScenario({
  name: "fanout-demo",
  title: "Fan-out/fan-in with a worker node killed",
  description:
    "A driver on node 'head' runs rounds of fan-out/fan-in: each round submits `width` independent tasks with " +
    "exponential durations to the worker nodes (least outstanding work first) and waits for all of them before " +
    "the next round. Workers send heartbeats every `heartbeatMs`; the driver declares a worker dead after " +
    "`missedHeartbeats` intervals of silence, or when it comes back as a new incarnation, and resubmits the tasks " +
    "it held (cause 'retry'), as Ray's " +
    "raylet-era monitor did (heartbeat_timeout_milliseconds × num_heartbeats_timeout, ray_config_def.h). One " +
    "worker node is killed at `killAtMs` (its processes, queued and running tasks vanish) and comes back empty " +
    "`restartAfterMs` later, like the node kill of the Ray paper's Fig. 11a. Setup after the task-chain and " +
    "fan-out microbenchmarks of Moritz et al., OSDI 2018, §5.1, scaled down.",
  params: {
    nodes: { kind: "int", min: 1, max: 64, default: 4, description: "worker nodes" },
    slotsPerNode: { kind: "int", min: 1, max: 64, default: 4, description: "tasks a worker node runs at once" },
    width: { kind: "int", min: 1, max: 100_000, default: 48, description: "tasks per round" },
    rounds: { kind: "int", min: 1, max: 1_000_000, default: 150, full: 2_000, description: "rounds run" },
    taskMsMean: { kind: "number", min: 0.01, max: 1e6, default: 10, unit: "ms", description: "mean task duration in ms (exponential)" },
    heartbeatMs: { kind: "number", min: 1, max: 1e5, default: 100, unit: "ms", description: "heartbeat interval in ms" },
    missedHeartbeats: { kind: "int", min: 1, max: 1000, default: 10, description: "silent intervals before a worker is declared dead" },
    killWorker: { kind: "int", min: 0, max: 64, default: 2, description: "which worker node to kill (1-based; 0 = none)" },
    killAtMs: { kind: "number", min: 0, max: 1e9, default: 2_030, description: "virtual time of the kill in ms" },
    restartAfterMs: { kind: "number", min: 0, max: 1e9, default: 2_000, description: "downtime before the node comes back, in ms" },
  },
  sweep: { x: "missedHeartbeats", headlines: ["detectionMs", "roundLatencyMsMax"] },
  check(params) {
    if (params.killWorker > params.nodes) return `killWorker ${params.killWorker} must be at most nodes (${params.nodes}), or 0 for no kill`;
    return undefined;
  },
  async run(params, seed, progress): Promise<ScenarioResult> {
    const world = new World({ seed });
    const heartbeatUs = Math.round(params.heartbeatMs * 1000);
    const driverAddress = address("driver", "head");
    const names = Array.from({ length: params.nodes }, (_, i) => `w${i + 1}`);
    const spawnWorker = (name: string) =>
      world.spawn(name, address("worker", name), (env) => new Worker(env, params.slotsPerNode, driverAddress, heartbeatUs, world.node(name).incarnation));
    world.addNode("head");
    for (const name of names) world.addNode(name);
    for (const name of names) spawnWorker(name);
    const faults: Row[] = [];
    const allDone = world.kernel.userDeferred<void>("all rounds done");
    const durations = world.random.stream("durations");
    const driver = world.spawn("head", driverAddress, (env) =>
      new FanoutDriver(env, {
        workers: names.map((name) => ({ name, address: address("worker", name) })),
        rounds: params.rounds,
        width: params.width,
        taskDurationUs: () => Math.max(1, Math.round(exponential(durations, params.taskMsMean * 1000))),
        heartbeatUs,
        missedHeartbeats: params.missedHeartbeats,
        onRoundDone: (round) => progress((round + 1) / params.rounds),
        onAllDone: () => allDone.resolve(),
        onMembership: (worker, alive, reason) => {
          const tMs = world.kernel.nowUs / 1000;
          faults.push({ tMs, label: alive ? `${worker} rejoined` : `${worker} declared dead`, kind: alive ? "rejoined" : "declared-dead" });
          const incarnation = world.node(worker).incarnation;
          env.trace(alive ? { kind: "node.joined", nodeName: worker, incarnation } : { kind: "node.died", nodeName: worker, reason, incarnation });
        },
      }),
    );
    if (params.killWorker > 0) scheduleKill(world, names[params.killWorker - 1]!, params.killAtMs, params.restartAfterMs, spawnWorker, faults);
    await world.kernel.run(allDone.promise);
    const endMs = world.kernel.nowUs / 1000;
    return {
      tables: tablesOf(driver, faults, endMs),
      headlines: headlinesOf(driver, faults, endMs, params),
      plots: plotsOf(niceBucketMs(endMs)),
      trace: () => world.recorder.events(),
    };
  },
});

/** The node kill, a fault injected from outside the protocol (sim/faults will own this). */
function scheduleKill(world: World, target: string, killAtMs: number, restartAfterMs: number, respawn: (name: string) => void, faults: Row[]): void {
  const killAtUs = Math.round(killAtMs * 1000);
  const downUs = Math.round(restartAfterMs * 1000);
  world.kernel.schedule(killAtUs, {
    handleEvent: () => {
      if (!world.node(target).alive) return;
      world.killNode(target);
      world.recorder.record(world.kernel.nowUs, target, { kind: "fault", fault: "kill-node", target, durationUs: downUs });
      faults.push({ tMs: world.kernel.nowUs / 1000, label: `kill ${target}`, kind: "kill" });
      world.kernel.schedule(downUs, {
        handleEvent: () => {
          world.addNode(target);
          respawn(target);
          faults.push({ tMs: world.kernel.nowUs / 1000, label: `restart ${target}`, kind: "restart" });
        },
      }, 0, undefined);
    },
  }, 0, undefined);
}

function attemptRow(a: Attempt): Row {
  return {
    taskId: a.taskId,
    round: a.round,
    attempt: a.attempt,
    cause: a.cause,
    worker: a.worker,
    submitMs: a.submitUs / 1000,
    startMs: a.startUs / 1000,
    endMs: a.endUs / 1000,
    latencyMs: a.latencyUs / 1000,
    outcome: a.outcome,
  };
}

function tablesOf(driver: FanoutDriver, faults: readonly Row[], endMs: number): ScenarioResult["tables"] {
  const bucketMs = niceBucketMs(endMs);
  const ok = driver.attempts.filter((a) => a.outcome === "ok");
  return {
    tasks: table(["taskId", "round", "attempt", "cause", "worker", "submitMs", "startMs", "endMs", "latencyMs", "outcome"], driver.attempts.map(attemptRow)),
    rounds: table(["round", "startMs", "endMs", "latencyMs"], driver.rounds.map((r) => ({ round: r.round, startMs: r.startUs / 1000, endMs: r.endUs / 1000, latencyMs: (r.endUs - r.startUs) / 1000 }))),
    throughput: table(["tMs", "original", "retry", "reconstruction", "replay"], throughputRows(ok.map((a) => ({ endMs: a.endUs / 1000, cause: a.cause })), bucketMs, endMs)),
    faults: table(["tMs", "label", "kind"], faults),
  };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

interface HeadlineParams {
  heartbeatMs: number;
  missedHeartbeats: number;
  killWorker: number;
}

function headlinesOf(driver: FanoutDriver, faults: readonly Row[], endMs: number, params: HeadlineParams): Headline[] {
  const roundsMs = driver.rounds.map((r) => (r.endUs - r.startUs) / 1000);
  const ok = driver.attempts.filter((a) => a.outcome === "ok");
  const latencies = ok.map((a) => a.latencyUs / 1000).sort((a, b) => a - b);
  const killMs = faults.find((f) => f.kind === "kill")?.tMs as number | undefined;
  const deadMs = faults.find((f) => f.kind === "declared-dead")?.tMs as number | undefined;
  const headlines: Headline[] = [
    { key: "roundLatencyMsMean", label: "mean round latency", value: roundsMs.reduce((a, b) => a + b, 0) / Math.max(1, roundsMs.length), unit: "ms" },
    { key: "roundLatencyMsMax", label: "slowest round", value: roundsMs.reduce((a, b) => Math.max(a, b), 0), unit: "ms" },
    { key: "taskLatencyMsP99", label: "task latency, 99th percentile", value: quantile(latencies, 0.99), unit: "ms" },
    { key: "throughputTasksPerSec", label: "throughput", value: ok.length / (endMs / 1000), unit: "tasks/s" },
    { key: "retriedTasks", label: "tasks retried", value: driver.attempts.filter((a) => a.cause === "retry" && a.outcome === "ok").length, unit: "tasks" },
  ];
  if (params.killWorker > 0) {
    headlines.push({
      key: "detectionMs",
      label: "failure detection time",
      value: killMs !== undefined && deadMs !== undefined ? deadMs - killMs : Number.NaN,
      unit: "ms",
      reference: { value: params.heartbeatMs * params.missedHeartbeats, label: "configured timeout", source: "configured bound heartbeatMs × missedHeartbeats (Ray: heartbeat period × num_heartbeats_timeout)" },
    });
  }
  return headlines;
}

function plotsOf(bucketMs: number): PlotSpec[] {
  const time = { column: "endMs", label: "time", unit: "ms" };
  const faults = { table: "faults" };
  return [
    { kind: "throughput", name: "throughput", title: "Tasks finished per second, by cause", table: "throughput", bucketMs, causes: ["original", "retry"], faults },
    { kind: "points", name: "task-latency", title: "Task latency over time", table: "tasks", where: { outcome: "ok" }, x: time, y: { column: "latencyMs", label: "task latency", unit: "ms" }, series: "cause", faults },
    // By the round's start: a round stalled by the kill shows where it began, not where it ended.
    { kind: "points", name: "round-latency", title: "Round latency by start time (fan-out to fan-in)", table: "rounds", x: { column: "startMs", label: "round start", unit: "ms" }, y: { column: "latencyMs", label: "round latency", unit: "ms" }, faults },
    { kind: "cdf", name: "task-latency-cdf", title: "Task latency distribution by cause", table: "tasks", where: { outcome: "ok" }, value: { column: "latencyMs", label: "task latency", unit: "ms" }, series: "cause", xLog: true },
  ];
}
