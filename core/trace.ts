/**
 * The typed trace: one discriminated union of everything core/ reports (STYLE.md §7). core/ emits
 * payloads through `Env.trace`; the world stamps each with its virtual time and node. The schema
 * below says which fields are strings and which numbers, so the recorder can keep events in columns
 * (at most four strings and three numbers) instead of one object per event.
 */
export type TaskCause = "original" | "retry" | "reconstruction" | "replay";
export type TaskKind = "task" | "actor-creation" | "actor-method";

export type TraceEvent =
  | {
      kind: "task.submitted";
      taskId: string;
      name: string;
      cause: TaskCause;
      taskKind: TaskKind;
      attempt: number;
    }
  | { kind: "task.scheduled"; taskId: string; name: string; attempt: number }
  | { kind: "task.started"; taskId: string; name: string; gpus: string; attempt: number }
  | { kind: "task.finished"; taskId: string; name: string; attempt: number }
  | { kind: "task.failed"; taskId: string; name: string; reason: string; attempt: number }
  | { kind: "object.created"; objectId: string; sizeBytes: number }
  | { kind: "object.transferred"; objectId: string; from: string; sizeBytes: number }
  | { kind: "object.evicted"; objectId: string; sizeBytes: number }
  | { kind: "object.lost"; objectId: string; reason: string }
  | { kind: "object.reconstructed"; objectId: string; taskId: string; attempt: number }
  | { kind: "actor.restarted"; actorId: string; restarts: number }
  | { kind: "actor.checkpointed"; actorId: string; seq: number; sizeBytes: number; startUs: number }
  | {
      kind: "actor.replayed";
      actorId: string;
      calls: number;
      checkpointSeq: number;
      checkpointLoadUs: number;
    }
  | { kind: "gcs.op"; op: string; table: string; shard: number; startUs: number }
  /** A shard's tracked table memory (GcsShardState.bytes), sampled by its head (Fig 10b). */
  | { kind: "gcs.memory"; shard: number; bytes: number }
  | { kind: "node.died"; nodeName: string; reason: string; incarnation: number }
  | { kind: "node.joined"; nodeName: string; incarnation: number }
  | { kind: "fault"; fault: string; target: string; durationUs: number }
  | { kind: "message.sent"; to: string; type: string; sizeBytes: number }
  | { kind: "timer.fired"; label: string; seq: number };

export type TraceKind = TraceEvent["kind"];

/** An event as recorded: the payload plus when and where it happened. */
export type RecordedEvent = TraceEvent & { tUs: number; node: string };

type FieldsOf<K extends TraceKind> = Exclude<keyof Extract<TraceEvent, { kind: K }>, "kind">;

/** For every kind: its string fields and its number fields, in column order. */
export const TRACE_SCHEMA: {
  readonly [K in TraceKind]: {
    readonly s: readonly FieldsOf<K>[];
    readonly n: readonly FieldsOf<K>[];
  };
} = {
  "task.submitted": { s: ["taskId", "name", "cause", "taskKind"], n: ["attempt"] },
  "task.scheduled": { s: ["taskId", "name"], n: ["attempt"] },
  "task.started": { s: ["taskId", "name", "gpus"], n: ["attempt"] },
  "task.finished": { s: ["taskId", "name"], n: ["attempt"] },
  "task.failed": { s: ["taskId", "name", "reason"], n: ["attempt"] },
  "object.created": { s: ["objectId"], n: ["sizeBytes"] },
  "object.transferred": { s: ["objectId", "from"], n: ["sizeBytes"] },
  "object.evicted": { s: ["objectId"], n: ["sizeBytes"] },
  "object.lost": { s: ["objectId", "reason"], n: [] },
  "object.reconstructed": { s: ["objectId", "taskId"], n: ["attempt"] },
  "actor.restarted": { s: ["actorId"], n: ["restarts"] },
  "actor.checkpointed": { s: ["actorId"], n: ["seq", "sizeBytes", "startUs"] },
  "actor.replayed": { s: ["actorId"], n: ["calls", "checkpointSeq", "checkpointLoadUs"] },
  "gcs.op": { s: ["op", "table"], n: ["shard", "startUs"] },
  "gcs.memory": { s: [], n: ["shard", "bytes"] },
  "node.died": { s: ["nodeName", "reason"], n: ["incarnation"] },
  "node.joined": { s: ["nodeName"], n: ["incarnation"] },
  fault: { s: ["fault", "target"], n: ["durationUs"] },
  "message.sent": { s: ["to", "type"], n: ["sizeBytes"] },
  "timer.fired": { s: ["label"], n: ["seq"] },
};

export const TRACE_KINDS = Object.keys(TRACE_SCHEMA) as TraceKind[];
