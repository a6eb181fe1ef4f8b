/**
 * The world core/ runs in: hosts (nodes) that hold processes, and an `Env` per process implementing
 * every port of core/env.ts on the kernel. A node crash is real here: the node's processes and all
 * their state vanish, their timers and executions never fire, and every message in flight to or
 * from them is dropped on arrival. Survivors learn of it only through the protocol.
 *
 * Invariants: a message is delivered only if its sender and its receiver (the incarnation it was
 * addressed to) are both still alive; a timer or execution fires only while its process lives.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { assert } from "../core/assert.js";
import type {
  Address,
  DurableStorage,
  Env,
  ExecutionId,
  ExecutionOutcome,
  ExecutionRequest,
  Message,
  Process,
  Rng,
  TaskContextPort,
  TimerId,
  TransportPort,
  Urgency,
  UserDeferred,
} from "../core/env.js";
import { RPC_DEFAULTS, RpcLayer, type RpcOptions } from "../core/rpc/rpc-layer.js";
import type { TraceEvent } from "../core/trace.js";
import type { EventHandler } from "./event-queue.js";
import { Kernel } from "./kernel.js";
import type { MessageFaultRule } from "./message-faults.js";
import { Network, type NetworkOptions } from "./network.js";
import { RandomStreams, type Seed } from "./random.js";
import { Recorder } from "./recorder.js";
import { transferUs } from "../core/units.js";
import { costKind, resolveCosts, ServiceTable, type ResolvedCosts } from "./costs.js";
import { ProcessQueue } from "./process-queue.js";

const TAG_DELIVER = 1;
const TAG_TIMER = 2;
const TAG_EXECUTION = 3;
const TAG_INJECT = 4;

export interface WorldOptions {
  seed: Seed;
  network?: Partial<NetworkOptions>;
  storage?: { latencyUs?: number; bandwidthBytesPerSec?: number };
  keepEvents?: boolean;
  /** Put core/rpc's RPC layer (ids, acks, resends, dedupe) under every process spawned. */
  rpc?: boolean | Partial<RpcOptions>;
  /** Service times of the control processes (sim/costs.ts); default "free": handled instantly. */
  costs?: ResolvedCosts;
  /** Width of the buckets of the queue-length series in `queues()`; default 1 ms. */
  queueBucketUs?: number;
}

export class NodeState {
  alive = true;
  incarnation = 0;
  readonly processes = new Map<Address, ProcessEntry>();
  readonly executions = new Map<number, ExecutionRecord>();
  readonly failedGpus = new Set<number>();
  /** GPU memory held outside Ray (faults.holdGpuMemory), by GPU index: the raylet cannot see it. */
  readonly foreignGpuBytes = new Map<number, number>();
  /** A straggler (faults.slowNode): executions started while it is > 1 take this many times longer. */
  slowFactor = 1;
  /** Worker processes started on this incarnation, and when the prestarted ones are ready. */
  workers = 0;
  workersReadyUs = 0;
  constructor(
    readonly name: string,
    readonly index: number,
  ) {}
}

interface Envelope {
  from: ProcessEntry;
  to: ProcessEntry;
  message: Message;
  /** A delayed message or a duplicate copy: message faults do not delay or copy it again. */
  perturbed: boolean;
  /** Counted in `World.onWire` until it arrives or its transfer is lost. */
  onWire: boolean;
}

interface TimerRecord {
  id: number;
  readonly entry: ProcessEntry;
  readonly fire: () => void;
  /** The host transport's (Env.transport): runs on the kernel's clock, not after the process's queue. */
  readonly transport: boolean;
}

export interface ExecutionRecord {
  id: number;
  readonly entry: ProcessEntry;
  readonly request: ExecutionRequest;
  readonly done: (outcome: ExecutionOutcome) => void;
  readonly startUs: number;
  /** Started on a failed GPU: it ends at once with "gpu-failed". */
  readonly failed: boolean;
  /** Found too little GPU memory free at launch: it ends at once with "gpu-out-of-memory". */
  readonly outOfMemory: boolean;
}

/** A filter that may drop a message on its way (partitions, drop rules); see sim/faults. */
export type LinkFilter = (
  fromNode: string,
  toNode: string,
  message: Message,
  to: Address,
) => boolean;

