/**
 * Tick and value formats read like "200 ms", "1.5 s", "10 MB", "1k", "50%".
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { axisFormat, axisTitle, formatValue, tickUnit } from "../../plots/units.js";

const ticks = (unit: string, values: number[], perTick = false) =>
  values.map(axisFormat(unit, values, perTick).format);

test("axisFormat('ms') shows ms below 2 s and seconds above, with the unit in the title", () => {
  assert.deepEqual(ticks("ms", [0, 200, 400, 600]), ["0 ms", "200 ms", "400 ms", "600 ms"]);
  assert.deepEqual(ticks("ms", [0, 5000, 10000]), ["0 s", "5 s", "10 s"]);
  assert.deepEqual(ticks("ms", [0, 0.5, 1.5]), ["0 ms", "0.5 ms", "1.5 ms"]);
  assert.deepEqual(ticks("ms", [0, 0.2, 0.4]), ["0 µs", "200 µs", "400 µs"]);
  assert.equal(axisFormat("ms", [0, 5000]).titleUnit, "s");
});

test("axisFormat('bytes') uses decimal prefixes", () => {
  assert.deepEqual(ticks("bytes", [0, 5e6, 1e7]), ["0 MB", "5 MB", "10 MB"]);
  assert.deepEqual(ticks("bytes", [0, 500, 1000]), ["0 kB", "0.5 kB", "1 kB"]);
  assert.deepEqual(ticks("bytes", [0, 200, 400]), ["0 B", "200 B", "400 B"]);
});

test("axisFormat(count unit) uses SI prefixes per tick and keeps the unit for the title", () => {
  assert.deepEqual(ticks("tasks/s", [0, 500, 1000, 1500]), ["0", "500", "1k", "1.5k"]);
  assert.deepEqual(ticks("jobs", [0, 2e6, 4e6]), ["0", "2M", "4M"]);
  assert.equal(
    axisTitle("throughput", axisFormat("tasks/s", [0, 1]).titleUnit),
    "throughput (tasks/s)",
  );
});

test("axisFormat('fraction') shows percentages", () => {
  assert.deepEqual(ticks("fraction", [0, 0.25, 0.5]), ["0%", "25%", "50%"]);
});

test("axisFormat(unit, ticks, perTick) gives each decade of a log axis its own unit", () => {
  assert.deepEqual(ticks("ms", [0.1, 1, 10, 100, 1000, 10000], true), [
    "100 µs",
    "1 ms",
    "10 ms",
    "100 ms",
    "1 s",
    "10 s",
  ]);
});

test("axisFormat() falls back to exponent notation for extreme magnitudes", () => {
  assert.deepEqual(ticks("tasks", [0, 5e299, 1e300]), ["0", "5e+299", "1e+300"]);
});

test("formatValue() prints three significant digits in the best unit", () => {
  assert.equal(formatValue(1070, "ms"), "1.07 s");
  assert.equal(formatValue(7.4554, "ms"), "7.46 ms");
  assert.equal(formatValue(0.5964, "fraction"), "59.6%");
  assert.equal(formatValue(2.5e7, "bytes"), "25 MB");
  assert.equal(formatValue(769.8, "tasks/s"), "770 tasks/s");
  assert.equal(formatValue(Number.NaN, "ms"), "—");
});

test("tickUnit('ms', extent) makes ticks whole minutes or hours on long time axes", () => {
  assert.equal(tickUnit("ms", [0, 350_000]), 60_000);
  assert.equal(tickUnit("ms", [0, 9e6]), 3_600_000);
  assert.equal(tickUnit("ms", [0, 90_000]), 1);
  assert.equal(tickUnit("jobs", [0, 350_000]), 1);
  const minutes = [0, 60_000, 120_000, 180_000];
  assert.deepEqual(ticks("ms", minutes), ["0 min", "1 min", "2 min", "3 min"]);
});
