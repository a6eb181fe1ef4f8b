/**
 * The pending-event queue: whatever the interleaving of pushes and pops, events come out in exactly
 * the (time, seq) order. Method: random operation sequences run on the queue and on a reference (the
 * pending events sorted by (time, seq)); every peek and pop must agree, payload included.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { EventQueue, type EventHandler } from "../../sim/event-queue.js";
import { InvariantViolation } from "../../core/assert.js";
import { checkProperty, PROPERTY_TIMEOUT_MS } from "../support/property.js";

interface Ref {
  timeUs: number;
  seq: number;
  tag: number;
  handler: EventHandler;
  data: unknown;
}

const handlers: EventHandler[] = [0, 1, 2].map(() => ({ handleEvent: () => undefined }));

/** Removes and returns the (time, seq) minimum of the reference. */
function refPop(pending: Ref[]): Ref {
  let best = 0;
  for (let i = 1; i < pending.length; i++) {
    const a = pending[i]!;
    const b = pending[best]!;
    if (a.timeUs < b.timeUs || (a.timeUs === b.timeUs && a.seq < b.seq)) best = i;
  }
  return pending.splice(best, 1)[0]!;
}

/** Peeks without popping (the Kernel peeks, may stop at `untilUs`, and push again before popping). */
function peekAndCompare(queue: EventQueue, pending: Ref[], trace: string): void {
  if (pending.length === 0) return;
  const want = refPop(pending);
  pending.push(want);
  assert.equal(queue.peekTimeUs(), want.timeUs, `peekTimeUs ${trace}`);
  assert.equal(queue.peekSeq(), want.seq, `peekSeq ${trace}`);
}

function popAndCompare(queue: EventQueue, pending: Ref[], trace: string): void {
  const want = refPop(pending);
  assert.equal(queue.peekTimeUs(), want.timeUs, `peekTimeUs ${trace}`);
  assert.equal(queue.peekSeq(), want.seq, `peekSeq ${trace}`);
  queue.pop();
  assert.equal(queue.poppedTimeUs, want.timeUs, `poppedTimeUs ${trace}`);
  assert.equal(queue.poppedSeq, want.seq, `poppedSeq ${trace}`);
  assert.equal(queue.poppedTag, want.tag, `poppedTag ${trace}`);
  assert.equal(queue.poppedHandler, want.handler, `poppedHandler ${trace}`);
  assert.equal(queue.poppedData, want.data, `poppedData ${trace}`);
  assert.equal(queue.size, pending.length, `size ${trace}`);
}

/** Gaps from the last popped time: many ties (0), the wheel's range, its edge, and far beyond. */
const gap = fc.oneof(
  { weight: 4, arbitrary: fc.constant(0) },
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 5 }) },
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 1500 }) },
  { weight: 3, arbitrary: fc.integer({ min: 1000, max: 5000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 4000, max: 70_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 1e13 }) },
);

type Op =
  | { kind: "push"; gap: number; work: boolean; tag: number }
  | { kind: "pop" }
  | { kind: "peek" }
  | { kind: "burst"; gap: number; n: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("push" as const),
      gap,
      work: fc.boolean(),
      tag: fc.integer(),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("pop" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("peek" as const) }) },
  // Many events at one time: buckets spanning several chunks.
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("burst" as const),
      gap,
      n: fc.integer({ min: 1, max: 80 }),
    }),
  },
);

test(
  "monotone pushes and pops in any interleaving come out in exact (time, seq) order (property)",
  { timeout: PROPERTY_TIMEOUT_MS },
  async () => {
    await checkProperty(
      fc.property(
        fc.array(op, { maxLength: 400, size: "large" }),
        fc.constantFrom(10, 12, undefined),
        (ops, wheelBits) => {
          const queue = new EventQueue(4, wheelBits);
          const pending: Ref[] = [];
          let counter = 0;
          let lastPopped = 0;
          const push = (timeUs: number, work: boolean, tag: number): void => {
            // Like the Kernel: seq = 2 * counter + workBit, strictly increasing in push order.
            const e: Ref = {
              timeUs,
              seq: 2 * counter++ + (work ? 1 : 0),
              tag,
              handler: handlers[counter % 3]!,
              data: { n: counter },
            };
            pending.push(e);
            queue.push(e.timeUs, e.seq, e.handler, e.tag, e.data);
          };
          ops.forEach((o, k) => {
            if (o.kind === "push") push(lastPopped + o.gap, o.work, o.tag);
            else if (o.kind === "burst")
              for (let j = 0; j < o.n; j++) push(lastPopped + o.gap, j % 2 === 0, j);
            else if (o.kind === "peek") peekAndCompare(queue, pending, `at op ${k}`);
            else if (pending.length > 0) {
              popAndCompare(queue, pending, `at op ${k}`);
              lastPopped = queue.poppedTimeUs;
            }
          });
          while (pending.length > 0) popAndCompare(queue, pending, "while draining");
          assert.equal(queue.size, 0);
        },
      ),
      { file: "test/sim/event-queue.test.ts", numRuns: 300 },
    );
  },
);