export class ProcessEntry {
  alive = true;
  process: Process | undefined;
  /** The process itself under its RPC layer: asked for the size a message's cost depends on. */
  inner: Process | undefined;
  readonly timers = new Map<number, TimerRecord>();
  readonly env: Env;
  /** Its FIFO server and service times (null under costs "free": every message costs 0). */
  readonly queue: ProcessQueue;
  readonly service: ServiceTable | null;
  /** While a handler runs: the end of its service, the process's own clock; else -1. */
  clockUs = -1;
  constructor(
    readonly world: World,
    readonly address: Address,
    readonly node: NodeState,
    servers: number,
  ) {
    this.env = new ProcessEnv(world, this);
    this.queue = new ProcessQueue(
      address,
      node.name,
      world.kernel.nowUs,
      servers,
      world.queueBucketUs,
    );
    const costs = world.costs;
    this.service = costs.free
      ? null
      : new ServiceTable(costs, costKind(address), () => world.random.stream(`service/${address}`));
  }

  /**
   * The process's clock: the end of the service it is in (or, outside a handler — user code
   * resumed by a promise — of the last one it began), never before the kernel's.
   */
  nowUs(): number {
    return this.clockUs >= 0 ? this.clockUs : this.queue.clockAfter(this.world.kernel.nowUs);
  }

  /** How far this process's clock is ahead of the kernel's: every effect it makes is that late. */
  aheadUs(): number {
    return this.nowUs() - this.world.kernel.nowUs;
  }
}

/** The durable store shared by all nodes: a write or read costs latency plus size over bandwidth. */
class SimStorage {
  readonly data = new Map<string, { value: unknown; sizeBytes: number }>();
  bytesWritten = 0;
  bytesRead = 0;
  constructor(
    readonly latencyUs: number,
    readonly bandwidthBytesPerSec: number,
  ) {}
  costUs(sizeBytes: number): number {
    return Math.round(this.latencyUs + transferUs(sizeBytes, this.bandwidthBytesPerSec));
  }
}

class ProcessEnv implements Env {
  readonly self: Address;
  readonly nodeName: string;
  readonly storage: DurableStorage;
  readonly taskContext: TaskContextPort<unknown>;
  constructor(
    private readonly world: World,
    private readonly entry: ProcessEntry,
  ) {
    this.self = entry.address;
    this.nodeName = entry.node.name;
    this.taskContext = world.taskContext;
    const store = world.storage;
    this.storage = {
      write: (key, value, sizeBytes, done) => {
        this.setTimer(store.costUs(sizeBytes), () => {
          store.data.set(key, { value, sizeBytes });
          store.bytesWritten += sizeBytes;
          done(true);
        });
      },
      read: (key, done) => {
        const item = store.data.get(key);
        this.setTimer(store.costUs(item?.sizeBytes ?? 0), () => {
          const now = store.data.get(key);
          if (now === undefined) return done(false, undefined, 0);
          store.bytesRead += now.sizeBytes;
          done(true, now.value, now.sizeBytes);
        });
      },
      remove: (key) => void store.data.delete(key),
    };
  }
  nowUs(): number {
    return this.entry.nowUs();
  }
  setTimer(delayUs: number, fire: () => void, urgency: Urgency = "work"): TimerId {
    return this.world.setTimer(
      this.entry,
      Math.max(0, Math.round(delayUs)) + this.entry.aheadUs(),
      fire,
      urgency,
    ) as TimerId;
  }
  cancelTimer(timer: TimerId): void {
    this.world.cancelTimer(this.entry, timer);
  }
  send<M extends Message>(
    to: Address,
    message: M,
    sizeBytes: number,
    urgency: Urgency = "work",
  ): void {
    this.world.send(this.entry, to, message, sizeBytes, urgency);
  }
  rng(stream: string): Rng {
    return this.world.random.stream(stream);
  }
  freshRng(key: string): Rng {
    return this.world.random.fresh(key);
  }
  execute(request: ExecutionRequest, done: (outcome: ExecutionOutcome) => void): ExecutionId {
    return this.world.execute(this.entry, request, done) as ExecutionId;
  }
  cancelExecution(execution: ExecutionId): void {
    this.world.cancelExecution(this.entry, execution);
  }
  /** The host's transport under the process: the kernel's clock, timers that skip the queue. */
  readonly transport: TransportPort = {
    nowUs: () => this.world.kernel.nowUs,
    setTimer: (delayUs, fire, urgency = "work") =>
      this.world.setTimer(
        this.entry,
        Math.max(0, Math.round(delayUs)),
        fire,
        urgency,
        true,
      ) as TimerId,
    cancelTimer: (timer) => this.world.cancelTimer(this.entry, timer),
    send: (to, message, sizeBytes, urgency = "work") =>
      this.world.send(this.entry, to, message, sizeBytes, urgency, 0),
    onWire: (message) => this.world.isOnWire(message),
  };
  trace(event: TraceEvent): void {
    // The simulation's view of progress for livelock detection: an attempt started or ended.
    const kind = event.kind;
    if (kind === "task.started" || kind === "task.finished" || kind === "task.failed")
      this.world.kernel.noteProgress();
    this.world.recorder.recordAhead(
      this.entry.nowUs(),
      this.world.kernel.nowUs,
      this.nodeName,
      event,
      this.entry,
    );
  }
  userDeferred<T>(label: string): UserDeferred<T> {
    return this.world.kernel.userDeferred<T>(label);
  }
}

