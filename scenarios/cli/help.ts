/**
 * The --help texts, one per command, and the parameter listing of a scenario. Each command's
 * text lists every option it accepts; bad input points back here.
 */
import { describeAccepted } from "../runner/params.js";
import { DEFAULT_SUITE, SCENARIOS } from "../registry.js";
import type { Scenario } from "../scenario.js";

const MAIN = `raysim: fault-tolerance scenarios, sweeps, charts and the HTML report

usage: npm start -- [command] [options]      (or: node --import ./register.mjs scenarios/cli/cli.ts …)

commands:
  (none)            run the default suite at quick size; write results/ and results/index.html
  list [name]       list the scenarios, or show one scenario's parameters
  run <name>        run one scenario once
  sweep <name>      run a grid of parameter values × seeds, in parallel on worker threads
  merge <dir…>      combine the shards of a sweep into the same files as one unsharded sweep
  trace <name>      write one run as Chrome trace-event JSON (Perfetto, chrome://tracing)
  report            rebuild results/index.html from what results/ holds

options without a command:
  --full            run the suite at full size
  --jobs N          threads for the suite's sweeps (default: available CPUs)
  --out DIR         results folder (default: results)
  --png             also write a PNG next to every SVG (needs @resvg/resvg-js)
  -h, --help        this text

environment: RAYSIM_SEED=N sets the default --seed; RAYSIM_SEEDS=N the default --seeds 1..N.
exit codes: 0 done, 1 a run failed (the replay command is printed), 2 bad input.
Run \`npm start -- <command> --help\` for a command's options.
`;

const HELP: Record<string, string> = {
  list: `usage: npm start -- list [name]

Lists the scenarios and the default suite; with a name, shows that scenario's description and
parameters (kind, range, default, and the quick and full sizes).

options:
  -h, --help        this text
`,
  run: `usage: npm start -- run <name> [--seed N] [--set key=value …] [--full] [--out DIR] [--png]

Runs one scenario once and writes results/<name>/<run-id>/: a CSV per table, an SVG per chart and
summary.json (parameters, seed, code version, headline figures beside reference values, wall
time); then rebuilds results/index.html. The run id is derived from size, seed and parameters.

options:
  --seed N          master seed, an integer >= 0 (default 1, or RAYSIM_SEED)
  --set key=value   set a parameter; repeat for several (see: npm start -- list <name>)
  --full            full size instead of quick
  --out DIR         results folder (default: results)
  --png             also write a PNG next to every SVG (needs @resvg/resvg-js)
  -h, --help        this text
`,
  sweep: `usage: npm start -- sweep <name> --seeds a..b [--grid key=v1,v2,… …] [--set key=value …]
                          [--jobs N] [--shard i/n] [--full] [--out DIR] [--keep-runs] [--png]

Runs every combination of the grid values for every seed, on worker threads, and writes
results/<name>/<sweep-id>/: runs.csv (one row per run), aggregate.csv (mean and 95% confidence
interval across seeds per grid point, beside reference values), charts and sweep.json.

With --shard i/n only every n-th run (starting at run i−1) is run, and the output goes to
<sweep-id>/shard-i-of-n/; run the n shards anywhere (a Slurm job array, a Kubernetes indexed job:
--shard $((SLURM_ARRAY_TASK_ID))/$SLURM_ARRAY_TASK_COUNT), then \`merge\` them: the merged files
are byte-identical to an unsharded sweep's.

options:
  --seeds SEEDS     a..b, a,b,c or one seed (default 1..5, or 1..RAYSIM_SEEDS)
  --grid key=a,b,c  values of one parameter; repeat for more (the runs cover every combination)
  --set key=value   fix a parameter for every run
  --jobs N          threads in all, this one included (default: available CPUs; 1 = no
                    workers). Workers take runs once loaded, so a small sweep may end first
  --shard i/n       run only shard i of n (1 <= i <= n)
  --full            full size instead of quick
  --out DIR         results folder (default: results)
  --keep-runs       also write every run's own folder (tables and charts) under runs/
  --png             also write a PNG next to every SVG (needs @resvg/resvg-js)
  -h, --help        this text
`,
  merge: `usage: npm start -- merge <dir…> [--out DIR] [--png]

Combines shard outputs (folders holding shard.json, or a sweep folder holding shard-*/ folders)
into results/<name>/<sweep-id>/, exactly as the unsharded sweep writes it. Refuses shards of
different sweeps, duplicates and missing shards.

options:
  --out DIR         results folder (default: results)
  --png             also write a PNG next to every SVG (needs @resvg/resvg-js)
  -h, --help        this text
`,
  trace: `usage: npm start -- trace <name> [--seed N] [--set key=value …] [--full] [--out DIR]

Runs one scenario and writes its trace as Chrome trace-event JSON to
results/<name>/<run-id>/trace.json, like \`ray timeline\`: a process per node (raylet, worker,
object-transfer and GCS-call lanes), one for the GCS and one for the global scheduler; tasks as
slices coloured by cause (original, retry, reconstruction, replay); faults and failure detections
as instant events; arrows from each task to the tasks its outputs fed. Open it in
https://ui.perfetto.dev or chrome://tracing.

options:
  --seed N          master seed (default 1, or RAYSIM_SEED)
  --set key=value   set a parameter; repeat for several
  --full            full size instead of quick
  --out DIR         results folder (default: results)
  -h, --help        this text
`,
  report: `usage: npm start -- report [--out DIR]

Rebuilds DIR/index.html (default results/index.html) from every summary.json and sweep.json
under DIR. Commands that write results do this already.

options:
  --out DIR         results folder (default: results)
  -h, --help        this text
`,
};

export function mainHelp(): string {
  return MAIN;
}

export function commandHelp(command: string): string {
  return HELP[command] ?? MAIN;
}

export const COMMANDS = Object.keys(HELP);

export function scenarioList(): string {
  const width = Math.max(...SCENARIOS.map((s) => s.name.length));
  const lines = SCENARIOS.map((s) => `  ${s.name.padEnd(width)}  ${s.title}`);
  const suite = DEFAULT_SUITE.map((e) =>
    e.kind === "run"
      ? `  run ${e.scenario} --seed ${e.seed}`
      : `  sweep ${e.scenario} --seeds ${e.seeds[0]}..${e.seeds[e.seeds.length - 1]}${e.grid.map(([k, v]) => ` --grid ${k}=${v.join(",")}`).join("")}` +
        Object.entries(e.quickSets ?? {})
          .map(([k, v]) => ` --set ${k}=${String(v)}`)
          .join(""),
  );
  return `scenarios (details: npm start -- list <name>):\n${lines.join("\n")}\n\ndefault suite (npm start), at quick size:\n${suite.join("\n")}\n`;
}

export function scenarioHelp(scenario: Scenario): string {
  const rows = Object.entries(scenario.params).map(([key, spec]) => {
    const sizes = [
      spec.quick === undefined ? "" : `quick ${String(spec.quick)}`,
      spec.full === undefined ? "" : `full ${String(spec.full)}`,
    ]
      .filter((s) => s !== "")
      .join(", ");
    return `  ${key}\n      ${spec.description}; ${describeAccepted(spec)}; default ${String(spec.default)}${sizes === "" ? "" : ` (${sizes})`}`;
  });
  return `${scenario.name}: ${scenario.title}\n\n${wrap(scenario.description, 96)}\n\nparameters (--set key=value, --grid key=a,b):\n${rows.join("\n")}\n`;
}

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines.join("\n");
}
