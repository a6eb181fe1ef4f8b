/**
 * fast-check under node:test with replayable failures (STYLE.md §9): RAYSIM_FC_SEED and
 * RAYSIM_FC_PATH feed `fc.assert`; a failure prints the seed, the path, the shrunk counterexample,
 * its error, and the command that replays it.
 */
import fc from "fast-check";

export interface PropertyOptions {
  numRuns?: number;
  /** The test file, for the replay line. */
  file: string;
}

export async function checkProperty<Ts>(property: fc.IAsyncProperty<Ts> | fc.IProperty<Ts>, options: PropertyOptions): Promise<void> {
  const seedEnv = process.env.RAYSIM_FC_SEED;
  const pathEnv = process.env.RAYSIM_FC_PATH;
  const seed = seedEnv !== undefined ? Number(seedEnv) : (Date.now() ^ (Math.random() * 0x100000000)) | 0;
  const params: fc.Parameters<Ts> = { seed, numRuns: pathEnv !== undefined ? 1 : (options.numRuns ?? 100) };
  if (pathEnv !== undefined) params.path = pathEnv;
  const details = await fc.check(property as fc.IAsyncProperty<Ts>, params);
  if (!details.failed) return;
  const error = details.errorInstance instanceof Error ? `${details.errorInstance.name}: ${details.errorInstance.message}` : String(details.errorInstance);
  const replay = `RAYSIM_FC_SEED=${details.seed} RAYSIM_FC_PATH=${details.counterexamplePath ?? ""} node --import ./register.mjs --test ${options.file}`;
  throw new Error(
    `property failed after ${details.numRuns} run(s), shrunk ${details.numShrinks} time(s)\n` +
      `seed: ${details.seed}, path: ${details.counterexamplePath}\n` +
      `counterexample: ${fc.stringify(details.counterexample)}\n` +
      `error: ${error}\n\nreplay: ${replay}`,
  );
}