export class World implements EventHandler {
  readonly kernel = new Kernel();
  readonly random: RandomStreams;
  readonly recorder: Recorder;
  readonly network: Network;
  readonly storage: SimStorage;
  readonly nodes = new Map<string, NodeState>();
  private readonly processes = new Map<Address, ProcessEntry>();
  private readonly contextStore = new AsyncLocalStorage<unknown>();
  readonly taskContext: TaskContextPort<unknown> = {
    run: (context, body) => this.contextStore.run(context, body),
    current: () => this.contextStore.getStore(),
  };
  readonly linkFilters: LinkFilter[] = [];
  /** Active message faults (sim/message-faults.ts), consulted only while one is active. */
  readonly messageFaults: MessageFaultRule[] = [];
  /** Called when an execution starts, so fault injectors can watch for targets (crashWorkers). */
  onExecutionStart: ((record: ExecutionRecord) => void) | undefined;
  private readonly rpcOptions: RpcOptions | undefined;
  readonly costs: ResolvedCosts;
  readonly queueBucketUs: number;
  private readonly timerCostUs: number;
  /** Every process's queue, the dead ones' too, in spawn order (metrics.queues()). */
  readonly queueLog: ProcessQueue[] = [];
  messagesSent = 0;
  messagesDropped = 0;
  messagesDuplicated = 0;
  messagesDelayed = 0;
  bytesSent = 0;
  /** Bulk messages on the wire, by message object (an RPC resend is the same object): copies. */
  private readonly onWire = new Map<Message, number>();

  constructor(options: WorldOptions) {
    this.random = new RandomStreams(options.seed);
    this.recorder = new Recorder({ keepEvents: options.keepEvents ?? true });
    this.network = new Network(this.kernel, options.network ?? {});
    this.network.onTransferLost = (data) => {
      const envelope = data as Envelope;
      if (envelope.onWire) this.offWire(envelope);
    };
    this.storage = new SimStorage(
      options.storage?.latencyUs ?? 1_000,
      options.storage?.bandwidthBytesPerSec ?? 1e9,
    );
    const rpc = options.rpc ?? false;
    this.rpcOptions = rpc === false ? undefined : { ...RPC_DEFAULTS, ...(rpc === true ? {} : rpc) };
    this.costs = options.costs ?? resolveCosts("free");
    this.queueBucketUs = options.queueBucketUs ?? 1_000;
    this.timerCostUs = this.costs.named("timer.firedUs");
    assert(this.queueBucketUs >= 1, "world: queueBucketUs must be >= 1");
  }

  /** Adds a node, or brings a dead one back as a fresh incarnation with no processes. */
  addNode(name: string): NodeState {
    const existing = this.nodes.get(name);
    if (existing !== undefined) {
      assert(!existing.alive, `addNode: node ${name} is already alive`);
      existing.alive = true;
      existing.incarnation++;
      existing.failedGpus.clear();
      existing.foreignGpuBytes.clear();
      existing.workers = 0;
      return existing;
    }
    const node = new NodeState(name, this.nodes.size);
    this.nodes.set(name, node);
    return node;
  }

