/**
 * The typed trace as Chrome trace-event JSON (the format of chrome://tracing and Perfetto, and of
 * `ray timeline`). Tracks:
 *
 * - one process per node: lane 0 is the raylet (scheduling decisions, object and actor events,
 *   joins), lanes 1… are worker slots, then the node's object pushes and its GCS calls;
 * - one process for the GCS (a lane per shard host: its memory counter and the nodes it declares
 *   dead) and one for the global scheduler (its GCS calls);
 * - every task attempt a complete ("X") slice in the category of its cause (original, retry,
 *   reconstruction, replay) and coloured by it; faults and detections as global instant events;
 *   a flow arrow ("s" → "f") from the attempt that produced an argument to the task that used it.
 *
 * Times are virtual µs, the unit the format expects. The file is written in chunks as events are
 * converted, so a trace of 100 k tasks never sits in memory as one string.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { assert, unreachable } from "../../core/assert.js";
import type { RecordedEvent, TaskCause } from "../../core/trace.js";

export interface ChromeTraceEvent {
  name: string;
  ph: "X" | "i" | "M" | "C" | "s" | "f";
  ts: number;
  pid: number;
  tid: number;
  cat?: string;
  dur?: number;
  s?: "g" | "p" | "t";
  cname?: string;
  /** Flow events: the arrow's id, and "e" to bind the arrow's head to the enclosing slice. */
  id?: number;
  bp?: "e";
  args?: Record<string, string | number>;
}

export interface TraceOptions {
  /** The tasks whose outputs `taskId` took as arguments; each becomes a flow arrow. */
  inputsOf?: (taskId: string) => readonly string[];
}

/** Chrome's reserved colour names (trace-viewer's color_scheme.js). */
export const CAUSE_CNAME: Record<TaskCause, string> = {
  original: "thread_state_running",
  retry: "yellow",
  reconstruction: "terrible",
  replay: "rail_animation",
};

const RAYLET_TID = 0;
const TRANSFERS_TID = 1_000;
const GCS_CALLS_TID = 2_000;
/**
 * GCS calls come in bursts (the global scheduler places a thousand tasks in one instant): beyond
 * this many at once a process's calls are counted in its label instead of drawn on more rows.
 */
const GCS_CALL_LANES_MAX = 8;
/** A node never runs this many tasks at once; more means a slice was never closed. */
const WORKER_LANES_MAX = TRANSFERS_TID - 1;

/** Simulation hosts that are not nodes (sim/simulation.ts, sim/gcs-service.ts, sim/faults.ts). */
function processOf(host: string): { key: string; name: string; sortIndex: number } {
  if (host.startsWith("__gcs")) return { key: "__gcs", name: "GCS", sortIndex: -3 };
  if (host === "__gs") return { key: "__gs", name: "global scheduler", sortIndex: -2 };
  if (host === "sim") return { key: "sim", name: "simulator (faults)", sortIndex: -1 };
  return { key: host, name: `node ${host}`, sortIndex: 0 };
}

interface OpenSlice {
  pid: number;
  lane: number;
  startUs: number;
  name: string;
  taskId: string;
  attempt: number;
  cause: TaskCause;
}

/** Where a finished attempt was drawn, so later consumers of its outputs can point at it. */
interface DrawnRun {
  pid: number;
  tid: number;
  midUs: number;
}

/** Packs intervals onto the lowest lane free at their start (one row per concurrent span). */
class LanePacker {
  private readonly endUs: number[] = [];

  constructor(private readonly lanesMax: number) {}

  /** The lane for [startUs, endUs], or -1 when all `lanesMax` lanes are busy then. */
  place(startUs: number, endUs: number): number {
    let lane = this.endUs.findIndex((end) => end <= startUs);
    if (lane < 0 && this.endUs.length === this.lanesMax) return -1;
    if (lane < 0) lane = this.endUs.push(endUs) - 1;
    this.endUs[lane] = endUs;
    return lane;
  }
}

class TraceBuilder {
  private readonly pids = new Map<string, number>();
  private readonly workerLanes = new Map<number, boolean[]>();
  private readonly gcsCallLanes = new Map<number, LanePacker>();
  private readonly namedThreads = new Set<string>();
  private readonly scheduledOn = new Set<number>();
  private readonly laneZeroUsed = new Set<number>();
  private readonly gcsHostTids = new Map<string, number>();
  private readonly gcsCallsUndrawn = new Map<number, number>();
  private readonly causes = new Map<string, TaskCause>();
  private readonly open = new Map<string, OpenSlice>();
  private readonly drawn = new Map<string, DrawnRun>();
  private flowId = 0;
  lastUs = 0;

