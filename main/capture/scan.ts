/**
 * One pass over a capture file: packets → IP → TCP reassembly / UDP → extractors by content →
 * Exchanges, each token decoded the moment it is complete with the capture's one key ring, so keys
 * learnt from earlier packets open later ones. Memory is bounded by the open flows and the
 * Exchanges found, never by the file: decoded trees are dropped once read (service.ts decodes an
 * Exchange again when it is opened).
 */
import type { CaptureOrigin, Exchange, ExchangeStep } from '../exchange/model';
import { decodeAuto } from '../krb/decode/auto';
import type { DecodeSession, KeyEntry } from '../krb/decode/keyring';
import { createDecodeSession, type KeySpec } from '../krb/decode/session';
import { KrbDecodeError } from '../krb/errors';
import { diagnoseObservations } from '../diagnose/diagnosis';
import { observeExchange } from '../diagnose/observations';
import type { CaptureFormatError } from './errors';
import { gssCarveExtractor } from './extract/gss-carve';
import { httpExtractor } from './extract/http';
import { kerberosTcpExtractor, kerberosUdpExtractor } from './extract/kerberos';
import { ldapExtractor } from './extract/ldap';
import { mqttExtractor } from './extract/mqtt';
import type { ExtractContext, RecordInit, TcpExtractor, UdpExtractor } from './extract/types';
import { decodeFrame } from './frames';
import { harvestToken } from './harvest';
import { Ipv4Reassembler } from './ip-fragments';
import { linkExchanges, targetOf, type Linkable, type TicketUse } from './link';
import { readCaptureFile } from './reader';
import { CaptureRecorder } from './recorder';
import { FlowRouter } from './route';
import { ExchangeSpill } from './spill';
import { TcpReassembler } from './tcp-reassembly';
import type { TlsKeyLog } from './tls/keylog';
import { tlsExtractorWith, type TlsConnectionInfo } from './tls/handler';
import { parseTcp, parseUdp } from './transport';
import type { CapturePacket, CaptureWarning, TcpFlow } from './types';

export interface ScanOptions {
  file: string;
  /** The name shown for the file (an uploaded file's own name). */
  displayName?: string;
  keys?: readonly KeySpec[];
  keylog?: TlsKeyLog;
  revealSecrets?: boolean;
  signal?: AbortSignal;
  onProgress?(progress: { bytesRead: number; totalBytes: number; packets: number; exchanges: number }): void;
}

/**
 * A finished Exchange's row: what the conversation table, the links and the timelines need,
 * nothing more. Rows wait in the spill file next to their Exchanges and are read back in order
 * (`ScanResult.found`), so memory holds a few numbers per finished conversation, not its row.
 */
export interface FoundExchange {
  id: string;
  mechanism: string;
  startedAt: string;
  verdict: Exchange['verdict'];
  capture: Pick<CaptureOrigin, 'protocol' | 'client' | 'server' | 'carriedBy' | 'principals' | 'linked' | 'diagnosis' | 'ticket'>;
  /** Steps that carried a token or a KDC message. */
  rounds: number;
  /** What the client asked for: the KDC request's sname, the ticket it presented, or the server. */
  target: string;
  /** How many frames the steps came from, and the first of them. */
  frames: number;
  firstFrame: number;
}

/** The rows of a scan, in the order of their Exchanges' first frames; each read is a fresh copy from the spill. */
export interface FoundRows extends Iterable<FoundExchange> {
  readonly length: number;
  /** Rows [from, to), like Array.prototype.slice with non-negative bounds. */
  slice(from: number, to?: number): FoundExchange[];
}

export interface ScanResult {
  packets: number;
  bytes: number;
  format?: 'pcap' | 'pcapng';
  gzip?: boolean;
  durationMs: number;
  /** Every Exchange found, in the order of its first frame, without its steps: read back from the spill. */
  found: FoundRows;
  /** One Exchange in full (steps read back from the spill), links and diagnosis included. */
  load(id: string): Exchange | undefined;
  /** Every Exchange in full: for small captures and tests. */
  loadAll(): Exchange[];
  /** Removes the spill file; load() finds nothing after. */
  dispose(): void;
  tls: TlsConnectionInfo[];
  warnings: CaptureWarning[];
  /** The file could not be read on from here; everything before it is in `exchanges`. */
  error?: CaptureFormatError;
  cancelled?: boolean;
  /** The key ring after the scan (with every learnt key): opening an Exchange again uses it. */
  session: DecodeSession;
  /** How many encrypted parts each key source opened. */
  keyUse: Map<string, number>;
  /** Tickets each Exchange presented and issued, and the clients it names (timelines). */
  ticketUse: Map<string, TicketUse>;
}

