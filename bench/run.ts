/** `npm run bench`: every benchmark, one JSON line per figure on stdout, progress on stderr. */
import { benchKernel } from "./kernel.bench.js";
import { benchThroughput } from "./throughput.bench.js";
import { benchTransfer } from "./transfer.bench.js";

const suites: Array<
  [string, () => Promise<Record<string, unknown>[]> | Record<string, unknown>[]]
> = [
  ["kernel", benchKernel],
  ["throughput", benchThroughput],
  ["transfer", benchTransfer],
];
const only = process.argv[2];
for (const [name, run] of suites) {
  if (only !== undefined && only !== name) continue;
  process.stderr.write(`bench ${name}…\n`);
  for (const line of await run()) process.stdout.write(JSON.stringify(line) + "\n");
}
