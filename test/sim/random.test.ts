/** Named random streams: independence between streams, reproducibility, distribution sanity. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RandomStreams, exponential, lognormal, uniform, choiceIndex } from "../../sim/random.js";

test("stream(B) draws the same sequence however many draws stream(A) made", () => {
  const draw = (extraA: number) => {
    const r = new RandomStreams(42);
    for (let i = 0; i < extraA; i++) r.stream("A").next();
    return Array.from({ length: 20 }, () => r.stream("B").next());
  };
  assert.deepEqual(draw(0), draw(1000));
});

test("stream(name) is reproducible for a seed and differs across seeds", () => {
  const seq = (seed: number) =>
    Array.from(
      { length: 10 },
      (
        (r) => () =>
          r.next()
      )(new RandomStreams(seed).stream("x")),
    );
  assert.deepEqual(seq(1), seq(1));
  assert.notDeepEqual(seq(1), seq(2));
});

test("exponential(), lognormal(), uniform() and choiceIndex() have the right means", () => {
  const rng = new RandomStreams("dist").stream("d");
  const n = 20_000;
  let e = 0,
    l = 0,
    u = 0;
  const counts = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    e += exponential(rng, 10);
    l += lognormal(rng, 0, 0.5);
    u += uniform(rng, 2, 4);
    counts[choiceIndex(rng, 3, [1, 2, 1])]!++;
  }
  assert.ok(Math.abs(e / n - 10) < 0.5);
  assert.ok(Math.abs(l / n - Math.exp(0.125)) < 0.03);
  assert.ok(Math.abs(u / n - 3) < 0.03);
  assert.ok(Math.abs(counts[1]! / n - 0.5) < 0.02);
});