/** Warnings kept in full; after that only counted (a damaged file can produce one per packet). */
const MAX_WARNINGS = 500;

/** The extractors, most specific first; the carver takes what none of them claims. */
function tcpExtractors(keylog: TlsKeyLog | undefined, noteTls: (info: TlsConnectionInfo) => void): TcpExtractor[] {
  return [mqttExtractor, kerberosTcpExtractor, httpExtractor, ldapExtractor, tlsExtractorWith(keylog, noteTls)];
}

const UDP_EXTRACTORS: readonly UdpExtractor[] = [kerberosUdpExtractor];

class Scan {
  /** Recorders whose Exchange may still change; finished ones go to the spill. */
  readonly open = new Set<CaptureRecorder>();
  private readonly byFlow = new Map<number, CaptureRecorder[]>();
  readonly spill = new ExchangeSpill<FoundExchange>();
  /** Each spill slot's first frame: the order the rows are listed in. */
  readonly firstFrames: number[] = [];
  readonly warnings: CaptureWarning[] = [];
  private droppedWarnings = 0;
  readonly tls = new Map<number, TlsConnectionInfo>();
  readonly session: DecodeSession;
  readonly keyUse = new Map<string, number>();
  readonly ticketUse = new Map<string, TicketUse>();
  /** Ids by protocol and first frame ("mqtt-f26"): the same on every scan of the same file. */
  private readonly ids = new Set<string>();
  /** The frames of each fragmented IPv4 datagram, by the frame that completed it. */
  readonly fragments = new Map<number, number[]>();
  private readonly extractors: TcpExtractor[];
  readonly ctx: ExtractContext;

  constructor(private readonly options: ScanOptions) {
    this.session = createDecodeSession(options.keys ?? []);
    this.extractors = tcpExtractors(options.keylog, (info) => this.tls.set(info.flow, info));
    this.ctx = this.context(undefined);
  }

  /** The context extractors get; inside a tunnel, what carried the bytes is named on each Exchange. */
  private context(carriedBy: string | undefined): ExtractContext {
    return {
      record: (init: RecordInit) => this.record(carriedBy ? { ...init, carriedBy: init.carriedBy ? `${carriedBy} + ${init.carriedBy}` : carriedBy } : init),
      openInner: (flow: TcpFlow, label: string) => this.router(flow, carriedBy ? `${carriedBy} + ${label}` : label),
      warn: (warning: CaptureWarning) => this.warn(warning),
    };
  }

  /** A router for a TCP flow; a flow's own (not a tunnel's) finishes its Exchanges when the flow ends. */
  router(flow: TcpFlow, carriedBy?: string): FlowRouter {
    const ctx = carriedBy ? this.context(carriedBy) : this.ctx;
    return new FlowRouter(flow, this.extractors, gssCarveExtractor, ctx, carriedBy ? undefined : () => this.flowEnded(flow));
  }

  /**
   * The flow is over: its Exchanges cannot change any more — except a KDC exchange still waiting
   * for its client's retry (pre-authentication), which may go on over another connection.
   */
  private flowEnded(flow: TcpFlow): void {
    const recorders = this.byFlow.get(flow.id);
    if (!recorders) return;
    this.byFlow.delete(flow.id);
    for (const recorder of recorders) {
      const capture = recorder.exchange.capture;
      if (capture.protocol === 'kerberos' && recorder.exchange.verdict.outcome === 'pending') continue;
      this.finalize(recorder);
    }
  }

  /** Settles an Exchange: its fragments' frames, its diagnosis, then into the spill. */
  finalize(recorder: CaptureRecorder): void {
    if (!this.open.delete(recorder)) return;
    const exchange = recorder.finish(recorder.exchange.verdict);
    if (this.fragments.size > 0) withFragments(exchange, this.fragments);
    diagnose(exchange);
    // Its ticket use stays until linking: exact-size copies, not lists grown by push.
    const use = this.ticketUse.get(exchange.id);
    if (use) this.ticketUse.set(exchange.id, { presented: [...use.presented], issued: [...use.issued], clients: [...use.clients] });
    const row = foundOf(exchange);
    this.firstFrames[this.spill.put(exchange, row)] = row.firstFrame;
    recorder.finalized = true;
  }

