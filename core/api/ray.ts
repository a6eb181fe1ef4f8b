/**
 * The program-facing API (API.md "The driver API"): `remote`, `actor`, `get`, `wait`, `put`,
 * `kill`, `sleep`, `now`, `nodes`, `getRuntimeContext`. The same object serves the driver and task
 * bodies: each call goes through the core worker of whoever is running — the task context carried
 * across awaits says which — so nested tasks are attributed to their parent in the lineage.
 */
import { assert } from "../assert.js";
import type { Env, TaskContextPort } from "../env.js";
import type { ActorId, ObjectId } from "../ids.js";
import { ConfigError } from "./errors.js";
import {
  FunctionTable,
  type AnyClass,
  type AnyFunction,
  type FunctionEntry,
} from "./function-table.js";
import { ObjectRef, isObjectRef } from "./object-ref.js";
import {
  checkAmount,
  checkCount,
  resolveActorOptions,
  resolveRemoteOptions,
  type ActorOptions,
  type OptionDefaults,
  type RemoteOptions,
} from "./options.js";
import type { TaskContext } from "./task-context.js";
import { msToUs, usToMs } from "../units.js";

type MaybeRef<T> = T | ObjectRef<T>;
type RefArgs<A extends unknown[]> = { [K in keyof A]: MaybeRef<A[K]> };

export interface RemoteFunction<A extends unknown[], R> {
  readonly functionName: string;
  /** Submits the task; with `numReturns > 1` the result is an array of that many refs. */
  remote(...args: RefArgs<A>): ObjectRef<Awaited<R>>;
  options(overrides: RemoteOptions): RemoteFunction<A, R>;
}

type MethodsOf<T> = {
  [K in keyof T as T[K] extends (...a: never[]) => unknown ? K : never]: T[K] extends (
    ...a: infer A
  ) => infer R
    ? { remote(...args: RefArgs<A>): ObjectRef<Awaited<R>> }
    : never;
};

export type ActorHandle<T> = MethodsOf<T> & {
  readonly actorId: ActorId;
  readonly className: string;
};

export interface ActorClass<C extends AnyClass> {
  readonly className: string;
  remote(...args: RefArgs<ConstructorParameters<C>>): ActorHandle<InstanceType<C>>;
}

export interface NodeInfo {
  name: string;
  id: string;
  alive: boolean;
  resources: Record<string, number>;
  incarnation: number;
}

export interface RuntimeContext {
  taskId: string;
  nodeName: string;
  gpuIds: number[];
  attempt: number;
  actorId: string | undefined;
}

export interface RayHost {
  readonly env: Env;
  readonly functions: FunctionTable;
  readonly defaults: OptionDefaults;
  readonly driverContext: TaskContext;
  nodes(): NodeInfo[];
}

const HANDLE_FIELDS = new Set<string | symbol>([
  "actorId",
  "className",
  "then",
  "toJSON",
  "constructor",
]);

export class Ray {
  constructor(private readonly host: RayHost) {}

  private get context(): TaskContext {
    const port = this.host.env.taskContext as TaskContextPort<TaskContext>;
    return port.current() ?? this.host.driverContext;
  }

  remote<A extends unknown[], R>(
    fn: (...args: A) => R,
    options: RemoteOptions = {},
  ): RemoteFunction<A, R> {
    if (typeof fn !== "function")
      throw new ConfigError(`remote(fn): fn must be a function, got ${typeof fn}`);
    return this.makeRemote(fn, fn.name || "anonymous", options);
  }

  private makeRemote<A extends unknown[], R>(
    fn: AnyFunction,
    fnName: string,
    options: RemoteOptions,
  ): RemoteFunction<A, R> {
    const resolved = resolveRemoteOptions(fnName, options, this.host.defaults);
    const entry: FunctionEntry = {
      kind: "function",
      id: this.host.functions.newId(resolved.name),
      fn,
      options: resolved,
    };
    this.host.functions.register(entry);
    return {
      functionName: resolved.name,
      remote: (...args: unknown[]) => {
        const ctx = this.context;
        const ids = ctx.worker.submitTask(ctx, entry, args);
        assert(
          ids.length === resolved.numReturns,
          `remote ${resolved.name}: ${ids.length} return ids for numReturns ${resolved.numReturns}`,
        );
        const refs = ids.map((id) => new ObjectRef(id));
        return (resolved.numReturns === 1 ? refs[0] : refs) as ObjectRef<Awaited<R>>;
      },
      options: (overrides: RemoteOptions) =>
        this.makeRemote<A, R>(fn, fnName, { ...options, ...overrides }),
    };
  }

  actor<C extends AnyClass>(cls: C, options: ActorOptions = {}): ActorClass<C> {
    if (typeof cls !== "function")
      throw new ConfigError(`actor(cls): cls must be a class, got ${typeof cls}`);
    const resolved = resolveActorOptions(cls.name || "Actor", options, this.host.defaults);
    for (const m of Object.keys(resolved.methods)) {
      if (typeof (cls.prototype as Record<string, unknown>)[m] !== "function")
        throw new ConfigError(`actor(${resolved.name}).methods.${m}: the class has no method ${m}`);
    }
    const entry: FunctionEntry = {
      kind: "actor-class",
      id: this.host.functions.newId(resolved.name),
      cls,
      options: resolved,
    };
    this.host.functions.register(entry);
    return {
      className: resolved.name,
      remote: (...args: unknown[]) => {
        const ctx = this.context;
        const actorId = ctx.worker.createActor(ctx, entry, args);
        return this.makeHandle(entry, actorId) as ActorHandle<InstanceType<C>>;
      },
    };
  }

