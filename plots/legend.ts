/**
 * The legend: one row of items under the title, wrapping onto more rows when the chart is narrow.
 * The glyph shows how the series is drawn (a filled swatch for areas and bars, a line, a dashed
 * line for reference values, a dot for points), so a reader can match it without colour alone.
 */
import { INK } from "./palette.js";
import { element, group, text, textWidthPx, translate } from "./svg.js";

export type LegendShape = "swatch" | "line" | "dashed" | "dot" | "marker";

export interface LegendItem {
  label: string;
  color: string;
  shape: LegendShape;
}

const ROW_PX = 16;
const GLYPH_PX = 14;
const GAP_PX = 14;
const FONT_PX = 11;

interface Placed {
  item: LegendItem;
  x: number;
  row: number;
}

function place(items: readonly LegendItem[], widthPx: number): Placed[] {
  const placed: Placed[] = [];
  let x = 0;
  let row = 0;
  for (const item of items) {
    const w = GLYPH_PX + 4 + textWidthPx(item.label, FONT_PX);
    if (x > 0 && x + w > widthPx) {
      row++;
      x = 0;
    }
    placed.push({ item, x, row });
    x += w + GAP_PX;
  }
  return placed;
}

export function legendHeightPx(items: readonly LegendItem[], widthPx: number): number {
  if (items.length === 0) return 0;
  const placed = place(items, widthPx);
  return (placed[placed.length - 1]!.row + 1) * ROW_PX;
}

function glyph(item: LegendItem): string {
  const mid = -4;
  switch (item.shape) {
    case "swatch":
      return element("rect", { x: 0, y: mid - 5, width: GLYPH_PX, height: 10, fill: item.color });
    case "line":
      return element("line", {
        x1: 0,
        x2: GLYPH_PX,
        y1: mid,
        y2: mid,
        stroke: item.color,
        "stroke-width": 2,
      });
    case "dashed":
      return element("line", {
        x1: 0,
        x2: GLYPH_PX,
        y1: mid,
        y2: mid,
        stroke: item.color,
        "stroke-width": 2,
        "stroke-dasharray": "4 2",
      });
    case "dot":
      return element("circle", { cx: GLYPH_PX / 2, cy: mid, r: 3, fill: item.color });
    case "marker":
      return element("line", {
        x1: GLYPH_PX / 2,
        x2: GLYPH_PX / 2,
        y1: mid - 6,
        y2: mid + 5,
        stroke: item.color,
        "stroke-width": 1.5,
        "stroke-dasharray": "3 2",
      });
  }
}

/** The legend at (x, y) = the left end of its first row's baseline. */
export function legend(
  items: readonly LegendItem[],
  widthPx: number,
  x: number,
  y: number,
): string {
  if (items.length === 0) return "";
  let out = "";
  for (const p of place(items, widthPx)) {
    out += group(
      "legend-item",
      glyph(p.item) + text({ x: GLYPH_PX + 4, y: 0, fill: INK }, p.item.label),
      translate(p.x, p.row * ROW_PX),
    );
  }
  return group("legend", out, translate(x, y));
}