  finalizeAll(): void {
    for (const recorder of [...this.open]) this.finalize(recorder);
  }

  warn(warning: CaptureWarning): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(warning);
    else this.droppedWarnings++;
  }

  finishWarnings(): void {
    if (this.droppedWarnings > 0) this.warnings.push({ message: `… and ${this.droppedWarnings} more warnings like these` });
  }

  private idFor(init: RecordInit): string {
    const base = `${init.protocol}-f${init.first.number}`;
    let id = base;
    for (let n = 2; this.ids.has(id); n++) id = `${base}-${n}`;
    this.ids.add(id);
    return id;
  }

  private record(init: RecordInit): CaptureRecorder {
    const recorder = new CaptureRecorder(init, (step, token, exchange) => this.decodeStep(step, token, exchange), this.options.displayName, this.idFor(init));
    // A step after the flow ended (a KDC retry joining an earlier exchange): open it again.
    recorder.onReopen = () => this.open.add(recorder);
    this.open.add(recorder);
    if (init.flow) {
      const list = this.byFlow.get(init.flow.id) ?? [];
      list.push(recorder);
      this.byFlow.set(init.flow.id, list);
    }
    return recorder;
  }

  /** Decodes a token in packet order with the capture's key ring, and reads what linking needs. */
  private decodeStep(step: ExchangeStep, token: Uint8Array, exchange: Exchange): void {
    if (token.length === 0) return;
    const ring = this.session.keyring;
    const before = ring.addedCount;
    // Keys learnt or used in this Exchange's earlier tokens are tried first for this one's parts.
    ring.enterConversation(exchange.id);
    try {
      const decoded = decodeAuto(token, { session: this.session, revealSecrets: this.options.revealSecrets ?? false });
      step.tokenKind = decoded.kind;
      step.decoded = decoded.tree;
    } catch (error) {
      if (!(error instanceof KrbDecodeError)) throw error;
      step.tokenKind ??= 'not a Kerberos or GSS-API token';
      step.error ??= `the token does not decode: ${error.message}`;
      return;
    } finally {
      ring.enterConversation(undefined);
    }
    const learnt = ring.addedSince(before);
    const frame = step.packets?.at(-1);
    for (const key of learnt) if (key.origin === 'learned' && frame !== undefined) key.source = `${key.source} (learnt in frame ${frame})`;
    if (learnt.length > 0) step.learnedKeys = learnt.map((k: KeyEntry) => k.source);
    this.harvest(step, token, exchange);
  }

  private harvest(step: ExchangeStep, token: Uint8Array, exchange: Exchange): void {
    const found = harvestToken(step.decoded!, token);
    const capture = exchange.capture!;
    for (const name of [...found.clients, ...found.services]) if (!capture.principals.includes(name)) capture.principals.push(name);
    for (const source of found.keysUsed) this.keyUse.set(source, (this.keyUse.get(source) ?? 0) + 1);
    const use = this.ticketUse.get(exchange.id) ?? { presented: [], issued: [], clients: [] };
    const add = (list: string[], value: string) => list.includes(value) || list.push(value);
    for (const client of found.clients) add(use.clients, client);
    for (const ticket of found.tickets) {
      // A client presents a ticket (AP-REQ, TGS-REQ's PA-TGS-REQ); a KDC reply issues one.
      add(step.direction === 'client-to-server' ? use.presented : use.issued, ticket.fingerprint);
      // A KDC exchange shows the ticket it issued; a service exchange the one the client presented.
      if (capture.protocol === 'kerberos' ? step.direction === 'server-to-client' : step.direction === 'client-to-server') capture.ticket ??= ticket;
    }
    if (use.clients.length + use.presented.length + use.issued.length > 0) this.ticketUse.set(exchange.id, use);
    // Keep a KRB-ERROR's (small) tree for the diagnosis; every other tree is decoded again on demand.
    if (!step.tokenKind?.includes('KRB-ERROR')) delete step.decoded;
  }
}

