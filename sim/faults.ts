/**
 * The fault injector (API.md "Faults"): every fault is declared here, applied to the world — never
 * to core/ state directly — and recorded in the trace. Callable before `run` (with `atMs`) or from
 * inside the driver (at the current virtual time). Scheduled faults are background events: they
 * happen if the run is still going, but never keep a finished run alive.
 *
 * What each may break, and why it stays recoverable when the issue says so:
 * - killNode: every process and object of the node vanishes; survivors learn of it only by missed
 *   heartbeats. `restartAfterMs` brings back a fresh incarnation (empty store, new processes).
 * - crashWorkers: the worker running a named task dies mid-execution; the raylet sees it exit.
 * - failGpu: what runs on the GPU fails, and the node loses that capacity until the repair.
 * - partition: messages between the two sides are dropped; GCS and scheduler hosts sit with the
 *   side holding the driver's node. A side that looks dead is fenced off by incarnation.
 * - dropMessages, duplicateMessages, delayMessages: each matching message is lost, copied or held
 *   back with a probability (a seeded stream per rule; sim/message-faults.ts). The RPC layer under
 *   every process (core/rpc/rpc-layer.ts) resends what was lost and drops copies, so they only delay.
 * - evict: every copy of an object is dropped from memory (as an eviction would).
 * - random: per-node exponential failures with repair, drawn from the seed, sparing the driver's node.
 * - killGcsReplica: the host of the replica at a position of a shard's chain crashes (its state is
 *   gone); the master removes it and a fresh replica joins after `replaceAfterMs` (default 0, as
 *   in the paper's Fig 10a). Recoverable while another member lives; with one replica per shard,
 *   or the last member killed, the shard's operations wait for good (the run ends in a deadlock).
 */
import { ConfigError } from "../core/api/errors.js";
import type { ObjectRef } from "../core/api/object-ref.js";
import { address } from "../core/env.js";
import { exponential } from "../core/random/distributions.js";
import type { RayletMessage } from "../core/raylet/messages.js";
import type { ClusterControl } from "./cluster-control.js";
import type { NodeConfig } from "./config.js";
import type { EventHandler } from "./event-queue.js";
import {
  checkMessageFault,
  MessageFaultRule,
  type MessageFaultKind,
  type MessageFaultOptions,
} from "./message-faults.js";
import type { ExecutionRecord } from "./world.js";
import { msToUs } from "../core/units.js";

interface At {
  atMs?: number;
}

class Deferred implements EventHandler {
  constructor(private readonly fire: () => void) {}
  handleEvent(): void {
    this.fire();
  }
}

export class Faults {
  private readonly crashWatchers: Array<{ task: string; left: number }> = [];
  /** Executions a crash rule has already doomed. */
  private readonly doomed = new WeakSet<ExecutionRecord>();
  private messageFaultCount = 0;

  constructor(private readonly cluster: ClusterControl) {
    cluster.world.onExecutionStart = (record) => this.maybeCrash(record);
  }

  killNode(name: string, options: At & { restartAfterMs?: number } = {}): void {
    this.checkNode("killNode", name);
    const restartAfterMs =
      options.restartAfterMs === undefined
        ? undefined
        : this.checkMs("killNode", "restartAfterMs", options.restartAfterMs);
    this.at("killNode", options.atMs, () => {
      if (!this.cluster.world.node(name).alive) return;
      this.trace("killNode", name, restartAfterMs ?? 0);
      this.cluster.killNode(name);
      if (restartAfterMs !== undefined)
        this.after(restartAfterMs, () => this.cluster.restartNode(name));
    });
  }

  addNode(config: NodeConfig, options: At = {}): void {
    if (config === null || typeof config !== "object" || typeof config.name !== "string")
      throw new ConfigError("addNode(config): config must be a node config with a name");
    if (this.cluster.world.nodes.has(config.name))
      throw new ConfigError(`addNode: a node named ${config.name} exists already`);
    this.at("addNode", options.atMs, () => {
      this.trace("addNode", config.name, 0);
      this.cluster.addNode(config);
    });
  }

