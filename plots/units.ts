/**
 * Tick and value formats by unit, so axes read "200 ms", "1.5 s", "10 MB", "1k", "50%". The unit
 * of a value says what the number is measured in: "ms" (durations; shown in µs, ms, s or min,
 * whichever reads best for the axis), "bytes" (shown in B, kB, MB, GB, TB: powers of 1000),
 * "fraction" (shown as a percentage), anything else a count unit ("tasks/s", "jobs") that goes into
 * the axis title while ticks use SI prefixes (1k, 2.5M).
 */
import { format as d3format, precisionFixed } from "d3";

export type Unit = "ms" | "bytes" | "fraction" | (string & {});

export interface AxisFormat {
  /** Formats one tick value (given in the axis unit); a plain function, safe to pass around. */
  format: (value: number) => string;
  /** The unit for the axis title, e.g. "s" when ticks are shown in seconds; "" for none. */
  titleUnit: string;
}

interface Scaled {
  divisor: number;
  suffix: string;
}

const TIME_STEPS: readonly (Scaled & { from: number })[] = [
  { from: 7_200_000, divisor: 3_600_000, suffix: "h" },
  { from: 120_000, divisor: 60_000, suffix: "min" },
  { from: 2_000, divisor: 1_000, suffix: "s" },
  { from: 1, divisor: 1, suffix: "ms" },
  { from: 0, divisor: 0.001, suffix: "µs" },
];

/** For single values: switch unit as soon as the next one reads 1 or more (1.07 s, not 1070 ms). */
const TIME_STEPS_EXACT: readonly (Scaled & { from: number })[] = [
  { from: 3_600_000, divisor: 3_600_000, suffix: "h" },
  { from: 60_000, divisor: 60_000, suffix: "min" },
  { from: 1_000, divisor: 1_000, suffix: "s" },
  { from: 1, divisor: 1, suffix: "ms" },
  { from: 0, divisor: 0.001, suffix: "µs" },
];

const BYTE_STEPS: readonly (Scaled & { from: number })[] = [
  { from: 1e15, divisor: 1e15, suffix: "PB" },
  { from: 1e12, divisor: 1e12, suffix: "TB" },
  { from: 1e9, divisor: 1e9, suffix: "GB" },
  { from: 1e6, divisor: 1e6, suffix: "MB" },
  { from: 1e3, divisor: 1e3, suffix: "kB" },
  { from: 0, divisor: 1, suffix: "B" },
];

const COUNT_STEPS: readonly (Scaled & { from: number })[] = [
  { from: 1e12, divisor: 1e12, suffix: "T" },
  { from: 1e9, divisor: 1e9, suffix: "G" },
  { from: 1e6, divisor: 1e6, suffix: "M" },
  { from: 1e3, divisor: 1e3, suffix: "k" },
  { from: 0, divisor: 1, suffix: "" },
];

/** Beyond these magnitudes prefixes stop helping; exponent notation is clearer. */
const EXPONENT_ABOVE = 1e18;
const EXPONENT_BELOW = 1e-6;
const exponent = d3format(".2~e");

function maxAbs(values: readonly number[]): number {
  let m = 0;
  for (const v of values) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m;
}

function smallestStep(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  let step = Number.POSITIVE_INFINITY;
  for (let i = 1; i < sorted.length; i++) {
    const d = sorted[i]! - sorted[i - 1]!;
    if (d > 0) step = Math.min(step, d);
  }
  return Number.isFinite(step) ? step : Math.abs(sorted[0] ?? 1) || 1;
}

function pick(steps: readonly (Scaled & { from: number })[], magnitude: number): Scaled {
  return steps.find((s) => magnitude >= s.from) ?? steps[steps.length - 1]!;
}

function needsExponent(magnitude: number): boolean {
  return magnitude >= EXPONENT_ABOVE || (magnitude > 0 && magnitude < EXPONENT_BELOW);
}

/** The decimals that tell ticks `step` apart once divided by `divisor`, capped for readability. */
function fixed(step: number, divisor: number): (value: number) => string {
  const decimals = Math.min(6, precisionFixed(Math.max(step / divisor, 1e-6)));
  return d3format(`.${decimals}~f`);
}

