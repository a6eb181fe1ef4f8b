/**
 * What a running task's body knows about itself, carried across its awaits by the Env's task
 * context port: its id and attempt (to derive its children's ids), where it runs, its GPUs, and the
 * node's core worker its nested calls go through. The driver has one too (the root of lineage).
 */
import type { Env } from "../env.js";
import type { ActorId, ObjectId, TaskId } from "../ids.js";
import type { FunctionEntry } from "./function-table.js";

/**
 * What a task body's calls reach of its node's core worker (core-worker.ts implements it): the
 * Ray API (api/ray.ts) goes through this port alone, so the context does not import the worker.
 */
export interface TaskWorker {
  readonly env: Env;
  submitTask(
    ctx: TaskContext,
    entry: FunctionEntry & { kind: "function" },
    args: readonly unknown[],
  ): ObjectId[];
  createActor(
    ctx: TaskContext,
    entry: FunctionEntry & { kind: "actor-class" },
    args: readonly unknown[],
  ): ActorId;
  submitActorCall(
    ctx: TaskContext,
    entry: FunctionEntry & { kind: "actor-class" },
    actorId: ActorId,
    handleId: string,
    handleSeq: number,
    method: string,
    args: readonly unknown[],
  ): ObjectId[];
  get(
    ctx: TaskContext,
    ids: readonly ObjectId[],
    timeoutMs: number | undefined,
  ): Promise<unknown[]>;
  wait(
    ctx: TaskContext,
    ids: readonly ObjectId[],
    numReturns: number,
    timeoutMs: number | undefined,
    fetchLocal?: boolean,
  ): Promise<ObjectId[]>;
  put(ctx: TaskContext, value: unknown, sizeBytes: number): ObjectId;
  killActor(actorId: ActorId, noRestart: boolean): void;
}

export interface TaskContext {
  /** The driver's own context, or a task's. */
  readonly isDriver: boolean;
  readonly taskId: TaskId;
  readonly attempt: number;
  readonly nodeName: string;
  readonly gpuIds: readonly number[];
  readonly worker: TaskWorker;
  readonly actorId: ActorId | undefined;
  /** Children submitted so far: the next child's id is derived from this count. */
  childCount: number;
  putCount: number;
  /** The worker died (or the attempt was abandoned): further calls from this body are refused. */
  dead: boolean;
}
