/**
 * The trace export is valid Chrome trace-event JSON: a JSON object with a traceEvents array whose
 * entries have the fields their phase requires, named process and thread tracks, task slices that
 * never overlap on one lane, coloured by cause, the node kill and its detection as instant events,
 * and flow arrows bound to the slices of producer and consumer. Method: small chain-reconstruction
 * runs (the real protocol), in-process and through `trace`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import type { TaskCause } from "../../../core/trace.js";
import { chainReconstruction } from "../../../scenarios/chain-reconstruction.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveParams } from "../../../scenarios/runner/params.js";
import {
  CAUSE_CNAME,
  convertTrace,
  writeChromeTrace,
  type ChromeTraceEvent,
} from "../../../scenarios/output/trace-export.js";
import { cliInProcess } from "../cli/cli-harness.js";

const SMALL = { nodes: 2, durationS: 6, restartAfterS: 2 };

function checkTraceEvents(events: readonly ChromeTraceEvent[]): void {
  const named = new Set(
    events.filter((e) => e.ph === "M" && e.name === "process_name").map((e) => e.pid),
  );
  for (const e of events) {
    assert.ok(["X", "i", "M", "C", "s", "f"].includes(e.ph), `phase ${e.ph}`);
    assert.equal(typeof e.name, "string");
    assert.ok(Number.isInteger(e.pid) && Number.isInteger(e.tid), `pid/tid of ${e.name}`);
    assert.ok(Number.isFinite(e.ts) && e.ts >= 0, `ts of ${e.name}`);
    assert.ok(named.has(e.pid), `pid ${e.pid} has a process_name`);
    if (e.ph === "X") assert.ok(Number.isFinite(e.dur) && e.dur! >= 0, `dur of ${e.name}`);
    if (e.ph === "i") assert.ok(e.s === "g" || e.s === "p" || e.s === "t", `scope of ${e.name}`);
    if (e.ph === "s" || e.ph === "f") assert.ok(Number.isInteger(e.id), `id of flow ${e.name}`);
  }
  const lanes = new Map<string, ChromeTraceEvent[]>();
  for (const e of events.filter((x) => x.ph === "X" && x.cat !== "gcs")) {
    const key = `${e.pid}/${e.tid}`;
    lanes.set(key, [...(lanes.get(key) ?? []), e]);
  }
  for (const [lane, slices] of lanes) {
    const sorted = [...slices].sort((a, b) => a.ts - b.ts);
    for (let i = 1; i < sorted.length; i++)
      assert.ok(
        sorted[i]!.ts >= sorted[i - 1]!.ts + sorted[i - 1]!.dur!,
        `slices overlap on lane ${lane}`,
      );
  }
}

test("convertTrace() gives tracks per node and worker, slices by cause and the kill as an instant", async () => {
  const params = resolveParams(chainReconstruction, "quick", SMALL);
  const result = await chainReconstruction.run(params as never, 1, () => {}, { trace: true });
  const events: ChromeTraceEvent[] = [];
  convertTrace(result.trace!(), (e) => events.push(e));
  checkTraceEvents(events);
  const processes = events
    .filter((e) => e.name === "process_name")
    .map((e) => String(e.args?.name));
  assert.deepEqual(processes.filter((p) => p.startsWith("node ")).sort(), [
    "node head",
    "node w1",
    "node w2",
  ]);
  assert.ok(events.some((e) => e.name === "thread_name" && e.args?.name === "worker 4"));
  const slices = events.filter((e) => e.ph === "X");
  assert.ok(
    slices.some((e) => e.cat === "retry" && e.cname === "yellow"),
    "retried tasks are slices of cause retry",
  );
  assert.ok(slices.some((e) => e.cat === "original" && e.args?.outcome === "ok"));
  assert.ok(
    slices.some((e) => e.args?.outcome === "killed"),
    "slices running at the kill end there",
  );
  assert.ok(events.some((e) => e.ph === "i" && e.name === "fault: killNode w1" && e.s === "g"));
  assert.ok(events.some((e) => e.ph === "i" && e.name === "node died: w1"));
});

test("trace <name> writes a JSON object that chrome://tracing and Perfetto accept", async () => {
  const out = mkdtempSync(join(tmpdir(), "raysim-trace-"));
  try {
    const r = await cliInProcess([
      "trace",
      "chain-reconstruction",
      "--set",
      "nodes=2",
      "--set",
      "durationS=6",
      "--set",
      "restartAfterS=2",
      "--out",
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote \d+ trace events to .*trace\.json/);
    const dir = join(
      out,
      "chain-reconstruction",
      readdirSync(join(out, "chain-reconstruction"))[0]!,
    );
    const trace = JSON.parse(readFileSync(join(dir, "trace.json"), "utf8")) as {
      traceEvents: ChromeTraceEvent[];
      displayTimeUnit: string;
      metadata: Record<string, unknown>;
    };
    assert.equal(trace.displayTimeUnit, "ms");
    assert.equal(trace.metadata.seed, 1);
    assert.ok(trace.traceEvents.length > 100);
    checkTraceEvents(trace.traceEvents);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

/** Flow ends bind to the slice on their lane that encloses their timestamp: there must be one. */
function checkFlows(events: readonly ChromeTraceEvent[]): number {
  const slices = events.filter((e) => e.ph === "X");
  const enclosing = (e: ChromeTraceEvent) =>
    slices.find((x) => x.pid === e.pid && x.tid === e.tid && x.ts <= e.ts && e.ts <= x.ts + x.dur!);
  const starts = new Map(events.filter((e) => e.ph === "s").map((e) => [e.id!, e]));
  const finishes = events.filter((e) => e.ph === "f");
  assert.equal(finishes.length, starts.size, "every flow has one start and one finish");
  for (const f of finishes) {
    const s = starts.get(f.id!);
    assert.ok(s !== undefined, `flow ${f.id} has a start`);
    assert.equal(f.bp, "e");
    const from = enclosing(s);
    const to = enclosing(f);
    assert.ok(from !== undefined && to !== undefined, `flow ${f.id} binds to a slice at both ends`);
    assert.ok(
      from.ts + from.dur! <= to.ts,
      `flow ${f.id}: the producer ${from.args?.taskId} ends before ${to.args?.taskId} starts`,
    );
    assert.equal(s.args?.to, to.args?.taskId);
  }
  return finishes.length;
}

