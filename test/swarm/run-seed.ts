/**
 * Runs one swarm seed: builds its cluster, schedules its faults, runs its driver program with
 * invariants checked after every event under a virtual-time and a wall-time bound, and judges
 * every probe (a `get` or `wait` the driver made) against the outcome the workload and schedule
 * decide: the failure-free value, or a typed error for the unrecoverable constructions.
 */
import { isDeepStrictEqual } from "node:util";
import { InvariantViolation } from "../../core/assert.js";
import {
  Simulation, DeadlockError, TaskError, ObjectLostError, NodeDiedError, WorkerCrashedError, ActorDiedError,
  TaskUnschedulableError, GetTimeoutError, type ObjectRef, type Ray, type SimulationConfig,
} from "../../sim/index.js";
import { applyEvictions, applySchedule, drawSchedule, endMs, nodeConfig, type FaultSpec } from "./schedule.js";
import {
  actorResources, childValue, drawWorkload, HEARTBEAT_MS, INFEASIBLE_TIMEOUT_MS, MISSED_HEARTBEATS, restartActorValue, taskResources,
  taskResult, taskValue, VICTIM, type Workload,
} from "./workload.js";

type ErrorClass = abstract new (...args: never[]) => Error;
type Expected = { value: unknown } | { error: ErrorClass; cause?: ErrorClass };
type Settled = { value: unknown } | { error: unknown };

export type Verdict = "pass" | "wrong-value" | "wrong-error" | "invariant" | "deadlock" | "virtual-bound" | "wall-bound" | "crash";

export interface SeedResult {
  seed: number;
  verdict: Verdict;
  /** What failed (empty on a pass). */
  detail: string;
  /** The faults run (after `keep`), as drawn. */
  faults: FaultSpec[];
  /** Their indices in the seed's full schedule. */
  kept: number[];
  /** The outcome class the schedule decided: only values, values and typed errors, or a deadlock. */
  expectedClass: "values" | "values+errors" | "deadlock";
  virtualMs: number;
  wallMs: number;
}

export interface RunSeedOptions {
  /** Indices of the seed's faults to keep (a shrunk schedule); all when absent. */
  keep?: readonly number[];
  /** Wall-time bound for this run. */
  wallMs?: number;
}

const PROGRESS_LIMIT_MS = 8_000;
/** Virtual time allowed after the schedule's last effect. */
const SETTLE_MS = 20_000;
/** How soon after `get` returned every object a `wait(timeoutMs: 0)` poll must see them all. */
const POLL_CONVERGE_MS = 2_000;

class WallBoundError extends Error {
  override name = "WallBoundError";
}

let progressLimitSupported: boolean | undefined;
/** `progressLimitMs` (the livelock bound) lands with issue 10: pass it once the config takes it. */
function livelockBound(): Partial<SimulationConfig> {
  if (progressLimitSupported === undefined) {
    try {
      new Simulation({ nodes: [{ name: "probe", cpus: 1 }], progressLimitMs: PROGRESS_LIMIT_MS } as SimulationConfig);
      progressLimitSupported = true;
    } catch {
      progressLimitSupported = false;
    }
  }
  return progressLimitSupported ? ({ progressLimitMs: PROGRESS_LIMIT_MS } as Partial<SimulationConfig>) : {};
}

export function simulationConfig(w: Workload): SimulationConfig {
  return {
    seed: w.seed,
    nodes: w.nodes.map(nodeConfig),
    gcs: w.gcs,
    failureDetection: { heartbeatMs: HEARTBEAT_MS, missedHeartbeats: MISSED_HEARTBEATS },
    scheduler: { infeasibleTimeoutMs: INFEASIBLE_TIMEOUT_MS },
    checkInvariants: true,
    idleLimitMs: 10_000,
    keepEvents: false,
    ...livelockBound(),
  };
}

export function virtualBoundMs(faults: readonly FaultSpec[]): number {
  return Math.max(0, ...faults.map(endMs)) + SETTLE_MS;
}

