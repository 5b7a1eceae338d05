/**
 * TCP reassembly (RFC 9293 §3.4 "Sequence Numbers"): each connection's two byte streams, in order,
 * with what the capture never saw reported as gaps.
 *
 *  - A flow is the 4-tuple, both directions together. Ids count from 0 in the order of each flow's
 *    first packet, as tshark's tcp.stream does. A SYN (without ACK) whose sequence number differs
 *    from the one that opened its direction starts a new flow on the same tuple (port reuse; tshark
 *    does the same). Closed flows are remembered as small tombstones (bounded, oldest forgotten),
 *    so their trailing ACKs and retransmissions do not open phantom flows.
 *  - Client: the sender of a SYN without ACK; the receiver of a SYN-ACK; else the first sender.
 *  - Stream offset 0 is the byte after the SYN (the SYN takes one sequence number), or the first
 *    sequence number seen in that direction when the capture starts mid-stream (sawSyn false).
 *    A SYN-ACK also fixes the other direction: its acknowledgment number is the client's next byte.
 *  - Sequence numbers are 32-bit and wrap: a segment's place is its signed 32-bit distance from the
 *    next expected sequence number, so streams longer than 4 GiB keep counting.
 *  - In-order data goes straight to the handler (a view, no copy: the fast path). Earlier bytes
 *    (retransmissions) are dropped, partial overlaps cut to the new part; later segments are copied
 *    into a per-direction buffer. When that buffer exceeds `maxPendingBytes`, or at close/end, the
 *    hole before it is skipped and reported as a gap with its stream offset and length.
 *  - FIN in both directions → end('closed'); RST → end('reset'); finish() → end('capture-ended'),
 *    and so does the oldest open flow when more than `maxOpenFlows` are open.
 *    Every handler gets exactly one end(), also one that said `done`.
 *  - A handler that sets `done = true` wants nothing more: its flow keeps only the tuple and the
 *    FIN/RST state, and its segments cost a map lookup.
 */
import { TcpFlag } from './transport';
import {
  endpoint,
  type CaptureWarning,
  type FlowDirection,
  type IpDatagram,
  type PacketRef,
  type StreamChunk,
  type TcpFlow,
  type TcpSegment,
  type TcpStreamHandler,
} from './types';

export interface TcpReassemblerOptions {
  open(flow: TcpFlow): TcpStreamHandler;
  warn?(warning: CaptureWarning): void;
  /** Out-of-order bytes held per direction before the hole is skipped. Default 1 MiB. */
  maxPendingBytes?: number;
  /** Closed flows remembered to absorb their trailing packets. Default 65 536. */
  maxClosedFlows?: number;
  /**
   * Flows open at once. Default 65 536. A SYN flood or a port scan opens a flow per packet and
   * never closes it: past this, the oldest open flow is ended ('capture-ended') so memory stays
   * bounded by this count, not by the file.
   */
  maxOpenFlows?: number;
}

interface PendingSegment {
  offset: number;
  data: Uint8Array;
  packet: PacketRef;
}

const enum FlowState {
  Open,
  /** The handler said done: no buffering, no delivery, only FIN/RST tracking. */
  Done,
  /** Ended: a tombstone kept to recognise the tuple's late packets. */
  Closed,
}

class Direction {
  started = false;
  /** Sequence number of stream offset 0. */
  base = 0;
  /** Sequence number of this direction's SYN, or -1: what a retransmitted SYN repeats. */
  synSeq = -1;
  /** Stream offset of the next byte to deliver (may pass 2^32). */
  next = 0;
  /** Out-of-order segments by offset; null until the first one. */
  pending: PendingSegment[] | null = null;
  pendingBytes = 0;
  fin = false;
}

/** What a closed flow's directions become: its tombstone keeps only the two openers (a capture has tens of thousands). */
const CLOSED_DIRS: readonly [Direction, Direction] = [new Direction(), new Direction()];

