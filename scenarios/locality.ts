/**
 * Fig 8a of the Ray paper: locality-aware placement keeps task latency flat as input size grows;
 * placing tasks without regard to where their argument lives costs transfers.
 */
import { Simulation, type ObjectRef } from "../sim/index.js";
import { defineScenario, table, type ScenarioResult } from "./scenario.js";
import { mean } from "./output/simulation-tables.js";
import { simulationTrace } from "./output/simulation-trace.js";

const SIZES = [1e5, 1e6, 1e7, 1e8];

export const locality = defineScenario({
  name: "locality",
  title: "Locality-aware placement vs input size (Ray Fig. 8a)",
  description:
    "Moritz et al., OSDI 2018, Fig. 8a: on two nodes, 1000 tasks each take one random object as input, with sizes from " +
    "100 KB to 100 MB; the locality-aware global scheduler keeps mean task latency independent of input size, while " +
    "locality-unaware placement is 1–2 orders of magnitude slower at 10–100 MB. Here the driver's node has no CPUs, so " +
    "every task goes through the global scheduler, which places it on one of two 4-CPU workers; each task's input is " +
    "made just before it by a task the scheduler placed. Network: the paper's 25 Gbps links.",
  params: {
    tasks: {
      kind: "int",
      min: 1,
      max: 100_000,
      default: 100,
      full: 1000,
      description: "tasks per (size, policy)",
    },
    taskMs: {
      kind: "number",
      min: 0,
      max: 10_000,
      default: 1,
      unit: "ms",
      description: "task duration in ms",
    },
  },
  async run(params, seed, progress, options): Promise<ScenarioResult> {
    const rows: LatencyRow[] = [];
    const policies = ["locality-aware", "locality-unaware"] as const;
    let step = 0;
    let traced: Pick<ScenarioResult, "trace" | "traceInputs"> = {};
    for (const policy of policies) {
      for (const sizeBytes of SIZES) {
        const last = step === policies.length * SIZES.length - 1;
        const { sim, latencyMs, movedFraction } = await runConfig(
          policy,
          sizeBytes,
          params,
          seed,
          options?.trace === true && last,
        );
        if (last) traced = simulationTrace(sim, options);
        rows.push({ policy, sizeBytes, latencyMs, movedFraction });
        progress(++step / (policies.length * SIZES.length));
      }
    }
    return {
      ...traced,
      tables: { latency: table(["policy", "sizeBytes", "latencyMs", "movedFraction"], rows) },
      headlines: headlinesOf(rows),
      plots: [
        {
          kind: "bars",
          name: "latency",
          title: "Mean task latency by input size and placement",
          table: "latency",
          group: { column: "sizeBytes", label: "input size" },
          bar: "policy",
          value: { column: "latencyMs", label: "mean task latency", unit: "ms" },
        },
      ],
    };
  },
});

function headlinesOf(rows: readonly LatencyRow[]): ScenarioResult["headlines"] {
  const at = (policy: string, size: number) =>
    rows.find((r) => r.policy === policy && r.sizeBytes === size)!.latencyMs;
  return [
    {
      key: "awareLatencyMs100MB",
      label: "mean latency, locality-aware, 100 MB input",
      value: at("locality-aware", 1e8),
      unit: "ms",
    },
    {
      key: "unawareLatencyMs100MB",
      label: "mean latency, locality-unaware, 100 MB input",
      value: at("locality-unaware", 1e8),
      unit: "ms",
    },
    {
      key: "slowdownAt100MB",
      label: "unaware / aware latency at 100 MB",
      value: at("locality-unaware", 1e8) / at("locality-aware", 1e8),
      unit: "×",
      reference: {
        value: 10,
        label: "Ray paper (≥)",
        source: "Fig. 8a: 1–2 orders of magnitude at 10–100 MB",
      },
    },
  ];
}

interface LatencyRow {
  policy: string;
  sizeBytes: number;
  latencyMs: number;
  movedFraction: number;
}

/** One placement policy and input size: the mean task latency and how often the input moved. */
async function runConfig(
  policy: "locality-aware" | "locality-unaware",
  sizeBytes: number,
  params: { taskMs: number; tasks: number },
  seed: number,
  keepEvents: boolean,
): Promise<{ sim: Simulation; latencyMs: number; movedFraction: number }> {
  const sim = new Simulation({
    seed,
    nodes: [
      { name: "head", cpus: 0, objectStoreBytes: 1e12 },
      { name: "w1", cpus: 4, objectStoreBytes: 1e12 },
      { name: "w2", cpus: 4, objectStoreBytes: 1e12 },
    ],
    scheduler: { policy },
    // A trace shows one configuration: the last, where every large input crosses the network.
    keepEvents,
  });
  const result = await sim.run(async (ray) => {
    const make = ray.remote((i: number) => i, { name: "make", returnBytes: sizeBytes });
    const use = ray.remote((x: number) => x, { name: "use", durationMs: params.taskMs });
    const latencies: number[] = [];
    for (let i = 0; i < params.tasks; i++) {
      // A fresh input each time, so no task finds a copy an earlier one left behind.
      const arg: ObjectRef<number> = make.remote(i);
      await ray.wait([arg], { fetchLocal: false });
      const t0 = ray.now();
      await ray.wait([use.remote(arg)], { fetchLocal: false });
      latencies.push(ray.now() - t0);
    }
    return latencies;
  });
  const attempts = sim.metrics.taskAttempts();
  const madeOn = new Map(
    attempts.filter((a) => a.name === "make").map((a) => [a.taskId, a.node] as const),
  );
  const uses = attempts.filter((a) => a.name === "use");
  // Each use's argument is made by the task submitted just before it.
  const moved = uses.filter(
    (u) => madeOn.get(`t${Number(u.taskId.slice(1)) - 1}`) !== u.node,
  ).length;
  return { sim, latencyMs: mean(result), movedFraction: moved / Math.max(1, uses.length) };
}
