/**
 * Deterministic ids (DESIGN.md): a task id derives from its parent's task id and the parent's
 * running count of children; an object id is its task id plus the return index. Re-running a task
 * therefore recreates the same ids for its returns and for every child it submits, which is what
 * lets lineage reconstruction and actor replay regenerate "the same" objects.
 */
import { assert } from "./assert.js";

export type TaskId = string & { readonly __brand: "TaskId" };
export type ObjectId = string & { readonly __brand: "ObjectId" };
export type ActorId = string & { readonly __brand: "ActorId" };

/** The driver's own pseudo-task: the root of every lineage. */
export const DRIVER_TASK_ID = "d" as TaskId;

export function childTaskId(parent: TaskId, childIndex: number): TaskId {
  assert(childIndex >= 0, "childTaskId: negative index");
  return (parent === DRIVER_TASK_ID ? `t${childIndex}` : `${parent}.${childIndex}`) as TaskId;
}

export function returnObjectId(task: TaskId, returnIndex: number): ObjectId {
  assert(returnIndex >= 0, "returnObjectId: negative index");
  return `${task}:${returnIndex}` as ObjectId;
}

/** `put` objects are numbered per task apart from returns, so they never collide with them. */
export function putObjectId(task: TaskId, putIndex: number): ObjectId {
  return `${task}:p${putIndex}` as ObjectId;
}

export function isPutObjectId(id: ObjectId): boolean {
  return id.lastIndexOf(":p") > id.lastIndexOf(".");
}

/** The task that created an object (its lineage entry). */
export function creatingTaskId(id: ObjectId): TaskId {
  const colon = id.lastIndexOf(":");
  assert(colon > 0, `object id ${id} has no task part`);
  return id.slice(0, colon) as TaskId;
}

export function returnIndexOf(id: ObjectId): number {
  const suffix = id.slice(id.lastIndexOf(":") + 1);
  return suffix.startsWith("p") ? -1 : Number(suffix);
}

/** An actor is named by the task that created it. */
export function actorIdOf(creationTask: TaskId): ActorId {
  return `a:${creationTask}` as ActorId;
}

/** Stable 32-bit hash (FNV-1a) for sharding ids across GCS shards. */
export function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
