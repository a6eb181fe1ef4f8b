/**
 * The global scheduler fails (issue 10, item 2): it is stateless, so a fresh one rebuilds its view
 * from the GCS and heartbeats, and the tasks it held come back because their forwarders hold them
 * until placed. Method: a head node with no CPUs, so every task the driver submits is forwarded;
 * the scheduler's host is killed mid-run. The run must return the failure-free values.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Simulation, type Ray } from "../../../sim/index.js";

type Fault = (sim: Simulation) => void;

function treeSum(ray: Ray, leaves: number) {
  const square = ray.remote((x: number) => x * x, { durationMs: 40 });
  const add = ray.remote((a: number, b: number) => a + b, { durationMs: 10 });
  let level = Array.from({ length: leaves }, (_, i) => square.remote(i + 1));
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(i + 1 < level.length ? add.remote(level[i]!, level[i + 1]!) : level[i]!);
    level = next;
  }
  return ray.get(level[0]!);
}

async function run(
  headCpus: number,
  fault: Fault | undefined,
  extra: { queueThreshold?: number } = {},
) {
  const sim = new Simulation({
    seed: 11,
    nodes: [
      { name: "head", cpus: headCpus },
      { name: "w1", cpus: 2 },
      { name: "w2", cpus: 2 },
    ],
    scheduler: { queueThreshold: extra.queueThreshold ?? 8 },
    checkInvariants: true,
  });
  fault?.(sim);
  const value = await sim.run(async (ray) => {
    const first = await treeSum(ray, 12);
    await ray.sleep(50);
    // Submitted while the scheduler is dead: held by the head's raylet until a scheduler places them.
    const second = await treeSum(ray, 6);
    return [first, second];
  });
  return { sim, value };
}

test("killScheduler mid-run, restarted: every forwarded task is placed once and the values are the failure-free ones", async () => {
  const clean = await run(0, undefined);
  const faulty = await run(0, (sim) => sim.faults.killScheduler({ atMs: 60, restartAfterMs: 300 }));
  assert.deepEqual(faulty.value, clean.value);
  assert.deepEqual(faulty.value, [650, 91]);
  const faults = faulty.sim.metrics.faults().filter((f) => f.fault === "killScheduler");
  assert.equal(faults.length, 1);
  assert.ok(faulty.sim.globalScheduler !== undefined, "a fresh scheduler runs after the restart");
  // Every attempt ran once: no task was placed twice.
  const attempts = faulty.sim.metrics.taskAttempts();
  assert.equal(new Set(attempts.map((a) => `${a.taskId}/${a.attempt}`)).size, attempts.length);
  assert.equal(attempts.length, clean.sim.metrics.taskAttempts().length);
  // The run waited for the restart: the second tree was submitted while the scheduler was dead.
  assert.ok(
    faulty.sim.nowMs > 360,
    `ended at ${faulty.sim.nowMs} ms, before the scheduler's restart`,
  );
});

test("killScheduler for good: a raylet over its queue threshold falls back to running what it forwarded", async () => {
  const clean = await run(2, undefined, { queueThreshold: 1 });
  const faulty = await run(2, (sim) => sim.faults.killScheduler({ atMs: 0 }), {
    queueThreshold: 1,
  });
  assert.deepEqual(faulty.value, clean.value);
  const nodes = new Set(faulty.sim.metrics.taskAttempts().map((a) => a.node));
  assert.deepEqual(
    [...nodes],
    ["head"],
    "with no scheduler every task runs where it was submitted",
  );
  assert.ok(faulty.sim.raylets.get("head")!.forwarded.fallbacks > 0);
});

test("killScheduler validates its options", () => {
  const sim = new Simulation({ seed: 1, nodes: [{ name: "w1", cpus: 1 }] });
  assert.throws(
    () => sim.faults.killScheduler({ atMs: -1 }),
    /killScheduler\(\{ atMs \}\) must be a finite number of ms >= 0/,
  );
  assert.throws(
    () => sim.faults.killScheduler({ restartAfterMs: Number.NaN }),
    /killScheduler\(\{ restartAfterMs \}\)/,
  );
});

test("a task forwarded twice, and a placement delivered twice, run once", async () => {
  const clean = await run(0, undefined);
  // Every forward reaches the scheduler twice and every placement its raylet twice, as a resend
  // crossing a slow answer would: the scheduler places each (task, attempt) once, a raylet keeps it once.
  const faulty = await run(0, (sim) => {
    const gs = sim.globalScheduler!;
    const gsOnMessage = gs.onMessage.bind(gs);
    gs.onMessage = (from, m) => {
      gsOnMessage(from, m);
      if (m.type === "gs.schedule") gsOnMessage(from, m);
    };
    for (const raylet of sim.raylets.values()) {
      const onMessage = raylet.onMessage.bind(raylet);
      raylet.onMessage = (from, m) => {
        onMessage(from, m);
        if (m.type === "raylet.assign") onMessage(from, m);
      };
    }
  });
  assert.deepEqual(faulty.value, clean.value);
  const attempts = faulty.sim.metrics.taskAttempts();
  assert.equal(attempts.length, clean.sim.metrics.taskAttempts().length, "a task ran twice");
  assert.equal(new Set(attempts.map((a) => `${a.taskId}/${a.attempt}`)).size, attempts.length);
});

test("a burst of forwards longer than the retry interval is not forwarded again into a collapse", async () => {
  // 1 500 tasks forwarded at once queue at the scheduler for longer than the forwarder's first
  // resend wait (20 ms): each resend costs the scheduler another look, so resending on a fixed
  // interval grows its queue with every round (recovery-storm --full never ended). The forwarder
  // backs off, and once the scheduler says it holds a task, only probes it.
  const tasks = 1500;
  const sim = new Simulation({
    seed: 3,
    nodes: [
      { name: "head", cpus: 0 },
      ...Array.from({ length: 16 }, (_, i) => ({ name: `w${i}`, cpus: 4 })),
    ],
    checkInvariants: true,
  });
  const total = await sim.run(async (ray) => {
    await ray.sleep(500); // every node has reported in
    // An argument: the scheduler looks up its locations in the GCS before it places the task.
    const zero = ray.put(0);
    const one = ray.remote((z: number, i: number) => z + i, { durationMs: 1 });
    const values = await ray.get(Array.from({ length: tasks }, (_, i) => one.remote(zero, i)));
    return values.reduce((a, b) => a + b, 0);
  });
  assert.equal(total, (tasks * (tasks - 1)) / 2);
  const resent = sim.raylets.get("head")!.forwarded.resent;
  console.log(`# ${tasks} forwards, ${resent} sent again`);
  assert.ok(resent < tasks / 10, `${resent} forwards sent again for ${tasks} tasks`);
});
