/**
 * Chart factories on fixed rows give stable SVG: each is compared byte for byte with a committed
 * golden file (like SimPy's committed example outputs), and edge cases (no rows, one point, a zero
 * span, huge values) still give well-formed SVG. A missing golden file fails the test, so a deleted
 * golden never passes silently. After an intended change (or to add a golden), regenerate with
 * `RAYSIM_UPDATE_GOLDEN=1 node --import ./register.mjs --test test/plots/charts.test.ts` and look at
 * the SVGs before committing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { bandChart } from "../../plots/band-chart.js";
import { barChart } from "../../plots/bar-chart.js";
import { cdfChart } from "../../plots/cdf-chart.js";
import { pointsChart } from "../../plots/points-chart.js";
import { throughputTimeline } from "../../plots/throughput-timeline.js";
import { bandRows, faults, latencyRows, throughputRows } from "./fixtures.js";
import { svgProblems } from "./svg-check.js";

type Row = Record<string, unknown>;
const num = (key: string) => (r: Row) => Number(r[key]);
const str = (key: string) => (r: Row) => {
  const value = r[key] ?? "";
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
    return String(value);
  // An object would label its series "[object Object]".
  throw new TypeError(`fixture column ${key} holds a ${typeof value}`);
};

function golden(name: string, svg: string): void {
  const path = new URL(`./golden/${name}.svg`, import.meta.url);
  assert.deepEqual(svgProblems(svg), []);
  if (process.env.RAYSIM_UPDATE_GOLDEN === "1") writeFileSync(path, svg);
  assert.ok(
    existsSync(path),
    `golden file ${name}.svg is missing; create it with RAYSIM_UPDATE_GOLDEN=1`,
  );
  assert.equal(
    svg,
    readFileSync(path, "utf8"),
    `${name}.svg differs from its golden file; if intended, rerun with RAYSIM_UPDATE_GOLDEN=1`,
  );
}

const charts = {
  throughput: () =>
    throughputTimeline<Row>().title("Throughput by cause").bucketMs(500).faults(faults),
  points: () =>
    pointsChart<Row>()
      .title("Task latency over time")
      .x(num("endMs"))
      .y(num("latencyMs"))
      .series(str("cause"))
      .yLabel("task latency")
      .yUnit("ms")
      .references([{ value: 25, label: "median 25 ms" }])
      .faults(faults),
  cdf: () =>
    cdfChart<Row>()
      .title("Task latency distribution")
      .value(num("latencyMs"))
      .series(str("cause"))
      .xLabel("task latency")
      .xUnit("ms")
      .xLog(true)
      .references([
        {
          label: "model",
          points: [10, 20, 30, 50, 100, 1000].map((x, i) => ({ x, p: (i + 1) / 6 })),
        },
      ]),
  band: () =>
    bandChart<Row>()
      .title("Mean wait against utilisation")
      .x(num("utilisation"))
      .xLabel("utilisation")
      .xUnit("fraction")
      .yLabel("mean wait")
      .yUnit("ms")
      .series(str("series"))
      .reference(num("reference"))
      .referenceLabel("Erlang C"),
  bars: () =>
    barChart<Row>()
      .title("Mean wait by utilisation")
      .group((r) => `${Number(r.utilisation) * 100}%`)
      .bar(str("series"))
      .value(num("mean"))
      .low(num("ci95Low"))
      .high(num("ci95High"))
      .reference(num("reference"))
      .referenceLabel("Erlang C")
      .xLabel("utilisation")
      .yLabel("mean wait")
      .yUnit("ms"),
};

test("throughputTimeline() stacks causes and labels faults (golden)", () =>
  golden("throughput-timeline", charts.throughput()(throughputRows)));
test("pointsChart() draws series, a reference line and faults (golden)", () =>
  golden("points", charts.points()(latencyRows)));
test("cdfChart() draws step CDFs on a log axis with a reference curve (golden)", () =>
  golden("cdf", charts.cdf()(latencyRows)));
test("bandChart() draws means, 95% bands and dashed references (golden)", () =>
  golden("band", charts.band()(bandRows)));
test("barChart() draws grouped bars, error bars and reference ticks (golden)", () =>
  golden("bars", charts.bars()(bandRows)));

test("a chart function gives the same bytes for the same rows every time", () => {
  for (const make of Object.values(charts)) {
    const rows = [...throughputRows, ...latencyRows, ...bandRows] as Row[];
    assert.equal(make()(rows), make()(rows));
  }
});

const edgeCases: [string, Row[]][] = [
  ["no rows", []],
  [
    "one row",
    [
      {
        tMs: 5,
        endMs: 5,
        latencyMs: 7,
        original: 3,
        utilisation: 0.5,
        mean: 2,
        ci95Low: 1,
        ci95High: 3,
        series: "a",
        cause: "original",
      },
    ],
  ],
  [
    "a zero span",
    Array.from({ length: 5 }, () => ({
      tMs: 100,
      endMs: 100,
      latencyMs: 42,
      original: 0,
      utilisation: 0.5,
      mean: 0,
      ci95Low: 0,
      ci95High: 0,
    })),
  ],
  [
    "huge values",
    [
      {
        tMs: 0,
        endMs: -1e300,
        latencyMs: 1e300,
        original: 1e300,
        utilisation: 1e300,
        mean: 1e300,
        ci95Low: -1e300,
        ci95High: 1e300,
      },
      { tMs: 1e300, endMs: 1e300, latencyMs: 5e-324, original: 1 },
    ],
  ],
  [
    "non-numbers",
    [
      {
        tMs: Number.NaN,
        endMs: Number.POSITIVE_INFINITY,
        latencyMs: "x",
        original: null,
        utilisation: undefined,
        mean: Number.NEGATIVE_INFINITY,
      },
    ],
  ],
];

for (const [what, rows] of edgeCases) {
  test(`every chart survives ${what} with well-formed SVG`, () => {
    for (const [name, make] of Object.entries(charts))
      assert.deepEqual(svgProblems(make()(rows)), [], `${name} on ${what}`);
  });
}

test("a time axis over minutes ticks on whole minutes", () => {
  const rows = Array.from({ length: 50 }, (_, i) => ({ endMs: i * 7000, latencyMs: 5 }));
  const svg = charts.points()(rows);
  assert.match(svg, />5 min</);
  assert.doesNotMatch(svg, /\d\.\d min/);
});
