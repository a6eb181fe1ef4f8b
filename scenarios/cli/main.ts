/**
 * The command line as a function: arguments in, exit code out (0 done, 1 a run failed, 2 bad
 * input), so tests can call it in-process as well as spawn it. Bad input prints one line naming
 * what was wrong and what is accepted, never a stack trace; a failed run prints its error and the
 * command that replays it.
 */
import { commandHelp, COMMANDS, mainHelp } from "./help.js";
import { RunFailedError, type CliIo } from "./io.js";
import { UsageError } from "../runner/usage-error.js";

// Command modules load on use: each ts-node start transpiles what it imports, and bad input or
// --help should not wait for the sweep machinery.
const runCommands = () => import("./run-commands.js");
const sweepCommands = () => import("./sweep-commands.js");

export const EXIT_OK = 0;
export const EXIT_RUN_FAILED = 1;
export const EXIT_USAGE = 2;

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command.startsWith("-")) {
    if (argv.includes("--help") || argv.includes("-h")) {
      io.stdout.write(mainHelp());
      return EXIT_OK;
    }
    return (await sweepCommands()).suiteCommand(argv, io);
  }
  if (
    (command === "run" || command === "sweep" || command === "trace") &&
    (await runCommands()).scenarioHelpIfAsked(rest, io)
  ) {
    io.stdout.write(commandHelp(command));
    return EXIT_OK;
  }
  switch (command) {
    case "help": {
      const topic = rest[0];
      io.stdout.write(
        topic !== undefined && COMMANDS.includes(topic) ? commandHelp(topic) : mainHelp(),
      );
      return EXIT_OK;
    }
    case "list":
      return (await runCommands()).listCommand(rest, io);
    case "run":
      return (await runCommands()).runCommand(rest, io);
    case "sweep":
      return (await sweepCommands()).sweepCommand(rest, io);
    case "merge":
      return (await sweepCommands()).mergeCommand(rest, io);
    case "trace":
      return (await runCommands()).traceCommand(rest, io);
    case "report":
      return (await runCommands()).reportCommand(rest, io);
    default:
      throw new UsageError(
        `unknown command '${command}'; commands: list, run, sweep, merge, trace, report (see: npm start -- --help)`,
      );
  }
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error instanceof Error && error.name === "PngUnavailableError")
    ) {
      io.stderr.write(`raysim: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (
      error instanceof RunFailedError ||
      (error instanceof Error && error.name === "SweepRunError")
    ) {
      io.stderr.write(`raysim: ${error.message}\n`);
      return EXIT_RUN_FAILED;
    }
    io.stderr.write(
      `raysim: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT_RUN_FAILED;
  }
}