  crashWorkers(options: At & { task: string; times?: number }): void {
    if (typeof options?.task !== "string")
      throw new ConfigError(
        "crashWorkers({ task }): task must be the name of a remote function or Class.method",
      );
    const times = options.times ?? 1;
    if (!Number.isInteger(times) || times < 1)
      throw new ConfigError(`crashWorkers({ times }) must be an integer >= 1, got ${times}`);
    this.at("crashWorkers", options.atMs, () => {
      const watcher = { task: options.task, left: times };
      this.crashWatchers.push(watcher);
      for (const node of this.cluster.world.nodes.values()) {
        for (const record of [...node.executions.values()]) this.maybeCrash(record, [watcher]);
      }
    });
  }

  failGpu(nodeName: string, index: number, options: At & { repairAfterMs?: number } = {}): void {
    this.checkNode("failGpu", nodeName);
    const gpus = this.cluster.nodeSpec(nodeName)?.gpus.length ?? 0;
    if (!Number.isInteger(index) || index < 0 || index >= gpus)
      throw new ConfigError(
        `failGpu: GPU index must be an integer in [0, ${gpus - 1}] for node ${nodeName}, got ${index}`,
      );
    const repairAfterMs =
      options.repairAfterMs === undefined
        ? undefined
        : this.checkMs("failGpu", "repairAfterMs", options.repairAfterMs);
    this.at("failGpu", options.atMs, () => {
      if (!this.cluster.world.node(nodeName).alive) return;
      this.trace("failGpu", `${nodeName}/gpu${index}`, repairAfterMs ?? 0);
      const raylet = address("raylet", nodeName);
      this.cluster.world.failGpu(nodeName, index, raylet, {
        type: "raylet.gpuFailed",
        index,
      } satisfies RayletMessage);
      const incarnation = this.cluster.world.node(nodeName).incarnation;
      if (repairAfterMs !== undefined) {
        this.after(repairAfterMs, () => {
          if (this.cluster.world.node(nodeName).incarnation !== incarnation) return;
          this.cluster.world.repairGpu(nodeName, index, raylet, {
            type: "raylet.gpuRepaired",
            index,
          } satisfies RayletMessage);
        });
      }
    });
  }

  /**
   * A process outside Ray (a leaked CUDA context, another user) takes `bytes` of a GPU's memory,
   * until `releaseAfterMs` or for good. Ray's accounting does not see it: a launch that needs more
   * than what is then left fails with GpuOutOfMemoryError.
   */
  holdGpuMemory(
    nodeName: string,
    index: number,
    options: At & { bytes: number; releaseAfterMs?: number },
  ): void {
    this.checkNode("holdGpuMemory", nodeName);
    const gpus = this.cluster.nodeSpec(nodeName)?.gpus.length ?? 0;
    if (!Number.isInteger(index) || index < 0 || index >= gpus)
      throw new ConfigError(
        `holdGpuMemory: GPU index must be an integer in [0, ${gpus - 1}] for node ${nodeName}, got ${index}`,
      );
    const bytes = options?.bytes;
    if (typeof bytes !== "number" || !Number.isFinite(bytes) || bytes <= 0)
      throw new ConfigError(
        `holdGpuMemory({ bytes }) must be a finite number > 0, got ${JSON.stringify(bytes)}`,
      );
    const releaseAfterMs =
      options.releaseAfterMs === undefined
        ? undefined
        : this.checkMs("holdGpuMemory", "releaseAfterMs", options.releaseAfterMs);
    this.at("holdGpuMemory", options.atMs, () => {
      if (!this.cluster.world.node(nodeName).alive) return;
      this.trace("holdGpuMemory", `${nodeName}/gpu${index}`, releaseAfterMs ?? 0);
      this.cluster.world.holdGpuMemory(nodeName, index, bytes);
      const incarnation = this.cluster.world.node(nodeName).incarnation;
      if (releaseAfterMs !== undefined) {
        this.after(releaseAfterMs, () => {
          if (this.cluster.world.node(nodeName).incarnation === incarnation)
            this.cluster.world.holdGpuMemory(nodeName, index, -bytes);
        });
      }
    });
  }

