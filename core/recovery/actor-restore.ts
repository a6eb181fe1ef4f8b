/**
 * Restoring a restarted actor in "replay" mode (Ray 2018, paper §4.2.3 and Fig 11b): load the last
 * checkpoint from durable storage (paying the read), then re-execute, in the original order, every
 * call the actor ran after it — read back from the GCS (the actor's stateful-edge chain and the
 * task table) — regenerating the same result objects. Also the checkpoint side: every
 * `checkpointInterval` calls the actor's state is written to storage (paying the write, during
 * which the actor serves no call) and the GCS records which calls it covers.
 */
import { assert } from "../assert.js";
import type { Env } from "../env.js";
import type { ActorId, TaskId } from "../ids.js";
import type { GcsClient } from "../gcs/client.js";
import type { ActorLog } from "../gcs/messages.js";
import type { TaskRow } from "../gcs/tables.js";
import type { TaskSpec } from "../task-spec.js";

export function checkpointKey(actorId: ActorId): string {
  return `checkpoint/${actorId}`;
}

interface Checkpointable {
  saveCheckpoint?: () => unknown;
  loadCheckpoint?: (state: unknown) => void;
}

/** The class's own checkpoint, or a deep copy of its fields. */
export function snapshotState(instance: Record<string, unknown>): unknown {
  const c = instance as Checkpointable;
  if (typeof c.saveCheckpoint === "function") return c.saveCheckpoint();
  try {
    return structuredClone({ ...instance });
  } catch {
    return { ...instance };
  }
}

export function restoreState(instance: Record<string, unknown>, state: unknown): void {
  const c = instance as Checkpointable;
  if (typeof c.loadCheckpoint === "function") return c.loadCheckpoint(state);
  let copy: unknown = state;
  try {
    copy = structuredClone(state);
  } catch {
    // Fields that cannot be cloned are shared as they are.
  }
  Object.assign(instance, copy as object);
}

export interface RestoreHost {
  readonly env: Env;
  readonly gcs: GcsClient;
}

/**
 * Reads the checkpoint and the chain after it; calls `done` with the checkpoint's seq and the
 * specs to replay, in execution order.
 */
export function readRestorePlan(
  host: RestoreHost,
  actorId: ActorId,
  instance: Record<string, unknown>,
  done: (checkpointSeq: number, replay: TaskSpec[], loadUs: number) => void,
): void {
  host.gcs.call({ op: "actor.getLog", actorId }, (result) => {
    const log = result as ActorLog;
    let loadUs = 0;
    const afterCheckpoint = () =>
      readSpecs(host, log.calls, (specs) => done(log.checkpointSeq, specs, loadUs));
    if (log.checkpointSeq === 0) return afterCheckpoint();
    const startUs = host.env.nowUs();
    host.env.storage.read(checkpointKey(actorId), (found, value) => {
      loadUs = host.env.nowUs() - startUs;
      assert(
        found,
        `actor ${actorId}: the GCS records a checkpoint at ${log.checkpointSeq} but storage has none`,
      );
      const saved = value as { seq: number; state: unknown };
      // Storage is written before the GCS records the checkpoint, so it is never the older one.
      assert(
        saved.seq >= log.checkpointSeq,
        `actor ${actorId}: storage holds checkpoint ${saved.seq}, older than the GCS's ${log.checkpointSeq}`,
      );
      restoreState(instance, saved.state);
      afterCheckpoint();
    });
  });
}

function readSpecs(
  host: RestoreHost,
  calls: readonly TaskId[],
  done: (specs: TaskSpec[]) => void,
): void {
  if (calls.length === 0) return done([]);
  const specs = new Array<TaskSpec | undefined>(calls.length);
  let left = calls.length;
  calls.forEach((taskId, i) => {
    host.gcs.call({ op: "task.get", taskId }, (row) => {
      specs[i] = (row as TaskRow | undefined)?.spec;
      if (--left === 0) done(specs.filter((s): s is TaskSpec => s !== undefined));
    });
  });
}

/** Writes a checkpoint of the actor's state covering its first `seq` calls. */
export function writeCheckpoint(
  host: RestoreHost,
  actorId: ActorId,
  instance: Record<string, unknown>,
  seq: number,
  sizeBytes: number,
  done: () => void,
): void {
  assert(seq >= 1, `actor ${actorId}: a checkpoint must cover at least one call, got seq ${seq}`);
  assert(sizeBytes >= 0, `actor ${actorId}: checkpoint size ${sizeBytes} bytes`);
  const startUs = host.env.nowUs();
  const state = snapshotState(instance);
  host.env.storage.write(checkpointKey(actorId), { seq, state }, sizeBytes, () => {
    host.gcs.call({ op: "actor.checkpoint", actorId, seq });
    host.env.trace({ kind: "actor.checkpointed", actorId, seq, sizeBytes, startUs });
    done();
  });
}
