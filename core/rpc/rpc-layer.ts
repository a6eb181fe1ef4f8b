/**
 * The RPC layer under every core process, as gRPC is under Ray's: a channel may lose, duplicate and
 * reorder messages, and the protocol above must neither hang nor act twice. So every "work"
 * message carries a per-link sequence number and the sender's session, is kept until the receiver
 * acknowledges it, and is sent again (with exponential backoff) when no acknowledgement came in
 * time; the receiver hands each (session, seq) to its process once and drops the copies.
 *
 * Which messages go through it — the decision per message family (see the messages.ts files):
 * - Everything sent as "work" is at-most-once delivered and retried until acknowledged: task
 *   submission, assignment and forwarding (raylet.*, gs.schedule), completion and failure notices to
 *   owners (cw.*), worker↔raylet dispatch, actor calls, object pulls and pushes (a lost push is sent
 *   again by its sender), every GCS request and reply (single-server writes included) and the
 *   notifications that matter (gcs.notify: deaths, object locations, actor states), chain writes
 *   and acks. Idempotence is then not required of the receivers, but many are anyway.
 * - "background" messages are periodic or have retries of their own, and a lost one is superseded
 *   by the next — heartbeats (node.heartbeat, the alive rows fanned out to the global scheduler),
 *   chain pings and pongs, chain lookups, configs and notServing hints, and the GCS client's own
 *   resends (chain-client.ts sweeps by request id; the head dedupes them). They are deduped too but
 *   resent only `backgroundResends` times: enough that a failure detector does not take a live node
 *   for dead under a lossy link (a heartbeat lost is usually resent before the next is due; with
 *   loss p the chance of a false verdict falls from p^missed to about p^(missed + resends)), few
 *   enough that periodic messages to a dead peer do not pile up.
 *
 * No ordering is imposed: a message does not wait behind a lost one (a small control message must
 * not queue behind a 100 MB push), so the protocol above tolerates reordering.
 *
 * A restarted process is a new session. A message first sent before its receiver process started
 * was addressed to a predecessor that died: it is acknowledged and dropped, never delivered to the
 * successor (the world drops in-flight messages to a dead incarnation the same way). Messages from
 * a dead sender are never delivered, so a receiver keeps one window per sender address and resets
 * it when a new session shows up.
 *
 * Acknowledgements are batched per peer and sent `ackDelayUs` after the first unacknowledged
 * receipt, as background traffic: they never keep a finished run alive, and so do resends, so a
 * peer that stays dead leaves only background work behind.
 *
 * The layer is the transport, not the application: a message is acknowledged, and a copy dropped,
 * when it arrives (`admit`, on the host's clock through `Env.transport`), however long the process
 * then takes to handle it, and acknowledgements and resends go out on timers that do not wait for
 * the process. That is where TCP acknowledges (the kernel, on receipt of the segment) and where
 * gRPC's HTTP/2 flow control runs (its I/O threads, independently of the handler), so a handler
 * that takes longer than `retryUs` — a 1 GB put — is not resent, and a copy that does arrive costs
 * the process nothing. The alternative, acknowledging after the handler and stretching the resend
 * timeout by the receiver's queue, would need the sender to know that queue: no real stack does.
 * The price is the real one: a message acknowledged but not yet handled when its process dies is
 * lost with it, and the protocol above recovers from the death as from any other.
 *
 * For the same reason a message whose copy is still on the wire (`TransportPort.onWire`: a 100 MB
 * push crawling through a NIC shared with 15 others) is not resent when its timeout passes: its
 * sender's TCP sees the bytes acknowledged as they flow. Only a copy that arrived (and whose ack
 * was lost) or that a fault dropped is sent again. The size allowance below stays for transports
 * that cannot tell.
 */
import { assert } from "../assert.js";
import type {
  Address,
  DurableStorage,
  Env,
  ExecutionId,
  ExecutionOutcome,
  ExecutionRequest,
  Message,
  Process,
  Rng,
  TaskContextPort,
  TimerId,
  TransportPort,
  Urgency,
  UserDeferred,
} from "../env.js";
import type { TraceEvent } from "../trace.js";

