/**
 * What the CLI writes to and reads from, passed in so tests can run it in-process: results and
 * paths on stdout, progress and errors on stderr, defaults from the environment.
 */
import type { ProgressStream } from "./progress.js";
import type { Headline } from "../scenario.js";
import { formatValue } from "../../plots/units.js";
import { SCALED_DOWN } from "../output/summary.js";

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: ProgressStream;
  env: Readonly<Record<string, string | undefined>>;
}

/** A failed run (not bad input): printed with the command that replays it, exit code 1. */
export class RunFailedError extends Error {
  override name = "RunFailedError";
}

/** "+1.3%", "-0.4%", and "0.0%" rather than "-0.0%". */
export function signedPercent(fraction: number): string {
  const text = (100 * fraction).toFixed(1);
  if (/^-?0\.0$/.test(text)) return "0.0%";
  return (fraction > 0 ? "+" : "") + text + "%";
}

export function headlineLines(headlines: readonly Headline[]): string {
  const width = Math.max(0, ...headlines.map((h) => h.label.length));
  return headlines
    .map((h) => {
      const value = formatValue(h.value, h.unit);
      if (h.reference === undefined) return `  ${h.label.padEnd(width)}  ${value}`;
      const ref = h.reference.value;
      if (h.reference.scaledDown === true)
        return `  ${h.label.padEnd(width)}  ${value}  (reference ${formatValue(ref, h.unit)}, ${SCALED_DOWN})`;
      const relative =
        ref !== 0 && Number.isFinite(h.value)
          ? `, ${signedPercent((h.value - ref) / Math.abs(ref))}`
          : "";
      return `  ${h.label.padEnd(width)}  ${value}  (reference ${formatValue(ref, h.unit)}${relative})`;
    })
    .join("\n");
}
