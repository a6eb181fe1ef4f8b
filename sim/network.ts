/**
 * The virtual network. Every message pays a one-way latency. A small message also pays its size over
 * the bandwidth; a bulk transfer (object data, at least `bulkThresholdBytes`) is a set of flows that
 * share bandwidth max-min fairly at both ends: every node has an egress and an ingress link of
 * `bandwidthBytesPerSec` each (full duplex), and the active flows get the max-min fair rates over
 * those links (progressive filling), recomputed whenever a flow starts or ends. So two 100 MB fetches
 * from one node take twice as long as one, and so do two fetches into one node: a node pulling from
 * 8 senders gets its own NIC's rate in total, not 8×. Messages between processes of one node pay only
 * `localLatencyUs` (IPC; objects are shared memory).
 *
 * Chunks. A transfer larger than `chunkBytes` moves as chunks, at most `maxChunksInFlight` of them at
 * once, each a flow of its own (so a large transfer's share is its chunks in flight). This models the
 * wire and lives here, below the seam, rather than in the object manager's protocol: Ray's object
 * manager sends an object as chunks and reassembles them in the receiver's store, but no protocol
 * decision depends on a single chunk — a transfer whose sender or receiver dies is lost whole and the
 * puller asks another copy again (core/raylet/object-manager.ts `onNodeDead`), exactly as with one
 * message. So the protocol keeps its view of "one object transfer" (one `raylet.push`), and the cost
 * of chunks is one completion event per chunk rather than a message per chunk through core/. The
 * window is refilled at once: 4 × 5 MiB in flight is far above the bandwidth–delay product
 * (3.1 GB/s × 200 µs ≈ 0.6 MB), so acknowledgement round trips never stall a transfer and are not
 * modelled.
 *
 * Simplifications, stated: every node has the same bandwidth; the switch fabric never bottlenecks
 * (only the two NICs of a flow constrain it); rates change instantly when a flow starts or ends (no
 * TCP ramp-up); flows are fair per chunk, not per TCP connection.
 */
import { assert } from "../core/assert.js";
import type { EventHandler } from "./event-queue.js";
import type { Kernel } from "./kernel.js";
import { bytesPerSecToBytesPerUs, transferUs, US_PER_SEC } from "../core/units.js";

export interface NetworkOptions {
  latencyUs: number;
  localLatencyUs: number;
  bandwidthBytesPerSec: number;
  bulkThresholdBytes: number;
  /** A bulk transfer larger than this moves as chunks of this size (the last one smaller). */
  chunkBytes: number;
  /** Chunks of one transfer on the wire at once. */
  maxChunksInFlight: number;
}

export const NETWORK_DEFAULTS: NetworkOptions = {
  // Ray paper §5 testbed: AWS instances with 25 Gbps links (~3.1 GB/s); ~100 µs one-way latency.
  latencyUs: 100,
  localLatencyUs: 10,
  bandwidthBytesPerSec: 3.125e9,
  bulkThresholdBytes: 64 * 1024,
  // Ray's `object_manager_default_chunk_size` (src/ray/common/ray_config_def.h): 5 MiB since it was
  // "raised to lower broadcast overheads"; the raylet of the 2018 paper used 1 000 000 bytes.
  chunkBytes: 5 * 1024 * 1024,
  // A chosen default. Ray bounds chunks in flight by its send threads (raylet era) and later by
  // `object_manager_max_bytes_in_flight` (2 GiB over all pushes); 4 × 5 MiB per transfer is enough
  // to fill the link (see the header) without letting one transfer crowd out the others.
  maxChunksInFlight: 4,
};

/** Completion slack: half a byte absorbs the rounding of completion times to whole microseconds. */
const SLACK_BYTES = 0.5;
/** Float noise allowed in a delay before it rounds up to the next microsecond. */
const DELAY_EPSILON_US = 1e-6;

/** One bulk message: its chunks still to send and those in flight. */
interface Transfer {
  readonly handler: EventHandler;
  readonly tag: number;
  readonly data: unknown;
  readonly work: boolean;
  /** Chunks not yet on the wire. */
  chunksToSend: number;
  readonly lastChunkBytes: number;
  inFlight: number;
}