export interface RpcOptions {
  /** First resend after this long without an acknowledgement (plus the size allowance). */
  readonly retryUs: number;
  /** Backoff doubles the wait up to this. */
  readonly maxRetryUs: number;
  /** Receipts are acknowledged in one batch per peer this long after the first. */
  readonly ackDelayUs: number;
  /** Bulk messages wait longer for their ack: a conservative rate, far below a NIC's. */
  readonly retryBytesPerUs: number;
  /** A message unacknowledged this long is given up on (its receiver is gone for good). */
  readonly giveUpUs: number;
  /** How many times a background message is sent again at most. */
  readonly backgroundResends: number;
}

export const RPC_DEFAULTS: RpcOptions = {
  retryUs: 20_000,
  maxRetryUs: 1_000_000,
  ackDelayUs: 1_000,
  retryBytesPerUs: 100,
  giveUpUs: 600_000_000,
  backgroundResends: 3,
};

export interface RpcData {
  readonly type: "rpc.data";
  readonly session: number;
  readonly seq: number;
  /** When the message was first sent: a receiver that started later drops it. */
  readonly firstSentUs: number;
  readonly payload: Message;
}

export interface RpcAck {
  readonly type: "rpc.ack";
  /** The session of the sender whose messages are acknowledged. */
  readonly session: number;
  readonly seqs: readonly number[];
}

const ACK_BYTES = 64;
const ACK_SEQ_BYTES = 4;
/** Unacknowledged messages per process; far above need, a guard against a leak. */
const UNACKED_MAX = 1 << 22;

interface Outgoing {
  readonly to: Address;
  readonly seq: number;
  readonly message: RpcData;
  readonly sizeBytes: number;
  lastSentUs: number;
  /** The backoff part of the wait: doubles per resend, up to maxRetryUs. */
  backoffUs: number;
  /**
   * Time the message itself needs on the wire at a conservative rate. Kept out of the backoff and
   * its cap: a 1 GB push resent every maxRetryUs would start a new full-size copy before the last
   * one could arrive, and the copies would crowd each other out for good (a livelock).
   * Doubled at each resend, uncapped (Karn's RTO backoff): the rate is a guess, and a copy not
   * acknowledged in time more likely crawls through a congested NIC (64 workers pushing to one
   * restarted parameter server) than was lost; a capped wait there adds a full copy per period,
   * each slowing all others, so nothing ever arrives (ps-training --full livelocked).
   */
  sizeAllowanceUs: number;
  /** Resends still allowed (unbounded for work). */
  resendsLeft: number;
}

/** Messages to one peer: seq `base + i` sits at `window[i]` until acknowledged (then undefined). */
interface PeerOut {
  nextSeq: number;
  base: number;
  /** window[0 .. front) are all acknowledged. */
  front: number;
  readonly window: Array<Outgoing | undefined>;
}

interface PeerIn {
  readonly address: Address;
  session: number;
  /** In `ackDue`: a batch of acknowledgements is scheduled. */
  due: boolean;
  /** Every seq below this was received. */
  lowWater: number;
  readonly above: Set<number>;
  acks: number[];
}

export class RpcLayer implements Process {
  readonly env: Env;
  /** Acknowledgements and resends: on the host's clock, never queued behind the process. */
  private readonly net: TransportPort;
  private readonly session: number;
  private readonly startUs: number;
  private readonly links = new Map<Address, PeerOut>();
  private unackedCount = 0;
  private readonly peers = new Map<Address, PeerIn>();
  private readonly ackDue: PeerIn[] = [];
  private ackTimer: TimerId | undefined;
  private sweepTimer: TimerId | undefined;
  private inner: Process | undefined;
  resends = 0;
  duplicatesDropped = 0;

  constructor(
    private readonly base: Env,
    private readonly options: RpcOptions = RPC_DEFAULTS,
  ) {
    assert(
      options.retryUs > 0 && options.maxRetryUs >= options.retryUs,
      "rpc: retryUs must be > 0 and <= maxRetryUs",
    );
    assert(
      options.ackDelayUs >= 0 && options.ackDelayUs < options.retryUs,
      "rpc: ackDelayUs must be in [0, retryUs)",
    );
    this.startUs = base.nowUs();
    // The start time tells sessions at one address apart; the draw breaks a tie within a microsecond.
    this.session = this.startUs + base.rng("rpc/sessions").next();
    this.env = new RpcEnv(base, this);
    this.net = base.transport ?? base;
  }

