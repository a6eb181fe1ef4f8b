/**
 * The fixed slice of the swarm that `npm test` runs: seeds 1..200 (RAYSIM_SWARM_SEEDS=A..B for
 * another slice) and every seed that ever failed (REGRESSION_SEEDS), each a random workload under a random schedule from every fault kind, checked
 * against the outcomes its schedule decides. A failure prints the swarm's report: the seed, its
 * schedule as `sim.faults` calls, and `npm run swarm -- --seeds N`, which replays and shrinks it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runSeeds } from "./pool.js";
import { report } from "./report.js";

const [first, last] = (process.env.RAYSIM_SWARM_SEEDS ?? "1..200").split("..").map(Number) as [
  number,
  number,
];

/**
 * Seeds that found a bug once, run on every `npm test` from then on: 241, 496, 498, 521 (nested
 * tasks, chain master, leases), 820 (a task made ready inside a nested dispatch was dropped), 950
 * (the chain master killed before its first ping), 1017 (a doomed-GCS workload that never needed it),
 * 901 (a first attempt at 950 that changed how a fresh chain starts), 2541 (an actor notification lost
 * where a chain tail changed hands), 4298, 5873, 7673, 8913 (an owner's retry grant adopted from
 * the task table before its reply), 6191, 7310 (a placement fenced by the GCS, its node dead
 * first), 3199, 5993, 8284 (a placement on a node already declared dead), 5369 (an actor creation
 * run on two nodes), 3647 (a stale object location after a partition), 6165, 9917 (object
 * locations lost with a chain tail), 5627 (a retry that overtook its task.add), 4456, 4897, 5219,
 * 5410, 7050, 8558, 8572, 8782, 9113, 9996 (heartbeats sent to a dead head after the chain master
 * restarted), 5417 (a pull from a node known dead), 9673 (a chain write from an earlier link),
 * 4066 (a live tail falsely suspected as the head died), 6955, 7554 (outputs whose object-table
 * writes died with their node, the owner done with the task), 1478, 4528 (failed at the merge of the
 * fixes above before the last two: a shard's live tail suspected under drops), 8641 (the same run:
 * a virtual-time bound).
 */
const REGRESSION_SEEDS = [
  241, 496, 498, 521, 654, 820, 901, 950, 1017, 1478, 2541, 3199, 3647, 4066, 4298, 4456, 4528,
  4897, 5219, 5369, 5410, 5417, 5627, 5873, 5898, 5993, 6165, 6191, 6955, 7050, 7160, 7310, 7554,
  7673, 8284, 8483, 8558, 8572, 8641, 8782, 8913, 9113, 9673, 9917, 9996,
];

test(
  `swarm seeds ${first}..${last} and ${REGRESSION_SEEDS.length} regression seeds: failure-free values or the decided typed errors, no livelock, no invariant violation`,
  { timeout: 600_000 },
  async () => {
    const slice = Array.from({ length: last - first + 1 }, (_, i) => first + i);
    const seeds = [...slice, ...REGRESSION_SEEDS.filter((s) => s < first || s > last)];
    const started = Date.now();
    const outcomes = await runSeeds(seeds, {
      jobs: 1,
      wallMs: 20_000,
      shrink: false,
      onStart: (seed) => process.stdout.write(`# swarm seed ${seed}\n`),
    });
    const { text, failures } = report(outcomes, Date.now() - started, 1);
    console.log(
      text
        .split("\n")
        .map((l) => `# ${l}`)
        .join("\n"),
    );
    assert.equal(failures, 0, `${failures} swarm seed(s) failed:\n${text}`);
  },
);
