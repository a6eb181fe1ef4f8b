/**
 * The raylet: one per node (Ray paper §4.2.2). It owns the node's object store, object manager,
 * resources and workers, and its local scheduler: a task submitted here stays when the node could
 * ever run it and the local queue is below `queueThreshold`; otherwise it goes to the global
 * scheduler. It runs tasks and hosts actors, writes their progress to the GCS task table, stores
 * their results, and sends heartbeats carrying its load.
 *
 * It may lose everything at any moment (its node dies): nothing here is needed for recovery that
 * the GCS or an owner does not also hold.
 */
import { assert, assertBound, unreachable } from "../assert.js";
import { address, type Address, type Env, type Message, type Process } from "../env.js";
import type { ActorId, ObjectId, TaskId } from "../ids.js";
import {
  ActorDiedError,
  ObjectStoreFullError,
  RayError,
  TaskError,
  WorkerCrashedError,
} from "../api/errors.js";
import type { FunctionTable } from "../api/function-table.js";
import { StoredError } from "../api/stored-error.js";
import type { CoreWorker } from "../api/core-worker.js";
import { GcsClient } from "../gcs/client.js";
import type { GcsNotification, TaskUpdateResult } from "../gcs/messages.js";
import type { TaskRow, TaskStatus } from "../gcs/tables.js";
import { fits, type ResourceSet } from "../resources.js";
import { hasRetriesLeft, type TaskSpec } from "../task-spec.js";
import { ActorHost, type HostedActor } from "./actor-host.js";
import { LocalScheduler, type QueuedTask } from "./local-scheduler.js";
import { CONTROL_MESSAGE_BYTES, type CoreWorkerMessage, type RayletMessage } from "./messages.js";
import { ObjectManager } from "./object-manager.js";
import { ObjectStore, type Pin } from "./object-store.js";
import { LineageReconstruction } from "../recovery/reconstruction.js";
import { readRestorePlan, writeCheckpoint } from "../recovery/actor-restore.js";
import { ResourcePool, type Allocation, type GpuSpec } from "./resource-pool.js";
import {
  resolveArgs,
  startAttempt,
  type AttemptOutcome,
  type RunningAttempt,
} from "./task-runner.js";
import { attemptKey, ForwardedTasks } from "./forwarded-tasks.js";

export interface RayletConfig {
  readonly nodeName: string;
  readonly incarnation: number;
  readonly resources: ResourceSet;
  readonly gpus: readonly GpuSpec[];
  readonly objectStoreBytes: number;
  readonly gcsShards: readonly Address[];
  readonly globalScheduler: Address;
  readonly functions: FunctionTable;
  readonly worker: CoreWorker;
  readonly heartbeatIntervalUs: number;
  /** Queue length at which the local scheduler starts forwarding to the global scheduler. */
  readonly queueThreshold: number;
  /** How often a reconstruction request is repeated while another attempt is in progress. */
  readonly reconstructionPollUs: number;
  /** How long a forward to the global scheduler waits for an answer before it is sent again. */
  readonly forwardRetryUs: number;
  /** A scheduler silent this long: a forwarded task this node can ever run runs here instead. */
  readonly forwardFallbackUs: number;
  /** This raylet learned the GCS declared its own incarnation dead: it must exit. */
  readonly onFenced?: (raylet: Raylet) => void;
  /**
   * The GCS's heartbeat timeout. The node's actors serve only under a lease: until `leaseUs` after
   * the send time of its latest heartbeat the GCS admitted, before which the GCS cannot declare it
   * dead (and so no second instance of its actors can exist). Absent: no lease (unit tests).
   */
  readonly leaseUs?: number;
}

interface FetchRequest {
  readonly client: Address;
  readonly reqId: number;
  cancelled: boolean;
}

/** Object requests from core workers in flight at one raylet (a get or wait each). */
export const MAX_PENDING_FETCHES = 1_000_000;
/** Actor calls to start or report held at one raylet while its lease is out. */
export const MAX_LEASE_WAITERS = 1_000_000;

