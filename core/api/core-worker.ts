/**
 * The core worker: the library a driver or a task's worker uses to talk to the cluster (Ray's
 * CoreWorker). It submits tasks to its node's raylet and records them in the GCS task table,
 * fetches objects through the raylet, and owns what it submits: when an attempt fails in a
 * retriable way (worker crash, node death found in the task table, retriable user error) it
 * resubmits while `maxRetries` allows, and otherwise stores the typed error as the value of the
 * task's returns so every `get` and dependent raises it.
 */
import { assert, assertBound, unreachable } from "../assert.js";
import {
  address,
  type Address,
  type Env,
  type Message,
  type Process,
  type TimerId,
  type UserDeferred,
} from "../env.js";
import {
  actorIdOf,
  childTaskId,
  putObjectId,
  returnObjectId,
  type ActorId,
  type ObjectId,
  type TaskId,
} from "../ids.js";
import { GcsClient } from "../gcs/client.js";
import type { GcsNotification, ResubmitResult, TaskAddResult } from "../gcs/messages.js";
import type { NodeRow, TaskRow } from "../gcs/tables.js";
import { hasRetriesLeft, type TaskArg, type TaskSpec } from "../task-spec.js";
import type { TaskCause, TaskKind } from "../trace.js";
import {
  CONTROL_MESSAGE_BYTES,
  type CoreWorkerMessage,
  type RayletMessage,
} from "../raylet/messages.js";
import { formatResources } from "../resources.js";
import {
  ActorDiedError,
  GetTimeoutError,
  NodeDiedError,
  ObjectReconstructionFailedLineageEvictedError,
  ObjectReconstructionFailedMaxAttemptsExceededError,
  ObjectStoreFullError,
  RayError,
  TaskUnschedulableError,
  WorkerCrashedError,
} from "./errors.js";
import type { FunctionEntry } from "./function-table.js";
import { ActorClient } from "./actor-client.js";
import { OwnedTasks } from "./owned-tasks.js";
import { isObjectRef } from "./object-ref.js";
import { isStoredError } from "./stored-error.js";
import type { TaskContext } from "./task-context.js";
import { msToUs } from "../units.js";

export interface CoreWorkerConfig {
  readonly nodeName: string;
  readonly incarnation: number;
  readonly gcsShards: readonly Address[];
  /** Capacity of the local object store: a put larger than this fails at once. */
  readonly objectStoreBytes: number;
  readonly defaultReturnBytes: number;
}

interface Fetch {
  readonly ids: readonly ObjectId[];
  readonly values: Map<ObjectId, unknown>;
  readonly ready: ObjectId[];
  readonly need: number;
  readonly deferred: UserDeferred<unknown>;
  readonly kind: "get" | "wait";
  /** wait({ fetchLocal: false }): ready once a copy exists anywhere. */
  readonly locateOnly: boolean;
  readonly blockedTask: TaskId | undefined;
  timer: TimerId | undefined;
}

/** A wait's request to the raylet, which goes on after the wait returns (see `seenLocal`). */
interface WaitRequest {
  readonly locateOnly: boolean;
  /** Ids not answered yet. */
  readonly left: Set<ObjectId>;
}

/** Ids remembered as seen ready: a hint cache, oldest forgotten first. */
export const MAX_SEEN_READY = 1_000_000;

/** Tasks one owner has submitted and not yet seen finish. */
export const MAX_OWNED_TASKS = 4_000_000;
/** Done tasks whose lineage an owner keeps until their node's death shows whether it is needed. */
export const MAX_DONE_KEPT = 1_000_000;
/** Gets and waits in flight at one core worker (a blocked task has one at a time). */
export const MAX_PENDING_GETS = 1_000_000;

