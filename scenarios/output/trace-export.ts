/**
 * The typed trace as Chrome trace-event JSON (the format of chrome://tracing and Perfetto, and of
 * `ray timeline`): one process track per node, one thread track per worker slot, every task
 * attempt a complete ("X") slice in the category of its cause (original, retry, reconstruction,
 * replay) and coloured by it, GCS operations as slices on a "gcs" track, GCS memory as a counter
 * track, and faults, node deaths
 * and joins, object losses and actor recoveries as instant events. Times are virtual µs, which is
 * the unit the format expects. The file is streamed out, so a long trace never sits in memory.
 *
 * Worker slots are not in the trace, so slices are packed onto the lowest free lane of their node
 * as they start: the same picture `ray timeline` gives, one row per busy worker.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { unreachable } from "../../core/assert.js";
import type { RecordedEvent, TaskCause } from "../../core/trace.js";

export interface ChromeTraceEvent {
  name: string;
  ph: "X" | "i" | "M" | "C";
  ts: number;
  pid: number;
  tid: number;
  cat?: string;
  dur?: number;
  s?: "g" | "p" | "t";
  cname?: string;
  args?: Record<string, string | number>;
}

/** Chrome's reserved colour names (trace-viewer's color_scheme.js). */
const CAUSE_CNAME: Record<TaskCause, string> = {
  original: "thread_state_running",
  retry: "yellow",
  reconstruction: "terrible",
  replay: "rail_animation",
};

const EVENTS_TID = 0;
const GCS_TID = 10_000;

interface OpenSlice {
  pid: number;
  lane: number;
  startUs: number;
  name: string;
  taskId: string;
  attempt: number;
  cause: TaskCause;
}

class TraceBuilder {
  private readonly pids = new Map<string, number>();
  private readonly lanes = new Map<number, boolean[]>();
  private readonly namedThreads = new Set<string>();
  private readonly causes = new Map<string, TaskCause>();
  private readonly open = new Map<string, OpenSlice>();
  lastUs = 0;

  constructor(private readonly emit: (e: ChromeTraceEvent) => void) {}

  pid(node: string): number {
    let pid = this.pids.get(node);
    if (pid === undefined) {
      pid = this.pids.size + 1;
      this.pids.set(node, pid);
      this.emit({ name: "process_name", ph: "M", ts: 0, pid, tid: 0, args: { name: `node ${node}` } });
      this.emit({ name: "process_sort_index", ph: "M", ts: 0, pid, tid: 0, args: { sort_index: pid } });
    }
    return pid;
  }

  thread(pid: number, tid: number, name: string): void {
    const key = `${pid}/${tid}`;
    if (this.namedThreads.has(key)) return;
    this.namedThreads.add(key);
    this.emit({ name: "thread_name", ph: "M", ts: 0, pid, tid, args: { name } });
  }

  instant(e: RecordedEvent, name: string, args: Record<string, string | number>, global = false): void {
    const pid = this.pid(e.node);
    this.thread(pid, EVENTS_TID, "events");
    this.emit({ name, ph: "i", ts: e.tUs, pid, tid: EVENTS_TID, s: global ? "g" : "p", cat: e.kind, args });
  }

  /** A counter track (Chrome draws it as a graph over time). */
  counter(e: RecordedEvent, name: string, values: Record<string, number>): void {
    this.emit({ name, ph: "C", ts: e.tUs, pid: this.pid(e.node), tid: 0, cat: e.kind, args: values });
  }

  submitted(taskId: string, attempt: number, cause: TaskCause): void {
    this.causes.set(`${taskId}#${attempt}`, cause);
  }

