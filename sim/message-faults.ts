/**
 * Faults of the channels (API.md "Faults"): messages lost, duplicated or delayed past later ones.
 * Each rule matches links by `from`/`to` (a node name, or a kind of process: "gcs", "scheduler",
 * "raylet", "worker" — drivers are workers too) and hits a matching message with a probability,
 * drawn from a stream of its own so rules never shift each other's draws.
 *
 * The world consults the rules only while one is active (sim/world.ts keeps the hot path a length
 * check). A delayed message or a duplicate copy is not perturbed again (a duplicate of a duplicate
 * would never end at probability 1), but it may still be dropped.
 */
import { ConfigError } from "../core/api/errors.js";
import type { Address, Rng } from "../core/env.js";
import { usToMs } from "../core/units.js";

export type MessageFaultKind = "drop" | "duplicate" | "delay";

export interface MessageFaultOptions {
  to?: string;
  from?: string;
  probability: number;
  atMs?: number;
  durationMs?: number;
  /** delayMessages only: the extra latency of a hit message. */
  extraMs?: number;
}

/** The process kinds `to`/`from` may name, and the address kinds each stands for. */
const KIND_PREFIXES: Record<string, readonly string[]> = {
  gcs: ["gcs@", "gcsmaster@"],
  scheduler: ["gsched@"],
  raylet: ["raylet@"],
  worker: ["worker@", "driver@"],
};

/** Largest spread of a duplicate's extra delay, in µs: "a little later", well under a retry timeout. */
export const DUPLICATE_SPREAD_US = 1_000;

export class MessageFaultRule {
  private readonly fromPrefixes: readonly string[] | undefined;
  private readonly toPrefixes: readonly string[] | undefined;
  constructor(
    readonly kind: MessageFaultKind,
    private readonly from: string | undefined,
    private readonly to: string | undefined,
    private readonly probability: number,
    readonly extraUs: number,
    private readonly rng: Rng,
  ) {
    this.fromPrefixes = from === undefined ? undefined : KIND_PREFIXES[from];
    this.toPrefixes = to === undefined ? undefined : KIND_PREFIXES[to];
  }

  /** Whether this rule hits a message on the link; draws only for a matching link. */
  hits(fromNode: string, toNode: string, fromAddr: Address, toAddr: Address): boolean {
    return (
      matches(this.from, this.fromPrefixes, fromNode, fromAddr) &&
      matches(this.to, this.toPrefixes, toNode, toAddr) &&
      this.rng.next() < this.probability
    );
  }

  /** A duplicate's extra delay, in µs. */
  duplicateDelayUs(): number {
    return Math.floor(this.rng.next() * DUPLICATE_SPREAD_US);
  }

  describe(): string {
    return `${this.from ?? "*"}->${this.to ?? "*"}@${this.probability}${this.kind === "delay" ? `+${usToMs(this.extraUs)}ms` : ""}`;
  }
}

function matches(
  pattern: string | undefined,
  prefixes: readonly string[] | undefined,
  node: string,
  addr: Address,
): boolean {
  if (pattern === undefined) return true;
  if (prefixes !== undefined) return prefixes.some((p) => addr.startsWith(p));
  return node === pattern;
}

/**
 * Checks a message fault's options; throws a ConfigError naming the parameter. `knownNodes` are the
 * node names `to`/`from` may name besides the process kinds.
 */
export function checkMessageFault(
  fault: string,
  options: MessageFaultOptions,
  knownNodes: readonly string[],
): { durationMs: number | undefined; extraMs: number } {
  if (options === null || typeof options !== "object")
    throw new ConfigError(
      `${fault}(options): options must be an object with a probability in [0, 1]`,
    );
  const p = options.probability;
  if (typeof p !== "number" || !(p >= 0 && p <= 1))
    throw new ConfigError(
      `${fault}({ probability }) must be a number in [0, 1], got ${JSON.stringify(p)}`,
    );
  for (const field of ["to", "from"] as const) {
    const v = options[field];
    if (v === undefined) continue;
    if (typeof v !== "string" || (KIND_PREFIXES[v] === undefined && !knownNodes.includes(v))) {
      throw new ConfigError(
        `${fault}({ ${field} }) must be a node name or one of ${Object.keys(KIND_PREFIXES).join(", ")}; got ${JSON.stringify(v)} (known nodes: ${knownNodes.join(", ")})`,
      );
    }
  }
  const durationMs = options.durationMs;
  if (
    durationMs !== undefined &&
    (typeof durationMs !== "number" || !Number.isFinite(durationMs) || durationMs < 0)
  ) {
    throw new ConfigError(
      `${fault}({ durationMs }) must be a finite number of ms >= 0, got ${JSON.stringify(durationMs)}`,
    );
  }
  let extraMs = 0;
  if (fault === "delayMessages") {
    const e = options.extraMs;
    if (typeof e !== "number" || !Number.isFinite(e) || e <= 0)
      throw new ConfigError(
        `delayMessages({ extraMs }) must be a finite number of ms > 0, got ${JSON.stringify(e)}`,
      );
    extraMs = e;
  } else if (options.extraMs !== undefined) {
    throw new ConfigError(
      `${fault}({ extraMs }) is not accepted: only delayMessages takes extraMs`,
    );
  }
  return { durationMs, extraMs };
}