export class Raylet implements Process {
  readonly pool: ResourcePool;
  readonly store: ObjectStore;
  readonly objects: ObjectManager;
  readonly scheduler: LocalScheduler;
  readonly actors: ActorHost;
  readonly gcs: GcsClient;
  readonly running = new Map<TaskId, RunningAttempt>();
  readonly reconstruction: LineageReconstruction;
  readonly forwarded: ForwardedTasks;
  fenced = false;
  /** Every (task, attempt) queued here: a placement that arrives twice is kept once. */
  private readonly keptAttempts = new Set<string>();
  private readonly fetches = new Map<string, FetchRequest>();
  /** The latest incarnation of each node the GCS declared dead (owners that may be gone). */
  private readonly deadIncarnations = new Map<string, number>();
  private meanTaskUs = 0;
  tasksFinished = 0;
  private leaseUntilUs: number;
  /** Actor work (a call to start, a call's outcome to report) waiting for the lease's renewal. */
  private readonly leaseWaiters: Array<() => void> = [];

  constructor(
    readonly env: Env,
    readonly config: RayletConfig,
  ) {
    this.pool = new ResourcePool(config.resources, config.gpus);
    this.store = new ObjectStore(config.objectStoreBytes);
    this.gcs = new GcsClient(env, config.gcsShards);
    this.gcs.onNotification((n) => this.onNotification(n));
    this.objects = new ObjectManager(
      env,
      config.nodeName,
      config.incarnation,
      this.store,
      this.gcs,
      {
        onLost: (id, entry) => this.reconstruction.objectLost(id, entry),
        onEvicted: (ids) => {
          for (const id of ids) env.trace({ kind: "object.evicted", objectId: id, sizeBytes: 0 });
        },
      },
    );
    this.reconstruction = new LineageReconstruction({
      env,
      gcs: this.gcs,
      nodeName: config.nodeName,
      incarnation: config.incarnation,
      pollUs: config.reconstructionPollUs,
      stillNeeded: (id) => this.objects.isWanted(id),
      submit: (spec) => {
        this.env.trace({
          kind: "task.submitted",
          taskId: spec.taskId,
          name: spec.name,
          cause: spec.cause,
          taskKind: spec.kind,
          attempt: spec.attempt,
        });
        this.submitLocal(spec);
      },
      fail: (id, error) => this.objects.addLocal(id, new StoredError(error), 0, false),
      actorOutputLost: (id, spec) => this.actorOutputLost(id, spec),
    });
    this.forwarded = new ForwardedTasks(env, {
      scheduler: config.globalScheduler,
      nodeName: config.nodeName,
      retryUs: config.forwardRetryUs,
      fallbackUs: config.forwardFallbackUs,
      canRunHere: (spec) => this.canEverRunHere(spec),
      keepHere: (spec) => this.keep(spec),
    });
    this.scheduler = new LocalScheduler(this.objects, this.pool, (task, allocation) =>
      this.startTask(task, allocation),
    );
    this.actors = new ActorHost(this.objects, (actor, spec, pinned) =>
      this.underLease(() => {
        // Removed while it waited for the lease: its pins went with it; its caller hears it was lost.
        if (this.actors.actors.get(actor.actorId) === actor) this.runActorCall(actor, spec, pinned);
      }),
    );
    // The GCS cannot declare this incarnation dead before it has heard from it and waited leaseUs.
    this.leaseUntilUs = env.nowUs() + (config.leaseUs ?? 0);
    this.gcs.subscribeNodes(false, (row) => {
      if (row.state === "dead") this.onNotification({ table: "node", key: row.node, row });
    });
    this.heartbeat();
  }

  get nodeName(): string {
    return this.config.nodeName;
  }

  onMessage(from: Address, message: Message): void {
    if (this.gcs.handle(message)) return;
    const m = message as RayletMessage;
    switch (m.type) {
      case "raylet.submit":
        return this.submitLocal(m.spec);
      case "raylet.assign":
        return this.assigned(m.spec, m.origin);
      case "raylet.forwardAck":
        if (m.placed) this.forwarded.placed(m.taskId, m.attempt);
        else this.forwarded.heldThere(m.taskId, m.attempt);
        return;
      case "raylet.actorCall":
        return this.actorCall(m.spec);
      case "raylet.killActor":
        return this.killActor(
          m.actorId,
          m.noRestart ? "killed by ray.kill with noRestart" : "killed by ray.kill",
          m.noRestart,
        );
      case "raylet.fetch":
        return this.fetch(from, m.reqId, m.objectIds, m.locateOnly === true);
      case "raylet.cancelFetch":
        return this.cancelFetch(from, m.reqId);
      case "raylet.put":
        return this.putLocal(m);
      case "raylet.storeError":
        for (const id of m.objectIds) this.objects.addLocal(id, new StoredError(m.error), 0, false);
        return;
      case "raylet.blocked":
      case "raylet.unblocked":
        return this.workerBlocked(m.taskId, m.type === "raylet.blocked");
      case "raylet.pull":
        return this.objects.servePull(m.objectId, m.node);
      case "raylet.push":
        return this.objects.onPush(m.objectId, m.value, m.sizeBytes);
      case "raylet.pullFailed":
        return this.objects.onPullFailed(m.objectId, nodeOfAddress(from));
      case "raylet.gpuFailed":
        return this.gpuFailed(m.index);
      case "raylet.gpuRepaired":
        this.pool.repairGpu(m.index);
        this.scheduler.dispatch();
        return;
      case "raylet.objectDropped":
        return this.objects.drop(m.objectId);
      default:
        unreachable(m, `raylet ${this.nodeName} message`);
    }
  }