  started(e: RecordedEvent & { taskId: string; name: string; attempt: number }): void {
    const pid = this.pid(e.node);
    let lanes = this.lanes.get(pid);
    if (lanes === undefined) this.lanes.set(pid, (lanes = []));
    let lane = lanes.indexOf(false);
    if (lane < 0) lane = lanes.push(true) - 1;
    lanes[lane] = true;
    this.thread(pid, lane + 1, `worker ${lane + 1}`);
    const key = `${e.taskId}#${e.attempt}`;
    this.open.set(key, { pid, lane, startUs: e.tUs, name: e.name, taskId: e.taskId, attempt: e.attempt, cause: this.causes.get(key) ?? "original" });
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

  gcsOp(e: RecordedEvent & { op: string; table: string; shard: number; startUs: number }): void {
    const pid = this.pid(e.node);
    this.thread(pid, GCS_TID, "gcs");
    this.emit({ name: `${e.op} ${e.table}`, ph: "X", ts: e.startUs, dur: Math.max(0, e.tUs - e.startUs), pid, tid: GCS_TID, cat: "gcs", args: { shard: e.shard } });
  }

  private close(slice: OpenSlice, endUs: number, outcome: string, reason?: string): void {
    const lanes = this.lanes.get(slice.pid)!;
    lanes[slice.lane] = false;
    const args: Record<string, string | number> = { taskId: slice.taskId, attempt: slice.attempt, cause: slice.cause, outcome };
    if (reason !== undefined) args.reason = reason;
    this.emit({ name: slice.name, ph: "X", ts: slice.startUs, dur: Math.max(0, endUs - slice.startUs), pid: slice.pid, tid: slice.lane + 1, cat: slice.cause, cname: CAUSE_CNAME[slice.cause], args });
  }

  knownPid(node: string): number | undefined {
    return this.pids.get(node);
  }
}

/** Converts the trace, calling `emit` for each trace event in a deterministic order. */
export function convertTrace(events: Iterable<RecordedEvent>, emit: (e: ChromeTraceEvent) => void): void {
  const b = new TraceBuilder(emit);
  for (const e of events) {
    b.lastUs = Math.max(b.lastUs, e.tUs);
    switch (e.kind) {
      case "task.submitted":
        b.submitted(e.taskId, e.attempt, e.cause);
        break;
      case "task.started":
        b.started(e);
        break;
      case "task.finished":
        b.ended(e.taskId, e.attempt, e.tUs, "ok");
        break;
      case "task.failed":
        b.ended(e.taskId, e.attempt, e.tUs, "failed", e.reason);
        break;
      case "fault": {
        const target = b.knownPid(e.target);
        if (target !== undefined && e.fault.startsWith("kill")) b.endAll(e.tUs, "killed", target);
        b.instant(e, `fault: ${e.fault} ${e.target}`, { fault: e.fault, target: e.target, durationMs: e.durationUs / 1000 }, true);
        break;
      }
      case "node.died": {
        const target = b.knownPid(e.nodeName);
        if (target !== undefined) b.endAll(e.tUs, "node died", target);
        b.instant(e, `node died: ${e.nodeName}`, { node: e.nodeName, reason: e.reason, incarnation: e.incarnation });
        break;
      }
      case "node.joined":
        b.instant(e, `node joined: ${e.nodeName}`, { node: e.nodeName, incarnation: e.incarnation });
        break;
      case "gcs.op":
        b.gcsOp(e);
        break;
      case "gcs.memory":
        b.counter(e, `gcs memory, shard ${e.shard}`, { bytes: e.bytes });
        break;
      case "object.lost":
        b.instant(e, `object lost: ${e.objectId}`, { objectId: e.objectId, reason: e.reason });
        break;
      case "object.reconstructed":
        b.instant(e, `object reconstructed: ${e.objectId}`, { objectId: e.objectId, taskId: e.taskId, attempt: e.attempt });
        break;
      case "object.evicted":
        b.instant(e, `object evicted: ${e.objectId}`, { objectId: e.objectId, sizeBytes: e.sizeBytes });
        break;
      case "actor.restarted":
        b.instant(e, `actor restarted: ${e.actorId}`, { actorId: e.actorId, restarts: e.restarts });
        break;
      case "actor.replayed":
        b.instant(e, `actor replayed: ${e.actorId}`, { actorId: e.actorId, calls: e.calls });
        break;
      case "actor.checkpointed":
        b.instant(e, `actor checkpointed: ${e.actorId}`, { actorId: e.actorId, seq: e.seq, sizeBytes: e.sizeBytes });
        break;
      // Too many to draw usefully; the CSV tables hold them.
      case "task.scheduled":
      case "object.created":
      case "object.transferred":
      case "message.sent":
      case "timer.fired":
        break;
      default:
        unreachable(e, "trace event");
    }
  }
  b.endAll(b.lastUs, "unfinished");
}

/** Writes the trace-event JSON object to `path`, streaming in chunks. */
export function writeChromeTrace(path: string, events: Iterable<RecordedEvent>, metadata: Record<string, string | number>): number {
  const fd = openSync(path, "w");
  let buffer = `{"displayTimeUnit":"ms","metadata":${JSON.stringify(metadata)},"traceEvents":[\n`;
  let count = 0;
  try {
    convertTrace(events, (e) => {
      buffer += (count++ === 0 ? "" : ",\n") + JSON.stringify(e);
      if (buffer.length > 1 << 20) {
        writeSync(fd, buffer);
        buffer = "";
      }
    });
    writeSync(fd, buffer + "\n]}\n");
  } finally {
    closeSync(fd);
  }
  return count;
}