/** The sequence number that opened a direction (its SYN's, or the one before its first byte), else -1. */
function openerOf(d: Direction): number {
  return d.synSeq >= 0 ? d.synSeq : d.started ? (d.base - 1) >>> 0 : -1;
}

class Flow {
  state = FlowState.Open;
  dirs: readonly [Direction, Direction] = [new Direction(), new Direction()];
  /** Each direction's opener, kept when the flow closes and its directions go. */
  private closedOpener0 = -1;
  private closedOpener1 = -1;
  handler: TcpStreamHandler | null = null;
  /** The table keys of each direction: client → server, server → client. */
  readonly c2s: number;
  readonly s2c: number;
  constructor(
    readonly info: TcpFlow,
    readonly clientAddr: string,
    readonly clientPort: number,
    readonly serverAddr: string,
    readonly serverPort: number,
  ) {
    this.c2s = (clientPort << 16) | serverPort;
    this.s2c = (serverPort << 16) | clientPort;
  }

  opener(dir: FlowDirection): number {
    if (this.state !== FlowState.Closed) return openerOf(this.dirs[dir]);
    return dir === 0 ? this.closedOpener0 : this.closedOpener1;
  }

  /** A tombstone: the tuple and the openers (a retransmitted SYN is told from port reuse by them). */
  close(): void {
    this.closedOpener0 = openerOf(this.dirs[0]);
    this.closedOpener1 = openerOf(this.dirs[1]);
    this.state = FlowState.Closed;
    this.dirs = CLOSED_DIRS;
  }

  /** Whether a packet src → dst with these ports belongs here. */
  has(src: string, dst: string, ports: number): boolean {
    return (ports === this.c2s && src === this.clientAddr && dst === this.serverAddr) || (ports === this.s2c && src === this.serverAddr && dst === this.clientAddr);
  }
}

/**
 * Flows in the order they were added to a Set, oldest first. A Set's own first entry is not a
 * cheap thing to ask for after many deletions: V8 walks past every deleted slot to find it, and
 * asking once per new flow made a capture of 200 000 short connections take minutes. Entries that
 * left the Set stay here until they reach the front (skipped then) or the queue is rebuilt.
 */
class InsertionOrder {
  private items: (Flow | undefined)[] = [];
  private head = 0;

  constructor(private readonly set: Set<Flow>) {}

  push(flow: Flow): void {
    this.items.push(flow);
    // Mostly stale (flows that left the set without reaching the front): rebuild from the set.
    if (this.items.length - this.head > 2 * this.set.size + 1024) {
      this.items = [...this.set];
      this.head = 0;
    }
  }

  /** The oldest flow still in the set. */
  oldest(): Flow | undefined {
    while (this.head < this.items.length) {
      const flow = this.items[this.head]!;
      if (this.set.has(flow)) return flow;
      this.items[this.head++] = undefined;
    }
    return undefined;
  }
}

const SYN_ACK = TcpFlag.SYN | TcpFlag.ACK;
const DIRECTIONS: readonly FlowDirection[] = [0, 1];

export class TcpReassembler {
  /**
   * (srcPort << 16 | dstPort) → the flow, each flow entered both ways: a number key is the cheapest
   * lookup there is, and ports alone nearly always tell flows apart. The rare ports pair shared
   * by flows between different hosts holds a map by "src dst" instead.
   */
  private readonly table = new Map<number, Flow | Map<string, Flow>>();
  private readonly live = new Set<Flow>();
  private readonly closed = new Set<Flow>();
  private readonly liveOrder = new InsertionOrder(this.live);
  private readonly closedOrder = new InsertionOrder(this.closed);
  private nextId = 0;
  private last: Flow | null = null;
  private readonly openHandler: (flow: TcpFlow) => TcpStreamHandler;
  private readonly warnFn: ((warning: CaptureWarning) => void) | undefined;
  private readonly maxPendingBytes: number;
  private readonly maxClosedFlows: number;
  private readonly maxOpenFlows: number;

