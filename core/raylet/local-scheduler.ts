/**
 * The local scheduler's queues (Ray paper §4.2.2): tasks waiting for their arguments, then ready
 * tasks grouped by resource shape (FIFO within a shape, so one big request does not block smaller
 * ones behind it and dispatch costs O(shapes), not O(queue)). Arguments are pinned when the task
 * is dispatched, not when they arrive: queued tasks pinning their inputs would fill the store and
 * leave no room for the outputs of running ones. An argument evicted while its task waited for a
 * slot is fetched again (the task goes back to waiting).
 */
import { assert } from "../assert.js";
import type { ObjectId, TaskId } from "../ids.js";
import { refArgs, type TaskSpec } from "../task-spec.js";
import type { ObjectManager } from "./object-manager.js";
import type { Pin } from "./object-store.js";
import type { Allocation, ResourcePool } from "./resource-pool.js";

export interface QueuedTask {
  readonly spec: TaskSpec;
  readonly args: readonly ObjectId[];
  /** Arguments not yet local. */
  missing: number;
  /** Arguments pinned on its behalf (released when it ends or leaves). */
  readonly pinned: Pin[];
  /** Set when the task left the queue (dispatched, dropped): late arrivals are ignored. */
  gone: boolean;
}

export class LocalScheduler {
  private readonly waiting = new Map<TaskId, QueuedTask>();
  private readonly readyByShape = new Map<string, QueuedTask[]>();
  private readyCount = 0;
  /** In `dispatch`, which may be asked again from inside (see there). */
  private dispatching = false;
  private dispatchAgain = false;

  constructor(
    private readonly objects: ObjectManager,
    private readonly pool: ResourcePool,
    private readonly start: (task: QueuedTask, allocation: Allocation) => void,
  ) {}

  get queueLength(): number {
    return this.waiting.size + this.readyCount;
  }

  has(taskId: TaskId): boolean {
    return (
      this.waiting.has(taskId) ||
      [...this.readyByShape.values()].some((q) => q.some((t) => t.spec.taskId === taskId))
    );
  }

  enqueue(spec: TaskSpec): void {
    const args = refArgs(spec);
    const task: QueuedTask = { spec, args, missing: args.length, pinned: [], gone: false };
    if (task.missing === 0) return this.makeReady(task);
    this.waiting.set(spec.taskId, task);
    for (const id of args) this.objects.need(id, () => this.argArrived(task, id));
  }

  /**
   * Starts every ready task whose resources are free, shape by shape in FIFO order.
   *
   * Starting a task can make another ready at once (a task whose argument is an error fails
   * without running, and its stored error is the next task's argument), which asks for a dispatch
   * from inside this one. That inner call only marks the outer loop to go round again: run
   * nested, it emptied a shape's queue and deleted the shape, the task made ready deeper down
   * went into a fresh queue under the same shape, and the outer loop's delete then dropped that
   * queue — the task was never started (swarm seed 820).
   */
  dispatch(): void {
    if (this.dispatching) {
      this.dispatchAgain = true;
      return;
    }
    this.dispatching = true;
    try {
      do {
        this.dispatchAgain = false;
        this.dispatchOnce();
      } while (this.dispatchAgain);
    } finally {
      this.dispatching = false;
    }
  }

  /** Every task counted ready is in a ready queue (a task lost between the two never starts). */
  checkInvariants(): void {
    let queued = 0;
    for (const queue of this.readyByShape.values()) queued += queue.length;
    assert(
      queued === this.readyCount,
      `local scheduler: ${this.readyCount} tasks counted ready, ${queued} in the ready queues`,
    );
    assert(!this.dispatching, "local scheduler: invariants checked in the middle of a dispatch");
  }

  private dispatchOnce(): void {
    for (const [shape, queue] of this.readyByShape) {
      while (queue.length > 0) {
        const task = queue[0]!;
        if (!this.argsResident(task)) {
          queue.shift();
          this.readyCount--;
          this.requeue(task);
          continue;
        }
        // queued → running happens only here, and only from the ready queue.
        assert(
          !task.gone,
          `local scheduler: ${task.spec.taskId} is queued ready but already started or dropped`,
        );
        assert(
          task.missing === 0,
          `local scheduler: ${task.spec.taskId} is ready with ${task.missing} arguments missing`,
        );
        const allocation = this.pool.allocate(task.spec.resources, task.spec.gpuMemoryBytes);
        if (allocation === undefined) break;
        queue.shift();
        this.readyCount--;
        task.gone = true;
        for (const id of task.args) task.pinned.push(this.objects.store.pin(id));
        this.start(task, allocation);
      }
      if (queue.length === 0) this.readyByShape.delete(shape);
    }
  }