  partition(
    sideA: readonly string[],
    sideB: readonly string[],
    options: At & { healAfterMs?: number } = {},
  ): void {
    for (const n of [...sideA, ...sideB]) this.checkNode("partition", n);
    const healAfterMs =
      options.healAfterMs === undefined
        ? undefined
        : this.checkMs("partition", "healAfterMs", options.healAfterMs);
    const infraSide = sideA.includes(this.cluster.driverNode)
      ? "a"
      : sideB.includes(this.cluster.driverNode)
        ? "b"
        : "none";
    const side = (host: string): "a" | "b" | "none" => {
      if (host.startsWith("__")) return infraSide;
      return sideA.includes(host) ? "a" : sideB.includes(host) ? "b" : "none";
    };
    this.at("partition", options.atMs, () => {
      this.trace("partition", `${sideA.join("+")}|${sideB.join("+")}`, healAfterMs ?? 0);
      const filter = (from: string, to: string) => {
        const a = side(from);
        const b = side(to);
        return a !== "none" && b !== "none" && a !== b;
      };
      this.cluster.world.linkFilters.push(filter);
      if (healAfterMs !== undefined) {
        this.after(healAfterMs, () => {
          const i = this.cluster.world.linkFilters.indexOf(filter);
          if (i >= 0) this.cluster.world.linkFilters.splice(i, 1);
        });
      }
    });
  }

  /** Loses each matching message with `probability` (any link: see sim/message-faults.ts). */
  dropMessages(options: At & MessageFaultOptions): void {
    this.messageFault("dropMessages", "drop", options);
  }

  /** Delivers a second copy of each matching message with `probability`, a little later. */
  duplicateMessages(options: At & MessageFaultOptions): void {
    this.messageFault("duplicateMessages", "duplicate", options);
  }

  /** Delays each matching message with `probability` by `extraMs`, so later ones overtake it. */
  delayMessages(options: At & MessageFaultOptions & { extraMs: number }): void {
    this.messageFault("delayMessages", "delay", options);
  }

  private messageFault(
    fault: string,
    kind: MessageFaultKind,
    options: At & MessageFaultOptions,
  ): void {
    const { durationMs, extraMs } = checkMessageFault(fault, options, this.cluster.userNodes());
    // One stream per rule, numbered in declaration order: rules never shift each other's draws.
    const rng = this.cluster.world.random.stream(`faults/${fault}/${this.messageFaultCount++}`);
    const rule = new MessageFaultRule(
      kind,
      options.from,
      options.to,
      options.probability,
      msToUs(extraMs),
      rng,
    );
    this.at(fault, options.atMs, () => {
      this.trace(fault, rule.describe(), durationMs ?? 0);
      const rules = this.cluster.world.messageFaults;
      rules.push(rule);
      if (durationMs !== undefined) {
        this.after(durationMs, () => {
          const i = rules.indexOf(rule);
          if (i >= 0) rules.splice(i, 1);
        });
      }
    });
  }

  /**
   * Crashes the global scheduler's host; with `restartAfterMs`, a fresh scheduler starts there
   * (stateless: it rebuilds its view from the GCS and heartbeats). Meanwhile raylets schedule
   * locally and hold what they forward until it is placed.
   */
  killScheduler(options: At & { restartAfterMs?: number } = {}): void {
    const restartAfterMs =
      options?.restartAfterMs === undefined
        ? undefined
        : this.checkMs("killScheduler", "restartAfterMs", options.restartAfterMs);
    this.at("killScheduler", options?.atMs, () => {
      this.trace("killScheduler", "__gs", restartAfterMs ?? 0);
      this.cluster.killScheduler();
      if (restartAfterMs !== undefined)
        this.after(restartAfterMs, () => this.cluster.restartScheduler());
    });
  }