  private makeHandle(entry: FunctionEntry & { kind: "actor-class" }, actorId: ActorId): object {
    // The creator's handle is named by the actor alone, so a retried creator's calls carry the
    // same (handle, seq) as its first attempt's and the actor drops the ones it already accepted.
    const handleId = `${actorId}/h`;
    let seq = 0;
    const methods = new Map<string, { remote: (...args: unknown[]) => unknown }>();
    const proto = entry.cls.prototype as Record<string, unknown>;
    const target = { actorId, className: entry.options.name };
    return new Proxy(target, {
      get: (t, prop) => {
        if (HANDLE_FIELDS.has(prop) || typeof prop === "symbol")
          return (t as Record<string | symbol, unknown>)[prop];
        if (typeof proto[prop] !== "function")
          throw new ConfigError(`actor ${entry.options.name} has no method ${String(prop)}`);
        let m = methods.get(prop);
        if (m === undefined) {
          m = {
            remote: (...args: unknown[]) => {
              const ctx = this.context;
              const ids = ctx.worker.submitActorCall(
                ctx,
                entry,
                actorId,
                handleId,
                seq++,
                prop,
                args,
              );
              const refs = ids.map((id) => new ObjectRef(id));
              return refs.length === 1 ? refs[0] : refs;
            },
          };
          methods.set(prop, m);
        }
        return m;
      },
    });
  }

  async get<T>(refs: ObjectRef<T>, options?: { timeoutMs?: number }): Promise<T>;
  async get<T>(refs: readonly ObjectRef<T>[], options?: { timeoutMs?: number }): Promise<T[]>;
  async get(
    refs: ObjectRef | readonly ObjectRef[],
    options: { timeoutMs?: number } = {},
  ): Promise<unknown> {
    const single = !Array.isArray(refs);
    const list = (single ? [refs] : refs) as readonly ObjectRef[];
    const ids = checkRefs("get", list);
    const timeoutMs =
      options.timeoutMs === undefined
        ? undefined
        : checkAmount("get({ timeoutMs })", options.timeoutMs);
    const ctx = this.context;
    const values = await ctx.worker.get(ctx, ids, timeoutMs);
    assert(values.length === ids.length, `get: ${values.length} values for ${ids.length} refs`);
    return single ? values[0] : values;
  }

  /**
   * Ready when the object is local (`fetchLocal`, the default, as in Ray), or with
   * `fetchLocal: false` as soon as a copy exists anywhere in the cluster.
   */
  async wait<T>(
    refs: readonly ObjectRef<T>[],
    options: { numReturns?: number; timeoutMs?: number; fetchLocal?: boolean } = {},
  ): Promise<[ObjectRef<T>[], ObjectRef<T>[]]> {
    const ids = checkRefs("wait", refs);
    const numReturns = checkCount("wait({ numReturns })", options.numReturns ?? 1, 0);
    if (numReturns > refs.length)
      throw new ConfigError(
        `wait({ numReturns }) must be <= the number of refs (${refs.length}), got ${numReturns}`,
      );
    const timeoutMs =
      options.timeoutMs === undefined
        ? undefined
        : checkAmount("wait({ timeoutMs })", options.timeoutMs);
    const ctx = this.context;
    const readyIds = await ctx.worker.wait(
      ctx,
      ids,
      numReturns,
      timeoutMs,
      options.fetchLocal ?? true,
    );
    assert(
      readyIds.length <= numReturns,
      `wait: ${readyIds.length} ready, more than numReturns ${numReturns}`,
    );
    const readySet = new Set(readyIds);
    const byId = new Map(refs.map((r) => [r.id, r] as const));
    const ready = readyIds.map((id) => byId.get(id)!);
    const notReady = refs.filter((r) => !readySet.has(r.id));
    return [ready, notReady];
  }

  put<T>(value: T, options: { sizeBytes?: number } = {}): ObjectRef<T> {
    const sizeBytes = checkAmount(
      "put({ sizeBytes })",
      options.sizeBytes ?? this.host.defaults.returnBytes,
    );
    const ctx = this.context;
    return new ObjectRef<T>(ctx.worker.put(ctx, value, sizeBytes));
  }

  kill(handle: { actorId: ActorId }, options: { noRestart?: boolean } = {}): void {
    if (handle === null || typeof handle !== "object" || typeof handle.actorId !== "string")
      throw new ConfigError("kill(handle): handle must be an actor handle");
    const ctx = this.context;
    ctx.worker.killActor(handle.actorId, options.noRestart ?? true);
  }

  /** Lets virtual time pass; inside a task it holds the task's slot like real sleeping code. */
  sleep(ms: number): Promise<void> {
    const delayMs = checkAmount("sleep(ms)", ms);
    const ctx = this.context;
    const env = ctx.worker.env;
    const d = env.userDeferred<void>(`sleep(${delayMs} ms) at ${ctx.nodeName}`);
    env.setTimer(msToUs(delayMs), () => d.resolve());
    return d.promise;
  }

  now(): number {
    return usToMs(this.host.env.nowUs());
  }

  nodes(): NodeInfo[] {
    return this.host.nodes();
  }

  getRuntimeContext(): RuntimeContext {
    const ctx = this.context;
    return {
      taskId: ctx.taskId,
      nodeName: ctx.nodeName,
      gpuIds: [...ctx.gpuIds],
      attempt: ctx.attempt,
      actorId: ctx.actorId,
    };
  }
}

function checkRefs(call: string, refs: readonly unknown[]): ObjectId[] {
  if (!Array.isArray(refs))
    throw new ConfigError(`${call}(refs): refs must be an ObjectRef or an array of them`);
  return refs.map((r, i) => {
    if (!isObjectRef(r))
      throw new ConfigError(`${call}(refs): refs[${i}] must be an ObjectRef, got ${typeof r}`);
    return r.id;
  });
}
