/**
 * The network model on its own: bulk flows share bandwidth max-min fairly at both ends (egress and
 * ingress), large transfers move in chunks with a bounded number in flight, a dead node's flows are
 * dropped and the others speed up, and the same inputs give the same delivery times.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Kernel } from "../../sim/kernel.js";
import { Network, type NetworkOptions } from "../../sim/network.js";
import type { EventHandler } from "../../sim/event-queue.js";
import { checkProperty, PROPERTY_TIMEOUT_MS } from "../support/property.js";

const BANDWIDTH = 1e9; // bytes per second: 1 000 bytes per µs
const LATENCY_US = 100;
const MB = 1e6;

/** A network on a fresh kernel, recording when each transfer (by tag) is delivered. */
function rig(options: Partial<NetworkOptions> = {}) {
  const kernel = new Kernel();
  const network = new Network(kernel, {
    latencyUs: LATENCY_US,
    bandwidthBytesPerSec: BANDWIDTH,
    ...options,
  });
  const deliveredUs = new Map<number, number>();
  const sink: EventHandler = { handleEvent: (tag) => void deliveredUs.set(tag, kernel.nowUs) };
  const send = (tag: number, from: string, to: string, sizeBytes: number) =>
    network.transmit(from, to, sizeBytes, sink, tag, undefined, true);
  /** Runs `fn` at `atUs` of virtual time. */
  const at = (atUs: number, fn: () => void) =>
    kernel.schedule(atUs, { handleEvent: fn }, 0, undefined, true);
  return { kernel, network, deliveredUs, send, at };
}

/** Transfer time of `bytes` at `bytesPerSec`, in µs, plus the latency. */
const arrivalUs = (bytes: number, bytesPerSec = BANDWIDTH) =>
  (bytes / bytesPerSec) * 1e6 + LATENCY_US;

test("a transfer alone takes latency + size / bandwidth, chunked or not", async () => {
  const r = rig();
  r.send(1, "a", "b", 100 * MB); // 20 chunks of 5 MiB or less, 4 in flight
  r.send(2, "c", "d", 1 * MB); // one chunk
  await r.kernel.run(undefined);
  assert.equal(r.deliveredUs.get(1), arrivalUs(100 * MB));
  assert.equal(r.deliveredUs.get(2), arrivalUs(1 * MB));
});

test("8 senders into 1 receiver share its ingress: each takes 8·X / bandwidth, not X / bandwidth", async () => {
  const r = rig();
  for (let i = 0; i < 8; i++) r.send(i, `s${i}`, "r", 100 * MB);
  await r.kernel.run(undefined);
  for (let i = 0; i < 8; i++)
    assert.ok(
      Math.abs(r.deliveredUs.get(i)! - arrivalUs(800 * MB)) <= 1,
      `transfer ${i} arrived at ${r.deliveredUs.get(i)} µs`,
    );
});

test("1 sender to 8 receivers shares its egress: each takes 8·X / bandwidth", async () => {
  const r = rig();
  for (let i = 0; i < 8; i++) r.send(i, "s", `r${i}`, 100 * MB);
  await r.kernel.run(undefined);
  for (let i = 0; i < 8; i++)
    assert.ok(
      Math.abs(r.deliveredUs.get(i)! - arrivalUs(800 * MB)) <= 1,
      `transfer ${i} arrived at ${r.deliveredUs.get(i)} µs`,
    );
});

