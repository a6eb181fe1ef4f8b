/**
 * renderReport(): one self-contained page (no script, nothing fetched), each entry with its
 * description, parameters, inline charts and headline figures beside references with the
 * difference. Method: a hand-made entry, checked as text.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderReport, type ReportEntry } from "../../plots/report.js";
import { pointsChart } from "../../plots/points-chart.js";

const svg = pointsChart<{ tMs: number; value: number }>().title("A & B")([{ tMs: 1, value: 2 }]);

const entry: ReportEntry = {
  anchor: "demo/quick-s1",
  kind: "run",
  scenario: "demo",
  title: "Demo <scenario>",
  description: "Runs `width` tasks; see Moritz et al. 2018.",
  id: "quick-s1",
  facts: [["seed", "1"]],
  params: [["width", "48"]],
  headlines: [
    {
      label: "mean wait",
      unit: "ms",
      value: 9.05,
      reference: 7.455,
      source: "Erlang C",
      absolute: 1.595,
      relative: 0.2139,
    },
    {
      label: "P(wait)",
      unit: "fraction",
      value: 0.615,
      reference: 0.5964,
      source: "Erlang C",
      absolute: 0.0186,
      relative: 0.0311,
    },
    { label: "jobs", unit: "jobs", value: 18000 },
  ],
  charts: [{ title: "A & B", svg }],
  files: [{ label: "jobs.csv", href: "demo/quick-s1/jobs.csv" }],
};

test("renderReport() inlines charts and loads nothing from anywhere", () => {
  const html = renderReport({ title: "raysim results", subtitle: "test", entries: [entry] });
  assert.ok(html.startsWith("<!DOCTYPE html>"));
  assert.ok(html.includes(svg.trimEnd()), "the SVG is inlined as is");
  assert.doesNotMatch(html, /<script|<img|<iframe|@import|url\(|src=/);
  assert.doesNotMatch(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', ""), /https?:\/\//);
  assert.match(html, /<a href="#demo\/quick-s1">Demo &lt;scenario&gt;<\/a>/);
  assert.match(html, /Runs <code>width<\/code> tasks/);
});

test("renderReport() sets each headline beside its reference with the difference", () => {
  const html = renderReport({ title: "r", subtitle: "s", entries: [entry] });
  assert.match(
    html,
    /<td>mean wait<\/td><td class="num">9.05 ms<\/td><td class="num">7.46 ms<\/td><td class="num">\+1.59 ms \(\+21.4%\)<\/td>/,
  );
  assert.match(html, /<td class="num">\+1.86 pp \(\+3.1%\)<\/td>/);
  assert.match(
    html,
    /<td>jobs<\/td><td class="num">18k jobs<\/td><td class="num">—<\/td><td class="num">—<\/td>/,
  );
});

test("renderReport() with no entries says how to make some", () => {
  assert.match(
    renderReport({ title: "r", subtitle: "s", entries: [] }),
    /No results yet: run <code>npm start<\/code>/,
  );
});
