/**
 * Fig 10b of the Ray paper: GCS memory while empty tasks are submitted one after another, with
 * and without flushing the task table to disk (core/gcs/flusher.ts).
 */
import { max } from "d3";
import { Simulation } from "../sim/index.js";
import { defineScenario, table, type ScenarioResult } from "./scenario.js";

interface MemoryRow {
  flushing: string;
  tMs: number;
  bytes: number;
}

interface Run {
  rows: MemoryRow[];
  /** When half the tasks were done. */
  halfMs: number;
  endMs: number;
}

/** `tasks` empty tasks, each submitted once the last one's result is back; memory sampled every `sampleMs`. */
async function runSequential(
  tasks: number,
  flushBytes: number,
  sampleMs: number,
  seed: number,
  onTask: (i: number) => void,
): Promise<Run> {
  const flushing = flushBytes === Infinity ? "no flushing" : "flushing";
  const sim = new Simulation({
    seed,
    nodes: [{ name: "head", cpus: 4 }],
    gcs: { flushBytes, memorySampleMs: sampleMs },
    keepEvents: false,
  });
  let halfMs = 0;
  await sim.run(async (ray) => {
    const empty = ray.remote(() => null, { name: "empty", durationMs: 0, returnBytes: 8 });
    for (let i = 0; i < tasks; i++) {
      await ray.get(empty.remote());
      if (i + 1 === Math.floor(tasks / 2)) halfMs = ray.now();
      onTask(i + 1);
    }
  });
  return {
    rows: sim.metrics.gcsMemory().map((r) => ({ flushing, tMs: r.tMs, bytes: r.bytes })),
    halfMs,
    endMs: sim.nowMs,
  };
}

/** Memory at `tMs`, interpolated between the samples around it (the last one past the end). */
function bytesAt(rows: readonly MemoryRow[], tMs: number): number {
  const i = rows.findIndex((r) => r.tMs >= tMs);
  if (i < 0) return rows[rows.length - 1]?.bytes ?? 0;
  const b = rows[i]!;
  const a = i === 0 ? { tMs: 0, bytes: 0 } : rows[i - 1]!;
  return b.tMs === a.tMs
    ? b.bytes
    : a.bytes + ((b.bytes - a.bytes) * (tMs - a.tMs)) / (b.tMs - a.tMs);
}

export const fig10bGcsFlushing = defineScenario({
  name: "fig10b-gcs-flushing",
  title: "GCS memory with and without flushing (Ray Fig. 10b)",
  description:
    "Moritz et al., OSDI 2018, Fig. 10b: 50 M empty tasks submitted sequentially while the GCS's memory is " +
    "monitored, once without flushing and once with periodic flushing to disk. Without flushing, memory grows " +
    "linearly with the tasks tracked until it hits the machine's capacity and the workload stalls; with flushing it " +
    "stays capped at a user-configured level (the paper gives no absolute values). Here one node and one GCS shard " +
    "run `tasks` empty tasks, each submitted once the previous result is back, with `gcs.flushBytes` unset and then " +
    "set to `capBytes` (flushed rows go to durable storage). The stall itself is not modelled: the machine's " +
    "memory is not a parameter, so the unflushed run just keeps growing.",
  params: {
    tasks: {
      kind: "int",
      min: 100,
      max: 100_000_000,
      default: 1500,
      full: 50_000,
      description: "empty tasks submitted one after another",
    },
    capBytes: {
      kind: "number",
      min: 10_000,
      max: 1e12,
      default: 50_000,
      full: 1_000_000,
      unit: "bytes",
      description: "the GCS memory cap with flushing (gcs.flushBytes)",
    },
    sampleMs: {
      kind: "number",
      min: 1,
      max: 60_000,
      default: 1,
      full: 20,
      unit: "ms",
      description: "GCS memory sampling interval",
    },
  },
  async run(params, seed, progress): Promise<ScenarioResult> {
    const plain = await runSequential(params.tasks, Infinity, params.sampleMs, seed, (i) =>
      progress(i / (2 * params.tasks)),
    );
    const flushed = await runSequential(params.tasks, params.capBytes, params.sampleMs, seed, (i) =>
      progress(0.5 + i / (2 * params.tasks)),
    );
    // Halves by tasks done, not by time (the first tasks run slower). The GCS starts all but empty
    // (one node row): growth is measured from 0.
    const firstHalf = bytesAt(plain.rows, plain.halfMs);
    const secondHalf = bytesAt(plain.rows, plain.endMs) - firstHalf;
    const endBytes = bytesAt(plain.rows, plain.endMs);
    const peakFlushed = max(flushed.rows, (r) => r.bytes) ?? -Infinity;
    return {
      tables: { memory: table(["flushing", "tMs", "bytes"], [...plain.rows, ...flushed.rows]) },
      headlines: [
        {
          key: "growthLinearity",
          label:
            "memory added by the second half of the tasks over the first half's, without flushing",
          value: secondHalf / firstHalf,
          unit: "fraction",
          reference: {
            value: 1,
            label: "linear",
            source:
              "Ray paper Fig. 10b: without flushing, memory grows linearly with the tasks tracked",
          },
        },
        {
          key: "unflushedBytesPerTask",
          label: "GCS memory per task tracked, without flushing",
          value: endBytes / params.tasks,
          unit: "bytes",
        },
        {
          key: "flushedPeakOfCap",
          label: "peak GCS memory with flushing, as a fraction of the cap",
          value: peakFlushed / params.capBytes,
          unit: "fraction",
          reference: {
            value: 1,
            label: "the cap",
            source:
              "Ray paper Fig. 10b: with flushing, memory is capped at a user-configured level",
          },
        },
        {
          key: "unflushedOverFlushed",
          label: "final GCS memory without flushing over with",
          value: endBytes / bytesAt(flushed.rows, flushed.endMs),
          unit: "×",
        },
      ],
      plots: [
        {
          kind: "points",
          name: "memory",
          title: "GCS memory over time, with and without flushing",
          table: "memory",
          series: "flushing",
          joined: true,
          x: { column: "tMs", label: "time", unit: "ms" },
          y: { column: "bytes", label: "GCS memory", unit: "bytes" },
          references: [{ value: params.capBytes, label: "flushing cap" }],
        },
      ],
    };
  },
});