export class CoreWorker implements Process {
  readonly gcs: GcsClient;
  private readonly raylet: Address;
  readonly owned = new OwnedTasks();
  private readonly fetches = new Map<number, Fetch>();
  /**
   * Objects this worker's raylet reported local (or, `seenAnywhere`, located somewhere), including
   * answers that came after the wait that asked had returned, and errors this worker stored. A
   * wait counts them at once, so polling with `timeoutMs: 0` converges, as with Ray's in-process
   * store. A copy evicted since still counts: wait's answer is a hint; get fetches again.
   */
  private readonly seenLocal = new Set<ObjectId>();
  private readonly seenAnywhere = new Set<ObjectId>();
  /** Waits' raylet requests still going on, by request id; and per id, how many ask for it. */
  private readonly waitRequests = new Map<number, WaitRequest>();
  private readonly askedLocal = new Map<ObjectId, number>();
  private readonly askedAnywhere = new Map<ObjectId, number>();
  private nextFetchId = 0;
  /**
   * Plain tasks seen done, with the node (and the incarnation this worker knew) that ran them: the
   * lineage an owner keeps, as Ray's does, while their outputs may exist only there. The node sends
   * "done" at once, but its object-table writes can wait for the GCS (a head down with the master)
   * and die with it: then no copy is ever announced, and no reader can tell the object is lost. A
   * hint cache like `seenLocal`: oldest forgotten first.
   */
  private readonly doneKept = new Map<
    TaskId,
    { spec: TaskSpec; node: string; incarnation: number }
  >();
  readonly actors: ActorClient;
  readonly nodeRows = new Map<string, NodeRow>();
  tasksSubmitted = 0;

  constructor(
    readonly env: Env,
    readonly config: CoreWorkerConfig,
  ) {
    this.raylet = address("raylet", config.nodeName);
    this.actors = new ActorClient(this);
    this.gcs = new GcsClient(env, config.gcsShards);
    this.gcs.onNotification((n) => this.onNotification(n));
    this.gcs.subscribeNodes(false, (row) => {
      // A row read again may be older than a notification that overtook it: that one stands.
      const known = this.nodeRows.get(row.node);
      if (known === undefined || !olderNodeRow(row, known))
        this.onNotification({ table: "node", key: row.node, row });
    });
  }

  onMessage(from: Address, message: Message): void {
    if (this.gcs.handle(message)) return;
    const m = message as CoreWorkerMessage;
    switch (m.type) {
      case "cw.fetched":
        return this.fetched(m.reqId, m.objectId, m.value);
      case "cw.taskDone": {
        assert(m.attempt >= 0, `core worker: taskDone for ${m.taskId} with attempt ${m.attempt}`);
        // A newer attempt finishing (an actor's replay of a call) also completes it.
        const t = this.owned.get(m.taskId);
        if (t === undefined || t.spec.attempt > m.attempt) return;
        this.owned.delete(m.taskId);
        return this.keepUntilRecorded({ ...t.spec, attempt: m.attempt }, nodeOfAddress(from));
      }
      case "cw.taskFailed":
        if (m.spec.kind === "actor-method" && m.error instanceof ActorDiedError)
          return this.actors.callBounced(m.spec, from.slice(from.indexOf("@") + 1));
        return this.attemptFailed(m.spec, m.error, m.retriable);
      case "cw.actorOutputLost":
        return this.actors.outputLost(m.objectId, m.spec);
      case "cw.taskUnschedulable":
        return this.failForGood(
          m.spec,
          new TaskUnschedulableError(m.spec.taskId, m.spec.name, formatResources(m.spec.resources)),
        );
      default:
        unreachable(m, "core worker message");
    }
  }

  // ---- submission ----

  /** Builds and submits a task; returns its return object ids. */
  submitTask(
    ctx: TaskContext,
    entry: FunctionEntry & { kind: "function" },
    args: readonly unknown[],
  ): ObjectId[] {
    const o = entry.options;
    const base = this.makeSpec(ctx, "task", entry.id, o.name, args, o.numReturns, {
      resources: o.resources,
      returnBytes: o.returnBytes,
      maxRetries: o.maxRetries,
      retryExceptions: o.retryExceptions,
    });
    const spec: TaskSpec =
      o.gpuMemoryBytes > 0 ? { ...base, gpuMemoryBytes: o.gpuMemoryBytes } : base;
    this.submitOnce(ctx, spec, (latest) => this.sendToRaylet(latest));
    return [...spec.returnIds];
  }

  createActor(
    ctx: TaskContext,
    entry: FunctionEntry & { kind: "actor-class" },
    args: readonly unknown[],
  ): ActorId {
    const o = entry.options;
    const spec = this.makeSpec(ctx, "actor-creation", entry.id, `${o.name}.__init__`, args, 0, {
      resources: o.resources,
      returnBytes: 0,
      maxRetries: o.maxRestarts,
      retryExceptions: false,
    });
    const actorId = actorIdOf(spec.taskId);
    const withActor: TaskSpec = {
      ...spec,
      actorId,
      recovery: o.recovery,
      ...(o.gpuMemoryBytes > 0 ? { gpuMemoryBytes: o.gpuMemoryBytes } : {}),
    };
    this.actors.ownCreation(withActor);
    this.submitOnce(ctx, withActor, (latest) => this.sendToRaylet(latest));
    return actorId;
  }

