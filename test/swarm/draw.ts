/**
 * The swarm's random draws: one Alea stream per (seed, purpose), so the workload and the fault
 * schedule of a seed never shift when the other changes shape.
 */
import seedrandom from "seedrandom";

export class Draw {
  private readonly prng: seedrandom.PRNG;

  constructor(seed: number, purpose: string) {
    this.prng = seedrandom.alea(`swarm/${seed}/${purpose}`);
  }

  float(): number {
    return this.prng.double();
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.prng.double() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.prng.double() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Draw.pick: no items");
    return items[Math.floor(this.prng.double() * items.length)]!;
  }

  /** A non-empty proper subset when there are at least two items (else the items). */
  properSubset<T>(items: readonly T[]): T[] {
    if (items.length < 2) return [...items];
    const size = this.int(1, items.length - 1);
    const pool = [...items];
    const out: T[] = [];
    while (out.length < size)
      out.push(pool.splice(Math.floor(this.prng.double() * pool.length), 1)[0]!);
    return out;
  }
}
