/**
 * core/assert.ts: a failed assertion, an exhausted switch and an exceeded bound each stop with an
 * InvariantViolation whose message names what broke.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  assert as coreAssert,
  assertBound,
  BoundExceeded,
  InvariantViolation,
  unreachable,
} from "../../core/assert.js";

test("assert(cond, msg) throws an InvariantViolation with msg when cond is false, and nothing when true", () => {
  coreAssert(true, "never shown");
  assert.throws(
    () => coreAssert(0, "zero is false"),
    (e: unknown) => e instanceof InvariantViolation && e.message === "zero is false",
  );
});

test("unreachable(x, what) names what and a message's type", () => {
  const m = { type: "raylet.unknown", payload: 1 } as unknown as never;
  assert.throws(
    () => unreachable(m, "raylet message"),
    /unreachable raylet message: type raylet\.unknown/,
  );
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  assert.throws(
    () => unreachable(circular as never, "value"),
    /unreachable value: \[object Object\]/,
  );
});

test("assertBound(size, bound, what) passes below the bound and names the structure at it", () => {
  assertBound(9, 10, "queue (MAX_Q)");
  assert.throws(
    () => assertBound(10, 10, "raylet w1 fetches (MAX_PENDING_FETCHES)"),
    (e: unknown) =>
      e instanceof BoundExceeded &&
      e instanceof InvariantViolation &&
      /raylet w1 fetches \(MAX_PENDING_FETCHES\) reached its bound of 10 entries/.test(e.message),
  );
});
