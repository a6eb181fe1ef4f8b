import { Session } from "node:inspector/promises";
import fs from "node:fs";
const s = new Session(); s.connect();
await s.post("HeapProfiler.enable");
await s.post("HeapProfiler.startSampling", { samplingInterval: 1024, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true } as any);
process.argv.splice(2, 0);
await import(process.argv[2] === "--child" ? "./queue-variants.ts" : "./_exp2.ts");
const { profile } = await s.post("HeapProfiler.stopSampling");
fs.writeFileSync("/tmp/prof/x.heapprofile", JSON.stringify(profile));
