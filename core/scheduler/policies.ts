/**
 * Placement policies of the global scheduler (pluggable). Each scores the feasible nodes; the
 * lowest score wins, ties going to the node listed first. "locality-aware" is the Ray paper's
 * (§4.2.2): estimated waiting time = queue length × mean task time + bytes of arguments that are
 * not on the node / bandwidth. "locality-unaware" drops the transfer term (the baseline of Fig 8a);
 * "random" picks uniformly among feasible nodes.
 */
import { choiceIndex } from "../random/distributions.js";
import type { Rng } from "../env.js";
import { transferUs } from "../units.js";
import { assert, unreachable } from "../assert.js";

export type PolicyName = "locality-aware" | "locality-unaware" | "random";
export const POLICY_NAMES: readonly PolicyName[] = ["locality-aware", "locality-unaware", "random"];

export interface Candidate {
  readonly node: string;
  readonly queueLength: number;
  readonly meanTaskUs: number;
  readonly cpus: number;
  /** Bytes of the task's arguments that would have to be fetched to this node. */
  readonly missingBytes: number;
  /** Share of its CPUs free now (last heartbeat minus what was placed there since), 0–1. */
  readonly freeCpuFraction: number;
}

export interface PlacementPolicy {
  pick(candidates: readonly Candidate[], rng: Rng): number;
}

function waitUs(c: Candidate, bandwidthBytesPerSec: number, withTransfer: boolean): number {
  const queueUs = (c.queueLength * Math.max(c.meanTaskUs, 1)) / Math.max(c.cpus, 1);
  return queueUs + (withTransfer ? transferUs(c.missingBytes, bandwidthBytesPerSec) : 0);
}

function lowest(
  candidates: readonly Candidate[],
  score: (c: Candidate) => number,
  rng: Rng,
): number {
  // The scheduler asks only with a feasible node in hand.
  assert(candidates.length > 0, "placement policy: no candidate nodes");
  let best: number[] = [];
  let bestScore = Infinity;
  candidates.forEach((c, i) => {
    const s = score(c);
    assert(s >= 0, `placement policy: node ${c.node} scored ${s}`);
    if (s < bestScore - 1e-9) {
      bestScore = s;
      best = [i];
    } else if (Math.abs(s - bestScore) <= 1e-9) best.push(i);
  });
  // Break ties at random so equally loaded nodes share the work.
  return best[choiceIndex(rng, best.length)]!;
}

/**
 * Where an actor goes: the node with the largest share of its CPUs free, ties at random (Ray spreads
 * actors by available resources). An actor holds its CPU for good and never shows in a queue, so
 * queue-length scores see every node as equally idle and a burst of creations piles onto the nodes
 * that heartbeated last.
 */
export function pickBySpread(candidates: readonly Candidate[], rng: Rng): number {
  return lowest(candidates, (c) => 1 - Math.min(1, Math.max(0, c.freeCpuFraction)), rng);
}

export function makePolicy(name: PolicyName, bandwidthBytesPerSec: number): PlacementPolicy {
  assert(
    bandwidthBytesPerSec > 0,
    `placement policy ${name}: bandwidth must be > 0, got ${bandwidthBytesPerSec}`,
  );
  switch (name) {
    case "locality-aware":
      return { pick: (cs, rng) => lowest(cs, (c) => waitUs(c, bandwidthBytesPerSec, true), rng) };
    case "locality-unaware":
      return { pick: (cs, rng) => lowest(cs, (c) => waitUs(c, bandwidthBytesPerSec, false), rng) };
    case "random":
      return { pick: (cs, rng) => choiceIndex(rng, cs.length) };
    default:
      return unreachable(name, "placement policy");
  }
}
