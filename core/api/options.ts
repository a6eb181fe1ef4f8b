/**
 * Options of remote functions and actor classes (API.md), their validation and the duration
 * models. Validation happens once, where the user calls `remote`/`actor`/`options`, and names the
 * field and what is accepted (ConfigError), so a bad option never surfaces as a wrong number later.
 */
import type { Rng } from "../env.js";
import type { ResourceSet } from "../resources.js";
import { exponential, lognormal, uniform } from "../random/distributions.js";
import { ConfigError } from "./errors.js";
import { unreachable } from "../assert.js";

/** What a duration function may look at besides the arguments. */
export interface DurationContext {
  readonly gpuModel: string | undefined;
  readonly nodeName: string;
}

export type DurationModel =
  | number
  | { dist: "fixed"; ms: number }
  | { dist: "exp"; meanMs: number }
  | { dist: "uniform"; minMs: number; maxMs: number }
  | { dist: "lognormal"; meanMs: number; sigma: number }
  | ((args: readonly unknown[], context: DurationContext) => number);

export type ErrorClass = abstract new (...args: never[]) => Error;

export interface RemoteOptions {
  name?: string;
  durationMs?: DurationModel;
  returnBytes?: number;
  resources?: Record<string, number>;
  /** GPU memory held on each GPU it is given, while it runs; needs resources.GPU > 0. */
  gpuMemoryBytes?: number;
  numReturns?: number;
  maxRetries?: number;
  retryExceptions?: boolean | readonly ErrorClass[];
}

export interface MethodOptions {
  durationMs?: DurationModel;
  returnBytes?: number;
  numReturns?: number;
}

export type RecoveryMode = "replay" | "restart";

export interface ActorOptions {
  name?: string;
  resources?: Record<string, number>;
  /** GPU memory held on each GPU it is given, for the actor's life; needs resources.GPU > 0. */
  gpuMemoryBytes?: number;
  /** Time the constructor takes. */
  durationMs?: DurationModel;
  maxRestarts?: number;
  maxTaskRetries?: number;
  checkpointInterval?: number;
  checkpointBytes?: number;
  recovery?: RecoveryMode;
  methods?: Record<string, MethodOptions>;
}

export interface ResolvedRemoteOptions {
  name: string;
  durationMs: DurationModel;
  returnBytes: number;
  resources: ResourceSet;
  gpuMemoryBytes: number;
  numReturns: number;
  maxRetries: number;
  retryExceptions: boolean | readonly ErrorClass[];
}

export interface ResolvedActorOptions {
  name: string;
  resources: ResourceSet;
  gpuMemoryBytes: number;
  durationMs: DurationModel;
  maxRestarts: number;
  maxTaskRetries: number;
  checkpointInterval: number;
  checkpointBytes: number;
  recovery: RecoveryMode;
  methods: Record<string, Required<MethodOptions>>;
}

export interface OptionDefaults {
  maxRetries: number;
  returnBytes: number;
}

function fail(field: string, accepted: string, got: unknown): never {
  throw new ConfigError(
    `${field} must be ${accepted}, got ${typeof got === "function" ? "a function" : JSON.stringify(got)}`,
  );
}

export function checkCount(field: string, v: unknown, min: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min)
    fail(field, `an integer >= ${min}`, v);
  return v;
}

export function checkAmount(field: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) fail(field, "a finite number >= 0", v);
  return v;
}

function checkRetries(field: string, v: unknown): number {
  if (v === -1) return -1;
  return checkCount(field, v, 0);
}

export function checkDuration(field: string, d: unknown): DurationModel {
  if (typeof d === "function") return d as DurationModel;
  if (typeof d === "number") return checkAmount(field, d);
  if (typeof d !== "object" || d === null)
    fail(
      field,
      'a number of ms, a function (args) => ms, or { dist: "exp" | "uniform" | "lognormal" | "fixed", … }',
      d,
    );
  const m = d as Record<string, unknown>;
  switch (m.dist) {
    case "fixed":
      checkAmount(`${field}.ms`, m.ms);
      break;
    case "exp":
      checkAmount(`${field}.meanMs`, m.meanMs);
      break;
    case "uniform":
      checkAmount(`${field}.minMs`, m.minMs);
      if (checkAmount(`${field}.maxMs`, m.maxMs) < (m.minMs as number))
        fail(`${field}.maxMs`, `>= minMs (${String(m.minMs)})`, m.maxMs);
      break;
    case "lognormal":
      checkAmount(`${field}.meanMs`, m.meanMs);
      checkAmount(`${field}.sigma`, m.sigma);
      break;
    default:
      fail(`${field}.dist`, '"fixed", "exp", "uniform" or "lognormal"', m.dist);
  }
  return d as DurationModel;
}

export function checkResources(field: string, r: unknown): ResourceSet {
  if (r === undefined) return { CPU: 1 };
  if (typeof r !== "object" || r === null)
    fail(field, "an object of resource amounts like { CPU: 1, GPU: 0.5 }", r);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r)) {
    out[k] = checkAmount(`${field}.${k}`, v);
    if (k === "GPU" && v > 1 && !Number.isInteger(v))
      fail(`${field}.GPU`, "a fraction <= 1 or a whole number of GPUs", v);
  }
  return out;
}

