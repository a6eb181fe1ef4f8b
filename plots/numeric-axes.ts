/**
 * The two numeric axes of a chart, decided in the order the frame needs (y first, since its tick
 * labels set the left margin and so the width left for x). Also the faults' filter: a marker is
 * drawn only where its time is plottable.
 */
import type { ScaleContinuousNumeric } from "d3";
import { xAxis, yAxis, yGrid, type AxisInput } from "./axes.js";
import { linearScale, logScale, safeTicks } from "./domain.js";
import type { Frame } from "./frame.js";
import { axisFormat, axisTitle, tickUnit } from "./units.js";

export interface NumericAxes {
  x: ScaleContinuousNumeric<number, number>;
  y: ScaleContinuousNumeric<number, number>;
  plotWidthPx: number;
  grid: string;
  xAxis: string;
  yAxis: string;
}

export interface NumericAxesOptions {
  xExtent: [number, number];
  yExtent: [number, number];
  /** Log x axis (the caller has dropped values <= 0 and gives a positive extent). */
  xLog?: boolean;
}

const X_TICK_SPACING_PX = 90;
const Y_TICK_SPACING_PX = 45;

export function numericAxes(frame: Frame, options: NumericAxesOptions): NumericAxes {
  const s = frame.settings;
  const yCount = Math.max(2, Math.floor(frame.plotHeightPx / Y_TICK_SPACING_PX));
  const yUnit = tickUnit(s.yUnit, options.yExtent);
  const y = linearScale(options.yExtent, frame.plotHeightPx, 0, yCount, yUnit);
  const yTicks = safeTicks(y, yCount, yUnit);
  const yFormat = axisFormat(s.yUnit, yTicks);
  const plotWidthPx = frame.placeYLabels(yTicks.map(yFormat.format));
  const xCount = Math.max(2, Math.floor(plotWidthPx / X_TICK_SPACING_PX));
  const xUnit = tickUnit(s.xUnit, options.xExtent);
  const x =
    options.xLog === true
      ? logScale(options.xExtent, 0, plotWidthPx)
      : linearScale(options.xExtent, 0, plotWidthPx, xCount, xUnit);
  const xTicks = options.xLog === true ? decades(x) : safeTicks(x, xCount, xUnit);
  const xFormat = axisFormat(s.xUnit, xTicks, options.xLog === true);
  const yIn: AxisInput = {
    position: y,
    ticks: yTicks,
    format: yFormat.format,
    title: axisTitle(s.yLabel, yFormat.titleUnit),
  };
  const xIn: AxisInput = {
    position: x,
    ticks: xTicks,
    format: xFormat.format,
    title: axisTitle(s.xLabel, xFormat.titleUnit),
  };
  return {
    x,
    y,
    plotWidthPx,
    grid: yGrid(yIn, plotWidthPx),
    xAxis: xAxis(xIn, plotWidthPx, frame.plotHeightPx),
    yAxis: yAxis(yIn, frame.plotHeightPx, frame.yTitleOffsetPx),
  };
}

/** Log ticks at whole powers of ten only (at most ~8), so labels never crowd. */
function decades(scale: ScaleContinuousNumeric<number, number>): number[] {
  const [lo, hi] = scale.domain() as [number, number];
  const first = Math.ceil(Math.log10(lo) - 1e-9);
  const last = Math.floor(Math.log10(hi) + 1e-9);
  const step = Math.max(1, Math.ceil((last - first + 1) / 8));
  const ticks: number[] = [];
  for (let e = first; e <= last; e += step) ticks.push(Number(`1e${e}`));
  return ticks.length > 0 ? ticks : [lo, hi];
}
