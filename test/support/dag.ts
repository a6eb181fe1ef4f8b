/**
 * Random task graphs for property tests (STYLE.md §5): each task picks its arguments by index from
 * earlier tasks, so every generated graph is a DAG and shrinks to a smaller DAG. A task's value is a
 * pure function of its arguments' values, so the graph can also be evaluated directly.
 *
 * With `nested`, a task may also submit children and get them, and create an actor and call it
 * (issue 10: nested work must run exactly once at a time and survive its creator's retry). The
 * actor's state is order-sensitive, so a call run twice or skipped changes the value.
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
  /** Work the task's body does through Ray itself. */
  readonly nested?: NestedWork;
}

export interface NestedWork {
  /** Children submitted and awaited by the body (plain tasks named `task<i>.child`). */
  readonly children: number;
  readonly childDurationMs: number;
  /** Calls to an actor the body creates (`Acc<i>`), in order from its one handle; 0: no actor. */
  readonly actorCalls: number;
}

export interface DagSpec {
  readonly tasks: readonly DagTask[];
}

export function dagArbitrary(
  options: {
    maxTasks?: number;
    maxReturnBytes?: number;
    gpus?: boolean;
    maxDurationMs?: number;
    nested?: boolean;
  } = {},
): fc.Arbitrary<DagSpec> {
  const maxTasks = options.maxTasks ?? 20;
  return fc
    .array(
      fc.record({
        argPicks: fc.array(fc.nat(), { maxLength: 3 }),
        durationMs: fc.integer({ min: 0, max: options.maxDurationMs ?? 50 }),
        returnBytes: fc.integer({ min: 0, max: options.maxReturnBytes ?? 1_000_000 }),
        numReturns: fc.constantFrom(1, 1, 2),
        gpu: options.gpus === true ? fc.constantFrom(false, false, true) : fc.constant(false),
        nested:
          options.nested === true
            ? fc.option(nestedArbitrary(options.maxDurationMs ?? 50), { freq: 2, nil: undefined })
            : fc.constant(undefined),
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
        ...(t.nested !== undefined ? { nested: t.nested } : {}),
      })),
    }));
}

function nestedArbitrary(maxDurationMs: number): fc.Arbitrary<NestedWork> {
  return fc.record({
    children: fc.integer({ min: 0, max: 2 }),
    childDurationMs: fc.integer({ min: 0, max: maxDurationMs }),
    actorCalls: fc.integer({ min: 0, max: 3 }),
  });
}

const MODULUS = 1_000_003;

function mix(v: number, x: number): number {
  return (v * 31 + x) % MODULUS;
}

/** Child j of task i, given the task's own value. */
export function childValue(i: number, j: number, base: number): number {
  return mix(mix(base, i), j + 1);
}

/** The accumulator actor: each call folds its argument into an order-sensitive total. */
export class Acc {
  total: number;
  constructor(seed: number) {
    this.total = seed;
  }
  add(x: number): number {
    this.total = mix(this.total, x);
    return this.total;
  }
}

/** A task's value once its nested work is folded in (the same arithmetic as its body). */
export function nestedValue(i: number, base: number, nested: NestedWork | undefined): number {
  if (nested === undefined) return base;
  let v = base;
  for (let j = 0; j < nested.children; j++) v = mix(v, childValue(i, j, base));
  if (nested.actorCalls > 0) {
    const acc = new Acc(i);
    let last = 0;
    for (let k = 0; k < nested.actorCalls; k++) last = acc.add(v + k);
    v = mix(v, last);
  }
  return v;
}

/** The value of task i given its arguments' values: pure, cheap, and sensitive to order. */
export function taskValue(i: number, argValues: readonly number[]): number {
  let v = (i * 7919 + 13) % 1_000_003;
  for (const a of argValues) v = (v * 31 + a) % 1_000_003;
  return v;
}

export function evaluateDirectly(dag: DagSpec): number[] {
  const values: number[] = [];
  dag.tasks.forEach((t, i) =>
    values.push(
      nestedValue(
        i,
        taskValue(
          i,
          t.args.map((a) => values[a]!),
        ),
        t.nested,
      ),
    ),
  );
  return values;
}

/** Submits the whole DAG, then gets every task's first return (and the second where there is one). */
export interface RunDagOptions {
  maxRetries?: number;
  /** Called once every task is submitted, with each task's first return. */
  onSubmitted?: (refs: readonly ObjectRef<number>[]) => void;
}