  constructor(
    private readonly emit: (e: ChromeTraceEvent) => void,
    private readonly options: TraceOptions,
  ) {}

  pid(host: string): number {
    const p = processOf(host);
    let pid = this.pids.get(p.key);
    if (pid === undefined) {
      pid = this.pids.size + 1;
      this.pids.set(p.key, pid);
      this.emit({ name: "process_name", ph: "M", ts: 0, pid, tid: 0, args: { name: p.name } });
      this.emit({
        name: "process_sort_index",
        ph: "M",
        ts: 0,
        pid,
        tid: 0,
        args: { sort_index: p.sortIndex === 0 ? pid : p.sortIndex },
      });
    }
    return pid;
  }

  /** The lane an event of `host` goes on: each GCS host has its own; a node's go on lane 0. */
  hostTid(host: string, pid: number): number {
    if (!host.startsWith("__gcs")) {
      this.laneZeroUsed.add(pid);
      return RAYLET_TID;
    }
    let tid = this.gcsHostTids.get(host);
    if (tid === undefined) {
      tid = this.gcsHostTids.size + 1;
      this.gcsHostTids.set(host, tid);
      this.thread(pid, tid, host);
    }
    return tid;
  }

  thread(pid: number, tid: number, name: string): void {
    const key = `${pid}/${tid}`;
    if (this.namedThreads.has(key)) return;
    this.namedThreads.add(key);
    this.emit({ name: "thread_name", ph: "M", ts: 0, pid, tid, args: { name } });
  }

  /** An instant on `host`'s track; global ones draw a line across every process. */
  instant(
    tUs: number,
    host: string,
    name: string,
    cat: string,
    args: Record<string, string | number>,
    global = false,
  ): void {
    const pid = this.pid(host);
    this.emit({
      name,
      ph: "i",
      ts: tUs,
      pid,
      tid: this.hostTid(host, pid),
      s: global ? "g" : "t",
      cat,
      args,
    });
  }

  scheduled(e: RecordedEvent & { kind: "task.scheduled" }): void {
    this.scheduledOn.add(this.pid(e.node));
    this.instant(e.tUs, e.node, `schedule ${e.name}`, "schedule", {
      taskId: e.taskId,
      attempt: e.attempt,
    });
  }

  transferred(e: RecordedEvent & { kind: "object.transferred" }): void {
    const pid = this.pid(e.node);
    this.thread(pid, TRANSFERS_TID, "object transfers");
    this.emit({
      name: `push ${e.objectId}`,
      ph: "i",
      ts: e.tUs,
      pid,
      tid: TRANSFERS_TID,
      s: "t",
      cat: "transfer",
      args: { objectId: e.objectId, sizeBytes: e.sizeBytes },
    });
  }

  /** A counter track (Chrome draws it as a graph over time). */
  counter(e: RecordedEvent, name: string, values: Record<string, number>): void {
    this.emit({
      name,
      ph: "C",
      ts: e.tUs,
      pid: this.pid(e.node),
      tid: 0,
      cat: e.kind,
      args: values,
    });
  }

  submitted(taskId: string, attempt: number, cause: TaskCause): void {
    this.causes.set(`${taskId}#${attempt}`, cause);
  }

  started(e: RecordedEvent & { kind: "task.started" }): void {
    const pid = this.pid(e.node);
    let lanes = this.workerLanes.get(pid);
    if (lanes === undefined) this.workerLanes.set(pid, (lanes = []));
    let lane = lanes.indexOf(false);
    if (lane < 0) lane = lanes.push(true) - 1;
    assert(lane < WORKER_LANES_MAX, `trace: node ${e.node} has ${lane} tasks running at once`);
    lanes[lane] = true;
    this.thread(pid, lane + 1, `worker ${lane + 1}`);
    const key = `${e.taskId}#${e.attempt}`;
    // A submission record is consumed here: the map stays as small as the set of queued attempts.
    const cause = this.causes.get(key) ?? "original";
    this.causes.delete(key);
    this.open.set(key, {
      pid,
      lane,
      startUs: e.tUs,
      name: e.name,
      taskId: e.taskId,
      attempt: e.attempt,
      cause,
    });
  }

  ended(taskId: string, attempt: number, endUs: number, outcome: string, reason?: string): void {
    const key = `${taskId}#${attempt}`;
    const slice = this.open.get(key);
    if (slice === undefined) return;
    this.open.delete(key);
    this.close(slice, endUs, outcome, reason);
  }

  /** Ends every slice still open on a node (it died) or everywhere (the trace ended). */
  endAll(endUs: number, outcome: string, pid?: number): void {
    for (const [key, slice] of this.open) {
      if (pid !== undefined && slice.pid !== pid) continue;
      this.open.delete(key);
      this.close(slice, endUs, outcome);
    }
  }

