/**
 * Colours. Task causes keep one colour each across every chart, so a reader learns them once:
 * original work is a calm blue, each kind of recovery work a warmer colour, and checkpoints (the
 * overhead that shortens recovery) green. Series without a
 * fixed colour take Tableau 10 in order (readable in print and for common colour-vision deficits).
 */
export const CAUSE_COLORS: Readonly<Record<string, string>> = {
  original: "#4e79a7",
  retry: "#f28e2b",
  reconstruction: "#e15759",
  replay: "#b07aa1",
  checkpoint: "#59a14f",
};

export const SERIES_COLORS: readonly string[] = [
  "#4e79a7",
  "#f28e2b",
  "#59a14f",
  "#e15759",
  "#b07aa1",
  "#76b7b2",
  "#edc948",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];

export const INK = "#222222";
export const GRID = "#e6e6e6";
export const FAULT = "#c0392b";
export const REFERENCE = "#333333";

/** The colour of the i-th series, or of a cause when the series is named after one. */
export function seriesColor(name: string, index: number): string {
  return CAUSE_COLORS[name] ?? SERIES_COLORS[index % SERIES_COLORS.length]!;
}
