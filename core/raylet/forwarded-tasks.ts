/**
 * Tasks a raylet forwarded to the global scheduler, held until placed. The scheduler is stateless
 * and may be dead or cut off (a forward to it is then lost), so a forward is a request that is
 * acknowledged: by the raylet the task was placed on (it tells the forwarder), or by the scheduler
 * itself (placed, or failed as unschedulable; "held" while it waits for room). An unanswered
 * forward is sent again after `retryUs`, then after twice as long each time, up to the fallback
 * interval; the scheduler and the raylets dedupe by (task, attempt). The backoff is what keeps a
 * busy scheduler alive: its answers wait behind its queue, and a fixed interval shorter than that
 * queue re-forwards every waiting task each interval, each copy costing the scheduler another
 * placement (25 600 tasks forwarded at once to a 128-node scheduler grew its queue without end).
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
  /** Wait before the next resend: doubles per resend, up to `maxWaitUs`. */
  waitUs: number;
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
  private readonly maxWaitUs: number;

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
    this.maxWaitUs = Math.max(options.retryUs, options.fallbackUs);
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
    const waitUs = this.options.retryUs;
    const held: Held = { spec, heardUs: this.env.nowUs(), timer: this.arm(key, waitUs), waitUs };
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

  /**
   * The scheduler has the task and waits for room (or for the GCS): it is alive, so no fallback
   * yet, and the next resend is only a probe of its liveness, after the longest wait.
   */
  heldThere(taskId: TaskId, attempt: number): void {
    const held = this.held.get(attemptKey(taskId, attempt));
    if (held === undefined) return;
    held.heardUs = this.env.nowUs();
    held.waitUs = this.maxWaitUs;
  }

  /** The node is going away: nothing more to resend. */
  clear(): void {
    for (const h of this.held.values()) this.env.cancelTimer(h.timer);
    this.held.clear();
  }

  private arm(key: string, waitUs: number): TimerId {
    // Background: a scheduler that never answers must not keep a finished run alive on its own.
    return this.env.setTimer(waitUs, () => this.retry(key), "background");
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
    held.waitUs = Math.min(this.maxWaitUs, held.waitUs * 2);
    held.timer = this.arm(key, held.waitUs);
    this.resent++;
    this.send(held.spec);
  }

  private send(spec: TaskSpec): void {
    const forward: ScheduleMessage = { type: "gs.schedule", spec, fromNode: this.options.nodeName };
    this.env.send(this.options.scheduler, forward, CONTROL_MESSAGE_BYTES);
  }
}