/** One node's NIC: the flow pairs leaving and entering it, and scratch space for the fill. */
class Port {
  constructor(readonly name: string) {}
  readonly out: Pair[] = [];
  readonly in: Pair[] = [];
  readonly pairsTo = new Map<Port, Pair>();
  mark = 0;
  egressLeft = 0;
  ingressLeft = 0;
  egressOpen = 0;
  ingressOpen = 0;
}

/**
 * The flows from one node to another. They cross the same two links, so max-min fairness gives them
 * the same rate: the pair keeps one service counter (`servedBytes`: what each of its flows has been
 * sent since the pair became active) and its flows in a heap by the counter value at which each
 * finishes, so advancing a pair is O(1) however many flows it has (processor sharing's virtual time).
 */
class Pair implements EventHandler {
  /** A binary min-heap of finish points, with the transfer of each flow beside it. */
  readonly finish: number[] = [];
  readonly transfers: Transfer[] = [];
  servedBytes = 0;
  rateBytesPerUs = 0;
  updatedUs = 0;
  eventId = -1;
  eventAtUs = -1;
  indexOut = -1;
  indexIn = -1;
  frozen = false;
  constructor(
    readonly network: Network,
    readonly from: Port,
    readonly to: Port,
  ) {}

  get flows(): number {
    return this.finish.length;
  }

  handleEvent(): void {
    this.eventId = -1;
    this.eventAtUs = -1;
    this.network.complete(this);
  }

  push(finish: number, transfer: Transfer): void {
    const f = this.finish;
    const t = this.transfers;
    let i = f.length;
    f.push(finish);
    t.push(transfer);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (f[parent]! <= finish) break;
      f[i] = f[parent]!;
      t[i] = t[parent]!;
      i = parent;
    }
    f[i] = finish;
    t[i] = transfer;
  }

  /** Removes the flow that finishes first; the caller read it at index 0. */
  pop(): void {
    const f = this.finish;
    const t = this.transfers;
    const lastF = f.pop()!;
    const lastT = t.pop()!;
    const n = f.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && f[child + 1]! < f[child]!) child++;
      if (f[child]! >= lastF) break;
      f[i] = f[child]!;
      t[i] = t[child]!;
      i = child;
    }
    f[i] = lastF;
    t[i] = lastT;
  }
}

export class Network {
  readonly options: NetworkOptions;
  private readonly ports = new Map<string, Port>();
  private readonly capacityBytesPerUs: number;
  /** Scratch for the component being recomputed: its ports (BFS order) and its active pairs. */
  private readonly componentPorts: Port[] = [];
  private readonly componentPairs: Pair[] = [];
  private epoch = 0;
  bulkBytes = 0;
  /** Told of each transfer a dead NIC loses (its `data`), so the sender's transport knows. */
  onTransferLost: ((data: unknown) => void) | undefined = undefined;

  constructor(
    private readonly kernel: Kernel,
    options: Partial<NetworkOptions>,
  ) {
    this.options = { ...NETWORK_DEFAULTS, ...options };
    assert(this.options.bandwidthBytesPerSec > 0, "network.bandwidthBytesPerSec must be > 0");
    assert(this.options.latencyUs >= 0, "network.latencyUs must be >= 0");
    assert(this.options.chunkBytes >= 1, "network.chunkBytes must be >= 1");
    assert(
      Number.isInteger(this.options.maxChunksInFlight) && this.options.maxChunksInFlight >= 1,
      "network.maxChunksInFlight must be an integer >= 1",
    );
    this.capacityBytesPerUs = bytesPerSecToBytesPerUs(this.options.bandwidthBytesPerSec);
  }

  /** Time for `sizeBytes` alone on an idle link, in µs (latency + size / bandwidth). */
  transferTimeUs(sizeBytes: number): number {
    return Math.round(
      this.options.latencyUs + transferUs(sizeBytes, this.options.bandwidthBytesPerSec),
    );
  }