  private cancelFetch(from: Address, reqId: number): void {
    const f = this.fetches.get(`${from}/${reqId}`);
    if (f !== undefined) f.cancelled = true;
    this.fetches.delete(`${from}/${reqId}`);
  }

  /** A worker's put: stored here, or an error stored in its place when the store is full. */
  private putLocal(m: Extract<RayletMessage, { type: "raylet.put" }>): void {
    if (this.objects.addLocal(m.objectId, m.value, m.sizeBytes, m.fromPut)) return;
    const full = new ObjectStoreFullError(
      m.objectId,
      m.sizeBytes,
      this.store.capacityBytes,
      this.nodeName,
    );
    this.objects.addLocal(m.objectId, new StoredError(full), 0, m.fromPut);
  }

  /** A task blocked in get/wait lends its CPU to queued work until it resumes. */
  private workerBlocked(taskId: TaskId, blocked: boolean): void {
    const attempt = this.running.get(taskId);
    if (attempt === undefined) return;
    if (blocked) {
      this.pool.releaseCpu(attempt.allocation);
      this.scheduler.dispatch();
    } else this.pool.reacquireCpu(attempt.allocation);
  }

  private gpuFailed(index: number): void {
    this.pool.failGpu(index);
    for (const actor of [...this.actors.actors.values()]) {
      if (actor.allocation.gpus.some((g) => g.index === index))
        this.killActor(actor.actorId, `its GPU ${index} failed`, false);
    }
    this.shedQueued();
  }

  /** Bottom-up scheduling: keep the task if this node could run it and is not overloaded. */
  private submitLocal(spec: TaskSpec): void {
    const canRunNow =
      this.pool.fitsNow(spec.resources, spec.gpuMemoryBytes) && this.scheduler.queueLength === 0;
    // GPU memory held by an actor may never come back here: such a request stays only if it fits
    // now. So does an actor: it holds its resources for good, so another node with room beats a
    // queue here that an earlier actor may never leave.
    const mayQueue =
      this.scheduler.queueLength < this.config.queueThreshold &&
      (spec.gpuMemoryBytes ?? 0) === 0 &&
      spec.kind !== "actor-creation";
    if (this.canEverRunHere(spec) && (canRunNow || mayQueue)) return this.keep(spec);
    this.forwarded.forward(spec);
  }

  /**
   * What tasks can ever get here: the healthy capacity less what the hosted actors hold, since an
   * actor gives its resources back only when it dies. The heartbeat reports this as the node's
   * total, so the global scheduler does not place work where it could only wait.
   */
  private capacityForTasks(): Record<string, number> {
    const capacity: Record<string, number> = { ...this.pool.total };
    for (const actor of this.actors.actors.values()) {
      for (const k in actor.allocation.resources)
        capacity[k] = Math.max(0, (capacity[k] ?? 0) - actor.allocation.resources[k]!);
    }
    return capacity;
  }

  private canEverRunHere(spec: TaskSpec): boolean {
    return (
      this.pool.canEverFit(spec.resources, spec.gpuMemoryBytes) &&
      fits(this.capacityForTasks(), spec.resources)
    );
  }

  /**
   * The node lost capacity for good (a GPU failed, an actor took its resources): queued tasks that
   * can no longer run here go to the global scheduler rather than wait here forever.
   */
  private shedQueued(): void {
    if (this.scheduler.queueLength === 0) return;
    const capacity = this.capacityForTasks();
    const shed = this.scheduler.shed(
      (spec) =>
        this.pool.canEverFit(spec.resources, spec.gpuMemoryBytes) && fits(capacity, spec.resources),
    );
    for (const task of shed) {
      // Forgotten here, so a placement back on this node (once room returns) is kept again.
      this.keptAttempts.delete(attemptKey(task.spec.taskId, task.spec.attempt));
      this.forwarded.forward(task.spec);
    }
  }

