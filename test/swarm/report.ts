/**
 * The swarm's summary: counts per fault kind and per outcome, then each failure with its shrunk
 * schedule as `sim.faults` calls and the command that replays it.
 */
import { describe, FAULT_KINDS, type FaultKind } from "./schedule.js";
import type { SeedOutcome } from "./pool.js";
import type { Verdict } from "./run-seed.js";

function pad(s: string | number, n: number, right = false): string {
  const t = String(s);
  return right ? t.padStart(n) : t.padEnd(n);
}

export function report(
  outcomes: readonly SeedOutcome[],
  wallMs: number,
  jobs: number,
): { text: string; failures: number } {
  const lines: string[] = [];
  const perKind = new Map<FaultKind, { seeds: number; faults: number; pass: number; fail: number }>(
    FAULT_KINDS.map((k) => [k, { seeds: 0, faults: 0, pass: 0, fail: 0 }]),
  );
  const verdicts = new Map<Verdict, number>();
  const classes = new Map<string, number>();
  for (const { full } of outcomes) {
    verdicts.set(full.verdict, (verdicts.get(full.verdict) ?? 0) + 1);
    if (full.verdict === "pass")
      classes.set(full.expectedClass, (classes.get(full.expectedClass) ?? 0) + 1);
    const kinds = new Set(full.faults.map((f) => f.kind));
    for (const f of full.faults) perKind.get(f.kind)!.faults++;
    for (const k of kinds) {
      const row = perKind.get(k)!;
      row.seeds++;
      if (full.verdict === "pass") row.pass++;
      else row.fail++;
    }
  }
  lines.push(
    `${pad("fault kind", 20)}${pad("seeds", 8, true)}${pad("faults", 8, true)}${pad("pass", 8, true)}${pad("fail", 8, true)}`,
  );
  for (const [kind, row] of perKind) {
    lines.push(
      `${pad(kind, 20)}${pad(row.seeds, 8, true)}${pad(row.faults, 8, true)}${pad(row.pass, 8, true)}${pad(row.fail, 8, true)}`,
    );
  }
  const failures = outcomes
    .filter((o) => o.full.verdict !== "pass")
    .sort((a, b) => a.full.seed - b.full.seed);
  const passed = verdicts.get("pass") ?? 0;
  lines.push(
    `outcomes: ${passed} passed (${["values", "values+errors", "deadlock"].map((c) => `${classes.get(c) ?? 0} ${c === "values" ? "failure-free values" : c === "deadlock" ? "expected deadlock" : "values and expected typed errors"}`).join(", ")}); ` +
      `${failures.length} failed${
        failures.length
          ? ` (${[...verdicts]
              .filter(([v]) => v !== "pass")
              .map(([v, n]) => `${n} ${v}`)
              .join(", ")})`
          : ""
      }`,
  );
  for (const { full, shrunk } of failures) {
    const final = shrunk ?? full;
    lines.push("");
    lines.push(`FAIL seed ${full.seed} [${full.verdict}] ${final.detail}`);
    lines.push(
      `  schedule${shrunk ? ` (shrunk from ${full.faults.length} to ${final.faults.length} faults${final.shrinkNote ? `; ${final.shrinkNote}` : ""})` : ""}:${final.faults.length === 0 ? " none (the workload alone fails)" : ""}`,
    );
    for (const f of final.faults) lines.push(`    ${describe(f)}`);
    const keep = shrunk ? ` --keep ${final.kept.length === 0 ? "none" : final.kept.join(",")}` : "";
    lines.push(
      `  replay: npm run swarm -- --seeds ${full.seed}${keep}    (whole schedule: npm run swarm -- --seeds ${full.seed}; workload: npm run swarm -- --seeds ${full.seed} --show)`,
    );
  }
  lines.push("");
  lines.push(
    `swarm: ${outcomes.length} seeds, ${failures.length} failed, ${(wallMs / 1000).toFixed(1)} s wall (${jobs} job${jobs === 1 ? "" : "s"})`,
  );
  return { text: lines.join("\n"), failures: failures.length };
}
