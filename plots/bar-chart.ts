/**
 * Grouped bars with error bars: groups along x (a grid value, a scenario), bars within a group
 * (a series), each bar with an optional interval (a 95% CI across seeds) drawn as a whisker, and an
 * optional reference value (the paper's figure, a theoretical value) drawn as a dark tick across
 * the bar, so measured-versus-reference reads at a glance. Bars start at zero.
 */
import { scaleBand } from "d3";
import { categoryXAxis } from "./axes.js";
import { configurableChart, type Accessor, type Chart } from "./chart.js";
import { isPlottable, linearScale, safeExtent, safeTicks } from "./domain.js";
import { Frame, FRAME_DEFAULTS, type FrameSettings } from "./frame.js";
import type { LegendItem } from "./legend.js";
import { INK, REFERENCE, seriesColor } from "./palette.js";
import { yAxis, yGrid } from "./axes.js";
import { element, group } from "./svg.js";
import { axisFormat, axisTitle, tickUnit } from "./units.js";

export interface BarSettings<R> extends FrameSettings {
  group: Accessor<R, string>;
  /** The bar within its group (a series); "" for one bar per group. */
  bar: Accessor<R, string>;
  value: Accessor<R, number>;
  /** Interval ends for the whisker; NaN for none. */
  low: Accessor<R, number>;
  high: Accessor<R, number>;
  /** The reference value; NaN for none. */
  reference: Accessor<R, number>;
  referenceLabel: string;
}

type Row = Record<string, unknown>;

interface Bar {
  group: string;
  bar: string;
  value: number;
  low: number;
  high: number;
  reference: number;
}

export function barChart<R = Row>(): Chart<R, BarSettings<R>> {
  const defaults: BarSettings<R> = {
    ...FRAME_DEFAULTS,
    group: (r) => String((r as Row).group),
    bar: () => "",
    value: (r) => Number((r as Row).value),
    low: () => Number.NaN,
    high: () => Number.NaN,
    reference: () => Number.NaN,
    referenceLabel: "reference",
  };
  return configurableChart(defaults, render);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function render<R>(rows: readonly R[], s: Readonly<BarSettings<R>>): string {
  const bars: Bar[] = rows
    .map((r, i) => ({
      group: String(s.group(r, i)),
      bar: String(s.bar(r, i)),
      value: s.value(r, i),
      low: s.low(r, i),
      high: s.high(r, i),
      reference: s.reference(r, i),
    }))
    .filter((b) => isPlottable(b.value));
  const groups = unique(bars.map((b) => b.group));
  const keys = unique(bars.map((b) => b.bar));
  const frame = new Frame(s, barLegend(bars, keys, s.referenceLabel));
  const yCount = Math.max(2, Math.floor(frame.plotHeightPx / 45));
  const yExtent = safeExtent(
    bars.flatMap((b) => [b.value, b.low, b.high, b.reference]),
    { includeZero: true },
  );
  const yUnit = tickUnit(s.yUnit, yExtent);
  const y = linearScale(yExtent, frame.plotHeightPx, 0, yCount, yUnit);
  const yTicks = safeTicks(y, yCount, yUnit);
  const yFormat = axisFormat(s.yUnit, yTicks);
  const plotWidthPx = frame.placeYLabels(yTicks.map(yFormat.format));
  const x0 = scaleBand<string>()
    .domain(groups)
    .range([0, plotWidthPx])
    .paddingInner(0.2)
    .paddingOuter(0.1);
  const x1 = scaleBand<string>().domain(keys).range([0, x0.bandwidth()]).padding(0.05);
  const data = bars
    .map((b) =>
      barMarks(
        b,
        (x0(b.group) ?? 0) + (x1(b.bar) ?? 0),
        x1.bandwidth(),
        y,
        seriesColor(b.bar, keys.indexOf(b.bar)),
      ),
    )
    .join("");
  const yIn = {
    position: y,
    ticks: yTicks,
    format: yFormat.format,
    title: axisTitle(s.yLabel, yFormat.titleUnit),
  };
  const categories = groups.map((g) => ({
    label: g,
    centerPx: (x0(g) ?? 0) + x0.bandwidth() / 2,
    widthPx: x0.step(),
  }));
  return frame.render({
    grid: yGrid(yIn, plotWidthPx),
    data,
    overlay: "",
    xAxis: categoryXAxis(
      { categories, title: axisTitle(s.xLabel, s.xUnit) },
      plotWidthPx,
      frame.plotHeightPx,
    ),
    yAxis: yAxis(yIn, frame.plotHeightPx, frame.yTitleOffsetPx),
  });
}

function barLegend(
  bars: readonly Bar[],
  keys: readonly string[],
  referenceLabel: string,
): LegendItem[] {
  const named = keys.length > 1 || (keys[0] ?? "") !== "";
  const legend: LegendItem[] = named
    ? keys.map((k, i) => ({ label: k, color: seriesColor(k, i), shape: "swatch" }))
    : [];
  if (bars.some((b) => isPlottable(b.reference)))
    legend.push({ label: referenceLabel, color: REFERENCE, shape: "line" });
  return legend;
}

/** One bar from zero to its value, its error bar, and a tick at its reference value. */
function barMarks(
  b: Bar,
  leftPx: number,
  widthPx: number,
  y: (value: number) => number,
  color: string,
): string {
  const zeroPx = y(0);
  const top = y(b.value);
  let data = element("rect", {
    class: "bar",
    x: leftPx,
    y: Math.min(top, zeroPx),
    width: widthPx,
    height: Math.abs(zeroPx - top),
    fill: color,
  });
  if (isPlottable(b.low) && isPlottable(b.high))
    data += whisker(leftPx + widthPx / 2, y(b.low), y(b.high), Math.min(8, widthPx / 2));
  if (isPlottable(b.reference)) {
    const r = y(b.reference);
    data += element("line", {
      class: "reference",
      x1: leftPx - 2,
      x2: leftPx + widthPx + 2,
      y1: r,
      y2: r,
      stroke: REFERENCE,
      "stroke-width": 2.5,
    });
  }
  return data;
}

function whisker(xPx: number, lowPx: number, highPx: number, capPx: number): string {
  return group(
    "error-bar",
    element("line", { x1: xPx, x2: xPx, y1: lowPx, y2: highPx, stroke: INK, "stroke-width": 1.2 }) +
      element("line", {
        x1: xPx - capPx,
        x2: xPx + capPx,
        y1: lowPx,
        y2: lowPx,
        stroke: INK,
        "stroke-width": 1.2,
      }) +
      element("line", {
        x1: xPx - capPx,
        x2: xPx + capPx,
        y1: highPx,
        y2: highPx,
        stroke: INK,
        "stroke-width": 1.2,
      }),
  );
}