  /** The global scheduler placed a task here: the forwarder may stop holding it; keep it once. */
  private assigned(spec: TaskSpec, origin: string | undefined): void {
    if (origin === this.nodeName) this.forwarded.placed(spec.taskId, spec.attempt);
    else if (origin !== undefined) {
      const ack: RayletMessage = {
        type: "raylet.forwardAck",
        taskId: spec.taskId,
        attempt: spec.attempt,
        placed: true,
      };
      this.env.send(address("raylet", origin), ack, CONTROL_MESSAGE_BYTES);
    }
    if (this.keptAttempts.has(attemptKey(spec.taskId, spec.attempt))) return;
    this.keep(spec);
  }

  private keep(spec: TaskSpec): void {
    if (!this.canEverRunHere(spec)) {
      // Placed here by a stale view (a GPU failed, an actor started since): let the global scheduler place it again.
      this.forwarded.forward(spec);
      return;
    }
    this.keptAttempts.add(attemptKey(spec.taskId, spec.attempt));
    this.updateTask(spec, "scheduled");
    this.env.trace({
      kind: "task.scheduled",
      taskId: spec.taskId,
      name: spec.name,
      attempt: spec.attempt,
    });
    this.scheduler.enqueue(spec);
    this.scheduler.dispatch();
  }

  private startTask(task: QueuedTask, allocation: Allocation): void {
    if (task.spec.kind === "actor-creation") return this.claimCreation(task, allocation);
    this.runTask(task, allocation);
  }

  /**
   * An actor's instance may start on one node only: the task table's claim decides (an older
   * attempt, or one a restarted scheduler or a forwarder's fallback placed twice, may reach a
   * second node). Not granted: another node holds this attempt or a newer one; drop this copy.
   */
  private claimCreation(task: QueuedTask, allocation: Allocation): void {
    const spec = task.spec;
    this.gcs.call(
      {
        op: "task.update",
        taskId: spec.taskId,
        status: "running",
        node: this.nodeName,
        incarnation: this.config.incarnation,
        attempt: spec.attempt,
      },
      (result) => {
        const r = result as TaskUpdateResult;
        if (r.applied) return this.runTask(task, allocation);
        if (r.reason === "unknown") {
          // Its owner's task.add has not arrived yet: ask again.
          this.env.setTimer(
            this.config.reconstructionPollUs,
            () => this.claimCreation(task, allocation),
            // An owner that died before its add landed leaves no row: that must not hold a run open.
            "background",
          );
          return;
        }
        this.pool.release(allocation);
        this.scheduler.release(task);
        this.scheduler.dispatch();
      },
    );
  }

  private runTask(task: QueuedTask, allocation: Allocation): void {
    const spec = task.spec;
    const entry = this.config.functions.get(spec.functionId);
    const resolved = resolveArgs(spec, this.store);
    if ("error" in resolved) {
      this.pool.release(allocation);
      this.scheduler.release(task);
      this.env.trace({
        kind: "task.started",
        taskId: spec.taskId,
        name: spec.name,
        gpus: "",
        attempt: spec.attempt,
      });
      this.finishFailed(spec, resolved.error);
      return;
    }
    const isActor = entry.kind === "actor-class";
    const attempt = startAttempt({
      env: this.env,
      spec,
      allocation,
      pool: this.pool,
      worker: this.config.worker,
      nodeName: this.nodeName,
      durationModel: entry.options.durationMs,
      args: resolved.values,
      body: isActor
        ? (args) => new entry.cls(...(args as never[]))
        : (args) => entry.fn(...(args as never[])),
      done: (a, outcome) => this.taskEnded(a, outcome, task),
    });
    this.running.set(spec.taskId, attempt);
  }

  private taskEnded(attempt: RunningAttempt, outcome: AttemptOutcome, task: QueuedTask): void {
    const spec = attempt.spec;
    this.running.delete(spec.taskId);
    this.scheduler.release(task);
    this.meanTaskUs =
      this.meanTaskUs === 0
        ? this.env.nowUs() - attempt.startUs
        : 0.9 * this.meanTaskUs + 0.1 * (this.env.nowUs() - attempt.startUs);
    if (spec.kind === "actor-creation" && outcome.kind === "ok") {
      this.actorCreated(spec, outcome.value as Record<string, unknown>, attempt.allocation);
    } else {
      this.pool.release(attempt.allocation);
      this.reportOutcome(spec, outcome);
    }
    this.scheduler.dispatch();
  }

