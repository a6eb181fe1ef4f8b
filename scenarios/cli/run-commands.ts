/**
 * The commands around single runs: `run`, `trace`, `list` and `report`. A run prints its seed and
 * parameters first (STYLE.md §8), shows progress while it runs, then its headline figures and
 * where its files are; a failure ends with the command that replays it.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { onePositional, parseCommand, parseOut, parseSeed } from "./args.js";
import { commandHelp, scenarioHelp, scenarioList } from "./help.js";
import { headlineLines, RunFailedError, type CliIo } from "./io.js";
import { parseSets } from "../runner/params.js";
import { startProgress } from "./progress.js";
import { findScenario, SCENARIOS } from "../registry.js";
import type { WriteOptions } from "../output/result-files.js";
import {
  prepareRun,
  replayCommand,
  runScenario,
  type RunOutput,
  type RunRequest,
} from "../runner/run-scenario.js";
import type { Scenario, Size } from "../scenario.js";
import type { RunSummary } from "../output/summary.js";
import { UsageError } from "../runner/usage-error.js";

// Writers (d3, the report, the trace export) load only when a command gets that far, so bad
// input is rejected without paying for their import (ts-node transpiles each module on start).
const writers = {
  runFiles: async () => (await import("../output/result-files.js")).writeRunFiles,
  report: async () => (await import("../output/report-build.js")).buildReport,
  trace: async () => (await import("../output/trace-export.js")).writeChromeTrace,
};

/** Rebuilds the report under `root` and prints where it is. */
export async function rebuildReport(io: CliIo, root: string): Promise<void> {
  printReport(io, (await writers.report())(root));
}

export const DEFAULT_RESULTS = "results";

const RUN_OPTIONS = {
  seed: { type: "string" },
  set: { type: "string", multiple: true },
  full: { type: "boolean" },
  out: { type: "string" },
  png: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export function scenarioNames(): string {
  return SCENARIOS.map((s) => s.name).join(", ");
}

export function describeRequest(request: RunRequest): string {
  const params = Object.entries(request.params)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");
  return `seed ${request.seed}: ${request.scenario} (${request.size}) ${params}`;
}

/** Runs with progress on stderr; a throw becomes a RunFailedError carrying the replay line. */
export async function runWithProgress(
  scenario: Scenario,
  request: RunRequest,
  io: CliIo,
  trace = false,
): Promise<RunOutput> {
  io.stdout.write(describeRequest(request) + "\n");
  const progress = startProgress({
    label: `${scenario.name} seed ${request.seed}`,
    total: 1,
    stream: io.stderr,
  });
  try {
    return await runScenario(scenario, request, (f) => progress.update(f), { trace });
  } catch (error) {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    throw new RunFailedError(
      `${scenario.name} seed ${request.seed} failed: ${detail}\nreplay: ${replayCommand(scenario, request)}`,
    );
  } finally {
    progress.stop();
  }
}

/** One run, written to <root>/<scenario>/<run-id>/; prints its headlines and folder. */
export async function runAndWrite(
  scenario: Scenario,
  request: RunRequest,
  root: string,
  io: CliIo,
  options: WriteOptions,
): Promise<RunSummary> {
  const output = await runWithProgress(scenario, request, io);
  const dir = join(root, scenario.name, output.runId);
  const summary = await (await writers.runFiles())(dir, scenario, output, options);
  io.stdout.write(
    `${headlineLines(output.result.headlines)}\n  → ${dir}/ (${summary.tables.length} CSV, ${summary.plots.length} SVG, summary.json) in ${(output.wallMs / 1000).toFixed(2)} s\n`,
  );
  return summary;
}

function seedOf(text: string | undefined, io: CliIo): number {
  if (text !== undefined) return parseSeed(text);
  const fromEnv = io.env.RAYSIM_SEED;
  return fromEnv === undefined ? 1 : parseSeed(fromEnv, "RAYSIM_SEED");
}

function requestFrom(command: string, argv: readonly string[], io: CliIo) {
  const { values, positionals } = parseCommand(command, argv, RUN_OPTIONS);
  if (values.help === true) return { help: true as const };
  const scenario = findScenario(
    onePositional(command, positionals, "a scenario name", scenarioNames()),
  );
  const size: Size = values.full === true ? "full" : "quick";
  const request = prepareRun(
    scenario,
    size,
    seedOf(values.seed, io),
    parseSets(scenario, values.set ?? []),
  );
  return {
    help: false as const,
    scenario,
    request,
    root: parseOut(values.out, DEFAULT_RESULTS),
    png: values.png === true,
  };
}

export async function runCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = requestFrom("run", argv, io);
  if (parsed.help) return help(io, "run");
  await runAndWrite(parsed.scenario, parsed.request, parsed.root, io, { png: parsed.png });
  await rebuildReport(io, parsed.root);
  return 0;
}

export async function traceCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = requestFrom("trace", argv, io);
  if (parsed.help) return help(io, "trace");
  if (parsed.png) throw new UsageError("trace writes JSON only; --png belongs to run and sweep");
  const output = await runWithProgress(parsed.scenario, parsed.request, io, true);
  const trace = output.result.trace;
  if (trace === undefined)
    throw new UsageError(
      `${parsed.scenario.name} does not record a trace; its result needs a trace() (see scenarios/output/simulation-trace.ts)`,
    );
  const dir = join(parsed.root, parsed.scenario.name, output.runId);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "trace.json");
  const count = (await writers.trace())(
    path,
    trace(),
    {
      scenario: parsed.scenario.name,
      seed: parsed.request.seed,
      runId: output.runId,
      clock: "virtual µs",
    },
    { inputsOf: output.result.traceInputs },
  );
  io.stdout.write(
    `wrote ${count} trace events to ${path}\nopen it in https://ui.perfetto.dev ("Open trace file") or chrome://tracing\n`,
  );
  return 0;
}

export function listCommand(argv: readonly string[], io: CliIo): number {
  const { values, positionals } = parseCommand("list", argv, {
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) return help(io, "list");
  if (positionals.length > 1)
    throw new UsageError(`list takes at most one scenario name, got: ${positionals.join(" ")}`);
  io.stdout.write(
    positionals.length === 0 ? scenarioList() : scenarioHelp(findScenario(positionals[0]!)),
  );
  return 0;
}

export async function reportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand("report", argv, {
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) return help(io, "report");
  if (positionals.length > 0)
    throw new UsageError(
      `report takes no arguments, got: ${positionals.join(" ")}; use --out DIR for another folder`,
    );
  await rebuildReport(io, parseOut(values.out, DEFAULT_RESULTS));
  return 0;
}

export function help(io: CliIo, command: string): number {
  io.stdout.write(commandHelp(command));
  return 0;
}

export function printReport(io: CliIo, path: string): void {
  io.stdout.write(`report: ${path}  (${pathToFileURL(resolve(path)).href})\n`);
}

/** `run <name> --help` and `run <name> -h` show the scenario's parameters as well. */
export function scenarioHelpIfAsked(argv: readonly string[], io: CliIo): boolean {
  const name = argv.find((a) => !a.startsWith("-"));
  if (name === undefined || !argv.some((a) => a === "--help" || a === "-h")) return false;
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (scenario === undefined) return false;
  io.stdout.write(scenarioHelp(scenario) + "\n");
  return true;
}
