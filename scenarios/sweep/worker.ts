/**
 * A sweep's worker thread: says when it is ready, then runs the planned runs it is sent, one at a
 * time, and replies with each outcome (or the error). Progress goes back at most ten times a
 * second per run.
 */
import { parentPort } from "node:worker_threads";
import { runPlanned, type WorkerReply, type WorkerRequest } from "./pool.js";

const PROGRESS_INTERVAL_MS = 100;
const port = parentPort;
if (port === null) throw new Error("sweep/worker.ts runs only as a worker thread");

const serve = async ({ run, keepRunsDir }: WorkerRequest): Promise<void> => {
  let lastMs = 0;
  const progress = (fraction: number) => {
    const nowMs = Date.now();
    if (nowMs - lastMs < PROGRESS_INTERVAL_MS) return;
    lastMs = nowMs;
    port.postMessage({ type: "progress", index: run.index, fraction } satisfies WorkerReply);
  };
  try {
    const outcome = await runPlanned(run, keepRunsDir, progress);
    port.postMessage({ type: "done", outcome } satisfies WorkerReply);
  } catch (error) {
    port.postMessage({
      type: "failed",
      index: run.index,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    } satisfies WorkerReply);
  }
};

// serve() reports its own failures, so the promise it returns never rejects.
port.on("message", (request: WorkerRequest) => void serve(request));

// Loaded: ask for work (the pool gives runs only to workers that are ready).
port.postMessage({ type: "ready" } satisfies WorkerReply);
