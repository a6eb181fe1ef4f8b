/**
 * The layout every chart shares: a title, the legend under it, then the plot area with a y axis on
 * the left and an x axis below. The order of decisions matters: the legend's rows fix the top
 * margin, the plot height fixes the y ticks, the y tick labels fix the left margin, and only then
 * is the plot width (and so the x scale) known.
 */
import { legend, legendHeightPx, type LegendItem } from "./legend.js";
import { INK } from "./palette.js";
import { group, svgDocument, text, textWidthPx, translate } from "./svg.js";

/** Settings every chart has. */
export interface FrameSettings {
  widthPx: number;
  heightPx: number;
  title: string;
  xLabel: string;
  xUnit: string;
  yLabel: string;
  yUnit: string;
}

export const FRAME_DEFAULTS: FrameSettings = {
  widthPx: 640,
  heightPx: 360,
  title: "",
  xLabel: "",
  xUnit: "",
  yLabel: "",
  yUnit: "",
};

const PAD_PX = 12;
const TITLE_PX = 28;
const BOTTOM_PX = 46;
const RIGHT_PX = 18;
const TICK_FONT_PX = 11;
const PLOT_MIN_PX = 40;

export interface Parts {
  /** Behind the data: grid lines. */
  grid: string;
  data: string;
  /** Above the data: fault markers, reference lines. */
  overlay: string;
  xAxis: string;
  yAxis: string;
}

export class Frame {
  readonly top: number;
  readonly plotHeightPx: number;
  left = PAD_PX;
  plotWidthPx = 0;

  /** `bandPx`: room above the plot for annotations (fault labels) that must not cover data. */
  constructor(
    readonly settings: FrameSettings,
    readonly legendItems: readonly LegendItem[],
    bandPx = 0,
  ) {
    const widthPx = Math.max(settings.widthPx, 160);
    const legendPx = legendHeightPx(legendItems, widthPx - 2 * PAD_PX);
    this.top =
      (settings.title === "" ? PAD_PX : TITLE_PX) + legendPx + (legendPx > 0 ? 8 : 4) + bandPx;
    this.plotHeightPx = Math.max(
      PLOT_MIN_PX,
      Math.max(settings.heightPx, 120) - this.top - BOTTOM_PX,
    );
  }

  get widthPx(): number {
    return Math.max(this.settings.widthPx, 160);
  }

  get heightPx(): number {
    return this.top + this.plotHeightPx + BOTTOM_PX;
  }

  /** Fixes the left margin from the widest y tick label; returns the plot width. */
  placeYLabels(labels: readonly string[]): number {
    const widest = labels.reduce((m, l) => Math.max(m, textWidthPx(l, TICK_FONT_PX)), 0);
    this.left = PAD_PX + 16 + widest + 10;
    this.plotWidthPx = Math.max(PLOT_MIN_PX, this.widthPx - this.left - RIGHT_PX);
    return this.plotWidthPx;
  }

  /** Where the rotated y title sits, left of the plot area. */
  get yTitleOffsetPx(): number {
    return this.left - PAD_PX - 6;
  }

  render(parts: Parts): string {
    const title =
      this.settings.title === ""
        ? ""
        : text(
            {
              class: "chart-title",
              x: PAD_PX,
              y: 18,
              "font-size": 13,
              "font-weight": "bold",
              fill: INK,
            },
            this.settings.title,
          );
    const legendY = (this.settings.title === "" ? PAD_PX : TITLE_PX) + 8;
    const plot = group(
      "plot",
      parts.grid + group("data", parts.data) + parts.overlay + parts.xAxis + parts.yAxis,
      translate(this.left, this.top),
    );
    return svgDocument(
      this.widthPx,
      this.heightPx,
      this.settings.title || "chart",
      title + legend(this.legendItems, this.widthPx - 2 * PAD_PX, PAD_PX, legendY) + plot,
    );
  }
}