  node(name: string): NodeState {
    const node = this.nodes.get(name);
    assert(node !== undefined, `unknown node ${name}`);
    return node;
  }

  /**
   * Starts a process on a live node; `make` receives the process's own Env. `servers` > 1 makes it
   * a k-threaded server (one FIFO queue, k messages in service at once); Ray's loops have one.
   */
  spawn<P extends Process>(
    nodeName: string,
    addr: Address,
    make: (env: Env) => P,
    options: { servers?: number } = {},
  ): P {
    const node = this.node(nodeName);
    assert(node.alive, `spawn ${addr} on dead node ${nodeName}`);
    assert(!this.processes.has(addr), `spawn: address ${addr} is taken`);
    const entry = new ProcessEntry(this, addr, node, options.servers ?? 1);
    this.processes.set(addr, entry);
    node.processes.set(addr, entry);
    this.queueLog.push(entry.queue);
    if (this.rpcOptions === undefined) {
      const process = make(entry.env);
      entry.process = process;
      entry.inner = process;
      return process;
    }
    const rpc = new RpcLayer(entry.env, this.rpcOptions);
    const process = make(rpc.env);
    rpc.attach(process);
    entry.process = rpc;
    entry.inner = process;
    return process;
  }

  /**
   * Starts `count` worker processes with a node (Ray prestarts one per CPU): ready at once for the
   * nodes of the initial cluster (started before the driver connects), `worker.startUs` later for
   * a node that joins or restarts during the run.
   */
  prestartWorkers(nodeName: string, count: number): void {
    const node = this.node(nodeName);
    node.workers = count;
    node.workersReadyUs =
      this.kernel.nowUs === 0 ? 0 : this.kernel.nowUs + this.costs.named("worker.startUs");
  }

  /** Slot time an execution pays before its body: a dispatch to a warm worker, or a process start. */
  private workerOverheadUs(node: NodeState, startUs: number): number {
    const costs = this.costs;
    if (costs.free) return 0;
    if (node.executions.size < node.workers)
      return costs.named("worker.dispatchUs") + Math.max(0, node.workersReadyUs - startUs);
    node.workers++;
    return costs.named("worker.startUs") + costs.named("worker.dispatchUs");
  }

  isAlive(addr: Address): boolean {
    return this.processes.get(addr)?.alive === true;
  }

  /** Kills one process: its state, timers and executions vanish; in-flight messages drop. */
  killProcess(addr: Address): void {
    const entry = this.processes.get(addr);
    if (entry === undefined) return;
    entry.alive = false;
    // Handlers it already ran may have traced effects stamped past now (the end of their service).
    this.recorder.dropAhead(entry, this.kernel.nowUs);
    entry.queue.diedUs = this.kernel.nowUs;
    for (const id of entry.timers.keys()) this.kernel.cancel(id);
    entry.timers.clear();
    for (const [id, record] of entry.node.executions) {
      if (record.entry !== entry) continue;
      this.kernel.cancel(id);
      entry.node.executions.delete(id);
    }
    this.processes.delete(addr);
    entry.node.processes.delete(addr);
    entry.process = undefined;
  }

  /** Crashes a node: every process on it dies; it stays dead until `addNode` revives it. */
  killNode(name: string): void {
    const node = this.node(name);
    if (!node.alive) return;
    for (const addr of [...node.processes.keys()]) this.killProcess(addr);
    assert(node.executions.size === 0, `killNode ${name}: executions survived`);
    this.network.resetNode(name);
    node.alive = false;
  }

  setTimer(
    entry: ProcessEntry,
    delayUs: number,
    fire: () => void,
    urgency: Urgency,
    transport = false,
  ): number {
    assert(entry.alive, `setTimer from dead process ${entry.address}`);
    const record: TimerRecord = { id: -1, entry, fire, transport };
    record.id = this.kernel.schedule(
      Math.max(0, Math.round(delayUs)),
      this,
      TAG_TIMER,
      record,
      urgency === "work",
    );
    entry.timers.set(record.id, record);
    return record.id;
  }

  cancelTimer(entry: ProcessEntry, id: number): void {
    if (!entry.timers.delete(id)) return;
    this.kernel.cancel(id);
  }

