/**
 * Distributions over a named random stream. Pure math on `Rng.next()` (uniform in [0, 1)), so the
 * same stream gives the same draws under any Env. Each draw consumes a fixed number of uniforms,
 * which keeps common random numbers aligned between "with failure" and "without failure" runs.
 */
import { assert } from "../assert.js";
import type { Rng } from "../env.js";

export function uniform(rng: Rng, low: number, high: number): number {
  assert(high >= low, `uniform: high ${high} < low ${low}`);
  return low + (high - low) * rng.next();
}

/** Exponential with the given mean; 1 - u avoids log(0). */
export function exponential(rng: Rng, mean: number): number {
  assert(mean >= 0, `exponential: mean ${mean} < 0`);
  return -mean * Math.log(1 - rng.next());
}

/** Standard normal by Box–Muller; always consumes two uniforms. */
export function normal(rng: Rng, mean = 0, stddev = 1): number {
  const u1 = 1 - rng.next();
  const u2 = rng.next();
  return mean + stddev * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Lognormal parameterised by the mean and standard deviation of the underlying normal. */
export function lognormal(rng: Rng, mu: number, sigma: number): number {
  assert(sigma >= 0, `lognormal: sigma ${sigma} < 0`);
  return Math.exp(normal(rng, mu, sigma));
}

/** Index drawn with probability proportional to `weights[i]` (uniform when weights are omitted). */
export function choiceIndex(rng: Rng, count: number, weights?: readonly number[]): number {
  assert(count > 0, "choiceIndex: nothing to choose from");
  if (weights === undefined) return Math.min(count - 1, Math.floor(rng.next() * count));
  assert(weights.length === count, "choiceIndex: weights length differs from count");
  let total = 0;
  for (const w of weights) {
    assert(w >= 0, `choiceIndex: negative weight ${w}`);
    total += w;
  }
  assert(total > 0, "choiceIndex: weights sum to 0");
  let point = rng.next() * total;
  for (let i = 0; i < count; i++) {
    point -= weights[i]!;
    if (point < 0) return i;
  }
  return count - 1;
}

export function choice<T>(rng: Rng, items: readonly T[], weights?: readonly number[]): T {
  return items[choiceIndex(rng, items.length, weights)]!;
}