  /** Stores results or errors and tells the task table and the owner. */
  reportOutcome(spec: TaskSpec, outcome: AttemptOutcome): void {
    switch (outcome.kind) {
      case "ok":
        return this.finishOk(spec, outcome.value);
      case "error": {
        if (retriesUserError(spec, outcome.userError)) {
          this.env.trace({
            kind: "task.failed",
            taskId: spec.taskId,
            name: spec.name,
            reason: "user-error-retry",
            attempt: spec.attempt,
          });
          this.tellOwner(spec, {
            type: "cw.taskFailed",
            spec,
            error: outcome.error,
            retriable: true,
          });
          return;
        }
        return this.finishFailed(spec, outcome.error);
      }
      case "crashed": {
        this.updateTask(spec, "lost");
        this.env.trace({
          kind: "task.failed",
          taskId: spec.taskId,
          name: spec.name,
          reason: outcome.how,
          attempt: spec.attempt,
        });
        const error = new WorkerCrashedError(spec.taskId, spec.name, spec.attempt + 1);
        this.tellOwner(spec, { type: "cw.taskFailed", spec, error, retriable: true });
        return;
      }
      default:
        unreachable(outcome, "attempt outcome");
    }
  }

  private finishOk(spec: TaskSpec, value: unknown): void {
    const n = spec.returnIds.length;
    let values: unknown[];
    if (n <= 1) values = [value];
    else if (Array.isArray(value) && value.length === n) values = value;
    else
      return this.finishFailed(
        spec,
        new TaskError(
          spec.taskId,
          spec.name,
          new RayError(
            `declared numReturns: ${n} but returned ${Array.isArray(value) ? `${value.length} values` : "a non-array"}`,
          ),
        ),
      );
    for (let i = 0; i < n; i++) {
      const id = spec.returnIds[i]!;
      if (!this.objects.addLocal(id, values[i], spec.returnBytes, false)) {
        const full = new ObjectStoreFullError(
          id,
          spec.returnBytes,
          this.store.capacityBytes,
          this.nodeName,
        );
        this.objects.addLocal(id, new StoredError(full), 0, false);
      }
      this.env.trace({ kind: "object.created", objectId: id, sizeBytes: spec.returnBytes });
    }
    this.tasksFinished++;
    this.updateTask(spec, "finished");
    this.env.trace({
      kind: "task.finished",
      taskId: spec.taskId,
      name: spec.name,
      attempt: spec.attempt,
    });
    this.tellOwner(spec, { type: "cw.taskDone", taskId: spec.taskId, attempt: spec.attempt });
  }

  /** The task failed for good: its error becomes the value of each of its returns. */
  finishFailed(spec: TaskSpec, error: RayError): void {
    for (const id of spec.returnIds) this.objects.addLocal(id, new StoredError(error), 0, false);
    this.updateTask(spec, "failed");
    this.env.trace({
      kind: "task.failed",
      taskId: spec.taskId,
      name: spec.name,
      reason: error.name,
      attempt: spec.attempt,
    });
    this.tellOwner(spec, { type: "cw.taskDone", taskId: spec.taskId, attempt: spec.attempt });
    if (spec.kind === "actor-creation") this.publishActorDead(spec, error.message);
  }

  // ---- actors ----

