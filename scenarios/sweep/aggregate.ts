/**
 * From a sweep's run outcomes to its tables and charts: `runs` (one row per run: grid values, seed,
 * every headline) and `aggregate` (one row per grid point and headline: the mean across seeds, its
 * 95% confidence interval and the reference value). Charts: for a swept numeric parameter on x,
 * lines with a confidence band per combination of the other grid values; and grouped bars with
 * error bars. Everything is a function of the plan and the outcomes alone, in index order, which
 * is what makes a merged sharded sweep byte-identical to an unsharded one.
 */
import type { PlotSpec, Row } from "../../plots/plot-spec.js";
import { formatValue } from "../../plots/units.js";
import { confidenceInterval } from "./confidence.js";
import type { RunOutcome } from "./pool.js";
import { gridPoints, pointLabel, type SweepPlan } from "./plan.js";
import type { Headline, ParamValue, Scenario, Table } from "../scenario.js";
import { referenceDifference, type AggregateSummary } from "../output/summary.js";
import { table } from "../scenario.js";

/** Headlines as they appear across the runs, in first-seen order. */
function headlineKinds(outcomes: readonly RunOutcome[]): Headline[] {
  const seen = new Map<string, Headline>();
  for (const o of outcomes) for (const h of o.headlines) if (!seen.has(h.key)) seen.set(h.key, h);
  return [...seen.values()];
}

export function aggregate(plan: SweepPlan, outcomes: readonly RunOutcome[]): AggregateSummary[] {
  const kinds = headlineKinds(outcomes);
  const out: AggregateSummary[] = [];
  gridPoints(plan.grid).forEach((gridValues, point) => {
    const runs = outcomes.filter((o) => o.point === point);
    for (const kind of kinds) {
      const found = runs.map((o) => o.headlines.find((h) => h.key === kind.key));
      const ci = confidenceInterval(found.map((h) => h?.value ?? Number.NaN));
      // The reference depends on the parameters only, so every seed of a point has the same one.
      const reference = found.find((h) => h?.reference !== undefined)?.reference;
      const entry: AggregateSummary = {
        point,
        pointLabel: pointLabel(gridValues),
        gridValues,
        key: kind.key,
        label: kind.label,
        unit: kind.unit,
        n: ci.n,
        mean: ci.mean,
        ci95Low: ci.low,
        ci95High: ci.high,
      };
      if (reference !== undefined) entry.reference = reference;
      const d = referenceDifference(ci.mean, reference);
      if (d !== undefined) entry.difference = d;
      out.push(entry);
    }
  });
  return out;
}

export function sweepTables(
  scenario: Scenario,
  plan: SweepPlan,
  outcomes: readonly RunOutcome[],
  aggregates: readonly AggregateSummary[],
  xKey: string | undefined,
): Record<string, Table> {
  const gridKeys = plan.grid.map(([k]) => k);
  const kinds = headlineKinds(outcomes);
  const runs: Row[] = outcomes.map((o) => {
    const row: Row = { run: o.index, point: o.point, seed: o.seed, ...o.gridValues };
    for (const k of kinds)
      row[k.key] = o.headlines.find((h) => h.key === k.key)?.value ?? Number.NaN;
    return row;
  });
  const aggregateRows: Row[] = aggregates.map((a) => ({
    point: a.point,
    ...a.gridValues,
    series: seriesLabel(a.gridValues, xKey),
    group:
      xKey === undefined
        ? a.pointLabel
        : groupLabel(a.gridValues[xKey]!, scenario.params[xKey]?.unit),
    headline: a.key,
    unit: a.unit,
    n: a.n,
    mean: a.mean,
    ci95Low: a.ci95Low,
    ci95High: a.ci95High,
    reference: a.reference?.value ?? Number.NaN,
    difference: a.difference?.absolute ?? Number.NaN,
    relativeDifference: a.difference?.relative ?? Number.NaN,
  }));
  return {
    runs: table(["run", "point", "seed", ...gridKeys, ...kinds.map((k) => k.key)], runs),
    aggregate: table(
      [
        "point",
        ...gridKeys,
        "series",
        "group",
        "headline",
        "unit",
        "n",
        "mean",
        "ci95Low",
        "ci95High",
        "reference",
        "difference",
        "relativeDifference",
      ],
      aggregateRows,
    ),
  };
}

/** An x value as a bar group's label, in its unit ("50%", "200 ms"). */
function groupLabel(value: ParamValue, unit: string | undefined): string {
  return typeof value === "number" && unit !== undefined ? formatValue(value, unit) : String(value);
}

/** The grid values other than x, as a series name ("servers=4"); "" when there are none. */
function seriesLabel(
  gridValues: Readonly<Record<string, ParamValue>>,
  xKey: string | undefined,
): string {
  return Object.entries(gridValues)
    .filter(([k]) => k !== xKey)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(", ");
}

/** The swept parameter for the x axis: the scenario's hint if swept, else the first numeric one. */
export function sweepXKey(scenario: Scenario, plan: SweepPlan): string | undefined {
  const numeric = plan.grid
    .filter(([, values]) => values.length >= 2 && values.every((v) => typeof v === "number"))
    .map(([k]) => k);
  const hint = scenario.sweep?.x;
  if (hint !== undefined && numeric.includes(hint)) return hint;
  return numeric[0];
}

function chartedHeadlines(
  scenario: Scenario,
  aggregates: readonly AggregateSummary[],
): AggregateSummary[] {
  const kinds = [...new Map(aggregates.map((a) => [a.key, a])).values()];
  const hinted = kinds.filter((k) => scenario.sweep?.headlines?.includes(k.key));
  if (hinted.length > 0) return hinted;
  const referenced = kinds.filter((k) =>
    aggregates.some((a) => a.key === k.key && a.reference !== undefined),
  );
  return referenced.length > 0 ? referenced : kinds.slice(0, 1);
}

export function sweepPlots(
  scenario: Scenario,
  plan: SweepPlan,
  aggregates: readonly AggregateSummary[],
  xKey: string | undefined,
): PlotSpec[] {
  const plots: PlotSpec[] = [];
  const xSpec = xKey === undefined ? undefined : scenario.params[xKey];
  for (const h of chartedHeadlines(scenario, aggregates)) {
    const y = { column: "mean", label: h.label, unit: h.unit };
    const referenced = aggregates.find((a) => a.key === h.key && a.reference !== undefined);
    const reference =
      referenced === undefined
        ? {}
        : {
            referenceColumn: "reference",
            referenceLabel: referenced.reference?.label ?? "reference",
          };
    const seeds = `${plan.seeds.length} seed${plan.seeds.length === 1 ? "" : "s"}`;
    if (xKey !== undefined) {
      plots.push({
        kind: "band",
        name: `${h.key}-band`,
        title: `${capitalise(h.label)} against ${xKey} (mean and 95% CI over ${seeds})`,
        table: "aggregate",
        where: { headline: h.key },
        x: { column: xKey, label: xKey, unit: xSpec?.unit ?? "" },
        y,
        lowColumn: "ci95Low",
        highColumn: "ci95High",
        series: "series",
        ...reference,
      });
    }
    plots.push({
      kind: "bars",
      name: `${h.key}-bars`,
      title: `${capitalise(h.label)} (mean, 95% CI over ${seeds})`,
      table: "aggregate",
      where: { headline: h.key },
      group: { column: "group", label: xKey ?? "grid point" },
      bar: xKey === undefined ? undefined : "series",
      value: y,
      lowColumn: "ci95Low",
      highColumn: "ci95High",
      ...reference,
    });
  }
  return plots;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