  constructor(options: TcpReassemblerOptions) {
    this.openHandler = options.open;
    this.warnFn = options.warn;
    this.maxPendingBytes = options.maxPendingBytes ?? 1024 * 1024;
    this.maxClosedFlows = options.maxClosedFlows ?? 65_536;
    this.maxOpenFlows = Math.max(1, options.maxOpenFlows ?? 65_536);
  }

  /** Flows opened and not yet ended. */
  get openFlows(): number {
    return this.live.size;
  }

  segment(datagram: IpDatagram, segment: TcpSegment): void {
    const src = datagram.src;
    const sport = segment.srcPort;
    const flags = segment.flags;
    const dst = datagram.dst;
    const dport = segment.dstPort;
    // Packets come in bursts per connection: try the last flow (either direction) before the maps.
    const last = this.last;
    const ports = (sport << 16) | dport;
    let flow = last !== null && last.has(src, dst, ports) ? last : this.find(src, dst, ports);
    if (flow !== undefined && (flags & SYN_ACK) === TcpFlag.SYN) {
      const opener = flow.opener(src === flow.clientAddr && sport === flow.clientPort ? 0 : 1);
      if (opener >= 0 && segment.seq !== opener) {
        // Port reuse: a new connection on the same tuple.
        if (flow.state !== FlowState.Closed) {
          this.warnFn?.({ packet: datagram.packet.number, message: `TCP flow ${flow.info.id} (${flow.info.client} ↔ ${flow.info.server}): a new SYN reused its ports before it closed` });
          this.end(flow, 'closed');
        }
        this.forget(flow);
        flow = undefined;
      }
    }
    if (flow === undefined) flow = this.create(datagram, segment);
    this.last = flow;
    if (flow.state === FlowState.Closed) return;
    const dir: FlowDirection = src === flow.clientAddr && sport === flow.clientPort ? 0 : 1;
    if ((flags & TcpFlag.RST) !== 0) {
      this.end(flow, 'reset');
      return;
    }
    if (flow.state === FlowState.Open && (flow.handler as { done?: boolean }).done === true) this.markDone(flow);
    const d = flow.dirs[dir];
    let seq = segment.seq;
    if ((flags & TcpFlag.SYN) !== 0) {
      if (!d.started) {
        d.started = true;
        d.synSeq = seq;
        d.base = (seq + 1) >>> 0;
      }
      seq = (seq + 1) >>> 0;
      // The SYN-ACK's acknowledgment number is the client's next byte: the other side's offset 0.
      const other = flow.dirs[dir ^ 1]!;
      if ((flags & TcpFlag.ACK) !== 0 && !other.started) {
        other.started = true;
        other.base = segment.ack;
      }
    } else if (!d.started) {
      d.started = true;
      d.base = seq;
    }
    const n = segment.payload.length;
    if (n > 0 && flow.state === FlowState.Open) this.data(flow, dir, d, seq, segment.payload, datagram.packet);
    if ((flags & TcpFlag.FIN) !== 0) {
      d.fin = true;
      if (flow.dirs[dir ^ 1]!.fin) this.end(flow, 'closed');
    }
  }

  /** Ends every open flow with 'capture-ended' (out-of-order data after a hole is delivered after a gap). */
  finish(): void {
    for (const flow of [...this.live]) this.end(flow, 'capture-ended');
    this.table.clear();
    this.closed.clear();
    this.last = null;
  }

