/**
 * A failed task's return value: Ray stores the error in place of each return object, so `get` and
 * every dependent raise it. Dependents re-raise a TaskError as is (its `cause` stays the user's
 * original error) and wrap any other RayError in a TaskError of their own.
 */
import { RayError, TaskError } from "./errors.js";

export class StoredError {
  constructor(readonly error: RayError) {}
}

export function isStoredError(v: unknown): v is StoredError {
  return v instanceof StoredError;
}

/** The error a dependent task fails with when one of its arguments is an error. */
export function dependentError(taskId: string, name: string, argError: RayError): RayError {
  if (argError instanceof TaskError) return argError;
  return new TaskError(taskId, name, argError);
}
