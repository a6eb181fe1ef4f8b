/**
 * The trace export is valid Chrome trace-event JSON: a JSON object with a traceEvents array whose
 * entries have the fields their phase requires, named process and thread tracks, task slices that
 * never overlap on one worker lane, coloured by cause, and the node kill as an instant event.
 * Method: the fan-out demo with a kill, exported in-process and through `trace`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fanoutDemo } from "../../../scenarios/fanout-demo/fanout-demo.js";
import { resolveParams } from "../../../scenarios/runner/params.js";
import { convertTrace, type ChromeTraceEvent } from "../../../scenarios/output/trace-export.js";
import { cliInProcess } from "../cli/cli-harness.js";

const SMALL = { rounds: 25, killAtMs: 300, restartAfterMs: 1500 };

function checkTraceEvents(events: readonly ChromeTraceEvent[]): void {
  const named = new Set(events.filter((e) => e.ph === "M" && e.name === "process_name").map((e) => e.pid));
  for (const e of events) {
    assert.ok(["X", "i", "M", "C"].includes(e.ph), `phase ${e.ph}`);
    assert.equal(typeof e.name, "string");
    assert.ok(Number.isInteger(e.pid) && Number.isInteger(e.tid), `pid/tid of ${e.name}`);
    assert.ok(Number.isFinite(e.ts) && e.ts >= 0, `ts of ${e.name}`);
    assert.ok(named.has(e.pid), `pid ${e.pid} has a process_name`);
    if (e.ph === "X") assert.ok(Number.isFinite(e.dur) && e.dur! >= 0, `dur of ${e.name}`);
    if (e.ph === "i") assert.ok(e.s === "g" || e.s === "p" || e.s === "t", `scope of ${e.name}`);
  }
  const lanes = new Map<string, ChromeTraceEvent[]>();
  for (const e of events.filter((x) => x.ph === "X" && x.cat !== "gcs")) {
    const key = `${e.pid}/${e.tid}`;
    lanes.set(key, [...(lanes.get(key) ?? []), e]);
  }
  for (const [lane, slices] of lanes) {
    const sorted = [...slices].sort((a, b) => a.ts - b.ts);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]!.ts >= sorted[i - 1]!.ts + sorted[i - 1]!.dur!, `slices overlap on lane ${lane}`);
  }
}

test("convertTrace() gives tracks per node and worker, slices by cause and the kill as an instant", async () => {
  const params = resolveParams(fanoutDemo, "quick", SMALL);
  const result = await fanoutDemo.run(params as never, 1, () => {}, { trace: true });
  const events: ChromeTraceEvent[] = [];
  convertTrace(result.trace!(), (e) => events.push(e));
  checkTraceEvents(events);
  const processes = events.filter((e) => e.name === "process_name").map((e) => e.args?.name);
  assert.deepEqual(processes.sort(), ["node head", "node w1", "node w2", "node w3", "node w4"]);
  assert.ok(events.some((e) => e.name === "thread_name" && e.args?.name === "worker 4"));
  const slices = events.filter((e) => e.ph === "X");
  assert.ok(slices.some((e) => e.cat === "retry" && e.cname === "yellow"), "retried tasks are slices of cause retry");
  assert.ok(slices.some((e) => e.cat === "original" && e.args?.outcome === "ok"));
  assert.ok(slices.some((e) => e.args?.outcome === "killed"), "slices running at the kill end there");
  assert.ok(events.some((e) => e.ph === "i" && e.name === "fault: kill-node w2" && e.s === "g"));
  assert.ok(events.some((e) => e.ph === "i" && e.name === "node died: w2"));
});

test("trace <name> writes a JSON object that chrome://tracing and Perfetto accept", async () => {
  const out = mkdtempSync(join(tmpdir(), "raysim-trace-"));
  try {
    const r = await cliInProcess(["trace", "fanout-demo", "--set", "rounds=25", "--set", "killAtMs=300", "--out", out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote \d+ trace events to .*trace\.json/);
    const dir = join(out, "fanout-demo", readdirSync(join(out, "fanout-demo"))[0]!);
    const trace = JSON.parse(readFileSync(join(dir, "trace.json"), "utf8")) as { traceEvents: ChromeTraceEvent[]; displayTimeUnit: string; metadata: Record<string, unknown> };
    assert.equal(trace.displayTimeUnit, "ms");
    assert.equal(trace.metadata.seed, 1);
    assert.ok(trace.traceEvents.length > 100);
    checkTraceEvents(trace.traceEvents);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