  submitActorCall(
    ctx: TaskContext,
    entry: FunctionEntry & { kind: "actor-class" },
    actorId: ActorId,
    handleId: string,
    handleSeq: number,
    method: string,
    args: readonly unknown[],
  ): ObjectId[] {
    const mo = entry.options.methods[method];
    const spec: TaskSpec = {
      ...this.makeSpec(
        ctx,
        "actor-method",
        entry.id,
        `${entry.options.name}.${method}`,
        args,
        mo?.numReturns ?? 1,
        {
          resources: {},
          returnBytes: mo?.returnBytes ?? this.config.defaultReturnBytes,
          maxRetries: entry.options.maxTaskRetries,
          retryExceptions: false,
        },
      ),
      actorId,
      method,
      handleId,
      handleSeq,
    };
    // The actor host drops a call it already accepted, so an adopted call may be sent again.
    this.submitOnce(ctx, spec, (latest) => this.actors.send(latest));
    return [...spec.returnIds];
  }

  killActor(actorId: ActorId, noRestart: boolean): void {
    this.actors.kill(actorId, noRestart);
  }

  get rayletAddress(): Address {
    return this.raylet;
  }

  /** The lowest handleSeq of `handleId` among the calls this worker owns and has not seen settled. */
  handleFloorSeq(handleId: string): number | undefined {
    return this.owned.floorSeq(handleId);
  }

  /** Owned calls to an actor that are not done, in submission order. */
  pendingCallsTo(actorId: ActorId): TaskSpec[] {
    const out: TaskSpec[] = [];
    for (const { spec } of this.owned.values())
      if (spec.actorId === actorId && spec.kind === "actor-method") out.push(spec);
    return out;
  }

  /** Submits a new attempt this worker decided on alone (an actor call retried across a restart). */
  resubmitLocally(spec: TaskSpec): void {
    assert(
      spec.kind === "actor-method",
      `core worker: only actor calls are resubmitted locally, got a ${spec.kind}`,
    );
    assert(
      spec.attempt >= 1,
      `core worker: local resubmission of ${spec.taskId} with attempt ${spec.attempt}`,
    );
    this.recordSubmission(spec);
    this.actors.send(spec);
  }

  put(ctx: TaskContext, value: unknown, sizeBytes: number): ObjectId {
    this.assertAlive(ctx);
    const id = putObjectId(ctx.taskId, ctx.putCount++);
    if (sizeBytes > this.config.objectStoreBytes)
      throw new ObjectStoreFullError(
        id,
        sizeBytes,
        this.config.objectStoreBytes,
        this.config.nodeName,
      );
    this.env.send(
      this.raylet,
      { type: "raylet.put", objectId: id, value, sizeBytes, fromPut: true } satisfies RayletMessage,
      CONTROL_MESSAGE_BYTES,
    );
    return id;
  }

  private makeSpec(
    ctx: TaskContext,
    kind: TaskKind,
    functionId: string,
    name: string,
    args: readonly unknown[],
    numReturns: number,
    o: Pick<TaskSpec, "resources" | "returnBytes" | "maxRetries" | "retryExceptions">,
  ): TaskSpec {
    this.assertAlive(ctx);
    assert(
      Number.isInteger(numReturns),
      `core worker: numReturns ${numReturns} of ${name} is not an integer`,
    );
    assert(numReturns >= 0, `core worker: numReturns ${numReturns} of ${name} is negative`);
    const taskId = childTaskId(ctx.taskId, ctx.childCount++);
    const returnIds: ObjectId[] = [];
    for (let i = 0; i < numReturns; i++) returnIds.push(returnObjectId(taskId, i));
    const taskArgs: TaskArg[] = args.map((a) => (isObjectRef(a) ? { ref: a.id } : { value: a }));
    return {
      taskId,
      kind,
      functionId,
      name,
      args: taskArgs,
      returnIds,
      resources: o.resources,
      returnBytes: o.returnBytes,
      maxRetries: o.maxRetries,
      retryExceptions: o.retryExceptions,
      parentTaskId: ctx.taskId,
      owner: this.env.self,
      ownerNode: this.config.nodeName,
      ownerIncarnation: this.config.incarnation,
      attempt: 0,
      cause: "original",
      submitUs: this.env.nowUs(),
    };
  }

