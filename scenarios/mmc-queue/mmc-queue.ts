/**
 * Validation scenario: an M/M/c queue built from world processes, checked against Erlang C. A
 * source process sends jobs by message; a server process runs them FCFS on c execution slots.
 * The headline figures sit beside Erlang C's values (erlang-c.ts), so a regression in
 * the kernel's ordering, the random streams or the execution port shows up as a gap.
 */
import { address } from "../../core/env.js";
import type { PlotSpec, Row } from "../../plots/plot-spec.js";
import { World } from "../../sim/world.js";
import { mmcTheory, mmcWaitCdf, mmcWaitQuantileMs, type MmcTheory } from "./erlang-c.js";
import { JobSource, MmcServer, type JobTimes } from "./processes.js";
import { defineScenario, table, type Headline, type ScenarioResult } from "../scenario.js";
import { niceBucketMs, throughputRows } from "../output/throughput-table.js";

const ERLANG_C_SOURCE =
  "Erlang C (Kleinrock, Queueing Systems Vol. 1, 1975, §3.5; Harchol-Balter 2013, ch. 14)";

export const mmcQueue = defineScenario({
  name: "mmc-queue",
  title: "M/M/c queue against Erlang C",
  description:
    "A validation run on the simulator's own kernel, network and execution port. A source process on node " +
    "'client' sends jobs by message with exponential inter-arrival times (rate λ = ρ·c / mean service time) " +
    "to a server process on node 'server', which runs them first come, first served on c execution slots " +
    "with exponential service times. Waiting times, the probability of waiting, the time-average queue length " +
    "and the slot utilisation, measured after a warm-up, are set beside the steady-state values of the " +
    "M/M/c queue: Erlang C (A. K. Erlang 1917; L. Kleinrock, Queueing Systems Vol. 1, 1975, §3.5; " +
    "M. Harchol-Balter, Performance Modeling and Design of Computer Systems, 2013, ch. 14) and Little's law.",
  params: {
    servers: {
      kind: "int",
      min: 1,
      max: 256,
      default: 4,
      description: "execution slots c on the server",
    },
    utilisation: {
      kind: "number",
      min: 0.01,
      max: 0.99,
      default: 0.8,
      unit: "fraction",
      description: "offered load per slot ρ = λ·E[S]/c",
    },
    serviceMeanMs: {
      kind: "number",
      min: 0.01,
      max: 1e6,
      default: 10,
      unit: "ms",
      description: "mean service time E[S] in ms",
    },
    jobs: {
      kind: "int",
      min: 100,
      max: 10_000_000,
      default: 100_000,
      full: 1_000_000,
      description: "jobs sent in total",
    },
    warmupFraction: {
      kind: "number",
      min: 0,
      max: 0.9,
      default: 0.1,
      description: "share of the first jobs left out of the statistics",
    },
  },
  sweep: { x: "utilisation", headlines: ["meanWaitMs", "probWait"] },
  async run(params, seed, progress, options): Promise<ScenarioResult> {
    const arrivalRatePerMs = (params.utilisation * params.servers) / params.serviceMeanMs;
    const warmupJobs = Math.floor(params.jobs * params.warmupFraction);
    const world = new World({ seed, network: { latencyUs: 100 } });
    world.addNode("client");
    world.addNode("server");
    const serverAddress = address("server", "server");
    const server = world.spawn(
      "server",
      serverAddress,
      (env) => new MmcServer(env, params.servers, warmupJobs, params.jobs, options?.trace === true),
    );
    const progressEvery = Math.max(1, Math.floor(params.jobs / 200));
    world.spawn(
      "client",
      address("source", "client"),
      (env) =>
        new JobSource(env, {
          server: serverAddress,
          jobs: params.jobs,
          interarrivalMeanUs: 1000 / arrivalRatePerMs,
          serviceMeanUs: params.serviceMeanMs * 1000,
          onSent: (n) => (n % progressEvery === 0 ? progress(n / params.jobs) : undefined),
        }),
    );
    world.kernel.runSync();
    progress(1);
    const theory = mmcTheory(params.servers, arrivalRatePerMs, params.serviceMeanMs);
    const bucketMs = niceBucketMs(world.kernel.nowUs / 1000);
    return {
      tables: tablesOf(server.times, warmupJobs, theory, bucketMs),
      headlines: headlinesOf(server, warmupJobs, params.servers, theory),
      plots: plotsOf(bucketMs, theory),
      trace: () => world.recorder.events(),
    };
  },
});

