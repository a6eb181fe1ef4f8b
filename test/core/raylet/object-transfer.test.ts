/**
 * Object transfers between nodes: alone, a fetch takes latency + size / bandwidth; two fetches
 * from one node share its NIC and take about twice as long.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Simulation } from "../../../sim/index.js";

const BANDWIDTH = 1e9;

function sim() {
  return new Simulation({
    seed: 1,
    nodes: [
      { name: "head", cpus: 1 },
      { name: "src", cpus: 2, resources: { src: 2 } },
      { name: "dst", cpus: 2, resources: { dst: 2 } },
    ],
    network: { latencyMs: 0.5, bandwidthBytesPerSec: BANDWIDTH },
    checkInvariants: true,
  });
}

test("a 100 MB argument fetched from another node costs latency + size / bandwidth", async () => {
  const s = sim();
  const took = await s.run(async (ray) => {
    const make = ray.remote(() => 1, { returnBytes: 100e6, resources: { src: 1 } });
    const use = ray.remote((x: number) => x, { resources: { dst: 1 } });
    const obj = make.remote();
    await ray.wait([obj]);
    const t0 = ray.now();
    await ray.get(use.remote(obj));
    return ray.now() - t0;
  });
  const transferMs = 0.5 + (100e6 / BANDWIDTH) * 1000;
  assert.ok(took >= transferMs, `took ${took} ms, transfer alone is ${transferMs} ms`);
  // Besides the transfer: about a dozen control hops (forward, placement, lookups, pulls) of 0.5 ms.
  assert.ok(
    took < transferMs + 8,
    `took ${took} ms, expected about ${transferMs} ms plus a dozen control hops`,
  );
});

test("two concurrent 100 MB fetches from one node share its bandwidth fairly", async () => {
  const s = sim();
  const took = await s.run(async (ray) => {
    const make = ray.remote((i: number) => i, { returnBytes: 100e6, resources: { src: 1 } });
    const use = ray.remote((x: number) => x, { resources: { dst: 1 } });
    const a = make.remote(1);
    const b = make.remote(2);
    await ray.wait([a, b], { numReturns: 2 });
    const t0 = ray.now();
    await ray.get([use.remote(a), use.remote(b)]);
    return ray.now() - t0;
  });
  const sharedMs = 0.5 + (200e6 / BANDWIDTH) * 1000;
  assert.ok(took >= sharedMs, `took ${took} ms; two shared transfers need ${sharedMs} ms`);
  assert.ok(took < sharedMs + 8, `took ${took} ms`);
});