  /**
   * Records a new task in the task table and sends it. The children of a first attempt are new by
   * construction (their ids derive from the parent's), so they go at once. A retried or replayed
   * parent recreates the same ids: those wait for the table's answer, and an id that exists is
   * adopted (issue 10: exactly once at a time), never started a second time.
   */
  private submitOnce(ctx: TaskContext, spec: TaskSpec, send: (spec: TaskSpec) => void): void {
    if (ctx.attempt === 0) {
      this.recordSubmission(spec);
      return send(spec);
    }
    this.tasksSubmitted++;
    assertBound(
      this.owned.size,
      MAX_OWNED_TASKS,
      `core worker ${this.config.nodeName} owned tasks (MAX_OWNED_TASKS)`,
    );
    this.owned.set(spec.taskId, { spec });
    this.gcs.call({ op: "task.add", spec }, (result) => {
      const r = result as TaskAddResult;
      if (r.added) {
        this.traceSubmitted(spec, spec.cause);
        return send(spec);
      }
      this.adopt(spec, r.row, r.nodeDead, send);
    });
  }

  /** Takes over a live task row found under a recreated id: watch its attempt, do not run it again. */
  private adopt(
    spec: TaskSpec,
    row: TaskRow | undefined,
    nodeDead: boolean,
    send: (spec: TaskSpec) => void,
  ): void {
    // The shard may not have heard yet of a death this worker has (another shard declared it):
    // its node-died pass is over, so this row would be watched forever (swarm seed 498).
    const rowNodeDead =
      nodeDead || (row !== undefined && this.knownDead(row.node, row.nodeIncarnation));
    const mine = this.owned.get(spec.taskId);
    const done = row === undefined || row.status === "finished" || row.status === "failed";
    if (
      mine !== undefined &&
      (mine.spec === spec || (row !== undefined && mine.spec.attempt < row.spec.attempt))
    ) {
      if (done) this.owned.delete(spec.taskId);
      else this.owned.set(spec.taskId, { spec: row.spec });
    }
    // A created actor lives where its creation ran: if that node died, it needs a restart.
    if (spec.kind === "actor-creation")
      return this.actors.adoptCreation(row?.spec ?? spec, row?.status !== "failed" && nodeDead);
    if (done) return;
    const latest = this.owned.get(spec.taskId)?.spec ?? row.spec;
    if (spec.kind === "actor-method") return send(latest);
    // No one may be left to report on this attempt: its node died, or its worker did and the
    // report went to an owner that is gone.
    if (rowNodeDead || row.status === "lost") {
      const error = rowNodeDead
        ? new NodeDiedError(latest.taskId, latest.name, row.node, latest.attempt + 1)
        : new WorkerCrashedError(latest.taskId, latest.name, latest.attempt + 1);
      if (hasRetriesLeft(latest)) this.retry(latest, error);
      else this.failForGood(latest, error);
    }
  }

  private sendToRaylet(spec: TaskSpec): void {
    this.env.send(
      this.raylet,
      { type: "raylet.submit", spec } satisfies RayletMessage,
      CONTROL_MESSAGE_BYTES,
    );
  }

  private recordSubmission(spec: TaskSpec): void {
    this.tasksSubmitted++;
    assertBound(
      this.owned.size,
      MAX_OWNED_TASKS,
      `core worker ${this.config.nodeName} owned tasks (MAX_OWNED_TASKS)`,
    );
    this.owned.set(spec.taskId, { spec });
    this.gcs.call({ op: "task.add", spec });
    this.traceSubmitted(spec, spec.cause);
  }

  private traceSubmitted(spec: TaskSpec, cause: TaskCause): void {
    this.env.trace({
      kind: "task.submitted",
      taskId: spec.taskId,
      name: spec.name,
      cause,
      taskKind: spec.kind,
      attempt: spec.attempt,
    });
  }

  private assertAlive(ctx: TaskContext): void {
    if (ctx.dead)
      throw new RayError(
        `task ${ctx.taskId} (attempt ${ctx.attempt}) no longer runs: its worker died or the attempt ended`,
      );
  }

