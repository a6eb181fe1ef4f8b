/** The README's driver program runs as shown and prints what the README says it returns. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";

test("the README's driver program runs as shown and returns 30 despite the node kill", () => {
  const readme = readFileSync("README.md", "utf8");
  const section = readme.slice(readme.indexOf("## A driver program"));
  const code = section.slice(section.indexOf("```ts") + 5, section.indexOf("```", section.indexOf("```ts") + 5));
  const file = "readme-demo.test-tmp.ts";
  writeFileSync(file, code);
  try {
    const out = execFileSync(process.execPath, ["--import", "./register.mjs", file], { encoding: "utf8", timeout: 60_000 });
    assert.match(out, /^30 /);
    assert.match(out, /killNode/);
  } finally {
    rmSync(file, { force: true });
  }
});
