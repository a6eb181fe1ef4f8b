/**
 * Runs one swarm seed: builds its cluster, schedules its faults, runs its driver program with
 * invariants checked after every event under a virtual-time and a wall-time bound, and judges
 * every probe (a `get` or `wait` the driver made) against the outcome the workload and schedule
 * decide: the failure-free value, or a typed error for the unrecoverable constructions.
 */
import { isDeepStrictEqual } from "node:util";
import { InvariantViolation } from "../../core/assert.js";
import {
  Simulation,
  DeadlockError,
  TaskError,
  ObjectLostError,
  NodeDiedError,
  WorkerCrashedError,
  ActorDiedError,
  TaskUnschedulableError,
  GetTimeoutError,
  type SimulationConfig,
} from "../../sim/index.js";
import { program, Probes, type Settled } from "./driver.js";
import { applySchedule, drawSchedule, endMs, nodeConfig, type FaultSpec } from "./schedule.js";
import {
  drawWorkload,
  HEARTBEAT_MS,
  INFEASIBLE_TIMEOUT_MS,
  MISSED_HEARTBEATS,
  restartActorValue,
  taskResult,
  type Workload,
} from "./workload.js";

type ErrorClass = abstract new (...args: never[]) => Error;
type Expected = { value: unknown } | { error: ErrorClass; cause?: ErrorClass };

export type Verdict =
  | "pass"
  | "wrong-value"
  | "wrong-error"
  | "invariant"
  | "deadlock"
  | "virtual-bound"
  | "wall-bound"
  | "crash";

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
  /** Set when shrinking ended early. */
  shrinkNote?: string;
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

class WallBoundError extends Error {
  override name = "WallBoundError";
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
    progressLimitMs: PROGRESS_LIMIT_MS,
  };
}

export function virtualBoundMs(faults: readonly FaultSpec[]): number {
  return Math.max(0, ...faults.map(endMs)) + SETTLE_MS;
}

export async function runSeed(seed: number, options: RunSeedOptions = {}): Promise<SeedResult> {
  const w = drawWorkload(seed);
  const all = drawSchedule(w);
  const kept =
    options.keep === undefined
      ? all.map((_, i) => i)
      : options.keep.filter((i) => i >= 0 && i < all.length);
  const faults = kept.map((i) => all[i]!);
  const expected = expectedOutcomes(w);
  const expectedClass = w.constructions.gcsDoom
    ? "deadlock"
    : [...expected.values()].some((e) => "error" in e)
      ? "values+errors"
      : "values";
  const wallStart = Date.now();
  const result = (verdict: Verdict, detail: string, sim?: Simulation): SeedResult => ({
    seed,
    verdict,
    detail,
    faults,
    kept,
    expectedClass,
    virtualMs: sim?.nowMs ?? 0,
    wallMs: Date.now() - wallStart,
  });
  let sim: Simulation;
  try {
    sim = new Simulation(simulationConfig(w));
    if (w.constructions.gcsDoom) sim.faults.killGcsReplica({ shard: 0, replica: 0 }, { atMs: 0 });
    applySchedule(sim, faults);
  } catch (error) {
    return result("crash", `setting up: ${describeError(error)}`);
  }
  boundWallTime(sim, wallStart, options.wallMs ?? 20_000);
  const probes = new Probes();
  let finished = false;
  let failure: { error: unknown } | undefined;
  try {
    await sim.run(
      async (ray) => {
        await program(ray, sim, w, faults, probes);
        finished = true;
      },
      { untilMs: virtualBoundMs(faults) },
    );
  } catch (error) {
    failure = { error };
  }
  const [verdict, detail] = judgeRun(w, faults, expected, probes, sim, failure, finished);
  return result(verdict, detail, sim);
}

/** Ends the run with a WallBoundError once `wallMs` have passed (checked every 1024 events). */
function boundWallTime(sim: Simulation, wallStart: number, wallMs: number): void {
  const invariants = sim.world.kernel.afterEvent;
  let events = 0;
  sim.world.kernel.afterEvent = () => {
    invariants?.();
    if ((++events & 1023) === 0 && Date.now() > wallStart + wallMs)
      throw new WallBoundError(`wall-time bound of ${wallMs} ms passed at virtual ${sim.nowMs} ms`);
  };
}

