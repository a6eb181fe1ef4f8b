/**
 * Lines with a 95% confidence band across seeds: for each series a line through the means, a
 * shaded band from `low` to `high`, a dot at every measured x, and optionally the reference value
 * at each x drawn dashed in the series' colour (theory or the paper's number). This is the chart
 * of a sweep: one grid parameter along x, the others as series.
 */
import { area, line } from "d3";
import { configurableChart, type Accessor, type Chart } from "./chart.js";
import { isPlottable, safeExtent } from "./domain.js";
import { Frame, FRAME_DEFAULTS, type FrameSettings } from "./frame.js";
import type { LegendItem } from "./legend.js";
import { numericAxes, type NumericAxes } from "./numeric-axes.js";
import { INK, seriesColor } from "./palette.js";
import { splitSeries } from "./series.js";
import { element, px } from "./svg.js";

export interface BandSettings<R> extends FrameSettings {
  x: Accessor<R, number>;
  y: Accessor<R, number>;
  low: Accessor<R, number>;
  high: Accessor<R, number>;
  series: Accessor<R, string>;
  /** The reference value at this x; NaN where there is none. */
  reference: Accessor<R, number>;
  referenceLabel: string;
  bandLabel: string;
}

type Row = Record<string, unknown>;

interface Point {
  x: number;
  y: number;
  low: number;
  high: number;
  reference: number;
}

export function bandChart<R = Row>(): Chart<R, BandSettings<R>> {
  const defaults: BandSettings<R> = {
    ...FRAME_DEFAULTS,
    x: (r) => Number((r as Row).x),
    y: (r) => Number((r as Row).mean),
    low: (r) => Number((r as Row).ci95Low),
    high: (r) => Number((r as Row).ci95High),
    series: () => "",
    reference: () => Number.NaN,
    referenceLabel: "reference",
    bandLabel: "95% CI",
  };
  return configurableChart(defaults, render);
}

interface BandSeries {
  name: string;
  points: Point[];
}

function render<R>(rows: readonly R[], s: Readonly<BandSettings<R>>): string {
  const series = bandSeries(rows, s);
  const frame = new Frame(s, bandLegend(series, s));
  const all = series.flatMap((ser) => ser.points);
  const axes = numericAxes(frame, {
    xExtent: safeExtent(all.map((p) => p.x)),
    yExtent: safeExtent([
      ...all.flatMap((p) => [p.y, p.low, p.high]),
      ...all.map((p) => p.reference),
    ]),
  });
  const data = series
    .map((ser, i) => seriesPaths(ser.points, seriesColor(ser.name, i), axes))
    .join("");
  return frame.render({ grid: axes.grid, data, overlay: "", xAxis: axes.xAxis, yAxis: axes.yAxis });
}

/** Each series' plottable points sorted by x; a point without both band ends gets a zero band. */
function bandSeries<R>(rows: readonly R[], s: Readonly<BandSettings<R>>): BandSeries[] {
  return splitSeries(rows, s.series).map((ser) => ({
    name: ser.name,
    points: ser.rows
      .map(({ row, index }): Point => {
        const y = s.y(row, index);
        const low = s.low(row, index);
        const high = s.high(row, index);
        const banded = isPlottable(low) && isPlottable(high);
        return {
          x: s.x(row, index),
          y,
          low: banded ? low : y,
          high: banded ? high : y,
          reference: s.reference(row, index),
        };
      })
      .filter((p) => isPlottable(p.x) && isPlottable(p.y))
      .sort((a, b) => a.x - b.x),
  }));
}

function bandLegend<R>(series: readonly BandSeries[], s: Readonly<BandSettings<R>>): LegendItem[] {
  const hasReference = series.some((ser) => ser.points.some((p) => isPlottable(p.reference)));
  const named = series.length > 1 || (series[0]?.name ?? "") !== "";
  const legend: LegendItem[] = named
    ? series.map((ser, i) => ({ label: ser.name, color: seriesColor(ser.name, i), shape: "line" }))
    : [];
  legend.push({ label: s.bandLabel, color: "#bbbbbb", shape: "swatch" });
  if (hasReference) legend.push({ label: s.referenceLabel, color: INK, shape: "dashed" });
  return legend;
}

/** One series: its shaded band, the line through the means, a dot per x, the dashed reference. */
function seriesPaths(points: readonly Point[], color: string, axes: NumericAxes): string {
  if (points.length === 0) return "";
  const band = area<Point>()
    .x((p) => axes.x(p.x))
    .y0((p) => axes.y(p.low))
    .y1((p) => axes.y(p.high))
    .digits(2);
  const mean = line<Point>()
    .x((p) => axes.x(p.x))
    .y((p) => axes.y(p.y))
    .digits(2);
  let data = element("path", {
    class: "band",
    d: band(points) ?? "",
    fill: color,
    "fill-opacity": 0.18,
    stroke: "none",
  });
  data += element("path", {
    class: "mean",
    d: mean(points) ?? "",
    fill: "none",
    stroke: color,
    "stroke-width": 2,
  });
  const dots = points.map((p) => `M${px(axes.x(p.x))},${px(axes.y(p.y))}h0`).join("");
  data += element("path", {
    class: "points",
    d: dots,
    stroke: color,
    "stroke-width": 5,
    "stroke-linecap": "round",
    fill: "none",
  });
  if (points.some((p) => isPlottable(p.reference))) {
    const reference = line<Point>()
      .defined((p) => isPlottable(p.reference))
      .x((p) => axes.x(p.x))
      .y((p) => axes.y(p.reference))
      .digits(2);
    data += element("path", {
      class: "reference",
      d: reference(points) ?? "",
      fill: "none",
      stroke: color,
      "stroke-width": 1.5,
      "stroke-dasharray": "6 3",
    });
  }
  return data;
}
