/**
 * Splitting rows into named series in the order each name first appears, so the legend and the
 * colours follow the table rather than an alphabet (except task causes, which always come in
 * their own order: original, retry, reconstruction, replay); and deterministic thinning.
 */
import type { Accessor } from "./chart.js";
import { CAUSE_COLORS } from "./palette.js";

const CAUSE_ORDER = Object.keys(CAUSE_COLORS);

function causeRank(name: string): number {
  const i = CAUSE_ORDER.indexOf(name);
  return i < 0 ? CAUSE_ORDER.length : i;
}

export interface Series<R> {
  name: string;
  rows: { row: R; index: number }[];
}

export function splitSeries<R>(rows: readonly R[], series: Accessor<R, string>): Series<R>[] {
  const byName = new Map<string, Series<R>>();
  rows.forEach((row, index) => {
    const name = String(series(row, index) ?? "");
    let s = byName.get(name);
    if (s === undefined) {
      s = { name, rows: [] };
      byName.set(name, s);
    }
    s.rows.push({ row, index });
  });
  // Array.prototype.sort is stable: non-causes keep their first-appearance order.
  return [...byName.values()].sort((a, b) => causeRank(a.name) - causeRank(b.name));
}

/** Every k-th item so that at most `countMax` remain (always keeps the first). */
export function thin<T>(items: readonly T[], countMax: number): T[] {
  if (items.length <= countMax || countMax <= 0) return [...items];
  const stride = Math.ceil(items.length / countMax);
  return items.filter((_, i) => i % stride === 0);
}