test("mixed constraints get the max-min fair rates, unequal ones", async () => {
  // B sends to C, D and E: its egress gives each C/3. C's ingress is shared by A and B; B's flow is
  // held to C/3 by B's egress, so A gets the rest of C's ingress: 2C/3 (not C/2).
  const r = rig();
  r.send(1, "A", "C", 1 * MB);
  r.send(2, "B", "C", 1 * MB);
  r.send(3, "B", "D", 1 * MB);
  r.send(4, "B", "E", 1 * MB);
  const rate = (from: string, to: string) => r.network.flowRateBytesPerSec(from, to);
  assert.ok(Math.abs(rate("A", "C") - (2 * BANDWIDTH) / 3) < 1e-3, `A→C at ${rate("A", "C")}`);
  for (const to of ["C", "D", "E"])
    assert.ok(Math.abs(rate("B", to) - BANDWIDTH / 3) < 1e-3, `B→${to} at ${rate("B", to)}`);
  await r.kernel.run(undefined);
  // A's flow ends at 1.5 ms; B's three stay bound by B's egress and end at 3 ms.
  assert.equal(r.deliveredUs.get(1), arrivalUs(1.5 * MB));
  for (const tag of [2, 3, 4]) assert.equal(r.deliveredUs.get(tag), arrivalUs(3 * MB));
});

test("a flow's end frees bandwidth for the flows it constrained", async () => {
  // A→C (1 MB) and B→C (2 MB) share C's ingress; once A's ends at 2 ms B gets all of it.
  const r = rig();
  r.send(1, "A", "C", 1 * MB);
  r.send(2, "B", "C", 2 * MB);
  await r.kernel.run(undefined);
  assert.equal(r.deliveredUs.get(1), arrivalUs(2 * MB));
  assert.equal(r.deliveredUs.get(2), arrivalUs(3 * MB));
  assert.deepEqual(r.network.flows(), []);
});

test("a dead sender's flows are dropped and the flows it shared a receiver with speed up", async () => {
  const r = rig();
  r.send(1, "A", "C", 100 * MB);
  r.send(2, "B", "C", 100 * MB);
  // At 100 ms each has sent 50 MB at half the link; B's remaining 50 MB then take 50 ms alone.
  r.at(100_000, () => r.network.resetNode("A"));
  await r.kernel.run(undefined);
  assert.equal(r.deliveredUs.has(1), false);
  assert.equal(r.deliveredUs.get(2), 150_000 + LATENCY_US);
});

test("a dead receiver's flows are dropped and its sender's other flows speed up", async () => {
  const r = rig();
  r.send(1, "A", "C", 100 * MB);
  r.send(2, "A", "D", 100 * MB);
  r.at(100_000, () => {
    r.network.resetNode("D");
    assert.equal(
      r.network.activeFlows("A"),
      4,
      "A's flows to D are gone; its 4 chunks to C remain",
    );
  });
  await r.kernel.run(undefined);
  assert.equal(r.deliveredUs.has(2), false);
  assert.equal(r.deliveredUs.get(1), 150_000 + LATENCY_US);
});

test("a large transfer keeps at most maxChunksInFlight chunks on the wire, each a fair flow", async () => {
  const r = rig({ chunkBytes: 10 * MB, maxChunksInFlight: 3 });
  r.send(1, "A", "B", 95 * MB); // 10 chunks, the last 5 MB
  r.send(2, "A", "C", 5 * MB); // one chunk
  assert.equal(r.network.activeFlows("A"), 4);
  // A's egress is shared by 4 chunk flows: the large transfer gets 3/4 of it, the small one 1/4.
  assert.ok(Math.abs(r.network.flowRateBytesPerSec("A", "B") - BANDWIDTH / 4) < 1e-3);
  assert.ok(Math.abs(r.network.flowRateBytesPerSec("A", "C") - BANDWIDTH / 4) < 1e-3);
  await r.kernel.run(undefined);
  assert.equal(r.deliveredUs.get(2), arrivalUs(20 * MB)); // 5 MB at a quarter of the link
  assert.equal(r.deliveredUs.get(1), arrivalUs(100 * MB)); // A's egress stayed full throughout
});

test("bad chunk options are rejected naming the option", () => {
  assert.throws(() => new Network(new Kernel(), { chunkBytes: 0 }), /network\.chunkBytes/);
  assert.throws(
    () => new Network(new Kernel(), { maxChunksInFlight: 1.5 }),
    /network\.maxChunksInFlight/,
  );
});

interface Spec {
  atUs: number;
  from: number;
  to: number;
  sizeBytes: number;
}

