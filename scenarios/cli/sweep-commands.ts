/**
 * The commands around sweeps: `sweep` (a grid × seeds on worker threads, or one shard of it),
 * `merge` (shards back into one sweep), and the default suite behind a bare `npm start`.
 */
import { join } from "node:path";
import {
  onePositional,
  parseCommand,
  parseJobs,
  parseOut,
  parseSeeds,
  parseShard,
} from "./args.js";
import { headlineLines, type CliIo } from "./io.js";
import {
  DEFAULT_RESULTS,
  help,
  rebuildReport,
  runAndWrite,
  scenarioNames,
} from "./run-commands.js";
import { parseSets } from "../runner/params.js";
import { startProgress } from "./progress.js";
import { DEFAULT_SUITE, findScenario } from "../registry.js";
import type { WriteOptions } from "../output/result-files.js";
import { prepareRun } from "../runner/run-scenario.js";
import type { Scenario, Size } from "../scenario.js";
import { executeRuns } from "../sweep/pool.js";
import {
  parseGrid,
  planRuns,
  shardRuns,
  sweepIdOf,
  type Shard,
  type SweepPlan,
} from "../sweep/plan.js";
import type { SweepSummary } from "../output/summary.js";
import { UsageError } from "../runner/usage-error.js";

const DEFAULT_SEEDS = "1..5";

interface SweepOptions extends WriteOptions {
  jobs: number;
  shard?: Shard;
  keepRuns?: boolean;
}

/** Runs a planned sweep (or one shard) and writes it; returns the folder written. */
export async function runSweep(
  scenario: Scenario,
  plan: SweepPlan,
  root: string,
  io: CliIo,
  options: SweepOptions,
): Promise<string> {
  const runs = planRuns(scenario, plan);
  const mine = shardRuns(runs, options.shard);
  const dir = join(root, scenario.name, sweepIdOf(plan));
  const shardText =
    options.shard === undefined
      ? ""
      : `, shard ${options.shard.index}/${options.shard.count}: ${mine.length} of them`;
  const grid = plan.grid.map(([k, v]) => ` ${k}=${v.join(",")}`).join("");
  io.stdout.write(
    `sweep ${sweepIdOf(plan)}: ${scenario.name} (${plan.size})${grid}, seeds ${plan.seeds.join(",")}: ${runs.length} runs${shardText}, ${options.jobs} thread${options.jobs === 1 ? "" : "s"}\n`,
  );
  const progress = startProgress({
    label: `sweep ${scenario.name}`,
    total: mine.length,
    unit: "runs",
    stream: io.stderr,
  });
  const startMs = performance.now();
  let outcomes;
  try {
    outcomes = await executeRuns(mine, {
      jobs: options.jobs,
      keepRunsDir: options.keepRuns === true ? join(dir, "runs") : undefined,
      onProgress: (done) => progress.update(done),
    });
  } finally {
    progress.stop();
  }
  const wallMs = performance.now() - startMs;
  const { shardDirName, writeShardFiles, writeSweepFiles } = await import("../sweep/files.js");
  if (options.shard !== undefined) {
    const shardDir = join(dir, shardDirName(options.shard));
    await writeShardFiles(shardDir, scenario, plan, options.shard, runs.length, outcomes, wallMs);
    io.stdout.write(
      `  → ${shardDir}/ in ${(wallMs / 1000).toFixed(1)} s; when every shard is done: npm start -- merge ${dir}\n`,
    );
    return shardDir;
  }
  const summary = await writeSweepFiles(
    dir,
    scenario,
    plan,
    outcomes,
    { wallMs, jobs: options.jobs },
    options,
  );
  io.stdout.write(`${sweepLines(summary)}\n  → ${dir}/ in ${(wallMs / 1000).toFixed(1)} s\n`);
  return dir;
}

/** The charted headlines' means per grid point, as the terminal summary of a sweep. */
function sweepLines(summary: SweepSummary): string {
  const charted = new Set(summary.plots.map((p) => p.name.replace(/-(band|bars)$/, "")));
  const points = [...new Set(summary.aggregates.map((a) => a.pointLabel))];
  return points
    .map((point) => {
      const rows = summary.aggregates.filter((a) => a.pointLabel === point && charted.has(a.key));
      return `${point}:\n${headlineLines(rows.map((a) => ({ key: a.key, label: `${a.label} (mean of ${a.n})`, value: a.mean, unit: a.unit, reference: a.reference })))}`;
    })
    .join("\n");
}

