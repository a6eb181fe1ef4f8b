/**
 * The driver program a swarm seed runs: it submits the unrecoverable constructions, the DAG, the
 * actors and the waits at once, and settles every probe (a `get` or `wait` whose outcome is judged)
 * concurrently, recording a value or an error for each.
 */
import type { ObjectRef, Ray, Simulation } from "../../sim/index.js";
import { applyEvictions, type FaultSpec } from "./schedule.js";
import {
  actorResources,
  DOOM_RESOURCE,
  childValue,
  taskResources,
  taskValue,
  VICTIM,
  type Constructions,
  type SwarmActor,
  type Workload,
} from "./workload.js";

export type Settled = { value: unknown } | { error: unknown };

/** How soon after `get` returned every object a `wait(timeoutMs: 0)` poll must see them all. */
const POLL_CONVERGE_MS = 2_000;

/** Every probe's outcome, and which probe each object id belongs to (for reports). */
export class Probes {
  readonly outcomes = new Map<string, Settled>();
  readonly labels = new Map<string, string>();
  private readonly jobs: Array<Promise<void>> = [];

  /** Records the outcome of `p` under `label` (and labels `ref`'s id). */
  async settle(label: string, p: Promise<unknown>, ref?: ObjectRef): Promise<void> {
    if (ref !== undefined) this.labels.set(ref.id, label);
    try {
      this.outcomes.set(label, { value: await p });
    } catch (error) {
      this.outcomes.set(label, { error });
    }
  }

  /** The driver ends once every tracked job has. */
  track(job: Promise<void>): void {
    this.jobs.push(job);
  }

  all(): Promise<void> {
    return Promise.all(this.jobs).then(() => undefined);
  }
}

export async function program(
  ray: Ray,
  sim: Simulation,
  w: Workload,
  faults: readonly FaultSpec[],
  probes: Probes,
): Promise<void> {
  startConstructions(ray, sim, w.constructions, probes);
  const taskRefs = submitDag(ray, w, probes);
  applyEvictions(sim, faults, taskRefs);
  const taskGets = taskRefs.map((r, i) => probes.settle(`task${i}`, ray.get(r), r));
  for (const get of taskGets) probes.track(get);
  for (const a of w.actors) startActor(ray, a, probes);
  if (w.waits !== undefined)
    probes.track(
      checkWaits(
        ray,
        taskRefs,
        w.waits,
        Promise.all(taskGets).then(() => ray.now()),
        probes,
      ),
    );
  await probes.all();
}

function startConstructions(ray: Ray, sim: Simulation, c: Constructions, probes: Probes): void {
  if (c.gcsDoom) {
    // A task only w1 can run: the global scheduler must place it, and it learns the nodes from
    // the GCS, so with the only GCS server dead the run cannot finish. (Without it a workload
    // that fits on the head node ran to the end locally, never asking the GCS a thing: seed 1017.)
    const elsewhere = ray.remote(() => 0, {
      name: "needs-placement",
      resources: { [DOOM_RESOURCE]: 1 },
    });
    probes.track(probes.settle("needs-placement", ray.get(elsewhere.remote())));
  }
  if (c.nodeDied) probes.track(nodeDied(ray, sim, probes));
  if (c.budget !== undefined) {
    sim.faults.crashWorkers({ task: "brittle", times: c.budget.maxRetries + 1 });
    const brittle = ray.remote(() => 5, {
      name: "brittle",
      durationMs: 10,
      maxRetries: c.budget.maxRetries,
      resources: { CPU: 1, head: 1 },
    });
    const r = brittle.remote();
    probes.track(probes.settle("budget", ray.get(r), r));
  }
  if (c.actorDied !== undefined) probes.track(actorDied(ray, sim, c.actorDied.how, probes));
  if (c.unschedulable) {
    const impossible = ray.remote(() => 0, {
      name: "impossible",
      resources: { CPU: 1, unobtainium: 1 },
    });
    const r = impossible.remote();
    probes.track(probes.settle("unschedulable", ray.get(r), r));
  }
  if (c.getTimeout !== undefined) {
    const { durationMs, timeoutMs } = c.getTimeout;
    const sloth = ray.remote(() => 4242, { name: "sloth", durationMs, maxRetries: -1 });
    const r = sloth.remote();
    probes.track(
      (async () => {
        await probes.settle("get-timeout", ray.get(r, { timeoutMs }), r);
        await probes.settle("get-timeout.value", ray.get(r), r);
      })(),
    );
  }
  if (c.putEvict !== undefined) probes.track(putEvict(ray, sim, c.putEvict.afterMs, probes));
}

/** A maxRetries-0 task on the victim node, killed once it runs (ground truth from the world). */
async function nodeDied(ray: Ray, sim: Simulation, probes: Probes): Promise<void> {
  const victim = ray.remote(() => 1, {
    name: "victimTask",
    durationMs: 60_000,
    maxRetries: 0,
    resources: { CPU: 0, victim: 1 },
  });
  const r = victim.remote();
  while (sim.world.node(VICTIM).executions.size === 0) await ray.sleep(1);
  sim.faults.killNode(VICTIM);
  await probes.settle("node-died", ray.get(r), r);
}

async function actorDied(
  ray: Ray,
  sim: Simulation,
  how: "kill" | "crash",
  probes: Probes,
): Promise<void> {
  const Doomed = ray.actor(
    class {
      n = 0;
      inc(by: number) {
        this.n += by;
        return this.n;
      }
    },
    {
      name: "Doomed",
      resources: { CPU: 0, head: 1 },
      maxRestarts: 0,
      maxTaskRetries: 0,
      methods: { inc: { durationMs: 5 } },
    },
  );
  if (how === "crash") sim.faults.crashWorkers({ task: "Doomed.inc", times: 1 });
  const h = Doomed.remote();
  const first = h.inc.remote(1);
  await probes.settle("actor-died.first", ray.get(first), first);
  if (how === "kill") {
    ray.kill(h, { noRestart: true });
    // Longer than any delay a message fault adds: the kill has landed by then.
    await ray.sleep(1_000);
  }
  const after = h.inc.remote(1);
  await probes.settle("actor-died.after", ray.get(after), after);
}