test(
  "any push order (earlier times, fractional times, out-of-order seqs) still pops in (time, seq) order (property)",
  { timeout: PROPERTY_TIMEOUT_MS },
  async () => {
    const time = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 12 }) }, // ties
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 3000 }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 1e9 }) },
      { weight: 1, arbitrary: fc.constantFrom(0.5, 2.5, 7.25, 1500.5) }, // fractional ties
      { weight: 1, arbitrary: fc.double({ min: 0, max: 5000, noNaN: true }) },
    );
    const anyOp = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant("push" as const),
          time,
          seqJitter: fc.integer({ min: -3, max: 3 }),
        }),
      },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant("pop" as const) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("peek" as const) }) },
    );
    await checkProperty(
      fc.property(fc.array(anyOp, { maxLength: 300, size: "large" }), (ops) => {
        const queue = new EventQueue(2, 10);
        const pending: Ref[] = [];
        let n = 0;
        ops.forEach((o, k) => {
          if (o.kind === "push") {
            // Unique seqs, mostly increasing but sometimes smaller than earlier ones.
            const seq = 10 * n++ + o.seqJitter * 7 + 0.5 * (n % 2);
            const e: Ref = { timeUs: o.time, seq, tag: n, handler: handlers[n % 3]!, data: n };
            pending.push(e);
            queue.push(e.timeUs, e.seq, e.handler, e.tag, e.data);
          } else if (o.kind === "peek") peekAndCompare(queue, pending, `at op ${k}`);
          else if (pending.length > 0) popAndCompare(queue, pending, `at op ${k}`);
        });
        while (pending.length > 0) popAndCompare(queue, pending, "while draining");
      }),
      { file: "test/sim/event-queue.test.ts", numRuns: 300 },
    );
  },
);

test("a far event that moves into the wheel precedes later-pushed events of its time", () => {
  const queue = new EventQueue(4, 10);
  const h = handlers[0]!;
  queue.push(5000, 1, h, 1, undefined); // beyond the 1024 µs wheel: the far heap
  queue.push(4200, 3, h, 2, undefined);
  queue.push(4200, 5, h, 3, undefined);
  queue.pop(); // time 4200: the window now covers 5000, the far event moves in
  assert.equal(queue.poppedTag, 2);
  queue.push(5000, 7, h, 4, undefined); // same time, later push
  queue.push(4200, 9, h, 5, undefined);
  const order: number[] = [];
  while (queue.size > 0) {
    queue.pop();
    order.push(queue.poppedTag);
  }
  assert.deepEqual(order, [3, 5, 1, 4]);
});

test("a peeked far head gives way to an earlier far event pushed after the peek", () => {
  const queue = new EventQueue(4, 10);
  const h = handlers[0]!;
  queue.push(50_000, 1, h, 1, undefined);
  assert.equal(queue.peekTimeUs(), 50_000);
  queue.push(30_000, 2, h, 2, undefined);
  assert.equal(queue.peekTimeUs(), 30_000);
  queue.pop();
  assert.equal(queue.poppedTag, 2);
});

test("an out-of-order seq pushed at the current time pops between the bucket's events", () => {
  const queue = new EventQueue(4, 10);
  const h = handlers[0]!;
  queue.push(7, 10, h, 1, undefined);
  queue.push(7, 30, h, 3, undefined);
  queue.push(7, 20, h, 2, undefined); // seq below the last one pushed: the side heap
  const order: number[] = [];
  while (queue.size > 0) {
    queue.pop();
    order.push(queue.poppedTag);
  }
  assert.deepEqual(order, [1, 2, 3]);
});

test("sparse far-apart events (heartbeats) keep their order across many wheel turns", () => {
  const queue = new EventQueue(4, 10);
  const h = handlers[0]!;
  let seq = 0;
  for (let i = 0; i < 16; i++) queue.push(i * 6_250, seq++, h, i, undefined);
  const popped: number[] = [];
  for (let k = 0; k < 16 * 50; k++) {
    queue.pop();
    popped.push(queue.poppedTimeUs);
    queue.push(queue.poppedTimeUs + 100_000, seq++, h, queue.poppedTag, undefined);
  }
  for (let k = 0; k < popped.length; k++) assert.equal(popped[k], k * 6_250);
});

test("peek and pop on an empty queue fail as invariant violations", () => {
  const queue = new EventQueue();
  assert.throws(() => queue.peekTimeUs(), InvariantViolation);
  assert.throws(() => queue.peekSeq(), InvariantViolation);
  assert.throws(() => queue.pop(), InvariantViolation);
  queue.push(3, 1, handlers[0]!, 0, undefined);
  queue.pop();
  assert.throws(() => queue.pop(), InvariantViolation);
});
