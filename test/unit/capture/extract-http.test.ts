/**
 * HTTP authentication conversations out of TCP streams: SPNEGO (401 challenge, Negotiate token,
 * 200 with the mutual-authentication token), Basic (the password never kept), NTLM's three legs,
 * pipelined keep-alive requests, chunked bodies, WebSocket upgrades handed to the deframer, and
 * malformed HTTP. Every conversation is also fed split at every byte boundary: same Exchange.
 */
import { describe, expect, it } from 'vitest';
import { HttpStreamHandler, httpExtractor } from '../../../main/capture/extract/http';
import { parseChallenges, parseHead } from '../../../main/capture/extract/http-fields';
import type { FlowDirection, StreamChunk, TcpFlow, TcpStreamHandler } from '../../../main/capture/types';
import { FakeContext } from './fake-context';

/** Collects what the WebSocket deframer hands on. */
class InnerSink implements TcpStreamHandler {
  readonly chunks: { direction: FlowDirection; text: string; streamOffset: number }[] = [];
  ended?: string;
  data(chunk: StreamChunk): void {
    this.chunks.push({ direction: chunk.direction, text: Buffer.from(chunk.bytes).toString('latin1'), streamOffset: chunk.streamOffset });
  }
  gap(): void {}
  end(reason: string): void {
    this.ended = reason;
  }
  text(direction: FlowDirection): string {
    return this.chunks.filter((c) => c.direction === direction).map((c) => c.text).join('');
  }
}

/** The fake context, with the tunnelled bytes caught and the Exchanges without their ids. */
class HttpContext extends FakeContext {
  readonly inner = new InnerSink();
  labels: string[] = [];
  override openInner(_flow: TcpFlow, label: string): TcpStreamHandler {
    this.labels.push(label);
    return this.inner;
  }
  /** The Exchanges without their random ids, for comparing runs. */
  override get exchanges() {
    return this.recorders.map((r) => ({ ...r.exchange, id: 'x' }));
  }
}

const flow: TcpFlow = { id: 3, client: '10.0.0.1:50000', server: '10.0.0.2:80', sawSyn: true };

/** [direction, bytes] in capture order; each becomes one packet, or many when `split` is given. */
type Message = [FlowDirection, string | Buffer];

function run(messages: Message[], split?: (bytes: Buffer) => Buffer[]): { ctx: HttpContext; handler: HttpStreamHandler } {
  const ctx = new HttpContext();
  const handler = httpExtractor.create(flow, ctx) as HttpStreamHandler;
  const offsets = [0, 0];
  let number = 0;
  for (const [direction, raw] of messages) {
    const bytes = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
    for (const piece of split ? split(bytes) : [bytes]) {
      number++;
      // A fresh copy per call, then scribbled over: the handler must not keep views.
      const view = Uint8Array.from(piece);
      handler.data({ direction, bytes: view, streamOffset: offsets[direction]!, packet: { number, seconds: 1_700_000_000 + number, nanos: 0 } });
      view.fill(0x7a);
      offsets[direction]! += piece.length;
    }
  }
  handler.end('closed');
  return { ctx, handler };
}

const bytewise = (bytes: Buffer): Buffer[] => [...bytes].map((b) => Buffer.of(b));
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const APREQ = Buffer.from('6082010006092a864886f71201020201006e82', 'hex');
const APREP = Buffer.from('a181a03081a0a0030a0100a10b06092a864886f712010202', 'hex');

const spnego: Message[] = [
  [0, 'GET /_security/_authenticate HTTP/1.1\r\nHost: es.example:9200\r\nUser-Agent: curl/7.88\r\n\r\n'],
  [1, 'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nWWW-Authenticate: Basic realm="es, test", charset="UTF-8"\r\nContent-Length: 12\r\n\r\nno, go away\n'],
  [0, `GET /_security/_authenticate HTTP/1.1\r\nHost: es.example:9200\r\nAuthorization: Negotiate ${b64(APREQ)}\r\n\r\n`],
  [1, `HTTP/1.1 200 OK\r\nWWW-Authenticate: Negotiate ${b64(APREP)}\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Trailer: yes\r\n\r\n`],
];

