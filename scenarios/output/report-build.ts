/**
 * Builds results/index.html from what is on disk: every <scenario>/<id>/summary.json (a run) and
 * sweep.json (a sweep) under the results folder, with their SVGs inlined. Rebuilt after every
 * command that writes results, so the page always shows everything the folder holds. Folders that
 * are not results (shards, unreadable summaries) are skipped, never fatal.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderReport, type ReportEntry, type ReportHeadline } from "../../plots/report.js";
import { codeVersion } from "./code-version.js";
import { SCENARIOS } from "../registry.js";
import type { PlotSummary, RunSummary, SweepSummary } from "./summary.js";

function subdirs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory())
    .sort();
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** JSON wrote NaN as null. */
function num(value: number | null | undefined): number {
  return typeof value === "number" ? value : Number.NaN;
}

function charts(dir: string, plots: readonly PlotSummary[]): { title: string; svg: string }[] {
  return plots
    .filter((p) => existsSync(join(dir, p.file)))
    .map((p) => ({ title: p.title, svg: readFileSync(join(dir, p.file), "utf8") }));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function runEntry(dir: string, href: string, s: RunSummary): ReportEntry {
  const headlines: ReportHeadline[] = s.headlines.map((h) => ({
    label: h.label,
    unit: h.unit,
    value: num(h.value),
    reference: h.reference === undefined ? undefined : num(h.reference.value),
    source: h.reference?.source,
    scaledDown: h.reference?.scaledDown,
    absolute: h.difference === undefined ? undefined : num(h.difference.absolute),
    relative: h.difference === undefined ? undefined : num(h.difference.relative),
  }));
  return {
    anchor: `${s.scenario}/${s.runId}`,
    kind: "run",
    scenario: s.scenario,
    title: s.title,
    description: s.description,
    id: s.runId,
    facts: [
      ["seed", String(s.seed)],
      ["size", s.size],
      ["code", s.codeVersion],
      ["wall time", seconds(s.timing.wallMs)],
      [
        "replay",
        `npm start -- run ${s.scenario} --seed ${s.seed}${s.size === "full" ? " --full" : ""}`,
      ],
    ],
    params: Object.entries(s.params).map(([k, v]) => [k, String(v)] as const),
    headlines,
    charts: charts(dir, s.plots),
    files: [
      ...s.tables.map((t) => ({ label: `${t.file} (${t.rows} rows)`, href: `${href}/${t.file}` })),
      { label: "summary.json", href: `${href}/summary.json` },
    ],
  };
}

function sweepEntry(dir: string, href: string, s: SweepSummary): ReportEntry {
  // The page shows figures with a reference or a chart; aggregate.csv holds every one.
  const charted = new Set(s.plots.map((p) => p.name.replace(/-(band|bars)$/, "")));
  const shown = s.aggregates.filter((a) => a.reference !== undefined || charted.has(a.key));
  const headlines: ReportHeadline[] = shown.map((a) => ({
    context: a.pointLabel,
    label: a.label,
    unit: a.unit,
    value: num(a.mean),
    ci: [num(a.ci95Low), num(a.ci95High)] as const,
    n: a.n,
    reference: a.reference === undefined ? undefined : num(a.reference.value),
    source: a.reference?.source,
    scaledDown: a.reference?.scaledDown,
    absolute: a.difference === undefined ? undefined : num(a.difference.absolute),
    relative: a.difference === undefined ? undefined : num(a.difference.relative),
  }));
  const seeds =
    s.seeds.length > 1
      ? `${s.seeds[0]}..${s.seeds[s.seeds.length - 1]} (${s.seeds.length})`
      : String(s.seeds[0]);
  return {
    anchor: `${s.scenario}/${s.sweepId}`,
    kind: "sweep",
    scenario: s.scenario,
    title: s.title,
    description: s.description,
    id: s.sweepId,
    facts: [
      ["seeds", seeds],
      ["grid", s.grid.map(([k, values]) => `${k}=${values.join(",")}`).join("  ") || "none"],
      ["size", s.size],
      ["runs", String(s.runs)],
      ["code", s.codeVersion],
      [
        "wall time",
        seconds(s.timing.wallMs) +
          (s.timing.jobs === undefined
            ? ""
            : ` on ${s.timing.jobs} thread${s.timing.jobs === 1 ? "" : "s"}`) +
          (s.timing.shards === undefined ? "" : ` in ${s.timing.shards} shards`),
      ],
    ],
    params: Object.entries(s.sets).map(([k, v]) => [k, String(v)] as const),
    headlines,
    charts: charts(dir, s.plots),
    files: [
      ...s.tables.map((t) => ({ label: `${t.file} (${t.rows} rows)`, href: `${href}/${t.file}` })),
      { label: "sweep.json", href: `${href}/sweep.json` },
    ],
  };
}

function scenarioRank(name: string): number {
  const i = SCENARIOS.findIndex((s) => s.name === name);
  return i < 0 ? SCENARIOS.length : i;
}

/** Every run and sweep under `root`, in registry order, runs before sweeps. */
export function collectEntries(root: string): ReportEntry[] {
  const entries: ReportEntry[] = [];
  const scenarios = subdirs(root).sort(
    (a, b) => scenarioRank(a) - scenarioRank(b) || (a < b ? -1 : a > b ? 1 : 0),
  );
  for (const scenario of scenarios) {
    const ids = subdirs(join(root, scenario));
    for (const id of ids) {
      const dir = join(root, scenario, id);
      const run = readJson<RunSummary>(join(dir, "summary.json"));
      if (run?.kind === "run") entries.push(runEntry(dir, `${scenario}/${id}`, run));
    }
    for (const id of ids) {
      const dir = join(root, scenario, id);
      const sweep = readJson<SweepSummary>(join(dir, "sweep.json"));
      if (sweep?.kind === "sweep") entries.push(sweepEntry(dir, `${scenario}/${id}`, sweep));
    }
  }
  return entries;
}

/** Writes `root`/index.html; returns its path. */
export function buildReport(root: string): string {
  const path = join(root, "index.html");
  const html = renderReport({
    title: "raysim results",
    subtitle: `${codeVersion()} · every run and sweep under this folder`,
    entries: collectEntries(root),
  });
  writeFileSync(path, html);
  return path;
}
