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
import { MessageFaultRule, type MessageFaultKind } from "../../../sim/message-faults.js";
import { World } from "../../../sim/world.js";

class Log implements Process {
  readonly received: string[] = [];
  constructor(readonly env: Env) {}
  onMessage(_from: Address, message: Message): void {
    this.received.push((message as { type: string; n?: number }).type + String((message as { n?: number }).n ?? ""));
  }
}

const A = address("p", "a");
const B = address("p", "b");

function twoNodes() {
  const world = new World({ seed: 1, network: { latencyUs: 100 }, rpc: true });
  world.addNode("a");
  world.addNode("b");
  const a = world.spawn("a", A, (env) => new Log(env));
  const b = world.spawn("b", B, (env) => new Log(env));
  return { world, a, b };
}

/** Runs for `untilUs` of virtual time: resends are background and keep no bare run going alone. */
async function runFor(world: World, untilUs: number): Promise<void> {
  const end = world.kernel.userDeferred<void>("the end of the test");
  world.kernel.schedule(untilUs - world.kernel.nowUs, { handleEvent: () => end.resolve() }, 0, undefined, false);
  await world.kernel.run(end.promise, { idleLimitUs: Number.POSITIVE_INFINITY });
}

function rpcOf(world: World, node: string, addr: Address): RpcLayer {
  return world.node(node).processes.get(addr)!.process as RpcLayer;
}

/** A message fault on every link for `[0, untilUs)`. */
function fault(world: World, kind: MessageFaultKind, probability: number, untilUs: number): void {
  const rule = new MessageFaultRule(kind, undefined, undefined, probability, 0, world.random.stream(`test/${kind}`));
  world.messageFaults.push(rule);
  world.kernel.schedule(untilUs, { handleEvent: () => void world.messageFaults.splice(world.messageFaults.indexOf(rule), 1) }, 0, undefined, false);
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
  world.kernel.schedule(1_000, {
    handleEvent: () => {
      world.addNode("b");
      successor = world.spawn("b", B, (env) => new Log(env));
    },
  }, 0, undefined);
  await runFor(world, 200_000);
  assert.deepEqual(successor!.received, []);
  assert.equal(rpcOf(world, "a", A).pendingCount, 0, "the successor acknowledged it, so it is not sent for ever");
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
