/**
 * The world: processes on nodes exchanging messages through the virtual network, node kills, and
 * the determinism of whole programs. Method: tiny processes that log what they observe.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { address, type Address, type Env, type Message, type Process } from "../../core/env.js";
import { World } from "../../sim/world.js";
import { checkProperty, PROPERTY_TIMEOUT_MS } from "../support/property.js";

class Echo implements Process {
  readonly received: Array<[number, string]> = [];
  constructor(private readonly env: Env) {}
  onMessage(from: Address, message: Message): void {
    this.received.push([this.env.nowUs(), message.type]);
    this.env.trace({
      kind: "timer.fired",
      label: `${from}:${message.type}`,
      seq: this.received.length,
    });
  }
}

function twoNodes() {
  const world = new World({ seed: 1, network: { latencyUs: 100 } });
  world.addNode("a");
  world.addNode("b");
  const a = world.spawn("a", address("p", "a"), (env) => new Echo(env));
  const b = world.spawn("b", address("p", "b"), (env) => new Echo(env));
  return { world, a, b };
}

test("send() delivers after the network latency", async () => {
  const { world, b } = twoNodes();
  world.node("a").processes.get(address("p", "a"))!.env.send(address("p", "b"), { type: "hi" }, 10);
  await world.kernel.run(undefined);
  assert.equal(b.received.length, 1);
  assert.equal(b.received[0]![0], 100 + Math.round((10 * 1e6) / 3.125e9));
});

test("killNode() drops messages in flight to it and never fires its timers", async () => {
  const { world, b } = twoNodes();
  const envA = world.node("a").processes.get(address("p", "a"))!.env;
  const envB = world.node("b").processes.get(address("p", "b"))!.env;
  let timerFired = false;
  envB.setTimer(500, () => (timerFired = true));
  envA.send(address("p", "b"), { type: "lost" }, 0);
  world.kernel.schedule(50, { handleEvent: () => world.killNode("b") }, 0, undefined);
  await world.kernel.run(undefined);
  assert.equal(b.received.length, 0);
  assert.equal(timerFired, false);
  assert.equal(world.messagesDropped, 1);
});

test("killNode() drops messages in flight from it", async () => {
  const { world, a } = twoNodes();
  const envB = world.node("b").processes.get(address("p", "b"))!.env;
  envB.send(address("p", "a"), { type: "from-dead" }, 0);
  world.kernel.schedule(50, { handleEvent: () => world.killNode("b") }, 0, undefined);
  await world.kernel.run(undefined);
  assert.equal(a.received.length, 0);
});

test("a restarted node is a fresh incarnation: messages to the old one are dropped", async () => {
  const { world } = twoNodes();
  const envA = world.node("a").processes.get(address("p", "a"))!.env;
  envA.send(address("p", "b"), { type: "old" }, 0);
  let fresh: Echo | undefined;
  world.kernel.schedule(
    50,
    {
      handleEvent: () => {
        world.killNode("b");
        world.addNode("b");
        fresh = world.spawn("b", address("p", "b"), (env) => new Echo(env));
      },
    },
    0,
    undefined,
  );
  await world.kernel.run(undefined);
  assert.equal(world.node("b").incarnation, 1);
  assert.deepEqual(fresh!.received, []);
});

test("bulk transfers from one NIC share its bandwidth fairly", async () => {
  const world = new World({ seed: 1, network: { latencyUs: 100, bandwidthBytesPerSec: 1e9 } });
  for (const n of ["a", "b", "c"]) world.addNode(n);
  const src = world.spawn("a", address("p", "a"), (env) => new Echo(env));
  const b = world.spawn("b", address("p", "b"), (env) => new Echo(env));
  const c = world.spawn("c", address("p", "c"), (env) => new Echo(env));
  void src;
  const env = world.node("a").processes.get(address("p", "a"))!.env;
  env.send(address("p", "b"), { type: "x" }, 1e8);
  env.send(address("p", "c"), { type: "y" }, 1e8);
  await world.kernel.run(undefined);
  // Alone: 100 ms + 100 µs. Shared by two: each takes 200 ms + 100 µs.
  assert.equal(b.received[0]![0], 200_000 + 100);
  assert.equal(c.received[0]![0], 200_000 + 100);
});

/** A random program: each process forwards messages to a random peer after a random delay. */
function runProgram(seed: number, nodes: number, messages: number): Promise<string> {
  const world = new World({ seed, network: { latencyUs: 50 } });
  const addrs: Address[] = [];
  for (let i = 0; i < nodes; i++) {
    world.addNode(`n${i}`);
    addrs.push(address("p", `n${i}`));
  }
  let budget = messages;
  class Forwarder implements Process {
    constructor(private readonly env: Env) {}
    onMessage(_from: Address, message: Message): void {
      this.env.trace({ kind: "timer.fired", label: message.type, seq: budget });
      if (budget-- <= 0) return;
      const rng = this.env.rng("program");
      const delay = Math.floor(rng.next() * 1000);
      const to = addrs[Math.floor(rng.next() * addrs.length)]!;
      this.env.setTimer(delay, () =>
        this.env.send(to, { type: `m${budget}` }, Math.floor(rng.next() * 1e5)),
      );
    }
  }
  for (let i = 0; i < nodes; i++) world.spawn(`n${i}`, addrs[i]!, (env) => new Forwarder(env));
  world.node("n0").processes.get(addrs[0]!)!.env.send(addrs[0]!, { type: "start" }, 0);
  return world.kernel.run(undefined).then(() => world.recorder.fingerprint());
}

test(
  "a random program of timers and messages has one fingerprint per seed (property)",
  { timeout: PROPERTY_TIMEOUT_MS },
  async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 2, max: 6 }),
        async (seed, nodes) => {
          const a = await runProgram(seed, nodes, 60);
          const b = await runProgram(seed, nodes, 60);
          const c = await runProgram(seed + 1, nodes, 60);
          assert.equal(a, b);
          assert.notEqual(a, c);
        },
      ),
      { file: "test/sim/world.test.ts", numRuns: 30 },
    );
  },
);
