/** Actor placement spreads by free CPUs: queue lengths do not see actors, free CPUs do. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { pickBySpread, type Candidate } from "../../../core/scheduler/policies.js";
import { RandomStreams } from "../../../sim/random.js";

const node = (name: string, freeCpuFraction: number): Candidate => ({
  node: name,
  queueLength: 0,
  meanTaskUs: 0,
  cpus: 8,
  missingBytes: 0,
  freeCpuFraction,
});

test("pickBySpread takes the node with the largest share of CPUs free, whatever the queues say", () => {
  const rng = new RandomStreams(1).stream("t");
  assert.equal(pickBySpread([node("a", 0.25), node("b", 0.75), node("c", 0.5)], rng), 1);
});

test("placing actors one by one with pickBySpread fills nodes evenly", () => {
  const rng = new RandomStreams(2).stream("t");
  const held = [0, 0, 0, 0, 0];
  for (let i = 0; i < 100; i++) {
    const i0 = pickBySpread(
      held.map((h, k) => node(`w${k}`, 1 - h / 40)),
      rng,
    );
    held[i0]!++;
  }
  assert.deepEqual(held, [20, 20, 20, 20, 20]);
});