  /**
   * Sends `data` to `handler` over the link; `laterUs` > 0 when the sender's clock is ahead of the
   * kernel's (it is busy: sim/world.ts), so the message leaves then. A bulk transfer joins its NIC
   * only then (one extra event); anything else just arrives that much later.
   */
  transmit(
    fromNode: string,
    toNode: string,
    sizeBytes: number,
    handler: EventHandler,
    tag: number,
    data: unknown,
    work: boolean,
    laterUs = 0,
  ): void {
    if (fromNode === toNode) {
      this.kernel.schedule(this.options.localLatencyUs + laterUs, handler, tag, data, work);
      return;
    }
    if (sizeBytes < this.options.bulkThresholdBytes) {
      this.kernel.schedule(this.transferTimeUs(sizeBytes) + laterUs, handler, tag, data, work);
      return;
    }
    if (laterUs > 0) {
      const start: EventHandler = {
        handleEvent: () => this.transmit(fromNode, toNode, sizeBytes, handler, tag, data, work),
      };
      this.kernel.schedule(laterUs, start, 0, undefined, work);
      return;
    }
    this.bulkBytes += sizeBytes;
    this.startTransfer(this.port(fromNode), this.port(toNode), sizeBytes, handler, tag, data, work);
  }

  /** Drops every transfer a dead node was sending or receiving: its NIC is gone. */
  resetNode(name: string): void {
    const port = this.ports.get(name);
    if (port === undefined) return;
    this.collect(port, undefined);
    this.advance(this.kernel.nowUs);
    while (port.out.length > 0) this.dropPair(port.out[port.out.length - 1]!);
    while (port.in.length > 0) this.dropPair(port.in[port.in.length - 1]!);
    this.fill();
    this.reschedule();
  }

  /** A pair's completion event: finish the flows that are done, start their next chunks, refill. */
  complete(pair: Pair): void {
    const servedNowBytes =
      pair.servedBytes + pair.rateBytesPerUs * (this.kernel.nowUs - pair.updatedUs);
    if (pair.finish[0]! - servedNowBytes > SLACK_BYTES) return this.arm(pair); // fired early
    this.collect(pair.from, undefined);
    // The flow finished inside the last microsecond: the rates change at that exact instant, not at
    // the event's whole microsecond, so no bandwidth is lost to rounding (it would add up per chunk).
    let atUs = this.kernel.nowUs;
    if (pair.flows > 0 && pair.rateBytesPerUs > 0) {
      const finishUs = pair.updatedUs + (pair.finish[0]! - pair.servedBytes) / pair.rateBytesPerUs;
      atUs = Math.min(atUs, Math.max(finishUs, this.latestUpdateUs()));
    }
    this.advance(atUs);
    while (pair.flows > 0 && pair.finish[0]! - pair.servedBytes <= SLACK_BYTES) {
      const finished = pair.finish[0]!;
      const transfer = pair.transfers[0]!;
      pair.pop();
      transfer.inFlight--;
      // The next chunk continues from where this one finished, so rounding never loses bytes.
      if (transfer.chunksToSend > 0) this.sendChunk(pair, transfer, finished);
      else if (transfer.inFlight === 0)
        this.kernel.schedule(
          this.options.latencyUs,
          transfer.handler,
          transfer.tag,
          transfer.data,
          transfer.work,
        );
    }
    if (pair.flows === 0) this.detach(pair);
    this.fill();
    this.reschedule();
  }

  /** Chunk flows now leaving `node`. */
  activeFlows(node: string): number {
    const port = this.ports.get(node);
    if (port === undefined) return 0;
    let flows = 0;
    for (const pair of port.out) flows += pair.flows;
    return flows;
  }

  /** The rate each flow from `fromNode` to `toNode` gets now, in bytes per second (0 when none). */
  flowRateBytesPerSec(fromNode: string, toNode: string): number {
    const from = this.ports.get(fromNode);
    const to = this.ports.get(toNode);
    if (from === undefined || to === undefined) return 0;
    const pair = from.pairsTo.get(to);
    if (pair === undefined || pair.flows === 0) return 0;
    return pair.rateBytesPerUs * US_PER_SEC;
  }

