/**
 * The Simulation facade (API.md "Starting a simulation"): builds the cluster — a raylet and a
 * worker library per node, GCS shards and the global scheduler on hosts of their own, the driver
 * on the first node — runs the driver program in virtual time, and exposes faults and metrics.
 * Node lifecycles (kill, restart as a fresh incarnation, add) go through here so every process of
 * a node starts and dies together.
 */
import { ConfigError } from "../core/api/errors.js";
import { CoreWorker } from "../core/api/core-worker.js";
import { FunctionTable } from "../core/api/function-table.js";
import { Ray, type NodeInfo } from "../core/api/ray.js";
import type { TaskContext } from "../core/api/task-context.js";
import { address, type Address } from "../core/env.js";
import type { NodeRow } from "../core/gcs/tables.js";
import { DRIVER_TASK_ID } from "../core/ids.js";
import { Raylet } from "../core/raylet/raylet.js";
import { GlobalScheduler } from "../core/scheduler/global-scheduler.js";
import {
  resolveConfig,
  resolveNode,
  type NodeConfig,
  type ResolvedConfig,
  type ResolvedNode,
  type SimulationConfig,
} from "./config.js";
import type { ClusterControl } from "./cluster-control.js";
import { Faults } from "./faults.js";
import { Metrics } from "./metrics.js";
import { World } from "./world.js";
import { checkClusterInvariants } from "./invariants.js";
import { GcsService } from "./gcs-service.js";
import { msToUs, secToUs, usToMs } from "../core/units.js";

const GLOBAL_SCHEDULER_HOST = "__gs";

export class Simulation implements ClusterControl {
  readonly config: ResolvedConfig;
  readonly world: World;
  readonly metrics: Metrics;
  readonly faults: Faults;
  readonly functions = new FunctionTable();
  readonly raylets = new Map<string, Raylet>();
  readonly workers = new Map<string, CoreWorker>();
  /** The GCS: single servers or chains per shard, and the chain master (sim/gcs-service.ts). */
  readonly gcs: GcsService;
  /** What GCS clients are given: the servers' or the chained shards' service addresses. */
  readonly gcsAddresses: Address[];
  readonly driverNode: string;
  readonly driver: CoreWorker;
  /** The live global scheduler (a fresh one after `killScheduler` and its restart); undefined while dead. */
  globalScheduler: GlobalScheduler | undefined;
  private readonly nodeSpecs = new Map<string, ResolvedNode>();
  private readonly ray: Ray;
  private started = false;

  constructor(config: SimulationConfig = {}) {
    this.config = resolveConfig(config);
    const c = this.config;
    this.world = new World({
      seed: c.seed,
      network: {
        latencyUs: c.network.latencyUs,
        localLatencyUs: c.network.localLatencyUs,
        bandwidthBytesPerSec: c.network.bandwidthBytesPerSec,
      },
      storage: {
        latencyUs: c.storage.latencyUs,
        bandwidthBytesPerSec: c.storage.bandwidthBytesPerSec,
      },
      keepEvents: c.keepEvents,
      // Channels may lose, copy and reorder messages (sim.faults.*Messages): an RPC layer under every process.
      rpc: true,
      costs: c.costs,
    });
    this.metrics = new Metrics(
      this.world.recorder,
      () => usToMs(this.world.kernel.nowUs),
      () => ({
        profile: c.costs.name,
        nowUs: this.world.kernel.nowUs,
        queues: this.world.queues(),
      }),
    );
    this.gcs = this.startGcs();
    this.gcsAddresses = this.gcs.addresses;
    this.world.addNode(GLOBAL_SCHEDULER_HOST);
    this.globalScheduler = this.spawnScheduler();
    for (const n of c.nodes) this.startNode(n);
    this.driverNode = c.nodes[0]!.name;
    this.driver = this.world.spawn(this.driverNode, address("driver", this.driverNode), (env) =>
      this.newCoreWorker(env, c.nodes[0]!),
    );
    const driverContext: TaskContext = {
      isDriver: true,
      taskId: DRIVER_TASK_ID,
      attempt: 0,
      nodeName: this.driverNode,
      gpuIds: [],
      worker: this.driver,
      actorId: undefined,
      childCount: 0,
      putCount: 0,
      dead: false,
    };
    this.ray = new Ray({
      env: this.driver.env,
      functions: this.functions,
      defaults: c.defaults,
      driverContext,
      nodes: () => this.nodeInfos(),
    });
    this.faults = new Faults(this);
    if (c.checkInvariants) this.world.kernel.afterEvent = () => checkClusterInvariants(this);
  }

