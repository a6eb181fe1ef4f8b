/**
 * The virtual network. Every message pays a one-way latency. A small message also pays its size over
 * the bandwidth; a bulk transfer (object data, at least `bulkThresholdBytes`) shares its sender's
 * NIC fairly with the other bulk transfers in progress there (processor sharing: n flows each get
 * bandwidth / n), so two 100 MB fetches from one node take twice as long as one. Messages between
 * processes of one node pay only `localLatencyUs` (IPC; objects are shared memory).
 *
 * Simplification, stated: only the sender's egress is shared; receivers never bottleneck.
 */
import { assert } from "../core/assert.js";
import type { EventHandler } from "./event-queue.js";
import type { Kernel } from "./kernel.js";
import { bytesInUs, transferUs } from "../core/units.js";

export interface NetworkOptions {
  latencyUs: number;
  localLatencyUs: number;
  bandwidthBytesPerSec: number;
  bulkThresholdBytes: number;
}

export const NETWORK_DEFAULTS: NetworkOptions = {
  // Ray paper §5 testbed: AWS instances with 25 Gbps links (~3.1 GB/s); ~100 µs one-way latency.
  latencyUs: 100,
  localLatencyUs: 10,
  bandwidthBytesPerSec: 3.125e9,
  bulkThresholdBytes: 64 * 1024,
};

interface Flow {
  remainingBytes: number;
  readonly handler: EventHandler;
  readonly tag: number;
  readonly data: unknown;
  readonly work: boolean;
}

class Nic implements EventHandler {
  readonly flows: Flow[] = [];
  lastUpdateUs = 0;
  pendingEvent = -1;
  constructor(readonly network: Network) {}
  handleEvent(): void {
    this.pendingEvent = -1;
    this.network.progress(this);
  }
}

export class Network {
  readonly options: NetworkOptions;
  private readonly nics = new Map<string, Nic>();
  bulkBytes = 0;

  constructor(private readonly kernel: Kernel, options: Partial<NetworkOptions>) {
    this.options = { ...NETWORK_DEFAULTS, ...options };
    assert(this.options.bandwidthBytesPerSec > 0, "network.bandwidthBytesPerSec must be > 0");
    assert(this.options.latencyUs >= 0, "network.latencyUs must be >= 0");
  }

  /** Time for `sizeBytes` alone on an idle link, in µs (latency + size / bandwidth). */
  transferTimeUs(sizeBytes: number): number {
    return Math.round(this.options.latencyUs + transferUs(sizeBytes, this.options.bandwidthBytesPerSec));
  }

  transmit(fromNode: string, toNode: string, sizeBytes: number, handler: EventHandler, tag: number, data: unknown, work: boolean): void {
    if (fromNode === toNode) {
      this.kernel.schedule(this.options.localLatencyUs, handler, tag, data, work);
      return;
    }
    if (sizeBytes < this.options.bulkThresholdBytes) {
      this.kernel.schedule(this.transferTimeUs(sizeBytes), handler, tag, data, work);
      return;
    }
    this.bulkBytes += sizeBytes;
    const nic = this.nic(fromNode);
    this.advance(nic);
    nic.flows.push({ remainingBytes: sizeBytes, handler, tag, data, work });
    this.reschedule(nic);
  }

  /** Drops every transfer a dead node was sending: its NIC is gone. */
  resetNode(name: string): void {
    const nic = this.nics.get(name);
    if (nic === undefined) return;
    if (nic.pendingEvent >= 0) this.kernel.cancel(nic.pendingEvent);
    this.nics.delete(name);
  }

  /** Called by a NIC's completion event: finish the flows that are done, then reschedule. */
  progress(nic: Nic): void {
    this.advance(nic);
    const flows = nic.flows;
    let kept = 0;
    for (let i = 0; i < flows.length; i++) {
      const f = flows[i]!;
      // Half a byte of slack absorbs rounding of completion times to whole microseconds.
      if (f.remainingBytes <= 0.5) this.kernel.schedule(this.options.latencyUs, f.handler, f.tag, f.data, f.work);
      else flows[kept++] = f;
    }
    flows.length = kept;
    this.reschedule(nic);
  }

  activeFlows(node: string): number {
    return this.nics.get(node)?.flows.length ?? 0;
  }

  private nic(name: string): Nic {
    let nic = this.nics.get(name);
    if (nic === undefined) {
      nic = new Nic(this);
      nic.lastUpdateUs = this.kernel.nowUs;
      this.nics.set(name, nic);
    }
    return nic;
  }

  private advance(nic: Nic): void {
    const now = this.kernel.nowUs;
    const n = nic.flows.length;
    if (n > 0) {
      const sentPerFlow = bytesInUs(now - nic.lastUpdateUs, this.options.bandwidthBytesPerSec) / n;
      for (const f of nic.flows) f.remainingBytes -= sentPerFlow;
    }
    nic.lastUpdateUs = now;
  }

  private reschedule(nic: Nic): void {
    if (nic.pendingEvent >= 0) this.kernel.cancel(nic.pendingEvent);
    nic.pendingEvent = -1;
    const n = nic.flows.length;
    if (n === 0) return;
    let minRemaining = Infinity;
    for (const f of nic.flows) minRemaining = Math.min(minRemaining, f.remainingBytes);
    const delayUs = Math.max(0, Math.ceil(transferUs(Math.max(0, minRemaining) * n, this.options.bandwidthBytesPerSec)));
    nic.pendingEvent = this.kernel.schedule(delayUs, nic, 0, undefined, true);
  }
}
