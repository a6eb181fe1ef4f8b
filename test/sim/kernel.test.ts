/**
 * The kernel: ordering by (time, seq), cancellation, await semantics in virtual time, deadlocks.
 * Method: small programs on a bare Kernel, whose observations are compared with what they must be.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Kernel, DeadlockError } from "../../sim/kernel.js";
import type { EventHandler } from "../../sim/event-queue.js";
import { checkProperty, PROPERTY_TIMEOUT_MS } from "../support/property.js";

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
  assert.deepEqual(
    at5,
    [...at5].sort((a, b) => a - b),
  );
  assert.deepEqual(
    at10,
    [...at10].sort((a, b) => a - b),
  );
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

test(
  "virtual time never goes backwards under a random hold model (property)",
  { timeout: PROPERTY_TIMEOUT_MS },
  async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 200 }),
        (delays) => {
          const kernel = new Kernel();
          let last = -1;
          let fired = 0;
          const h: EventHandler = {
            handleEvent: (tag) => {
              assert.ok(kernel.nowUs >= last);
              last = kernel.nowUs;
              fired++;
              if (tag < delays.length)
                kernel.schedule(delays[tag]!, h, tag + delays.length, undefined);
            },
          };
          delays.forEach((d, i) => kernel.schedule(d, h, i, undefined));
          return kernel.run(undefined).then(() => assert.equal(fired, 2 * delays.length));
        },
      ),
      { file: "test/sim/kernel.test.ts", numRuns: 50 },
    );
  },
);

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
  assert.deepEqual(
    value,
    Array.from({ length: 100 }, (_, i) => i * 10 + 5),
  );
  for (const [i, t] of seen) assert.equal(t, i * 10 + 5);
});

test("run(driver) rejects with DeadlockError naming what the driver awaits", async () => {
  const kernel = new Kernel();
  const never = kernel.userDeferred<number>("get(t7:0)");
  await assert.rejects(
    kernel.run((async () => await never.promise)()),
    (e: unknown) =>
      e instanceof DeadlockError &&
      /get\(t7:0\)/.test(e.message) &&
      /no event is left/.test(e.message),
  );
});

test("run(driver) reports a deadlock when only background events remain for idleLimitUs", async () => {
  const kernel = new Kernel();
  const heartbeat: EventHandler = {
    handleEvent: () => void kernel.schedule(100, heartbeat, 0, undefined, false),
  };
  kernel.schedule(100, heartbeat, 0, undefined, false);
  const never = kernel.userDeferred<number>("wait([t1:0])");
  await assert.rejects(
    kernel.run(never.promise, { idleLimitUs: 10_000 }),
    (e: unknown) => e instanceof DeadlockError && /background/.test(e.message),
  );
  assert.ok(kernel.nowUs <= 10_100);
});

test("run() ends once the driver is done, even though heartbeats go on", async () => {
  const kernel = new Kernel();
  const heartbeat: EventHandler = {
    handleEvent: () => void kernel.schedule(100, heartbeat, 0, undefined, false),
  };
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
  await assert.rejects(
    kernel.run(
      (async () => {
        await sleep(kernel, 3);
        throw new RangeError("boom");
      })(),
    ),
    RangeError,
  );
});

/** A retry loop: a timer re-sends a "request" every 20 ms (work) until `stop()`. */
function spin(
  kernel: Kernel,
  type: string,
  onEach: (type: string) => void = () => {},
): { stop: () => void } {
  let running = true;
  const handler: EventHandler = {
    handleEvent: () => {
      if (kernel.tallying) kernel.tally(type);
      onEach(type);
      if (running) kernel.schedule(20_000, handler, 0, undefined);
    },
  };
  kernel.schedule(20_000, handler, 0, undefined);
  return { stop: () => void (running = false) };
}

test("run(driver) reports a livelock when work runs progressLimitUs without progress, naming the busy message types", async () => {
  const kernel = new Kernel();
  spin(kernel, "gcs.request");
  spin(kernel, "chain.lookup");
  const never = kernel.userDeferred<number>("get(t0:0)");
  await assert.rejects(
    kernel.run(never.promise, { progressLimitUs: 1_000_000 }),
    (e: unknown) =>
      e instanceof DeadlockError &&
      /livelock/.test(e.message) &&
      /\d+ × gcs\.request/.test(e.message) &&
      /\d+ × chain\.lookup/.test(e.message) &&
      /get\(t0:0\)/.test(e.message),
  );
  assert.ok(kernel.nowUs > 1_000_000 && kernel.nowUs <= 1_020_000, `fired at ${kernel.nowUs} µs`);
});

test("progress (noteProgress, a settled user promise) restarts the livelock clock", async () => {
  const kernel = new Kernel();
  let n = 0;
  // Every 25th request an attempt starts or ends: progress every 500 ms, below the 1 s limit.
  const retries = spin(kernel, "gcs.request", () => void (++n % 25 === 0 && kernel.noteProgress()));
  const { value } = await kernel.run(
    (async () => (await sleep(kernel, 5_000_000), retries.stop(), 3))(),
    { progressLimitUs: 1_000_000 },
  );
  assert.equal(value, 3);
});

test("a task that legitimately runs longer than progressLimitUs is progress, not a livelock", async () => {
  const kernel = new Kernel();
  let executing = true;
  const retries = spin(kernel, "gcs.request");
  const done = kernel.userDeferred<string>("get(long:0)");
  // The task's end is scheduled 10 s away; meanwhile only retries run.
  kernel.schedule(
    10_000_000,
    {
      handleEvent: () => (
        (executing = false),
        retries.stop(),
        kernel.noteProgress(),
        done.resolve("ok")
      ),
    },
    0,
    undefined,
  );
  const { value } = await kernel.run(done.promise, {
    progressLimitUs: 1_000_000,
    progressPending: () => executing,
  });
  assert.equal(value, "ok");
  assert.equal(kernel.nowUs >= 10_000_000, true);
});

test("a driver sleeping longer than progressLimitUs with no other work is not a livelock", async () => {
  const kernel = new Kernel();
  const { value } = await kernel.run((async () => (await sleep(kernel, 5_000_000), 9))(), {
    progressLimitUs: 1_000_000,
  });
  assert.equal(value, 9);
});