  /** `aheadUs`: how long after now it leaves; by default when the sender's service ends. */
  send(
    from: ProcessEntry,
    to: Address,
    message: Message,
    sizeBytes: number,
    urgency: Urgency,
    aheadUs = from.aheadUs(),
  ): void {
    assert(from.alive, `send from dead process ${from.address}`);
    assert(sizeBytes >= 0, `send: negative size ${sizeBytes}`);
    this.messagesSent++;
    this.bytesSent += sizeBytes;
    const receiver = this.processes.get(to);
    if (receiver === undefined || !receiver.alive) {
      this.messagesDropped++;
      return;
    }
    // Only bulk messages are tracked: a small one is on the wire for a latency, far below any
    // resend timeout, and tracking every message would cost a map entry on the hot path.
    const onWire = sizeBytes >= this.network.options.bulkThresholdBytes;
    const envelope: Envelope = { from, to: receiver, message, perturbed: false, onWire };
    if (onWire) this.onWire.set(message, (this.onWire.get(message) ?? 0) + 1);
    // Sent when the sender's service ends; a sender dead by then is dropped on delivery.
    this.network.transmit(
      from.node.name,
      receiver.node.name,
      sizeBytes,
      this,
      TAG_DELIVER,
      envelope,
      urgency === "work",
      aheadUs,
    );
  }

  /** Whether a copy of `message` is still on the wire (TransportPort.onWire). */
  isOnWire(message: Message): boolean {
    return this.onWire.has(message);
  }

  private offWire(envelope: Envelope): void {
    envelope.onWire = false;
    const copies = this.onWire.get(envelope.message)!;
    assert(copies >= 1, `world: ${envelope.message.type} left the wire more often than it went on`);
    if (copies === 1) this.onWire.delete(envelope.message);
    else this.onWire.set(envelope.message, copies - 1);
  }

  /**
   * Delivers a message from the node's own hardware or operating system (a GPU error, memory
   * pressure) to a process, now. Used by fault injection; the sender is `hardware@<node>`.
   */
  inject<M extends Message>(to: Address, message: M): void {
    const receiver = this.processes.get(to);
    if (receiver === undefined || !receiver.alive) return;
    this.kernel.schedule(0, this, TAG_INJECT, { to: receiver, message }, true);
  }

  execute(
    entry: ProcessEntry,
    request: ExecutionRequest,
    done: (outcome: ExecutionOutcome) => void,
  ): number {
    assert(entry.alive, `execute on dead process ${entry.address}`);
    assert(request.durationUs >= 0, `execute ${request.name}: negative duration`);
    // Launching on a failed GPU fails at once, like a CUDA error at launch: the raylet may not
    // have heard of the failure yet.
    const onFailedGpu = request.gpuIds.some((g) => entry.node.failedGpus.has(g));
    const outOfMemory = !onFailedGpu && this.lacksGpuMemory(entry.node, request);
    const aheadUs = entry.aheadUs();
    const startUs = this.kernel.nowUs + aheadUs;
    const record: ExecutionRecord = {
      id: -1,
      entry,
      request,
      done,
      startUs,
      failed: onFailedGpu,
      outOfMemory,
    };
    // The slowdown is fixed when the execution starts: a task that began before the node slowed
    // down (or after it recovered) runs at the speed it started with.
    const durationUs =
      Math.max(0, Math.round(request.durationUs * entry.node.slowFactor)) +
      this.workerOverheadUs(entry.node, startUs);
    record.id = this.kernel.schedule(
      aheadUs + (onFailedGpu || outOfMemory ? 0 : durationUs),
      this,
      TAG_EXECUTION,
      record,
      true,
    );
    entry.node.executions.set(record.id, record);
    this.onExecutionStart?.(record);
    return record.id;
  }

  private lacksGpuMemory(node: NodeState, request: ExecutionRequest): boolean {
    const free = request.gpuFreeMemoryBytes;
    if (free === undefined || node.foreignGpuBytes.size === 0) return false;
    return request.gpuIds.some((g, i) => (node.foreignGpuBytes.get(g) ?? 0) > free[i]!);
  }

  /** Memory on a GPU taken (bytes > 0) or given back by a process outside Ray; Ray is not told. */
  holdGpuMemory(nodeName: string, index: number, bytes: number): void {
    const node = this.node(nodeName);
    if (!node.alive) return;
    const held = Math.max(0, (node.foreignGpuBytes.get(index) ?? 0) + bytes);
    if (held === 0) node.foreignGpuBytes.delete(index);
    else node.foreignGpuBytes.set(index, held);
  }

