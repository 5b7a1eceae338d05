/**
 * HTTP/1.x authentication conversations (RFC 9110 §11, RFC 9112, RFC 4559 Negotiate, RFC 7617
 * Basic, NTLM over HTTP), on any port, recognised by the client's request line.
 *
 *   client: GET /x HTTP/1.1                       server: HTTP/1.1 401 Unauthorized
 *           Authorization: Negotiate <base64>  ◀──▶       WWW-Authenticate: Negotiate [<base64>]
 *
 * Each direction is parsed incrementally: the head (start line + header fields, at most 64 KiB)
 * is gathered, the body skipped by Content-Length or chunked framing (chunk sizes read, data
 * skipped), or to the end of the connection when a response says neither. Responses are paired
 * with requests in order (pipelining); HEAD, 1xx, 204 and 304 have no body (RFC 9112 §6.3).
 *
 * One Exchange per authentication conversation: it starts at the first request carrying
 * `Authorization` with a scheme we know, or at the first 401 challenge naming one (then the
 * unauthenticated request it answers is step one), goes on while 401s carry a continuation token,
 * and ends with the final status (2xx/3xx after credentials: success; 401 without continuation,
 * 403: failure). Basic credentials are never kept: the user name and the password's length only.
 * `Upgrade: websocket` answered by 101 hands both directions to a WebSocket deframer.
 */
import type { ExchangeVerdict } from '../../exchange/model';
import type { CaptureRecorder } from '../recorder';
import type { FlowDirection, PacketRef, StreamChunk, StreamGap, TcpFlow, TcpStreamHandler } from '../types';
import { parseChallenges, parseCredentials, parseHead, type Credentials, type HttpHead } from './http-fields';
import type { ExtractContext, SniffVerdict, TcpExtractor } from './types';
import { WebSocketDeframer } from './websocket';

const MAX_START_LINE = 2048;
const MAX_HEAD = 64 * 1024;
const MAX_LINE = 1024;
const MAX_HELD = 64 * 1024;
const EMPTY = new Uint8Array(0);
const LF = 0x0a;
const CR = 0x0d;

const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/1\.\d$/;
const STATUS_LINE = /^HTTP\/1\.\d (\d{3})(?: .*)?$/;

/** RFC 9110 §5.6.2 tchar: what a method may be made of. */
function isTchar(byte: number): boolean {
  return (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x30 && byte <= 0x39) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(byte));
}

export function sniffHttpRequest(first: Uint8Array): SniffVerdict {
  const limit = Math.min(first.length, MAX_START_LINE);
  let i = 0;
  while (i < limit && i <= 32 && isTchar(first[i]!)) i++;
  if (i < limit && (i === 0 || i > 32 || first[i] !== 0x20)) return 'no';
  const lf = first.subarray(0, limit).indexOf(LF);
  if (lf < 0) return first.length >= MAX_START_LINE ? 'no' : 'more';
  const line = Buffer.from(first.buffer, first.byteOffset, lf).toString('latin1').replace(/\r$/, '');
  return REQUEST_LINE.test(line) ? 'yes' : 'no';
}

