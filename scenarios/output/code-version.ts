/**
 * The code version written into every summary: the package version and the git commit when the
 * code runs from a checkout. It only reads (`git rev-parse`); with no git it says so.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

let cached: string | undefined;

export function codeVersion(): string {
  if (cached !== undefined) return cached;
  const root = new URL("../../", import.meta.url);
  let version = "unknown";
  try {
    version =
      (JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as { version?: string })
        .version ?? version;
  } catch {
    // A missing package.json only loses the version number.
  }
  let commit = "no git";
  try {
    commit = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], {
      cwd: root,
      stdio: ["ignore", "pipe", "ignore"],
      encoding: "utf8",
    }).trim();
  } catch {
    // Not a checkout (a tarball, a container image): the package version is what there is.
  }
  cached = `raysim ${version} (${commit})`;
  return cached;
}
