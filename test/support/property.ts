/**
 * fast-check under node:test with replayable failures (STYLE.md §9): RAYSIM_FC_SEED and
 * RAYSIM_FC_PATH feed `fc.assert`; a failure prints the seed, the path and the command that replays it.
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
  const params: fc.Parameters<Ts> = { seed, numRuns: options.numRuns ?? 100, verbose: 1 };
  if (pathEnv !== undefined) params.path = pathEnv;
  const details = await fc.check(property as fc.IAsyncProperty<Ts>, params);
  if (details.failed) {
    const report = fc.defaultReportMessage(details) ?? "property failed";
    const replay = `RAYSIM_FC_SEED=${details.seed} RAYSIM_FC_PATH=${details.counterexamplePath ?? ""} node --import ./register.mjs --test ${options.file}`;
    throw new Error(`${report}\n\nreplay: ${replay}`);
  }
}
