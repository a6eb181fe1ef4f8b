/**
 * The report in a real browser: headless Chromium (Debian's `chromium`) loads results/index.html
 * built from real runs with no console errors or page exceptions, every chart's SVG is laid out
 * with a non-empty box and both axes, and a full-page screenshot is taken (into the run's temp dir,
 * kept and named in the log when the test fails).
 *
 * Where Chromium is not installed (`apt-get install -y chromium`, or RAYSIM_CHROMIUM=path) the test
 * skips with a message, unless RAYSIM_REQUIRE_CHROMIUM=1 (set by .ci/run once it has installed
 * Chromium), which turns a missing browser into a failure. RAYSIM_REPORT_SCREENSHOT=path.png also
 * copies the screenshot there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { cliInProcess } from "../scenarios/cli/cli-harness.js";
import { CHROMIUM, chromiumAvailable, inspectPage } from "./chromium.js";

const required = process.env.RAYSIM_REQUIRE_CHROMIUM === "1";
const skip =
  chromiumAvailable() || required
    ? false
    : `SKIPPED, NOT RUN IN A BROWSER: ${CHROMIUM} not found; install Debian's chromium (apt-get install -y chromium) or set RAYSIM_CHROMIUM`;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** A 1280 px wide page of eleven charts compresses to far more than this; a blank page to less. */
const MIN_SCREENSHOT_BYTES = 20_000;

test(
  "results/index.html in headless Chromium: no errors, every chart laid out with its axes, screenshot",
  { skip, timeout: 120_000 },
  async (t) => {
    assert.ok(chromiumAvailable(), `RAYSIM_REQUIRE_CHROMIUM=1 but ${CHROMIUM} does not exist`);
    const out = mkdtempSync(join(tmpdir(), "raysim-report-"));
    let passed = false;
    try {
      for (const argv of [
        ["run", "mmc-queue", "--set", "jobs=2000"],
        [
          "run",
          "chain-reconstruction",
          "--set",
          "nodes=2",
          "--set",
          "durationS=6",
          "--set",
          "restartAfterS=2",
        ],
        [
          "sweep",
          "mmc-queue",
          "--seeds",
          "1..2",
          "--grid",
          "utilisation=0.5,0.8",
          "--set",
          "jobs=500",
          "--jobs",
          "1",
        ],
      ]) {
        const r = await cliInProcess([...argv, "--out", out]);
        assert.equal(r.code, 0, r.stderr);
      }
      const screenshot = join(out, "report.png");
      const page = await inspectPage(pathToFileURL(join(out, "index.html")).href, {
        screenshotPath: screenshot,
      });
      t.diagnostic(
        `report opened in Chromium: ${page.browser} (${CHROMIUM}), ${page.charts} charts, screenshot taken`,
      );
      assert.match(page.browser, /Chrom/);
      assert.deepEqual(page.consoleErrors, []);
      assert.equal(page.sections, 3);
      assert.equal(page.charts, 3 + 2 + 4);
      const empty = page.chartBoxes.filter((box) => !(box.widthPx > 0 && box.heightPx > 0));
      assert.deepEqual(empty, [], "every chart's SVG has a non-empty bounding box");
      assert.equal(page.chartsWithAxes, page.charts);
      const png = readFileSync(screenshot);
      assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE, "the screenshot is a PNG");
      assert.ok(
        png.length > MIN_SCREENSHOT_BYTES,
        `the screenshot has content (${png.length} bytes)`,
      );
      if (process.env.RAYSIM_REPORT_SCREENSHOT !== undefined)
        copyFileSync(screenshot, process.env.RAYSIM_REPORT_SCREENSHOT);
      passed = true;
    } finally {
      if (passed) rmSync(out, { recursive: true, force: true });
      else process.stderr.write(`report, results and screenshot kept for inspection in ${out}\n`);
    }
  },
);
