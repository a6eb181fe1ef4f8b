/**
 * Plot specs: what a scenario asks to be drawn, as plain data (a chart kind, a table name, column
 * names, axis labels and units), so specs cross worker threads, sit in summary.json, and render
 * the same later. `renderPlot` turns a spec and the result tables into an SVG string through the
 * chart factories; it is the only place that knows both.
 */
import { barChart } from "./bar-chart.js";
import { bandChart } from "./band-chart.js";
import { cdfChart } from "./cdf-chart.js";
import type { FaultMarker } from "./fault-markers.js";
import { pointsChart, type ReferenceLine } from "./points-chart.js";
import { CAUSES, throughputTimeline } from "./throughput-timeline.js";

export type Row = Record<string, unknown>;

/** A column plotted on an axis: its name in the table, the axis title and the unit of its values. */
export interface AxisColumn {
  column: string;
  label: string;
  /** "ms", "bytes", "fraction", or a count unit such as "tasks/s" (see plots/units.ts). */
  unit: string;
}

/** A table of fault markers: a time in ms and a label per row. */
export interface FaultsRef {
  table: string;
  /** Default "tMs". */
  tMsColumn?: string;
  /** Default "label"; or `labelColumns`, joined by spaces (sim.metrics.faults(): ["fault", "target"]). */
  labelColumn?: string;
  labelColumns?: readonly string[];
}

interface PlotBase {
  /** File name without extension, unique within a run. */
  name: string;
  title: string;
  table: string;
  /** Keep only rows whose columns equal these values. */
  where?: Readonly<Record<string, string | number | boolean>>;
  widthPx?: number;
  heightPx?: number;
}

export interface ThroughputPlot extends PlotBase {
  kind: "throughput";
  /** Bucket start column (default tMs). */
  xColumn?: string;
  /** Stacked cause columns, bottom first (default original, retry, reconstruction, replay). */
  causes?: readonly string[];
  /** Bucket width: the columns hold counts per bucket, shown per second. */
  bucketMs: number;
  yLabel?: string;
  yUnit?: string;
  faults?: FaultsRef;
}

export interface PointsPlot extends PlotBase {
  kind: "points";
  x: AxisColumn;
  y: AxisColumn;
  series?: string;
  joined?: boolean;
  references?: readonly ReferenceLine[];
  /** Vertical dashed lines at these x values, labelled (an analytic optimum). */
  xReferences?: readonly ReferenceLine[];
  faults?: FaultsRef;
  pointsMax?: number;
}

export interface CdfPlot extends PlotBase {
  kind: "cdf";
  value: AxisColumn;
  series?: string;
  xLog?: boolean;
  /** Analytic CDFs from other tables: x in the value's unit, p in [0, 1]. */
  references?: readonly { label: string; table: string; xColumn: string; pColumn: string }[];
}

export interface BandPlot extends PlotBase {
  kind: "band";
  x: AxisColumn;
  y: AxisColumn;
  lowColumn: string;
  highColumn: string;
  series?: string;
  referenceColumn?: string;
  referenceLabel?: string;
}

export interface BarsPlot extends PlotBase {
  kind: "bars";
  group: { column: string; label: string };
  bar?: string;
  value: AxisColumn;
  lowColumn?: string;
  highColumn?: string;
  referenceColumn?: string;
  referenceLabel?: string;
}

export type PlotSpec = ThroughputPlot | PointsPlot | CdfPlot | BandPlot | BarsPlot;

/** Looks a table up by name; a spec naming a missing table is a bug in the scenario. */
export type TableLookup = (name: string) => readonly Row[];

function num(column: string): (row: Row) => number {
  return (row) => {
    const v = row[column];
    return typeof v === "number"
      ? v
      : v === undefined || v === null || v === ""
        ? Number.NaN
        : Number(v);
  };
}

/** Table cells are strings, numbers and booleans; a missing one reads as "". */
function cellText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

function str(column: string | undefined): (row: Row) => string {
  return column === undefined ? () => "" : (row) => cellText(row[column]);
}

function selected(spec: PlotBase, tables: TableLookup): readonly Row[] {
  const rows = tables(spec.table);
  const where = spec.where;
  if (where === undefined) return rows;
  const entries = Object.entries(where);
  return rows.filter((r) => entries.every(([k, v]) => r[k] === v));
}