describe('sniffing an HTTP/1.x request line', () => {
  it('says yes, more or no', () => {
    expect(httpExtractor.sniff(Buffer.from('GET / HTTP/1.1\r\n'), 0)).toBe('yes');
    expect(httpExtractor.sniff(Buffer.from('OPTIONS * HTTP/1.0\n'), 0)).toBe('yes');
    expect(httpExtractor.sniff(Buffer.from('GET /very/long'), 0)).toBe('more');
    expect(httpExtractor.sniff(Buffer.from('G'), 0)).toBe('more');
    expect(httpExtractor.sniff(Buffer.from('GET / HTTP/2.0\r\n'), 0)).toBe('no');
    expect(httpExtractor.sniff(Buffer.from([0x10, 0x20, 0x00, 0x04]), 0)).toBe('no');
    expect(httpExtractor.sniff(Buffer.from(`GET /${'a'.repeat(3000)}`), 0)).toBe('no');
    expect(httpExtractor.sniff(Buffer.from('HTTP/1.1 200 OK\r\n'), 1)).toBe('no');
  });
});

describe('SPNEGO over HTTP', () => {
  it('makes one Exchange: challenge, Negotiate token, 200 with the mutual token', () => {
    const { ctx } = run(spnego);
    expect(ctx.warnings).toEqual([]);
    expect(ctx.recorders).toHaveLength(1);
    const exchange = ctx.recorders[0]!.exchange;
    expect(exchange.mechanism).toBe('Negotiate');
    expect(exchange.capture).toMatchObject({ protocol: 'http', client: flow.client, server: flow.server, flow: 3, packets: [1, 2, 3, 4] });
    expect(exchange.steps.map((s) => [s.direction, s.transport.packet, s.packets])).toEqual([
      ['client-to-server', 'GET /_security/_authenticate', [1]],
      ['server-to-client', '401', [2]],
      ['client-to-server', 'GET /_security/_authenticate', [3]],
      ['server-to-client', '200', [4]],
    ]);
    expect(exchange.steps[0]!.token).toBeUndefined();
    expect(exchange.steps[1]!.transport.fields).toEqual({ 'WWW-Authenticate': 'Negotiate, Basic', realm: 'es, test' });
    expect(exchange.steps[2]!.transport.fields).toEqual({ Host: 'es.example:9200', Authorization: 'Negotiate' });
    expect(exchange.steps[2]!.token).toBe(b64(APREQ));
    expect(exchange.steps[3]!.token).toBe(b64(APREP));
    expect(exchange.verdict).toMatchObject({ outcome: 'success', code: '200' });
    expect(exchange.verdict.reason).toContain('mutual-authentication token');
  });

  it('gives the same Exchange whatever the segmentation', () => {
    const whole = run(spnego).ctx.exchanges;
    const strip = (exchanges: typeof whole) => JSON.parse(JSON.stringify(exchanges, (k, v) => (['packets', 'at', 'elapsedMs', 'startedAt', 'finishedAt'].includes(k) ? undefined : v)));
    expect(strip(run(spnego, bytewise).ctx.exchanges)).toEqual(strip(whole));
    for (let m = 0; m < spnego.length; m++) {
      const length = Buffer.from(spnego[m]![1] as string, 'latin1').length;
      for (let cut = 1; cut < length; cut++) {
        const split = (bytes: Buffer) => (bytes.length === length && bytes.toString('latin1') === spnego[m]![1] ? [bytes.subarray(0, cut), bytes.subarray(cut)] : [bytes]);
        const { ctx } = run(spnego, split);
        expect(ctx.warnings, `message ${m} cut at ${cut}`).toEqual([]);
        expect(strip(ctx.exchanges), `message ${m} cut at ${cut}`).toEqual(strip(whole));
      }
    }
    // Split byte by byte, a step names every frame its message came from.
    const frames = run(spnego, bytewise).ctx.recorders[0]!.exchange.steps[0]!.packets!;
    expect(frames.length).toBe(Buffer.byteLength(spnego[0]![1] as string));
  });

  it('fails when the server answers the token with a bare 401, and with 403', () => {
    const refused = run([
      [0, `GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Negotiate ${b64(APREQ)}\r\n\r\n`],
      [1, 'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n'],
    ]).ctx.recorders[0]!.exchange;
    expect(refused.verdict).toEqual({ outcome: 'failure', reason: 'the server refused the token (401)', code: '401' });
    const forbidden = run([
      [0, `GET / HTTP/1.1\r\nAuthorization: Kerberos ${b64(APREQ)}\r\n\r\n`],
      [1, 'HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\n\r\nno\n'],
    ]).ctx.recorders[0]!.exchange;
    expect(forbidden.mechanism).toBe('Kerberos');
    expect(forbidden.verdict.outcome).toBe('failure');
    expect(forbidden.verdict.code).toBe('403');
  });

  it('leaves a conversation cut by the end of the capture pending', () => {
    const { ctx } = run([spnego[0]!, spnego[1]!, spnego[2]!]);
    expect(ctx.recorders[0]!.exchange.verdict.outcome).toBe('pending');
    expect(ctx.recorders[0]!.exchange.steps).toHaveLength(3);
  });
});

