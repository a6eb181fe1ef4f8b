import { heartbeatKernel, heartbeatObjects } from "./kernel.bench.js";
const timers = Number(process.argv[2] ?? 16);
heartbeatKernel(timers, 100_000, 2e5, 0);
for (let k = 0; k < 3; k++) { const ms = heartbeatKernel(timers, 100_000, 4e6, 1); console.log(timers, (4e6 / ms / 1e3).toFixed(2), "M/s kernel"); }
const ms = heartbeatObjects(timers, 100_000, 4e6, 1); console.log(timers, (4e6 / ms / 1e3).toFixed(2), "M/s objects");
