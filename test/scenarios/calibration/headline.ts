/** Shared by the calibration scenarios' tests: a quick-size run with overrides, and a headline by key. */
import assert from "node:assert/strict";
import { resolveParams } from "../../../scenarios/runner/params.js";
import type { ParamValue, Scenario, ScenarioResult } from "../../../scenarios/scenario.js";

export async function runQuick(
  scenario: Scenario,
  seed: number,
  overrides: Record<string, ParamValue> = {},
): Promise<ScenarioResult> {
  return scenario.run(resolveParams(scenario, "quick", overrides) as never, seed, () => {});
}

export function headline(result: ScenarioResult, key: string) {
  const h = result.headlines.find((x) => x.key === key);
  assert.ok(h !== undefined, `headline ${key}`);
  return h;
}

export function rows(result: ScenarioResult, name: string): readonly Record<string, unknown>[] {
  const t = result.tables[name];
  assert.ok(t !== undefined, `table ${name}`);
  return t.rows;
}

export function assertPlotsHaveTables(result: ScenarioResult): void {
  for (const plot of result.plots)
    assert.ok(result.tables[plot.table] !== undefined, `${plot.name} draws from ${plot.table}`);
}
