/**
 * Tables to CSV with csv-stringify: `toCsv` for small tables in memory, `writeCsv` streams rows to a
 * file with bounded memory (the whole-array sync call costs ~0.7 GB at 1M rows; ts-setup.md §5).
 */
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { stringify } from "csv-stringify";
import { stringify as stringifySync } from "csv-stringify/sync";

export type Row = Record<string, unknown>;

/** Column order: the given columns, else the keys of the first row. */
function columnsOf(rows: readonly Row[], columns?: readonly string[]): string[] {
  if (columns !== undefined) return [...columns];
  const first = rows[0];
  return first === undefined ? [] : Object.keys(first);
}

function cell(value: unknown): unknown {
  if (Array.isArray(value)) return value.join(" ");
  if (typeof value === "number" && !Number.isFinite(value)) return "";
  return value;
}

function normalise(row: Row, columns: readonly string[]): Row {
  const out: Row = {};
  for (const c of columns) out[c] = cell(row[c]);
  return out;
}

export function toCsv(rows: readonly Row[], columns?: readonly string[]): string {
  const cols = columnsOf(rows, columns);
  return stringifySync(
    rows.map((r) => normalise(r, cols)),
    { header: true, columns: cols },
  );
}

export async function writeCsv(
  path: string,
  rows: Iterable<Row>,
  columns: readonly string[],
): Promise<void> {
  const cols = [...columns];
  const source = Readable.from(
    (function* () {
      for (const r of rows) yield normalise(r, cols);
    })(),
  );
  await pipeline(source, stringify({ header: true, columns: cols }), createWriteStream(path));
}
