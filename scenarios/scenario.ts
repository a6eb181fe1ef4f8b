/**
 * The scenario interface (DESIGN.md "Scenarios and sweeps"): a named experiment is one module
 * exporting a `Scenario`: a name, a one-paragraph description citing where its setup comes from,
 * typed parameters (defaults, ranges, a quick and a full size), and `run(params, seed, progress)`
 * returning named tables, headline figures (each optionally beside a reference value and its
 * source) and plot specs. Everything a run returns is plain data, so it crosses worker threads
 * and lands in files unchanged; the optional `trace` is the one exception and stays in-process.
 */
import type { RecordedEvent } from "../core/trace.js";
import type { PlotSpec, Row } from "../plots/plot-spec.js";

export type Size = "quick" | "full";

interface ParamBase<T> {
  /** One line: what it sets, in the unit its name carries. */
  description: string;
  /** The unit of its values for axes ("ms", "bytes", "fraction", or a count unit); default none. */
  unit?: string;
  default: T;
  /** Overrides of the default at each size (the quick size is what `npm start` and tests run). */
  quick?: T;
  full?: T;
}

export interface IntParam extends ParamBase<number> {
  kind: "int";
  min: number;
  max: number;
}

export interface NumberParam extends ParamBase<number> {
  kind: "number";
  min: number;
  max: number;
}

export interface EnumParam<T extends string = string> extends ParamBase<T> {
  kind: "enum";
  values: readonly T[];
}

export interface BooleanParam extends ParamBase<boolean> {
  kind: "boolean";
}

export type ParamSpec = IntParam | NumberParam | EnumParam | BooleanParam;
export type ParamSpecs = Readonly<Record<string, ParamSpec>>;
export type ParamValue = number | string | boolean;

/** The typed parameters a scenario's `run` receives. */
export type ParamsOf<S extends ParamSpecs> = {
  readonly [K in keyof S]: S[K] extends EnumParam<infer T>
    ? T
    : S[K] extends BooleanParam
      ? boolean
      : number;
};

/** A result table: its column order (also for an empty table) and its rows. */
export interface Table {
  columns: readonly string[];
  rows: readonly Row[];
}

export interface Reference {
  value: number;
  /** A short name for legends ("Erlang C"); default "reference". */
  label?: string;
  /** Where the value comes from: a formula and a textbook, a paper's figure or table. */
  source: string;
  /**
   * The value was measured on a larger setup than this run's (the paper's, run at `--full`): it is
   * shown beside the figure marked "scaled down", and no difference is taken against it.
   */
  scaledDown?: boolean;
}

/** A headline figure of a run, e.g. the mean waiting time beside Erlang C's. */
export interface Headline {
  /** Stable key, a column in sweep tables: camelCase with the unit last (meanWaitMs). */
  key: string;
  label: string;
  value: number;
  /** "ms", "bytes", "fraction", or a count unit ("tasks/s"); see plots/units.ts. */
  unit: string;
  reference?: Reference;
}

/** Reports how far a run is, from 0 to 1; cheap to call often (callers throttle the output). */
export type Progress = (fraction: number) => void;

export interface RunOptions {
  /**
   * The caller will read `trace()` (the `trace` command). Scenarios may skip recording task
   * events otherwise: recording costs about 40% of a small run's time.
   */
  trace: boolean;
}

export interface ScenarioResult {
  tables: Readonly<Record<string, Table>>;
  headlines: readonly Headline[];
  plots: readonly PlotSpec[];
  /** The typed trace of the run, for `trace` (Chrome trace-event export); never sent to workers. */
  trace?: () => Iterable<RecordedEvent>;
  /** For the trace's flow arrows: the tasks whose outputs `taskId` took as arguments. */
  traceInputs?: (taskId: string) => readonly string[];
}

/** How a sweep over this scenario is drawn by default. */
export interface SweepHints {
  /** The grid parameter to put on the x axis when it is swept. */
  x?: string;
  /** Headlines to chart (default: those with a reference value, else the first). */
  headlines?: readonly string[];
}

export interface Scenario<S extends ParamSpecs = ParamSpecs> {
  /** kebab-case, used on the command line and as the results folder. */
  readonly name: string;
  readonly title: string;
  /** One paragraph, with the source of its setup. */
  readonly description: string;
  readonly params: S;
  readonly sweep?: SweepHints;
  /** Checks across parameters (ranges are checked already); a message makes it a usage error. */
  check?(params: ParamsOf<S>): string | undefined;
  // Method syntax on purpose: scenarios with different params must fit one registry list.
  run(
    params: ParamsOf<S>,
    seed: number,
    progress: Progress,
    options?: RunOptions,
  ): Promise<ScenarioResult> | ScenarioResult;
}

/** Declares a scenario with its parameter types inferred from `params`. */
export function defineScenario<const S extends ParamSpecs>(scenario: Scenario<S>): Scenario<S> {
  return scenario;
}

/**
 * A table from rows (column order = `columns`). Rows may be typed interfaces (sim.metrics rows):
 * TypeScript gives interfaces no index signature, but at run time a row is just its fields.
 */
export function table<R extends object>(columns: readonly string[], rows: readonly R[]): Table {
  return { columns, rows: rows as unknown as readonly Row[] };
}
