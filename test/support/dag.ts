/**
 * Random task graphs for property tests (STYLE.md §5): each task picks its arguments by index from
 * earlier tasks, so every generated graph is a DAG and shrinks to a smaller DAG. A task's value is a
 * pure function of its arguments' values, so the graph can also be evaluated directly.
 */
import fc from "fast-check";
import type { ObjectRef, Ray } from "../../sim/index.js";

export interface DagTask {
  /** Indices of earlier tasks whose first return this task takes as arguments. */
  readonly args: readonly number[];
  readonly durationMs: number;
  readonly returnBytes: number;
  /** 1 or 2 returns; the second is value * 2 + 1. */
  readonly numReturns: number;
  /** Runs on half a GPU. */
  readonly gpu: boolean;
}

export interface DagSpec {
  readonly tasks: readonly DagTask[];
}

export function dagArbitrary(options: { maxTasks?: number; maxReturnBytes?: number; gpus?: boolean; maxDurationMs?: number } = {}): fc.Arbitrary<DagSpec> {
  const maxTasks = options.maxTasks ?? 20;
  return fc
    .array(
      fc.record({
        argPicks: fc.array(fc.nat(), { maxLength: 3 }),
        durationMs: fc.integer({ min: 0, max: options.maxDurationMs ?? 50 }),
        returnBytes: fc.integer({ min: 0, max: options.maxReturnBytes ?? 1_000_000 }),
        numReturns: fc.constantFrom(1, 1, 2),
        gpu: options.gpus === true ? fc.constantFrom(false, false, true) : fc.constant(false),
      }),
      { minLength: 1, maxLength: maxTasks },
    )
    .map((raw) => ({
      tasks: raw.map((t, i) => ({
        args: i === 0 ? [] : t.argPicks.map((p) => p % i),
        durationMs: t.durationMs,
        returnBytes: t.returnBytes,
        numReturns: t.numReturns,
        gpu: t.gpu,
      })),
    }));
}

/** The value of task i given its arguments' values: pure, cheap, and sensitive to order. */
export function taskValue(i: number, argValues: readonly number[]): number {
  let v = (i * 7919 + 13) % 1_000_003;
  for (const a of argValues) v = (v * 31 + a) % 1_000_003;
  return v;
}

export function evaluateDirectly(dag: DagSpec): number[] {
  const values: number[] = [];
  dag.tasks.forEach((t, i) => values.push(taskValue(i, t.args.map((a) => values[a]!))));
  return values;
}

/** Submits the whole DAG, then gets every task's first return (and the second where there is one). */
export interface RunDagOptions {
  maxRetries?: number;
  /** Called once every task is submitted, with each task's first return. */
  onSubmitted?: (refs: readonly ObjectRef<number>[]) => void;
}

export async function runDag(ray: Ray, dag: DagSpec, options: RunDagOptions = {}): Promise<number[]> {
  const refs: ObjectRef<number>[] = [];
  const seconds: Array<ObjectRef<number> | undefined> = [];
  dag.tasks.forEach((t, i) => {
    const fn = ray.remote(
      (...args: number[]) => {
        const v = taskValue(i, args);
        return t.numReturns === 2 ? [v, v * 2 + 1] : v;
      },
      {
        name: `task${i}`,
        durationMs: t.durationMs,
        returnBytes: t.returnBytes,
        numReturns: t.numReturns,
        maxRetries: options.maxRetries ?? 3,
        resources: t.gpu ? { CPU: 1, GPU: 0.5 } : { CPU: 1 },
      },
    );
    const out = fn.remote(...t.args.map((a) => refs[a]!)) as unknown;
    if (t.numReturns === 2) {
      const [a, b] = out as ObjectRef<number>[];
      refs.push(a!);
      seconds.push(b);
    } else {
      refs.push(out as ObjectRef<number>);
      seconds.push(undefined);
    }
  });
  options.onSubmitted?.(refs);
  const values = await ray.get(refs);
  for (let i = 0; i < seconds.length; i++) {
    const s = seconds[i];
    if (s !== undefined && (await ray.get(s)) !== values[i]! * 2 + 1) throw new Error(`task${i}: second return is wrong`);
  }
  return values;
}

export function describeDag(dag: DagSpec): string {
  return dag.tasks.map((t, i) => `task${i}(${t.args.map((a) => `task${a}`).join(", ")}) ${t.durationMs}ms ${t.returnBytes}B x${t.numReturns}${t.gpu ? " gpu" : ""}`).join("\n");
}