  /** Every active pair of nodes: its chunk flows and the rate each gets (for tests and diagnostics). */
  flows(): Array<{ from: string; to: string; flows: number; rateBytesPerSec: number }> {
    const out: Array<{ from: string; to: string; flows: number; rateBytesPerSec: number }> = [];
    for (const port of this.ports.values()) {
      for (const pair of port.out)
        out.push({
          from: port.name,
          to: pair.to.name,
          flows: pair.flows,
          rateBytesPerSec: pair.rateBytesPerUs * US_PER_SEC,
        });
    }
    return out;
  }

  private startTransfer(
    from: Port,
    to: Port,
    sizeBytes: number,
    handler: EventHandler,
    tag: number,
    data: unknown,
    work: boolean,
  ): void {
    let pair = from.pairsTo.get(to);
    if (pair === undefined) {
      pair = new Pair(this, from, to);
      from.pairsTo.set(to, pair);
    }
    // The union of both ends' components is the component once this flow joins them.
    this.collect(from, to);
    this.advance(this.kernel.nowUs);
    if (pair.indexOut < 0) this.attach(pair);
    const chunkBytes = this.options.chunkBytes;
    const chunks = Math.max(1, Math.ceil(sizeBytes / chunkBytes));
    const transfer: Transfer = {
      handler,
      tag,
      data,
      work,
      chunksToSend: chunks,
      lastChunkBytes: sizeBytes - (chunks - 1) * chunkBytes,
      inFlight: 0,
    };
    const limit = this.options.maxChunksInFlight;
    while (transfer.chunksToSend > 0 && transfer.inFlight < limit)
      this.sendChunk(pair, transfer, pair.servedBytes);
    this.fill();
    this.reschedule();
  }

  /** Puts the transfer's next chunk on the wire, finishing `startBytes` + its size on the pair's counter. */
  private sendChunk(pair: Pair, transfer: Transfer, startBytes: number): void {
    const bytes = transfer.chunksToSend === 1 ? transfer.lastChunkBytes : this.options.chunkBytes;
    transfer.chunksToSend--;
    transfer.inFlight++;
    pair.push(startBytes + bytes, transfer);
  }

  private port(name: string): Port {
    let port = this.ports.get(name);
    if (port === undefined) {
      port = new Port(name);
      this.ports.set(name, port);
    }
    return port;
  }

  /** An idle pair becomes active: its counter restarts at 0 (it stays small and exact). */
  private attach(pair: Pair): void {
    pair.servedBytes = 0;
    pair.rateBytesPerUs = 0;
    pair.updatedUs = this.kernel.nowUs;
    pair.indexOut = pair.from.out.push(pair) - 1;
    pair.indexIn = pair.to.in.push(pair) - 1;
    this.componentPairs.push(pair);
  }

  private detach(pair: Pair): void {
    if (pair.eventId >= 0) this.kernel.cancel(pair.eventId);
    pair.eventId = -1;
    pair.eventAtUs = -1;
    pair.rateBytesPerUs = 0;
    removeAt(pair.from.out, pair.indexOut, (p, i) => (p.indexOut = i));
    removeAt(pair.to.in, pair.indexIn, (p, i) => (p.indexIn = i));
    pair.indexOut = -1;
    pair.indexIn = -1;
  }

  private dropPair(pair: Pair): void {
    // A transfer with several chunks in flight sits in the heap once per chunk: report it once.
    const lost = this.onTransferLost;
    if (lost !== undefined) for (const transfer of new Set(pair.transfers)) lost(transfer.data);
    pair.finish.length = 0;
    pair.transfers.length = 0;
    this.detach(pair);
  }

  /** Collects the connected component of `a` (and of `b`): its ports and its active pairs. */
  private collect(a: Port, b: Port | undefined): void {
    const ports = this.componentPorts;
    const pairs = this.componentPairs;
    ports.length = 0;
    pairs.length = 0;
    const epoch = ++this.epoch;
    a.mark = epoch;
    ports.push(a);
    if (b !== undefined && b.mark !== epoch) {
      b.mark = epoch;
      ports.push(b);
    }
    for (let i = 0; i < ports.length; i++) {
      const port = ports[i]!;
      for (const pair of port.out) {
        pairs.push(pair);
        if (pair.to.mark !== epoch) {
          pair.to.mark = epoch;
          ports.push(pair.to);
        }
      }
      for (const pair of port.in) {
        if (pair.from.mark !== epoch) {
          pair.from.mark = epoch;
          ports.push(pair.from);
        }
      }
    }
  }