  // ---- failures ----

  private attemptFailed(spec: TaskSpec, error: RayError, retriable: boolean): void {
    assert(
      spec.attempt >= 0,
      `core worker: failure of ${spec.taskId} with attempt ${spec.attempt}`,
    );
    const t = this.owned.get(spec.taskId);
    if (t === undefined || t.spec.attempt !== spec.attempt) return; // stale: a newer attempt exists
    if (retriable && hasRetriesLeft(spec)) return this.retry(spec, error);
    this.failForGood(spec, error);
  }

  /**
   * Retries an owned task through the GCS, which grants the next attempt only if `spec` is still
   * the latest one: an owner's retry and a reconstruction elsewhere never both re-run it.
   */
  retry(spec: TaskSpec, error: RayError): void {
    this.gcs.call(
      {
        op: "task.resubmit",
        taskId: spec.taskId,
        expectedAttempt: spec.attempt,
        cause: "retry",
        node: this.config.nodeName,
        incarnation: this.config.incarnation,
        // An adopter retries a spec naming the owner it adopted from: if that one died, the
        // task table makes this worker the owner of the new attempt.
        spec: this.claimed(spec),
      },
      (result) => {
        const r = result as ResubmitResult;
        const current = this.owned.get(spec.taskId);
        if (current === undefined) return;
        // The grant is this owner's alone to send, even if a task-table read (a node's death) has
        // shown it the granted attempt first and it now watches that one (swarm seeds 4298, 8913).
        if (r.kind === "granted") {
          if (current.spec.attempt <= r.spec.attempt) this.submitGranted(r.spec);
          return;
        }
        if (current.spec.attempt !== spec.attempt) return;
        // Someone else (a reconstruction) already started a newer attempt: adopt it.
        if (r.kind === "stale" || r.kind === "in-progress")
          return void this.owned.set(spec.taskId, { spec: { ...spec, attempt: r.attempt } });
        this.failForGood(spec, error);
      },
    );
  }

  /** `spec` as this worker claims it: with itself as the owner. */
  private claimed(spec: TaskSpec): TaskSpec {
    return {
      ...spec,
      owner: this.env.self,
      ownerNode: this.config.nodeName,
      ownerIncarnation: this.config.incarnation,
    };
  }

  /** Sends an attempt the GCS has already recorded (a granted retry). */
  submitGranted(spec: TaskSpec): void {
    // A grant is the GCS's next attempt of a task this worker owns.
    assert(spec.attempt >= 1, `core worker: granted ${spec.taskId} with attempt ${spec.attempt}`);
    assertBound(
      this.owned.size,
      MAX_OWNED_TASKS,
      `core worker ${this.config.nodeName} owned tasks (MAX_OWNED_TASKS)`,
    );
    this.owned.set(spec.taskId, { spec });
    this.traceSubmitted(spec, spec.cause);
    if (spec.kind === "actor-method") return this.actors.send(spec);
    this.env.send(
      this.raylet,
      { type: "raylet.submit", spec } satisfies RayletMessage,
      CONTROL_MESSAGE_BYTES,
    );
  }

  /** Stores the error as the value of each return, so gets and dependents raise it. */
  failForGood(spec: TaskSpec, error: RayError): void {
    this.owned.delete(spec.taskId);
    this.env.trace({
      kind: "task.failed",
      taskId: spec.taskId,
      name: spec.name,
      reason: error.name,
      attempt: spec.attempt,
    });
    if (spec.returnIds.length > 0)
      this.env.send(
        this.raylet,
        { type: "raylet.storeError", objectIds: spec.returnIds, error } satisfies RayletMessage,
        CONTROL_MESSAGE_BYTES,
      );
    // An error is a ready object whatever fetchLocal says, and this node holds it from now on.
    for (const id of spec.returnIds) this.learn(id, false);
  }

