/**
 * Kerberos KDC exchanges, over TCP and UDP, on any port (RFC 4120 §7.2.1, §7.2.2):
 *
 *   UDP: one message per datagram:            [APPLICATION n] DER message
 *   TCP: each message behind a record mark:   uint32 BE length (top bit reserved, 0) ‖ DER message
 *
 * Recognised by content: a record mark whose length equals the DER length of the KDC message
 * behind it (AS-REQ 0x6a, TGS-REQ 0x6c from the client; AS-REP 0x6b, TGS-REP 0x6d, KRB-ERROR 0x7e
 * when only the server's side was captured). kpasswd (RFC 3244) uses the same marks but its own
 * header, so it is not taken for a KDC stream.
 *
 * Only framing, classification and pairing happen here; the light DER walk for what is in clear
 * (cname, realm, sname, nonce, etypes, pa-data types, the error code and e-text, the ticket's
 * sname/kvno/etype) is in kdc-clear.ts; the scan decodes and decrypts each message (the token) itself.
 *
 * Pairing: on a TCP flow, replies answer requests in order; over UDP, by (client endpoint, server
 * endpoint) in order, a request repeated with the same nonce being a retransmission. One Exchange
 * per AS or TGS exchange, except that KDC_ERR_PREAUTH_REQUIRED (25), KDC_ERR_MORE_PREAUTH_DATA_REQUIRED
 * (91, RFC 6113 §5.2) and KRB_ERR_RESPONSE_TOO_BIG (52, §7.2.1: retry over TCP) do not end it: the
 * next request of the same kind for the same principal from the same client IP within 60 s of
 * capture time joins it, on any port or flow — AS-REQ → KRB-ERROR 25 → AS-REQ (PA-ENC-TIMESTAMP) → AS-REP.
 */
import type { ExchangeStep, ExchangeVerdict } from '../../exchange/model';
import { ERROR_CODES } from '../../krb/messages/error-codes';
import type { CaptureRecorder } from '../recorder';
import { endpoint, type Endpoint, type PacketRef, type StreamChunk, type StreamGap, type TcpFlow, type TcpStreamHandler } from '../types';
import { BER_MORE, berLength, MessageAssembler } from './framing';
import { describeMessage, isReplyTag, isRequestTag, type KdcMessage } from './kdc-clear';
import type { ExtractContext, SniffVerdict, TcpExtractor, UdpExtractor } from './types';

// ---- framing ----

const RECORD_MARK = 4;
/** Larger than any KDC message (MIT's default max is 1 MiB too): past it, a "mark" is not one. */
const MAX_RECORD = 1 << 20;
const SEQUENCE_TAG = 0x30;

/** Whether `bytes[at..end)` starts a record (mark + KDC message of that length) of the accepted tags. */
function recordVerdict(bytes: Uint8Array, at: number, end: number, accept: (tag: number | undefined) => boolean): SniffVerdict {
  if (end - at < RECORD_MARK + 1) return end - at > 0 && bytes[at]! & 0x80 ? 'no' : 'more';
  const mark = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
  if (mark === 0 || mark > MAX_RECORD || !accept(bytes[at + RECORD_MARK])) return 'no';
  const der = berLength(bytes, at + RECORD_MARK, end);
  if (der === BER_MORE) return 'more';
  if (der !== mark) return 'no';
  const inner = at + RECORD_MARK + (bytes[at + RECORD_MARK + 1]! < 0x80 ? 2 : 2 + (bytes[at + RECORD_MARK + 1]! & 0x7f));
  if (inner >= end) return 'more';
  return bytes[inner] === SEQUENCE_TAG ? 'yes' : 'no';
}

function measureRecord(head: Uint8Array, fill: number): number | string {
  if (fill < RECORD_MARK) return BER_MORE;
  const mark = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
  if (mark & 0x80000000) return `record mark 0x${mark.toString(16)} has the reserved top bit set`;
  if (mark === 0) return 'empty record';
  return RECORD_MARK + mark;
}

// ---- pairing ----

/** KRB-ERRORs after which the client tries again (RFC 4120 §3.1.3, §7.2.1; RFC 6113 §5.2). */
const RETRY_ERRORS = new Set([25, 52, 91]);
const RETRY_WINDOW_MS = 60_000;

interface Where {
  client: Endpoint;
  server: Endpoint;
  flow?: TcpFlow;
  at: PacketRef;
  frames?: readonly number[];
}

interface Pending {
  recorder: CaptureRecorder;
  message: KdcMessage;
  /** "client IP|AS|alice@REALM": what a retry after KRB-ERROR 25/52/91 is recognised by. */
  retryKey: string;
  sentMs: number;
}

const ms = (ref: PacketRef) => ref.seconds * 1000 + ref.nanos / 1e6;
const hostOf = (end: Endpoint) => end.slice(end.startsWith('[') ? 1 : 0, end.startsWith('[') ? end.indexOf(']') : end.lastIndexOf(':'));