  /** A GCS call as its client saw it (recorded when the reply came back). */
  gcsCall(e: RecordedEvent & { kind: "gcs.op" }): void {
    const pid = this.pid(e.node);
    let packer = this.gcsCallLanes.get(pid);
    if (packer === undefined)
      this.gcsCallLanes.set(pid, (packer = new LanePacker(GCS_CALL_LANES_MAX)));
    const lane = packer.place(e.startUs, e.tUs);
    if (lane < 0) {
      this.gcsCallsUndrawn.set(pid, (this.gcsCallsUndrawn.get(pid) ?? 0) + 1);
      return;
    }
    const tid = GCS_CALLS_TID + lane;
    this.thread(pid, tid, `GCS calls ${tid - GCS_CALLS_TID + 1}`);
    this.emit({
      name: `${e.op} ${e.table}`,
      ph: "X",
      ts: e.startUs,
      dur: Math.max(0, e.tUs - e.startUs),
      pid,
      tid,
      cat: "gcs",
      args: { shard: e.shard },
    });
  }

  knownPid(host: string): number | undefined {
    return this.pids.get(processOf(host).key);
  }

  /** Names lane 0 after what it held, now that the whole trace has been seen. */
  finish(): void {
    this.endAll(this.lastUs, "unfinished");
    for (const pid of this.laneZeroUsed)
      this.thread(pid, RAYLET_TID, this.scheduledOn.has(pid) ? "raylet" : "events");
    for (const [pid, calls] of this.gcsCallsUndrawn) {
      this.emit({
        name: "process_labels",
        ph: "M",
        ts: 0,
        pid,
        tid: 0,
        args: { labels: `${calls} GCS calls not drawn (over ${GCS_CALL_LANES_MAX} at once)` },
      });
    }
  }

  private close(slice: OpenSlice, endUs: number, outcome: string, reason?: string): void {
    const lanes = this.workerLanes.get(slice.pid)!;
    lanes[slice.lane] = false;
    const durUs = Math.max(0, endUs - slice.startUs);
    const tid = slice.lane + 1;
    const args: Record<string, string | number> = {
      taskId: slice.taskId,
      attempt: slice.attempt,
      cause: slice.cause,
      outcome,
    };
    if (reason !== undefined) args.reason = reason;
    this.emit({
      name: slice.name,
      ph: "X",
      ts: slice.startUs,
      dur: durUs,
      pid: slice.pid,
      tid,
      cat: slice.cause,
      cname: CAUSE_CNAME[slice.cause],
      args,
    });
    // Flow ends bind to the slice enclosing their timestamp: the middle is inside it even when
    // another slice starts on the same lane the moment this one ends.
    const run: DrawnRun = { pid: slice.pid, tid, midUs: slice.startUs + Math.floor(durUs / 2) };
    this.flowsInto(slice.taskId, run);
    if (outcome === "ok") this.drawn.set(slice.taskId, run);
  }

  /** One arrow from the last drawn run of each task that produced an argument of `taskId`. */
  private flowsInto(taskId: string, to: DrawnRun): void {
    const inputs = this.options.inputsOf?.(taskId);
    if (inputs === undefined) return;
    for (const producer of new Set(inputs)) {
      const from = this.drawn.get(producer);
      if (from === undefined || from.midUs > to.midUs) continue;
      const id = ++this.flowId;
      this.emit({
        name: "argument",
        ph: "s",
        id,
        ts: from.midUs,
        pid: from.pid,
        tid: from.tid,
        cat: "dataflow",
        args: { from: producer, to: taskId },
      });
      this.emit({
        name: "argument",
        ph: "f",
        bp: "e",
        id,
        ts: to.midUs,
        pid: to.pid,
        tid: to.tid,
        cat: "dataflow",
      });
    }
  }
}

function convertFault(b: TraceBuilder, e: RecordedEvent & { kind: "fault" }): void {
  const target = b.knownPid(e.target);
  if (target !== undefined && e.fault.startsWith("kill")) b.endAll(e.tUs, "killed", target);
  // On the target's process when it is a host (a node, a GCS replica), else the simulator's.
  const host = target !== undefined ? e.target : e.node;
  b.instant(
    e.tUs,
    host,
    `fault: ${e.fault} ${e.target}`,
    "fault",
    { fault: e.fault, target: e.target, durationMs: e.durationUs / 1000 },
    true,
  );
}

