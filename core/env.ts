/**
 * The seam (DESIGN.md "The seam"): everything core/ needs from the world, and nothing else.
 * core/ reads no clock, sets no host timer, draws no unseeded randomness and does no I/O; it gets an `Env` per
 * process and talks to other processes only by `send`. sim/ implements these ports in virtual time;
 * a real-timer implementation must stay possible, so the ports name what core/ needs, not how the
 * simulator provides it.
 */
import type { TraceEvent } from "./trace.js";

/** Where a process can be reached: `kind@node`, e.g. `raylet@w1`, `gcs@s0r1`. */
export type Address = string & { readonly __brand: "Address" };
export type TimerId = number & { readonly __brand: "TimerId" };
export type ExecutionId = number & { readonly __brand: "ExecutionId" };

export function address(kind: string, host: string): Address {
  return `${kind}@${host}` as Address;
}

/** Every message names its type; components switch over their own union of messages. */
export interface Message {
  readonly type: string;
}

/** A process lives on one node at one address and reacts to messages. It dies with its node. */
export interface Process {
  onMessage(from: Address, message: Message): void;
  /**
   * Optional: the size a message's handling cost grows with, for a world that charges service
   * times (the nodes a placement scans, the locations a lookup returns). Bytes need no hook: a
   * message's own `sizeBytes` is used.
   */
  serviceSize?(message: Message): number;
  /**
   * Optional: the transport's share of receiving (an RPC layer's acknowledgements and dedupe), run
   * the moment a message arrives, whatever the process is busy with — as a TCP stack acknowledges
   * and drops duplicate segments while the application computes. Returns the message the process
   * is to handle, which the world then passes to `onMessage`, or undefined when there is none (an
   * acknowledgement, a copy already received). A world that charges service times charges only
   * what is admitted. A process without it is handed every message as it comes.
   */
  admit?(from: Address, message: Message): Message | undefined;
}

/**
 * The part of a host that works while its process is busy — the kernel's TCP stack, gRPC's I/O
 * threads: its clock is the host's, not the end of the handler the process is in, and its timers
 * fire without waiting behind the process's queue. A world in which handling takes no time may
 * give none (`Env.transport` undefined): then the process's own ports are the transport's.
 */
export interface TransportPort {
  nowUs(): number;
  setTimer(delayUs: number, fire: () => void, urgency?: Urgency): TimerId;
  cancelTimer(timer: TimerId): void;
  send<M extends Message>(to: Address, message: M, sizeBytes: number, urgency?: Urgency): void;
  /**
   * Whether a copy of this very message object is still on the wire: sent and neither arrived nor
   * lost with a NIC. What a TCP sender knows from the bytes the receiver acknowledges as they come:
   * a large message that is still flowing is not resent, however long its share of a congested
   * link makes it take. (Optional: a transport that cannot tell says nothing, and the RPC layer
   * falls back on its size allowance.)
   */
  onWire?(message: Message): boolean;
}

/** A uniform random stream in [0, 1). Streams are named so consumers never shift each other's draws. */
export interface Rng {
  next(): number;
}

/**
 * Background work (heartbeats, failure detectors) keeps running but never keeps a run alive on its
 * own: a run ends when the driver is done and only background events remain.
 */
export type Urgency = "work" | "background";

/** Durable storage for GCS flushing and actor checkpoints: it survives node failures, costs time. */
export interface DurableStorage {
  write(key: string, value: unknown, sizeBytes: number, done: (ok: boolean) => void): void;
  read(key: string, done: (found: boolean, value: unknown, sizeBytes: number) => void): void;
  remove(key: string): void;
}

/** How an execution ended. Anything but "ok" means the worker (or its GPU) is gone. */
/** "gpu-out-of-memory": the launch found less GPU memory free than the raylet believed (see below). */
export type ExecutionOutcome = "ok" | "worker-crashed" | "gpu-failed" | "gpu-out-of-memory";

/** A request to occupy a worker's CPU/GPU slot for a while. */
export interface ExecutionRequest {
  /** The function or method name: fault filters (`crashWorkers({ task })`) match on it. */
  readonly name: string;
  readonly taskId: string;
  /** Which attempt of the task (for the "never twice at once" check); 0 when not a task. */
  readonly attempt?: number;
  readonly gpuIds: readonly number[];
  readonly durationUs: number;
  /**
   * For a launch that holds GPU memory: the memory the raylet believes is still free on each of
   * `gpuIds` once this launch holds its own. The hardware fails the launch at once when memory
   * held outside Ray exceeds it (as a CUDA allocation finds out).
   */
  readonly gpuFreeMemoryBytes?: readonly number[];
}

/** Carried across a task body's awaits so nested remote/get calls know their parent. */
export interface TaskContextPort<C> {
  run<T>(context: C, body: () => T): T;
  current(): C | undefined;
}

/** A promise that user code awaits; settling it lets the awaiting code resume at the current time. */
export interface UserDeferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export interface Env {
  /** This process's own address and the name of the node it lives on. */
  readonly self: Address;
  readonly nodeName: string;
  nowUs(): number;
  setTimer(delayUs: number, fire: () => void, urgency?: Urgency): TimerId;
  cancelTimer(timer: TimerId): void;
  send<M extends Message>(to: Address, message: M, sizeBytes: number, urgency?: Urgency): void;
  /** A long-lived named stream (cached: draws continue where they left off). */
  rng(stream: string): Rng;
  /**
   * A stream determined by `key` and the seed alone, not kept: e.g. a task's duration draw keyed by
   * its task id, so a re-execution draws what the original did (common random numbers).
   */
  freshRng(key: string): Rng;
  readonly storage: DurableStorage;
  /** Occupy a worker slot; `done` fires when the time is up or the worker/GPU dies first. */
  execute(request: ExecutionRequest, done: (outcome: ExecutionOutcome) => void): ExecutionId;
  cancelExecution(execution: ExecutionId): void;
  trace(event: TraceEvent): void;
  userDeferred<T>(label: string): UserDeferred<T>;
  readonly taskContext: TaskContextPort<unknown>;
  /** The host's transport under this process (see TransportPort), for an RPC layer. */
  readonly transport?: TransportPort;
}