const specArb = fc.record({
  atUs: fc.integer({ min: 0, max: 20_000 }),
  from: fc.integer({ min: 0, max: 5 }),
  to: fc.integer({ min: 0, max: 5 }),
  sizeBytes: fc.integer({ min: 64 * 1024, max: 30 * MB }),
});

/**
 * Runs the transfers (a node killed at `killAtUs` when given) and checks, after every start and
 * at the sampled times, that the rates are max-min fair: no link is over its capacity, and every
 * flow crosses a full link on which no flow gets more than it (its bottleneck).
 */
async function runChecked(
  specs: Spec[],
  killAtUs: number | undefined,
): Promise<Array<[number, number]>> {
  const r = rig({ chunkBytes: 4 * MB, maxChunksInFlight: 2 });
  const checkFair = () => {
    const flows = r.network.flows();
    const egress = new Map<string, { used: number; max: number }>();
    const ingress = new Map<string, { used: number; max: number }>();
    const add = (
      m: Map<string, { used: number; max: number }>,
      key: string,
      flows: number,
      rate: number,
    ) => {
      const link = m.get(key) ?? { used: 0, max: 0 };
      link.used += flows * rate;
      link.max = Math.max(link.max, rate);
      m.set(key, link);
    };
    for (const f of flows) {
      assert.ok(f.flows > 0 && f.rateBytesPerSec > 0, `pair ${f.from}→${f.to} is idle or stalled`);
      add(egress, f.from, f.flows, f.rateBytesPerSec);
      add(ingress, f.to, f.flows, f.rateBytesPerSec);
    }
    const full = (link: { used: number }) => link.used >= BANDWIDTH * (1 - 1e-9);
    for (const link of [...egress.values(), ...ingress.values()])
      assert.ok(link.used <= BANDWIDTH * (1 + 1e-9), `link over capacity: ${link.used}`);
    for (const f of flows) {
      const out = egress.get(f.from)!;
      const into = ingress.get(f.to)!;
      const bottleneck =
        (full(out) && f.rateBytesPerSec >= out.max * (1 - 1e-9)) ||
        (full(into) && f.rateBytesPerSec >= into.max * (1 - 1e-9));
      assert.ok(
        bottleneck,
        `flow ${f.from}→${f.to} at ${f.rateBytesPerSec} B/s has no bottleneck link`,
      );
    }
  };
  specs.forEach((s, tag) =>
    r.at(s.atUs, () => {
      r.send(tag, `n${s.from}`, `n${s.to}`, s.sizeBytes);
      checkFair();
    }),
  );
  if (killAtUs !== undefined) r.at(killAtUs, () => (r.network.resetNode("n0"), checkFair()));
  for (let t = 0; t < 200_000; t += 997) r.at(t, checkFair);
  await r.kernel.run(undefined);
  specs.forEach((s, tag) => {
    const touchesDead =
      killAtUs !== undefined &&
      s.from !== s.to &&
      (s.from === 0 || s.to === 0) &&
      s.atUs <= killAtUs;
    const at = r.deliveredUs.get(tag);
    if (!touchesDead) assert.ok(at !== undefined, `transfer ${tag} was never delivered`);
    // No transfer beats its size over one link.
    if (at !== undefined && s.from !== s.to)
      assert.ok(at - s.atUs >= Math.floor(arrivalUs(s.sizeBytes)), `transfer ${tag} too fast`);
  });
  return [...r.deliveredUs.entries()].sort((a, b) => a[0] - b[0]);
}

test(
  "random transfers: rates are max-min fair at every change, and the same inputs give the same times (property)",
  { timeout: PROPERTY_TIMEOUT_MS },
  async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.array(specArb, { minLength: 1, maxLength: 40 }),
        fc.option(fc.integer({ min: 0, max: 30_000 }), { nil: undefined }),
        async (specs, killAtUs) => {
          const a = await runChecked(specs, killAtUs);
          const b = await runChecked(specs, killAtUs);
          assert.deepEqual(a, b);
        },
      ),
      { file: "test/sim/network.test.ts", numRuns: 60 },
    );
  },
);
