/**
 * `npm start` (and `npm run raysim`): the command line. See main.ts, or run with --help.
 */
import { runCli } from "./main.js";

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
