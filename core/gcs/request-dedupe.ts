/**
 * At-most-once writes under client retries: every replica of a chain records, as part of applying
 * a write, which (client, request id) it applied and the result. A retried write that was applied
 * already is not applied again (a second `task.resubmit` would grant a second attempt); its
 * original result is sent again instead. Each request carries the client's low-water mark (the
 * lowest request id it still waits for), so entries below it are dropped: the table holds about
 * one entry per request in flight. Requests below the mark are late duplicates and are ignored.
 *
 * A client is its address and its session: a process restarted at the same address (a node's next
 * incarnation) numbers its requests from 0 again, and must not be taken for its predecessor.
 */
import { assert } from "../assert.js";
import type { Address } from "../env.js";

interface ClientWindow {
  /** Request ids below this are answered at the client: duplicates of them are dropped. */
  lowWater: number;
  readonly results: Map<number, unknown>;
}

function requesterKey(client: Address, session: string): string {
  return `${client}|${session}`;
}

/** Estimated bytes per entry, for the size of a snapshot. */
const ENTRY_BYTES = 48;

export class RequestDedupe {
  private readonly clients = new Map<string, ClientWindow>();
  private entries = 0;

  /** True for a request applied already, or one older than the client's low-water mark. */
  isDuplicate(client: Address, session: string, reqId: number): boolean {
    const w = this.clients.get(requesterKey(client, session));
    if (w === undefined) return false;
    return reqId < w.lowWater || w.results.has(reqId);
  }

  /** Whether the original result of a duplicate is still known (it is unless below the mark). */
  hasResult(client: Address, session: string, reqId: number): boolean {
    return this.clients.get(requesterKey(client, session))?.results.has(reqId) === true;
  }

  resultOf(client: Address, session: string, reqId: number): unknown {
    const w = this.clients.get(requesterKey(client, session));
    assert(w !== undefined && w.results.has(reqId), `dedupe: no result for ${client}#${reqId}`);
    return w.results.get(reqId);
  }

  record(client: Address, session: string, reqId: number, result: unknown, lowWater: number): void {
    // Hot path: messages are built only on failure.
    if (reqId < 0) assert(false, `dedupe: negative request id ${reqId}`);
    if (lowWater > reqId)
      assert(false, `dedupe: low-water mark ${lowWater} above request ${reqId}`);
    const key = requesterKey(client, session);
    let w = this.clients.get(key);
    if (w === undefined) this.clients.set(key, (w = { lowWater: 0, results: new Map() }));
    if (lowWater > w.lowWater) {
      w.lowWater = lowWater;
      // Ids arrive in about increasing order, so the old ones sit at the front.
      for (const id of w.results.keys()) {
        if (id >= lowWater) break;
        w.results.delete(id);
        this.entries--;
      }
    }
    if (w.results.has(reqId)) assert(false, `dedupe: ${client}#${reqId} applied twice`);
    w.results.set(reqId, result);
    this.entries++;
  }

  sizeBytes(): number {
    return this.entries * ENTRY_BYTES;
  }

  copy(): RequestDedupe {
    const c = new RequestDedupe();
    for (const [client, w] of this.clients)
      c.clients.set(client, { lowWater: w.lowWater, results: new Map(w.results) });
    c.entries = this.entries;
    return c;
  }
}
