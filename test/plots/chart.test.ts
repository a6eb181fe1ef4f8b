/**
 * configurableChart(): the d3-style accessor protocol every chart follows (STYLE.md §12).
 * Method: a tiny chart that prints its settings.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { configurableChart } from "../../plots/chart.js";

type Row = { a: number };

function tiny() {
  const defaults = { widthPx: 640, x: (r: Row, _index: number) => r.a, labels: ["a"] };
  return configurableChart<Row, typeof defaults>(defaults, (rows, s) =>
    rows.map((r, i) => `${s.widthPx}:${s.x(r, i)}:${s.labels.join("")}`).join(","),
  );
}

test("chart.widthPx() returns the default and chart.widthPx(v) sets it and returns the chart", () => {
  const chart = tiny();
  assert.equal(chart.widthPx(), 640);
  assert.equal(chart.widthPx(300), chart);
  assert.equal(chart.widthPx(), 300);
  assert.equal(chart([{ a: 1 }]), "300:1:a");
});

test("chart.x(constant) wraps the constant in an accessor once", () => {
  const chart = tiny().x(7);
  assert.equal(typeof chart.x(), "function");
  assert.equal(chart([{ a: 1 }, { a: 2 }]), "640:7:a,640:7:a");
});

test("chart.labels() returns a copy, so callers cannot change the chart", () => {
  const chart = tiny();
  chart.labels().push("zzz");
  assert.deepEqual(chart.labels(), ["a"]);
});

test("configurableChart() refuses settings that clash with Function properties", () => {
  assert.throws(() => configurableChart({ name: "x" }, () => ""), /clashes with Function.name/);
});