export async function scanCapture(options: ScanOptions): Promise<ScanResult> {
  const started = performance.now();
  const scan = new Scan(options);
  const fragments = new Ipv4Reassembler({ warn: (w: CaptureWarning) => scan.warn(w) });
  const tcp = new TcpReassembler({ open: (flow: TcpFlow) => scan.router(flow), warn: (w: CaptureWarning) => scan.warn(w) });
  let packets = 0;
  let bytes = 0;
  let lastProgress = 0;
  const onPacket = (packet: CapturePacket): void => {
    packets++;
    bytes += packet.data.length;
    const frame = decodeFrame(packet, fragments);
    if (frame.kind !== 'ip') {
      if (frame.kind === 'skip' && frame.reason) scan.warn({ packet: packet.number, message: frame.reason });
      return;
    }
    const datagram = frame.datagram;
    // The packet's bytes are a view into the reader's 1 MiB chunk: anything that keeps the packet
    // (an open conversation's first frame) would keep the whole chunk. Hand on its number and time only.
    datagram.packet = { number: packet.number, seconds: packet.seconds, nanos: packet.nanos };
    if (datagram.fragments && datagram.fragments.length > 1) scan.fragments.set(datagram.packet.number, datagram.fragments);
    if (datagram.protocol === 6) {
      const segment = parseTcp(datagram.payload, 0);
      if ('error' in segment) scan.warn({ packet: packet.number, message: segment.error });
      else tcp.segment(datagram, segment);
    } else if (datagram.protocol === 17) {
      const udp = parseUdp(datagram.payload, 0);
      if ('error' in udp) return scan.warn({ packet: packet.number, message: udp.error });
      for (const extractor of UDP_EXTRACTORS) {
        if (!extractor.sniff(udp.payload)) continue;
        extractor.datagram({ ...udp, src: datagram.src, dst: datagram.dst, packet: datagram.packet }, scan.ctx);
        break;
      }
    }
  };
  let result: Awaited<ReturnType<typeof readCaptureFile>> | undefined;
  let cancelled = false;
  try {
    result = await readCaptureFile(options.file, {
      onPacket,
      signal: options.signal,
      onProgress: (p) => {
        const now = performance.now();
        if (now - lastProgress < 200) return;
        lastProgress = now;
        options.onProgress?.({ ...p, packets, exchanges: scan.spill.size + scan.open.size });
      },
    });
  } catch (error) {
    if ((error as Error).name !== 'AbortError') {
      // No result will own the spill: its file, descriptor and exit listener go now, or every
      // refused file (not a capture, unreadable) would leak one of each for the engine's lifetime.
      scan.spill.dispose();
      throw error;
    }
    cancelled = true;
  }
  tcp.finish();
  fragments.finish();
  for (const extractor of UDP_EXTRACTORS) extractor.end(scan.ctx);
  scan.finishWarnings();
  scan.finalizeAll();
  const order = listingOrder(scan.firstFrames);
  const links = linksOf(scan, order);
  const found = foundRows(scan.spill, order, links);
  const load = (id: string): Exchange | undefined => {
    const exchange = scan.spill.get(id);
    if (!exchange) return undefined;
    // Links are made once every Exchange is known, after the spill got its copy.
    exchange.capture = { ...exchange.capture!, linked: [...(links.get(id) ?? exchange.capture!.linked)] };
    return exchange;
  };
  return {
    packets,
    bytes,
    ...(result ? { format: result.format, gzip: result.gzip } : {}),
    durationMs: Math.round(performance.now() - started),
    found,
    load,
    loadAll: () => Array.from(found, (e) => load(e.id)!),
    dispose: () => scan.spill.dispose(),
    tls: [...scan.tls.values()],
    warnings: scan.warnings,
    ...(result?.error ? { error: result.error } : {}),
    ...(cancelled ? { cancelled } : {}),
    session: scan.session,
    keyUse: scan.keyUse,
    ticketUse: scan.ticketUse,
  };
}

/** Spill slots by first frame; the first finished first among equals (a stable sort, as before rows were spilled). */
function listingOrder(firstFrames: readonly number[]): Uint32Array {
  const order = Uint32Array.from({ length: firstFrames.length }, (_, slot) => slot);
  return order.sort((a, b) => firstFrames[a]! - firstFrames[b]! || a - b);
}

