/**
 * Restoring a restarted actor in "replay" mode (Ray 2018, paper §4.2.3 and Fig 11b): load the last
 * checkpoint from durable storage (paying the read), then re-execute, in the original order, every
 * call the actor ran after it — read back from the GCS (the actor's stateful-edge chain and the
 * task table) — regenerating the same result objects. Also the checkpoint side: every
 * `checkpointInterval` calls the actor's state is written to storage (paying the write, during
 * which the actor serves no call) and the GCS records which calls it covers. A checkpoint holds, with
 * the state, each caller handle's next seq (as Ray 0.x's ActorCheckpointData held handle ids and
 * task counters): a call it covers whose completion died with the node is resent, and the restored
 * instance must know it ran.
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

/** What storage holds for an actor's checkpoint. */
interface SavedCheckpoint {
  /** The checkpoint covers the actor's first `seq` calls. */
  readonly seq: number;
  readonly state: unknown;
  /** Per caller handle, the seq after its last call the checkpoint covers. */
  readonly handleSeqs: ReadonlyArray<readonly [string, number]>;
}

/**
 * Reads the checkpoint and the chain after it; calls `done` with the checkpoint's seq, its
 * per-handle next seqs and the specs to replay, in execution order.
 */
export function readRestorePlan(
  host: RestoreHost,
  actorId: ActorId,
  instance: Record<string, unknown>,
  done: (
    checkpointSeq: number,
    handleSeqs: ReadonlyMap<string, number>,
    replay: TaskSpec[],
    loadUs: number,
  ) => void,
): void {
  host.gcs.call({ op: "actor.getLog", actorId }, (result) => {
    const log = result as ActorLog;
    let loadUs = 0;
    const afterCheckpoint = (seq: number, handleSeqs: ReadonlyMap<string, number>) =>
      // The log lists calls from the GCS's checkpoint on; storage's may be newer (the node died
      // between the write and the GCS's record): its calls are in the state already.
      readSpecs(host, log.calls.slice(seq - log.checkpointSeq), (specs) =>
        done(seq, handleSeqs, specs, loadUs),
      );
    if (log.checkpointSeq === 0) return afterCheckpoint(0, new Map());
    const startUs = host.env.nowUs();
    host.env.storage.read(checkpointKey(actorId), (found, value) => {
      loadUs = host.env.nowUs() - startUs;
      assert(
        found,
        `actor ${actorId}: the GCS records a checkpoint at ${log.checkpointSeq} but storage has none`,
      );
      const saved = value as SavedCheckpoint;
      // Storage is written before the GCS records the checkpoint, so it is never the older one.
      assert(
        saved.seq >= log.checkpointSeq,
        `actor ${actorId}: storage holds checkpoint ${saved.seq}, older than the GCS's ${log.checkpointSeq}`,
      );
      restoreState(instance, saved.state);
      afterCheckpoint(saved.seq, new Map(saved.handleSeqs));
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

/**
 * Writes a checkpoint of the actor's state covering its first `seq` calls, with `handleSeqs`: per
 * caller handle, the seq after its last call among them.
 */
export function writeCheckpoint(
  host: RestoreHost,
  actorId: ActorId,
  instance: Record<string, unknown>,
  seq: number,
  handleSeqs: ReadonlyMap<string, number>,
  sizeBytes: number,
  done: () => void,
): void {
  assert(seq >= 1, `actor ${actorId}: a checkpoint must cover at least one call, got seq ${seq}`);
  assert(sizeBytes >= 0, `actor ${actorId}: checkpoint size ${sizeBytes} bytes`);
  const startUs = host.env.nowUs();
  const state = snapshotState(instance);
  const saved: SavedCheckpoint = { seq, state, handleSeqs: [...handleSeqs] };
  host.env.storage.write(checkpointKey(actorId), saved, sizeBytes, () => {
    host.gcs.call({ op: "actor.checkpoint", actorId, seq });
    host.env.trace({ kind: "actor.checkpointed", actorId, seq, sizeBytes, startUs });
    done();
  });
}
