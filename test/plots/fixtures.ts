/**
 * Fixed rows for the chart tests: small, hand-made, covering every feature a chart draws (stacked
 * causes with fault markers, series, references, confidence bands, error bars).
 */
export const throughputRows = Array.from({ length: 20 }, (_, i) => ({
  tMs: i * 500,
  original: i >= 8 && i < 10 ? 40 : 300 + (i % 4) * 20,
  retry: i >= 10 && i < 12 ? 120 : 0,
  reconstruction: i >= 11 && i < 13 ? 60 : 0,
  replay: i === 12 ? 30 : 0,
}));

export const faults = [
  { tMs: 4000, label: "kill w2" },
  { tMs: 5000, label: "w2 declared dead" },
  { tMs: 7000, label: "restart w2" },
];

export const latencyRows = Array.from({ length: 60 }, (_, i) => ({
  endMs: i * 150,
  latencyMs: 20 + ((i * 37) % 23) + (i >= 30 && i < 34 ? 900 : 0),
  cause: i >= 30 && i < 34 ? "retry" : "original",
}));

export const bandRows = [0.5, 0.7, 0.9].flatMap((u) =>
  [1, 4].map((c) => {
    const mean = (u / (1 - u)) * (c === 1 ? 10 : 3);
    return {
      utilisation: u,
      series: `servers=${c}`,
      mean,
      ci95Low: mean * 0.9,
      ci95High: mean * 1.12,
      reference: mean * 1.02,
    };
  }),
);