export async function sweepCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand("sweep", argv, {
    seeds: { type: "string" },
    grid: { type: "string", multiple: true },
    set: { type: "string", multiple: true },
    jobs: { type: "string" },
    shard: { type: "string" },
    full: { type: "boolean" },
    out: { type: "string" },
    "keep-runs": { type: "boolean" },
    png: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) return help(io, "sweep");
  const scenario = findScenario(
    onePositional("sweep", positionals, "a scenario name", scenarioNames()),
  );
  const sets = parseSets(scenario, values.set ?? []);
  const seedsEnv = io.env.RAYSIM_SEEDS;
  const seeds =
    values.seeds !== undefined
      ? parseSeeds(values.seeds)
      : seedsEnv !== undefined
        ? parseSeeds(`1..${seedsEnv}`, "RAYSIM_SEEDS")
        : parseSeeds(DEFAULT_SEEDS);
  const size: Size = values.full === true ? "full" : "quick";
  const plan: SweepPlan = {
    scenario: scenario.name,
    size,
    seeds,
    grid: parseGrid(scenario, values.grid ?? [], sets),
    sets,
  };
  const shard = parseShard(values.shard);
  const root = parseOut(values.out, DEFAULT_RESULTS);
  await runSweep(scenario, plan, root, io, {
    jobs: parseJobs(values.jobs),
    shard,
    keepRuns: values["keep-runs"],
    png: values.png === true,
  });
  if (shard === undefined) await rebuildReport(io, root);
  return 0;
}

export async function mergeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand("merge", argv, {
    out: { type: "string" },
    png: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) return help(io, "merge");
  if (positionals.length === 0)
    throw new UsageError(
      "merge needs the shard folders (or the sweep folder holding shard-*/); see: npm start -- merge --help",
    );
  const { findShardFiles, mergeShards, writeSweepFiles } = await import("../sweep/files.js");
  const files = findShardFiles(positionals);
  const merged = mergeShards(files);
  const root = parseOut(values.out, DEFAULT_RESULTS);
  const dir = join(root, merged.scenario.name, sweepIdOf(merged.plan));
  const summary = await writeSweepFiles(
    dir,
    merged.scenario,
    merged.plan,
    merged.outcomes,
    { wallMs: merged.wallMs, shards: merged.shards },
    { png: values.png === true },
  );
  io.stdout.write(
    `merged ${merged.shards} shards, ${merged.outcomes.length} runs\n${sweepLines(summary)}\n  → ${dir}/\n`,
  );
  await rebuildReport(io, root);
  return 0;
}

/** A bare `npm start`: the default suite, then the report. */
export async function suiteCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand("", argv, {
    full: { type: "boolean" },
    jobs: { type: "string" },
    out: { type: "string" },
    png: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) return help(io, "");
  if (positionals.length > 0)
    throw new UsageError(
      `unknown command '${positionals[0]}'; commands: list, run, sweep, merge, trace, report (see: npm start -- --help)`,
    );
  const size: Size = values.full === true ? "full" : "quick";
  const root = parseOut(values.out, DEFAULT_RESULTS);
  const jobs = parseJobs(values.jobs);
  const startMs = performance.now();
  for (const entry of DEFAULT_SUITE) {
    const scenario = findScenario(entry.scenario);
    if (entry.kind === "run") {
      await runAndWrite(
        scenario,
        prepareRun(scenario, size, entry.seed, entry.sets ?? {}),
        root,
        io,
        { png: values.png === true },
      );
    } else {
      const plan: SweepPlan = {
        scenario: scenario.name,
        size,
        seeds: entry.seeds,
        grid: entry.grid,
        sets: size === "quick" ? (entry.quickSets ?? {}) : {},
      };
      await runSweep(scenario, plan, root, io, { jobs, png: values.png === true });
    }
  }
  io.stdout.write(
    `suite done in ${((performance.now() - startMs) / 1000).toFixed(1)} s; results in ${root}/\n`,
  );
  await rebuildReport(io, root);
  return 0;
}
