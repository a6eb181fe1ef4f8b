/**
 * Fig 11b's headline relations at tiny size: the killed nodes' share of actors is restarted (an even
 * spread, not a pile-up), each restarted actor replays at most one checkpoint interval of calls with
 * checkpoints (the running call plus those after the checkpoint) and every call it had started
 * without, and the paper's totals are marked "scaled down" off the paper's setup.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { actorReconstruction } from "../../scenarios/actor-reconstruction.js";
import { resolveParams } from "../../scenarios/runner/params.js";
import type { Headline } from "../../scenarios/scenario.js";

const TINY = { nodes: 5, actors: 20, killedNodes: 1, methodMs: 100, killAtS: 2.5, runS: 3.5 };

async function run(checkpointInterval: number): Promise<Map<string, Headline>> {
  const params = resolveParams(actorReconstruction, "quick", { ...TINY, checkpointInterval });
  const result = await actorReconstruction.run(params as never, 1, () => {});
  const rows = result.tables.actorRecovery!.rows;
  // Every restarted actor serves again: the protocol recovered it.
  for (const r of rows)
    assert.ok(Number.isFinite(r.servingMs) && (r.servingMs as number) > (r.failureMs as number));
  return new Map(result.headlines.map((h) => [h.key, h]));
}

test("the killed node's share of actors restarts; checkpoints bound the replay to one interval", async () => {
  const withCheckpoints = await run(2);
  const without = await run(0);
  for (const h of [withCheckpoints, without]) {
    assert.equal(h.get("actorsRestarted")!.value, 4, "20 actors over 5 nodes: 4 on the killed one");
    assert.equal(h.get("actorsRestarted")!.reference!.value, 4);
    assert.equal(
      h.get("callsReplayed")!.reference!.scaledDown,
      true,
      "the paper's totals are for 2 000 actors",
    );
  }
  const perActor = withCheckpoints.get("callsReplayedPerActor")!.value;
  assert.ok(
    perActor >= 1 && perActor <= 2,
    `with a checkpoint every 2 calls an actor replays 1 or 2, got ${perActor}`,
  );
  // Without checkpoints an actor replays every call it started: about killAtS / methodMs = 25.
  const all = without.get("callsReplayedPerActor")!.value;
  assert.ok(all >= 15 && all <= 30, `without checkpoints ≈ 25 per actor, got ${all}`);
  assert.equal(without.get("callsReplayedPerActor")!.reference!.value, 25);
  assert.equal(
    without.get("callsReplayedPerActor")!.reference!.scaledDown,
    undefined,
    "the quick size keeps the paper's calls per actor",
  );
});