describe('Basic and NTLM', () => {
  it('pairs pipelined keep-alive requests in order and never keeps the Basic password', () => {
    const password = 'S3cr3t-never-shown';
    const { ctx } = run([
      [0, `GET /open HTTP/1.1\r\nHost: h\r\n\r\nPOST /login HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nAuthorization: Basic ${b64(`alice:${password}`)}\r\n\r\nbody`],
      [1, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 204 No Content\r\n\r\n'],
    ]);
    expect(ctx.recorders).toHaveLength(1);
    const exchange = ctx.recorders[0]!.exchange;
    expect(exchange.mechanism).toBe('Basic');
    expect(exchange.steps.map((s) => s.transport.packet)).toEqual(['POST /login', '204']);
    expect(exchange.steps[0]!.transport.fields).toEqual({ Host: 'h', Authorization: 'Basic', user: 'alice', password: `<${password.length} bytes hidden>` });
    expect(exchange.steps[0]!.token).toBeUndefined();
    expect(exchange.verdict.outcome).toBe('success');
    const json = JSON.stringify(exchange);
    expect(json).not.toContain(password);
    expect(json).not.toContain(b64(`alice:${password}`));
    expect(json).not.toContain(Buffer.from(password).toString('base64').slice(0, 12));
  });

  it('fails Basic with a 401', () => {
    const exchange = run([
      [0, `GET / HTTP/1.1\r\nAuthorization: basic ${b64('bob:x')}\r\n\r\n`],
      [1, 'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="r"\r\nContent-Length: 0\r\n\r\n'],
    ]).ctx.recorders[0]!.exchange;
    expect(exchange.verdict).toMatchObject({ outcome: 'failure', reason: 'the server refused the credentials (401)' });
  });

  it('follows the three NTLM legs on one connection', () => {
    const type1 = Buffer.concat([Buffer.from('NTLMSSP\0', 'latin1'), Buffer.from('0100000007820000', 'hex')]);
    const type2 = Buffer.concat([Buffer.from('NTLMSSP\0', 'latin1'), Buffer.from('02000000', 'hex')]);
    const type3 = Buffer.concat([Buffer.from('NTLMSSP\0', 'latin1'), Buffer.from('03000000', 'hex')]);
    const { ctx } = run([
      [0, 'GET /iis HTTP/1.1\r\nHost: w\r\n\r\n'],
      [1, 'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate, NTLM\r\nContent-Length: 0\r\n\r\n'],
      [0, `GET /iis HTTP/1.1\r\nHost: w\r\nAuthorization: NTLM ${b64(type1)}\r\n\r\n`],
      [1, `HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM ${b64(type2)}\r\nContent-Length: 0\r\n\r\n`],
      [0, `GET /iis HTTP/1.1\r\nHost: w\r\nAuthorization: NTLM ${b64(type3)}\r\n\r\n`],
      [1, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'],
      [0, 'GET /after HTTP/1.1\r\nHost: w\r\n\r\n'],
      [1, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'],
    ]);
    expect(ctx.recorders).toHaveLength(1);
    const exchange = ctx.recorders[0]!.exchange;
    expect(exchange.mechanism).toBe('NTLM');
    expect(exchange.steps.map((s) => s.transport.packet)).toEqual(['GET /iis', '401', 'GET /iis', '401', 'GET /iis', '200']);
    expect(exchange.steps.map((s) => s.token)).toEqual([undefined, undefined, b64(type1), b64(type2), b64(type3), undefined]);
    expect(exchange.steps[1]!.transport.fields).toEqual({ 'WWW-Authenticate': 'Negotiate, NTLM' });
    expect(exchange.verdict.outcome).toBe('success');
  });
});

describe('message framing', () => {
  it('knows which responses have no body: HEAD, 204, 304, 1xx', () => {
    const { ctx } = run([
      [0, 'HEAD /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\nExpect: 100-continue\r\n\r\n'],
      [1, 'HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n'],
      [1, 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n'],
    ]);
    expect(ctx.warnings).toEqual([]);
    expect(ctx.recorders[0]!.exchange.steps.map((s) => s.transport.packet)).toEqual(['GET /c', '401']);
  });

  it('reads a body to the end of the connection when the response gives no length', () => {
    const { ctx, handler } = run([
      [0, 'GET / HTTP/1.0\r\n\r\n'],
      [1, 'HTTP/1.0 200 OK\r\n\r\nHTTP/1.1 this is body, not a response\r\n\r\n'],
    ]);
    expect(ctx.warnings).toEqual([]);
    expect(handler.done).toBe(false);
  });

  it('warns about malformed HTTP and stops', () => {
    const { ctx, handler } = run([
      [0, `GET / HTTP/1.1\r\nAuthorization: Negotiate ${b64(APREQ)}\r\n\r\n`],
      [1, 'SSH-2.0-OpenSSH_9.2\r\n\r\n'],
      [1, 'HTTP/1.1 200 OK\r\n\r\n'],
    ]);
    expect(handler.done).toBe(true);
    expect(ctx.warnings).toHaveLength(1);
    expect(ctx.warnings[0]).toMatchObject({ packet: 2 });
    expect(ctx.warnings[0]!.message).toContain('not an HTTP/1.x status line: "SSH-2.0-OpenSSH_9.2');
    expect(ctx.recorders[0]!.exchange.verdict.outcome).toBe('pending');
    const chunked = run([
      [0, 'GET / HTTP/1.1\r\n\r\n'],
      [1, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ]);
    expect(chunked.ctx.warnings[0]!.message).toContain('bad chunk size');
    const huge = run([[0, `GET / HTTP/1.1\r\nX: ${'a'.repeat(70_000)}`]], (b) => [b.subarray(0, 30_000), b.subarray(30_000)]);
    expect(huge.ctx.warnings[0]!.message).toContain('longer than 64 KiB');
  });

  it('skips a body lost in a gap and goes on', () => {
    const ctx = new HttpContext();
    const handler = new HttpStreamHandler(flow, ctx);
    const packet = (number: number) => ({ number, seconds: 1, nanos: 0 });
    handler.data({ direction: 0, bytes: Buffer.from(`GET / HTTP/1.1\r\nAuthorization: Negotiate ${b64(APREQ)}\r\n\r\n`), streamOffset: 0, packet: packet(1) });
    const head = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n');
    handler.data({ direction: 1, bytes: head, streamOffset: 0, packet: packet(2) });
    handler.gap({ direction: 1, streamOffset: head.length, length: 1460, packet: packet(4) });
    expect(ctx.warnings).toEqual([]);
    handler.gap({ direction: 1, streamOffset: head.length + 1460, length: 5000, packet: packet(5) });
    expect(ctx.warnings[0]!.message).toContain('5000 bytes missing');
  });
});

describe('WebSocket upgrade', () => {
  const upgrade = 'GET /mqtt HTTP/1.1\r\nHost: broker\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n';
  const accept = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n';
  const mask = Buffer.from([1, 2, 3, 4]);
  const clientFrame = (payload: Buffer) => Buffer.concat([Buffer.from([0x82, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
  const serverFrame = (payload: Buffer) => Buffer.concat([Buffer.from([0x82, payload.length]), payload]);
  const connect = Buffer.from('101000044d5154540502003c', 'hex');
  const connack = Buffer.from('20020000', 'hex');

  it('hands the frames of both directions to the deframer and records nothing', () => {
    const { ctx } = run([
      [0, upgrade],
      [1, accept],
      [0, clientFrame(connect)],
      [1, serverFrame(connack)],
    ]);
    expect(ctx.labels).toEqual(['WebSocket']);
    expect(ctx.recorders).toEqual([]);
    expect(ctx.inner.text(0)).toBe(connect.toString('latin1'));
    expect(ctx.inner.text(1)).toBe(connack.toString('latin1'));
    expect(ctx.inner.ended).toBe('closed');
  });

  it('holds client bytes sent right behind the upgrade request until the 101 arrives', () => {
    const { ctx } = run([
      [0, Buffer.concat([Buffer.from(upgrade), clientFrame(connect)])],
      [1, Buffer.concat([Buffer.from(accept), serverFrame(connack)])],
    ], bytewise);
    expect(ctx.inner.text(0)).toBe(connect.toString('latin1'));
    expect(ctx.inner.text(1)).toBe(connack.toString('latin1'));
  });

  it('records an upgrade that carried credentials, and reads HTTP again when it is refused', () => {
    const { ctx } = run([
      [0, upgrade.replace('\r\n\r\n', `\r\nAuthorization: Negotiate ${b64(APREQ)}\r\n\r\n`)],
      [1, 'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n'],
      [0, upgrade.replace('\r\n\r\n', `\r\nAuthorization: Negotiate ${b64(APREQ)}\r\n\r\n`)],
      [1, accept],
    ]);
    expect(ctx.recorders.map((r) => r.exchange.verdict.outcome)).toEqual(['failure', 'success']);
    expect(ctx.recorders[1]!.exchange.steps.map((s) => s.transport.packet)).toEqual(['GET /mqtt', '101']);
  });
});

describe('header fields', () => {
  it('lists every challenge of several fields and comma-separated ones', () => {
    const head = parseHead(Buffer.from('HTTP/1.1 401 X\r\nWWW-Authenticate: Bearer realm="a,b", error="x", Negotiate\r\nwww-authenticate: NTLM\r\n  , Basic realm=plain\r\n\r\n'));
    if (typeof head === 'string') throw new Error(head);
    const challenges = parseChallenges(head, 'www-authenticate');
    expect(challenges.all.map((c) => c.scheme)).toEqual(['Bearer', 'Negotiate', 'NTLM', 'Basic']);
    expect(challenges.known.map((c) => c.scheme)).toEqual(['Negotiate', 'NTLM', 'Basic']);
    expect(challenges.all[0]!.realm).toBe('a,b');
    expect(challenges.known[2]!.realm).toBe('plain');
  });
});
