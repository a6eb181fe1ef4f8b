/**
 * The two processes of the M/M/c scenario, written against core/env.ts like any core/ component:
 * a source that sends jobs by message at exponential intervals, and a server that runs them first
 * come, first served on `servers` execution slots. The server measures as it goes (per-job times,
 * and the time integrals of busy slots and queue length over the measurement window) and traces
 * every job as a task (submitted, started, finished), when asked, so the run exports to Chrome's
 * trace viewer.
 */
import type { Address, Env, Message, Process } from "../../core/env.js";
import { exponential } from "../../core/random/distributions.js";

export interface JobMessage extends Message {
  type: "job";
  index: number;
  serviceUs: number;
}

export interface JobTimes {
  arrivalUs: number;
  startUs: number;
  endUs: number;
}

export interface SourceOptions {
  server: Address;
  jobs: number;
  interarrivalMeanUs: number;
  serviceMeanUs: number;
  onSent: (count: number) => void;
}

export class JobSource implements Process {
  private sent = 0;
  constructor(
    private readonly env: Env,
    private readonly options: SourceOptions,
  ) {
    this.scheduleNext();
  }

  onMessage(): void {}

  private scheduleNext(): void {
    const gapUs = Math.round(
      exponential(this.env.rng("arrivals"), this.options.interarrivalMeanUs),
    );
    this.env.setTimer(gapUs, () => this.send());
  }

  private send(): void {
    // Service demand travels with the job, drawn from its own stream (common random numbers).
    const serviceUs = Math.round(exponential(this.env.rng("service"), this.options.serviceMeanUs));
    const job: JobMessage = { type: "job", index: this.sent, serviceUs };
    this.env.send(this.options.server, job, 0);
    this.sent++;
    this.options.onSent(this.sent);
    if (this.sent < this.options.jobs) this.scheduleNext();
  }
}

/** Time integrals over [fromUs, untilUs]; the window opens when the first measured job arrives. */
export class WindowIntegral {
  areaUs = 0;
  private level = 0;
  private lastUs = 0;
  constructor(
    public fromUs = Number.POSITIVE_INFINITY,
    public untilUs = Number.POSITIVE_INFINITY,
  ) {}

  change(nowUs: number, delta: number): void {
    const from = Math.max(this.lastUs, this.fromUs);
    const to = Math.min(nowUs, this.untilUs);
    if (to > from) this.areaUs += this.level * (to - from);
    this.level += delta;
    this.lastUs = nowUs;
  }
}

export class MmcServer implements Process {
  readonly times: JobTimes[] = [];
  readonly busy = new WindowIntegral();
  readonly waiting = new WindowIntegral();
  private readonly queue: JobMessage[] = [];
  private queueHead = 0;
  private slotsFree: number;

  constructor(
    private readonly env: Env,
    servers: number,
    private readonly warmupJobs: number,
    private readonly jobs: number,
    private readonly traced: boolean,
  ) {
    this.slotsFree = servers;
  }

  onMessage(_from: Address, message: Message): void {
    const job = message as JobMessage;
    const nowUs = this.env.nowUs();
    if (job.index === this.warmupJobs) {
      this.busy.fromUs = nowUs;
      this.waiting.fromUs = nowUs;
    }
    this.times[job.index] = { arrivalUs: nowUs, startUs: -1, endUs: -1 };
    if (this.traced)
      this.env.trace({
        kind: "task.submitted",
        taskId: taskId(job),
        name: "job",
        cause: "original",
        taskKind: "task",
        attempt: 0,
      });
    this.queue.push(job);
    this.waiting.change(nowUs, +1);
    // The window closes at the last arrival: the drain after it is not steady state.
    if (job.index === this.jobs - 1) {
      this.busy.untilUs = nowUs;
      this.waiting.untilUs = nowUs;
    }
    this.startWaiting();
  }

  private startWaiting(): void {
    while (this.slotsFree > 0 && this.queueHead < this.queue.length) {
      const job = this.queue[this.queueHead++]!;
      this.slotsFree--;
      this.start(job);
    }
    // Drop consumed entries now and then, so the array does not grow with every job ever queued.
    if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  private start(job: JobMessage): void {
    const nowUs = this.env.nowUs();
    this.times[job.index]!.startUs = nowUs;
    this.waiting.change(nowUs, -1);
    this.busy.change(nowUs, +1);
    if (this.traced)
      this.env.trace({
        kind: "task.started",
        taskId: taskId(job),
        name: "job",
        gpus: "",
        attempt: 0,
      });
    this.env.execute(
      { name: "job", taskId: taskId(job), gpuIds: [], durationUs: job.serviceUs },
      () => {
        const endUs = this.env.nowUs();
        this.times[job.index]!.endUs = endUs;
        this.busy.change(endUs, -1);
        if (this.traced)
          this.env.trace({ kind: "task.finished", taskId: taskId(job), name: "job", attempt: 0 });
        this.slotsFree++;
        this.startWaiting();
      },
    );
  }
}

function taskId(job: JobMessage): string {
  return `job${job.index}`;
}