  /** The process this layer delivers to (set once, right after the process is built). */
  attach(process: Process): void {
    assert(this.inner === undefined, "rpc: attached twice");
    this.inner = process;
  }

  get pendingCount(): number {
    return this.unackedCount;
  }

  send(to: Address, message: Message, sizeBytes: number, urgency: Urgency): void {
    // Hot path: the message is built only on failure.
    if (this.unackedCount >= UNACKED_MAX) assert(false, this.leakReport());
    let link = this.links.get(to);
    if (link === undefined)
      this.links.set(to, (link = { nextSeq: 0, base: 0, front: 0, window: [] }));
    const seq = link.nextSeq++;
    const now = this.base.nowUs();
    const data: RpcData = {
      type: "rpc.data",
      session: this.session,
      seq,
      firstSentUs: now,
      payload: message,
    };
    const sizeAllowanceUs = Math.ceil(sizeBytes / this.options.retryBytesPerUs);
    const resendsLeft = urgency === "background" ? this.options.backgroundResends : Infinity;
    link.window.push({
      to,
      seq,
      message: data,
      sizeBytes,
      lastSentUs: now,
      backoffUs: this.options.retryUs,
      sizeAllowanceUs,
      resendsLeft,
    });
    this.unackedCount++;
    this.base.send(to, data, sizeBytes, urgency);
    if (this.sweepTimer === undefined) this.armSweep();
  }

  /** Names the peers and message types that hold the unacknowledged messages (on failure only). */
  private leakReport(): string {
    const byKey = new Map<string, number>();
    for (const [to, link] of this.links)
      for (let i = link.front; i < link.window.length; i++) {
        const o = link.window[i];
        if (o === undefined) continue;
        const key = `${o.message.payload.type} → ${to}`;
        byKey.set(key, (byKey.get(key) ?? 0) + 1);
      }
    const top = [...byKey].sort((a, b) => b[1] - a[1]).slice(0, 5);
    return (
      `rpc: ${this.base.self} holds ${this.unackedCount} unacknowledged messages (bound ${UNACKED_MAX}); ` +
      `most: ${top.map(([k, n]) => `${k} ×${n}`).join(", ")}`
    );
  }

  /** The transport's part of a receipt (Process.admit): the payload to handle, once, or nothing. */
  admit(from: Address, message: Message): Message | undefined {
    if (message.type === "rpc.data") return this.onData(from, message as RpcData);
    if (message.type === "rpc.ack") return this.onAck(from, message as RpcAck);
    return message;
  }

  /** What `admit` returned, or (in a world that does not call `admit`) anything as it arrives. */
  onMessage(from: Address, message: Message): void {
    const payload =
      message.type === "rpc.data" || message.type === "rpc.ack"
        ? this.admit(from, message)
        : message;
    if (payload !== undefined) this.inner!.onMessage(from, payload);
  }

  private onData(from: Address, m: RpcData): Message | undefined {
    let peer = this.peers.get(from);
    if (peer === undefined || peer.session !== m.session) {
      // A new sender process at that address: its predecessor is dead and sends no more.
      if (peer !== undefined) {
        peer.session = m.session;
        peer.lowWater = 0;
        peer.above.clear();
        peer.acks.length = 0;
      } else {
        peer = {
          address: from,
          session: m.session,
          due: false,
          lowWater: 0,
          above: new Set(),
          acks: [],
        };
        this.peers.set(from, peer);
      }
    }
    const seen = m.seq < peer.lowWater || peer.above.has(m.seq);
    this.queueAck(peer, m.seq);
    if (seen) {
      this.duplicatesDropped++;
      return undefined;
    }
    if (m.seq === peer.lowWater) {
      peer.lowWater++;
      while (peer.above.delete(peer.lowWater)) peer.lowWater++;
    } else {
      peer.above.add(m.seq);
    }
    if (m.firstSentUs < this.startUs) return undefined; // addressed to this address's previous process
    return m.payload;
  }

  private queueAck(peer: PeerIn, seq: number): void {
    peer.acks.push(seq);
    if (!peer.due) {
      peer.due = true;
      this.ackDue.push(peer);
    }
    if (this.ackTimer === undefined)
      this.ackTimer = this.net.setTimer(
        this.options.ackDelayUs,
        () => this.flushAcks(),
        "background",
      );
  }

