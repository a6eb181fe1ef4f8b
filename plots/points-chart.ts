/**
 * A value over time (or over any x) as points: each row a dot, coloured by series, with optional
 * horizontal reference lines (a theoretical mean, a paper's figure) and fault markers. Dots are
 * drawn as zero-length round-capped path segments, one path per series, which keeps a chart of
 * thousands of points small; beyond `pointsMax` the rows are thinned deterministically.
 */
import { line } from "d3";
import { configurableChart, type Accessor, type Chart } from "./chart.js";
import { isPlottable, safeExtent } from "./domain.js";
import { faultBandPx, faultMarkers, type FaultMarker } from "./fault-markers.js";
import { Frame, FRAME_DEFAULTS, type FrameSettings } from "./frame.js";
import type { LegendItem } from "./legend.js";
import { numericAxes, type NumericAxes } from "./numeric-axes.js";
import { FAULT, REFERENCE, seriesColor } from "./palette.js";
import { splitSeries, thin } from "./series.js";
import { element, group, px, text } from "./svg.js";

export interface ReferenceLine {
  value: number;
  label: string;
}

export interface PointsSettings<R> extends FrameSettings {
  x: Accessor<R, number>;
  y: Accessor<R, number>;
  /** Series name per row; "" for a single unnamed series. */
  series: Accessor<R, string>;
  pointsMax: number;
  radiusPx: number;
  /** Also join each series' points with a line, in x order. */
  joined: boolean;
  references: readonly ReferenceLine[];
  /** Vertical reference lines at x values (an analytic optimum on a swept parameter). */
  xReferences: readonly ReferenceLine[];
  faults: readonly FaultMarker[];
}

type Row = Record<string, unknown>;

export function pointsChart<R = Row>(): Chart<R, PointsSettings<R>> {
  const defaults: PointsSettings<R> = {
    ...FRAME_DEFAULTS,
    xLabel: "time",
    xUnit: "ms",
    x: (r) => Number((r as Row).tMs),
    y: (r) => Number((r as Row).value),
    series: () => "",
    pointsMax: 4000,
    radiusPx: 2,
    joined: false,
    references: [],
    xReferences: [],
    faults: [],
  };
  return configurableChart(defaults, render);
}

interface Point {
  x: number;
  y: number;
}

interface PointSeries {
  name: string;
  points: Point[];
}

function render<R>(rows: readonly R[], s: Readonly<PointsSettings<R>>): string {
  const series: PointSeries[] = splitSeries(rows, s.series).map((ser) => ({
    name: ser.name,
    points: ser.rows
      .map(({ row, index }) => ({ x: s.x(row, index), y: s.y(row, index) }))
      .filter((p) => isPlottable(p.x) && isPlottable(p.y)),
  }));
  const references = s.references.filter((r) => isPlottable(r.value));
  const xReferences = s.xReferences.filter((r) => isPlottable(r.value));
  const faults = s.faults.filter((f) => isPlottable(f.tMs));
  const all = series.flatMap((ser) => ser.points);
  const xExtent = safeExtent([
    ...all.map((p) => p.x),
    ...faults.map((f) => f.tMs),
    ...xReferences.map((r) => r.value),
  ]);
  const bandPx = faultBandPx(faults, xExtent, s.widthPx);
  const frame = new Frame(
    s,
    pointsLegend(series, [...references, ...xReferences], faults.length > 0),
    bandPx,
  );
  const axes = numericAxes(frame, {
    xExtent,
    yExtent: safeExtent([...all.map((p) => p.y), ...references.map((r) => r.value)]),
  });
  const perSeriesMax = Math.max(1, Math.floor(s.pointsMax / Math.max(1, series.length)));
  const data = series
    .map((ser, i) => seriesMarks(thin(ser.points, perSeriesMax), seriesColor(ser.name, i), axes, s))
    .join("");
  return frame.render({
    grid: axes.grid,
    data,
    overlay:
      referenceLines(references, axes) +
      xReferenceLines(xReferences, axes, frame.plotHeightPx) +
      faultMarkers(faults, axes.x, axes.plotWidthPx, frame.plotHeightPx, bandPx),
    xAxis: axes.xAxis,
    yAxis: axes.yAxis,
  });
}

