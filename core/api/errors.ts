/**
 * The typed errors a program sees (API.md "Errors"). Each names the object or task, what happened
 * and what to do. They travel through the system as values: a failed task stores its error as the
 * value of its return objects, so every dependent and every `get` raises it (Ray semantics).
 */
export class RayError extends Error {
  override name = "RayError";
}

/** The user function threw; `cause` is what it threw (or the error of a failed argument). */
export class TaskError extends RayError {
  override name = "TaskError";
  constructor(
    readonly taskId: string,
    readonly functionName: string,
    cause: unknown,
  ) {
    super(`task ${taskId} (${functionName}) failed: ${describe(cause)}`, { cause });
  }
}

export class WorkerCrashedError extends RayError {
  override name = "WorkerCrashedError";
  constructor(
    readonly taskId: string,
    readonly functionName: string,
    attempts: number,
  ) {
    super(
      `the worker running task ${taskId} (${functionName}) crashed and retries are used up after ${attempts} attempt(s); raise maxRetries to retry more`,
    );
  }
}

export class NodeDiedError extends RayError {
  override name = "NodeDiedError";
  constructor(
    readonly taskId: string,
    readonly functionName: string,
    readonly nodeName: string,
    attempts: number,
  ) {
    super(
      `node ${nodeName} died while running task ${taskId} (${functionName}) and retries are used up after ${attempts} attempt(s); raise maxRetries to retry more`,
    );
  }
}

export class ObjectLostError extends RayError {
  override name = "ObjectLostError";
  constructor(
    readonly objectId: string,
    detail = "it came from put() and has no copy left; put() objects are not reconstructable",
  ) {
    super(`object ${objectId} is lost: ${detail}`);
  }
}

export class ObjectReconstructionFailedMaxAttemptsExceededError extends ObjectLostError {
  override name = "ObjectReconstructionFailedMaxAttemptsExceededError";
  constructor(objectId: string, taskId: string, attempts: number) {
    super(
      objectId,
      `rebuilding it needs task ${taskId} to run again, but its maxRetries budget is spent after ${attempts} attempt(s)`,
    );
  }
}

export class ObjectReconstructionFailedLineageEvictedError extends ObjectLostError {
  override name = "ObjectReconstructionFailedLineageEvictedError";
  constructor(objectId: string, taskId: string) {
    super(
      objectId,
      `its lineage (task ${taskId}) was evicted from the GCS task table; raise gcs.maxLineageBytes or enable flushing to storage`,
    );
  }
}

export class ActorDiedError extends RayError {
  override name = "ActorDiedError";
  constructor(
    readonly actorId: string,
    reason: string,
  ) {
    super(`actor ${actorId} is dead and will not restart: ${reason}`);
  }
}

export class ActorUnavailableError extends RayError {
  override name = "ActorUnavailableError";
  constructor(
    readonly actorId: string,
    reason: string,
  ) {
    super(
      `actor ${actorId} is unavailable: ${reason}; set maxTaskRetries to retry calls across restarts`,
    );
  }
}

export class GetTimeoutError extends RayError {
  override name = "GetTimeoutError";
  constructor(
    readonly objectIds: readonly string[],
    timeoutMs: number,
  ) {
    super(
      `get timed out after ${timeoutMs} ms waiting for ${objectIds.slice(0, 5).join(", ")}${objectIds.length > 5 ? ", …" : ""}`,
    );
  }
}

export class TaskUnschedulableError extends RayError {
  override name = "TaskUnschedulableError";
  constructor(
    readonly taskId: string,
    readonly functionName: string,
    resources: string,
  ) {
    super(
      `task ${taskId} (${functionName}) needs ${resources}, which no live node can ever provide; add a node with those resources or lower the request`,
    );
  }
}

export class ObjectStoreFullError extends RayError {
  override name = "ObjectStoreFullError";
  constructor(
    readonly objectId: string,
    sizeBytes: number,
    capacityBytes: number,
    nodeName: string,
  ) {
    super(
      `object ${objectId} (${sizeBytes} bytes) does not fit in the object store of ${nodeName} (${capacityBytes} bytes) even after evicting every unpinned object`,
    );
  }
}

/**
 * A task or actor's `gpuMemoryBytes` did not fit in its GPU's free memory when it launched (memory
 * held outside Ray's accounting, as a CUDA allocation at launch finds it). An error of the attempt,
 * like an exception: retried only when `retryExceptions` says so.
 */
export class GpuOutOfMemoryError extends RayError {
  override name = "GpuOutOfMemoryError";
  constructor(
    readonly taskId: string,
    readonly functionName: string,
    readonly nodeName: string,
    readonly gpuIndex: number,
    readonly requestedBytes: number,
  ) {
    super(
      `task ${taskId} (${functionName}) needs ${requestedBytes} bytes of GPU memory, more than GPU ${gpuIndex} of ${nodeName} had free at launch; lower gpuMemoryBytes or set retryExceptions to try again`,
    );
  }
}

/** Bad configuration or bad options: names the field, what is accepted, and what was given. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}
