/**
 * `npm start`: for now a tiny built-in demo (an M/M/1 queue on the kernel, checked against
 * queueing theory) that writes results/demo/mm1.csv. The scenarios issue replaces it with the suite.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Kernel } from "../sim/kernel.js";
import type { EventHandler } from "../sim/event-queue.js";
import { RandomStreams, exponential } from "../sim/random.js";
import { toCsv } from "../sim/csv.js";

const seed = 1;
const arrivalMeanUs = 1_000;
const serviceMeanUs = 800;
const jobs = 20_000;
const kernel = new Kernel();
const streams = new RandomStreams(seed);
const arrivals = streams.stream("arrivals");
const service = streams.stream("service");
const queue: number[] = [];
const waits: number[] = [];
let busy = false;
let arrived = 0;
const ARRIVE = 0;
const DEPART = 1;
const model: EventHandler = {
  handleEvent(tag) {
    if (tag === ARRIVE) {
      queue.push(kernel.nowUs);
      if (++arrived < jobs) kernel.schedule(Math.round(exponential(arrivals, arrivalMeanUs)), model, ARRIVE, undefined);
    } else busy = false;
    if (!busy && queue.length > 0) {
      waits.push(kernel.nowUs - queue.shift()!);
      busy = true;
      kernel.schedule(Math.round(exponential(service, serviceMeanUs)), model, DEPART, undefined);
    }
  },
};
kernel.schedule(0, model, ARRIVE, undefined);
kernel.runSync();
const rho = serviceMeanUs / arrivalMeanUs;
const meanWaitUs = waits.reduce((a, b) => a + b, 0) / waits.length;
const theoryUs = (rho * serviceMeanUs) / (1 - rho);
mkdirSync("results/demo", { recursive: true });
writeFileSync("results/demo/mm1.csv", toCsv(waits.map((w, i) => ({ job: i, waitMs: w / 1000 }))));
console.log(`seed ${seed}: M/M/1 with rho=${rho}: mean wait ${(meanWaitUs / 1000).toFixed(3)} ms, theory ${(theoryUs / 1000).toFixed(3)} ms`);
console.log("wrote results/demo/mm1.csv");