  /**
   * Brings every pair of the component to `atUs` at the rate it had. Pairs keep exact (fractional)
   * times of the fluid model; only the kernel's events fall on whole microseconds.
   */
  private advance(atUs: number): void {
    for (const pair of this.componentPairs) {
      pair.servedBytes += pair.rateBytesPerUs * (atUs - pair.updatedUs);
      pair.updatedUs = atUs;
    }
  }

  private latestUpdateUs(): number {
    let latestUs = 0;
    for (const pair of this.componentPairs) latestUs = Math.max(latestUs, pair.updatedUs);
    return latestUs;
  }

  /**
   * Progressive filling (water-filling) over the component's links: raise every open flow's rate
   * together until a link is full; the flows crossing it are frozen at that rate; repeat. The link
   * that fills first is the one with the least capacity left per open flow.
   */
  private fill(): void {
    const ports = this.componentPorts;
    const capacity = this.capacityBytesPerUs;
    for (const port of ports) {
      port.egressLeft = capacity;
      port.ingressLeft = capacity;
      port.egressOpen = 0;
      port.ingressOpen = 0;
    }
    let open = 0;
    for (const pair of this.componentPairs) {
      const n = pair.flows;
      pair.frozen = n === 0;
      if (n === 0) continue;
      open++;
      pair.from.egressOpen += n;
      pair.to.ingressOpen += n;
    }
    while (open > 0) {
      let share = Infinity;
      let bottleneck: Port = ports[0]!;
      let ingress = false;
      for (const port of ports) {
        if (port.egressOpen > 0 && port.egressLeft / port.egressOpen < share) {
          share = port.egressLeft / port.egressOpen;
          bottleneck = port;
          ingress = false;
        }
        if (port.ingressOpen > 0 && port.ingressLeft / port.ingressOpen < share) {
          share = port.ingressLeft / port.ingressOpen;
          bottleneck = port;
          ingress = true;
        }
      }
      assert(share < Infinity, "network fill: open flows but no open link");
      for (const pair of ingress ? bottleneck.in : bottleneck.out) {
        if (pair.frozen) continue;
        pair.frozen = true;
        open--;
        const n = pair.flows;
        pair.rateBytesPerUs = share;
        pair.from.egressLeft -= share * n;
        pair.from.egressOpen -= n;
        pair.to.ingressLeft -= share * n;
        pair.to.ingressOpen -= n;
      }
    }
  }

  /** Moves each active pair's completion event to its first flow's finish at the new rate. */
  private reschedule(): void {
    for (const pair of this.componentPairs) if (pair.flows > 0) this.arm(pair);
  }

  /**
   * Schedules the pair's event at its first flow's finish. An event already due no later is kept:
   * it fires early and re-arms (`complete` with nothing due), which is cheaper than a cancel when
   * flows keep joining (each start slows every flow of the component).
   */
  private arm(pair: Pair): void {
    const now = this.kernel.nowUs;
    const remainingBytes = pair.finish[0]! - pair.servedBytes;
    const finishUs = pair.updatedUs + remainingBytes / pair.rateBytesPerUs;
    const atUs =
      remainingBytes <= SLACK_BYTES ? now : Math.max(now, Math.ceil(finishUs - DELAY_EPSILON_US));
    if (pair.eventId >= 0) {
      if (pair.eventAtUs <= atUs) return;
      this.kernel.cancel(pair.eventId);
    }
    pair.eventId = this.kernel.schedule(atUs - now, pair, 0, undefined, true);
    pair.eventAtUs = atUs;
  }
}

/** Swap-removes `list[index]`, telling the element moved into its place its new index. */
function removeAt(list: Pair[], index: number, moved: (pair: Pair, index: number) => void): void {
  const last = list.pop()!;
  if (index < list.length) {
    list[index] = last;
    moved(last, index);
  }
}
