/**
 * A sweep is a grid of parameter values times a list of seeds. Its runs are numbered in one fixed
 * order (grid points in the order given, the last key varying fastest, then seeds), and shard i/n
 * takes every n-th run starting at i−1: a deterministic slice that spreads every grid point over
 * the shards, so a Slurm job array or a Kubernetes indexed job can run one shard per task and
 * `merge` reassembles exactly the unsharded result.
 */
import { paramSpec, parseParamValue, splitAssignment } from "../runner/params.js";
import { prepareRun, type RunRequest } from "../runner/run-scenario.js";
import { sweepId } from "../output/run-id.js";
import type { ParamValue, Scenario, Size } from "../scenario.js";
import { UsageError } from "../runner/usage-error.js";

export type Grid = readonly (readonly [string, readonly ParamValue[]])[];

export interface SweepPlan {
  scenario: string;
  size: Size;
  seeds: readonly number[];
  grid: Grid;
  sets: Readonly<Record<string, ParamValue>>;
}

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export interface PlannedRun {
  index: number;
  point: number;
  gridValues: Readonly<Record<string, ParamValue>>;
  request: RunRequest;
}

/** Bounds that keep a typo from starting a month of work. */
export const SWEEP_RUNS_MAX = 1_000_000;

export function parseGrid(
  scenario: Scenario,
  texts: readonly string[],
  sets: Readonly<Record<string, ParamValue>>,
): Grid {
  const grid: [string, ParamValue[]][] = [];
  for (const text of texts) {
    const [key, raw] = splitAssignment(text, "--grid");
    paramSpec(scenario, key);
    if (grid.some(([k]) => k === key))
      throw new UsageError(
        `--grid ${key} is given twice; list all its values once: --grid ${key}=a,b,c`,
      );
    if (Object.hasOwn(sets, key)) throw new UsageError(`${key} is both --set and --grid; use one`);
    const values = raw.split(",").map((v) => parseParamValue(scenario, key, v, `--grid ${text}`));
    if (new Set(values).size !== values.length)
      throw new UsageError(`--grid ${text} repeats a value`);
    grid.push([key, values]);
  }
  return grid;
}

/** Every combination of grid values, the last key varying fastest. */
export function gridPoints(grid: Grid): Record<string, ParamValue>[] {
  let points: Record<string, ParamValue>[] = [{}];
  for (const [key, values] of grid)
    points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  return points;
}

export function pointLabel(gridValues: Readonly<Record<string, ParamValue>>): string {
  const parts = Object.entries(gridValues).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length === 0 ? "all runs" : parts.join(", ");
}

export function planRuns(scenario: Scenario, plan: SweepPlan): PlannedRun[] {
  const points = gridPoints(plan.grid);
  const total = points.length * plan.seeds.length;
  if (total > SWEEP_RUNS_MAX)
    throw new UsageError(`the sweep has ${total} runs; at most ${SWEEP_RUNS_MAX} are accepted`);
  const runs: PlannedRun[] = [];
  points.forEach((gridValues, point) => {
    for (const seed of plan.seeds) {
      const request = prepareRun(scenario, plan.size, seed, { ...plan.sets, ...gridValues });
      runs.push({ index: runs.length, point, gridValues, request });
    }
  });
  return runs;
}

export function shardRuns<T extends { index: number }>(
  runs: readonly T[],
  shard: Shard | undefined,
): T[] {
  if (shard === undefined) return [...runs];
  return runs.filter((r) => r.index % shard.count === shard.index - 1);
}

export function sweepIdOf(plan: SweepPlan): string {
  return sweepId(plan.size, plan.seeds, {
    scenario: plan.scenario,
    seeds: plan.seeds,
    grid: plan.grid,
    sets: plan.sets,
  });
}