  /** Removes every queued task (node shutdown); returns them for the caller to report. */
  drain(): QueuedTask[] {
    const all = [...this.waiting.values()];
    for (const q of this.readyByShape.values()) for (const t of q) all.push(t);
    this.waiting.clear();
    this.readyByShape.clear();
    this.readyCount = 0;
    for (const t of all) this.release(t);
    return all;
  }

  /**
   * Removes every queued task (waiting or ready) that `stays` rejects: the node lost capacity for
   * good (a failed GPU, an actor holding resources) and they could sit here forever. Returns them.
   */
  shed(stays: (spec: TaskSpec) => boolean): QueuedTask[] {
    const out: QueuedTask[] = [];
    for (const [taskId, task] of this.waiting) {
      if (stays(task.spec)) continue;
      this.waiting.delete(taskId);
      out.push(task);
    }
    for (const [shape, queue] of this.readyByShape) {
      const kept = queue.filter((t) => stays(t.spec));
      if (kept.length === queue.length) continue;
      for (const t of queue) if (!kept.includes(t)) out.push(t);
      this.readyCount -= queue.length - kept.length;
      if (kept.length === 0) this.readyByShape.delete(shape);
      else this.readyByShape.set(shape, kept);
    }
    for (const t of out) this.release(t);
    return out;
  }

  /** Unpins a finished or abandoned task's arguments. */
  release(task: QueuedTask): void {
    task.gone = true;
    for (const pin of task.pinned) this.objects.store.unpin(pin);
    task.pinned.length = 0;
  }

  /** Tasks waiting on an argument (for lost-object handling and diagnostics). */
  waitingOn(id: ObjectId): QueuedTask[] {
    return [...this.waiting.values()].filter(
      (t) => t.args.includes(id) && !this.objects.isLocal(id),
    );
  }

  /** Drops a queued task (its argument failed for good); the caller reports it. */
  remove(taskId: TaskId): QueuedTask | undefined {
    const task = this.waiting.get(taskId);
    if (task === undefined) return undefined;
    this.waiting.delete(taskId);
    this.release(task);
    return task;
  }

  private argArrived(task: QueuedTask, _id: ObjectId): void {
    if (task.gone) return;
    task.missing--;
    assert(task.missing >= 0, `task ${task.spec.taskId}: more arguments arrived than it has`);
    if (task.missing > 0) return;
    this.waiting.delete(task.spec.taskId);
    this.makeReady(task);
    this.dispatch();
  }

  private makeReady(task: QueuedTask): void {
    assert(
      task.missing === 0,
      `local scheduler: ${task.spec.taskId} made ready with ${task.missing} arguments missing`,
    );
    assert(
      !task.gone,
      `local scheduler: ${task.spec.taskId} made ready after it started or was dropped`,
    );
    const shape = shapeKey(task.spec);
    let queue = this.readyByShape.get(shape);
    if (queue === undefined) this.readyByShape.set(shape, (queue = []));
    queue.push(task);
    this.readyCount++;
  }

  /** An argument vanished after arrival (a forced eviction): wait for it again. */
  private requeue(task: QueuedTask): void {
    assert(
      task.args.length > 0,
      `local scheduler: ${task.spec.taskId} has no arguments to wait for again`,
    );
    this.release(task);
    task.gone = false;
    task.missing = task.args.length;
    this.waiting.set(task.spec.taskId, task);
    for (const id of task.args) this.objects.need(id, () => this.argArrived(task, id));
  }

  private argsResident(task: QueuedTask): boolean {
    for (const id of task.args) if (!this.objects.isLocal(id)) return false;
    return true;
  }
}

function shapeKey(spec: TaskSpec): string {
  let key = "";
  for (const k in spec.resources) key += `${k}=${spec.resources[k]};`;
  // A GPU-memory request is its own shape: a big one waiting for memory must not block smaller ones.
  if (spec.gpuMemoryBytes !== undefined) key += `gpuMemoryBytes=${spec.gpuMemoryBytes};`;
  return key;
}