function pointsLegend(
  series: readonly PointSeries[],
  references: readonly ReferenceLine[],
  hasFaults: boolean,
): LegendItem[] {
  const named = series.length > 1 || (series[0]?.name ?? "") !== "";
  const legend: LegendItem[] = named
    ? series.map((ser, i) => ({ label: ser.name, color: seriesColor(ser.name, i), shape: "dot" }))
    : [];
  for (const r of references) legend.push({ label: r.label, color: REFERENCE, shape: "dashed" });
  if (hasFaults) legend.push({ label: "fault", color: FAULT, shape: "marker" });
  return legend;
}

/** One series' (already thinned) points as dots, joined by a line through x order if asked. */
function seriesMarks<R>(
  kept: readonly Point[],
  color: string,
  axes: NumericAxes,
  s: Readonly<PointsSettings<R>>,
): string {
  if (kept.length === 0) return "";
  let data = "";
  if (s.joined)
    data += element("path", {
      class: "line",
      d: linePath(
        [...kept].sort((a, b) => a.x - b.x),
        axes.x,
        axes.y,
      ),
      fill: "none",
      stroke: color,
      "stroke-width": 1.5,
    });
  const dots = kept.map((p) => `M${px(axes.x(p.x))},${px(axes.y(p.y))}h0`).join("");
  data += element("path", {
    class: "points",
    d: dots,
    stroke: color,
    "stroke-width": 2 * s.radiusPx,
    "stroke-linecap": "round",
    "stroke-opacity": 0.7,
    fill: "none",
  });
  return data;
}

/** Dashed horizontal reference lines, labelled at the right end. */
function referenceLines(references: readonly ReferenceLine[], axes: NumericAxes): string {
  return references
    .map((r) => {
      const yPx = axes.y(r.value);
      return group(
        "reference",
        element("line", {
          x1: 0,
          x2: axes.plotWidthPx,
          y1: yPx,
          y2: yPx,
          stroke: REFERENCE,
          "stroke-width": 1.5,
          "stroke-dasharray": "6 3",
        }) +
          text(
            {
              x: axes.plotWidthPx - 4,
              y: yPx - 4,
              "text-anchor": "end",
              "font-size": 10,
              fill: REFERENCE,
              stroke: "#ffffff",
              "stroke-width": 3,
              "paint-order": "stroke",
            },
            r.label,
          ),
      );
    })
    .join("");
}

function xReferenceLines(
  references: readonly ReferenceLine[],
  axes: NumericAxes,
  plotHeightPx: number,
): string {
  return references
    .map((r, i) => {
      const xPx = axes.x(r.value);
      // Labels one under the other: two optima close together would otherwise overprint.
      const yPx = 12 + 14 * i;
      return group(
        "reference",
        element("line", {
          x1: xPx,
          x2: xPx,
          y1: 0,
          y2: plotHeightPx,
          stroke: REFERENCE,
          "stroke-width": 1.5,
          "stroke-dasharray": "6 3",
        }) +
          text(
            {
              x: xPx + 4,
              y: yPx,
              "font-size": 10,
              fill: REFERENCE,
              stroke: "#ffffff",
              "stroke-width": 3,
              "paint-order": "stroke",
            },
            r.label,
          ),
      );
    })
    .join("");
}

/** A polyline through the points with d3-shape, coordinates rounded to 0.01 px. */
export function linePath(
  points: readonly Point[],
  x: (v: number) => number,
  y: (v: number) => number,
): string {
  return (
    line<Point>()
      .x((p) => x(p.x))
      .y((p) => y(p.y))
      .digits(2)(points) ?? ""
  );
}