  private actorCreated(
    spec: TaskSpec,
    instance: Record<string, unknown>,
    allocation: Allocation,
  ): void {
    const actorId = spec.actorId!;
    const entry = this.config.functions.get(spec.functionId);
    assert(entry.kind === "actor-class", `actor creation ${spec.taskId} names a plain function`);
    const replay = spec.attempt > 0 && entry.options.recovery === "replay";
    const actor: HostedActor = {
      actorId,
      creation: spec,
      instance,
      allocation,
      nextSeq: new Map(),
      ranSeq: new Map(),
      buffered: new Map(),
      queue: [],
      running: false,
      runningPins: [],
      executed: 0,
      restoring: replay,
      held: [],
      replayLeft: 0,
      replayTotal: 0,
      checkpointSeq: 0,
      checkpointLoadUs: 0,
    };
    this.actors.add(actor);
    this.shedQueued();
    this.updateTask(spec, "finished");
    this.env.trace({
      kind: "task.finished",
      taskId: spec.taskId,
      name: spec.name,
      attempt: spec.attempt,
    });
    this.tellOwner(spec, { type: "cw.taskDone", taskId: spec.taskId, attempt: spec.attempt });
    if (spec.attempt > 0)
      this.env.trace({ kind: "actor.restarted", actorId, restarts: spec.attempt });
    if (!replay) return this.publishActor(actor, "alive", "");
    // Say where the instance is being restored, so its owner restarts it again if this node dies.
    this.publishActor(actor, "restarting", "restoring from checkpoint and replaying");
    readRestorePlan(this, actorId, instance, (checkpointSeq, handleSeqs, calls, loadUs) => {
      if (this.actors.actors.get(actorId) !== actor) return; // died while restoring
      actor.executed = checkpointSeq;
      actor.replayLeft = calls.length;
      actor.replayTotal = calls.length;
      actor.checkpointSeq = checkpointSeq;
      actor.checkpointLoadUs = loadUs;
      // Each replay is a new attempt of the call, numbered past any earlier one.
      const replay = calls.map((c) => ({
        ...c,
        attempt: c.attempt + spec.attempt,
        cause: "replay" as const,
        submitUs: this.env.nowUs(),
      }));
      for (const r of replay)
        this.env.trace({
          kind: "task.submitted",
          taskId: r.taskId,
          name: r.name,
          cause: "replay",
          taskKind: r.kind,
          attempt: r.attempt,
        });
      this.actors.restored(actor, handleSeqs, replay);
      if (calls.length === 0) this.replayDone(actor, 0);
    });
  }

  private replayDone(actor: HostedActor, calls: number): void {
    this.env.trace({
      kind: "actor.replayed",
      actorId: actor.actorId,
      calls,
      checkpointSeq: actor.checkpointSeq,
      checkpointLoadUs: actor.checkpointLoadUs,
    });
    this.publishActor(actor, "alive", "");
  }

  private publishActor(
    actor: HostedActor,
    state: "alive" | "restarting" | "lost" | "dead",
    cause: string,
  ): void {
    const spec = actor.creation;
    this.gcs.call({
      op: "actor.put",
      entry: {
        actorId: actor.actorId,
        creationTaskId: spec.taskId,
        state,
        node: this.nodeName,
        restarts: spec.attempt,
        deathCause: cause,
        recovery: spec.recovery,
      },
    });
  }

  private publishActorDead(spec: TaskSpec, cause: string): void {
    const actorId = spec.actorId!;
    this.gcs.call({
      op: "actor.put",
      entry: {
        actorId,
        creationTaskId: spec.taskId,
        state: "dead",
        node: this.nodeName,
        restarts: spec.attempt,
        deathCause: cause,
        recovery: spec.recovery,
      },
    });
  }

  private actorCall(spec: TaskSpec): void {
    if (this.actors.submit(spec)) return;
    // Not here (it died, or moved): the caller re-resolves the actor and resends if allowed.
    this.tellOwner(spec, {
      type: "cw.taskFailed",
      spec,
      error: new ActorDiedError(spec.actorId!, `it is not hosted on ${this.nodeName}`),
      retriable: true,
    });
  }

  private runActorCall(actor: HostedActor, spec: TaskSpec, pinned: Pin[]): void {
    const entry = this.config.functions.get(spec.functionId);
    assert(entry.kind === "actor-class", `actor call ${spec.taskId} names a plain function`);
    const actorSeq = actor.executed++;
    this.updateTask(spec, "running", actorSeq);
    this.gcs.call({
      op: "actor.logCall",
      actorId: actor.actorId,
      seq: actorSeq,
      taskId: spec.taskId,
    });
    const release = () => {
      for (const pin of pinned) this.store.unpin(pin);
      pinned.length = 0;
    };
    const resolved = resolveArgs(spec, this.store);
    if ("error" in resolved) {
      release();
      this.env.trace({
        kind: "task.started",
        taskId: spec.taskId,
        name: spec.name,
        gpus: "",
        attempt: spec.attempt,
      });
      this.finishFailed(spec, resolved.error);
      this.actorCallEnded(actor, spec);
      return;
    }
    const method = spec.method!;
    const attempt = startAttempt({
      env: this.env,
      spec,
      allocation: actor.allocation,
      pool: this.pool,
      worker: this.config.worker,
      nodeName: this.nodeName,
      durationModel: entry.options.methods[method]?.durationMs ?? 0,
      args: resolved.values,
      body: (args) => {
        const fn = actor.instance[method];
        if (typeof fn !== "function")
          throw new TypeError(`${entry.options.name} has no method ${method}`);
        return (fn as (...a: unknown[]) => unknown).apply(actor.instance, args as unknown[]);
      },
      done: (a, outcome) => {
        this.running.delete(spec.taskId);
        // An outcome found after the lease ran out may be a zombie's: reported only once renewed.
        this.underLease(() => {
          release();
          if (this.actors.actors.get(actor.actorId) !== actor) return;
          if (outcome.kind === "crashed") return this.actorWorkerDied(actor, a, outcome.how);
          this.reportOutcome(spec, outcome);
          this.actorCallEnded(actor, spec);
        });
      },
    });
    this.running.set(spec.taskId, attempt);
  }