export async function runSeed(seed: number, options: RunSeedOptions = {}): Promise<SeedResult> {
  const w = drawWorkload(seed);
  const all = drawSchedule(w);
  const kept = options.keep === undefined ? all.map((_, i) => i) : options.keep.filter((i) => i >= 0 && i < all.length);
  const faults = kept.map((i) => all[i]!);
  const expected = expectedOutcomes(w);
  const expectedClass = w.constructions.gcsDoom ? "deadlock" : [...expected.values()].some((e) => "error" in e) ? "values+errors" : "values";
  const wallStart = Date.now();
  const result = (verdict: Verdict, detail: string, sim?: Simulation): SeedResult => ({
    seed, verdict, detail, faults, kept, expectedClass, virtualMs: sim?.nowMs ?? 0, wallMs: Date.now() - wallStart,
  });
  let sim: Simulation;
  try {
    sim = new Simulation(simulationConfig(w));
    if (w.constructions.gcsDoom) sim.faults.killGcsReplica({ shard: 0, replica: 0 }, { atMs: 0 });
    applySchedule(sim, faults);
  } catch (error) {
    return result("crash", `setting up: ${describeError(error)}`);
  }
  const deadline = wallStart + (options.wallMs ?? 20_000);
  const invariants = sim.world.kernel.afterEvent;
  let events = 0;
  sim.world.kernel.afterEvent = () => {
    invariants?.();
    if ((++events & 1023) === 0 && Date.now() > deadline) throw new WallBoundError(`wall-time bound of ${options.wallMs} ms passed at virtual ${sim.nowMs} ms`);
  };
  const outcomes = new Map<string, Settled>();
  const refLabels = new Map<string, string>();
  /** Object ids in an error message, each followed by the probe it belongs to. */
  const labelled = (text: string) => text.replace(/\b(t\d+:\d+)\b/g, (id) => (refLabels.has(id) ? `${id} (${refLabels.get(id)})` : id));
  let finished = false;
  try {
    await sim.run(async (ray) => {
      await program(ray, sim, w, faults, outcomes, refLabels);
      finished = true;
    }, { untilMs: virtualBoundMs(faults) });
  } catch (error) {
    if (error instanceof DeadlockError && w.constructions.gcsDoom) return result("pass", "", sim);
    if (error instanceof InvariantViolation) return result("invariant", labelled(describeError(error)), sim);
    if (error instanceof DeadlockError) return result("deadlock", labelled(describeError(error)), sim);
    if (error instanceof WallBoundError) return result("wall-bound", error.message, sim);
    return result("crash", describeError(error), sim);
  }
  if (!finished) return result("virtual-bound", `the driver had not finished at the virtual-time bound of ${virtualBoundMs(faults)} ms; pending probes: ${[...expected.keys()].filter((k) => !outcomes.has(k)).join(", ")}; the driver waits on ${labelled(sim.world.kernel.awaitedLabels().slice(0, 10).join(", "))}`, sim);
  if (w.constructions.gcsDoom) return result("wrong-error", "the only GCS server died at 0 ms, yet the run finished instead of raising DeadlockError", sim);
  for (const [label, want] of expected) {
    const got = outcomes.get(label);
    const mismatch = judge(want, got);
    if (mismatch !== undefined) return result("error" in want ? "wrong-error" : "wrong-value", `${label}: ${mismatch}`, sim);
  }
  return result("pass", "", sim);
}

