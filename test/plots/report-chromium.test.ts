/**
 * The report in a real browser: headless Chromium (Debian's `chromium`) loads results/index.html
 * built from real runs with no console errors, and every chart is laid out with both axes.
 * Skipped, with a message, where Chromium is not installed (`apt-get install -y chromium`; or set
 * RAYSIM_CHROMIUM to its path). RAYSIM_REPORT_SCREENSHOT=path.png keeps a full-page screenshot.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { cliInProcess } from "../scenarios/cli/cli-harness.js";
import { CHROMIUM, chromiumAvailable, inspectPage } from "./chromium.js";

const skip = chromiumAvailable() ? false : `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) or set RAYSIM_CHROMIUM to run this check`;

test("results/index.html loads in headless Chromium without errors, every chart with its axes", { skip, timeout: 120_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), "raysim-report-"));
  try {
    for (const argv of [
      ["run", "mmc-queue", "--set", "jobs=2000"],
      ["run", "fanout-demo", "--set", "rounds=30", "--set", "killAtMs=400", "--set", "restartAfterMs=800"],
      ["sweep", "mmc-queue", "--seeds", "1..2", "--grid", "utilisation=0.5,0.8", "--set", "jobs=500", "--jobs", "1"],
    ]) {
      const r = await cliInProcess([...argv, "--out", out]);
      assert.equal(r.code, 0, r.stderr);
    }
    const page = await inspectPage(pathToFileURL(join(out, "index.html")).href, { screenshotPath: process.env.RAYSIM_REPORT_SCREENSHOT });
    assert.deepEqual(page.consoleErrors, []);
    assert.equal(page.sections, 3);
    assert.equal(page.charts, 3 + 4 + 4);
    assert.equal(page.chartsWithAxes, page.charts);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
