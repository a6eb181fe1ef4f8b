/**
 * fast-check under node:test with replayable failures (STYLE.md §9): RAYSIM_FC_SEED and
 * RAYSIM_FC_PATH feed `fc.assert`; the seed and its replay line are printed before the first case
 * runs (so a hang is replayable too); a failure prints the seed, the path, the shrunk
 * counterexample, its error, and the command that replays it.
 *
 * Nothing may hang: a Simulation's run ends in a DeadlockError on a livelock (`progressLimitMs`),
 * `runBounded` caps each case's run in virtual time, and `PROPERTY_TIMEOUT_MS` is the wall
 * timeout property tests pass to node:test.
 */
import fc from "fast-check";
import type { Ray } from "../../core/api/ray.js";
import type { Simulation } from "../../sim/index.js";

/** The wall timeout of a property test (node:test `{ timeout }`); RAYSIM_TEST_TIMEOUT_MS overrides it. */
export const PROPERTY_TIMEOUT_MS = Number(process.env.RAYSIM_TEST_TIMEOUT_MS ?? 900_000);

/** A property case's virtual-time bound: no case here needs more than seconds of virtual time. */
export const CASE_BOUND_MS = 600_000;

/**
 * `sim.run(driver)` bounded in virtual time: a run that reaches `boundMs` with the driver still
 * waiting fails, naming what it waits on, rather than going on (a retry loop that never ends is
 * progress to the livelock check, but not to a test).
 */
export async function runBounded<T>(
  sim: Simulation,
  driver: (ray: Ray) => Promise<T> | T,
  boundMs = CASE_BOUND_MS,
): Promise<T> {
  let settled = false;
  const value = await sim.run(
    async (ray) => {
      try {
        return await driver(ray);
      } finally {
        settled = true;
      }
    },
    { untilMs: boundMs },
  );
  if (!settled) {
    const awaited = sim.world.kernel.awaitedLabels();
    throw new Error(
      `virtual-time bound: the run reached ${boundMs} ms with the driver still waiting on ${awaited.slice(0, 10).join(", ") || "(nothing registered)"}`,
    );
  }
  return value;
}

export interface PropertyOptions {
  numRuns?: number;
  /** The test file, for the replay line. */
  file: string;
}

export async function checkProperty<Ts>(
  property: fc.IAsyncProperty<Ts> | fc.IProperty<Ts>,
  options: PropertyOptions,
): Promise<void> {
  const seedEnv = process.env.RAYSIM_FC_SEED;
  const pathEnv = process.env.RAYSIM_FC_PATH;
  const seed =
    seedEnv !== undefined ? Number(seedEnv) : (Date.now() ^ (Math.random() * 0x100000000)) | 0;
  if (!Number.isInteger(seed))
    throw new Error(`RAYSIM_FC_SEED must be an integer, got ${JSON.stringify(seedEnv)}`);
  // Before the first case: a run that hangs or is killed can still be replayed.
  console.log(
    `# property seed: ${seed} — replay: RAYSIM_FC_SEED=${seed} node --import ./register.mjs --test ${options.file}`,
  );
  const params: fc.Parameters<Ts> = {
    seed,
    numRuns: pathEnv !== undefined ? 1 : (options.numRuns ?? 100),
  };
  if (pathEnv !== undefined) params.path = pathEnv;
  const details = await fc.check(property as fc.IAsyncProperty<Ts>, params);
  if (!details.failed) return;
  const error =
    details.errorInstance instanceof Error
      ? `${details.errorInstance.name}: ${details.errorInstance.message}`
      : String(details.errorInstance);
  const replay = `RAYSIM_FC_SEED=${details.seed} RAYSIM_FC_PATH=${details.counterexamplePath ?? ""} node --import ./register.mjs --test ${options.file}`;
  throw new Error(
    `property failed after ${details.numRuns} run(s), shrunk ${details.numShrinks} time(s)\n` +
      `seed: ${details.seed}, path: ${details.counterexamplePath}\n` +
      `counterexample: ${fc.stringify(details.counterexample)}\n` +
      `error: ${error}\n\nreplay: ${replay}`,
  );
}
