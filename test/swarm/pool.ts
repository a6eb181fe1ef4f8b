/**
 * Runs swarm seeds: in this thread (`jobs` 1: no start-up cost, a soft wall bound checked between
 * events), or on `jobs` worker threads, where a run that overstays its wall bound — even one stuck
 * inside a single event — is stopped by terminating its worker, which is then replaced.
 */
import { Worker } from "node:worker_threads";
import { runAndShrink } from "./shrink.js";
import type { SeedResult } from "./run-seed.js";

export interface SeedOutcome {
  full: SeedResult;
  shrunk: SeedResult | undefined;
}

export interface PoolOptions {
  jobs: number;
  wallMs: number;
  shrink: boolean;
  keep?: readonly number[];
  /** Called as a seed starts (verbose mode prints it, so a hang is replayable). */
  onStart?: (seed: number) => void;
  onDone?: (outcome: SeedOutcome) => void;
}

export type WorkerRequest = {
  seed: number;
  wallMs: number;
  shrink: boolean;
  keep?: readonly number[];
};
export type WorkerReply =
  { type: "ready" } | { type: "run"; seed: number } | { type: "done"; outcome: SeedOutcome };

/** Grace beyond the wall bound before a worker is presumed stuck inside one event. */
const HARD_GRACE_MS = 10_000;

export async function runSeeds(
  seeds: readonly number[],
  options: PoolOptions,
): Promise<SeedOutcome[]> {
  if (options.jobs > 1 && seeds.length > 1) return new WorkerPool(seeds, options).run();
  const out: SeedOutcome[] = [];
  for (const seed of seeds) {
    options.onStart?.(seed);
    const outcome = await runAndShrink(seed, requestOptions(options));
    options.onDone?.(outcome);
    out.push(outcome);
  }
  return out;
}

function requestOptions(options: PoolOptions) {
  return {
    wallMs: options.wallMs,
    shrink: options.shrink,
    ...(options.keep ? { keep: options.keep } : {}),
  };
}

/** `jobs` lanes, each a worker thread taking seeds from one queue; a stuck worker is replaced. */
class WorkerPool {
  private readonly out: SeedOutcome[] = [];
  private readonly workers = new Set<Worker>();
  private next = 0;
  private resolve!: (outcomes: SeedOutcome[]) => void;
  private reject!: (error: unknown) => void;

  constructor(
    private readonly seeds: readonly number[],
    private readonly options: PoolOptions,
  ) {}

  run(): Promise<SeedOutcome[]> {
    const done = new Promise<SeedOutcome[]>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    for (let i = 0; i < Math.min(this.options.jobs, this.seeds.length); i++) this.lane();
    return done;
  }

  private finish(outcome: SeedOutcome): void {
    this.out.push(outcome);
    this.options.onDone?.(outcome);
    if (this.out.length < this.seeds.length) return;
    for (const w of this.workers) void w.terminate();
    this.resolve(this.out);
  }

  private lane(): void {
    const worker = new Worker(
      new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url),
    );
    this.workers.add(worker);
    let current = -1;
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      clearTimeout(timer);
      this.workers.delete(worker);
      void worker.terminate();
    };
    // Re-armed at every run (shrinking re-runs), so the bound is per run, not per seed.
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stop();
        if (this.next < this.seeds.length) this.lane();
        this.finish({
          full: stuck(current, this.options.wallMs + HARD_GRACE_MS),
          shrunk: undefined,
        });
      }, this.options.wallMs + HARD_GRACE_MS);
    };
    const give = () => {
      if (this.next >= this.seeds.length) return stop();
      current = this.seeds[this.next++]!;
      this.options.onStart?.(current);
      arm();
      worker.postMessage({
        seed: current,
        ...requestOptions(this.options),
      } satisfies WorkerRequest);
    };
    worker.on("message", (reply: WorkerReply) => {
      if (!this.workers.has(worker)) return;
      if (reply.type === "ready") return give();
      if (reply.type === "run") return arm();
      clearTimeout(timer);
      this.finish(reply.outcome);
      give();
    });
    worker.on("error", (error) => {
      if (this.workers.has(worker)) this.reject(error);
    });
  }
}

function stuck(seed: number, stuckMs: number): SeedResult {
  return {
    seed,
    verdict: "wall-bound",
    detail: `stuck for ${stuckMs} ms of wall time inside one event (its worker was stopped)`,
    faults: [],
    kept: [],
    expectedClass: "values",
    virtualMs: NaN,
    wallMs: stuckMs,
  };
}
