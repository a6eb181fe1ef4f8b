/**
 * The one assertion helper of core/ (STYLE.md §2). A failed assertion is a bug in raysim, never a
 * user error: it throws InvariantViolation, which no RayError handler catches.
 */
export class InvariantViolation extends Error {
  override name = "InvariantViolation";
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantViolation(message);
}

/**
 * A structure that grows with the workload reached its named bound (STYLE.md: a limit on
 * everything): the run stops here, naming the structure and the bound, rather than slowing into an
 * out-of-memory crash. Each bound is a named constant beside its structure; raise it there if a
 * workload really needs more.
 */
export class BoundExceeded extends InvariantViolation {
  override name = "BoundExceeded";
}

/** Call before inserting into a bounded structure that holds `size` entries. */
export function assertBound(size: number, bound: number, what: string): void {
  if (size >= bound) throw new BoundExceeded(`${what} reached its bound of ${bound} entries`);
}

/**
 * Ends a switch over a union: the compiler checks that every member has a case (`value` is
 * `never` there), and a value that slips past the types at run time is a bug, named by `what`.
 */
export function unreachable(value: never, what: string): never {
  throw new InvariantViolation(`unreachable ${what}: ${describe(value)}`);
}

/** A short description of an unexpected value: a message's type, else a clipped JSON form. */
function describe(value: unknown): string {
  if (typeof value === "object" && value !== null && "type" in value)
    return `type ${String(value.type)}`;
  try {
    return String(JSON.stringify(value)).slice(0, 200);
  } catch {
    return String(value);
  }
}