/** Where the head ends (after its empty line), searching from `from`; -1 when not yet. */
function headEnd(bytes: Uint8Array, from: number): number {
  for (let i = bytes.indexOf(LF, from); i >= 0 && i < bytes.length; i = bytes.indexOf(LF, i + 1)) {
    if (bytes[i + 1] === LF) return i + 2;
    if (bytes[i + 1] === CR && bytes[i + 2] === LF) return i + 3;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

type Phase = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailer' | 'to-close' | 'hold' | 'tunnel' | 'stopped';

/** Parsing state of one direction. */
class Side {
  phase: Phase = 'head';
  /** Bytes of an unfinished head or line, or client bytes held while an upgrade is pending. */
  pending: Uint8Array = EMPTY;
  searched = 0;
  remaining = 0;
  /** Stream offset of the first byte not yet consumed (pending included). */
  position = 0;
  frames: number[] = [];
  lastPacket?: PacketRef;
}

interface PendingRequest {
  method: string;
  target: string;
  host?: string;
  credentials?: Credentials;
  upgrade: boolean;
  at: PacketRef;
  frames: number[];
  recorded: boolean;
}

const DIRECTION_NAME = ['client → server', 'server → client'] as const;

export class HttpStreamHandler implements TcpStreamHandler {
  /** Set once the stream cannot be read on (malformed HTTP): the scan may stop feeding it. */
  done = false;
  private readonly sides: [Side, Side] = [new Side(), new Side()];
  private readonly requests: PendingRequest[] = [];
  private recorder?: CaptureRecorder;
  private deframer?: TcpStreamHandler;

  constructor(
    private readonly flow: TcpFlow,
    private readonly ctx: ExtractContext,
  ) {}

  data(chunk: StreamChunk): void {
    if (!this.done) this.feed(chunk.direction, chunk.bytes, chunk.packet);
  }

  gap(gap: StreamGap): void {
    if (this.done) return;
    const side = this.sides[gap.direction];
    if (side.phase === 'tunnel') return this.deframer?.gap(gap);
    if (side.phase === 'to-close' || side.phase === 'stopped') return;
    if ((side.phase === 'length' || side.phase === 'chunk-data') && gap.length < side.remaining) {
      side.remaining -= gap.length;
      side.position += gap.length;
      return;
    }
    const text = `${DIRECTION_NAME[gap.direction]}: ${gap.length} bytes missing at stream byte ${gap.streamOffset}, before frame ${gap.packet.number}`;
    this.recorder?.noteGap(text);
    this.ctx.warn({ packet: gap.packet.number, message: `HTTP flow ${this.flow.id} ${text}; the rest of that direction is not read` });
    side.phase = 'stopped';
  }

  end(reason: 'closed' | 'reset' | 'capture-ended'): void {
    this.deframer?.end(reason);
    const last = this.recorder?.exchange.steps.at(-1);
    const challenged = last?.direction === 'server-to-client';
    const ended = reason === 'capture-ended' ? 'the capture ended' : `the connection was ${reason}`;
    this.closeConversation(challenged ? `the client did not answer the server's challenge before ${ended}` : `${ended} before the server's final answer`);
  }

  private feed(direction: FlowDirection, bytes: Uint8Array, packet: PacketRef): void {
    const side = this.sides[direction];
    let input = bytes;
    // Every step consumes at least one byte or ends a message: bounded by the input's length.
    for (let steps = 0; input.length > 0 && !this.done && steps <= bytes.length + 4; steps++) {
      input = this.step(direction, side, input, packet);
    }
  }

  private step(direction: FlowDirection, side: Side, input: Uint8Array, packet: PacketRef): Uint8Array {
    switch (side.phase) {
      case 'head':
        return this.readHead(direction, side, input, packet);
      case 'length':
      case 'chunk-data': {
        const n = Math.min(side.remaining, input.length);
        side.remaining -= n;
        side.position += n;
        if (side.remaining > 0) return EMPTY;
        if (side.phase === 'length') this.messageDone(direction, side);
        else side.phase = 'chunk-end';
        return input.subarray(n);
      }
      case 'chunk-size':
      case 'chunk-end':
      case 'trailer':
        return this.readLine(direction, side, input, packet);
      case 'hold':
        side.pending = side.pending.length + input.length <= MAX_HELD ? concat(side.pending, input) : side.pending;
        side.lastPacket = packet;
        return EMPTY;
      case 'tunnel':
        this.deframer?.data({ direction, bytes: input, streamOffset: side.position, packet });
        side.position += input.length;
        return EMPTY;
      case 'to-close':
      case 'stopped':
        side.position += input.length;
        return EMPTY;
    }
  }

  private readHead(direction: FlowDirection, side: Side, input: Uint8Array, packet: PacketRef): Uint8Array {
    let combined = side.pending.length ? concat(side.pending, input) : input;
    // RFC 9112 §2.2: empty lines before a request line are ignored.
    let skip = 0;
    while (side.pending.length === 0 && skip < combined.length && (combined[skip] === CR || combined[skip] === LF)) skip++;
    if (skip) {
      combined = combined.subarray(skip);
      side.position += skip;
      if (combined.length === 0) return EMPTY;
    }
    if (!side.frames.includes(packet.number)) side.frames.push(packet.number);
    const end = headEnd(combined, Math.max(0, side.searched - 3));
    if (end < 0) {
      if (combined.length > MAX_HEAD) return this.malformed(direction, side, packet, 'the header section is longer than 64 KiB', combined);
      side.pending = combined === input || skip ? combined.slice() : combined;
      side.searched = combined.length;
      return EMPTY;
    }
    const head = parseHead(combined.subarray(0, end));
    const frames = side.frames;
    side.pending = EMPTY;
    side.searched = 0;
    side.frames = [];
    side.position += end;
    if (typeof head === 'string') return this.malformed(direction, side, packet, head, combined);
    const ok = direction === 0 ? this.request(side, head, packet, frames) : this.response(side, head, packet, frames);
    if (typeof ok === 'string') return this.malformed(direction, side, packet, ok, combined);
    return combined.subarray(end);
  }

  /** A CRLF-terminated line of chunked framing: chunk-size, the CRLF after chunk data, a trailer field. */
  private readLine(direction: FlowDirection, side: Side, input: Uint8Array, packet: PacketRef): Uint8Array {
    const lf = input.indexOf(LF);
    const taken = lf < 0 ? input : input.subarray(0, lf + 1);
    if (side.pending.length + taken.length > MAX_LINE) return this.malformed(direction, side, packet, 'a chunked-encoding line is longer than 1 KiB', taken);
    side.pending = concat(side.pending, taken);
    side.position += taken.length;
    if (lf < 0) return EMPTY;
    const line = Buffer.from(side.pending).toString('latin1').replace(/\r?\n$/, '');
    side.pending = EMPTY;
    if (side.phase === 'chunk-size') {
      const size = /^([0-9a-fA-F]{1,8})[ \t]*(;.*)?$/.exec(line);
      if (!size) return this.malformed(direction, side, packet, 'bad chunk size', Buffer.from(line, 'latin1'));
      side.remaining = parseInt(size[1]!, 16);
      side.phase = side.remaining === 0 ? 'trailer' : 'chunk-data';
    } else if (side.phase === 'chunk-end') {
      if (line !== '') return this.malformed(direction, side, packet, 'chunk data is not followed by CRLF', Buffer.from(line, 'latin1'));
      side.phase = 'chunk-size';
    } else if (line === '') {
      this.messageDone(direction, side);
    }
    return input.subarray(taken.length);
  }

  private bodyPhase(head: HttpHead, noBody: boolean): Phase | string {
    if (noBody) return 'head';
    const te = head.fields.get('transfer-encoding');
    if (te && /(^|,)\s*chunked\s*$/i.test(te.join(','))) return 'chunk-size';
    const cl = head.fields.get('content-length');
    if (cl) {
      const values = new Set(cl.join(',').split(',').map((v) => v.trim()));
      const [only] = values;
      if (values.size !== 1 || !/^\d{1,15}$/.test(only!)) return `bad Content-Length "${cl.join(', ')}"`;
      return Number(only) === 0 ? 'head' : 'length';
    }
    return '';
  }

  private setBody(side: Side, phase: Phase, head: HttpHead): void {
    side.phase = phase;
    if (phase === 'length') side.remaining = Number(head.fields.get('content-length')![0]!.split(',')[0]!.trim());
  }

  private request(side: Side, head: HttpHead, packet: PacketRef, frames: number[]): string | void {
    const line = REQUEST_LINE.exec(head.startLine);
    if (!line) return 'not an HTTP/1.x request line';
    const phase = this.bodyPhase(head, false);
    if (phase.length > 0 && !['head', 'length', 'chunk-size'].includes(phase)) return phase;
    const upgrade = /\bwebsocket\b/i.test(head.fields.get('upgrade')?.join(',') ?? '');
    const req: PendingRequest = { method: line[1]!, target: line[2]!, upgrade, at: packet, frames, recorded: false };
    const host = head.fields.get('host')?.[0];
    if (host) req.host = host;
    const credentials = parseCredentials(head);
    if (credentials) req.credentials = credentials;
    this.requests.push(req);
    if (this.requests.length > 1000) this.requests.shift(); // a server that never answers: keep the newest
    if (credentials) this.recordRequest(req);
    this.setBody(side, (phase || 'head') as Phase, head);
    if (upgrade && side.phase === 'head') side.phase = 'hold';
  }

  private response(side: Side, head: HttpHead, packet: PacketRef, frames: number[]): string | void {
    const line = STATUS_LINE.exec(head.startLine);
    if (!line) return 'not an HTTP/1.x status line';
    const status = Number(line[1]);
    const interim = status >= 100 && status < 200 && status !== 101;
    const req = interim ? undefined : this.requests.shift();
    const noBody = req?.method === 'HEAD' || (status >= 100 && status < 200) || status === 204 || status === 304;
    const phase = this.bodyPhase(head, noBody);
    if (phase.length > 0 && !['head', 'length', 'chunk-size'].includes(phase)) return phase;
    this.answer(req, status, head, packet, frames);
    this.setBody(side, (phase || 'to-close') as Phase, head);
    const client = this.sides[0];
    if (status === 101 && req?.upgrade) return this.startTunnel(side);
    if (req?.method === 'CONNECT' && status >= 200 && status < 300) {
      side.phase = 'stopped'; // a tunnel to somewhere else: not HTTP any more
      client.phase = 'stopped';
    } else if (!interim && req?.upgrade && client.phase === 'hold') {
      // The upgrade was refused: what the client sent meanwhile is HTTP again.
      const held = client.pending;
      client.pending = EMPTY;
      client.phase = 'head';
      if (held.length && client.lastPacket) this.feed(0, held, client.lastPacket);
    }
  }

  private startTunnel(server: Side): void {
    const client = this.sides[0];
    const deframer = new WebSocketDeframer(this.ctx.openInner(this.flow, 'WebSocket'), {
      onError: (error) => this.ctx.warn({ packet: error.packet, message: `WebSocket in HTTP flow ${this.flow.id}: ${error.message}` }),
    });
    this.deframer = deframer;
    server.phase = 'tunnel';
    const held = client.pending;
    client.pending = EMPTY;
    client.phase = 'tunnel';
    if (held.length && client.lastPacket) {
      deframer.data({ direction: 0, bytes: held, streamOffset: client.position, packet: client.lastPacket });
      client.position += held.length;
    }
  }

  private messageDone(direction: FlowDirection, side: Side): void {
    side.phase = 'head';
    if (direction === 0 && this.requests.at(-1)?.upgrade) side.phase = 'hold';
  }

  // ---- the authentication conversation ----

  private open(mechanism: string, first: PacketRef): CaptureRecorder {
    this.recorder ??= this.ctx.record({ protocol: 'http', mechanism, client: this.flow.client, server: this.flow.server, flow: this.flow, first });
    return this.recorder;
  }

  private recordRequest(req: PendingRequest): void {
    const credentials = req.credentials;
    const recorder = this.open(credentials?.mechanism ?? 'Negotiate', req.at);
    if (credentials) recorder.exchange.mechanism = credentials.mechanism;
    const fields: Record<string, string> = { ...(req.host ? { Host: req.host } : {}), ...(credentials?.fields ?? {}) };
    recorder.add({
      direction: 'client-to-server',
      transport: { protocol: 'http', packet: `${req.method} ${req.target.slice(0, 512)}`, fields },
      at: req.at,
      packets: req.frames,
      ...(credentials?.token ? { token: credentials.token } : {}),
      ...(credentials?.summary ? { summary: credentials.summary } : {}),
      ...(credentials?.error ? { error: credentials.error } : {}),
    });
    req.recorded = true;
  }

  private answer(req: PendingRequest | undefined, status: number, head: HttpHead, at: PacketRef, frames: number[]): void {
    if (status >= 100 && status < 200 && status !== 101) return;
    const challenges = parseChallenges(head, status === 407 ? 'proxy-authenticate' : 'www-authenticate');
    const authed = req?.credentials !== undefined;
    const challenge = (status === 401 || status === 407) && challenges.known.length > 0;
    if (!authed && !challenge) return;
    const recorder = this.open(challenges.known[0]?.scheme ?? req?.credentials?.mechanism ?? 'Negotiate', req?.at ?? at);
    if (req && !req.recorded) this.recordRequest(req);
    const continuation = challenges.known.find((c) => c.token !== undefined && c.scheme !== 'Basic');
    const fields: Record<string, string> = {};
    if (challenges.all.length) fields[status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate'] = challenges.all.map((c) => c.scheme).join(', ');
    const realm = challenges.known.find((c) => c.realm)?.realm;
    if (realm) fields.realm = realm;
    recorder.add({
      direction: 'server-to-client',
      transport: { protocol: 'http', packet: String(status), fields },
      at,
      packets: frames,
      ...(continuation?.token ? { token: continuation.token } : {}),
      ...(continuation?.error ? { error: continuation.error } : {}),
    });
    const verdict = this.verdictFor(status, authed, continuation !== undefined, req?.credentials?.mechanism);
    if (verdict) {
      recorder.finish(verdict, at);
      this.recorder = undefined;
    }
  }

  /** The conversation's end, or undefined while it goes on. */
  private verdictFor(status: number, authed: boolean, continuation: boolean, mechanism: string | undefined): ExchangeVerdict | undefined {
    const code = String(status);
    if (status === 401 || status === 407) {
      if (!authed || continuation) return undefined;
      const what = mechanism === 'Basic' ? 'the credentials' : 'the token';
      return { outcome: 'failure', reason: `the server refused ${what} (${status})`, code };
    }
    if (status === 403) return { outcome: 'failure', reason: 'the server refused access (403 Forbidden)', code };
    if (status < 400) {
      const mutual = continuation ? ' and answered with a mutual-authentication token' : '';
      return { outcome: 'success', reason: `the server accepted the ${mechanism ?? 'HTTP'} credentials (${status})${mutual}`, code };
    }
    return { outcome: 'failure', reason: `the server answered ${status} to the credentials`, code };
  }

  private closeConversation(reason: string): void {
    this.recorder?.finish({ outcome: 'pending', reason });
    this.recorder = undefined;
  }

  private malformed(direction: FlowDirection, side: Side, packet: PacketRef, reason: string, bytes: Uint8Array): Uint8Array {
    const excerpt = Buffer.from(bytes.subarray(0, 80)).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
    this.ctx.warn({
      packet: packet.number,
      message: `HTTP flow ${this.flow.id} (${this.flow.client} → ${this.flow.server}) ${DIRECTION_NAME[direction]} at stream byte ${side.position}: ${reason}: "${excerpt}"; the rest of the flow is not read`,
    });
    side.phase = 'stopped';
    this.done = true;
    this.closeConversation(`the HTTP stream became unreadable: ${reason}`);
    return EMPTY;
  }
}

export const httpExtractor: TcpExtractor = {
  name: 'http',
  sniff: (first, direction) => (direction === 0 ? sniffHttpRequest(first) : 'no'),
  create: (flow, ctx) => new HttpStreamHandler(flow, ctx),
};
