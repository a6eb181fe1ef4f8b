/**
 * The public entry point (API.md): everything a program needs, from one module.
 */
export { Simulation } from "./simulation.js";
export type { SimulationConfig, NodeConfig, GpuConfig } from "./config.js";
export { DeadlockError } from "./kernel.js";
export type { TaskAttemptRow, ThroughputRow, GcsOpRow, FaultRow } from "./metrics.js";
export { Ray } from "../core/api/ray.js";
export type {
  RemoteFunction,
  ActorClass,
  ActorHandle,
  NodeInfo,
  RuntimeContext,
} from "../core/api/ray.js";
export { ObjectRef } from "../core/api/object-ref.js";
export type { RemoteOptions, ActorOptions, DurationModel } from "../core/api/options.js";
export {
  RayError,
  TaskError,
  WorkerCrashedError,
  NodeDiedError,
  ObjectLostError,
  ObjectReconstructionFailedMaxAttemptsExceededError,
  ObjectReconstructionFailedLineageEvictedError,
  ActorDiedError,
  ActorUnavailableError,
  GetTimeoutError,
  TaskUnschedulableError,
  ObjectStoreFullError,
  GpuOutOfMemoryError,
  ConfigError,
} from "../core/api/errors.js";
export { toCsv, writeCsv } from "./csv.js";