test("a chain-reconstruction trace has a process per node, the GCS and the scheduler, causes, the kill, its detection and flows", async () => {
  const params = resolveParams(chainReconstruction, "quick", {
    nodes: 2,
    durationS: 6,
    restartAfterS: 2,
  });
  const result = await chainReconstruction.run(params as never, 1, () => {}, { trace: true });
  const causes = new Set<TaskCause>();
  for (const e of result.trace!()) if (e.kind === "task.submitted") causes.add(e.cause);
  const out = mkdtempSync(join(tmpdir(), "raysim-trace-"));
  try {
    const path = join(out, "trace.json");
    const count = writeChromeTrace(
      path,
      result.trace!(),
      { seed: 1 },
      { inputsOf: result.traceInputs },
    );
    const events = (JSON.parse(readFileSync(path, "utf8")) as { traceEvents: ChromeTraceEvent[] })
      .traceEvents;
    assert.equal(events.length, count);
    checkTraceEvents(events);
    const processes = events.filter((e) => e.name === "process_name").map((e) => e.args?.name);
    assert.deepEqual([...processes].sort(), [
      "GCS",
      "global scheduler",
      "node head",
      "node w1",
      "node w2",
    ]);
    const threads = new Set(
      events.filter((e) => e.name === "thread_name").map((e) => e.args?.name),
    );
    for (const lane of ["raylet", "worker 1", "object transfers"])
      assert.ok(threads.has(lane), `a ${lane} lane`);
    assert.ok(
      causes.has("retry") && causes.has("reconstruction"),
      `the run retries and reconstructs: ${[...causes].join(", ")}`,
    );
    const slices = events.filter((e) => e.ph === "X" && e.cat !== "gcs");
    for (const cause of causes)
      assert.ok(
        slices.some((e) => e.cat === cause && e.cname === CAUSE_CNAME[cause]),
        `slices of cause ${cause}`,
      );
    const instants = events.filter((e) => e.ph === "i" && e.s === "g").map((e) => e.name);
    assert.ok(instants.includes("fault: killNode w1"), `the kill: ${instants.join("; ")}`);
    assert.ok(instants.includes("node died: w1"), `its detection: ${instants.join("; ")}`);
    assert.ok(checkFlows(events) > 10, "flows from each chain link to the next");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