function judge(want: Expected, got: Settled | undefined): string | undefined {
  if (got === undefined) return "never settled";
  if ("value" in want) {
    if ("error" in got) return `expected ${JSON.stringify(want.value)}, got ${describeError(got.error)}`;
    return isDeepStrictEqual(got.value, want.value) ? undefined : `expected ${JSON.stringify(want.value)}, got ${JSON.stringify(got.value)}`;
  }
  const name = (c: ErrorClass) => c.name;
  const wanted = `${name(want.error)}${want.cause === undefined ? "" : ` caused by ${name(want.cause)}`}`;
  if (!("error" in got)) return `expected ${wanted}, got the value ${JSON.stringify(got.value)}`;
  if (!(got.error instanceof want.error)) return `expected ${wanted}, got ${describeError(got.error)}`;
  if (want.cause !== undefined && !((got.error as Error).cause instanceof want.cause)) return `expected ${wanted}, got ${describeError(got.error)} caused by ${describeError((got.error as Error).cause)}`;
  return undefined;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.split("\n")[0]!.slice(0, 400)}`;
  return String(error);
}

/** What each probe must give, decided from the workload (and, through it, the schedule). */
export function expectedOutcomes(w: Workload): Map<string, Expected> {
  const out = new Map<string, Expected>();
  if (w.constructions.gcsDoom) return out;
  const values: Array<number | undefined> = [];
  w.tasks.forEach((t, i) => {
    const inputs = t.args.map((a) => values[a]);
    const failed = t.throws || inputs.some((v) => v === undefined);
    values.push(failed ? undefined : taskResult(i, t, [...(inputs as number[]), ...t.puts.map((p) => w.puts[p]!)]));
    out.set(`task${i}`, failed ? { error: TaskError } : { value: values[i] });
  });
  for (const a of w.actors) {
    let n = 0;
    a.calls.forEach((by, j) => {
      n += by;
      out.set(`${a.name}[${j}]`, { value: a.recovery === "restart" ? restartActorValue(a, by) : n });
    });
    if (a.recovery === "replay") out.set(`${a.name}.total`, { value: n });
  }
  if (w.waits !== undefined) {
    out.set("wait.timeout", { value: "ok" });
    out.set("wait.poll", { value: "ok" });
  }
  const c = w.constructions;
  if (c.putEvict !== undefined) {
    out.set("put-evict", { error: ObjectLostError });
    out.set("put-evict.consumer", { error: TaskError, cause: ObjectLostError });
  }
  if (c.nodeDied) out.set("node-died", { error: NodeDiedError });
  if (c.budget !== undefined) out.set("budget", { error: WorkerCrashedError });
  if (c.actorDied !== undefined) {
    out.set("actor-died.first", c.actorDied.how === "kill" ? { value: 1 } : { error: ActorDiedError });
    out.set("actor-died.after", { error: ActorDiedError });
  }
  if (c.unschedulable) out.set("unschedulable", { error: TaskUnschedulableError });
  if (c.getTimeout !== undefined) {
    out.set("get-timeout", { error: GetTimeoutError });
    out.set("get-timeout.value", { value: 4242 });
  }
  return out;
}

/** The driver program: submits everything, then settles every probe (all concurrently). */
async function program(ray: Ray, sim: Simulation, w: Workload, faults: readonly FaultSpec[], outcomes: Map<string, Settled>, refLabels: Map<string, string>): Promise<void> {
  const jobs: Promise<void>[] = [];
  const settle = async (label: string, p: Promise<unknown>, ref?: ObjectRef) => {
    if (ref !== undefined) refLabels.set(ref.id, label);
    try {
      outcomes.set(label, { value: await p });
    } catch (error) {
      outcomes.set(label, { error });
    }
  };
  const c = w.constructions;

  if (c.nodeDied) {
    const victim = ray.remote(() => 1, { name: "victimTask", durationMs: 60_000, maxRetries: 0, resources: { CPU: 0, victim: 1 } });
    const r = victim.remote();
    jobs.push((async () => {
      // Killed once it runs (ground truth from the world): the attempt dies with its node.
      while (sim.world.node(VICTIM).executions.size === 0) await ray.sleep(1);
      sim.faults.killNode(VICTIM);
      await settle("node-died", ray.get(r), r);
    })());
  }
  if (c.budget !== undefined) {
    sim.faults.crashWorkers({ task: "brittle", times: c.budget.maxRetries + 1 });
    const brittle = ray.remote(() => 5, { name: "brittle", durationMs: 10, maxRetries: c.budget.maxRetries, resources: { CPU: 1, head: 1 } });
    const r = brittle.remote();
    jobs.push(settle("budget", ray.get(r), r));
  }
  if (c.actorDied !== undefined) {
    const how = c.actorDied.how;
    const Doomed = ray.actor(class {
      n = 0;
      inc(by: number) {
        this.n += by;
        return this.n;
      }
    }, { name: "Doomed", resources: { CPU: 0, head: 1 }, maxRestarts: 0, maxTaskRetries: 0, methods: { inc: { durationMs: 5 } } });
    if (how === "crash") sim.faults.crashWorkers({ task: "Doomed.inc", times: 1 });
    const h = Doomed.remote();
    jobs.push((async () => {
      const first = h.inc.remote(1);
      await settle("actor-died.first", ray.get(first), first);
      if (how === "kill") {
        ray.kill(h, { noRestart: true });
        // Longer than any delay a message fault adds: the kill has landed by then.
        await ray.sleep(1_000);
      }
      const after = h.inc.remote(1);
      await settle("actor-died.after", ray.get(after), after);
    })());
  }
  if (c.unschedulable) {
    const impossible = ray.remote(() => 0, { name: "impossible", resources: { CPU: 1, unobtainium: 1 } });
    const r = impossible.remote();
    jobs.push(settle("unschedulable", ray.get(r), r));
  }
  if (c.getTimeout !== undefined) {
    const { durationMs, timeoutMs } = c.getTimeout;
    const sloth = ray.remote(() => 4242, { name: "sloth", durationMs, maxRetries: -1 });
    const r = sloth.remote();
    jobs.push((async () => {
      await settle("get-timeout", ray.get(r, { timeoutMs }), r);
      await settle("get-timeout.value", ray.get(r), r);
    })());
  }
  if (c.putEvict !== undefined) {
    const { afterMs } = c.putEvict;
    const p = ray.put(77, { sizeBytes: 100 });
    const use = ray.remote((x: number) => x + 1, { name: "usePut", maxRetries: -1 });
    jobs.push((async () => {
      sim.faults.evict(p, { atMs: ray.now() + afterMs });
      await ray.sleep(afterMs + 5);
      await settle("put-evict", ray.get(p), p);
      const consumer = use.remote(p);
      await settle("put-evict.consumer", ray.get(consumer), consumer);
    })());
  }

  const putRefs = w.puts.map((v) => ray.put(v, { sizeBytes: 1000 }));
  const taskRefs: ObjectRef<number>[] = [];
  w.tasks.forEach((t, i) => {
    const child = t.children > 0 ? ray.remote((x: number, k: number) => childValue(i, k, x), { name: `task${i}.child`, durationMs: 5, returnBytes: 100, maxRetries: -1 }) : undefined;
    const body = async (...inputs: number[]): Promise<number> => {
      if (t.throws) throw new Error(`task${i} throws by design`);
      const x = taskValue(i, inputs);
      if (child === undefined) return x;
      const kids = await ray.get(Array.from({ length: t.children }, (_, k) => child.remote(x, k)));
      return kids.reduce((v, kid) => (v * 13 + kid) % 1_000_003, x);
    };
    const fn = ray.remote(body, { name: `task${i}`, durationMs: t.durationMs, returnBytes: t.returnBytes, maxRetries: -1, resources: taskResources(t) });
    taskRefs.push(fn.remote(...t.args.map((a) => taskRefs[a]!), ...t.puts.map((p) => putRefs[p]!)) as ObjectRef<number>);
  });
  applyEvictions(sim, faults, taskRefs);
  const taskGets = taskRefs.map((r, i) => settle(`task${i}`, ray.get(r), r));
  jobs.push(...taskGets);
  let allGotAtMs: number | undefined;
  void Promise.all(taskGets).then(() => (allGotAtMs = ray.now()));

  for (const a of w.actors) {
    const common = { name: a.name, resources: actorResources(a), maxRestarts: -1, maxTaskRetries: -1, recovery: a.recovery };
    if (a.recovery === "replay") {
      const Counter = ray.actor(class {
        n = 0;
        inc(by: number) {
          this.n += by;
          return this.n;
        }
        total() {
          return this.n;
        }
      }, { ...common, checkpointInterval: a.checkpointInterval, checkpointBytes: 1000, methods: { inc: { durationMs: a.methodMs }, total: { durationMs: 1 } } });
      const h = Counter.remote();
      a.calls.forEach((by, j) => {
        const r = h.inc.remote(by);
        jobs.push(settle(`${a.name}[${j}]`, ray.get(r), r));
      });
      const total = h.total.remote();
      jobs.push(settle(`${a.name}.total`, ray.get(total), total));
    } else {
      const Stateless = ray.actor(class {
        constructor(readonly base: number) {}
        f(x: number) {
          return x * 3 + this.base;
        }
      }, { ...common, methods: { f: { durationMs: a.methodMs } } });
      const h = Stateless.remote(a.base);
      a.calls.forEach((x, j) => {
        const r = h.f.remote(x);
        jobs.push(settle(`${a.name}[${j}]`, ray.get(r), r));
      });
    }
  }

  if (w.waits !== undefined) {
    const { numReturns, timeoutMs } = w.waits;
    jobs.push((async () => {
      const [ready, notReady] = await ray.wait(taskRefs, { numReturns, timeoutMs });
      const ids = (refs: readonly ObjectRef[]) => refs.map((r) => r.id);
      const all = new Set(ids(taskRefs));
      const split = [...ids(ready), ...ids(notReady)];
      const ok = ready.length <= numReturns && split.length === all.size && split.every((id) => all.has(id)) && new Set(split).size === split.length;
      outcomes.set("wait.timeout", { value: ok ? "ok" : `wait(numReturns ${numReturns}, timeoutMs ${timeoutMs}) split ${taskRefs.length} refs into ${ready.length} ready + ${notReady.length} not ready` });
      // Polling with timeoutMs 0 must converge: every object, errors included, is ready in the end,
      // and soon after get has returned each of them.
      for (;;) {
        const [done] = await ray.wait(taskRefs, { numReturns: taskRefs.length, timeoutMs: 0 });
        if (done.length === taskRefs.length) break;
        if (allGotAtMs !== undefined && ray.now() - allGotAtMs > POLL_CONVERGE_MS) {
          const late = taskRefs.filter((r) => !done.includes(r)).map((r) => r.id);
          outcomes.set("wait.poll", { value: `wait(timeoutMs 0) polled every 20 ms still reports ${late.join(", ")} not ready ${POLL_CONVERGE_MS} ms after get returned every object` });
          return;
        }
        await ray.sleep(20);
      }
      outcomes.set("wait.poll", { value: "ok" });
    })());
  }
  await Promise.all(jobs);
}
