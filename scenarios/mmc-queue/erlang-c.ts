/**
 * Erlang C: the M/M/c queue in steady state (A. K. Erlang, 1917; L. Kleinrock, Queueing Systems
 * Vol. 1, 1975, §3.5; M. Harchol-Balter, Performance Modeling and Design of Computer Systems,
 * 2013, ch. 14). With arrival rate λ, mean service time 1/μ, c servers and offered load a = λ/μ
 * (ρ = a/c < 1): the probability that an arriving job waits is C(c, a); the mean wait is
 * W_q = C(c, a) / (cμ − λ); the wait is 0 with probability 1 − C and otherwise exponential with
 * rate cμ − λ, so P(W ≤ t) = 1 − C·e^{−(cμ−λ)t}; by Little's law L_q = λ·W_q.
 *
 * C is computed from Erlang B's recursion, B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)), then
 * C = B / (1 − ρ(1 − B)): no factorials, so it stays exact for hundreds of servers.
 */

export interface MmcTheory {
  probWait: number;
  meanWaitMs: number;
  meanQueueLength: number;
  utilisation: number;
  /** cμ − λ, per ms: the rate of the waiting time's exponential tail. */
  drainRatePerMs: number;
}

export function erlangB(servers: number, offeredLoad: number): number {
  if (!(Number.isInteger(servers) && servers >= 1))
    throw new Error(`erlangB: servers must be an integer >= 1, got ${servers}`);
  if (!(offeredLoad >= 0))
    throw new Error(`erlangB: offered load must be >= 0, got ${offeredLoad}`);
  let b = 1;
  for (let k = 1; k <= servers; k++) b = (offeredLoad * b) / (k + offeredLoad * b);
  return b;
}

export function erlangC(servers: number, offeredLoad: number): number {
  const rho = offeredLoad / servers;
  if (!(rho < 1)) throw new Error(`erlangC: utilisation ${rho} must be < 1 for a steady state`);
  const b = erlangB(servers, offeredLoad);
  return b / (1 - rho * (1 - b));
}

export function mmcTheory(
  servers: number,
  arrivalRatePerMs: number,
  serviceMeanMs: number,
): MmcTheory {
  const offeredLoad = arrivalRatePerMs * serviceMeanMs;
  const probWait = erlangC(servers, offeredLoad);
  const drainRatePerMs = servers / serviceMeanMs - arrivalRatePerMs;
  const meanWaitMs = probWait / drainRatePerMs;
  return {
    probWait,
    meanWaitMs,
    meanQueueLength: arrivalRatePerMs * meanWaitMs,
    utilisation: offeredLoad / servers,
    drainRatePerMs,
  };
}

/** P(W ≤ t) for the waiting time W. */
export function mmcWaitCdf(theory: MmcTheory, tMs: number): number {
  return tMs < 0 ? 0 : 1 - theory.probWait * Math.exp(-theory.drainRatePerMs * tMs);
}

/** The t with P(W ≤ t) = q (0 when q <= 1 − C, as the atom at zero covers it). */
export function mmcWaitQuantileMs(theory: MmcTheory, q: number): number {
  if (q <= 1 - theory.probWait) return 0;
  return Math.log(theory.probWait / (1 - q)) / theory.drainRatePerMs;
}