  /**
   * Crashes the chain master's host (needs `gcs.replicas` >= 2: with single servers there is no
   * master); with `restartAfterMs`, a fresh master starts there and rebuilds the configuration from
   * the replicas. Meanwhile the chains serve on; a replica that fails is removed once it is back.
   */
  killGcsMaster(options: At & { restartAfterMs?: number } = {}): void {
    if (!this.cluster.gcs.replicated)
      throw new ConfigError(
        "killGcsMaster: the GCS has no chain master with gcs.replicas: 1; set gcs.replicas >= 2",
      );
    const restartAfterMs =
      options?.restartAfterMs === undefined
        ? undefined
        : this.checkMs("killGcsMaster", "restartAfterMs", options.restartAfterMs);
    this.at("killGcsMaster", options?.atMs, () => {
      if (!this.cluster.gcs.killMaster()) return;
      this.trace("killGcsMaster", "__gcsmaster", restartAfterMs ?? 0);
      if (restartAfterMs !== undefined)
        this.after(restartAfterMs, () => this.cluster.gcs.restartMaster());
    });
  }

  /**
   * Kills replica `replica` of shard `shard`'s chain as it stands when the fault fires (0 = the
   * head, the last = the tail; with `gcs.replicas: 1`, the shard's single server). Nothing happens
   * if the chain is shorter by then.
   */
  killGcsReplica(
    target: { shard: number; replica: number },
    options: At & { replaceAfterMs?: number; replace?: boolean } = {},
  ): void {
    const shards = this.cluster.config.gcs.shards;
    const { shard, replica } = target ?? ({} as { shard: number; replica: number });
    if (!Number.isInteger(shard) || shard < 0 || shard >= shards)
      throw new ConfigError(
        `killGcsReplica({ shard }) must be an integer in [0, ${shards - 1}], got ${JSON.stringify(shard)}`,
      );
    if (!Number.isInteger(replica) || replica < 0)
      throw new ConfigError(
        `killGcsReplica({ replica }) must be an integer >= 0 (its position in the chain, 0 = head), got ${JSON.stringify(replica)}`,
      );
    const replaceAfterMs = this.checkMs(
      "killGcsReplica",
      "replaceAfterMs",
      options.replaceAfterMs ?? 0,
    );
    const replace = (options.replace ?? true) && this.cluster.gcs.replicated;
    this.at("killGcsReplica", options.atMs, () => {
      const host = this.cluster.gcs.killReplica(shard, replica);
      this.trace(
        "killGcsReplica",
        host ?? `gcs${shard}:r${replica}(none)`,
        replace ? replaceAfterMs : 0,
      );
      if (host !== undefined && replace)
        this.after(replaceAfterMs, () => this.cluster.gcs.spawnReplica(shard));
    });
  }

  /**
   * A straggler: tasks and actor calls that start on the node while it is slowed take `factor` ×
   * their drawn duration (what already runs keeps its pace). Until `durationMs` ends, or for good.
   */
  slowNode(name: string, options: At & { factor: number; durationMs?: number }): void {
    this.checkNode("slowNode", name);
    const factor = options?.factor;
    if (typeof factor !== "number" || !Number.isFinite(factor) || factor < 1)
      throw new ConfigError(
        `slowNode({ factor }) must be a finite number >= 1 (how many times longer tasks take), got ${JSON.stringify(factor)}`,
      );
    const durationMs =
      options.durationMs === undefined
        ? undefined
        : this.checkMs("slowNode", "durationMs", options.durationMs);
    this.at("slowNode", options.atMs, () => {
      const node = this.cluster.world.node(name);
      this.trace("slowNode", `${name}x${factor}`, durationMs ?? 0);
      node.slowFactor = factor;
      if (durationMs !== undefined)
        this.after(durationMs, () => {
          if (node.slowFactor === factor) node.slowFactor = 1;
        });
    });
  }