  private create(datagram: IpDatagram, segment: TcpSegment): Flow {
    const flags = segment.flags;
    // The receiver of a SYN-ACK is the client; otherwise the sender (of the SYN, or of the first packet seen).
    const senderIsClient = (flags & SYN_ACK) !== SYN_ACK;
    const [cAddr, cPort, sAddr, sPort] = senderIsClient
      ? [datagram.src, segment.srcPort, datagram.dst, segment.dstPort]
      : [datagram.dst, segment.dstPort, datagram.src, segment.srcPort];
    const info: TcpFlow = { id: this.nextId++, client: endpoint(cAddr, cPort), server: endpoint(sAddr, sPort), sawSyn: (flags & TcpFlag.SYN) !== 0 };
    const flow = new Flow(info, cAddr, cPort, sAddr, sPort);
    this.enter(cAddr, sAddr, flow.c2s, flow);
    this.enter(sAddr, cAddr, flow.s2c, flow);
    this.live.add(flow);
    this.liveOrder.push(flow);
    flow.handler = this.openHandler(info);
    if (this.live.size > this.maxOpenFlows) this.endOldest(info.id, datagram.packet.number);
    return flow;
  }

  /** Too many flows open: the oldest ends here, like at the end of the capture (the Set keeps creation order). */
  private endOldest(newest: number, packet: number): void {
    const oldest = this.liveOrder.oldest()!;
    this.warnFn?.({
      packet,
      message: `TCP flow ${oldest.info.id} (${oldest.info.client} ↔ ${oldest.info.server}) ended early: more than ${this.maxOpenFlows} flows open at once when flow ${newest} began`,
    });
    this.end(oldest, 'capture-ended');
  }

  private data(flow: Flow, dir: FlowDirection, d: Direction, seq: number, payload: Uint8Array, packet: PacketRef): void {
    // Signed 32-bit distance from the next expected sequence number: wrap-around for free.
    const delta = (seq - d.base - d.next) | 0;
    const n = payload.length;
    if (delta === 0 && d.pending === null) {
      // The fast path: in order, nothing buffered.
      const offset = d.next;
      d.next = offset + n;
      flow.handler!.data({ direction: dir, bytes: payload, streamOffset: offset, packet });
      if ((flow.handler as { done?: boolean }).done === true) this.markDone(flow);
      return;
    }
    if (delta <= 0) {
      if (delta + n <= 0) return; // a retransmission of delivered bytes
      this.deliver(flow, dir, d, delta === 0 ? payload : payload.subarray(-delta), packet);
      this.drain(flow, dir, d);
      return;
    }
    this.buffer(d, d.next + delta, payload, packet);
    while (d.pendingBytes > this.maxPendingBytes && flow.state === FlowState.Open) {
      const hole = d.pending![0]!.offset - d.next;
      this.warnFn?.({
        packet: packet.number,
        message: `TCP flow ${flow.info.id} ${dir === 0 ? 'client → server' : 'server → client'}: more than ${this.maxPendingBytes} bytes waiting behind a hole, ${hole} bytes at stream offset ${d.next} skipped`,
      });
      this.skipHole(flow, dir, d);
    }
  }

  private deliver(flow: Flow, dir: FlowDirection, d: Direction, bytes: Uint8Array, packet: PacketRef): void {
    const chunk: StreamChunk = { direction: dir, bytes, streamOffset: d.next, packet };
    d.next += bytes.length;
    flow.handler!.data(chunk);
    if ((flow.handler as { done?: boolean }).done === true) this.markDone(flow);
  }

  /** Delivers the buffered segments that now continue the stream. */
  private drain(flow: Flow, dir: FlowDirection, d: Direction): void {
    const pending = d.pending;
    if (pending === null) return;
    let i = 0;
    while (i < pending.length && flow.state === FlowState.Open) {
      const p = pending[i]!;
      if (p.offset > d.next) break;
      i++;
      d.pendingBytes -= p.data.length;
      const end = p.offset + p.data.length;
      if (end > d.next) this.deliver(flow, dir, d, p.data.subarray(d.next - p.offset), p.packet);
    }
    if (d.pending === null) return; // released by markDone during delivery
    if (i === pending.length) {
      d.pending = null;
      d.pendingBytes = 0;
    } else if (i > 0) {
      pending.splice(0, i);
    }
  }

