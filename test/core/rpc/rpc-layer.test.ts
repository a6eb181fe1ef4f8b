/**
 * The RPC layer (core/rpc/rpc-layer.ts) on a bare world: what is lost is sent again until it
 * arrives, copies are delivered once, a message for a dead process never reaches its successor,
 * and background traffic is resent a bounded number of times. Method: tiny processes that log
 * what they receive.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { address, type Address, type Env, type Message, type Process } from "../../../core/env.js";
import type { RpcLayer } from "../../../core/rpc/rpc-layer.js";
import { resolveCosts } from "../../../sim/costs.js";
import { MessageFaultRule, type MessageFaultKind } from "../../../sim/message-faults.js";
import { World } from "../../../sim/world.js";

class Log implements Process {
  readonly received: string[] = [];
  constructor(readonly env: Env) {}
  onMessage(_from: Address, message: Message): void {
    this.received.push(
      (message as { type: string; n?: number }).type + String((message as { n?: number }).n ?? ""),
    );
  }
}

const A = address("p", "a");
const B = address("p", "b");

/** `serviceUs`: what a message of type "slow" costs its receiver (the others cost nothing). */
function twoNodes(serviceUs = 0) {
  const costs = serviceUs === 0 ? undefined : resolveCosts({ "p/slow": serviceUs }, ["p"]);
  const world = new World({ seed: 1, network: { latencyUs: 100 }, rpc: true, costs });
  world.addNode("a");
  world.addNode("b");
  const a = world.spawn("a", A, (env) => new Log(env));
  const b = world.spawn("b", B, (env) => new Log(env));
  return { world, a, b };
}

/** Runs for `untilUs` of virtual time: resends are background and keep no bare run going alone. */
async function runFor(world: World, untilUs: number): Promise<void> {
  const end = world.kernel.userDeferred<void>("the end of the test");
  world.kernel.schedule(
    untilUs - world.kernel.nowUs,
    { handleEvent: () => end.resolve() },
    0,
    undefined,
    false,
  );
  await world.kernel.run(end.promise, { idleLimitUs: Number.POSITIVE_INFINITY });
}

function rpcOf(world: World, node: string, addr: Address): RpcLayer {
  return world.node(node).processes.get(addr)!.process as RpcLayer;
}

/** A message fault on every link for `[0, untilUs)`. */
function fault(world: World, kind: MessageFaultKind, probability: number, untilUs: number): void {
  const rule = new MessageFaultRule(
    kind,
    undefined,
    undefined,
    probability,
    0,
    world.random.stream(`test/${kind}`),
  );
  world.messageFaults.push(rule);
  world.kernel.schedule(
    untilUs,
    { handleEvent: () => void world.messageFaults.splice(world.messageFaults.indexOf(rule), 1) },
    0,
    undefined,
    false,
  );
}

test("lost messages are sent again until they arrive, and each is delivered once", async () => {
  const { world, a, b } = twoNodes();
  fault(world, "drop", 1, 50_000);
  for (let n = 0; n < 20; n++) a.env.send(B, { type: "m", n }, 100);
  await runFor(world, 1_000_000);
  assert.deepEqual([...b.received].sort(), Array.from({ length: 20 }, (_, n) => `m${n}`).sort());
  assert.ok(world.messagesDropped >= 20);
  assert.equal(rpcOf(world, "a", A).pendingCount, 0, "every message acknowledged");
  assert.ok(rpcOf(world, "a", A).resends >= 20);
});

test("a copy of a message is delivered once", async () => {
  const { world, a, b } = twoNodes();
  fault(world, "duplicate", 1, 1_000_000);
  for (let n = 0; n < 20; n++) a.env.send(B, { type: "m", n }, 100);
  await runFor(world, 1_000_000);
  assert.equal(b.received.length, 20);
  assert.ok(world.messagesDuplicated >= 20);
  assert.ok(rpcOf(world, "b", B).duplicatesDropped >= 20);
});

test("a message for a process that died never reaches the process restarted at its address", async () => {
  const { world, a } = twoNodes();
  a.env.send(B, { type: "for-the-dead" }, 100);
  let successor: Log | undefined;
  world.kernel.schedule(50, { handleEvent: () => world.killNode("b") }, 0, undefined);
  world.kernel.schedule(
    1_000,
    {
      handleEvent: () => {
        world.addNode("b");
        successor = world.spawn("b", B, (env) => new Log(env));
      },
    },
    0,
    undefined,
  );
  await runFor(world, 200_000);
  assert.deepEqual(successor!.received, []);
  assert.equal(
    rpcOf(world, "a", A).pendingCount,
    0,
    "the successor acknowledged it, so it is not sent for ever",
  );
});