  evict(ref: ObjectRef, options: At = {}): void {
    if (ref === null || typeof ref !== "object" || typeof ref.id !== "string")
      throw new ConfigError("evict(ref): ref must be an ObjectRef");
    this.at("evict", options.atMs, () => {
      this.trace("evict", ref.id, 0);
      for (const name of this.cluster.raylets.keys()) {
        this.cluster.world.inject(address("raylet", name), {
          type: "raylet.objectDropped",
          objectId: ref.id,
        } satisfies RayletMessage);
      }
    });
  }

  random(options: {
    nodeMtbfMs: number;
    repairMs: number;
    untilMs: number;
    nodes?: readonly string[];
  }): void {
    const mtbf = this.checkMs("random", "nodeMtbfMs", options?.nodeMtbfMs);
    const repairMs = this.checkMs("random", "repairMs", options.repairMs);
    const untilMs = this.checkMs("random", "untilMs", options.untilMs);
    if (mtbf <= 0) throw new ConfigError(`random({ nodeMtbfMs }) must be > 0, got ${mtbf}`);
    const targets =
      options.nodes ?? this.cluster.userNodes().filter((n) => n !== this.cluster.driverNode);
    for (const node of targets) {
      this.checkNode("random", node);
      const rng = this.cluster.world.random.stream(`faults/random/${node}`);
      let t = this.cluster.nowMs;
      for (;;) {
        t += exponential(rng, mtbf);
        if (t >= untilMs) break;
        this.killNode(node, { atMs: t, restartAfterMs: repairMs });
        t += repairMs;
      }
    }
  }

  /**
   * A new rule looks only at running executions with `watchers` = [itself] and each execution is
   * doomed at most once: a rule added later must not charge an execution an earlier rule already
   * doomed (that crash would land on a dead worker and never reach the task's retry budget).
   */
  private maybeCrash(record: ExecutionRecord, watchers = this.crashWatchers): void {
    if (this.doomed.has(record)) return;
    for (const w of watchers) {
      if (w.left <= 0 || w.task !== record.request.name) continue;
      this.doomed.add(record);
      w.left--;
      // The worker dies halfway through the execution.
      const halfUs = Math.floor(record.request.durationUs / 2);
      this.cluster.world.kernel.schedule(
        halfUs,
        new Deferred(() => {
          this.trace("crashWorker", `${record.request.name}:${record.request.taskId}`, 0);
          this.cluster.world.failExecution(record, "worker-crashed");
        }),
        0,
        undefined,
        true,
      );
      return;
    }
  }

  private at(fault: string, atMs: number | undefined, apply: () => void): void {
    if (atMs === undefined) return this.after(0, apply);
    const ms = this.checkMs(fault, "atMs", atMs);
    const delayUs = Math.max(0, msToUs(ms) - this.cluster.world.kernel.nowUs);
    this.cluster.world.kernel.schedule(delayUs, new Deferred(apply), 0, undefined, false);
  }

  private after(ms: number, apply: () => void): void {
    if (ms === 0 && this.cluster.world.kernel.nowUs >= 0) {
      this.cluster.world.kernel.schedule(0, new Deferred(apply), 0, undefined, false);
      return;
    }
    this.cluster.world.kernel.schedule(msToUs(ms), new Deferred(apply), 0, undefined, false);
  }

  private trace(fault: string, target: string, durationMs: number): void {
    this.cluster.world.recorder.record(this.cluster.world.kernel.nowUs, "sim", {
      kind: "fault",
      fault,
      target,
      durationUs: msToUs(durationMs),
    });
  }

  private checkNode(fault: string, name: unknown): void {
    if (typeof name !== "string" || this.cluster.nodeSpec(name) === undefined) {
      throw new ConfigError(
        `${fault}: unknown node ${JSON.stringify(name)}; known nodes: ${this.cluster.userNodes().join(", ")}`,
      );
    }
  }

  private checkMs(fault: string, field: string, v: unknown): number {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      throw new ConfigError(
        `${fault}({ ${field} }) must be a finite number of ms >= 0, got ${JSON.stringify(v)}`,
      );
    return v;
  }
}
