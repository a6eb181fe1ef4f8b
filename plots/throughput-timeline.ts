/**
 * Throughput over time with its causes stacked (original work at the bottom, then retries,
 * lineage reconstruction and actor replay) and the faults marked where they happened: the figure
 * that shows what a failure costs and how recovery work fills the gap (cf. Ray paper Fig. 11a).
 *
 * Rows are time buckets: a start time and a count per cause. With `bucketMs` set the counts become
 * rates (per second) and each bucket spans [t, t + bucketMs). Drawn as d3 stacked step areas, so
 * rows should be dense (empty buckets present as zeros, as the recorder's throughput table is): a
 * missing bucket shows as the previous one stretched.
 */
import { area, curveStepAfter, stack, type SeriesPoint } from "d3";
import { configurableChart, type Accessor, type Chart } from "./chart.js";
import { isPlottable, safeExtent } from "./domain.js";
import { faultBandPx, faultMarkers, type FaultMarker } from "./fault-markers.js";
import { Frame, FRAME_DEFAULTS, type FrameSettings } from "./frame.js";
import type { LegendItem } from "./legend.js";
import { numericAxes } from "./numeric-axes.js";
import { FAULT, seriesColor } from "./palette.js";
import { element } from "./svg.js";

export const CAUSES = ["original", "retry", "reconstruction", "replay"] as const;

export interface ThroughputSettings<R> extends FrameSettings {
  /** Start of the bucket, in ms. */
  x: Accessor<R, number>;
  /** The stacked series, bottom first. */
  keys: readonly string[];
  /** The count (or rate, when bucketMs is 0) of `key` in a row. */
  value: (row: R, key: string) => number;
  /** Bucket width in ms; 0 means values are already rates and buckets end at the next row. */
  bucketMs: number;
  faults: readonly FaultMarker[];
}

type Row = Record<string, unknown>;

export function throughputTimeline<R = Row>(): Chart<R, ThroughputSettings<R>> {
  const defaults: ThroughputSettings<R> = {
    ...FRAME_DEFAULTS,
    title: "Throughput",
    xLabel: "time",
    xUnit: "ms",
    yLabel: "throughput",
    yUnit: "tasks/s",
    x: (r) => Number((r as Row).tMs),
    keys: CAUSES,
    value: (r, key) => Number((r as Row)[key]),
    bucketMs: 1000,
    faults: [],
  };
  return configurableChart(defaults, render);
}

interface Bucket {
  startMs: number;
  endMs: number;
  /** Rate per key (per second with bucketMs > 0), clamped to >= 0. */
  rates: Record<string, number>;
}

function buckets<R>(rows: readonly R[], s: Readonly<ThroughputSettings<R>>): Bucket[] {
  const perSecond = s.bucketMs > 0 ? 1000 / s.bucketMs : 1;
  const points = rows
    .map((r, i) => ({ r, startMs: s.x(r, i) }))
    .filter((p) => isPlottable(p.startMs))
    .sort((a, b) => a.startMs - b.startMs);
  return points.map((p, i) => {
    const rates: Record<string, number> = {};
    for (const k of s.keys) {
      const v = s.value(p.r, k) * perSecond;
      rates[k] = isPlottable(v) && v > 0 ? v : 0;
    }
    const next = points[i + 1]?.startMs;
    const widthMs = s.bucketMs > 0 ? s.bucketMs : next !== undefined ? next - p.startMs : 0;
    return { startMs: p.startMs, endMs: p.startMs + widthMs, rates };
  });
}

function render<R>(rows: readonly R[], s: Readonly<ThroughputSettings<R>>): string {
  const data = buckets(rows, s);
  const faults = s.faults.filter((f) => isPlottable(f.tMs));
  const legend: LegendItem[] = s.keys.map((k, i) => ({
    label: k,
    color: seriesColor(k, i),
    shape: "swatch",
  }));
  if (faults.length > 0) legend.push({ label: "fault", color: FAULT, shape: "marker" });
  const xExtent = safeExtent([
    ...data.flatMap((b) => [b.startMs, b.endMs]),
    ...faults.map((f) => f.tMs),
  ]);
  const bandPx = faultBandPx(faults, xExtent, s.widthPx);
  const frame = new Frame(s, legend, bandPx);
  // The step curve needs a closing point where the last bucket ends.
  const last = data[data.length - 1];
  const steps = last === undefined ? [] : [...data, { ...last, startMs: last.endMs }];
  const layers = stack<Bucket>()
    .keys(s.keys)
    .value((b, key) => b.rates[key] ?? 0)(steps);
  const axes = numericAxes(frame, {
    xExtent,
    yExtent: safeExtent(
      layers.flatMap((layer) => layer.map((p) => p[1])),
      { includeZero: true },
    ),
  });
  const { x, y } = axes;
  const shape = area<SeriesPoint<Bucket>>()
    .x((p) => x(p.data.startMs))
    .y0((p) => y(p[0]))
    .y1((p) => y(p[1]))
    .curve(curveStepAfter)
    .digits(2);
  const paths = layers
    .map((layer, k) =>
      element("path", {
        class: `layer layer-${layer.key}`,
        d: shape(layer) ?? "",
        fill: seriesColor(layer.key, k),
      }),
    )
    .join("");
  return frame.render({
    grid: axes.grid,
    data: steps.length === 0 ? "" : paths,
    overlay: faultMarkers(faults, x, axes.plotWidthPx, frame.plotHeightPx, bandPx),
    xAxis: axes.xAxis,
    yAxis: axes.yAxis,
  });
}
