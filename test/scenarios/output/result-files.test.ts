/**
 * Result files are a function of the seed: the same run twice gives byte-identical CSVs and SVGs
 * and a summary.json that differs only in `timing`; a sweep on two threads equals one on one
 * thread; shards 1/2 and 2/2 merged equal the unsharded sweep; the report lists them all.
 * Method: the CLI in-process (its sweeps still start real worker threads) into temporary folders,
 * at tiny sizes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withoutTiming, type RunSummary } from "../../../scenarios/output/summary.js";
import { cliInProcess } from "../cli/cli-harness.js";

const tmp = mkdtempSync(join(tmpdir(), "raysim-results-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const SWEEP = [
  "sweep",
  "mmc-queue",
  "--seeds",
  "1..3",
  "--grid",
  "servers=1,2",
  "--grid",
  "utilisation=0.5,0.8",
  "--set",
  "jobs=600",
];

/** Every file of a result folder except the JSON summaries, which are compared without timing. */
function assertSameFolder(a: string, b: string, summary: "summary.json" | "sweep.json"): void {
  const files = readdirSync(a)
    .filter((f) => f.endsWith(".csv") || f.endsWith(".svg"))
    .sort();
  assert.ok(files.length > 0, `no files in ${a}`);
  assert.deepEqual(
    readdirSync(b)
      .filter((f) => f.endsWith(".csv") || f.endsWith(".svg"))
      .sort(),
    files,
  );
  for (const f of files)
    assert.ok(
      readFileSync(join(a, f)).equals(readFileSync(join(b, f))),
      `${f} differs between ${a} and ${b}`,
    );
  const read = (dir: string) =>
    withoutTiming(JSON.parse(readFileSync(join(dir, summary), "utf8")) as { timing: unknown });
  assert.deepEqual(read(b), read(a));
}

function onlyDir(parent: string): string {
  const dirs = readdirSync(parent).filter((d) => !d.includes("."));
  assert.equal(dirs.length, 1, `expected one result folder in ${parent}, got ${dirs.join(", ")}`);
  return join(parent, dirs[0]!);
}

test("run with the same seed writes byte-identical CSV and SVG files", async () => {
  const args = [
    "run",
    "chain-reconstruction",
    "--set",
    "nodes=2",
    "--set",
    "durationS=6",
    "--set",
    "restartAfterS=2",
  ];
  // The second run takes its seed from RAYSIM_SEED, as a replay line may.
  for (const [out, seed, env] of [
    ["a", ["--seed", "3"], {}],
    ["b", [], { RAYSIM_SEED: "3" }],
  ] as const) {
    const r = await cliInProcess([...args, ...seed, "--out", join(tmp, `run-${out}`)], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^seed 3: chain-reconstruction \(quick\) nodes=2 durationS=6/);
  }
  const a = onlyDir(join(tmp, "run-a", "chain-reconstruction"));
  assertSameFolder(a, onlyDir(join(tmp, "run-b", "chain-reconstruction")), "summary.json");
  const summary = JSON.parse(readFileSync(join(a, "summary.json"), "utf8")) as RunSummary;
  assert.equal(summary.seed, 3);
  assert.equal(summary.params.durationS, 6);
  assert.ok(
    summary.headlines.some((h) => h.key === "perNodeTasksPerSec" && h.reference !== undefined),
  );
  const other = await cliInProcess([...args, "--seed", "4", "--out", join(tmp, "run-c")]);
  assert.equal(other.code, 0, other.stderr);
  const c = onlyDir(join(tmp, "run-c", "chain-reconstruction"));
  assert.ok(
    !readFileSync(join(a, "recovery.csv")).equals(readFileSync(join(c, "recovery.csv"))),
    "another seed gives other numbers",
  );
});

test("sweep --jobs 2 writes the same files as --jobs 1", async () => {
  const one = await cliInProcess([...SWEEP, "--jobs", "1", "--out", join(tmp, "jobs1")]);
  assert.equal(one.code, 0, one.stderr);
  const two = await cliInProcess([...SWEEP, "--jobs", "2", "--out", join(tmp, "jobs2")]);
  assert.equal(two.code, 0, two.stderr);
  assertSameFolder(
    onlyDir(join(tmp, "jobs1", "mmc-queue")),
    onlyDir(join(tmp, "jobs2", "mmc-queue")),
    "sweep.json",
  );
  const aggregate = readFileSync(
    join(onlyDir(join(tmp, "jobs1", "mmc-queue")), "aggregate.csv"),
    "utf8",
  );
  assert.match(
    aggregate.split("\n")[0]!,
    /^point,servers,utilisation,series,group,headline,unit,n,mean,ci95Low,ci95High,reference/,
  );
});

test("sweep --shard 1/2 and 2/2, merged, equal the unsharded sweep", async () => {
  for (const shard of ["1/2", "2/2"]) {
    const r = await cliInProcess([
      ...SWEEP,
      "--jobs",
      "1",
      "--shard",
      shard,
      "--out",
      join(tmp, "shards"),
    ]);
    assert.equal(r.code, 0, r.stderr);
  }
  const sweepDir = onlyDir(join(tmp, "shards", "mmc-queue"));
  assert.deepEqual(readdirSync(sweepDir).sort(), ["shard-1-of-2", "shard-2-of-2"]);
  const merged = await cliInProcess(["merge", sweepDir, "--out", join(tmp, "merged")]);
  assert.equal(merged.code, 0, merged.stderr);
  assertSameFolder(
    onlyDir(join(tmp, "jobs1", "mmc-queue")),
    onlyDir(join(tmp, "merged", "mmc-queue")),
    "sweep.json",
  );
});

test("merge refuses a missing shard and shards of different sweeps", async () => {
  const sweepDir = onlyDir(join(tmp, "shards", "mmc-queue"));
  const missing = await cliInProcess(["merge", join(sweepDir, "shard-1-of-2")]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /merge: missing shard 2\/2/);
  const other = await cliInProcess([
    ...SWEEP.slice(0, 3),
    "1..2",
    ...SWEEP.slice(4),
    "--jobs",
    "1",
    "--shard",
    "2/2",
    "--out",
    join(tmp, "other"),
  ]);
  assert.equal(other.code, 0, other.stderr);
  const mixed = await cliInProcess([
    "merge",
    join(sweepDir, "shard-1-of-2"),
    join(onlyDir(join(tmp, "other", "mmc-queue")), "shard-2-of-2"),
  ]);
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /belongs to another sweep/);
});

test("report lists every run and sweep of the folder, self-contained", () => {
  const html = readFileSync(join(tmp, "jobs1", "index.html"), "utf8");
  assert.match(html, /<section class="entry" id="mmc-queue\/sweep-quick-s1-3-[0-9a-f]{8}">/);
  assert.equal((html.match(/<svg /g) ?? []).length, 4);
  assert.doesNotMatch(
    html,
    /<script|<link rel="stylesheet"|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/,
  );
});
