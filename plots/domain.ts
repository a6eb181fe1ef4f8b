/**
 * Domains that d3 can always tick. Rows may hold NaN, infinities, one value, or values so close that
 * the span underflows; d3's `nice()`/`ticks()` then return NaN or throw (sub-normal spans crash
 * d3-array's `ticks` with "Invalid array length"; found by fast-check, see ts-setup.md gotcha 7).
 * Values beyond ±1e300 are dropped as unplottable, so a span never overflows to Infinity.
 */
import { scaleLinear, scaleLog, ticks as d3ticks, type ScaleContinuousNumeric } from "d3";

export const PLOTTABLE_MAX = 1e300;
/** Below this magnitude a whole domain counts as zero (sub-normal territory for ticks). */
const TINY = 1e-100;
/** A span this small relative to the values has no distinguishable ticks. */
const RELATIVE_SPAN_MIN = 1e-12;

export function isPlottable(value: number): boolean {
  return Number.isFinite(value) && Math.abs(value) <= PLOTTABLE_MAX;
}

/** The [min, max] of the plottable values, widened so that it has a usable span. */
export function safeExtent(
  values: Iterable<number>,
  options: { includeZero?: boolean } = {},
): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!isPlottable(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (options.includeZero === true) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  if (lo > hi) return [0, 1];
  const magnitude = Math.max(Math.abs(lo), Math.abs(hi));
  if (magnitude < TINY) return options.includeZero === true ? [0, 1] : [-1, 1];
  if (hi - lo <= magnitude * RELATIVE_SPAN_MIN) {
    const pad = magnitude * 0.1;
    const padded: [number, number] = [lo - pad, hi + pad];
    if (options.includeZero === true && lo >= 0) padded[0] = Math.max(0, padded[0]);
    if (options.includeZero === true && hi <= 0) padded[1] = Math.min(0, padded[1]);
    return padded;
  }
  return [lo, hi];
}

/**
 * A linear scale over a safe extent, made nice, mapping onto [r0, r1]. With `unit` > 1 (a time
 * axis shown in minutes) the domain is made nice in that unit, so ticks fall on whole minutes.
 */
export function linearScale(
  extent: [number, number],
  r0: number,
  r1: number,
  tickCount: number,
  unit = 1,
): ScaleContinuousNumeric<number, number> {
  const inUnit = scaleLinear()
    .domain([extent[0] / unit, extent[1] / unit])
    .nice(tickCount);
  const [n0, n1] = inUnit.domain() as [number, number];
  const scale = scaleLinear()
    .domain([n0 * unit, n1 * unit])
    .range([r0, r1]);
  const [d0, d1] = scale.domain() as [number, number];
  // nice() can push a bound past ±1e300 or back onto a zero span; fall back to the raw extent.
  if (!isPlottable(d0) || !isPlottable(d1) || d0 === d1) scale.domain(extent);
  return scale;
}

/** The smallest value a log axis shows: nice() on sub-normal bounds rounds down to 0 = log(−∞). */
export const LOG_MIN = 1e-300;

/** A log scale over values >= LOG_MIN (callers drop the rest); nice() keeps whole decades. */
export function logScale(
  extent: [number, number],
  r0: number,
  r1: number,
): ScaleContinuousNumeric<number, number> {
  const lo = Math.max(extent[0], LOG_MIN);
  const hi = extent[1] > lo ? extent[1] : lo * 10;
  return scaleLog().domain([lo, hi]).range([r0, r1]).nice();
}

/** Ticks that are all finite, at most `count`-ish, inside the domain (nice in `unit`, see above). */
export function safeTicks(
  scale: ScaleContinuousNumeric<number, number>,
  count: number,
  unit = 1,
): number[] {
  const [d0, d1] = scale.domain() as [number, number];
  const ticks = (
    unit === 1 ? scale.ticks(count) : d3ticks(d0 / unit, d1 / unit, count).map((t) => t * unit)
  ).filter(isPlottable);
  if (ticks.length > 0) return ticks;
  return scale.domain().filter(isPlottable);
}