  /** A node died: every owned task the task table places there is retried or fails. */
  private nodeDied(node: string, deadIncarnation: number): void {
    for (const [taskId, kept] of [...this.doneKept]) {
      if (kept.node !== node || kept.incarnation > deadIncarnation) continue;
      this.doneKept.delete(taskId);
      this.rebuildIfUnrecorded(kept.spec);
    }
    for (const { spec } of [...this.owned.values()]) {
      this.gcs.call({ op: "task.get", taskId: spec.taskId }, (row) => {
        const r = row as TaskRow | undefined;
        const current = this.owned.get(spec.taskId);
        if (current === undefined || current.spec.attempt !== spec.attempt || r === undefined)
          return;
        if (r.status === "finished" || r.status === "failed")
          return void this.owned.delete(spec.taskId);
        if (r.spec.attempt < spec.attempt) return;
        // A reconstruction elsewhere may have started a newer attempt: that is the one to watch.
        const latest = r.spec;
        if (latest.attempt > spec.attempt) this.owned.set(spec.taskId, { spec: latest });
        if (r.node !== node || r.nodeIncarnation > deadIncarnation) return;
        if (latest.kind === "actor-method") return; // the actor's restart handles its calls
        const error = new NodeDiedError(latest.taskId, latest.name, node, latest.attempt + 1);
        if (hasRetriesLeft(latest)) this.retry(latest, error);
        else this.failForGood(latest, error);
      });
    }
  }

  /** Keeps a done task's lineage until its node's death (see `doneKept`). */
  private keepUntilRecorded(spec: TaskSpec, node: string): void {
    if (spec.kind !== "task" || spec.returnIds.length === 0) return;
    const row = this.nodeRows.get(node);
    const incarnation = row?.incarnation ?? 0;
    // The node's death may have been heard before its "done", sent earlier, came.
    if (row?.state === "dead") return this.rebuildIfUnrecorded(spec);
    if (this.doneKept.size >= MAX_DONE_KEPT)
      this.doneKept.delete(this.doneKept.keys().next().value!);
    this.doneKept.delete(spec.taskId);
    this.doneKept.set(spec.taskId, { spec, node, incarnation });
  }

  /**
   * The node that ran `spec` to the end died: an output the object table never heard of had its
   * only copy there, and no reader will ever see it lost. Run the task again, as a reconstruction.
   */
  private rebuildIfUnrecorded(spec: TaskSpec): void {
    let left = spec.returnIds.length;
    const unrecorded: ObjectId[] = [];
    for (const objectId of spec.returnIds)
      this.gcs.call({ op: "object.get", objectId }, (entry) => {
        if (entry === undefined) unrecorded.push(objectId);
        if (--left > 0 || unrecorded.length === 0 || this.owned.has(spec.taskId)) return;
        for (const id of unrecorded)
          this.env.trace({ kind: "object.lost", objectId: id, reason: "no-copy" });
        this.gcs.call(
          {
            op: "task.resubmit",
            taskId: spec.taskId,
            expectedAttempt: spec.attempt,
            cause: "reconstruction",
            node: this.config.nodeName,
            incarnation: this.config.incarnation,
            spec: this.claimed(spec),
          },
          (result) => this.rebuildAnswered(spec, unrecorded, result as ResubmitResult),
        );
      });
  }

  private rebuildAnswered(
    spec: TaskSpec,
    unrecorded: readonly ObjectId[],
    r: ResubmitResult,
  ): void {
    switch (r.kind) {
      case "granted": {
        // The grant is this owner's alone to send (see `retry`).
        const current = this.owned.get(spec.taskId);
        if (current === undefined || current.spec.attempt <= r.spec.attempt)
          this.submitGranted(r.spec);
        return;
      }
      case "in-progress":
      case "stale":
        return; // another attempt (a reconstruction elsewhere) records the outputs
      case "exhausted":
      case "evicted":
        for (const id of unrecorded) {
          const error =
            r.kind === "exhausted"
              ? new ObjectReconstructionFailedMaxAttemptsExceededError(id, spec.taskId, r.attempts)
              : new ObjectReconstructionFailedLineageEvictedError(id, spec.taskId);
          this.env.send(
            this.raylet,
            { type: "raylet.storeError", objectIds: [id], error } satisfies RayletMessage,
            CONTROL_MESSAGE_BYTES,
          );
        }
        return;
      default:
        unreachable(r, "resubmit result");
    }
  }

  // ---- get / wait ----

  get(
    ctx: TaskContext,
    ids: readonly ObjectId[],
    timeoutMs: number | undefined,
  ): Promise<unknown[]> {
    return this.startFetch(ctx, ids, new Set(ids).size, "get", timeoutMs) as Promise<unknown[]>;
  }

