/**
 * Writing one run's folder: a CSV per table (streamed through csv-stringify, so big tables do not
 * build one giant string), an SVG per plot, optional PNGs, and summary.json. Files are written in
 * a fixed order and hold nothing from the clock except summary.json's `timing`, so the same seed
 * gives byte-identical CSVs and SVGs.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderPlot, type PlotSpec, type Row } from "../../plots/plot-spec.js";
import { writeCsv } from "../../sim/csv.js";
import { codeVersion } from "./code-version.js";
import type { RunOutput } from "../runner/run-scenario.js";
import type { Scenario, Table } from "../scenario.js";
import {
  referenceDifference,
  toJson,
  type PlotSummary,
  type RunSummary,
  type TableSummary,
} from "./summary.js";

export interface WriteOptions {
  /** Also rasterise every SVG to PNG (needs the optional @resvg/resvg-js). */
  png?: boolean;
}

/** Writes the tables as CSV, in the order given. */
export async function writeTables(
  dir: string,
  tables: Readonly<Record<string, Table>>,
): Promise<TableSummary[]> {
  const summaries: TableSummary[] = [];
  for (const [name, t] of Object.entries(tables)) {
    const file = `${name}.csv`;
    await writeCsv(join(dir, file), t.rows, t.columns);
    summaries.push({ name, file, rows: t.rows.length, columns: t.columns });
  }
  return summaries;
}

/** Renders and writes every plot as SVG (and PNG when asked). */
export async function writePlots(
  dir: string,
  plots: readonly PlotSpec[],
  tables: Readonly<Record<string, Table>>,
  options: WriteOptions,
): Promise<PlotSummary[]> {
  const lookup = (name: string): readonly Row[] => {
    const t = tables[name];
    if (t === undefined)
      throw new Error(
        `plot refers to table '${name}', which the run did not return (has: ${Object.keys(tables).join(", ")})`,
      );
    return t.rows;
  };
  const summaries: PlotSummary[] = [];
  for (const spec of plots) {
    const svg = renderPlot(spec, lookup);
    const file = `${spec.name}.svg`;
    writeFileSync(join(dir, file), svg);
    if (options.png === true) {
      const { svgToPng } = await import("../../plots/png.js");
      writeFileSync(join(dir, `${spec.name}.png`), await svgToPng(svg));
    }
    summaries.push({ name: spec.name, title: spec.title, file, spec });
  }
  return summaries;
}

export async function writeRunFiles(
  dir: string,
  scenario: Scenario,
  output: RunOutput,
  options: WriteOptions = {},
): Promise<RunSummary> {
  mkdirSync(dir, { recursive: true });
  const { request, result } = output;
  const tables = await writeTables(dir, result.tables);
  const plots = await writePlots(dir, result.plots, result.tables, options);
  const summary: RunSummary = {
    kind: "run",
    scenario: scenario.name,
    title: scenario.title,
    description: scenario.description,
    runId: output.runId,
    size: request.size,
    seed: request.seed,
    params: request.params,
    codeVersion: codeVersion(),
    headlines: result.headlines.map((h) => {
      const d = referenceDifference(h.value, h.reference);
      return d === undefined ? h : { ...h, difference: d };
    }),
    tables,
    plots,
    timing: { wallMs: Math.round(output.wallMs), finishedAt: new Date().toISOString() },
  };
  writeFileSync(join(dir, "summary.json"), toJson(summary));
  return summary;
}