/** KDC exchanges of one scan, shared by its TCP flows and UDP datagrams (a retry may change transport). */
class KdcConversations {
  /** Exchanges waiting for the client's next try, by retry key. */
  private readonly waiting = new Map<string, { recorder: CaptureRecorder; deadlineMs: number }>();
  /** UDP requests not yet answered, by "client|server". */
  readonly udp = new Map<string, Pending[]>();
  private sweptMs = 0;

  constructor(private readonly ctx: ExtractContext) {}

  request(message: KdcMessage, token: Uint8Array, where: Where): Pending {
    const now = ms(where.at);
    this.sweep(now);
    const retryKey = `${hostOf(where.client)}|${message.kind}|${message.principal ?? ''}`;
    const waiting = this.waiting.get(retryKey);
    this.waiting.delete(retryKey);
    const recorder =
      waiting && now <= waiting.deadlineMs
        ? waiting.recorder
        : this.ctx.record({ protocol: 'kerberos', mechanism: message.kind ?? 'KDC', client: where.client, server: where.server, first: where.at, ...(where.flow ? { flow: where.flow } : {}) });
    add(recorder, 'client-to-server', message, token, where);
    recorder.finish({ outcome: 'pending', reason: `no reply to the ${message.name} in the capture` });
    return { recorder, message, retryKey, sentMs: now };
  }

  /** A reply to `request`, or to nothing seen (the capture started after the request). */
  reply(message: KdcMessage, token: Uint8Array, where: Where, request: Pending | undefined): CaptureRecorder {
    const recorder =
      request?.recorder ??
      this.ctx.record({ protocol: 'kerberos', mechanism: message.kind ?? 'KDC', client: where.client, server: where.server, first: where.at, ...(where.flow ? { flow: where.flow } : {}) });
    add(recorder, 'server-to-client', message, token, where);
    if (message.errorCode !== undefined && RETRY_ERRORS.has(message.errorCode) && request) {
      this.waiting.set(request.retryKey, { recorder, deadlineMs: ms(where.at) + RETRY_WINDOW_MS });
      recorder.finish({ outcome: 'pending', reason: `${message.summary}, and the client did not try again within ${RETRY_WINDOW_MS / 1000} s in the capture`, code: message.fields.error as string });
      return recorder;
    }
    recorder.finish(verdictOf(message), where.at);
    if (message.ticket && !recorder.exchange.capture.ticket) recorder.exchange.capture.ticket = message.ticket;
    return recorder;
  }

  /** Forgets what can no longer be answered or retried, once a minute of capture time. */
  private sweep(now: number): void {
    if (now - this.sweptMs < RETRY_WINDOW_MS) return;
    this.sweptMs = now;
    for (const [key, entry] of this.waiting) if (entry.deadlineMs < now) this.waiting.delete(key);
    for (const [key, list] of this.udp) {
      const alive = list.filter((p) => now - p.sentMs <= RETRY_WINDOW_MS);
      if (alive.length) this.udp.set(key, alive);
      else this.udp.delete(key);
    }
  }
}

function verdictOf(message: KdcMessage): ExchangeVerdict {
  if (message.errorCode === undefined) {
    if (message.error) return { outcome: 'failure', reason: `the ${message.name} does not decode: ${message.error}` };
    return { outcome: 'success', reason: `${message.name}: ticket for ${message.ticket?.sname ?? '?'}@${message.ticket?.realm ?? '?'}` };
  }
  const [name, meaning] = ERROR_CODES[message.errorCode] ?? [`KRB-ERROR ${message.errorCode}`, 'unknown error code'];
  // MIT's e-text is often a token ("UNKNOWN_SERVER"): keep the standard meaning next to it.
  const eText = message.eText && message.eText !== meaning ? ` (e-text: ${message.eText})` : '';
  return { outcome: 'failure', code: name, reason: `${meaning}${eText}` };
}

function add(recorder: CaptureRecorder, direction: ExchangeStep['direction'], message: KdcMessage, token: Uint8Array, where: Where): void {
  recorder.add({
    direction,
    transport: { protocol: 'kerberos', packet: message.name, fields: message.fields },
    at: where.at,
    ...(where.frames ? { packets: where.frames } : {}),
    token,
    summary: message.summary,
    ...(message.error ? { error: message.error } : {}),
  });
}

const conversations = new WeakMap<ExtractContext, KdcConversations>();

function conversationsOf(ctx: ExtractContext): KdcConversations {
  let found = conversations.get(ctx);
  if (!found) conversations.set(ctx, (found = new KdcConversations(ctx)));
  return found;
}

// ---- TCP ----