function scaled(
  steps: readonly (Scaled & { from: number })[],
  ticks: readonly number[],
  spaced: boolean,
): AxisFormat {
  const magnitude = maxAbs(ticks);
  if (needsExponent(magnitude))
    return { format: (v) => (v === 0 ? "0" : exponent(v)), titleUnit: "" };
  const unit = pick(steps, magnitude);
  const body = fixed(smallestStep(ticks), unit.divisor);
  const gap = spaced && unit.suffix !== "" ? " " : "";
  return {
    format: (v) => clean(body(v / unit.divisor)) + gap + unit.suffix,
    titleUnit: unit.suffix,
  };
}

/** Each tick in its own best unit: for log axes, where ticks span decades (100 µs … 10 s). */
function perTick(
  steps: readonly (Scaled & { from: number })[],
  spaced: boolean,
): (v: number) => string {
  return (v) => {
    const magnitude = Math.abs(v);
    if (needsExponent(magnitude)) return exponent(v);
    const unit = pick(steps, magnitude);
    const gap = spaced && unit.suffix !== "" ? " " : "";
    return clean(d3format(".3~r")(v / unit.divisor)) + gap + unit.suffix;
  };
}

/** Counts: SI prefixes from 1k up, chosen per tick as d3's "~s" does (200, 1.2k), never milli. */
function counts(ticks: readonly number[]): (v: number) => string {
  const magnitude = maxAbs(ticks);
  if (needsExponent(magnitude)) return (v) => (v === 0 ? "0" : exponent(v));
  const step = smallestStep(ticks);
  return (v) => {
    const unit = pick(COUNT_STEPS, Math.abs(v));
    return clean(fixed(step, unit.divisor)(v / unit.divisor)) + unit.suffix;
  };
}

/** d3 prints "−" (U+2212) for negatives; keep it, but never print "-0". */
function clean(s: string): string {
  return s === "−0" || s === "-0" ? "0" : s;
}

/**
 * The tick format for an axis showing `ticks` measured in `unit`. Time and bytes use one unit for
 * the whole axis (it is in the title too), except on log axes (`perTickUnits`), where ticks span
 * decades and each takes its own.
 */
export function axisFormat(unit: Unit, ticks: readonly number[], perTickUnits = false): AxisFormat {
  if (unit === "ms" || unit === "bytes") {
    if (perTickUnits)
      return {
        format: perTick(unit === "ms" ? TIME_STEPS_EXACT : BYTE_STEPS, true),
        titleUnit: "",
      };
    return scaled(unit === "ms" ? TIME_STEPS : BYTE_STEPS, ticks, true);
  }
  if (unit === "fraction") {
    const body = fixed(smallestStep(ticks) * 100, 1);
    return { format: (v) => clean(body(v * 100)) + "%", titleUnit: "%" };
  }
  return { format: perTickUnits ? perTick(COUNT_STEPS, false) : counts(ticks), titleUnit: unit };
}

/**
 * The step ticks should be nice in, for an axis over `extent` in `unit`: minutes and hours are not
 * decimal multiples of ms, so ticks at 50 000 ms would read "0.8 min"; ticks are chosen in the
 * display unit instead (1, 2, 3 min). 1 for every other unit.
 */
export function tickUnit(unit: Unit, extent: readonly [number, number]): number {
  if (unit !== "ms") return 1;
  const divisor = pick(TIME_STEPS, maxAbs(extent)).divisor;
  return divisor >= 60_000 ? divisor : 1;
}

/** The axis title: "latency (ms)", or just the label when there is no unit. */
export function axisTitle(label: string, titleUnit: string): string {
  return titleUnit === "" ? label : `${label} (${titleUnit})`;
}

/** One value for a table or a label, three significant digits in its best unit. */
export function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return "—";
  const magnitude = Math.abs(value);
  if (needsExponent(magnitude))
    return exponent(value) + (unit === "fraction" || unit === "" ? "" : ` ${unit}`);
  if (unit === "fraction") return clean(d3format(".3~r")(value * 100)) + "%";
  const steps = unit === "ms" ? TIME_STEPS_EXACT : unit === "bytes" ? BYTE_STEPS : COUNT_STEPS;
  const s = pick(steps, magnitude);
  const body = clean(d3format(".3~r")(value / s.divisor));
  if (unit === "ms" || unit === "bytes") return `${body} ${s.suffix}`;
  return unit === "" ? body + s.suffix : `${body}${s.suffix} ${unit}`;
}
