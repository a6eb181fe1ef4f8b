/**
 * Livelock detection on a whole Simulation (issue 10 item 1): work that keeps running while no task
 * attempt starts or ends and the driver's awaited set does not change for `progressLimitMs` ends
 * the run in a DeadlockError naming the message types that kept it busy; a task that runs longer
 * than the limit is progress. Method: two processes on a host of their own that bounce a message
 * back and forth as work, for ever (a retry loop that is never answered, reduced to its essence),
 * beside a driver that waits on what never comes, or on a long task.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { address, type Address, type Env, type Message, type Process } from "../../core/env.js";
import { ConfigError, DeadlockError, Simulation, type SimulationConfig } from "../../sim/index.js";

const cluster = (extra: SimulationConfig = {}) =>
  new Simulation({
    seed: 1,
    nodes: [
      { name: "head", cpus: 1 },
      { name: "w1", cpus: 1, resources: { w1: 1 } },
    ],
    ...extra,
  });

/** Bounces "bounce.ping" to its peer every 5 ms while `running()`. */
class Bouncer implements Process {
  constructor(
    private readonly env: Env,
    private readonly peer: Address,
    private readonly running: () => boolean,
  ) {}
  onMessage(_from: Address, _message: Message): void {
    if (!this.running()) return;
    this.env.setTimer(5_000, () => this.env.send(this.peer, { type: "bounce.ping" }, 64));
  }
  start(): void {
    this.env.send(this.peer, { type: "bounce.ping" }, 64);
  }
}

function startBouncing(sim: Simulation, running: () => boolean = () => true): void {
  sim.world.addNode("__bounce");
  const [a, b] = [address("bounce-a", "__bounce"), address("bounce-b", "__bounce")];
  const first = sim.world.spawn("__bounce", a, (env) => new Bouncer(env, b, running));
  sim.world.spawn("__bounce", b, (env) => new Bouncer(env, a, running));
  first.start();
}

test("work that makes no progress for progressLimitMs is a livelock: DeadlockError naming the busy message type", async () => {
  const sim = cluster({ progressLimitMs: 2_000 });
  let stalledFromMs = NaN;
  await assert.rejects(
    sim.run(async (ray) => {
      await ray.get(ray.remote(() => 1, { durationMs: 1 }).remote());
      stalledFromMs = ray.now();
      startBouncing(sim);
      await new Promise(() => {}); // waits on nothing the simulation can settle
    }),
    (e: unknown) =>
      e instanceof DeadlockError &&
      /livelock/.test(e.message) &&
      /\d+ × bounce\.ping/.test(e.message) &&
      /progressLimitMs/.test(e.message),
  );
  assert.ok(
    sim.nowMs > stalledFromMs + 2_000 && sim.nowMs < stalledFromMs + 2_100,
    `detected at ${sim.nowMs} ms; progress stopped at ${stalledFromMs} ms`,
  );
});

test("a task that runs longer than progressLimitMs while other work spins is progress, not a livelock", async () => {
  const sim = cluster({ progressLimitMs: 1_000 });
  let done = false;
  const value = await sim.run(async (ray) => {
    const ref = ray.remote(() => 7, { durationMs: 5_000, resources: { CPU: 1, w1: 1 } }).remote();
    startBouncing(sim, () => !done);
    const v = await ray.get(ref);
    done = true;
    return v;
  });
  assert.equal(value, 7);
  assert.ok(sim.nowMs >= 5_000);
});

test("a driver sleeping longer than progressLimitMs while other work spins is not a livelock", async () => {
  const sim = cluster({ progressLimitMs: 1_000 });
  let done = false;
  const value = await sim.run(async (ray) => {
    startBouncing(sim, () => !done);
    await ray.sleep(4_000);
    done = true;
    return 3;
  });
  assert.equal(value, 3);
});

test("progressLimitMs must be a number > 0", () => {
  for (const bad of [0, -1, Number.NaN, "60s"]) {
    assert.throws(
      () => cluster({ progressLimitMs: bad as number }),
      (e: unknown) => e instanceof ConfigError && /progressLimitMs/.test(e.message),
    );
  }
});