  /** After a call: maybe checkpoint (the actor waits for the write), then the next call. */
  private actorCallEnded(actor: HostedActor, spec: TaskSpec): void {
    if (this.actors.actors.get(actor.actorId) !== actor) return;
    const next = () => {
      if (this.actors.actors.get(actor.actorId) !== actor) return;
      if (spec.cause === "replay" && --actor.replayLeft === 0)
        this.replayDone(actor, actor.replayTotal);
      this.actors.callEnded(actor);
    };
    const entry = this.config.functions.get(actor.creation.functionId);
    const interval = entry.kind === "actor-class" ? entry.options.checkpointInterval : 0;
    if (interval > 0 && actor.executed % interval === 0 && entry.kind === "actor-class") {
      writeCheckpoint(
        this,
        actor.actorId,
        actor.instance,
        actor.executed,
        actor.ranSeq,
        entry.options.checkpointBytes,
        next,
      );
      return;
    }
    next();
  }

  /** The actor's worker (or GPU) died: the instance is lost with it; its owner may restart it. */
  private actorWorkerDied(actor: HostedActor, attempt: RunningAttempt, how: string): void {
    this.env.trace({
      kind: "task.failed",
      taskId: attempt.spec.taskId,
      name: attempt.spec.name,
      reason: how,
      attempt: attempt.spec.attempt,
    });
    this.killActor(actor.actorId, `its worker died (${how})`, false);
  }

  /**
   * Removes an actor from this node. `final` (ray.kill with noRestart) makes it dead for good;
   * otherwise it is "lost" and its owner decides on a restart. Pending calls stay with their
   * callers, who resend or fail them when they hear the outcome.
   */
  killActor(actorId: ActorId, cause: string, final: boolean): void {
    const actor = this.actors.remove(actorId);
    if (actor === undefined) return;
    for (const [taskId, a] of this.running) {
      if (a.spec.actorId !== actorId) continue;
      a.context.dead = true;
      if (a.executionId !== undefined) this.env.cancelExecution(a.executionId);
      this.running.delete(taskId);
    }
    this.pool.release(actor.allocation);
    this.publishActor(actor, final ? "dead" : "lost", cause);
    this.scheduler.dispatch();
  }

  // ---- objects for core workers ----

  private fetch(
    client: Address,
    reqId: number,
    ids: readonly ObjectId[],
    locateOnly: boolean,
  ): void {
    const request: FetchRequest = { client, reqId, cancelled: false };
    assertBound(
      this.fetches.size,
      MAX_PENDING_FETCHES,
      `raylet ${this.nodeName} fetches (MAX_PENDING_FETCHES)`,
    );
    this.fetches.set(`${client}/${reqId}`, request);
    let left = ids.length;
    for (const id of ids) {
      const wantIt = locateOnly
        ? (ready: () => void) => this.objects.locate(id, ready)
        : (ready: () => void) => this.objects.need(id, ready);
      wantIt(() => {
        if (request.cancelled) return;
        const value = this.store.has(id) ? this.store.get(id) : undefined;
        this.env.send(
          client,
          { type: "cw.fetched", reqId, objectId: id, value } satisfies CoreWorkerMessage,
          CONTROL_MESSAGE_BYTES,
        );
        if (--left === 0) this.fetches.delete(`${client}/${reqId}`);
      });
    }
  }

  // ---- GCS notifications and heartbeats ----