  cancelExecution(entry: ProcessEntry, id: number): void {
    if (!entry.node.executions.delete(id)) return;
    this.kernel.cancel(id);
  }

  /**
   * Livelock report: counts a work delivery by its type, looking inside an RPC envelope (core/rpc).
   * Background deliveries (pings, heartbeats) are what an idle run does anyway: not counted.
   */
  private tally(message: Message): void {
    if ((this.kernel.currentEventId & 1) === 0) return;
    const payload = (message as { payload?: Message }).payload;
    this.kernel.tally(
      message.type === "rpc.data" && payload !== undefined ? payload.type : message.type,
    );
  }

  /** Whether some execution (a task's or actor call's run time) is still pending: its end is progress to come. */
  hasPendingExecution(): boolean {
    for (const node of this.nodes.values()) if (node.executions.size > 0) return true;
    return false;
  }

  /** A GPU fails: what runs on it fails, and the raylet hears of it from the hardware. */
  failGpu<M extends Message>(nodeName: string, index: number, raylet: Address, notice: M): void {
    const node = this.node(nodeName);
    if (!node.alive || node.failedGpus.has(index)) return;
    node.failedGpus.add(index);
    this.inject(raylet, notice);
    for (const record of [...node.executions.values()]) {
      if (record.request.gpuIds.includes(index)) this.failExecution(record, "gpu-failed");
    }
  }

  repairGpu<M extends Message>(nodeName: string, index: number, raylet: Address, notice: M): void {
    const node = this.node(nodeName);
    if (!node.alive || !node.failedGpus.delete(index)) return;
    this.inject(raylet, notice);
  }

  /** Ends an execution early because its worker or GPU died; the owning process is told. */
  failExecution(record: ExecutionRecord, outcome: Exclude<ExecutionOutcome, "ok">): void {
    const node = record.entry.node;
    if (!node.executions.delete(record.id)) return;
    this.kernel.cancel(record.id);
    record.done(outcome);
  }

  /**
   * Applies the active message faults to a message about to be delivered: true when it is dropped
   * or delayed (then it comes back later, perturbed). A duplicate copy follows a little later.
   */
  private perturb(e: Envelope): boolean {
    const fromNode = e.from.node.name;
    const toNode = e.to.node.name;
    for (const rule of this.messageFaults) {
      if (rule.kind === "drop") {
        if (!rule.hits(fromNode, toNode, e.from.address, e.to.address)) continue;
        this.messagesDropped++;
        return true;
      }
      if (e.perturbed || !rule.hits(fromNode, toNode, e.from.address, e.to.address)) continue;
      // The copy or the late message keeps the urgency of the delivery it came from.
      const work = (this.kernel.currentEventId & 1) === 1;
      if (rule.kind === "delay") {
        e.perturbed = true;
        this.messagesDelayed++;
        this.kernel.schedule(rule.extraUs, this, TAG_DELIVER, e, work);
        return true;
      }
      this.messagesDuplicated++;
      const copy: Envelope = {
        from: e.from,
        to: e.to,
        message: e.message,
        perturbed: true,
        onWire: false,
      };
      this.kernel.schedule(rule.duplicateDelayUs(), this, TAG_DELIVER, copy, work);
    }
    return false;
  }

