/**
 * Erlang C against values from queueing tables and closed forms: M/M/1 waits with probability ρ
 * and W_q = ρ/(μ−λ); M/M/2 at a = 1 has C = 1/3; C(4, 3) = 0.5094 (standard Erlang C tables).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  erlangB,
  erlangC,
  mmcTheory,
  mmcWaitCdf,
  mmcWaitQuantileMs,
} from "../../../scenarios/mmc-queue/erlang-c.js";

const close = (actual: number, expected: number, tolerance = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected}`);

test("erlangC(1, ρ) is ρ, and mmcTheory() gives M/M/1's W_q = ρ/(μ − λ)", () => {
  close(erlangC(1, 0.7), 0.7);
  const t = mmcTheory(1, 0.07, 10);
  close(t.meanWaitMs, 0.7 / (0.1 - 0.07));
  close(t.meanQueueLength, 0.7 ** 2 / 0.3);
});

test("erlangC() matches closed forms and tables", () => {
  close(erlangC(2, 1), 1 / 3);
  close(erlangC(4, 3), 0.5094, 1e-4);
  close(erlangB(2, 1), 0.2);
});

test("erlangC() stays finite for hundreds of servers", () => {
  const c = erlangC(500, 490);
  assert.ok(c > 0 && c < 1);
});

test("erlangC() refuses an unstable queue", () => {
  assert.throws(() => erlangC(2, 2), /must be < 1/);
});

test("mmcWaitCdf() has an atom 1 − C at zero and mmcWaitQuantileMs() inverts it", () => {
  const t = mmcTheory(4, 0.32, 10);
  close(mmcWaitCdf(t, 0), 1 - t.probWait);
  close(mmcWaitCdf(t, mmcWaitQuantileMs(t, 0.99)), 0.99);
  assert.equal(mmcWaitQuantileMs(t, 0.1), 0);
});
