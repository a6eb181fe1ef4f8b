/**
 * Invariants checked after every event when `checkInvariants` is on (DESIGN.md "Checking it"):
 * resources never over-committed and GPU shares within [0, 1] on every raylet, stores consistent,
 * no execution on a dead node or a failed GPU, each (task, attempt) running at most once on nodes
 * not declared dead, at most one live instance of each actor (live: on a
 * node that holds its lease, so it could serve a call), and no lease held by a node declared dead.
 */
import { assert } from "../core/assert.js";
import type { GcsShardState } from "../core/gcs/shard-state.js";
import type { NodeRow } from "../core/gcs/tables.js";
import type { ClusterControl } from "./cluster-control.js";

/** The GCS's row for a node in the shards' states (Simulation.nodeRow, without a lookup per call). */
function rowIn(
  states: ReadonlyArray<GcsShardState | undefined>,
  name: string,
): NodeRow | undefined {
  for (const state of states) {
    const row = state?.nodes.get(name);
    if (row !== undefined) return row;
  }
  return undefined;
}

export function checkClusterInvariants(cluster: ClusterControl): void {
  // Once per check: finding each shard's state walks its chain, and a row is looked up per node
  // (per node and event it was most of a swarm seed's time: seed 794 ran past its wall bound).
  const states = cluster.gcs.states();
  const actorHomes = new Map<string, string>();
  for (const [name, raylet] of cluster.raylets) {
    const node = cluster.world.node(name);
    assert(node.alive, `raylet ${name} is registered but its node is dead`);
    raylet.checkInvariants();
    // Live: able to serve a call. A node without its lease (cut off long enough that the GCS may
    // have declared it dead and a new instance started) neither starts nor reports calls.
    const row = rowIn(states, name);
    const declaredDead =
      row !== undefined && row.state === "dead" && row.incarnation === raylet.config.incarnation;
    assert(
      !declaredDead || !raylet.holdsLease(),
      `raylet ${name} holds its lease though the GCS declared incarnation ${raylet.config.incarnation} dead`,
    );
    if (!raylet.holdsLease()) continue;
    for (const actorId of raylet.actors.actors.keys()) {
      const other = actorHomes.get(actorId);
      assert(other === undefined, `actor ${actorId} is alive on both ${other} and ${name}`);
      actorHomes.set(actorId, name);
    }
  }
  const attempts = new Set<string>();
  for (const node of cluster.world.nodes.values()) {
    if (!node.alive)
      assert(node.executions.size === 0, `node ${node.name} is dead but runs executions`);
    // A node the GCS declared dead (a cut-off side, before it hears so and exits) may still run a
    // zombie attempt, and the children it submits: its writes are fenced off by incarnation, so
    // only executions on nodes not declared dead must be unique per attempt.
    const row = rowIn(states, node.name);
    const fenced =
      row !== undefined && row.state === "dead" && row.incarnation === node.incarnation;
    for (const e of node.executions.values()) {
      const key = `${e.request.taskId}#${e.request.attempt ?? 0}`;
      if (!fenced) {
        assert(!attempts.has(key), `attempt ${key} runs twice at once`);
        attempts.add(key);
      }
      if (e.failed) continue;
      for (const g of e.request.gpuIds)
        assert(
          !node.failedGpus.has(g),
          `${e.request.taskId} runs on failed GPU ${g} of ${node.name}`,
        );
    }
  }
  checkGcs(cluster, states);
}

/**
 * The GCS part. On every live replica holding state: after it learns a node is dead (and the node
 * has not come back), it lists no copy there. Along each chain: a replica has applied at least
 * every write its successor has (chain replication's prefix property), so the tail's
 * acknowledgements are never ahead of any member.
 */
function checkGcs(cluster: ClusterControl, states: ReadonlyArray<GcsShardState | undefined>): void {
  for (let shard = 0; shard < cluster.config.gcs.shards; shard++) {
    const members = cluster.gcs.members(shard);
    for (let i = 0; i + 1 < members.length; i++) {
      const pred = cluster.gcs.replicaAt(members[i]!);
      const succ = cluster.gcs.replicaAt(members[i + 1]!);
      if (
        pred === undefined ||
        succ === undefined ||
        !cluster.world.isAlive(members[i]!) ||
        !cluster.world.isAlive(members[i + 1]!)
      )
        continue;
      if (!pred.installed || !succ.installed) continue;
      assert(
        pred.appliedSeq >= succ.appliedSeq,
        `GCS shard ${shard}: ${members[i]} applied ${pred.appliedSeq} < its successor's ${succ.appliedSeq}`,
      );
    }
    for (const replica of cluster.gcs.liveReplicas(shard))
      if (replica.installed) checkObjectTable(cluster, replica.state, states);
  }
}

/** After a shard learns a node is dead (and it has not come back), it lists no copy there. */
function checkObjectTable(
  cluster: ClusterControl,
  state: GcsShardState,
  states: ReadonlyArray<GcsShardState | undefined>,
): void {
  if (state.deadIncarnation.size === 0) return;
  for (const [node, deadIncarnation] of state.deadIncarnation) {
    const row = rowIn(states, node);
    if (row === undefined || row.state !== "dead" || row.incarnation !== deadIncarnation) continue;
    // Back already, though its first heartbeat was lost: its new incarnation may hold copies.
    if (cluster.world.node(node).incarnation > deadIncarnation) continue;
    for (const entry of state.objects.values()) {
      assert(
        !entry.locations.includes(node),
        `object table lists ${entry.objectId} on ${node}, declared dead`,
      );
    }
  }
}