async function putEvict(ray: Ray, sim: Simulation, afterMs: number, probes: Probes): Promise<void> {
  const p = ray.put(77, { sizeBytes: 100 });
  const use = ray.remote((x: number) => x + 1, { name: "usePut", maxRetries: -1 });
  sim.faults.evict(p, { atMs: ray.now() + afterMs });
  await ray.sleep(afterMs + 5);
  await probes.settle("put-evict", ray.get(p), p);
  const consumer = use.remote(p);
  await probes.settle("put-evict.consumer", ray.get(consumer), consumer);
}

function submitDag(ray: Ray, w: Workload, probes: Probes): Array<ObjectRef<number>> {
  const putRefs = w.puts.map((v, i) => {
    const ref = ray.put(v, { sizeBytes: 1000 });
    probes.labels.set(ref.id, `put${i}`);
    return ref;
  });
  const taskRefs: Array<ObjectRef<number>> = [];
  w.tasks.forEach((t, i) => {
    const child =
      t.children > 0
        ? ray.remote((x: number, k: number) => childValue(i, k, x), {
            name: `task${i}.child`,
            durationMs: 5,
            returnBytes: 100,
            maxRetries: -1,
          })
        : undefined;
    const body = async (...inputs: number[]): Promise<number> => {
      if (t.throws) throw new Error(`task${i} throws by design`);
      const x = taskValue(i, inputs);
      if (child === undefined) return x;
      const kids = await ray.get(Array.from({ length: t.children }, (_, k) => child.remote(x, k)));
      return kids.reduce((v, kid) => (v * 13 + kid) % 1_000_003, x);
    };
    const fn = ray.remote(body, {
      name: `task${i}`,
      durationMs: t.durationMs,
      returnBytes: t.returnBytes,
      maxRetries: -1,
      resources: taskResources(t),
    });
    taskRefs.push(fn.remote(...t.args.map((a) => taskRefs[a]!), ...t.puts.map((p) => putRefs[p]!)));
  });
  return taskRefs;
}

function startActor(ray: Ray, a: SwarmActor, probes: Probes): void {
  const common = {
    name: a.name,
    resources: actorResources(a),
    maxRestarts: -1,
    maxTaskRetries: -1,
    recovery: a.recovery,
  };
  const probe = (label: string, r: ObjectRef): void =>
    probes.track(probes.settle(label, ray.get(r), r));
  if (a.recovery === "replay") {
    const Counter = ray.actor(
      class {
        n = 0;
        inc(by: number) {
          this.n += by;
          return this.n;
        }
        total() {
          return this.n;
        }
      },
      {
        ...common,
        checkpointInterval: a.checkpointInterval,
        checkpointBytes: 1000,
        methods: { inc: { durationMs: a.methodMs }, total: { durationMs: 1 } },
      },
    );
    const h = Counter.remote();
    a.calls.forEach((by, j) => probe(`${a.name}[${j}]`, h.inc.remote(by)));
    probe(`${a.name}.total`, h.total.remote());
    return;
  }
  const Stateless = ray.actor(
    class {
      constructor(readonly base: number) {}
      f(x: number) {
        return x * 3 + this.base;
      }
    },
    { ...common, methods: { f: { durationMs: a.methodMs } } },
  );
  const h = Stateless.remote(a.base);
  a.calls.forEach((x, j) => probe(`${a.name}[${j}]`, h.f.remote(x)));
}

/**
 * A wait with a timeout splits the refs soundly; then polling with timeoutMs 0 converges: every
 * object, errors included, is ready in the end, and soon after get has returned each of them.
 */
async function checkWaits(
  ray: Ray,
  refs: ReadonlyArray<ObjectRef<number>>,
  waits: { numReturns: number; timeoutMs: number },
  allGotAtMs: Promise<number>,
  probes: Probes,
): Promise<void> {
  const { numReturns, timeoutMs } = waits;
  const [ready, notReady] = await ray.wait(refs, { numReturns, timeoutMs });
  const all = new Set(refs.map((r) => r.id));
  const split = [...ready, ...notReady].map((r) => r.id);
  const sound =
    ready.length <= numReturns &&
    split.length === all.size &&
    split.every((id) => all.has(id)) &&
    new Set(split).size === split.length;
  probes.outcomes.set("wait.timeout", {
    value: sound
      ? "ok"
      : `wait(numReturns ${numReturns}, timeoutMs ${timeoutMs}) split ${refs.length} refs into ${ready.length} ready + ${notReady.length} not ready`,
  });
  let gotAtMs: number | undefined;
  void allGotAtMs.then((t) => (gotAtMs = t));
  for (;;) {
    const [done] = await ray.wait(refs, { numReturns: refs.length, timeoutMs: 0 });
    if (done.length === refs.length) break;
    if (gotAtMs !== undefined && ray.now() - gotAtMs > POLL_CONVERGE_MS) {
      const late = refs.filter((r) => !done.includes(r)).map((r) => r.id);
      probes.outcomes.set("wait.poll", {
        value: `wait(timeoutMs 0) polled every 20 ms still reports ${late.join(", ")} not ready ${POLL_CONVERGE_MS} ms after get returned every object`,
      });
      return;
    }
    await ray.sleep(20);
  }
  probes.outcomes.set("wait.poll", { value: "ok" });
}
