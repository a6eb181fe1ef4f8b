/**
 * Bad input from the command line: an unknown scenario, parameter or option, an out-of-range or
 * malformed value. The CLI prints its one-line message (naming what was wrong and what is
 * accepted) and exits with code 2, without a stack trace. Anything else thrown is a bug or a
 * failed run, and keeps its stack.
 */
export class UsageError extends Error {
  override name = "UsageError";
}
