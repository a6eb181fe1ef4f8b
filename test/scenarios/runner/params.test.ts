/**
 * Parameters from text: typed values with defaults per size, range checks, and messages that name
 * the parameter and what it accepts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mmcQueue } from "../../../scenarios/mmc-queue/mmc-queue.js";
import {
  checkParamSpecs,
  nonDefaults,
  parseParamValue,
  parseSets,
  resolveParams,
} from "../../../scenarios/runner/params.js";
import { SCENARIOS } from "../../../scenarios/registry.js";
import { UsageError } from "../../../scenarios/runner/usage-error.js";

test("resolveParams() takes the size's default, then the overrides", () => {
  assert.equal(resolveParams(mmcQueue, "quick").jobs, 100_000);
  assert.equal(resolveParams(mmcQueue, "full").jobs, 1_000_000);
  assert.equal(resolveParams(mmcQueue, "quick", { jobs: 300 }).jobs, 300);
});

test("parseParamValue() accepts numbers in range, in any notation", () => {
  assert.equal(parseParamValue(mmcQueue, "utilisation", "0.5", "--set"), 0.5);
  assert.equal(parseParamValue(mmcQueue, "jobs", "2e4", "--set"), 20_000);
  assert.equal(parseParamValue(mmcQueue, "servers", " 8 ", "--set"), 8);
});

test("parseParamValue() rejects what the kind or range does not allow, naming both", () => {
  const cases: [string, string, RegExp][] = [
    ["servers", "2.5", /servers must be an integer in \[1, 256\], got '2.5'/],
    ["servers", "0x10", /servers must be an integer/],
    ["utilisation", "1", /utilisation must be a number in \[0.01, 0.99\], got '1'/],
    ["utilisation", "NaN", /utilisation must be a number/],
    ["utilisation", "", /utilisation must be a number/],
  ];
  for (const [key, raw, message] of cases)
    assert.throws(
      () => parseParamValue(mmcQueue, key, raw, "--set"),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
    );
});

test("parseSets() rejects unknown parameters and malformed assignments", () => {
  assert.throws(
    () => parseSets(mmcQueue, ["nope=1"]),
    /unknown parameter 'nope' for mmc-queue; it has: servers, utilisation, serviceMeanMs, jobs, warmupFraction/,
  );
  assert.throws(() => parseSets(mmcQueue, ["=1"]), /--set '=1' is malformed; expected key=value/);
  assert.throws(() => parseSets(mmcQueue, ["constructor=1"]), /unknown parameter 'constructor'/);
});

test("nonDefaults() lists only what differs from the size's defaults", () => {
  assert.deepEqual(
    nonDefaults(mmcQueue, "quick", resolveParams(mmcQueue, "quick", { servers: 4, jobs: 100 })),
    { jobs: 100 },
  );
});

test("every registered scenario declares defaults inside its own ranges", () => {
  for (const s of SCENARIOS) checkParamSpecs(s.name, s.params);
  assert.throws(
    () =>
      checkParamSpecs("bad", { n: { kind: "int", min: 1, max: 3, default: 5, description: "n" } }),
    /parameter n declares 5, outside an integer in \[1, 3\]/,
  );
});