  /** Resolves with the ids ready first (in the order they became ready), up to `numReturns`. */
  wait(
    ctx: TaskContext,
    ids: readonly ObjectId[],
    numReturns: number,
    timeoutMs: number | undefined,
    fetchLocal = true,
  ): Promise<ObjectId[]> {
    return this.startFetch(ctx, ids, numReturns, "wait", timeoutMs, !fetchLocal) as Promise<
      ObjectId[]
    >;
  }

  private startFetch(
    ctx: TaskContext,
    ids: readonly ObjectId[],
    need: number,
    kind: "get" | "wait",
    timeoutMs: number | undefined,
    locateOnly = false,
  ): Promise<unknown> {
    this.assertAlive(ctx);
    assert(need >= 0, `core worker: ${kind} needs ${need} objects`);
    assert(need <= ids.length, `core worker: ${kind} needs ${need} of ${ids.length} objects`);
    const label = `${kind}(${ids.slice(0, 4).join(", ")}${ids.length > 4 ? `, … ${ids.length} objects` : ""}) at ${this.config.nodeName}`;
    const deferred = this.env.userDeferred<unknown>(label);
    const reqId = this.nextFetchId++;
    const inTask = !ctx.isDriver;
    const fetch: Fetch = {
      ids,
      values: new Map(),
      ready: [],
      need,
      deferred,
      kind,
      locateOnly,
      blockedTask: inTask ? ctx.taskId : undefined,
      timer: undefined,
    };
    assertBound(
      this.fetches.size,
      MAX_PENDING_GETS,
      `core worker ${this.config.nodeName} gets and waits (MAX_PENDING_GETS)`,
    );
    this.fetches.set(reqId, fetch);
    let ask = [...new Set(ids)];
    if (kind === "wait") {
      for (const id of ask) {
        if (!this.seenReady(id, locateOnly)) continue;
        fetch.values.set(id, undefined);
        fetch.ready.push(id);
      }
      // An id a still-running wait request asks for is not asked again: its answer reaches every wait.
      ask = ask.filter((id) => !fetch.values.has(id) && !this.asked(id, locateOnly));
    }
    if (fetch.ready.length >= need) {
      this.completeFetch(reqId, fetch);
      return deferred.promise;
    }
    if (fetch.blockedTask !== undefined)
      this.env.send(
        this.raylet,
        { type: "raylet.blocked", taskId: fetch.blockedTask } satisfies RayletMessage,
        CONTROL_MESSAGE_BYTES,
      );
    if (kind === "wait" && ask.length > 0) {
      this.waitRequests.set(reqId, { locateOnly, left: new Set(ask) });
      for (const id of ask) bump(locateOnly ? this.askedAnywhere : this.askedLocal, id, 1);
    }
    if (ask.length > 0)
      this.env.send(
        this.raylet,
        { type: "raylet.fetch", reqId, objectIds: ask, locateOnly } satisfies RayletMessage,
        CONTROL_MESSAGE_BYTES,
      );
    if (timeoutMs !== undefined) this.armFetchTimeout(reqId, fetch, timeoutMs);
    return deferred.promise;
  }

  /** At the timeout a wait returns what is ready; a get fails with the ids still missing. */
  private armFetchTimeout(reqId: number, fetch: Fetch, timeoutMs: number): void {
    fetch.timer = this.env.setTimer(msToUs(timeoutMs), () => {
      fetch.timer = undefined;
      if (fetch.kind === "wait") return this.completeFetch(reqId, fetch);
      this.endFetch(reqId, fetch);
      fetch.deferred.reject(
        new GetTimeoutError(
          fetch.ids.filter((id) => !fetch.values.has(id)),
          timeoutMs,
        ),
      );
    });
  }

