/**
 * `npm run swarm -- --seeds 1..10000 [--jobs N]`: the swarm (after TigerBeetle's VOPR). Each seed
 * draws a workload and a fault schedule from every fault kind (test/swarm/workload.ts,
 * schedule.ts), runs it with invariants on, and checks the failure-free values, the typed errors
 * the schedule decides, no livelock, no invariant violation. Prints counts per fault kind and per
 * outcome, and for each failure the shrunk schedule as `sim.faults` calls and the command that
 * replays it. Exits 1 on any failure, 2 on bad usage.
 */
import { describe, drawSchedule } from "./schedule.js";
import { drawWorkload } from "./workload.js";
import { runSeeds } from "./pool.js";
import { report } from "./report.js";
import { startProgress } from "../../scenarios/cli/progress.js";

const USAGE = `usage: npm run swarm -- --seeds A..B|N|A,B,… [--jobs N] [--wall-ms MS] [--keep I,J,…] [--no-shrink] [--show] [--verbose]
  --seeds     seeds to run: a range A..B, one seed N, or a list A,B,… (default 1..100)
  --jobs      worker threads (default 1: this thread)
  --wall-ms   wall-time bound per run (default 20000)
  --keep      with one seed: run only these faults of its schedule (indices as a replay line prints, or none)
  --no-shrink report failures without shrinking their schedules
  --show      print each seed's workload and schedule instead of running it
  --verbose   print each seed before it runs, and its outcome`;

class UsageError extends Error {}

interface Args {
  seeds: number[];
  jobs: number;
  wallMs: number;
  keep?: number[];
  shrink: boolean;
  show: boolean;
  verbose: boolean;
}

function parseSeeds(text: string): number[] {
  const range = /^(\d+)\.\.(\d+)$/.exec(text);
  if (range !== null) {
    const [a, b] = [Number(range[1]), Number(range[2])];
    if (b < a) throw new UsageError(`--seeds ${text}: the range is empty (${b} < ${a})`);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  }
  if (/^\d+(,\d+)+$/.test(text)) return text.split(",").map(Number);
  if (/^\d+$/.test(text)) return [Number(text)];
  throw new UsageError(
    `--seeds must be a range A..B, one seed N or a list A,B,…; got ${JSON.stringify(text)}`,
  );
}

function positiveInt(flag: string, text: string | undefined): number {
  const n = Number(text);
  if (text === undefined || !Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} must be an integer >= 1, got ${JSON.stringify(text)}`);
  return n;
}

export function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    seeds: parseSeeds("1..100"),
    jobs: 1,
    wallMs: 20_000,
    shrink: true,
    show: false,
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === "--seeds") args.seeds = parseSeeds(value());
    else if (flag === "--jobs") args.jobs = positiveInt(flag, value());
    else if (flag === "--wall-ms") args.wallMs = positiveInt(flag, value());
    else if (flag === "--keep") {
      const v = value();
      if (!/^(\d+(,\d+)*|none)$/.test(v))
        throw new UsageError(
          `--keep must be fault indices like 0,3, or none; got ${JSON.stringify(v)}`,
        );
      args.keep = v === "none" ? [] : v.split(",").map(Number);
    } else if (flag === "--no-shrink") args.shrink = false;
    else if (flag === "--show") args.show = true;
    else if (flag === "--verbose" || flag === "-v") args.verbose = true;
    else if (flag === "--help" || flag === "-h") throw new UsageError("");
    else throw new UsageError(`unknown option ${JSON.stringify(flag)}`);
  }
  if (args.keep !== undefined && args.seeds.length !== 1)
    throw new UsageError("--keep applies to one seed: pass --seeds N with it");
  return args;
}

function show(seed: number): string {
  const w = drawWorkload(seed);
  const faults = drawSchedule(w);
  return [
    `seed ${seed}`,
    `  nodes: ${w.nodes
      .map(
        (n) =>
          `${n.name}(cpus ${n.cpus}, gpus ${n.gpus}${Object.entries(n.resources)
            .map(([k, v]) => `, ${k} ${v}`)
            .join("")})`,
      )
      .join(" ")}`,
    `  gcs: ${w.gcs.shards} shard(s) × ${w.gcs.replicas} replica(s); puts: [${w.puts.join(", ")}]`,
    ...w.tasks.map(
      (t, i) =>
        `  task${i}(${[...t.args.map((a) => `task${a}`), ...t.puts.map((p) => `put${p}`)].join(", ")}) ${t.durationMs}ms ${t.returnBytes}B${t.gpu ? ` GPU ${t.gpu}` : ""}${t.acc ? " acc" : ""}${t.children ? ` ${t.children} child(ren)` : ""}${t.throws ? " throws" : ""}`,
    ),
    ...w.actors.map(
      (a) =>
        `  ${a.name}: ${a.recovery}${a.checkpointInterval ? `, checkpoint every ${a.checkpointInterval}` : ""}${a.onHead ? ", on head" : ""}, calls [${a.calls.join(", ")}] of ${a.methodMs}ms`,
    ),
    ...(w.waits
      ? [
          `  wait(numReturns ${w.waits.numReturns}, timeoutMs ${w.waits.timeoutMs}), then polling with timeoutMs 0`,
        ]
      : []),
    `  constructions: ${JSON.stringify(w.constructions)}`,
    ...faults.map((f, i) => `  [${i}] ${describe(f)}`),
  ].join("\n");
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    if (error.message === "") {
      console.log(USAGE);
      return 0;
    }
    console.error(`swarm: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (args.show) {
    for (const seed of args.seeds) console.log(show(seed));
    return 0;
  }
  const started = Date.now();
  // Progress on stderr (a bar on a terminal, a line a minute in a log): 10 000 seeds take an hour.
  const progress = args.verbose
    ? undefined
    : startProgress({
        label: "swarm",
        total: args.seeds.length,
        unit: "seeds",
        intervalMs: 60_000,
      });
  let done = 0;
  let failed = 0;
  const outcomes = await runSeeds(args.seeds, {
    jobs: args.jobs,
    wallMs: args.wallMs,
    shrink: args.shrink,
    ...(args.keep ? { keep: args.keep } : {}),
    onStart: (seed) => {
      if (args.verbose) console.log(`seed ${seed} …`);
    },
    onDone: ({ full }) => {
      done++;
      if (full.verdict !== "pass") failed++;
      progress?.update(done);
      if (!args.verbose && full.verdict !== "pass")
        console.error(
          `swarm: seed ${full.seed}: ${full.verdict} (${failed} failed so far) ${full.detail ?? ""}`,
        );
      if (args.verbose)
        console.log(
          `seed ${full.seed}: ${full.verdict} (${full.expectedClass}; ${full.faults.length} faults; ${full.virtualMs} ms virtual, ${full.wallMs} ms wall)${full.detail ? ` ${full.detail}` : ""}`,
        );
    },
  });
  progress?.stop();
  const { text, failures } = report(outcomes, Date.now() - started, args.jobs);
  console.log(text);
  return failures > 0 ? 1 : 0;
}

process.exitCode = await main();
