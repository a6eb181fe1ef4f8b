/**
 * One run of one scenario: the request (scenario, size, seed, resolved parameters) is plain data
 * that can be sent to a worker thread and printed as the command that replays it.
 */
import { nonDefaults, resolveParams } from "./params.js";
import { runId } from "../output/run-id.js";
import type {
  ParamValue,
  Progress,
  RunOptions,
  Scenario,
  ScenarioResult,
  Size,
} from "../scenario.js";
import { UsageError } from "./usage-error.js";

export interface RunRequest {
  scenario: string;
  size: Size;
  seed: number;
  params: Readonly<Record<string, ParamValue>>;
}

export interface RunOutput {
  request: RunRequest;
  runId: string;
  result: ScenarioResult;
  wallMs: number;
}

/** Resolves parameters at a size and runs the scenario's own cross-parameter check. */
export function prepareRun(
  scenario: Scenario,
  size: Size,
  seed: number,
  overrides: Readonly<Record<string, ParamValue>>,
): RunRequest {
  const params = resolveParams(scenario, size, overrides);
  const problem = scenario.check?.(params as never);
  if (problem !== undefined) throw new UsageError(`${scenario.name}: ${problem}`);
  return { scenario: scenario.name, size, seed, params };
}

export function runIdOf(scenario: Scenario, request: RunRequest): string {
  return runId(request.size, request.seed, nonDefaults(scenario, request.size, request.params));
}

export async function runScenario(
  scenario: Scenario,
  request: RunRequest,
  progress: Progress,
  options: RunOptions = { trace: false },
): Promise<RunOutput> {
  const startMs = performance.now();
  const result = await scenario.run(request.params as never, request.seed, progress, options);
  return {
    request,
    runId: runIdOf(scenario, request),
    result,
    wallMs: performance.now() - startMs,
  };
}

/** The command line that replays a run (STYLE.md §8: every failure ends with it). */
export function replayCommand(scenario: Scenario, request: RunRequest): string {
  const sets = Object.entries(nonDefaults(scenario, request.size, request.params)).map(
    ([k, v]) => ` --set ${k}=${String(v)}`,
  );
  return `npm start -- run ${request.scenario} --seed ${request.seed}${request.size === "full" ? " --full" : ""}${sets.join("")}`;
}