  private onNotification(n: GcsNotification): void {
    if (n.table === "object") return this.objects.onEntry(n.key as ObjectId, n.entry);
    if (n.table !== "node") return;
    if (n.row.state === "alive") {
      const sentUs = n.row.heartbeat.sentUs;
      if (
        n.key === this.nodeName &&
        n.row.incarnation === this.config.incarnation &&
        sentUs !== undefined
      )
        this.renewLease(sentUs);
      return;
    }
    if (n.key === this.nodeName && n.row.incarnation === this.config.incarnation) {
      // Declared dead while alive (a partition healed): our writes are fenced off; exit, so the
      // node can rejoin as a fresh incarnation.
      this.fenced = true;
      this.config.onFenced?.(this);
      return;
    }
    if ((this.deadIncarnations.get(n.key) ?? -1) < n.row.incarnation)
      this.deadIncarnations.set(n.key, n.row.incarnation);
    this.objects.onNodeDead(n.key);
    this.reconstruction.onNodeDead();
  }

  private heartbeat(): void {
    this.gcs.call({
      op: "node.heartbeat",
      heartbeat: {
        node: this.nodeName,
        incarnation: this.config.incarnation,
        resourcesTotal: this.capacityForTasks(),
        resourcesInstalled: this.pool.installed,
        resourcesAvailable: { ...this.pool.available },
        gpus: this.pool.gpuStates(),
        queueLength: this.scheduler.queueLength,
        meanTaskUs: this.meanTaskUs,
        objectStoreUsedBytes: this.store.usedBytes,
        sentUs: this.env.nowUs(),
      },
    });
    this.env.setTimer(this.config.heartbeatIntervalUs, () => this.heartbeat(), "background");
  }

  /**
   * Does this node hold its lease now? Without it the GCS may have declared it dead and its
   * actors' owners started new instances: its own instances neither start calls nor report them.
   */
  holdsLease(): boolean {
    return this.config.leaseUs === undefined || this.env.nowUs() <= this.leaseUntilUs;
  }

  private underLease(action: () => void): void {
    if (this.holdsLease()) return action();
    assertBound(
      this.leaseWaiters.length,
      MAX_LEASE_WAITERS,
      `raylet ${this.nodeName} actor work waiting for the lease (MAX_LEASE_WAITERS)`,
    );
    this.leaseWaiters.push(action);
  }

  private renewLease(sentUs: number): void {
    assert(
      sentUs <= this.env.nowUs(),
      `raylet ${this.nodeName}: a heartbeat sent in the future (${sentUs})`,
    );
    this.leaseUntilUs = Math.max(this.leaseUntilUs, sentUs + (this.config.leaseUs ?? 0));
    if (!this.holdsLease()) return;
    for (const action of this.leaseWaiters.splice(0)) action();
  }

  updateTask(spec: TaskSpec, status: TaskStatus, actorSeq?: number): void {
    this.gcs.call({
      op: "task.update",
      taskId: spec.taskId,
      status,
      node: this.nodeName,
      incarnation: this.config.incarnation,
      attempt: spec.attempt,
      actorSeq,
    });
  }

  /**
   * Tells a task's owner about it. An owner declared dead may have been replaced by an adopter (a
   * retried parent, core/gcs/shard-state.ts `adopt`): then the task table names who owns it now.
   */
  tellOwner(spec: TaskSpec, message: CoreWorkerMessage): void {
    if ((this.deadIncarnations.get(spec.ownerNode) ?? -1) < spec.ownerIncarnation)
      return this.env.send(spec.owner, message, CONTROL_MESSAGE_BYTES);
    this.gcs.call({ op: "task.get", taskId: spec.taskId }, (row) => {
      const owner = (row as TaskRow | undefined)?.spec.owner;
      if (owner !== undefined) this.env.send(owner, message, CONTROL_MESSAGE_BYTES);
    });
  }

  /** A lost actor output: the actor's owner replays it (actor fault tolerance). */
  protected actorOutputLost(id: ObjectId, spec: TaskSpec): void {
    this.tellOwner(spec, { type: "cw.actorOutputLost", objectId: id, spec });
  }

  checkInvariants(): void {
    this.pool.checkInvariants();
    this.store.checkInvariants();
    this.objects.checkInvariants();
    this.scheduler.checkInvariants();
  }
}

function nodeOfAddress(a: Address): string {
  return a.slice(a.indexOf("@") + 1);
}

function retriesUserError(spec: TaskSpec, userError: unknown): boolean {
  if (!hasRetriesLeft(spec)) return false;
  const r = spec.retryExceptions;
  return r === true || (Array.isArray(r) && r.some((c) => userError instanceof c));
}
