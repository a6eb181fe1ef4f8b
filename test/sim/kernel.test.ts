/**
 * The kernel: ordering by (time, seq), cancellation, await semantics in virtual time, deadlocks.
 * Method: small programs on a bare Kernel, whose observations are compared with what they must be.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Kernel, DeadlockError } from "../../sim/kernel.js";
import type { EventHandler } from "../../sim/event-queue.js";
import { checkProperty } from "../support/property.js";

function recorder(log: Array<[number, number]>, kernel: Kernel): EventHandler {
  return { handleEvent: (tag) => void log.push([kernel.nowUs, tag]) };
}

function sleep(kernel: Kernel, delayUs: number): Promise<void> {
  const d = kernel.userDeferred<void>(`sleep(${delayUs})`);
  kernel.schedule(delayUs, { handleEvent: () => d.resolve() }, 0, undefined);
  return d.promise;
}

test("schedule() runs equal-time events first-in first-out", async () => {
  const kernel = new Kernel();
  const log: Array<[number, number]> = [];
  const h = recorder(log, kernel);
  for (let i = 0; i < 50; i++) kernel.schedule(i % 3 === 0 ? 10 : 5, h, i, undefined);
  await kernel.run(undefined);
  const at5 = log.filter(([t]) => t === 5).map(([, tag]) => tag);
  const at10 = log.filter(([t]) => t === 10).map(([, tag]) => tag);
  assert.deepEqual(at5, [...at5].sort((a, b) => a - b));
  assert.deepEqual(at10, [...at10].sort((a, b) => a - b));
  assert.equal(at5.length + at10.length, 50);
  assert.ok(log.findIndex(([t]) => t === 10) > log.findLastIndex(([t]) => t === 5));
});

test("cancel() stops an event from firing and does not keep the run alive", async () => {
  const kernel = new Kernel();
  const log: Array<[number, number]> = [];
  const h = recorder(log, kernel);
  const id = kernel.schedule(1_000_000_000, h, 1, undefined);
  kernel.schedule(5, h, 2, undefined);
  kernel.cancel(id);
  const { end } = await kernel.run(undefined);
  assert.deepEqual(log, [[5, 2]]);
  assert.equal(end.atUs, 5);
});

test("virtual time never goes backwards under a random hold model (property)", async () => {
  await checkProperty(
    fc.asyncProperty(fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 200 }), (delays) => {
      const kernel = new Kernel();
      let last = -1;
      let fired = 0;
      const h: EventHandler = {
        handleEvent: (tag) => {
          assert.ok(kernel.nowUs >= last);
          last = kernel.nowUs;
          fired++;
          if (tag < delays.length) kernel.schedule(delays[tag]!, h, tag + delays.length, undefined);
        },
      };
      delays.forEach((d, i) => kernel.schedule(d, h, i, undefined));
      return kernel.run(undefined).then(() => assert.equal(fired, 2 * delays.length));
    }),
    { file: "test/sim/kernel.test.ts", numRuns: 50 },
  );
});

test("run(driver) resumes an awaiting driver at exactly the timer's virtual time", async () => {
  const kernel = new Kernel();
  const seen: number[] = [];
  await kernel.run(
    (async () => {
      await sleep(kernel, 100);
      seen.push(kernel.nowUs);
      await sleep(kernel, 250);
      seen.push(kernel.nowUs);
    })(),
  );
  assert.deepEqual(seen, [100, 350]);
});

test("run(driver) handles many concurrent awaits and nested promise chains", async () => {
  const kernel = new Kernel();
  const seen: Array<[number, number]> = [];
  const chain = async (i: number): Promise<number> => {
    await sleep(kernel, i * 10);
    const inner = await (async () => {
      await Promise.resolve();
      await sleep(kernel, 5);
      return kernel.nowUs;
    })();
    seen.push([i, inner]);
    return inner;
  };
  const { value } = await kernel.run(Promise.all(Array.from({ length: 100 }, (_, i) => chain(i))));
  assert.deepEqual(value, Array.from({ length: 100 }, (_, i) => i * 10 + 5));
  for (const [i, t] of seen) assert.equal(t, i * 10 + 5);
});

test("run(driver) rejects with DeadlockError naming what the driver awaits", async () => {
  const kernel = new Kernel();
  const never = kernel.userDeferred<number>("get(t7:0)");
  await assert.rejects(
    kernel.run((async () => await never.promise)()),
    (e: unknown) => e instanceof DeadlockError && /get\(t7:0\)/.test(e.message) && /no event is left/.test(e.message),
  );
});

test("run(driver) reports a deadlock when only background events remain for idleLimitUs", async () => {
  const kernel = new Kernel();
  const heartbeat: EventHandler = { handleEvent: () => void kernel.schedule(100, heartbeat, 0, undefined, false) };
  kernel.schedule(100, heartbeat, 0, undefined, false);
  const never = kernel.userDeferred<number>("wait([t1:0])");
  await assert.rejects(kernel.run(never.promise, { idleLimitUs: 10_000 }), (e: unknown) => e instanceof DeadlockError && /background/.test(e.message));
  assert.ok(kernel.nowUs <= 10_100);
});

test("run() ends once the driver is done, even though heartbeats go on", async () => {
  const kernel = new Kernel();
  const heartbeat: EventHandler = { handleEvent: () => void kernel.schedule(100, heartbeat, 0, undefined, false) };
  kernel.schedule(100, heartbeat, 0, undefined, false);
  const { value, end } = await kernel.run((async () => (await sleep(kernel, 1000), 7))());
  assert.equal(value, 7);
  assert.equal(end.atUs, 1000);
});

test("run({ untilUs }) stops at that virtual time", async () => {
  const kernel = new Kernel();
  const { end } = await kernel.run(sleep(kernel, 5_000), { untilUs: 2_000 });
  assert.equal(end.reason, "until");
  assert.equal(kernel.nowUs, 2_000);
});

test("run(driver) rejects with the driver's own error", async () => {
  const kernel = new Kernel();
  await assert.rejects(kernel.run((async () => { await sleep(kernel, 3); throw new RangeError("boom"); })()), RangeError);
});