  /**
   * Runs the driver program until it settles and no work is left (or until `untilMs`); returns its
   * result. A driver that can never finish rejects with a DeadlockError naming what it awaits.
   */
  async run<T>(
    driver: (ray: Ray) => Promise<T> | T,
    options: { untilMs?: number } = {},
  ): Promise<T> {
    if (typeof driver !== "function")
      throw new ConfigError("run(driver): driver must be a function (ray) => …");
    if (this.started)
      throw new ConfigError(
        "run(): a Simulation runs once; create a new Simulation for another run",
      );
    if (options.untilMs !== undefined && !(options.untilMs >= 0))
      throw new ConfigError(`run({ untilMs }) must be a number >= 0, got ${options.untilMs}`);
    this.started = true;
    const c = this.config;
    const detectionUs = c.failureDetection.heartbeatUs * c.failureDetection.missedHeartbeats;
    const idleLimitUs = c.idleLimitUs > 0 ? c.idleLimitUs : Math.max(secToUs(60), 20 * detectionUs);
    const program = Promise.resolve().then(() => driver(this.ray));
    const { value } = await this.world.kernel.run(program, {
      untilUs: options.untilMs === undefined ? undefined : msToUs(options.untilMs),
      idleLimitUs,
      progressLimitUs: c.progressLimitUs,
      progressPending: () => this.progressPending(),
    });
    // Trace events stamped past the last event (the end of a service nothing came after).
    this.world.recorder.flushAhead(
      options.untilMs === undefined ? Number.POSITIVE_INFINITY : this.world.kernel.nowUs,
    );
    return value as T;
  }

  /**
   * Progress scheduled but not yet due, asked only once work has run `progressLimitMs / 2` without
   * progress: a task or actor call still executing, or a program sleeping (its timer settles what it
   * awaits), is not a livelock however long it takes.
   */
  private progressPending(): boolean {
    if (this.world.hasPendingExecution()) return true;
    return this.world.kernel.awaitedLabels().some((label) => label.startsWith("sleep("));
  }

  get nowMs(): number {
    return usToMs(this.world.kernel.nowUs);
  }

  /** Starts a node's processes (a fresh incarnation if it ran before). */
  startNode(spec: ResolvedNode): void {
    const c = this.config;
    if (spec.name.startsWith("__"))
      throw new ConfigError(
        `node name ${spec.name} is reserved (names starting with "__" belong to the GCS and scheduler hosts)`,
      );
    this.nodeSpecs.set(spec.name, spec);
    const node = this.world.addNode(spec.name);
    const worker = this.world.spawn(spec.name, address("worker", spec.name), (env) =>
      this.newCoreWorker(env, spec),
    );
    this.workers.set(spec.name, worker);
    this.world.prestartWorkers(spec.name, Math.ceil(spec.cpus));
    const raylet = this.world.spawn(
      spec.name,
      address("raylet", spec.name),
      (env) =>
        new Raylet(env, {
          nodeName: spec.name,
          incarnation: node.incarnation,
          resources: { CPU: spec.cpus, ...spec.resources },
          gpus: spec.gpus,
          objectStoreBytes: spec.objectStoreBytes,
          gcsShards: this.gcsAddresses,
          globalScheduler: address("gsched", GLOBAL_SCHEDULER_HOST),
          functions: this.functions,
          worker,
          heartbeatIntervalUs: c.failureDetection.heartbeatUs,
          queueThreshold: c.scheduler.queueThreshold,
          reconstructionPollUs:
            c.failureDetection.heartbeatUs * c.failureDetection.missedHeartbeats,
          // The RPC layer already delivers a forward to a live scheduler: a resend is for a
          // scheduler that died holding it, which is known on the failure detector's time scale.
          // A shorter interval (the GCS request timeout, 20 ms) re-forwarded every task queued
          // behind a burst at the scheduler, each copy lengthening the queue.
          forwardRetryUs: c.failureDetection.heartbeatUs,
          // A scheduler silent as long as a node must be to be declared dead is presumed gone.
          forwardFallbackUs: c.failureDetection.heartbeatUs * c.failureDetection.missedHeartbeats,
          onFenced: () => this.fenced(spec.name, node.incarnation),
          leaseUs: c.failureDetection.heartbeatUs * c.failureDetection.missedHeartbeats,
        }),
    );
    this.raylets.set(spec.name, raylet);
    this.world.recorder.record(this.world.kernel.nowUs, spec.name, {
      kind: "node.joined",
      nodeName: spec.name,
      incarnation: node.incarnation,
    });
  }

  /** Adds a node that was not in the configuration. */
  addNode(config: NodeConfig): void {
    const spec = resolveNode(config, "addNode(config)");
    if (this.world.nodes.has(spec.name))
      throw new ConfigError(
        `addNode: a node named ${spec.name} exists already; restart it with killNode(…, { restartAfterMs })`,
      );
    this.startNode(spec);
  }