/** One TCP flow to a KDC: records both ways, replies answer requests in order. */
class KdcTcpFlow implements TcpStreamHandler {
  private readonly readers: [MessageAssembler, MessageAssembler];
  /** Directions that lost their place (a gap, a bad mark) until a chunk starts with a record again. */
  private readonly lost: [boolean, boolean] = [false, false];
  private readonly pending: Pending[] = [];
  private last: CaptureRecorder | undefined;
  private readonly kdc: KdcConversations;

  constructor(
    private readonly flow: TcpFlow,
    private readonly ctx: ExtractContext,
  ) {
    this.kdc = conversationsOf(ctx);
    this.readers = [
      new MessageAssembler(measureRecord, RECORD_MARK, RECORD_MARK + MAX_RECORD, (record, frames, at) => this.record(0, record, frames, at)),
      new MessageAssembler(measureRecord, RECORD_MARK, RECORD_MARK + MAX_RECORD, (record, frames, at) => this.record(1, record, frames, at)),
    ];
  }

  data(chunk: StreamChunk): void {
    const d = chunk.direction;
    if (this.lost[d]) {
      if (recordVerdict(chunk.bytes, 0, chunk.bytes.length, d === 0 ? isRequestTag : isReplyTag) !== 'yes') return;
      this.lost[d] = false;
    }
    const reader = this.readers[d];
    reader.push(chunk.bytes, chunk.packet);
    if (reader.broken) {
      this.ctx.warn({ packet: chunk.packet.number, message: `Kerberos over TCP (flow ${this.flow.id}, ${d ? 'server' : 'client'} side): ${reader.broken}; skipped until a record starts a segment` });
      reader.reset();
      this.lost[d] = true;
    }
  }

  gap(gap: StreamGap): void {
    if (this.readers[gap.direction].reset()) this.lost[gap.direction] = true;
    const side = gap.direction ? 'server → client' : 'client → server';
    (this.pending[0]?.recorder ?? this.last)?.noteGap(`${side}: ${gap.length} bytes missing at stream byte ${gap.streamOffset}, before frame ${gap.packet.number}`);
  }

  end(): void {
    this.pending.length = 0;
  }

  private record(direction: 0 | 1, record: Uint8Array, frames: number[], at: PacketRef): void {
    const token = record.subarray(RECORD_MARK);
    const message = describeMessage(token);
    const where: Where = { client: this.flow.client, server: this.flow.server, flow: this.flow, at, frames };
    if (direction === 0) {
      const request = this.kdc.request(message, token, where);
      this.pending.push(request);
      this.last = request.recorder;
    } else {
      this.last = this.kdc.reply(message, token, where, this.pending.shift());
    }
  }
}

export const kerberosTcpExtractor: TcpExtractor = {
  name: 'kerberos',
  sniff: (first, direction) => recordVerdict(first, 0, first.length, direction === 0 ? isRequestTag : isReplyTag),
  create: (flow, ctx) => new KdcTcpFlow(flow, ctx),
};

// ---- UDP ----

export const kerberosUdpExtractor: UdpExtractor = {
  name: 'kerberos',
  sniff(payload) {
    const tag = payload[0];
    if (!isRequestTag(tag) && !isReplyTag(tag)) return false;
    const length = berLength(payload, 0, payload.length);
    return length === payload.length && payload[payload[1]! < 0x80 ? 2 : 2 + (payload[1]! & 0x7f)] === SEQUENCE_TAG;
  },
  datagram(datagram, ctx) {
    const kdc = conversationsOf(ctx);
    // The payload is a view into the reader's buffer: the token outlives this call.
    const token = datagram.payload.slice();
    const message = describeMessage(token);
    const source = endpoint(datagram.src, datagram.srcPort);
    const target = endpoint(datagram.dst, datagram.dstPort);
    if (isRequestTag(token[0])) {
      const key = `${source}|${target}`;
      const list = kdc.udp.get(key);
      const repeated = list?.find((p) => p.message.nonce !== undefined && p.message.nonce === message.nonce && p.message.tag === message.tag);
      if (repeated) message.summary += ' (retransmission)';
      const where: Where = { client: source, server: target, at: datagram.packet };
      const request = repeated ? { ...repeated, sentMs: ms(datagram.packet) } : kdc.request(message, token, where);
      if (repeated) add(repeated.recorder, 'client-to-server', message, token, where);
      if (list) list.push(request);
      else kdc.udp.set(key, [request]);
      return;
    }
    const key = `${target}|${source}`;
    const list = kdc.udp.get(key);
    const index = list ? list.findIndex((p) => message.kind === undefined || p.message.kind === message.kind) : -1;
    const request = index >= 0 ? list!.splice(index, 1)[0] : undefined;
    if (list && list.length === 0) kdc.udp.delete(key);
    kdc.reply(message, token, { client: target, server: source, at: datagram.packet }, request);
  },
  end(ctx) {
    conversations.delete(ctx);
  },
};
