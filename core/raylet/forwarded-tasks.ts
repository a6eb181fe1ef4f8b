/**
 * Tasks a raylet forwarded to the global scheduler, held until placed. The scheduler is stateless
 * and may be dead or cut off (a forward to it is then lost), so a forward is a request that is
 * acknowledged: by the raylet the task was placed on (it tells the forwarder), or by the scheduler
 * itself (placed, or failed as unschedulable; "held" while it waits for room). An unanswered
 * forward is sent again every `retryUs`; the scheduler and the raylets dedupe by (task, attempt).
 * A task whose scheduler has been silent for `fallbackUs` runs here if this node can ever run it,
 * as a raylet without a global scheduler would.
 */
import { assert, assertBound } from "../assert.js";
import type { Address, Env, TimerId } from "../env.js";
import type { TaskId } from "../ids.js";
import type { ScheduleMessage } from "../scheduler/messages.js";
import type { TaskSpec } from "../task-spec.js";
import { CONTROL_MESSAGE_BYTES } from "./messages.js";

export interface ForwardedTasksOptions {
  readonly scheduler: Address;
  readonly nodeName: string;
  readonly retryUs: number;
  readonly fallbackUs: number;
  /** Could this node run the task once its resources are free? */
  readonly canRunHere: (spec: TaskSpec) => boolean;
  /** The fallback: queue the task on this node. */
  readonly keepHere: (spec: TaskSpec) => void;
}

interface Held {
  readonly spec: TaskSpec;
  /** When the scheduler last showed it has the task (or when it was forwarded). */
  heardUs: number;
  timer: TimerId;
}

export function attemptKey(taskId: TaskId, attempt: number): string {
  return `${taskId}/${attempt}`;
}

/** Task attempts one raylet has forwarded to the global scheduler and not yet seen placed. */
export const MAX_FORWARDED_TASKS = 1_000_000;

export class ForwardedTasks {
  private readonly held = new Map<string, Held>();
  /** Forwards sent again because no answer came in time (for tests and diagnostics). */
  resent = 0;
  fallbacks = 0;

  constructor(
    private readonly env: Env,
    private readonly options: ForwardedTasksOptions,
  ) {
    assert(
      options.retryUs > 0,
      `forwarded tasks at ${options.nodeName}: retry interval must be > 0, got ${options.retryUs}`,
    );
    assert(
      options.fallbackUs >= 0,
      `forwarded tasks at ${options.nodeName}: fallback must be >= 0, got ${options.fallbackUs}`,
    );
  }

  get size(): number {
    return this.held.size;
  }

  forward(spec: TaskSpec): void {
    const key = attemptKey(spec.taskId, spec.attempt);
    if (this.held.has(key)) return;
    assertBound(
      this.held.size,
      MAX_FORWARDED_TASKS,
      `raylet ${this.options.nodeName} forwarded tasks (MAX_FORWARDED_TASKS)`,
    );
    const held: Held = { spec, heardUs: this.env.nowUs(), timer: this.arm(key) };
    this.held.set(key, held);
    this.send(spec);
  }

  /** The task was placed (or failed) by the scheduler: stop holding it. */
  placed(taskId: TaskId, attempt: number): void {
    const key = attemptKey(taskId, attempt);
    const held = this.held.get(key);
    if (held === undefined) return;
    this.env.cancelTimer(held.timer);
    this.held.delete(key);
  }

  /** The scheduler has the task and waits for room: it is alive, so no fallback yet. */
  heldThere(taskId: TaskId, attempt: number): void {
    const held = this.held.get(attemptKey(taskId, attempt));
    if (held !== undefined) held.heardUs = this.env.nowUs();
  }

  /** The node is going away: nothing more to resend. */
  clear(): void {
    for (const h of this.held.values()) this.env.cancelTimer(h.timer);
    this.held.clear();
  }

  private arm(key: string): TimerId {
    // Background: a scheduler that never answers must not keep a finished run alive on its own.
    return this.env.setTimer(this.options.retryUs, () => this.retry(key), "background");
  }

  private retry(key: string): void {
    const held = this.held.get(key);
    if (held === undefined) return;
    assert(
      held.heardUs <= this.env.nowUs(),
      `forwarded ${key}: heard from the scheduler in the future`,
    );
    if (
      this.env.nowUs() - held.heardUs >= this.options.fallbackUs &&
      this.options.canRunHere(held.spec)
    ) {
      this.held.delete(key);
      this.fallbacks++;
      return this.options.keepHere(held.spec);
    }
    held.timer = this.arm(key);
    this.resent++;
    this.send(held.spec);
  }

  private send(spec: TaskSpec): void {
    const forward: ScheduleMessage = { type: "gs.schedule", spec, fromNode: this.options.nodeName };
    this.env.send(this.options.scheduler, forward, CONTROL_MESSAGE_BYTES);
  }
}
