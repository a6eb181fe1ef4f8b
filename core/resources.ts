/**
 * Resource sets: CPU, GPU (fractional allowed) and custom resources, as plain records of amounts.
 * Amounts are compared with a small epsilon so fractional GPU shares that sum to 1 fit exactly.
 */
import { assert } from "./assert.js";

export type ResourceSet = Readonly<Record<string, number>>;

const EPSILON = 1e-9;

export function fits(available: ResourceSet, request: ResourceSet): boolean {
  for (const key in request) {
    const need = request[key]!;
    if (need > 0 && (available[key] ?? 0) + EPSILON < need) return false;
  }
  return true;
}

export function subtract(from: Record<string, number>, request: ResourceSet): void {
  for (const key in request) {
    const left = (from[key] ?? 0) - request[key]!;
    assert(left > -EPSILON, `resource ${key} over-committed: ${left}`);
    from[key] = Math.abs(left) < EPSILON ? 0 : left;
  }
}

export function add(to: Record<string, number>, request: ResourceSet): void {
  for (const key in request) to[key] = (to[key] ?? 0) + request[key]!;
}

export function formatResources(r: ResourceSet): string {
  const parts = Object.entries(r)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k}: ${v}`);
  return parts.length === 0 ? "{}" : `{ ${parts.join(", ")} }`;
}