  /**
   * Serves a message at its receiver: FIFO, one at a time (or `servers` at a time), each taking the
   * service time its type costs there (sim/costs.ts).
   *
   * Why handle it now, at arrival, with the clock set to the end of its service, rather than
   * deliver it again at that end: no kernel event per message (the bench's events per task do not
   * change), and nothing is lost. FIFO makes the handler order the arrival order, which is the
   * order the process would serve them in; its state changes happen earlier in kernel time than
   * they would, but nothing outside the process can see its state except through its effects, and
   * every effect — a send, a timer, an execution, a trace event, a storage write — is stamped with
   * the process's clock (ProcessEntry.nowUs). A process killed before that clock: its messages
   * are dropped on delivery (the sender is dead), its timers and executions are cancelled, its
   * trace events wait in the recorder and are forgotten (Recorder.dropAhead). What does escape is
   * a user promise the handler settles (the driver's get): user code resumes at kernel time but
   * reads the driver's clock through `ray.now()`, and its own effects are stamped by that clock.
   *
   * First the transport's part (Process.admit), at arrival and on the kernel's clock, costing no
   * service: an RPC layer acknowledges there and drops acks and copies already received, so only
   * what the process itself handles enters its queue (a duplicate of a 1 GB put is not copied twice).
   */
  private serve(entry: ProcessEntry, from: Address, message: Message): void {
    const process = entry.process!;
    if (process.admit !== undefined) {
      entry.clockUs = this.kernel.nowUs;
      const admitted = process.admit(from, message);
      entry.clockUs = -1;
      if (admitted === undefined) return;
      message = admitted;
    }
    entry.clockUs = entry.queue.serve(
      this.kernel.nowUs,
      entry.service === null ? 0 : this.serviceUs(entry, message),
    );
    process.onMessage(from, message);
    entry.clockUs = -1;
  }

  /** The (admitted) message's service time at `entry`: by its type, times its size if it has one. */
  private serviceUs(entry: ProcessEntry, m: Message): number {
    const table = entry.service!;
    const s = table.lookup(m.type);
    if (s === null) return 0;
    if (s.perUnitUs === 0) return table.draw(s, 0);
    const bytes = (m as { sizeBytes?: unknown }).sizeBytes;
    return table.draw(s, typeof bytes === "number" ? bytes : (entry.inner?.serviceSize?.(m) ?? 0));
  }

  /** The queues of every control process so far (metrics.queues()), brought up to now. */
  queues(): readonly ProcessQueue[] {
    for (const q of this.queueLog) q.drainStarts(this.kernel.nowUs);
    return this.queueLog;
  }

  handleEvent(tag: number, data: unknown): void {
    // What busy processes traced ahead of the clock is recorded once the clock reaches it, so a
    // program reading the metrics between events sees everything up to now.
    if (this.recorder.aheadCount !== 0) this.recorder.flushAhead(this.kernel.nowUs);
    switch (tag) {
      case TAG_DELIVER: {
        const envelope = data as Envelope;
        const { from, to, message } = envelope;
        if (envelope.onWire) this.offWire(envelope);
        if (!from.alive || !to.alive) {
          this.messagesDropped++;
          return;
        }
        if (this.messageFaults.length !== 0 && this.perturb(envelope)) return;
        for (const filter of this.linkFilters) {
          if (filter(from.node.name, to.node.name, message, to.address)) {
            this.messagesDropped++;
            return;
          }
        }
        if (this.kernel.tallying) this.tally(message);
        this.serve(to, from.address, message);
        return;
      }
      case TAG_INJECT: {
        const { to, message } = data as { to: ProcessEntry; message: Message };
        if (to.alive) this.serve(to, `hardware@${to.node.name}` as Address, message);
        return;
      }
      case TAG_TIMER: {
        const record = data as TimerRecord;
        const live = record.entry.timers.delete(record.id);
        assert(live, `timer ${record.id} fired but was not pending`);
        assert(
          record.entry.alive,
          `timer ${record.id} fired for dead process ${record.entry.address}`,
        );
        // A timer that fires while its process is busy runs after what the process has begun;
        // the transport's runs now, beside it.
        if (record.transport) {
          record.entry.clockUs = this.kernel.nowUs;
          record.fire();
          record.entry.clockUs = -1;
          return;
        }
        if (this.timerCostUs === 0) return record.fire();
        record.entry.clockUs = record.entry.queue.serve(this.kernel.nowUs, this.timerCostUs);
        record.fire();
        record.entry.clockUs = -1;
        return;
      }
      case TAG_EXECUTION: {
        const record = data as ExecutionRecord;
        const live = record.entry.node.executions.delete(record.id);
        assert(live, `execution ${record.id} finished but was not running`);
        const entry = record.entry;
        entry.clockUs = entry.queue.serve(
          this.kernel.nowUs,
          entry.service === null ? 0 : entry.service.serviceUs("execution.done", 0),
        );
        record.done(record.failed ? "gpu-failed" : record.outOfMemory ? "gpu-out-of-memory" : "ok");
        entry.clockUs = -1;
        return;
      }
      default:
        assert(false, `world: unknown event tag ${tag}`);
    }
  }
}