/** GPU memory is memory on the GPUs the request is given: without a GPU there is none to hold. */
function checkGpuMemory(field: string, v: unknown, resources: ResourceSet): number {
  if (v === undefined) return 0;
  const bytes = checkAmount(field, v);
  if (bytes > 0 && !((resources.GPU ?? 0) > 0))
    fail(field, "used with resources.GPU > 0 (it is memory on the GPU given to it)", v);
  return bytes;
}

const REMOTE_KEYS = new Set([
  "name",
  "durationMs",
  "returnBytes",
  "resources",
  "gpuMemoryBytes",
  "numReturns",
  "maxRetries",
  "retryExceptions",
]);

export function resolveRemoteOptions(
  fnName: string,
  o: RemoteOptions,
  defaults: OptionDefaults,
): ResolvedRemoteOptions {
  for (const k of Object.keys(o))
    if (!REMOTE_KEYS.has(k))
      fail(`remote(${fnName}) option "${k}"`, `one of ${[...REMOTE_KEYS].join(", ")}`, k);
  const re = o.retryExceptions ?? false;
  if (typeof re !== "boolean" && !(Array.isArray(re) && re.every((c) => typeof c === "function"))) {
    fail(`remote(${fnName}).retryExceptions`, "true, false, or a list of error classes", re);
  }
  const resources = checkResources(`remote(${fnName}).resources`, o.resources);
  return {
    name: o.name ?? fnName,
    durationMs: checkDuration(`remote(${fnName}).durationMs`, o.durationMs ?? 0),
    returnBytes: checkAmount(
      `remote(${fnName}).returnBytes`,
      o.returnBytes ?? defaults.returnBytes,
    ),
    resources,
    gpuMemoryBytes: checkGpuMemory(`remote(${fnName}).gpuMemoryBytes`, o.gpuMemoryBytes, resources),
    numReturns: checkCount(`remote(${fnName}).numReturns`, o.numReturns ?? 1, 1),
    maxRetries: checkRetries(`remote(${fnName}).maxRetries`, o.maxRetries ?? defaults.maxRetries),
    retryExceptions: re,
  };
}

export function resolveActorOptions(
  className: string,
  o: ActorOptions,
  defaults: OptionDefaults,
): ResolvedActorOptions {
  const recovery = o.recovery ?? "replay";
  if (recovery !== "replay" && recovery !== "restart")
    fail(`actor(${className}).recovery`, '"replay" or "restart"', recovery);
  const methods: Record<string, Required<MethodOptions>> = {};
  for (const [m, mo] of Object.entries(o.methods ?? {})) {
    methods[m] = {
      durationMs: checkDuration(`actor(${className}).methods.${m}.durationMs`, mo.durationMs ?? 0),
      returnBytes: checkAmount(
        `actor(${className}).methods.${m}.returnBytes`,
        mo.returnBytes ?? defaults.returnBytes,
      ),
      numReturns: checkCount(`actor(${className}).methods.${m}.numReturns`, mo.numReturns ?? 1, 1),
    };
  }
  const resources = checkResources(`actor(${className}).resources`, o.resources);
  return {
    name: o.name ?? className,
    resources,
    gpuMemoryBytes: checkGpuMemory(
      `actor(${className}).gpuMemoryBytes`,
      o.gpuMemoryBytes,
      resources,
    ),
    durationMs: checkDuration(`actor(${className}).durationMs`, o.durationMs ?? 0),
    maxRestarts: checkRetries(`actor(${className}).maxRestarts`, o.maxRestarts ?? 0),
    maxTaskRetries: checkRetries(`actor(${className}).maxTaskRetries`, o.maxTaskRetries ?? 0),
    checkpointInterval: checkCount(
      `actor(${className}).checkpointInterval`,
      o.checkpointInterval ?? 0,
      0,
    ),
    checkpointBytes: checkAmount(`actor(${className}).checkpointBytes`, o.checkpointBytes ?? 0),
    recovery,
    methods,
  };
}

export const DEFAULT_METHOD_OPTIONS = (returnBytes: number): Required<MethodOptions> => ({
  durationMs: 0,
  returnBytes,
  numReturns: 1,
});

/** Draws a duration in ms from a model. Distribution draws come from the task's own stream. */
export function drawDurationMs(
  model: DurationModel,
  args: readonly unknown[],
  context: DurationContext,
  rng: () => Rng,
): number {
  if (typeof model === "number") return model;
  if (typeof model === "function") {
    const ms = model(args, context);
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0)
      throw new ConfigError(
        `durationMs function must return a finite number >= 0, got ${String(ms)}`,
      );
    return ms;
  }
  switch (model.dist) {
    case "fixed":
      return model.ms;
    case "exp":
      return exponential(rng(), model.meanMs);
    case "uniform":
      return uniform(rng(), model.minMs, model.maxMs);
    case "lognormal": {
      // Parameterised by the mean of the lognormal itself: mu = ln(mean) - sigma^2 / 2.
      const mu = Math.log(Math.max(model.meanMs, 1e-12)) - (model.sigma * model.sigma) / 2;
      return lognormal(rng(), mu, model.sigma);
    }
    default:
      return unreachable(model, "duration model");
  }
}