/** The verdict on a run: how it ended, then each probe against what the schedule decided. */
function judgeRun(
  w: Workload,
  faults: readonly FaultSpec[],
  expected: ReadonlyMap<string, Expected>,
  probes: Probes,
  sim: Simulation,
  failure: { error: unknown } | undefined,
  finished: boolean,
): [Verdict, string] {
  /** Object ids in an error message, each followed by the probe it belongs to. */
  const labelled = (text: string) =>
    text.replace(/\b(t\d+:\d+)\b/g, (id) =>
      probes.labels.has(id) ? `${id} (${probes.labels.get(id)})` : id,
    );
  if (failure !== undefined) {
    const { error } = failure;
    if (error instanceof DeadlockError && w.constructions.gcsDoom) return ["pass", ""];
    if (error instanceof InvariantViolation) return ["invariant", labelled(describeError(error))];
    if (error instanceof DeadlockError) return ["deadlock", labelled(describeError(error))];
    if (error instanceof WallBoundError) return ["wall-bound", error.message];
    return ["crash", describeError(error)];
  }
  if (!finished) {
    const pending = [...expected.keys()].filter((k) => !probes.outcomes.has(k)).join(", ");
    const awaited = labelled(sim.world.kernel.awaitedLabels().slice(0, 10).join(", "));
    return [
      "virtual-bound",
      `the driver had not finished at the virtual-time bound of ${virtualBoundMs(faults)} ms; pending probes: ${pending}; the driver waits on ${awaited}`,
    ];
  }
  if (w.constructions.gcsDoom)
    return [
      "wrong-error",
      "the only GCS server died at 0 ms, yet the run finished instead of raising DeadlockError",
    ];
  for (const [label, want] of expected) {
    const mismatch = judge(want, probes.outcomes.get(label));
    if (mismatch !== undefined)
      return ["error" in want ? "wrong-error" : "wrong-value", `${label}: ${mismatch}`];
  }
  return ["pass", ""];
}

function judge(want: Expected, got: Settled | undefined): string | undefined {
  if (got === undefined) return "never settled";
  if ("value" in want) {
    if ("error" in got)
      return `expected ${JSON.stringify(want.value)}, got ${describeError(got.error)}`;
    return isDeepStrictEqual(got.value, want.value)
      ? undefined
      : `expected ${JSON.stringify(want.value)}, got ${JSON.stringify(got.value)}`;
  }
  const name = (c: ErrorClass) => c.name;
  const wanted = `${name(want.error)}${want.cause === undefined ? "" : ` caused by ${name(want.cause)}`}`;
  if (!("error" in got)) return `expected ${wanted}, got the value ${JSON.stringify(got.value)}`;
  if (!(got.error instanceof want.error))
    return `expected ${wanted}, got ${describeError(got.error)}`;
  if (want.cause !== undefined && !(got.error.cause instanceof want.cause))
    return `expected ${wanted}, got ${describeError(got.error)} caused by ${describeError(got.error.cause)}`;
  return undefined;
}

function describeError(error: unknown): string {
  if (error instanceof Error)
    return `${error.name}: ${error.message.split("\n")[0]!.slice(0, 400)}`;
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
    values.push(
      failed
        ? undefined
        : taskResult(i, t, [...(inputs as number[]), ...t.puts.map((p) => w.puts[p]!)]),
    );
    out.set(`task${i}`, failed ? { error: TaskError } : { value: values[i] });
  });
  for (const a of w.actors) {
    let n = 0;
    a.calls.forEach((by, j) => {
      n += by;
      out.set(`${a.name}[${j}]`, {
        value: a.recovery === "restart" ? restartActorValue(a, by) : n,
      });
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
    out.set(
      "actor-died.first",
      c.actorDied.how === "kill" ? { value: 1 } : { error: ActorDiedError },
    );
    out.set("actor-died.after", { error: ActorDiedError });
  }
  if (c.unschedulable) out.set("unschedulable", { error: TaskUnschedulableError });
  if (c.getTimeout !== undefined) {
    out.set("get-timeout", { error: GetTimeoutError });
    out.set("get-timeout.value", { value: 4242 });
  }
  return out;
}
