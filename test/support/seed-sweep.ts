/**
 * `npm run test:seeds -- 1..50 [--files chain,differential] [--jobs 2] [--timeout-ms 600000]`:
 * runs every property test file (a test file that calls `checkProperty`) once per fixed seed
 * (RAYSIM_FC_SEED=k), `--jobs` files at a time, each in its own `node --test` process killed after
 * `--timeout-ms` of wall time, and prints a table of the failures with the line that replays each.
 * Exits 1 on any failure or timeout, 2 on bad arguments. A random-seed `npm test` is green only by
 * luck unless this sweep is.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";

interface Outcome {
  file: string;
  seed: number;
  status: "pass" | "fail" | "timeout";
  wallMs: number;
  /** The first lines that say what failed (error, counterexample), for the table. */
  why: string;
}

class UsageError extends Error {}

const ROOT = process.cwd();
const SEEDS_MAX = 100_000;

function parseSeeds(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(",")) {
    const m = /^\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?$/.exec(part);
    if (m === null)
      throw new UsageError(
        `seeds must be a range a..b or a list a,b,c of integers >= 0, got '${text}'`,
      );
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new UsageError(`seeds: range ${part.trim()} ends before it starts`);
    for (let k = from; k <= to; k++) out.push(k);
    if (out.length > SEEDS_MAX)
      throw new UsageError(`seeds: at most ${SEEDS_MAX} seeds, got more in '${text}'`);
  }
  return [...new Set(out)];
}

function positiveInt(text: string | undefined, what: string, fallback: number): number {
  if (text === undefined) return fallback;
  const v = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(v) || v < 1)
    throw new UsageError(`${what} must be an integer >= 1, got '${text}'`);
  return v;
}

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(path));
    else if (entry.name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

/** Property files: the test files that call checkProperty (the seeded ones). */
function propertyFiles(filters: readonly string[]): string[] {
  return testFiles(join(ROOT, "test"))
    .filter((f) => /checkProperty\(/.test(readFileSync(f, "utf8")))
    .map((f) => relative(ROOT, f))
    .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
    .sort();
}

/**
 * What failed in a node:test run: the first failing test's name and the line of its error that
 * names an error (a property's own "error: …" line, else the first line of node's YAML block).
 */
function whyItFailed(output: string): string {
  const lines = output.split("\n");
  const at = lines.findIndex((l) => /^\s*not ok \d+ - /.test(l) && !/# SKIP/.test(l));
  if (at < 0) return (lines.find((l) => /Error\b/.test(l)) ?? "").trim().slice(0, 240);
  const name = lines[at]!.replace(/^\s*not ok \d+ - /, "").trim();
  const block: string[] = [];
  for (let i = at + 1; i < lines.length && !/^\s*(not )?ok \d+ - /.test(lines[i]!); i++)
    block.push(lines[i]!.trim());
  const errorAt = block.findIndex((l) => l.startsWith("error:"));
  const body =
    errorAt < 0
      ? []
      : block
          .slice(errorAt, errorAt + 40)
          .map((l) => l.replace(/^error:\s*(\|-)?\s*/, ""))
          .filter((l) => l !== "");
  const line =
    body.find((l) => /^error: /.test(l))?.slice(7) ??
    body.find((l) => /\b[A-Z][A-Za-z]*Error\b/.test(l)) ??
    body[0] ??
    "";
  return `${name.slice(0, 80)}: ${line}`.slice(0, 240);
}

function runOne(
  file: string,
  seed: number,
  timeoutMs: number,
  extraEnv: Record<string, string>,
): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    // Its own process group, so a timeout kills node --test and the file's test process with it.
    const child = spawn(process.execPath, ["--import", "./register.mjs", "--test", file], {
      cwd: ROOT,
      env: { ...process.env, ...extraEnv, RAYSIM_FC_SEED: String(seed) },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      if (timedOut)
        return resolve({
          file,
          seed,
          status: "timeout",
          wallMs,
          why: `no result after ${timeoutMs / 1000} s of wall time`,
        });
      resolve({
        file,
        seed,
        status: code === 0 ? "pass" : "fail",
        wallMs,
        why: code === 0 ? "" : whyItFailed(output) || `exit code ${code}`,
      });
    });
  });
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: {
      files: { type: "string" },
      jobs: { type: "string" },
      "timeout-ms": { type: "string" },
      runs: { type: "string" },
      help: { type: "boolean" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help === true) {
    console.log(
      "usage: npm run test:seeds -- <seeds: a..b or a,b,c> [--files substr,substr] [--jobs 2] [--timeout-ms 600000] [--runs N (RAYSIM_FC_RUNS)]",
    );
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(
      `give one seed range, e.g. 1..50, got ${positionals.length === 0 ? "none" : positionals.join(" ")}`,
    );
  const seeds = parseSeeds(positionals[0]!);
  const jobs = positiveInt(values.jobs, "--jobs", 2);
  const timeoutMs = positiveInt(values["timeout-ms"], "--timeout-ms", 600_000);
  const extraEnv: Record<string, string> =
    values.runs === undefined
      ? {}
      : { RAYSIM_FC_RUNS: String(positiveInt(values.runs, "--runs", 1)) };
  const files = propertyFiles(
    values.files === undefined
      ? []
      : values.files
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== ""),
  );
  if (files.length === 0)
    throw new UsageError(`--files ${values.files}: no property test file matches`);
  const work = files.flatMap((file) => seeds.map((seed) => ({ file, seed })));
  console.log(
    `# seed sweep: ${files.length} property file(s) × ${seeds.length} seed(s) = ${work.length} runs, ${jobs} at a time, ${timeoutMs / 1000} s wall each`,
  );
  const outcomes = await runAll(work, jobs, timeoutMs, extraEnv);
  return report(outcomes);
}

/** Runs the work `jobs` at a time, printing each outcome as it finishes. */
async function runAll(
  work: readonly { file: string; seed: number }[],
  jobs: number,
  timeoutMs: number,
  extraEnv: Record<string, string>,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < work.length) {
      const { file, seed } = work[next++]!;
      const o = await runOne(file, seed, timeoutMs, extraEnv);
      outcomes.push(o);
      console.log(
        `${o.status.padEnd(7)} seed ${String(seed).padStart(5)}  ${file}  ${(o.wallMs / 1000).toFixed(1)} s${o.why === "" ? "" : "  " + o.why}`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, work.length) }, worker));
  return outcomes;
}

/** Prints the totals and, for failures, a table and replay lines; returns the exit code. */
function report(outcomes: readonly Outcome[]): number {
  const failures = outcomes
    .filter((o) => o.status !== "pass")
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.seed - b.seed));
  console.log(
    `\n# ${outcomes.length - failures.length} passed, ${failures.filter((f) => f.status === "fail").length} failed, ${failures.filter((f) => f.status === "timeout").length} timed out`,
  );
  if (failures.length === 0) return 0;
  console.log("\n| file | seed | outcome | why |\n| --- | --- | --- | --- |");
  for (const f of failures)
    console.log(`| ${f.file} | ${f.seed} | ${f.status} | ${f.why.replace(/\|/g, "\\|")} |`);
  console.log("\nreplay:");
  for (const f of failures)
    console.log(`RAYSIM_FC_SEED=${f.seed} node --import ./register.mjs --test ${f.file}`);
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") === true
    ) {
      console.error(`test:seeds: ${(error as Error).message}`);
      process.exit(2);
    }
    console.error(error);
    process.exit(1);
  },
);
