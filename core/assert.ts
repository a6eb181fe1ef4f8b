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

export function unreachable(value: never, what = "value"): never {
  throw new InvariantViolation(`unreachable ${what}: ${JSON.stringify(value)}`);
}
