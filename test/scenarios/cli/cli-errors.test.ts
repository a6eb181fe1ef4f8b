/**
 * The CLI's bad-input contract: an unknown scenario, parameter or option, an out-of-range value,
 * a malformed --set, --seeds or --shard each give one line on stderr naming it and what is
 * accepted, exit code 2, and no stack trace; --help works at every level. Method: every case
 * through `runCli` in-process (one module load for all), and a representative few spawned as a
 * user runs them, to check the real process exit code and stderr.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliInProcess, cliSpawned, type CliResult } from "./cli-harness.js";

const errorCases: [string[], RegExp][] = [
  [
    ["run", "nope"],
    // Every registered scenario is listed; the order is the registry's and grows with it.
    /unknown scenario 'nope'; known: (?=.*chain-reconstruction)(?=.*actor-reconstruction)(?=.*dag-recovery)(?=.*mmc-queue)/,
  ],
  [["run"], /run needs a scenario name; known: chain-reconstruction/],
  [
    ["run", "mmc-queue", "--set", "bogus=1"],
    /unknown parameter 'bogus' for mmc-queue; it has: servers, utilisation/,
  ],
  [
    ["run", "mmc-queue", "--set", "servers=0"],
    /--set servers=0: servers must be an integer in \[1, 256\], got '0'/,
  ],
  [
    ["run", "mmc-queue", "--set", "utilisation=1.5"],
    /utilisation must be a number in \[0.01, 0.99\], got '1.5'/,
  ],
  [["run", "mmc-queue", "--set", "servers"], /--set 'servers' is malformed; expected key=value/],
  [["run", "mmc-queue", "--seed", "x1"], /--seed must be an integer in \[0, \d+\], got 'x1'/],
  [
    ["run", "mmc-queue", "--frobnicate"],
    /unknown option '--frobnicate' for run; see: npm start -- run --help/,
  ],
  [
    ["run", "actor-reconstruction", "--set", "killedNodes=12"],
    /killedNodes 12 must be less than nodes \(10\)/,
  ],
  [["sweep", "mmc-queue", "--seeds", "5..1"], /--seeds must be a range a\.\.b \(a <= b\)/],
  [["sweep", "mmc-queue", "--seeds", "1..x"], /--seeds must be a range a\.\.b/],
  [["sweep", "mmc-queue", "--shard", "3/2"], /--shard must be i\/n with integers 1 <= i <= n/],
  [["sweep", "mmc-queue", "--shard", "one"], /--shard must be i\/n/],
  [
    ["sweep", "mmc-queue", "--grid", "utilisation=0.5,2"],
    /--grid utilisation=0\.5,2: utilisation must be a number in \[0.01, 0.99\], got '2'/,
  ],
  [["sweep", "mmc-queue", "--jobs", "0"], /--jobs must be an integer in \[1, 256\], got '0'/],
  [["merge"], /merge needs the shard folders/],
  [["fly"], /unknown command 'fly'; commands: list, run, sweep, merge, trace, report/],
];

function checkUsageError(r: CliResult, argv: readonly string[], expected: RegExp): void {
  const what = argv.join(" ");
  assert.equal(r.code, 2, `${what}: exit code ${r.code}, stderr ${r.stderr}`);
  assert.match(r.stderr, expected, what);
  assert.equal(r.stderr.trim().split("\n").length, 1, `${what}: one line, got ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
  assert.equal(r.stdout, "", `${what}: nothing on stdout`);
}

test("runCli() turns each kind of bad input into exit code 2 and one line naming it", async () => {
  for (const [argv, expected] of errorCases)
    checkUsageError(await cliInProcess(argv), argv, expected);
});

test("--out naming a file (or a folder inside one) is bad input: one line naming --out, exit 2", async () => {
  const dir = mkdtempSync(join(tmpdir(), "raysim-out-"));
  try {
    const file = join(dir, "results.txt");
    writeFileSync(file, "not a folder\n");
    const cases: string[][] = [
      ["run", "mmc-queue", "--out", file],
      ["trace", "mmc-queue", "--out", file],
      ["sweep", "mmc-queue", "--seeds", "1..2", "--out", file],
      ["report", "--out", file],
      ["run", "mmc-queue", "--out", join(file, "sub")],
    ];
    for (const argv of cases)
      checkUsageError(
        await cliInProcess(argv),
        argv,
        /^raysim: --out \S+ (is a file|is inside \S+, which is a file); --out takes a folder/,
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the CLI process exits with code 2 on bad input, 0 on --help, never with a stack trace", async () => {
  const [argv, expected] = errorCases[12]!;
  const [bad, help] = await Promise.all([cliSpawned(argv), cliSpawned(["--help"])]);
  checkUsageError(bad, argv, expected);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: npm start -- \[command\] \[options\]/);
});

test("--help works at every level and exits 0", async () => {
  const cases: [string[], RegExp][] = [
    [["--help"], /commands:[\s\S]*sweep <name>/],
    [["help", "merge"], /usage: npm start -- merge/],
    [["run", "--help"], /--set key=value/],
    [["sweep", "-h"], /--shard i\/n/],
    [["trace", "--help"], /Chrome trace-event JSON/],
    [["merge", "--help"], /byte-identical|unsharded/],
    [["report", "--help"], /index\.html/],
    [
      ["run", "mmc-queue", "--help"],
      /servers\n\s+execution slots c on the server; an integer in \[1, 256\]; default 4/,
    ],
    [["list"], /mmc-queue\s+M\/M\/c queue against Erlang C/],
    [["list", "chain-reconstruction"], /missedHeartbeats/],
  ];
  for (const [argv, expected] of cases) {
    const r = await cliInProcess(argv);
    assert.equal(r.code, 0, `${argv.join(" ")}: ${r.stderr}`);
    assert.match(r.stdout, expected, argv.join(" "));
  }
});

test("RAYSIM_SEED and RAYSIM_SEEDS are checked like --seed and --seeds", async () => {
  checkUsageError(
    await cliInProcess(["run", "mmc-queue"], { RAYSIM_SEED: "seven" }),
    ["RAYSIM_SEED=seven"],
    /RAYSIM_SEED must be an integer/,
  );
  checkUsageError(
    await cliInProcess(["sweep", "mmc-queue"], { RAYSIM_SEEDS: "0" }),
    ["RAYSIM_SEEDS=0"],
    /RAYSIM_SEEDS must be a range a\.\.b \(a <= b\)/,
  );
});