/** The one actor class nested tasks create, registered only when some task calls an actor. */
function accClassFor(ray: Ray, dag: DagSpec, retries: number) {
  if (!dag.tasks.some((t) => (t.nested?.actorCalls ?? 0) > 0)) return undefined;
  // No CPU held for its lifetime: an actor on a 1-CPU node would starve the tasks queued there.
  return ray.actor(Acc, {
    resources: { CPU: 0 },
    maxRestarts: retries,
    maxTaskRetries: retries,
    methods: { add: { durationMs: 5 } },
  });
}

/** Task i's body when it does nested work: get its children, then call its own actor in order. */
function nestedBody(
  ray: Ray,
  i: number,
  nested: NestedWork,
  retries: number,
  accClass: ReturnType<typeof accClassFor>,
): (args: number[]) => Promise<number> {
  const child =
    nested.children > 0
      ? ray.remote((j: number, base: number) => childValue(i, j, base), {
          name: `task${i}.child`,
          durationMs: nested.childDurationMs,
          maxRetries: retries,
        })
      : undefined;
  return async (args) => {
    const base = taskValue(i, args);
    let v = base;
    if (child !== undefined) {
      const kids = await ray.get(
        Array.from({ length: nested.children }, (_, j) => child.remote(j, base)),
      );
      for (const k of kids) v = (v * 31 + k) % MODULUS;
    }
    if (nested.actorCalls > 0) {
      const acc = accClass!.remote(i);
      const calls: ObjectRef<number>[] = [];
      for (let k = 0; k < nested.actorCalls; k++) calls.push(acc.add.remote(v + k));
      v = mix(v, (await ray.get(calls)).at(-1)!);
    }
    return v;
  };
}

/** Each second return must be its first return * 2 + 1. */
async function checkSecondReturns(
  ray: Ray,
  values: readonly number[],
  seconds: readonly (ObjectRef<number> | undefined)[],
): Promise<void> {
  for (let i = 0; i < seconds.length; i++) {
    const s = seconds[i];
    if (s !== undefined && (await ray.get(s)) !== values[i]! * 2 + 1)
      throw new Error(`task${i}: second return is wrong`);
  }
}

export async function runDag(
  ray: Ray,
  dag: DagSpec,
  options: RunDagOptions = {},
): Promise<number[]> {
  const refs: ObjectRef<number>[] = [];
  const seconds: Array<ObjectRef<number> | undefined> = [];
  const retries = options.maxRetries ?? 3;
  const accClass = accClassFor(ray, dag, retries);
  dag.tasks.forEach((t, i) => {
    const nested = t.nested;
    const body = nested === undefined ? undefined : nestedBody(ray, i, nested, retries, accClass);
    const fn = ray.remote(
      (...args: number[]) => {
        if (body !== undefined)
          return body(args).then((v) => (t.numReturns === 2 ? [v, v * 2 + 1] : v));
        const v = taskValue(i, args);
        return t.numReturns === 2 ? [v, v * 2 + 1] : v;
      },
      {
        name: `task${i}`,
        durationMs: t.durationMs,
        returnBytes: t.returnBytes,
        numReturns: t.numReturns,
        maxRetries: retries,
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
  await checkSecondReturns(ray, values, seconds);
  return values;
}

/** Every task name a fault may target: the DAG's tasks, then their children, then the actor method. */
export function taskNamesOf(dag: DagSpec): string[] {
  const names = dag.tasks.map((_, i) => `task${i}`);
  dag.tasks.forEach((t, i) => {
    if ((t.nested?.children ?? 0) > 0) names.push(`task${i}.child`);
  });
  if (dag.tasks.some((t) => (t.nested?.actorCalls ?? 0) > 0)) names.push("Acc.add");
  return names;
}

export function describeDag(dag: DagSpec): string {
  const nestedText = (n: NestedWork | undefined) =>
    n === undefined
      ? ""
      : ` nested(children ${n.children} x ${n.childDurationMs}ms, actor calls ${n.actorCalls})`;
  return dag.tasks
    .map(
      (t, i) =>
        `task${i}(${t.args.map((a) => `task${a}`).join(", ")}) ${t.durationMs}ms ${t.returnBytes}B x${t.numReturns}${t.gpu ? " gpu" : ""}${nestedText(t.nested)}`,
    )
    .join("\n");
}
