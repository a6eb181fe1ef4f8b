/**
 * Ring allreduce's arithmetic on real vectors, one member per actor: n members each hold n chunks;
 * 2(n − 1) send steps, the first n − 1 a reduce-scatter (the receiver adds), the rest an allgather
 * (the receiver copies). Pure functions of (member, step), so an actor replayed after a failure
 * recomputes exactly what it sent the first time. Gradients are small integers, so every order of
 * addition gives the same sum and the result can be compared exactly.
 */

/** Member `index`'s contribution at `iteration`: `n × elemsPerChunk` integers in [0, 1000). */
export function gradient(
  index: number,
  iteration: number,
  n: number,
  elemsPerChunk: number,
): number[] {
  return Array.from(
    { length: n * elemsPerChunk },
    (_, k) =>
      ((Math.imul(index + 1, 2654435761) ^
        Math.imul(iteration + 7, 40503) ^
        Math.imul(k + 3, 97)) >>>
        0) %
      1000,
  );
}

/** The elementwise sum of every member's gradient: what each member must hold afterwards. */
export function expectedSum(iteration: number, n: number, elemsPerChunk: number): number[] {
  const sum = new Array<number>(n * elemsPerChunk).fill(0);
  for (let i = 0; i < n; i++)
    gradient(i, iteration, n, elemsPerChunk).forEach((v, k) => (sum[k]! += v));
  return sum;
}

export const sendSteps = (n: number): number => 2 * (n - 1);

/** The chunk member `index` sends at `step`. */
export function sentChunk(index: number, step: number, n: number): number {
  const s = step < n - 1 ? step : step - (n - 1) - 1;
  return (((index - s) % n) + n) % n;
}

export interface Incoming {
  step: number;
  values: readonly number[];
}

/** One member's vector: applies what its left neighbour sent and cuts what it sends next. */
export class RingState {
  vec: number[];
  constructor(
    readonly index: number,
    readonly n: number,
    readonly elemsPerChunk: number,
  ) {
    this.vec = [];
  }

  begin(iteration: number): void {
    this.vec = gradient(this.index, iteration, this.n, this.elemsPerChunk);
  }

  /** Receives the left neighbour's chunk of `in.step`: added during reduce-scatter, copied after. */
  receive(incoming: Incoming): void {
    const left = (this.index - 1 + this.n) % this.n;
    const base = sentChunk(left, incoming.step, this.n) * this.elemsPerChunk;
    const add = incoming.step < this.n - 1;
    for (let k = 0; k < this.elemsPerChunk; k++)
      this.vec[base + k] = add ? this.vec[base + k]! + incoming.values[k]! : incoming.values[k]!;
  }

  send(step: number): Incoming {
    const base = sentChunk(this.index, step, this.n) * this.elemsPerChunk;
    return { step, values: this.vec.slice(base, base + this.elemsPerChunk) };
  }

  checksum(): number {
    return this.vec.reduce((a, v) => a + v, 0);
  }
}
