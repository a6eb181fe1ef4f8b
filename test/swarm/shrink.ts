/**
 * Shrinks a failing seed's fault schedule by greedy delta debugging: drop one fault at a time and
 * keep it dropped while the run still fails the same way (same verdict), until no single fault
 * can go. The workload stays whole: it is the seed's, and replays from the seed alone.
 */
import { runSeed, type RunSeedOptions, type SeedResult, type Verdict } from "./run-seed.js";

/** Wall time one seed's shrinking may take (a failing pre-stop run must still print its report). */
const SHRINK_BUDGET_MS = 30_000;

export async function shrinkFailure(
  first: SeedResult,
  options: RunSeedOptions,
  onRun?: () => void,
): Promise<SeedResult> {
  let best = first;
  const deadline = Date.now() + SHRINK_BUDGET_MS;
  for (let progress = true; progress;) {
    progress = false;
    for (let i = 0; i < best.kept.length; i++) {
      if (Date.now() > deadline)
        return {
          ...best,
          shrinkNote: `shrinking stopped at its ${SHRINK_BUDGET_MS / 1000} s budget`,
        };
      const keep = best.kept.filter((_, j) => j !== i);
      onRun?.();
      const candidate = await runSeed(first.seed, { ...options, keep });
      if (sameFailure(candidate.verdict, first.verdict)) {
        best = candidate;
        progress = true;
        i--;
      }
    }
  }
  return best;
}

/** A run that overstays its wall bound is the same failure as one that overstays its virtual bound. */
function sameFailure(a: Verdict, b: Verdict): boolean {
  const family = (v: Verdict) => (v === "wall-bound" ? "virtual-bound" : v);
  return family(a) === family(b);
}

/** Runs a seed and, if it fails, shrinks it; returns the full run and the shrunk one. */
export async function runAndShrink(
  seed: number,
  options: RunSeedOptions & { shrink: boolean },
  onRun?: () => void,
): Promise<{ full: SeedResult; shrunk: SeedResult | undefined }> {
  onRun?.();
  const full = await runSeed(seed, options);
  if (full.verdict === "pass" || !options.shrink) return { full, shrunk: undefined };
  return { full, shrunk: await shrinkFailure(full, options, onRun) };
}
