/**
 * Empirical cumulative distribution functions, one step line per series, with optional reference
 * curves (an analytic CDF such as Erlang C's waiting time) drawn dashed. Large samples are reduced
 * to `stepsMax` quantile points, which keeps the file small and loses nothing visible.
 */
import { curveStepAfter, line } from "d3";
import { configurableChart, type Accessor, type Chart } from "./chart.js";
import { isPlottable, LOG_MIN, safeExtent } from "./domain.js";
import { Frame, FRAME_DEFAULTS, type FrameSettings } from "./frame.js";
import type { LegendItem } from "./legend.js";
import { numericAxes } from "./numeric-axes.js";
import { REFERENCE, seriesColor } from "./palette.js";
import { splitSeries } from "./series.js";
import { element } from "./svg.js";

export interface CdfReference {
  label: string;
  points: readonly { x: number; p: number }[];
}

export interface CdfSettings<R> extends FrameSettings {
  value: Accessor<R, number>;
  series: Accessor<R, string>;
  stepsMax: number;
  /** Log x axis; values below LOG_MIN (1e-300, so also <= 0) are then left out. */
  xLog: boolean;
  references: readonly CdfReference[];
}

type Row = Record<string, unknown>;
type Point = [number, number];

export function cdfChart<R = Row>(): Chart<R, CdfSettings<R>> {
  const defaults: CdfSettings<R> = {
    ...FRAME_DEFAULTS,
    title: "Distribution",
    xLabel: "value",
    yLabel: "fraction at or below",
    yUnit: "fraction",
    value: (r) => Number((r as Row).value),
    series: () => "",
    stepsMax: 400,
    xLog: false,
    references: [],
  };
  return configurableChart(defaults, render);
}

/** ECDF step points: (v1, 0), then (v_i, i/n) at up to `stepsMax` quantiles. */
export function ecdfPoints(values: readonly number[], stepsMax: number): Point[] {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return [];
  const points: Point[] = [[sorted[0]!, 0]];
  const steps = Math.max(1, Math.min(n, stepsMax));
  for (let k = 1; k <= steps; k++) {
    const i = Math.ceil((k * n) / steps);
    points.push([sorted[i - 1]!, i / n]);
  }
  return points;
}

function render<R>(rows: readonly R[], s: Readonly<CdfSettings<R>>): string {
  const keep = (v: number): boolean => isPlottable(v) && (!s.xLog || v >= LOG_MIN);
  const series = splitSeries(rows, s.series).map((ser) => ({
    name: ser.name,
    points: ecdfPoints(
      ser.rows.map(({ row, index }) => s.value(row, index)).filter(keep),
      s.stepsMax,
    ),
  }));
  const references = s.references.map((ref) => ({
    label: ref.label,
    points: ref.points.filter((p) => keep(p.x) && isPlottable(p.p)).map((p): Point => [p.x, p.p]),
  }));
  const named = series.length > 1 || (series[0]?.name ?? "") !== "";
  const legend: LegendItem[] = named
    ? series.map((ser, i) => ({ label: ser.name, color: seriesColor(ser.name, i), shape: "line" }))
    : [];
  for (const ref of references)
    legend.push({ label: ref.label, color: REFERENCE, shape: "dashed" });
  const frame = new Frame(s, legend);
  const xs = [
    ...series.flatMap((ser) => ser.points.map((p) => p[0])),
    ...references.flatMap((r) => r.points.map((p) => p[0])),
  ];
  const xExtent = safeExtent(xs);
  const xLog = s.xLog && xs.length > 0;
  const axes = numericAxes(frame, { xExtent, yExtent: [0, 1], xLog });
  const path = (curve: boolean) => {
    const shape = line<Point>()
      .x((p) => axes.x(p[0]))
      .y((p) => axes.y(p[1]))
      .digits(2);
    return curve ? shape.curve(curveStepAfter) : shape;
  };
  let data = "";
  series.forEach((ser, i) => {
    if (ser.points.length === 0) return;
    data += element("path", {
      class: "cdf",
      d: path(true)(ser.points) ?? "",
      fill: "none",
      stroke: seriesColor(ser.name, i),
      "stroke-width": 2,
    });
  });
  for (const ref of references) {
    if (ref.points.length === 0) continue;
    data += element("path", {
      class: "reference",
      d: path(false)(ref.points) ?? "",
      fill: "none",
      stroke: REFERENCE,
      "stroke-width": 1.5,
      "stroke-dasharray": "6 3",
    });
  }
  return frame.render({ grid: axes.grid, data, overlay: "", xAxis: axes.xAxis, yAxis: axes.yAxis });
}