  private buffer(d: Direction, offset: number, payload: Uint8Array, packet: PacketRef): void {
    const seg: PendingSegment = { offset, data: payload.slice(), packet: { number: packet.number, seconds: packet.seconds, nanos: packet.nanos } };
    d.pendingBytes += payload.length;
    const pending = d.pending;
    if (pending === null) {
      d.pending = [seg];
      return;
    }
    // After any equal offset: the first seen is delivered first and wins the overlap.
    let i = pending.length;
    while (i > 0 && pending[i - 1]!.offset > offset) i--;
    pending.splice(i, 0, seg);
  }

  /** Reports the hole before the first buffered segment as a gap, then delivers what follows it. */
  private skipHole(flow: Flow, dir: FlowDirection, d: Direction): void {
    const first = d.pending![0]!;
    const length = first.offset - d.next;
    if (length > 0) {
      flow.handler!.gap({ direction: dir, streamOffset: d.next, length, packet: first.packet });
      d.next = first.offset;
      if ((flow.handler as { done?: boolean }).done === true) {
        this.markDone(flow);
        return;
      }
    }
    this.drain(flow, dir, d);
  }

  private markDone(flow: Flow): void {
    flow.state = FlowState.Done;
    for (const d of flow.dirs) {
      d.pending = null;
      d.pendingBytes = 0;
    }
  }

  /** Flushes what is buffered (gaps first), tells the handler, and keeps a tombstone. */
  private end(flow: Flow, reason: 'closed' | 'reset' | 'capture-ended'): void {
    for (const dir of DIRECTIONS) {
      const d = flow.dirs[dir];
      while (flow.state === FlowState.Open && d.pending !== null) this.skipHole(flow, dir, d);
    }
    const handler = flow.handler!;
    flow.close();
    flow.handler = null;
    this.live.delete(flow);
    this.closed.add(flow);
    this.closedOrder.push(flow);
    if (this.closed.size > this.maxClosedFlows) {
      const oldest = this.closedOrder.oldest();
      if (oldest !== undefined) this.forget(oldest);
    }
    handler.end(reason);
  }

  private forget(flow: Flow): void {
    if (this.last === flow) this.last = null;
    this.closed.delete(flow);
    this.leave(flow.clientAddr, flow.serverAddr, flow.c2s, flow);
    this.leave(flow.serverAddr, flow.clientAddr, flow.s2c, flow);
  }

  private find(src: string, dst: string, ports: number): Flow | undefined {
    const e = this.table.get(ports);
    if (e === undefined) return undefined;
    if (e instanceof Flow) return e.has(src, dst, ports) ? e : undefined;
    return e.get(`${src} ${dst}`);
  }

  private enter(src: string, dst: string, ports: number, flow: Flow): void {
    const e = this.table.get(ports);
    if (e === undefined || e === flow || (e instanceof Flow && e.has(src, dst, ports))) {
      this.table.set(ports, flow);
      return;
    }
    let byAddress = e;
    if (e instanceof Flow) {
      // A second flow on these ports: from now on this ports pair is told apart by addresses.
      byAddress = new Map<string, Flow>();
      if (e.c2s === ports) byAddress.set(`${e.clientAddr} ${e.serverAddr}`, e);
      if (e.s2c === ports) byAddress.set(`${e.serverAddr} ${e.clientAddr}`, e);
      this.table.set(ports, byAddress);
    }
    (byAddress as Map<string, Flow>).set(`${src} ${dst}`, flow);
  }

  private leave(src: string, dst: string, ports: number, flow: Flow): void {
    const e = this.table.get(ports);
    if (e === flow) {
      this.table.delete(ports);
    } else if (e instanceof Map) {
      const key = `${src} ${dst}`;
      if (e.get(key) === flow) e.delete(key);
      if (e.size === 0) this.table.delete(ports);
    }
  }
}
