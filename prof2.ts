import { runFig8b } from "./bench/throughput.bench.js";
await runFig8b(2, 3000, 500);
const r = await runFig8b(10, 10000, 500);
console.log(r.wallMs);
