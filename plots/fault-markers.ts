/**
 * Fault markers: a dashed vertical line at each fault's time, labelled in a band reserved above the
 * plot ("kill w2", "w2 declared dead"), so labels never hide data. Labels that would collide move
 * down a row (up to three rows) and flip to the left of their line near the right edge; a line
 * starts below its own label, so it does not cross the labels of the rows above.
 */
import { FAULT } from "./palette.js";
import { element, group, text, textWidthPx } from "./svg.js";

export interface FaultMarker {
  tMs: number;
  label: string;
}

const ROWS_MAX = 3;
const ROW_PX = 12;
const FONT_PX = 10;

interface Placed {
  fault: FaultMarker;
  x: number;
  row: number;
  flip: boolean;
}

/** Greedy rows: each label takes the first row where it clears the previous label. */
function place(
  faults: readonly FaultMarker[],
  position: (tMs: number) => number,
  plotWidthPx: number,
  rowsMax: number,
): Placed[] {
  const sorted = [...faults]
    .filter((f) => Number.isFinite(f.tMs))
    .sort((a, b) => a.tMs - b.tMs || a.label.localeCompare(b.label));
  const rowEnds: number[] = new Array<number>(rowsMax).fill(Number.NEGATIVE_INFINITY);
  return sorted.map((fault, i) => {
    const x = position(fault.tMs);
    const w = textWidthPx(fault.label, FONT_PX);
    const flip = x + 3 + w > plotWidthPx;
    const start = flip ? x - 3 - w : x + 3;
    let row = rowEnds.findIndex((end) => start > end + 4);
    if (row < 0) row = i % rowsMax;
    rowEnds[row] = start + w;
    return { fault, x, row, flip };
  });
}

/**
 * The height of the label band above the plot. The plot's final width and x scale are not known
 * yet when the frame is laid out, so rows are estimated on a linear map of `extentMs` onto the
 * likely plot width; if the real layout needs more, labels share the last rows.
 */
export function faultBandPx(
  faults: readonly FaultMarker[],
  extentMs: [number, number],
  widthPx: number,
): number {
  if (faults.length === 0) return 0;
  const plotWidthPx = Math.max(40, widthPx - 110);
  const spanMs = extentMs[1] - extentMs[0] || 1;
  const placed = place(
    faults,
    (t) => ((t - extentMs[0]) / spanMs) * plotWidthPx,
    plotWidthPx,
    ROWS_MAX,
  );
  const rows = placed.reduce((most, p) => Math.max(most, p.row), 0);
  return (rows + 1) * ROW_PX + 4;
}

export function faultMarkers(
  faults: readonly FaultMarker[],
  position: (tMs: number) => number,
  plotWidthPx: number,
  plotHeightPx: number,
  bandPx: number,
): string {
  if (faults.length === 0) return "";
  const rows = Math.max(1, Math.floor((bandPx - 4) / ROW_PX));
  let out = "";
  for (const { fault: f, x, row, flip } of place(faults, position, plotWidthPx, rows)) {
    const y = -bandPx + 9 + row * ROW_PX;
    out += group(
      "fault",
      element("line", {
        x1: x,
        x2: x,
        y1: y + 3,
        y2: plotHeightPx,
        stroke: FAULT,
        "stroke-width": 1.2,
        "stroke-dasharray": "4 3",
      }) +
        text(
          {
            x: flip ? x - 3 : x + 3,
            y,
            "text-anchor": flip ? "end" : "start",
            "font-size": FONT_PX,
            fill: FAULT,
            stroke: "#ffffff",
            "stroke-width": 3,
            "paint-order": "stroke",
          },
          f.label,
        ),
    );
  }
  return group("faults", out);
}
