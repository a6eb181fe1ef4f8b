/**
 * The seam (DESIGN.md): core/ touches the world only through core/env.ts. This scans every core/
 * source for clocks, host timers, Math.random, I/O modules and imports of sim/.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const FORBIDDEN = [
  /Math\.random/,
  /Date\.now/,
  /performance\.now/,
  /new Date\(/,
  /\bsetTimeout\b/,
  /\bsetInterval\b/,
  /\bsetImmediate\b/,
  /process\.hrtime/,
  /from "node:/,
  /from "(\.\.\/)+sim\//,
  /require\(/,
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

test("core/ uses no clock, timer, Math.random, I/O or sim/ import", () => {
  const hits: string[] = [];
  for (const file of sources("core")) {
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (line.trim().startsWith("//") || line.trim().startsWith("*")) return;
        for (const re of FORBIDDEN)
          if (re.test(line)) hits.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(hits, []);
});
