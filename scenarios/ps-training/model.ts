/**
 * The real numbers behind the parameter-server scenario: a small parameter vector per shard and a
 * gradient that is a deterministic function of (worker, iteration, parameters), so a shard that
 * replays its `apply` calls in their original order from the same gradients reaches exactly the
 * failure-free parameters, and a wrong replay (missing, repeated or reordered calls) does not.
 */

export interface ShardValue {
  version: number;
  values: number[];
}

export function initialShard(shard: number, elems: number): ShardValue {
  return {
    version: 0,
    values: Array.from({ length: elems }, (_, k) => ((shard * 31 + k * 17) % 100) / 10),
  };
}

/** A per-(worker, iteration, shard, element) target in [0, 10): what this worker's batch "wants". */
function target(worker: number, iteration: number, shard: number, k: number): number {
  return (
    (((Math.imul(worker + 1, 2654435761) ^
      Math.imul(iteration + 1, 40503) ^
      Math.imul(shard * 131 + k + 1, 97)) >>>
      0) %
      1000) /
    100
  );
}

/** The gradient of ½‖p − target‖² for one shard. */
export function gradientShard(
  worker: number,
  iteration: number,
  shard: number,
  params: ShardValue,
): number[] {
  return params.values.map((p, k) => p - target(worker, iteration, shard, k));
}

/** SGD on the mean gradient, workers in their order (the order replay keeps). */
export function applyGradients(
  current: ShardValue,
  grads: readonly (readonly number[])[],
  learningRate: number,
): ShardValue {
  const values = current.values.map(
    (p, k) => p - (learningRate * grads.reduce((a, g) => a + g[k]!, 0)) / grads.length,
  );
  return { version: current.version + 1, values };
}
