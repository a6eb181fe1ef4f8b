/**
 * The processes of the fan-out demo, written against core/env.ts: workers that run tasks on slots
 * and send heartbeats, and a driver that fans each round out over the workers, gathers the results
 * (fan-in), detects dead workers by missed heartbeats and resubmits what they held, as Ray's
 * raylet-era monitor did (heartbeats every `heartbeatMs`, dead after `missedHeartbeats`).
 *
 * A worker knows nothing of failures: when its node is killed its process, timers and executions
 * vanish (sim/world.ts), and the driver learns it only from the silence.
 */
import type { Address, Env, Message, Process } from "../../core/env.js";
import type { TaskCause } from "../../core/trace.js";

export interface RunMessage extends Message {
  type: "run";
  taskId: string;
  attempt: number;
  durationUs: number;
}

export interface DoneMessage extends Message {
  type: "done";
  taskId: string;
  attempt: number;
  startUs: number;
}

export interface HeartbeatMessage extends Message {
  type: "heartbeat";
  worker: string;
  /** Which life of the node this is: a restarted node beats with a higher one. */
  incarnation: number;
}

const HEARTBEAT_BYTES = 64;
const TASK_BYTES = 256;

export class Worker implements Process {
  private readonly queue: { from: Address; run: RunMessage }[] = [];
  private slotsFree: number;

  constructor(
    private readonly env: Env,
    slots: number,
    private readonly driver: Address,
    private readonly heartbeatUs: number,
    private readonly incarnation: number,
  ) {
    this.slotsFree = slots;
    // Announce at once, then beat at a random phase: workers started together do not beat in
    // lockstep, so detection delay varies with the seed as it does on a real cluster.
    this.sendHeartbeat();
    const phaseUs = Math.round(env.rng(`heartbeat-phase/${env.nodeName}`).next() * heartbeatUs);
    env.setTimer(phaseUs, () => this.heartbeat(), "background");
  }

  onMessage(from: Address, message: Message): void {
    if (message.type !== "run") return;
    this.queue.push({ from, run: message as RunMessage });
    this.startQueued();
  }

  private sendHeartbeat(): void {
    const beat: HeartbeatMessage = { type: "heartbeat", worker: this.env.nodeName, incarnation: this.incarnation };
    this.env.send(this.driver, beat, HEARTBEAT_BYTES, "background");
  }

  private heartbeat(): void {
    this.sendHeartbeat();
    this.env.setTimer(this.heartbeatUs, () => this.heartbeat(), "background");
  }

  private startQueued(): void {
    while (this.slotsFree > 0 && this.queue.length > 0) {
      const { from, run } = this.queue.shift()!;
      this.slotsFree--;
      const startUs = this.env.nowUs();
      this.env.trace({ kind: "task.started", taskId: run.taskId, name: "task", gpus: "", attempt: run.attempt });
      this.env.execute({ name: "task", taskId: run.taskId, gpuIds: [], durationUs: run.durationUs }, () => {
        this.env.trace({ kind: "task.finished", taskId: run.taskId, name: "task", attempt: run.attempt });
        const done: DoneMessage = { type: "done", taskId: run.taskId, attempt: run.attempt, startUs };
        this.env.send(from, done, TASK_BYTES);
        this.slotsFree++;
        this.startQueued();
      });
    }
  }
}

/** One execution attempt as the driver saw it. */
export interface Attempt {
  taskId: string;
  round: number;
  attempt: number;
  cause: TaskCause;
  worker: string;
  submitUs: number;
  startUs: number;
  endUs: number;
  /** From the first submission of the task to this attempt's result; NaN if lost. */
  latencyUs: number;
  outcome: "ok" | "lost";
}

export interface DriverOptions {
  workers: readonly { name: string; address: Address }[];
  rounds: number;
  width: number;
  taskDurationUs: () => number;
  heartbeatUs: number;
  missedHeartbeats: number;
  onRoundDone: (round: number) => void;
  onAllDone: () => void;
  /** A worker was declared dead (and why), or heard from again. */
  onMembership: (worker: string, alive: boolean, reason: string) => void;
}

interface TaskState {
  taskId: string;
  round: number;
  durationUs: number;
  firstSubmitUs: number;
  current: Attempt;
  done: boolean;
}

interface WorkerView {
  name: string;
  address: Address;
  alive: boolean;
  incarnation: number;
  lastHeartbeatUs: number;
  outstanding: Set<TaskState>;
}

export class FanoutDriver implements Process {
  readonly attempts: Attempt[] = [];
  readonly rounds: { round: number; startUs: number; endUs: number }[] = [];
  private readonly workers: WorkerView[];
  private readonly tasks = new Map<string, TaskState>();
  private readonly unplaced: TaskState[] = [];
  private round = -1;
  private remaining = 0;

