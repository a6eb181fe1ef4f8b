/**
 * Runs a sweep's runs on this thread and on worker threads, one run per thread at a time. A run's
 * numbers depend only on its request, so the outcomes are the same whichever thread ran them and
 * in whatever order they finished; they are returned sorted by run index. A failed run stops the
 * sweep with its error and the command that replays it.
 */
import { threadId, Worker } from "node:worker_threads";
import { findScenario, SCENARIOS } from "../registry.js";
import { replayCommand, runScenario, type RunOutput } from "../runner/run-scenario.js";
import type { Headline, ParamValue } from "../scenario.js";
import type { PlannedRun } from "./plan.js";
import { join } from "node:path";

/** What a sweep keeps of a run: its place in the plan and its headline figures. */
export interface RunOutcome {
  index: number;
  point: number;
  seed: number;
  gridValues: Readonly<Record<string, ParamValue>>;
  headlines: readonly Headline[];
  /** Not part of any result file: timing, and which thread ran it (0 = the main thread). */
  wallMs: number;
  threadId: number;
}

export interface PoolOptions {
  /** Threads in all, this one included (see SweepPool). */
  jobs: number;
  /** Run on this thread too (default); false leaves all runs to the workers (tests). */
  mainThread?: boolean;
  /** Also write every run's own folder here (tables and charts of each run). */
  keepRunsDir?: string;
  onProgress: (runsDone: number) => void;
}

export type WorkerRequest = { run: PlannedRun; keepRunsDir?: string };
export type WorkerReply =
  | { type: "ready" }
  | { type: "progress"; index: number; fraction: number }
  | { type: "done"; outcome: RunOutcome }
  | { type: "failed"; index: number; error: string };

export class SweepRunError extends Error {
  override name = "SweepRunError";
}

export function outcomeOf(run: PlannedRun, output: RunOutput): RunOutcome {
  return {
    index: run.index,
    point: run.point,
    seed: run.request.seed,
    gridValues: run.gridValues,
    headlines: output.result.headlines,
    wallMs: output.wallMs,
    threadId,
  };
}

/** Runs one planned run in this thread (the worker calls this too). */
export async function runPlanned(
  run: PlannedRun,
  keepRunsDir: string | undefined,
  progress: (fraction: number) => void,
): Promise<RunOutcome> {
  const scenario = findScenario(run.request.scenario);
  const output = await runScenario(scenario, run.request, progress);
  if (keepRunsDir !== undefined) {
    // Loaded only when asked: workers otherwise never import d3 and the chart code.
    const { writeRunFiles } = await import("../output/result-files.js");
    await writeRunFiles(join(keepRunsDir, output.runId), scenario, output);
  }
  return outcomeOf(run, output);
}

function failure(run: PlannedRun, error: string): SweepRunError {
  const scenario = SCENARIOS.find((s) => s.name === run.request.scenario);
  const replay =
    scenario === undefined
      ? `unknown scenario ${run.request.scenario}`
      : replayCommand(scenario, run.request);
  return new SweepRunError(
    `run ${run.index} (seed ${run.request.seed}) failed: ${error}\nreplay: ${replay}`,
  );
}

export async function executeRuns(
  runs: readonly PlannedRun[],
  options: PoolOptions,
): Promise<RunOutcome[]> {
  const outcomes = await new SweepPool(runs, options).run();
  return outcomes.sort((a, b) => a.index - b.index);
}

function workerUrl(): URL {
  // Under ts-node this module is .ts; from a tsc build it is .js.
  return new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url);
}

/** Lets worker messages in between two runs of the main thread (they are macrotasks). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * `jobs` lanes take runs from one queue: this thread, and jobs − 1 worker threads that ask for
 * work once they have loaded. Under ts-node a worker needs a second or more to load, so a small
 * sweep is done by this thread before they are ready (and they are dropped unused), while a large
 * one keeps every lane busy.
 */
class SweepPool {
  private next = 0;
  private readonly outcomes: RunOutcome[] = [];
  private readonly partial = new Map<number, number>();
  private readonly workers: Worker[] = [];
  private settled = false;
  private resolve!: (outcomes: RunOutcome[]) => void;
  private reject!: (error: Error) => void;

  constructor(
    private readonly runs: readonly PlannedRun[],
    private readonly options: PoolOptions,
  ) {}

  run(): Promise<RunOutcome[]> {
    const done = new Promise<RunOutcome[]>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    if (this.runs.length === 0) this.finish();
    const workerCount = Math.max(
      0,
      Math.min(this.options.jobs - (this.options.mainThread === false ? 0 : 1), this.runs.length),
    );
    for (let i = 0; i < workerCount; i++) this.startWorker();
    if (this.options.mainThread !== false) void this.mainLane();
    return done;
  }

  private take(): PlannedRun | undefined {
    return this.settled ? undefined : this.runs[this.next++];
  }

  private async mainLane(): Promise<void> {
    for (let run = this.take(); run !== undefined; run = this.take()) {
      const index = run.index;
      try {
        this.record(
          await runPlanned(run, this.options.keepRunsDir, (f) => this.progress(index, f)),
        );
      } catch (error) {
        return this.fail(
          failure(run, error instanceof Error ? (error.stack ?? error.message) : String(error)),
        );
      }
      await yieldToEventLoop();
    }
  }

  private startWorker(): void {
    const worker = new Worker(workerUrl());
    this.workers.push(worker);
    worker.on("message", (reply: WorkerReply) => {
      if (reply.type === "ready") return this.give(worker);
      if (reply.type === "progress") return this.progress(reply.index, reply.fraction);
      if (reply.type === "failed")
        return this.fail(
          failure(
            this.runs.find((r) => r.index === reply.index)!,
            reply.error,
          ),
        );
      this.record(reply.outcome);
      this.give(worker);
    });
    worker.on("error", (error) => this.fail(error));
    worker.on("exit", (code) => {
      if (!this.settled && code !== 0)
        this.fail(new Error(`a sweep worker exited with code ${code}`));
    });
  }

  private give(worker: Worker): void {
    const run = this.take();
    if (run === undefined) return;
    this.partial.set(run.index, 0);
    worker.postMessage({ run, keepRunsDir: this.options.keepRunsDir } satisfies WorkerRequest);
  }

  private progress(index: number, fraction: number): void {
    this.partial.set(index, fraction);
    this.options.onProgress(
      this.outcomes.length + [...this.partial.values()].reduce((a, b) => a + b, 0),
    );
  }

  private record(outcome: RunOutcome): void {
    this.partial.delete(outcome.index);
    this.outcomes.push(outcome);
    this.options.onProgress(this.outcomes.length);
    if (this.outcomes.length === this.runs.length) this.finish();
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    for (const w of this.workers) void w.terminate();
    this.resolve(this.outcomes);
  }

  private fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    for (const w of this.workers) void w.terminate();
    this.reject(error);
  }
}
