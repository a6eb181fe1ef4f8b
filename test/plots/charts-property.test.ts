/**
 * Property: every chart gives well-formed SVG without NaN, for any rows: empty tables, one point,
 * repeated values (zero spans), sub-normal and huge magnitudes, NaN and infinities, missing fields.
 * Method: fast-check draws tables of such rows and every chart renders them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { renderPlot, type PlotSpec, type Row } from "../../plots/plot-spec.js";
import { checkProperty, PROPERTY_TIMEOUT_MS } from "../support/property.js";
import { svgProblems } from "./svg-check.js";

const FILE = "test/plots/charts-property.test.ts";

const value = fc.oneof(
  fc.double({ noNaN: false }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom(
    0,
    -0,
    5e-324,
    1e-200,
    1e300,
    -1e300,
    1.7976931348623157e308,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  ),
  fc.constant(undefined),
);
const label = fc.constantFrom(
  "original",
  "retry",
  "reconstruction",
  "replay",
  "a",
  "b & <c>",
  "",
  "servers=4, utilisation=0.9",
);

const row = fc.record({
  t: value,
  y: value,
  low: value,
  high: value,
  ref: value,
  original: value,
  retry: value,
  replay: value,
  s: label,
  g: label,
});
const rows: fc.Arbitrary<Row[]> = fc.oneof(
  fc.constant([] as Row[]),
  fc.array(row, { maxLength: 1 }),
  fc.array(row, { maxLength: 40 }),
  fc.array(
    row.map((r) => ({ ...r, t: 3, y: 3 })),
    { maxLength: 5 },
  ),
);

const axis = (column: string) => ({ column, label: column, unit: "ms" });
const specs: PlotSpec[] = [
  {
    kind: "throughput",
    name: "a",
    title: "t",
    table: "rows",
    xColumn: "t",
    bucketMs: 100,
    faults: { table: "rows", tMsColumn: "y", labelColumn: "s" },
  },
  { kind: "throughput", name: "a0", title: "t", table: "rows", xColumn: "t", bucketMs: 0 },
  {
    kind: "points",
    name: "b",
    title: "p",
    table: "rows",
    x: axis("t"),
    y: { column: "y", label: "y", unit: "bytes" },
    series: "s",
    references: [{ value: 1, label: "r" }],
    faults: { table: "rows", tMsColumn: "t", labelColumn: "g" },
  },
  {
    kind: "cdf",
    name: "c",
    title: "c",
    table: "rows",
    value: axis("y"),
    series: "s",
    references: [{ label: "ref", table: "rows", xColumn: "t", pColumn: "low" }],
  },
  { kind: "cdf", name: "c2", title: "c", table: "rows", value: axis("y"), xLog: true },
  {
    kind: "band",
    name: "d",
    title: "d",
    table: "rows",
    x: { column: "t", label: "x", unit: "fraction" },
    y: axis("y"),
    lowColumn: "low",
    highColumn: "high",
    series: "s",
    referenceColumn: "ref",
  },
  {
    kind: "bars",
    name: "e",
    title: "e",
    table: "rows",
    group: { column: "g", label: "g" },
    bar: "s",
    value: { column: "y", label: "y", unit: "jobs" },
    lowColumn: "low",
    highColumn: "high",
    referenceColumn: "ref",
  },
];

test(
  "every chart renders any rows as well-formed SVG without NaN",
  { timeout: PROPERTY_TIMEOUT_MS },
  async () => {
    await checkProperty(
      fc.property(
        rows,
        fc.integer({ min: 0, max: specs.length - 1 }),
        fc.integer({ min: 0, max: 1000 }),
        (table: Row[], which, widthPx) => {
          const spec = { ...specs[which]!, widthPx, heightPx: widthPx / 2 };
          const svg = renderPlot(spec, () => table);
          assert.deepEqual(svgProblems(svg), [], `${spec.kind}: ${svgProblems(svg).join("; ")}`);
        },
      ),
      { file: FILE, numRuns: 300 },
    );
  },
);
