/**
 * Runs one task attempt in a worker slot: resolves argument values from the local store, draws its
 * duration, calls the user's code inside a task context (so nested calls know their parent), and
 * occupies the slot through the Env's execution port. The attempt ends when both the slot time is
 * up and the body has settled (a body blocked in `get` keeps it running), or at once when the
 * worker or its GPU dies.
 */
import type { Env, ExecutionId, ExecutionOutcome } from "../env.js";
import { GpuOutOfMemoryError, RayError, TaskError } from "../api/errors.js";
import { drawDurationMs, type DurationModel } from "../api/options.js";
import { dependentError, isStoredError } from "../api/stored-error.js";
import type { TaskContext } from "../api/task-context.js";
import type { CoreWorker } from "../api/core-worker.js";
import type { TaskSpec } from "../task-spec.js";
import type { ObjectStore } from "./object-store.js";
import type { Allocation, ResourcePool } from "./resource-pool.js";
import { msToFractionalUs } from "../units.js";
import { assert, InvariantViolation } from "../assert.js";

export type AttemptOutcome =
  | { readonly kind: "ok"; readonly value: unknown }
  | { readonly kind: "error"; readonly error: RayError; readonly userError: unknown }
  | {
      readonly kind: "crashed";
      readonly how: Exclude<ExecutionOutcome, "ok" | "gpu-out-of-memory">;
    };

export interface RunningAttempt {
  readonly spec: TaskSpec;
  readonly allocation: Allocation;
  readonly context: TaskContext;
  readonly startUs: number;
  executionId: ExecutionId | undefined;
  executionDone: boolean;
  bodyDone: boolean;
  bodyOutcome: AttemptOutcome | undefined;
  finished: boolean;
}

/** Argument values, or the error of the first argument that is an error value. */
export function resolveArgs(
  spec: TaskSpec,
  store: ObjectStore,
): { values: unknown[] } | { error: RayError } {
  const values: unknown[] = [];
  for (const a of spec.args) {
    if (!("ref" in a)) {
      values.push(a.value);
      continue;
    }
    const v = store.get(a.ref);
    if (isStoredError(v)) return { error: dependentError(spec.taskId, spec.name, v.error) };
    values.push(v);
  }
  return { values };
}

export interface StartOptions {
  readonly env: Env;
  readonly spec: TaskSpec;
  readonly allocation: Allocation;
  readonly pool: ResourcePool;
  readonly worker: CoreWorker;
  readonly nodeName: string;
  readonly durationModel: DurationModel;
  readonly args: readonly unknown[];
  /** The user's code, called inside the task context. */
  readonly body: (args: readonly unknown[]) => unknown;
  readonly done: (attempt: RunningAttempt, outcome: AttemptOutcome) => void;
}

export function startAttempt(o: StartOptions): RunningAttempt {
  assert(
    o.spec.kind !== "actor-method" || o.spec.method !== undefined,
    `task runner: actor call ${o.spec.taskId} names no method`,
  );
  assert(o.spec.attempt >= 0, `task runner: ${o.spec.taskId} has attempt ${o.spec.attempt}`);
  const gpuIds = o.allocation.gpus.map((g) => g.index);
  const gpuModel = gpuIds.length > 0 ? o.pool.gpuSpec(gpuIds[0]!).model : undefined;
  const speedFactor = gpuIds.length > 0 ? o.pool.gpuSpec(gpuIds[0]!).speedFactor : 1;
  const attempt = newAttempt(o, gpuIds);
  const durationMs = drawAttemptDurationMs(o, attempt, gpuModel);
  assert(durationMs >= 0, `task runner: ${o.spec.name} drew duration ${durationMs} ms`);
  assert(speedFactor > 0, `task runner: GPU speed factor ${speedFactor} on ${o.nodeName}`);
  const finish = (outcome: AttemptOutcome) => {
    if (attempt.finished) return;
    attempt.finished = true;
    attempt.context.dead = true;
    o.done(attempt, outcome);
  };
  const maybeFinish = () => {
    if (attempt.executionDone && attempt.bodyDone) finish(attempt.bodyOutcome!);
  };
  o.env.trace({
    kind: "task.started",
    taskId: o.spec.taskId,
    name: o.spec.name,
    gpus: gpuIds.join(" "),
    attempt: o.spec.attempt,
  });
  const memoryBytes = o.allocation.gpuMemoryBytes;
  // What the raylet believes is free once this launch holds its memory; the hardware may know better.
  const gpuFreeMemoryBytes =
    memoryBytes > 0 ? gpuIds.map((g) => o.pool.freeGpuMemoryBytes(g)) : undefined;
  attempt.executionId = o.env.execute(
    {
      name: o.spec.name,
      taskId: o.spec.taskId,
      attempt: o.spec.attempt,
      gpuIds,
      durationUs: Math.round(msToFractionalUs(durationMs) / speedFactor),
      gpuFreeMemoryBytes,
    },
    (outcome) => executionEnded(o, attempt, outcome, memoryBytes, finish, maybeFinish),
  );
  if (!attempt.bodyDone) runBody(o, attempt, maybeFinish);
  return attempt;
}