function faultsOf(ref: FaultsRef | undefined, tables: TableLookup): FaultMarker[] {
  if (ref === undefined) return [];
  const t = num(ref.tMsColumn ?? "tMs");
  const parts = (ref.labelColumns ?? [ref.labelColumn ?? "label"]).map(str);
  return tables(ref.table).map((r) => ({ tMs: t(r), label: parts.map((p) => p(r)).join(" ") }));
}

type Renderers = {
  [K in PlotSpec["kind"]]: (
    spec: Extract<PlotSpec, { kind: K }>,
    rows: readonly Row[],
    tables: TableLookup,
  ) => string;
};

const RENDERERS: Renderers = {
  throughput: (spec, rows, tables) =>
    throughputTimeline<Row>()
      .x(num(spec.xColumn ?? "tMs"))
      .keys(spec.causes ?? CAUSES)
      .value((r, key) => num(key)(r))
      .bucketMs(spec.bucketMs)
      .yLabel(spec.yLabel ?? "throughput")
      .yUnit(spec.yUnit ?? "tasks/s")
      .faults(faultsOf(spec.faults, tables))
      .title(spec.title)
      .widthPx(spec.widthPx ?? 640)
      .heightPx(spec.heightPx ?? 360)(rows),
  points: (spec, rows, tables) =>
    pointsChart<Row>()
      .x(num(spec.x.column))
      .xLabel(spec.x.label)
      .xUnit(spec.x.unit)
      .y(num(spec.y.column))
      .yLabel(spec.y.label)
      .yUnit(spec.y.unit)
      .series(str(spec.series))
      .joined(spec.joined ?? false)
      .pointsMax(spec.pointsMax ?? 4000)
      .references(spec.references ?? [])
      .xReferences(spec.xReferences ?? [])
      .faults(faultsOf(spec.faults, tables))
      .title(spec.title)
      .widthPx(spec.widthPx ?? 640)
      .heightPx(spec.heightPx ?? 360)(rows),
  cdf: (spec, rows, tables) =>
    cdfChart<Row>()
      .value(num(spec.value.column))
      .xLabel(spec.value.label)
      .xUnit(spec.value.unit)
      .series(str(spec.series))
      .xLog(spec.xLog ?? false)
      .references(
        (spec.references ?? []).map((ref) => ({
          label: ref.label,
          points: tables(ref.table).map((r) => ({
            x: num(ref.xColumn)(r),
            p: num(ref.pColumn)(r),
          })),
        })),
      )
      .title(spec.title)
      .widthPx(spec.widthPx ?? 640)
      .heightPx(spec.heightPx ?? 360)(rows),
  band: (spec, rows) =>
    bandChart<Row>()
      .x(num(spec.x.column))
      .xLabel(spec.x.label)
      .xUnit(spec.x.unit)
      .y(num(spec.y.column))
      .yLabel(spec.y.label)
      .yUnit(spec.y.unit)
      .low(num(spec.lowColumn))
      .high(num(spec.highColumn))
      .series(str(spec.series))
      .reference(optionalNum(spec.referenceColumn))
      .referenceLabel(spec.referenceLabel ?? "reference")
      .title(spec.title)
      .widthPx(spec.widthPx ?? 640)
      .heightPx(spec.heightPx ?? 360)(rows),
  bars: (spec, rows) =>
    barChart<Row>()
      .group(str(spec.group.column))
      .xLabel(spec.group.label)
      .bar(str(spec.bar))
      .value(num(spec.value.column))
      .yLabel(spec.value.label)
      .yUnit(spec.value.unit)
      .low(optionalNum(spec.lowColumn))
      .high(optionalNum(spec.highColumn))
      .reference(optionalNum(spec.referenceColumn))
      .referenceLabel(spec.referenceLabel ?? "reference")
      .title(spec.title)
      .widthPx(spec.widthPx ?? 640)
      .heightPx(spec.heightPx ?? 360)(rows),
};

/** A column that may be absent from the spec: NaN for every row then (drawn as nothing). */
function optionalNum(column: string | undefined): (row: Row) => number {
  return column === undefined ? () => Number.NaN : num(column);
}

export function renderPlot(spec: PlotSpec, tables: TableLookup): string {
  return RENDERERS[spec.kind](spec as never, selected(spec, tables), tables);
}
