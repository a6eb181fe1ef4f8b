/**
 * What summary.json (one run) and sweep.json (one sweep) hold. Everything but `timing` depends only
 * on the code, the parameters and the seeds, so two runs of the same thing compare equal once
 * `timing` (wall time, finish time) is left out; `withoutTiming` does exactly that.
 */
import type { PlotSpec } from "../../plots/plot-spec.js";
import type { Headline, ParamValue, Reference, Size } from "../scenario.js";

export interface Difference {
  /** value − reference, in the headline's unit. */
  absolute: number;
  /** (value − reference) / |reference|; NaN when the reference is 0. */
  relative: number;
}

export interface HeadlineSummary extends Headline {
  difference?: Difference;
}

export interface TableSummary {
  name: string;
  file: string;
  rows: number;
  columns: readonly string[];
}

export interface PlotSummary {
  name: string;
  title: string;
  file: string;
  spec: PlotSpec;
}

export interface Timing {
  wallMs: number;
  finishedAt: string;
}

export interface RunSummary {
  kind: "run";
  scenario: string;
  title: string;
  description: string;
  runId: string;
  size: Size;
  seed: number;
  params: Readonly<Record<string, ParamValue>>;
  codeVersion: string;
  headlines: readonly HeadlineSummary[];
  tables: readonly TableSummary[];
  plots: readonly PlotSummary[];
  timing: Timing;
}

/** One grid point's headline across seeds. */
export interface AggregateSummary {
  point: number;
  /** "servers=4, utilisation=0.9", or "all runs" without a grid. */
  pointLabel: string;
  gridValues: Readonly<Record<string, ParamValue>>;
  key: string;
  label: string;
  unit: string;
  n: number;
  mean: number;
  ci95Low: number;
  ci95High: number;
  reference?: Reference;
  difference?: Difference;
}

export interface SweepSummary {
  kind: "sweep";
  scenario: string;
  title: string;
  description: string;
  sweepId: string;
  size: Size;
  seeds: readonly number[];
  grid: readonly (readonly [string, readonly ParamValue[]])[];
  sets: Readonly<Record<string, ParamValue>>;
  codeVersion: string;
  runs: number;
  aggregates: readonly AggregateSummary[];
  tables: readonly TableSummary[];
  plots: readonly PlotSummary[];
  timing: Timing & { jobs?: number; shards?: number };
}

export function difference(value: number, reference: number | undefined): Difference | undefined {
  if (reference === undefined || !Number.isFinite(value) || !Number.isFinite(reference))
    return undefined;
  return {
    absolute: value - reference,
    relative: reference === 0 ? Number.NaN : (value - reference) / Math.abs(reference),
  };
}

/** The marker shown beside a reference measured on a larger setup than the run's. */
export const SCALED_DOWN = "scaled down";

/** A headline's difference from its reference; none against a reference the run is too small for. */
export function referenceDifference(
  value: number,
  reference: Reference | undefined,
): Difference | undefined {
  if (reference?.scaledDown === true) return undefined;
  return difference(value, reference?.value);
}

export function withoutTiming<T extends { timing: unknown }>(summary: T): Omit<T, "timing"> {
  const { timing: _timing, ...rest } = summary;
  return rest;
}

/** JSON for files: NaN and infinities become null (JSON has no NaN), two-space indent, newline. */
export function toJson(value: unknown): string {
  return (
    JSON.stringify(
      value,
      (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v),
      2,
    ) + "\n"
  );
}