function newAttempt(o: StartOptions, gpuIds: number[]): RunningAttempt {
  const context: TaskContext = {
    isDriver: false,
    taskId: o.spec.taskId,
    attempt: o.spec.attempt,
    nodeName: o.nodeName,
    gpuIds,
    worker: o.worker,
    actorId: o.spec.actorId,
    childCount: 0,
    putCount: 0,
    dead: false,
  };
  return {
    spec: o.spec,
    allocation: o.allocation,
    context,
    startUs: o.env.nowUs(),
    executionId: undefined,
    executionDone: false,
    bodyDone: false,
    bodyOutcome: undefined,
    finished: false,
  };
}

/** A duration model that throws is the attempt's error (its body never runs): 0 ms, then fail. */
function drawAttemptDurationMs(
  o: StartOptions,
  attempt: RunningAttempt,
  gpuModel: string | undefined,
): number {
  try {
    return drawDurationMs(o.durationModel, o.args, { gpuModel, nodeName: o.nodeName }, () =>
      o.env.freshRng(`duration/${o.spec.taskId}`),
    );
  } catch (e) {
    attempt.bodyDone = true;
    attempt.bodyOutcome = {
      kind: "error",
      error: new TaskError(o.spec.taskId, o.spec.name, e),
      userError: e,
    };
    return 0;
  }
}

function executionEnded(
  o: StartOptions,
  attempt: RunningAttempt,
  outcome: ExecutionOutcome,
  memoryBytes: number,
  finish: (outcome: AttemptOutcome) => void,
  maybeFinish: () => void,
): void {
  // The world ends an execution once: it completes, or a fault ends it first.
  assert(
    !attempt.executionDone,
    `task runner: execution of ${o.spec.taskId}#${o.spec.attempt} ended twice`,
  );
  attempt.executionDone = true;
  if (outcome === "gpu-out-of-memory") {
    // An error of the attempt, like an exception (retryExceptions decides), not a crash.
    const oom = new GpuOutOfMemoryError(
      o.spec.taskId,
      o.spec.name,
      o.nodeName,
      attempt.context.gpuIds[0]!,
      memoryBytes,
    );
    return finish({ kind: "error", error: oom, userError: oom });
  }
  if (outcome !== "ok") return finish({ kind: "crashed", how: outcome });
  maybeFinish();
}

function runBody(o: StartOptions, attempt: RunningAttempt, maybeFinish: () => void): void {
  const settle = (outcome: AttemptOutcome) => {
    if (attempt.bodyDone) return;
    attempt.bodyDone = true;
    attempt.bodyOutcome = outcome;
    maybeFinish();
  };
  const fail = (e: unknown) => {
    // A bug in raysim (a failed assertion, a bound exceeded) stops the run; it is not the task's error.
    if (e instanceof InvariantViolation) throw e;
    settle({ kind: "error", error: new TaskError(o.spec.taskId, o.spec.name, e), userError: e });
  };
  try {
    const result = o.env.taskContext.run(attempt.context, () => o.body(o.args));
    if (result instanceof Promise) {
      result.then((value) => settle({ kind: "ok", value }), fail);
      // Its reactions run on the microtask queue, which the event loop drains only when it yields
      // for a settled user promise: without this, an async body that awaits nothing of Ray's
      // would never be seen to end.
      o.env.userDeferred<void>(`body of ${o.spec.name}`).resolve();
    } else settle({ kind: "ok", value: result });
  } catch (e) {
    fail(e);
  }
}
