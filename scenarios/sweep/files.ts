/**
 * A sweep's folder: runs.csv, aggregate.csv, the charts and sweep.json; and a shard's folder
 * (shard-i-of-n/ inside it): shard.json with the plan and its runs' outcomes, plus its slice of
 * runs.csv for a quick look. `merge` reads shard.json files back, checks that they are the shards
 * of one plan, each exactly once, and writes the sweep through the same code path as an
 * unsharded sweep, so the results are byte-identical.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { codeVersion } from "../output/code-version.js";
import { findScenario } from "../registry.js";
import { canonicalJson } from "../output/run-id.js";
import { writePlots, writeTables, type WriteOptions } from "../output/result-files.js";
import type { Scenario } from "../scenario.js";
import { aggregate, sweepPlots, sweepTables, sweepXKey } from "./aggregate.js";
import type { RunOutcome } from "./pool.js";
import { gridPoints, sweepIdOf, type Shard, type SweepPlan } from "./plan.js";
import { toJson, type SweepSummary } from "../output/summary.js";
import { UsageError } from "../runner/usage-error.js";

export interface SweepTiming {
  wallMs: number;
  jobs?: number;
  shards?: number;
}

export async function writeSweepFiles(
  dir: string,
  scenario: Scenario,
  plan: SweepPlan,
  outcomes: readonly RunOutcome[],
  timing: SweepTiming,
  options: WriteOptions = {},
): Promise<SweepSummary> {
  mkdirSync(dir, { recursive: true });
  const xKey = sweepXKey(scenario, plan);
  const aggregates = aggregate(plan, outcomes);
  const tables = sweepTables(scenario, plan, outcomes, aggregates, xKey);
  const tableSummaries = await writeTables(dir, tables);
  const plots = await writePlots(
    dir,
    sweepPlots(scenario, plan, aggregates, xKey),
    tables,
    options,
  );
  const summary: SweepSummary = {
    kind: "sweep",
    scenario: scenario.name,
    title: scenario.title,
    description: scenario.description,
    sweepId: sweepIdOf(plan),
    size: plan.size,
    seeds: plan.seeds,
    grid: plan.grid,
    sets: plan.sets,
    codeVersion: codeVersion(),
    runs: outcomes.length,
    aggregates,
    tables: tableSummaries,
    plots,
    timing: { ...timing, wallMs: Math.round(timing.wallMs), finishedAt: new Date().toISOString() },
  };
  writeFileSync(join(dir, "sweep.json"), toJson(summary));
  return summary;
}

interface ShardFile {
  kind: "shard";
  plan: SweepPlan;
  shard: Shard;
  /** Runs in the whole sweep, so merge can tell when one is missing. */
  runsTotal: number;
  codeVersion: string;
  outcomes: readonly RunOutcome[];
  wallMs: number;
}

export function shardDirName(shard: Shard): string {
  return `shard-${shard.index}-of-${shard.count}`;
}

export async function writeShardFiles(
  dir: string,
  scenario: Scenario,
  plan: SweepPlan,
  shard: Shard,
  runsTotal: number,
  outcomes: readonly RunOutcome[],
  wallMs: number,
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const file: ShardFile = {
    kind: "shard",
    plan,
    shard,
    runsTotal,
    codeVersion: codeVersion(),
    outcomes,
    wallMs: Math.round(wallMs),
  };
  // Headline values may be NaN; JSON has none, so they are boxed and restored on read.
  writeFileSync(
    join(dir, "shard.json"),
    JSON.stringify(file, (_k, v: unknown) =>
      typeof v === "number" && !Number.isFinite(v) ? { $number: String(v) } : v,
    ) + "\n",
  );
  const tables = sweepTables(scenario, plan, outcomes, [], undefined);
  await writeTables(dir, { runs: tables.runs! });
}

function isBoxedNumber(v: unknown): v is { $number: string } {
  return (
    typeof v === "object" &&
    v !== null &&
    Object.keys(v).length === 1 &&
    typeof (v as { $number?: unknown }).$number === "string"
  );
}

function readShard(path: string): ShardFile {
  let parsed: ShardFile;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"), (_k, v: unknown) =>
      isBoxedNumber(v) ? Number(v.$number) : v,
    ) as ShardFile;
  } catch (error) {
    throw new UsageError(
      `merge: cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (parsed.kind !== "shard") throw new UsageError(`merge: ${path} is not a shard file`);
  return parsed;
}

/** shard.json files in the given folders, or in their shard-* subfolders. */
export function findShardFiles(dirs: readonly string[]): string[] {
  const files: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) throw new UsageError(`merge: no such folder ${dir}`);
    const direct = join(dir, "shard.json");
    if (existsSync(direct)) {
      files.push(direct);
      continue;
    }
    const inner = readdirSync(dir)
      .filter((name) => name.startsWith("shard-") && existsSync(join(dir, name, "shard.json")))
      .sort()
      .map((name) => join(dir, name, "shard.json"));
    if (inner.length === 0)
      throw new UsageError(
        `merge: ${dir} holds no shard.json (nor shard-*/shard.json); give the folders a sweep --shard wrote`,
      );
    for (const f of inner) files.push(f);
  }
  return files;
}

export interface Merged {
  scenario: Scenario;
  plan: SweepPlan;
  outcomes: RunOutcome[];
  wallMs: number;
  shards: number;
}

export function mergeShards(files: readonly string[]): Merged {
  const shards = files.map(readShard);
  const first = shards[0];
  if (first === undefined) throw new UsageError("merge: give at least one shard folder");
  const planJson = canonicalJson(first.plan);
  const count = first.shard.count;
  const seen = new Map<number, string>();
  shards.forEach((s, i) => {
    if (canonicalJson(s.plan) !== planJson)
      throw new UsageError(
        `merge: ${files[i]} belongs to another sweep (its scenario, seeds, grid or settings differ)`,
      );
    if (s.shard.count !== count)
      throw new UsageError(
        `merge: ${files[i]} is shard ${s.shard.index}/${s.shard.count}, others are of ${count}`,
      );
    if (seen.has(s.shard.index))
      throw new UsageError(
        `merge: shard ${s.shard.index}/${count} is given twice (${seen.get(s.shard.index)} and ${files[i]})`,
      );
    seen.set(s.shard.index, files[i]!);
  });
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0)
    throw new UsageError(
      `merge: missing shard${missing.length > 1 ? "s" : ""} ${missing.map((i) => `${i}/${count}`).join(", ")}`,
    );
  const outcomes = shards.flatMap((s) => s.outcomes).sort((a, b) => a.index - b.index);
  const expected = first.runsTotal;
  if (outcomes.length !== expected || outcomes.some((o, i) => o.index !== i))
    throw new UsageError(
      `merge: the shards hold ${outcomes.length} runs, the sweep has ${expected}`,
    );
  if (gridPoints(first.plan.grid).length * first.plan.seeds.length !== expected)
    throw new UsageError("merge: shard files are inconsistent with their own plan");
  return {
    scenario: findScenario(first.plan.scenario),
    plan: first.plan,
    outcomes,
    wallMs: shards.reduce((a, s) => a + s.wallMs, 0),
    shards: count,
  };
}