  constructor(private readonly env: Env, private readonly options: DriverOptions) {
    this.workers = options.workers.map((w) => ({ ...w, alive: true, incarnation: 0, lastHeartbeatUs: 0, outstanding: new Set() }));
    this.monitor();
    this.nextRound();
  }

  onMessage(_from: Address, message: Message): void {
    if (message.type === "heartbeat") return this.onHeartbeat(message as HeartbeatMessage);
    if (message.type === "done") return this.onDone(message as DoneMessage);
  }

  private nextRound(): void {
    this.round++;
    if (this.round === this.options.rounds) return this.options.onAllDone();
    const nowUs = this.env.nowUs();
    this.rounds.push({ round: this.round, startUs: nowUs, endUs: -1 });
    this.remaining = this.options.width;
    for (let i = 0; i < this.options.width; i++) {
      const taskId = `r${this.round}.t${i}`;
      const task: TaskState = { taskId, round: this.round, durationUs: this.options.taskDurationUs(), firstSubmitUs: nowUs, current: undefined!, done: false };
      this.tasks.set(taskId, task);
      this.submit(task, 0, "original");
    }
  }

  private submit(task: TaskState, attempt: number, cause: TaskCause): void {
    const nowUs = this.env.nowUs();
    task.current = { taskId: task.taskId, round: task.round, attempt, cause, worker: "", submitUs: nowUs, startUs: Number.NaN, endUs: Number.NaN, latencyUs: Number.NaN, outcome: "lost" };
    this.env.trace({ kind: "task.submitted", taskId: task.taskId, name: "task", cause, taskKind: "task", attempt });
    this.place(task);
  }

  /** Least outstanding work among workers believed alive; ties go to the lower index. */
  private place(task: TaskState): void {
    let best: WorkerView | undefined;
    for (const w of this.workers) if (w.alive && (best === undefined || w.outstanding.size < best.outstanding.size)) best = w;
    if (best === undefined) {
      this.unplaced.push(task);
      return;
    }
    task.current.worker = best.name;
    best.outstanding.add(task);
    const run: RunMessage = { type: "run", taskId: task.taskId, attempt: task.current.attempt, durationUs: task.durationUs };
    this.env.send(best.address, run, TASK_BYTES);
  }

  private onDone(done: DoneMessage): void {
    const task = this.tasks.get(done.taskId);
    // A late result of an attempt already given up on is ignored: the retry's counts.
    if (task === undefined || task.done || task.current.attempt !== done.attempt) return;
    const nowUs = this.env.nowUs();
    task.done = true;
    Object.assign(task.current, { startUs: done.startUs, endUs: nowUs, latencyUs: nowUs - task.firstSubmitUs, outcome: "ok" });
    this.attempts.push(task.current);
    this.workers.find((w) => w.name === task.current.worker)?.outstanding.delete(task);
    this.tasks.delete(task.taskId);
    if (--this.remaining > 0) return;
    this.rounds[this.round]!.endUs = nowUs;
    this.options.onRoundDone(this.round);
    this.nextRound();
  }

  private onHeartbeat(beat: HeartbeatMessage): void {
    const w = this.workers.find((v) => v.name === beat.worker);
    if (w === undefined || beat.incarnation < w.incarnation) return;
    w.lastHeartbeatUs = this.env.nowUs();
    // A node that restarted within the timeout never went silent long enough; its new
    // incarnation still means the old one, and every task it held, is gone (fencing).
    if (beat.incarnation > w.incarnation && w.alive) this.declareDead(w, "restarted");
    w.incarnation = beat.incarnation;
    if (w.alive) return;
    w.alive = true;
    this.options.onMembership(w.name, true, "heartbeat");
    for (const task of this.unplaced.splice(0)) this.place(task);
  }

  private monitor(): void {
    const nowUs = this.env.nowUs();
    const timeoutUs = this.options.heartbeatUs * this.options.missedHeartbeats;
    for (const w of this.workers) {
      if (w.alive && nowUs - w.lastHeartbeatUs > timeoutUs) this.declareDead(w, "missed heartbeats");
    }
    this.env.setTimer(this.options.heartbeatUs, () => this.monitor(), "background");
  }

  /** Gives up on a worker incarnation: what it held is resubmitted elsewhere as retries. */
  private declareDead(w: WorkerView, reason: string): void {
    const nowUs = this.env.nowUs();
    w.alive = false;
    this.options.onMembership(w.name, false, reason);
    const lost = [...w.outstanding];
    w.outstanding.clear();
    for (const task of lost) {
      task.current.endUs = nowUs;
      this.attempts.push(task.current);
      this.submit(task, task.current.attempt + 1, "retry");
    }
  }
}
