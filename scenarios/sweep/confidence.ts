/**
 * Means and 95% confidence intervals across seeds: mean ± t(0.975, n−1)·s/√n with the sample
 * standard deviation s (Student's t, since sweeps have few seeds). With one seed there is no
 * interval: low = high = mean.
 */

/** t(0.975, df) for df = 1..30 (standard tables); beyond, the Cornish–Fisher expansion below. */
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
  2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048,
  2.045, 2.042,
];

export function tQuantile975(df: number): number {
  if (!(df >= 1)) throw new Error(`tQuantile975: degrees of freedom must be >= 1, got ${df}`);
  const tabled = T_975[Math.floor(df) - 1];
  if (tabled !== undefined) return tabled;
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
}

export interface Interval {
  n: number;
  mean: number;
  stddev: number;
  low: number;
  high: number;
}

/** Mean and 95% CI of the finite values (NaN fields when there are none). */
export function confidenceInterval(values: readonly number[]): Interval {
  const xs = values.filter(Number.isFinite);
  const n = xs.length;
  if (n === 0)
    return { n, mean: Number.NaN, stddev: Number.NaN, low: Number.NaN, high: Number.NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean, stddev: Number.NaN, low: mean, high: mean };
  const stddev = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const half = (tQuantile975(n - 1) * stddev) / Math.sqrt(n);
  return { n, mean, stddev, low: mean - half, high: mean + half };
}
