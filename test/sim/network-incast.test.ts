/**
 * The receiver's NIC is a bottleneck end to end: a task whose 8 large arguments live on 8 other
 * nodes waits for all of them to come through its node's one link, about 8 times as long as for one
 * argument (it was about as long when only senders were shared).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Simulation } from "../../sim/index.js";

const BANDWIDTH = 1e9;
const ARG_BYTES = 50e6;
const SENDERS = 8;

/** Virtual ms from "every argument exists" to the consumer's result, for `args` arguments. */
async function fetchMs(args: number): Promise<number> {
  const sim = new Simulation({
    seed: 1,
    nodes: [
      { name: "head", cpus: 1 },
      { name: "dst", cpus: 1, resources: { dst: 1 } },
      ...Array.from({ length: SENDERS }, (_, i) => ({
        name: `s${i}`,
        cpus: 1,
        resources: { [`s${i}`]: 1 },
      })),
    ],
    network: { latencyMs: 0.1, bandwidthBytesPerSec: BANDWIDTH },
    checkInvariants: true,
  });
  return sim.run(async (ray) => {
    const make = ray.remote((i: number) => i, { name: "make", returnBytes: ARG_BYTES });
    const use = ray.remote((...xs: number[]) => xs.length, { name: "use", resources: { dst: 1 } });
    const refs = Array.from({ length: args }, (_, i) =>
      make.options({ resources: { [`s${i}`]: 1 } }).remote(i),
    );
    await ray.wait(refs, { numReturns: args });
    const t0 = ray.now();
    assert.equal(await ray.get(use.remote(...refs)), args);
    return ray.now() - t0;
  });
}

test("a node pulling 8 arguments from 8 nodes gets its own link's rate in total, not 8×", async () => {
  const oneMs = await fetchMs(1);
  const eightMs = await fetchMs(SENDERS);
  const linkMs = (ARG_BYTES / BANDWIDTH) * 1000;
  console.log(`# one argument ${oneMs} ms, ${SENDERS} arguments ${eightMs} ms`);
  assert.ok(oneMs >= linkMs, `one argument took ${oneMs} ms, its transfer alone is ${linkMs} ms`);
  assert.ok(
    eightMs >= SENDERS * linkMs,
    `8 arguments took ${eightMs} ms; through one link they need ${SENDERS * linkMs} ms`,
  );
  // Besides the transfers the same few control hops: 8 arguments cost about 8 times one.
  assert.ok(
    eightMs > (SENDERS - 1) * oneMs,
    `8 arguments took ${eightMs} ms, one took ${oneMs} ms`,
  );
});

test("a large message crawling through a congested NIC is not resent: the sender sees it flowing", async () => {
  // 16 pushes of 100 MB into one 1 GB/s link take 1.6 s each, longer than the RPC layer's resend
  // wait for 100 MB (its size at a conservative 100 MB/s, plus the retry interval). Resent, each
  // copy would take a share of the same link and every transfer would take longer still.
  const senders = 16;
  const sizeBytes = 100e6;
  const sim = new Simulation({
    seed: 1,
    nodes: [
      { name: "head", cpus: 1 },
      { name: "dst", cpus: 1, resources: { dst: 1 } },
      ...Array.from({ length: senders }, (_, i) => ({
        name: `s${i}`,
        cpus: 1,
        resources: { [`s${i}`]: 1 },
      })),
    ],
    network: { latencyMs: 0.1, bandwidthBytesPerSec: BANDWIDTH },
    checkInvariants: true,
  });
  const bytesBefore = { value: 0 };
  const elapsedMs = await sim.run(async (ray) => {
    const make = ray.remote((i: number) => i, { name: "make", returnBytes: sizeBytes });
    const use = ray.remote((...xs: number[]) => xs.length, { name: "use", resources: { dst: 1 } });
    const refs = Array.from({ length: senders }, (_, i) =>
      make.options({ resources: { [`s${i}`]: 1 } }).remote(i),
    );
    await ray.wait(refs, { numReturns: senders });
    bytesBefore.value = sim.world.network.bulkBytes;
    const t0 = ray.now();
    assert.equal(await ray.get(use.remote(...refs)), senders);
    return ray.now() - t0;
  });
  const movedBytes = sim.world.network.bulkBytes - bytesBefore.value;
  console.log(`# ${senders} × 100 MB into one link: ${elapsedMs} ms, ${movedBytes / 1e6} MB moved`);
  assert.ok(
    elapsedMs >= (senders * sizeBytes * 1000) / BANDWIDTH,
    `took ${elapsedMs} ms, less than the link allows`,
  );
  assert.ok(
    movedBytes <= senders * sizeBytes * 1.01,
    `${movedBytes / 1e6} MB crossed the network for ${(senders * sizeBytes) / 1e6} MB of arguments`,
  );
});