function tablesOf(
  times: readonly JobTimes[],
  warmupJobs: number,
  theory: MmcTheory,
  bucketMs: number,
): ScenarioResult["tables"] {
  const jobs: Row[] = times.map((t, job) => ({
    job,
    warmup: job < warmupJobs,
    arrivalMs: t.arrivalUs / 1000,
    waitMs: (t.startUs - t.arrivalUs) / 1000,
    serviceMs: (t.endUs - t.startUs) / 1000,
    sojournMs: (t.endUs - t.arrivalUs) / 1000,
  }));
  const tailMs = mmcWaitQuantileMs(theory, 0.999);
  const theoryCdf: Row[] = Array.from({ length: 101 }, (_, i) => {
    const waitMs = (tailMs * i) / 100;
    return { waitMs, p: mmcWaitCdf(theory, waitMs) };
  });
  const completions = times.map((t) => ({ endMs: t.endUs / 1000, cause: "original" as const }));
  const horizonMs = completions.reduce((m, c) => Math.max(m, c.endMs), bucketMs);
  return {
    jobs: table(["job", "warmup", "arrivalMs", "waitMs", "serviceMs", "sojournMs"], jobs),
    waitCdfTheory: table(["waitMs", "p"], theoryCdf),
    throughput: table(
      ["tMs", "original", "retry", "reconstruction", "replay"],
      throughputRows(completions, bucketMs, horizonMs),
    ),
  };
}

function headlinesOf(
  server: MmcServer,
  warmupJobs: number,
  servers: number,
  theory: MmcTheory,
): Headline[] {
  const measured = server.times.slice(warmupJobs);
  const waitsUs = measured.map((t) => t.startUs - t.arrivalUs);
  const windowUs = server.busy.untilUs - server.busy.fromUs;
  const meanWaitMs = waitsUs.reduce((a, b) => a + b, 0) / Math.max(1, waitsUs.length) / 1000;
  return [
    {
      key: "meanWaitMs",
      label: "mean waiting time",
      value: meanWaitMs,
      unit: "ms",
      reference: { value: theory.meanWaitMs, label: "Erlang C", source: ERLANG_C_SOURCE },
    },
    {
      key: "probWait",
      label: "probability of waiting",
      value: waitsUs.filter((w) => w > 0).length / Math.max(1, waitsUs.length),
      unit: "fraction",
      reference: { value: theory.probWait, label: "Erlang C", source: ERLANG_C_SOURCE },
    },
    {
      key: "meanQueueLength",
      label: "mean queue length",
      value: server.waiting.areaUs / windowUs,
      unit: "jobs",
      reference: {
        value: theory.meanQueueLength,
        label: "Little's law",
        source: "Little's law L = λ·W with Erlang C's W",
      },
    },
    {
      key: "utilisation",
      label: "slot utilisation",
      value: server.busy.areaUs / (servers * windowUs),
      unit: "fraction",
      reference: {
        value: theory.utilisation,
        label: "offered load",
        source: "offered load ρ = λ·E[S]/c",
      },
    },
    { key: "jobsMeasured", label: "jobs measured", value: measured.length, unit: "jobs" },
  ];
}

function plotsOf(bucketMs: number, theory: MmcTheory): PlotSpec[] {
  const time = { column: "arrivalMs", label: "arrival time", unit: "ms" };
  const wait = { column: "waitMs", label: "waiting time", unit: "ms" };
  return [
    {
      kind: "points",
      name: "wait-over-time",
      title: "Waiting time of each job (after warm-up)",
      table: "jobs",
      where: { warmup: false },
      x: time,
      y: wait,
      pointsMax: 3000,
      references: [{ value: theory.meanWaitMs, label: "Erlang C mean" }],
    },
    {
      kind: "cdf",
      name: "wait-cdf",
      title: "Waiting time distribution against Erlang C",
      table: "jobs",
      where: { warmup: false },
      value: wait,
      references: [{ label: "Erlang C", table: "waitCdfTheory", xColumn: "waitMs", pColumn: "p" }],
    },
    {
      kind: "throughput",
      name: "throughput",
      title: "Jobs completed per second",
      table: "throughput",
      bucketMs,
      causes: ["original"],
      yUnit: "jobs/s",
    },
  ];
}