test("background messages are resent a few times only: a peer that stays unreachable does not pile them up", async () => {
  const { world, a, b } = twoNodes();
  fault(world, "drop", 1, 10_000_000);
  a.env.send(B, { type: "heartbeat" }, 100, "background");
  await runFor(world, 1_000_000);
  assert.deepEqual(b.received, []);
  assert.equal(rpcOf(world, "a", A).resends, 3);
  assert.equal(rpcOf(world, "a", A).pendingCount, 0);
});

test("a lost background message is resent, so a short loss does not hide it", async () => {
  const { world, a, b } = twoNodes();
  fault(world, "drop", 1, 10_000);
  a.env.send(B, { type: "heartbeat" }, 100, "background");
  await runFor(world, 1_000_000);
  assert.deepEqual(b.received, ["heartbeat"]);
});

/** The receiver's queue statistics (sim/process-queue.ts). */
function queueOf(world: World, addr: Address) {
  return world.queues().find((q) => q.address === addr)!;
}

test("a message whose handling outlasts the resend timeout is acknowledged on arrival: handled once, never resent", async () => {
  const serviceUs = 5 * 20_000; // five times the default retryUs
  const { world, a, b } = twoNodes(serviceUs);
  const handledAtUs: number[] = [];
  const inner = b.onMessage.bind(b);
  b.onMessage = (from, m) => {
    handledAtUs.push(b.env.nowUs());
    inner(from, m);
  };
  a.env.send(B, { type: "slow" }, 100);
  await runFor(world, 1_000_000);
  assert.deepEqual(b.received, ["slow"]);
  assert.equal(handledAtUs[0], 100 + serviceUs, "handled at arrival plus its service");
  assert.equal(
    rpcOf(world, "a", A).resends,
    0,
    "the ack left at arrival, long before the service ended",
  );
  assert.equal(rpcOf(world, "a", A).pendingCount, 0);
  assert.equal(rpcOf(world, "b", B).duplicatesDropped, 0);
  assert.equal(queueOf(world, B).served, 1, "only the message itself was served at b");
  assert.equal(queueOf(world, B).busyUs, serviceUs);
  assert.equal(queueOf(world, A).served, 0, "the ack cost a's loop nothing");
});

test("a copy of a slow message is dropped at arrival and costs its receiver no service", async () => {
  const serviceUs = 50_000;
  const { world, a, b } = twoNodes(serviceUs);
  fault(world, "duplicate", 1, 1_000);
  for (let n = 0; n < 3; n++) a.env.send(B, { type: "slow", n }, 100);
  await runFor(world, 1_000_000);
  assert.deepEqual(b.received, ["slow0", "slow1", "slow2"]);
  assert.ok(rpcOf(world, "b", B).duplicatesDropped >= 3);
  assert.equal(queueOf(world, B).served, 3);
  assert.equal(queueOf(world, B).busyUs, 3 * serviceUs, "three services, whatever the copies");
  assert.equal(rpcOf(world, "a", A).resends, 0);
});

test("bulk messages into a congested NIC arrive: each resend doubles the size allowance, so copies do not crowd out the originals", async () => {
  // 8 senders push 1 MB each into one 0.4 MB/s NIC: 20 s for all, while the allowance at the
  // conservative rate is 10 ms. With a capped wait each message was resent every ~1 s, each copy
  // slowed every other transfer, and none arrived while the senders kept resending
  // (ps-training --full's incast on its restarted parameter server).
  const SENDERS = 8;
  const world = new World({
    seed: 1,
    network: { latencyUs: 100, bandwidthBytesPerSec: 4e5 },
    rpc: true,
  });
  world.addNode("b");
  const b = world.spawn("b", B, (env) => new Log(env));
  const senders = Array.from({ length: SENDERS }, (_, n) => {
    world.addNode(`s${n}`);
    return world.spawn(`s${n}`, address("p", `s${n}`), (env) => new Log(env));
  });
  senders.forEach((s, n) => s.env.send(B, { type: "push", n }, 1_000_000));
  // Each push still costs about log2(2000) copies (the guessed rate is 2000 times the real share),
  // so all arrive in about 300 s; with the capped wait they came only after the sender gave up
  // resending (giveUpUs, 600 s) and the ~600 copies per sender drained (about 12 000 s).
  let arrivedBy400s = -1;
  world.kernel.schedule(
    400_000_000,
    { handleEvent: () => void (arrivedBy400s = b.received.length) },
    0,
    undefined,
    false,
  );
  await runFor(world, 400_000_000);
  assert.equal(arrivedBy400s, SENDERS, "every push arrived within 400 s");
  assert.deepEqual(
    [...b.received].sort(),
    Array.from({ length: SENDERS }, (_, n) => `push${n}`).sort(),
  );
  senders.forEach((_, n) => {
    const rpc = rpcOf(world, `s${n}`, address("p", `s${n}`));
    assert.equal(rpc.pendingCount, 0, `s${n}: its push acknowledged`);
    // The allowance doubles per resend: about log2 of (time on the wire / 10 ms), not one per second.
    assert.ok(rpc.resends <= 16, `s${n}: ${rpc.resends} resends`);
  });
});