function convertNodeEvent(
  b: TraceBuilder,
  e: RecordedEvent & { kind: "node.died" | "node.joined" },
): void {
  if (e.kind === "node.joined") {
    b.instant(e.tUs, e.node, `node joined: ${e.nodeName}`, e.kind, {
      node: e.nodeName,
      incarnation: e.incarnation,
    });
    return;
  }
  const target = b.knownPid(e.nodeName);
  if (target !== undefined) b.endAll(e.tUs, "node died", target);
  // Global, beside the fault's line: the gap between the two is the detection delay.
  b.instant(
    e.tUs,
    e.node,
    `node died: ${e.nodeName}`,
    e.kind,
    { node: e.nodeName, reason: e.reason, incarnation: e.incarnation },
    true,
  );
}

function convertObjectOrActorEvent(b: TraceBuilder, e: RecordedEvent): void {
  switch (e.kind) {
    case "object.lost":
      return b.instant(e.tUs, e.node, `object lost: ${e.objectId}`, e.kind, {
        objectId: e.objectId,
        reason: e.reason,
      });
    case "object.reconstructed":
      return b.instant(e.tUs, e.node, `object reconstructed: ${e.objectId}`, e.kind, {
        objectId: e.objectId,
        taskId: e.taskId,
        attempt: e.attempt,
      });
    case "object.evicted":
      return b.instant(e.tUs, e.node, `object evicted: ${e.objectId}`, e.kind, {
        objectId: e.objectId,
        sizeBytes: e.sizeBytes,
      });
    case "actor.restarted":
      return b.instant(e.tUs, e.node, `actor restarted: ${e.actorId}`, e.kind, {
        actorId: e.actorId,
        restarts: e.restarts,
      });
    case "actor.replayed":
      return b.instant(e.tUs, e.node, `actor replayed: ${e.actorId}`, e.kind, {
        actorId: e.actorId,
        calls: e.calls,
      });
    case "actor.checkpointed":
      return b.instant(e.tUs, e.node, `actor checkpointed: ${e.actorId}`, e.kind, {
        actorId: e.actorId,
        seq: e.seq,
        sizeBytes: e.sizeBytes,
      });
    default:
      assert(false, `trace: ${e.kind} is not an object or actor event`);
  }
}

function convertEvent(b: TraceBuilder, e: RecordedEvent): void {
  switch (e.kind) {
    case "task.submitted":
      return b.submitted(e.taskId, e.attempt, e.cause);
    case "task.scheduled":
      return b.scheduled(e);
    case "task.started":
      return b.started(e);
    case "task.finished":
      return b.ended(e.taskId, e.attempt, e.tUs, "ok");
    case "task.failed":
      return b.ended(e.taskId, e.attempt, e.tUs, "failed", e.reason);
    case "fault":
      return convertFault(b, e);
    case "node.died":
    case "node.joined":
      return convertNodeEvent(b, e);
    case "gcs.op":
      return b.gcsCall(e);
    case "gcs.memory":
      return b.counter(e, `gcs memory, shard ${e.shard}`, { bytes: e.bytes });
    case "object.transferred":
      return b.transferred(e);
    case "object.lost":
    case "object.reconstructed":
    case "object.evicted":
    case "actor.restarted":
    case "actor.replayed":
    case "actor.checkpointed":
      return convertObjectOrActorEvent(b, e);
    // Too many to draw usefully; the CSV tables hold them.
    case "object.created":
    case "message.sent":
    case "timer.fired":
      return;
    default:
      unreachable(e, "trace event");
  }
}

/** Converts the trace, calling `emit` for each trace event in a deterministic order. */
export function convertTrace(
  events: Iterable<RecordedEvent>,
  emit: (e: ChromeTraceEvent) => void,
  options: TraceOptions = {},
): void {
  const b = new TraceBuilder(emit, options);
  for (const e of events) {
    b.lastUs = Math.max(b.lastUs, e.tUs);
    convertEvent(b, e);
  }
  b.finish();
}

/** Bytes of JSON held before a write: big enough for few syscalls, small beside any trace. */
const WRITE_CHUNK_CHARS = 1 << 20;

/** Writes the trace-event JSON object to `path` in chunks, as it converts; returns the event count. */
export function writeChromeTrace(
  path: string,
  events: Iterable<RecordedEvent>,
  metadata: Record<string, string | number>,
  options: TraceOptions = {},
): number {
  const fd = openSync(path, "w");
  let buffer = `{"displayTimeUnit":"ms","metadata":${JSON.stringify(metadata)},"traceEvents":[\n`;
  let count = 0;
  try {
    convertTrace(
      events,
      (e) => {
        buffer += (count++ === 0 ? "" : ",\n") + JSON.stringify(e);
        if (buffer.length > WRITE_CHUNK_CHARS) {
          writeSync(fd, buffer);
          buffer = "";
        }
      },
      options,
    );
    writeSync(fd, buffer + "\n]}\n");
  } finally {
    closeSync(fd);
  }
  return count;
}
