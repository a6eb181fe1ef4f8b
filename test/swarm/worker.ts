/** A swarm worker thread: runs (and shrinks) the seeds it is sent, one at a time. */
import { parentPort } from "node:worker_threads";
import { runAndShrink } from "./shrink.js";
import type { WorkerReply, WorkerRequest } from "./pool.js";

const port = parentPort;
if (port === null) throw new Error("test/swarm/worker.ts runs only as a worker thread");

async function handle(request: WorkerRequest): Promise<void> {
  const { seed, wallMs, shrink, keep } = request;
  const outcome = await runAndShrink(seed, { wallMs, shrink, ...(keep ? { keep } : {}) }, () =>
    port!.postMessage({ type: "run", seed } satisfies WorkerReply),
  );
  port!.postMessage({ type: "done", outcome } satisfies WorkerReply);
}

port.on("message", (request: WorkerRequest) => void handle(request));
port.postMessage({ type: "ready" } satisfies WorkerReply);
