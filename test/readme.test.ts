/**
 * The README's driver program runs as shown and prints what the README says it returns. It runs
 * from a temp dir, so the test writes nothing into the repo; the README's `./sim/index.js` import
 * (correct for a reader who saves it at the repo root) is pointed at this checkout's file URL.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";

const README_IMPORT = `from "./sim/index.js"`;

test("the README's driver program runs as shown and returns 30 despite the node kill", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("## A driver program"));
  const start = section.indexOf("```ts") + 5;
  const code = section.slice(start, section.indexOf("```", start));
  assert.ok(
    code.includes(README_IMPORT),
    `the README's driver program should import ${README_IMPORT}`,
  );
  const simIndex = new URL("../sim/index.js", import.meta.url).href;
  const dir = mkdtempSync(join(tmpdir(), "raysim-readme-"));
  try {
    // An ES module like the repo's own files (top-level await), wherever the temp dir is.
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    const file = join(dir, "demo.ts");
    writeFileSync(file, code.replace(README_IMPORT, `from ${JSON.stringify(simIndex)}`));
    const register = new URL("../register.mjs", import.meta.url).href;
    const out = execFileSync(process.execPath, ["--import", register, file], {
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.match(out, /^30 /);
    assert.match(out, /killNode/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