  /** Restarts a dead node under its name: empty store, new processes, next incarnation. */
  restartNode(name: string): void {
    const spec = this.nodeSpecs.get(name);
    if (spec === undefined || this.world.node(name).alive) return;
    this.startNode(spec);
  }

  /**
   * A raylet found its incarnation declared dead (a healed partition): its node exits and rejoins
   * at once as a fresh incarnation, as a supervisor restarting the raylet would.
   */
  private fenced(name: string, incarnation: number): void {
    this.world.kernel.schedule(
      0,
      {
        handleEvent: () => {
          const node = this.world.node(name);
          if (!node.alive || node.incarnation !== incarnation) return;
          this.world.recorder.record(this.world.kernel.nowUs, name, {
            kind: "fault",
            fault: "fencedRestart",
            target: name,
            durationUs: 0,
          });
          this.killNode(name);
          this.restartNode(name);
        },
      },
      0,
      undefined,
      true,
    );
  }

  /** Crashes the global scheduler's host: its state is gone; messages to it are dropped. */
  killScheduler(): void {
    if (!this.world.node(GLOBAL_SCHEDULER_HOST).alive) return;
    this.world.killNode(GLOBAL_SCHEDULER_HOST);
    this.globalScheduler = undefined;
  }

  /** A fresh, empty global scheduler on the restarted host: it rebuilds its view from the GCS. */
  restartScheduler(): void {
    if (this.world.node(GLOBAL_SCHEDULER_HOST).alive) return;
    this.world.addNode(GLOBAL_SCHEDULER_HOST);
    this.globalScheduler = this.spawnScheduler();
  }

  private spawnScheduler(): GlobalScheduler {
    const c = this.config;
    return this.world.spawn(
      GLOBAL_SCHEDULER_HOST,
      address("gsched", GLOBAL_SCHEDULER_HOST),
      (env) =>
        new GlobalScheduler(env, {
          gcsShards: this.gcsAddresses,
          policy: c.scheduler.policy,
          bandwidthBytesPerSec: c.network.bandwidthBytesPerSec,
          infeasibleTimeoutUs: Math.max(1, c.scheduler.infeasibleTimeoutUs),
        }),
    );
  }

  killNode(name: string): void {
    if (!this.world.node(name).alive) return;
    this.world.killNode(name);
    this.raylets.delete(name);
    this.workers.delete(name);
  }

  /** The GCS's current row for a node (from whichever shard holds it). */
  nodeRow(name: string): NodeRow | undefined {
    for (const state of this.gcs.states()) {
      const row = state?.nodes.get(name);
      if (row !== undefined) return row;
    }
    return undefined;
  }

  nodeSpec(name: string): ResolvedNode | undefined {
    return this.nodeSpecs.get(name);
  }

  userNodes(): string[] {
    return [...this.nodeSpecs.keys()];
  }

  /**
   * `ray.nodes()`: the GCS node table, as a program could read it (API.md): a killed node stays
   * alive until the failure detector declares it dead, and a node counts once it has registered.
   * The world's ground truth is `metrics.nodeDeaths()`.
   */
  nodeInfos(): NodeInfo[] {
    return [...this.nodeSpecs.values()].map((s) => {
      const row = this.nodeRow(s.name);
      const incarnation = row?.incarnation ?? 0;
      return {
        name: s.name,
        id: `${s.name}#${incarnation}`,
        alive: row?.state === "alive",
        resources: { CPU: s.cpus, GPU: s.gpus.length, ...s.resources },
        incarnation,
      };
    });
  }

  private newCoreWorker(
    env: ConstructorParameters<typeof CoreWorker>[0],
    spec: ResolvedNode,
  ): CoreWorker {
    return new CoreWorker(env, {
      nodeName: spec.name,
      incarnation: this.world.node(spec.name).incarnation,
      gcsShards: this.gcsAddresses,
      objectStoreBytes: spec.objectStoreBytes,
      defaultReturnBytes: this.config.defaults.returnBytes,
    });
  }

  private startGcs(): GcsService {
    const c = this.config;
    return new GcsService(this.world, {
      shards: c.gcs.shards,
      replicas: c.gcs.replicas,
      heartbeatIntervalUs: c.failureDetection.heartbeatUs,
      heartbeatTimeoutUs: c.failureDetection.heartbeatUs * c.failureDetection.missedHeartbeats,
      maxLineageBytes: c.gcs.maxLineageBytes,
      flushBytes: c.gcs.flushBytes,
      flushMode: c.gcs.flushMode,
      memorySampleUs: c.gcs.memorySampleUs,
      pingIntervalUs: c.gcs.pingUs,
      missedPings: c.gcs.missedPings,
      requestTimeoutUs: c.gcs.requestTimeoutUs,
    });
  }
}
