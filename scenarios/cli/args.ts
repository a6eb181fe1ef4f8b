/**
 * Command-line values: options through node:util's parseArgs (no framework needed), and the
 * small grammars of --seed, --seeds, --jobs and --shard. Every rejection is a UsageError naming
 * the option and what it accepts.
 */
import { statSync, type Stats } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { Shard } from "../sweep/plan.js";
import { UsageError } from "../runner/usage-error.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

export const SEEDS_MAX = 100_000;
export const JOBS_MAX = 256;

/** parseArgs with its errors turned into one-line usage errors that point at --help. */
export function parseCommand<O extends Options>(
  command: string,
  argv: readonly string[],
  options: O,
) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = error instanceof Error ? error.message : String(error);
    const option = /'(-[^' ]+)/.exec(message)?.[1] ?? "";
    const help = `see: npm start -- ${command === "" ? "" : command + " "}--help`;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION")
      throw new UsageError(
        `unknown option '${option}'${command === "" ? "" : ` for ${command}`}; ${help}`,
      );
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE")
      throw new UsageError(`option ${option} needs a value; ${help}`);
    throw new UsageError(`${message}; ${help}`);
  }
}

function integer(text: string, what: string, accepted: string, min: number, max: number): number {
  const t = text.trim();
  const value = /^\d+$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new UsageError(`${what} must be ${accepted}, got '${text}'`);
  return value;
}

export function parseSeed(text: string, what = "--seed"): number {
  return integer(
    text,
    what,
    `an integer in [0, ${Number.MAX_SAFE_INTEGER}]`,
    0,
    Number.MAX_SAFE_INTEGER,
  );
}

/** `1..20`, `3,5,8` or `7`. */
export function parseSeeds(text: string, what = "--seeds"): number[] {
  const accepted = "a range a..b (a <= b), a list a,b,c or one seed, of integers >= 0";
  const range = /^\s*(\d+)\s*\.\.\s*(\d+)\s*$/.exec(text);
  let seeds: number[];
  if (range !== null) {
    const first = parseSeed(range[1]!, what);
    const last = parseSeed(range[2]!, what);
    if (last < first) throw new UsageError(`${what} must be ${accepted}, got '${text}'`);
    if (last - first + 1 > SEEDS_MAX)
      throw new UsageError(
        `${what} '${text}' has ${last - first + 1} seeds; at most ${SEEDS_MAX} are accepted`,
      );
    seeds = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  } else {
    if (!/^\s*\d+\s*(,\s*\d+\s*)*$/.test(text))
      throw new UsageError(`${what} must be ${accepted}, got '${text}'`);
    seeds = text.split(",").map((s) => parseSeed(s, what));
    if (seeds.length > SEEDS_MAX)
      throw new UsageError(`${what} has ${seeds.length} seeds; at most ${SEEDS_MAX} are accepted`);
  }
  if (new Set(seeds).size !== seeds.length)
    throw new UsageError(`${what} '${text}' repeats a seed`);
  return seeds;
}

export function parseJobs(text: string | undefined): number {
  if (text === undefined) return Math.max(1, availableParallelism());
  return integer(text, "--jobs", `an integer in [1, ${JOBS_MAX}]`, 1, JOBS_MAX);
}

/** `i/n` with 1 <= i <= n. */
export function parseShard(text: string | undefined): Shard | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const accepted = "i/n with integers 1 <= i <= n, e.g. 2/8";
  if (m === null) throw new UsageError(`--shard must be ${accepted}, got '${text}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!(count >= 1 && count <= SEEDS_MAX * 10 && index >= 1 && index <= count))
    throw new UsageError(`--shard must be ${accepted}, got '${text}'`);
  return { index, count };
}

/** Exactly one scenario name among the positionals. */
export function onePositional(
  command: string,
  positionals: readonly string[],
  what: string,
  known: string,
): string {
  if (positionals.length === 0) throw new UsageError(`${command} needs ${what}; known: ${known}`);
  if (positionals.length > 1)
    throw new UsageError(`${command} takes ${what}, not several: ${positionals.join(" ")}`);
  return positionals[0]!;
}

/**
 * --out: a results folder, made if missing. An existing file there (or as any parent) is rejected
 * now, as one line, instead of failing deep in mkdir.
 */
export function parseOut(out: string | undefined, fallback: string): string {
  const root = out ?? fallback;
  for (let path = resolve(root); ; path = dirname(path)) {
    const stat = statOrUndefined(path);
    if (stat !== undefined) {
      if (stat.isDirectory()) return root;
      const what = path === resolve(root) ? "is a file" : `is inside ${path}, which is a file`;
      throw new UsageError(
        `--out ${root} ${what}; --out takes a folder for results (made if missing)`,
      );
    }
    if (dirname(path) === path) return root;
  }
}

/** A path's stat, or undefined when nothing is there (or a parent is a file: ENOTDIR). */
function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    if ((error as { code?: string }).code === "ENOTDIR") return undefined;
    throw error;
  }
}