  private flushAcks(): void {
    this.ackTimer = undefined;
    for (const peer of this.ackDue) {
      peer.due = false;
      if (peer.acks.length === 0) continue;
      const seqs = peer.acks;
      peer.acks = [];
      this.net.send(
        peer.address,
        { type: "rpc.ack", session: peer.session, seqs } satisfies RpcAck,
        ACK_BYTES + ACK_SEQ_BYTES * seqs.length,
        "background",
      );
    }
    this.ackDue.length = 0;
  }

  private onAck(from: Address, m: RpcAck): undefined {
    if (m.session !== this.session) return; // meant for this address's previous process
    const link = this.links.get(from);
    if (link === undefined) return;
    const window = link.window;
    for (const seq of m.seqs) {
      const i = seq - link.base;
      if (i < link.front || i >= window.length || window[i] === undefined) continue;
      window[i] = undefined;
      this.unackedCount--;
    }
    while (link.front < window.length && window[link.front] === undefined) link.front++;
    // Drop the acknowledged prefix: at once when nothing waits, else now and then (amortised O(1)).
    if (link.front === window.length) {
      link.base += link.front;
      link.front = 0;
      window.length = 0;
    } else if (link.front >= 64 && link.front * 2 >= window.length) {
      window.splice(0, link.front);
      link.base += link.front;
      link.front = 0;
    }
  }

  private armSweep(): void {
    this.sweepTimer = this.net.setTimer(
      Math.max(1, Math.floor(this.options.retryUs / 2)),
      () => this.sweep(),
      "background",
    );
  }

  /** Sends again what waited its whole timeout; backs off each time. */
  private sweep(): void {
    this.sweepTimer = undefined;
    const now = this.net.nowUs();
    for (const link of this.links.values()) {
      const window = link.window;
      for (let i = link.front; i < window.length; i++) {
        const o = window[i];
        if (o === undefined) continue;
        if (now - o.lastSentUs < o.backoffUs + o.sizeAllowanceUs) continue;
        if (this.net.onWire?.(o.message) === true) {
          // Still flowing (the transport sees its bytes acknowledged): not lost, so not resent.
          o.lastSentUs = now;
          continue;
        }
        if (o.resendsLeft === 0 || now - o.message.firstSentUs >= this.options.giveUpUs) {
          window[i] = undefined;
          this.unackedCount--;
          continue;
        }
        o.resendsLeft--;
        o.lastSentUs = now;
        o.backoffUs = Math.min(this.options.maxRetryUs, o.backoffUs * 2);
        o.sizeAllowanceUs *= 2;
        this.resends++;
        this.net.send(o.to, o.message, o.sizeBytes, "background");
      }
      while (link.front < window.length && window[link.front] === undefined) link.front++;
    }
    if (this.unackedCount > 0) this.armSweep();
  }
}

/** The process's Env with `send` going through the RPC layer; every other port is the world's. */
class RpcEnv implements Env {
  readonly self: Address;
  readonly nodeName: string;
  readonly storage: DurableStorage;
  readonly taskContext: TaskContextPort<unknown>;
  constructor(
    private readonly base: Env,
    private readonly rpc: RpcLayer,
  ) {
    this.self = base.self;
    this.nodeName = base.nodeName;
    this.storage = base.storage;
    this.taskContext = base.taskContext;
  }
  nowUs(): number {
    return this.base.nowUs();
  }
  setTimer(delayUs: number, fire: () => void, urgency?: Urgency): TimerId {
    return this.base.setTimer(delayUs, fire, urgency);
  }
  cancelTimer(timer: TimerId): void {
    this.base.cancelTimer(timer);
  }
  send<M extends Message>(
    to: Address,
    message: M,
    sizeBytes: number,
    urgency: Urgency = "work",
  ): void {
    this.rpc.send(to, message, sizeBytes, urgency);
  }
  rng(stream: string): Rng {
    return this.base.rng(stream);
  }
  freshRng(key: string): Rng {
    return this.base.freshRng(key);
  }
  execute(request: ExecutionRequest, done: (outcome: ExecutionOutcome) => void): ExecutionId {
    return this.base.execute(request, done);
  }
  cancelExecution(execution: ExecutionId): void {
    this.base.cancelExecution(execution);
  }
  trace(event: TraceEvent): void {
    this.base.trace(event);
  }
  userDeferred<T>(label: string): UserDeferred<T> {
    return this.base.userDeferred<T>(label);
  }
}
