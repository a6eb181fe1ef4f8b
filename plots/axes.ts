/**
 * Axes drawn by hand (no d3-selection/d3-axis, which need a DOM): a domain line, ticks with labels
 * and a title, plus light grid lines behind the data. Each axis is a `<g class="axis axis-x">` or
 * `axis-y`, which the report check counts to confirm every chart has both.
 */
import { GRID, INK } from "./palette.js";
import { element, group, text, translate } from "./svg.js";

export interface AxisInput {
  /** Maps a domain value to a pixel offset along the axis. */
  position(value: number): number;
  ticks: readonly number[];
  format(value: number): string;
  title: string;
}

export interface CategoryAxisInput {
  /** Category labels and the centre of each, in px. */
  categories: readonly { label: string; centerPx: number; widthPx: number }[];
  title: string;
}

const TICK_PX = 5;

export function xAxis(input: AxisInput, plotWidthPx: number, plotHeightPx: number): string {
  let ticks = "";
  for (const t of input.ticks) {
    const x = input.position(t);
    ticks += group(
      "tick",
      element("line", { y2: TICK_PX, stroke: INK }) +
        text({ y: TICK_PX + 11, "text-anchor": "middle", fill: INK }, input.format(t)),
      translate(x, 0),
    );
  }
  const domain = element("line", { x1: 0, x2: plotWidthPx, stroke: INK });
  const title = text(
    { class: "axis-title", x: plotWidthPx / 2, y: 36, "text-anchor": "middle", fill: INK },
    input.title,
  );
  return group("axis axis-x", domain + ticks + title, translate(0, plotHeightPx));
}

export function yAxis(input: AxisInput, plotHeightPx: number, titleOffsetPx: number): string {
  let ticks = "";
  for (const t of input.ticks) {
    const y = input.position(t);
    ticks += group(
      "tick",
      element("line", { x2: -TICK_PX, stroke: INK }) +
        text({ x: -TICK_PX - 3, dy: "0.32em", "text-anchor": "end", fill: INK }, input.format(t)),
      translate(0, y),
    );
  }
  const domain = element("line", { y1: 0, y2: plotHeightPx, stroke: INK });
  const title = text(
    {
      class: "axis-title",
      transform: `translate(${-titleOffsetPx},${plotHeightPx / 2}) rotate(-90)`,
      "text-anchor": "middle",
      fill: INK,
    },
    input.title,
  );
  return group("axis axis-y", domain + ticks + title);
}

/** Horizontal grid lines at the y ticks (behind the data). */
export function yGrid(input: AxisInput, plotWidthPx: number): string {
  let lines = "";
  for (const t of input.ticks) {
    const y = input.position(t);
    lines += element("line", { x1: 0, x2: plotWidthPx, y1: y, y2: y, stroke: GRID });
  }
  return group("grid", lines);
}

/** An x axis of named categories (bar groups); long labels are cut to their slot's width. */
export function categoryXAxis(
  input: CategoryAxisInput,
  plotWidthPx: number,
  plotHeightPx: number,
): string {
  let ticks = "";
  for (const c of input.categories) {
    const label = fitLabel(c.label, c.widthPx);
    ticks += group(
      "tick",
      element("line", { y2: TICK_PX, stroke: INK }) +
        text({ y: TICK_PX + 11, "text-anchor": "middle", fill: INK }, label),
      translate(c.centerPx, 0),
    );
  }
  const domain = element("line", { x1: 0, x2: plotWidthPx, stroke: INK });
  const title = text(
    { class: "axis-title", x: plotWidthPx / 2, y: 36, "text-anchor": "middle", fill: INK },
    input.title,
  );
  return group("axis axis-x", domain + ticks + title, translate(0, plotHeightPx));
}

function fitLabel(label: string, widthPx: number): string {
  const maxChars = Math.max(3, Math.floor(widthPx / 6.6));
  return label.length <= maxChars ? label : label.slice(0, maxChars - 1) + "…";
}
