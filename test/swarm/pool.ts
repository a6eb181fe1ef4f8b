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

export type WorkerRequest = { seed: number; wallMs: number; shrink: boolean; keep?: readonly number[] };
export type WorkerReply = { type: "ready" } | { type: "run"; seed: number } | { type: "done"; outcome: SeedOutcome };

/** Grace beyond the wall bound before a worker is presumed stuck inside one event. */
const HARD_GRACE_MS = 10_000;

export async function runSeeds(seeds: readonly number[], options: PoolOptions): Promise<SeedOutcome[]> {
  if (options.jobs <= 1 || seeds.length <= 1) {
    const out: SeedOutcome[] = [];
    for (const seed of seeds) {
      options.onStart?.(seed);
      const outcome = await runAndShrink(seed, { wallMs: options.wallMs, shrink: options.shrink, ...(options.keep ? { keep: options.keep } : {}) });
      options.onDone?.(outcome);
      out.push(outcome);
    }
    return out;
  }
  return new Promise((resolve, reject) => {
    const out: SeedOutcome[] = [];
    const workers = new Set<Worker>();
    let next = 0;
    const finish = (outcome: SeedOutcome) => {
      out.push(outcome);
      options.onDone?.(outcome);
      if (out.length < seeds.length) return;
      for (const w of workers) void w.terminate();
      resolve(out);
    };
    const lane = () => {
      const worker = new Worker(new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url));
      workers.add(worker);
      let current = -1;
      let timer: NodeJS.Timeout | undefined;
      const stop = () => {
        clearTimeout(timer);
        workers.delete(worker);
        void worker.terminate();
      };
      // Re-armed at every run (shrinking re-runs), so the bound is per run, not per seed.
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          stop();
          const stuckMs = options.wallMs + HARD_GRACE_MS;
          const hung: SeedResult = {
            seed: current, verdict: "wall-bound", detail: `stuck for ${stuckMs} ms of wall time inside one event (its worker was stopped)`,
            faults: [], kept: [], expectedClass: "values", virtualMs: NaN, wallMs: stuckMs,
          };
          if (next < seeds.length) lane();
          finish({ full: hung, shrunk: undefined });
        }, options.wallMs + HARD_GRACE_MS);
      };
      const give = () => {
        if (next >= seeds.length) return stop();
        current = seeds[next++]!;
        options.onStart?.(current);
        arm();
        worker.postMessage({ seed: current, wallMs: options.wallMs, shrink: options.shrink, ...(options.keep ? { keep: options.keep } : {}) } satisfies WorkerRequest);
      };
      worker.on("message", (reply: WorkerReply) => {
        if (!workers.has(worker)) return;
        if (reply.type === "ready") return give();
        if (reply.type === "run") return arm();
        clearTimeout(timer);
        finish(reply.outcome);
        give();
      });
      worker.on("error", (error) => {
        if (workers.has(worker)) reject(error);
      });
    };
    for (let i = 0; i < Math.min(options.jobs, seeds.length); i++) lane();
  });
}