/**
 * Links by Exchange id (only Exchanges with links). Only an Exchange that presented, was issued
 * or named something has ticket use, and linking reads nothing else: those rows are read back, in
 * listing order, and nothing else is.
 */
function linksOf(scan: Scan, order: Uint32Array): Map<string, string[]> {
  const rank = new Uint32Array(order.length);
  order.forEach((slot, position) => (rank[slot] = position));
  const slots: number[] = [];
  for (const id of scan.ticketUse.keys()) {
    const slot = scan.spill.slotOf(id);
    if (slot !== undefined) slots.push(slot);
  }
  slots.sort((a, b) => rank[a]! - rank[b]!);
  const linkables: Linkable[] = slots.map((slot) => {
    const row = scan.spill.row(slot)!;
    return { id: row.id, startedAt: row.startedAt, capture: { linked: row.capture.linked, client: row.capture.client } };
  });
  linkExchanges(linkables, scan.ticketUse);
  return new Map(linkables.filter((e) => e.capture.linked.length > 0).map((e) => [e.id, e.capture.linked]));
}

function foundRows(spill: ExchangeSpill<FoundExchange>, order: Uint32Array, links: ReadonlyMap<string, string[]>): FoundRows {
  const at = (position: number): FoundExchange => {
    const row = spill.row(order[position]!);
    if (!row) throw new Error('the scan was disposed: its rows are gone');
    const linked = links.get(row.id);
    if (linked) row.capture.linked = [...linked];
    return row;
  };
  return {
    length: order.length,
    slice(from: number, to = order.length): FoundExchange[] {
      const rows: FoundExchange[] = [];
      for (let i = Math.max(0, from); i < Math.min(to, order.length); i++) rows.push(at(i));
      return rows;
    },
    *[Symbol.iterator]() {
      for (let i = 0; i < order.length; i++) yield at(i);
    },
  };
}

/** What the table keeps of a finished capture Exchange. */
export function foundOf(exchange: Exchange & { capture?: CaptureOrigin }): FoundExchange {
  const { protocol, client, server, carriedBy, principals, linked, diagnosis, ticket, packets } = exchange.capture!;
  return {
    id: exchange.id,
    mechanism: exchange.mechanism,
    startedAt: exchange.startedAt,
    verdict: exchange.verdict,
    capture: { protocol, client, server, principals, linked, ...(carriedBy ? { carriedBy } : {}), ...(diagnosis ? { diagnosis } : {}), ...(ticket ? { ticket } : {}) },
    rounds: exchange.steps.filter((st) => st.token !== undefined).length,
    target: targetOf(exchange),
    frames: packets.length,
    firstFrame: packets[0] ?? 0,
  };
}

/** A step that came in a fragmented datagram names every fragment's frame (an export needs them all). */
function withFragments(exchange: Exchange, fragments: ReadonlyMap<number, number[]>): void {
  const expand = (frames: readonly number[]) => [...new Set(frames.flatMap((n) => fragments.get(n) ?? [n]))].sort((a, b) => a - b);
  for (const step of exchange.steps) if (step.packets) step.packets = expand(step.packets);
  exchange.capture!.packets = expand(exchange.capture!.packets);
}

/** A failed Exchange gets the diagnosis's top finding; then its kept trees (KRB-ERRORs) go too. */
function diagnose(exchange: Exchange): void {
  if (exchange.verdict.outcome === 'failure') {
    const top = diagnoseObservations(observeExchange(exchange))[0];
    if (top) exchange.capture!.diagnosis = { id: top.id, title: top.title };
  }
  for (const step of exchange.steps) delete step.decoded;
}

/** Decodes an Exchange's tokens again with the ring a scan ended with (every learnt key on it). */
export function decodeExchange(exchange: Exchange, session: DecodeSession, revealSecrets = false): Exchange {
  const copy: Exchange = structuredClone(exchange);
  for (const step of copy.steps) {
    if (!step.token) continue;
    const bytes = Buffer.from(step.token, 'base64');
    if (bytes.length === 0) continue;
    try {
      const decoded = decodeAuto(bytes, { session, revealSecrets });
      step.decoded = decoded.tree;
      step.tokenKind = decoded.kind;
    } catch (error) {
      if (!(error instanceof KrbDecodeError)) throw error;
    }
  }
  return copy;
}