  private fetched(reqId: number, id: ObjectId, value: unknown): void {
    const request = this.waitRequests.get(reqId);
    if (request !== undefined && request.left.delete(id)) {
      bump(request.locateOnly ? this.askedAnywhere : this.askedLocal, id, -1);
      if (request.left.size === 0) this.waitRequests.delete(reqId);
    }
    const fetch = this.fetches.get(reqId);
    this.learn(
      id,
      isStoredError(value) ? false : (fetch?.locateOnly ?? request?.locateOnly ?? false),
    );
    // Other waits on this id, which did not ask again because this wait request was out, hear of it too.
    if (request !== undefined)
      for (const [otherId, other] of this.fetches) {
        if (
          otherId === reqId ||
          other.kind !== "wait" ||
          other.values.has(id) ||
          !other.ids.includes(id) ||
          !this.seenReady(id, other.locateOnly)
        )
          continue;
        other.values.set(id, undefined);
        other.ready.push(id);
        if (other.ready.length >= other.need) this.completeFetch(otherId, other);
      }
    if (fetch === undefined || fetch.values.has(id)) return;
    fetch.values.set(id, value);
    fetch.ready.push(id);
    if (fetch.kind === "get" && isStoredError(value)) {
      this.endFetch(reqId, fetch);
      fetch.deferred.reject(value.error);
      return;
    }
    if (fetch.ready.length >= fetch.need) this.completeFetch(reqId, fetch);
  }

  private completeFetch(reqId: number, fetch: Fetch): void {
    assert(
      this.fetches.get(reqId) === fetch,
      `core worker: ${fetch.kind} #${reqId} completed twice`,
    );
    this.endFetch(reqId, fetch);
    if (fetch.kind === "get") fetch.deferred.resolve(fetch.ids.map((id) => fetch.values.get(id)));
    else fetch.deferred.resolve(fetch.ready.slice(0, fetch.need));
  }

  private endFetch(reqId: number, fetch: Fetch): void {
    this.fetches.delete(reqId);
    if (fetch.timer !== undefined) this.env.cancelTimer(fetch.timer);
    fetch.timer = undefined;
    // A wait's request goes on (its answers teach `seenLocal`); a get's is called off.
    if (fetch.kind === "get" && fetch.ready.length < new Set(fetch.ids).size)
      this.env.send(
        this.raylet,
        { type: "raylet.cancelFetch", reqId } satisfies RayletMessage,
        CONTROL_MESSAGE_BYTES,
      );
    if (fetch.blockedTask !== undefined)
      this.env.send(
        this.raylet,
        { type: "raylet.unblocked", taskId: fetch.blockedTask } satisfies RayletMessage,
        CONTROL_MESSAGE_BYTES,
      );
  }

  /** `local`: the raylet holds it here (or it is an error); else a copy exists somewhere. */
  private learn(id: ObjectId, locateOnly: boolean): void {
    const seen = locateOnly ? this.seenAnywhere : this.seenLocal;
    if (seen.has(id)) return;
    if (seen.size >= MAX_SEEN_READY) seen.delete(seen.values().next().value!);
    seen.add(id);
  }

  private seenReady(id: ObjectId, locateOnly: boolean): boolean {
    return this.seenLocal.has(id) || (locateOnly && this.seenAnywhere.has(id));
  }

  private asked(id: ObjectId, locateOnly: boolean): boolean {
    return (
      (this.askedLocal.get(id) ?? 0) > 0 || (locateOnly && (this.askedAnywhere.get(id) ?? 0) > 0)
    );
  }

  // ---- notifications ----

  /** Whether the node table told this worker that `node`'s `incarnation` is dead. */
  private knownDead(node: string, incarnation: number): boolean {
    const row = this.nodeRows.get(node);
    if (row === undefined) return false;
    return (
      row.incarnation > incarnation || (row.state === "dead" && row.incarnation === incarnation)
    );
  }

  private onNotification(n: GcsNotification): void {
    if (n.table === "actor") return this.actors.updated(n.entry);
    if (n.table !== "node") return;
    const previous = this.nodeRows.get(n.key);
    this.nodeRows.set(n.key, n.row);
    if (
      n.row.state === "dead" &&
      !(previous?.state === "dead" && previous.incarnation === n.row.incarnation)
    ) {
      this.nodeDied(n.key, n.row.incarnation);
      this.actors.nodeDied(n.key);
    }
  }
}

/** A dead incarnation never comes back; a newer one supersedes every older. */
function olderNodeRow(row: NodeRow, than: NodeRow): boolean {
  return (
    row.incarnation < than.incarnation ||
    (row.incarnation === than.incarnation && than.state === "dead" && row.state !== "dead")
  );
}

function nodeOfAddress(a: Address): string {
  return a.slice(a.indexOf("@") + 1);
}

function bump(counts: Map<ObjectId, number>, id: ObjectId, by: number): void {
  const n = (counts.get(id) ?? 0) + by;
  if (n === 0) counts.delete(id);
  else counts.set(id, n);
}
