/** A reference measured on a larger setup is shown marked "scaled down", with no difference taken. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { referenceDifference, SCALED_DOWN } from "../../../scenarios/output/summary.js";
import { headlineLines } from "../../../scenarios/cli/io.js";
import { renderReport } from "../../../plots/report.js";

const paper = { value: 500, label: "Ray paper", source: "Fig. 11b" };

test("referenceDifference: none against a scaled-down reference, the usual one otherwise", () => {
  assert.equal(referenceDifference(62, { ...paper, scaledDown: true }), undefined);
  assert.deepEqual(referenceDifference(600, paper), { absolute: 100, relative: 0.2 });
});

test("the CLI prints the marker instead of a percentage", () => {
  const line = headlineLines([
    {
      key: "callsReplayed",
      label: "calls replayed",
      value: 62,
      unit: "calls",
      reference: { ...paper, scaledDown: true },
    },
  ]);
  assert.match(line, new RegExp(`\\(reference 500 calls, ${SCALED_DOWN}\\)`));
  assert.doesNotMatch(line, /%/);
});

test("the report shows the marker in the difference column", () => {
  const entry = {
    anchor: "a/r",
    kind: "run" as const,
    scenario: "a",
    title: "A",
    description: "",
    id: "r",
    facts: [],
    params: [],
    charts: [],
    files: [],
  };
  const html = renderReport({
    title: "t",
    subtitle: "s",
    entries: [
      {
        ...entry,
        headlines: [
          {
            label: "calls replayed",
            unit: "calls",
            value: 62,
            reference: 500,
            source: "Fig. 11b",
            scaledDown: true,
          },
        ],
      },
    ],
  });
  assert.match(html, /<td class="num">scaled down<\/td>/);
});
