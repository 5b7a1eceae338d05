/**
 * Kerberos KDC extraction on real MIT traffic: test/fixtures/world/world.json holds the KDC's TCP
 * streams of a plain kinit (AS-REQ, KRB-ERROR 25, AS-REQ with PA-ENC-TIMESTAMP, AS-REP), of a kinit
 * then three kvno (kdcStreamLegacy) and of an S4U2self run, recorded by tshark against MIT krb5
 * 1.20.1 (test/fixtures/world/make.sh). Here they are cut back into records and fed as TCP chunks
 * (split at every byte, or several records in one chunk) and as UDP datagrams.
 */
import { describe, expect, it } from 'vitest';
import { kerberosTcpExtractor, kerberosUdpExtractor } from '../../../main/capture/extract/kerberos';
import type { FlowDirection, PacketRef, TcpFlow, TcpStreamHandler } from '../../../main/capture/types';
import { world } from '../../helpers/world';
import { FakeContext } from './fake-context';


/** The records of a stream: [tag, whole record with its mark]. */
function records(hex: string): Buffer[] {
  const bytes = Buffer.from(hex, 'hex');
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = bytes.readUInt32BE(at);
    out.push(bytes.subarray(at, at + 4 + length));
    at += 4 + length;
  }
  return out;
}

let frame = 0;
const T0 = 1_700_000_000;
const packet = (seconds = 0): PacketRef => ({ number: ++frame, seconds: T0 + seconds, nanos: 0 });

let flowId = 0;
const tcpFlow = (clientPort = 40000 + flowId): TcpFlow => ({ id: flowId++, client: `10.0.0.5:${clientPort}`, server: '10.0.0.1:88', sawSyn: true });

/** Feeds `bytes` to one direction of a handler in chunks of `size` bytes, one frame each; returns the frames. */
function feed(handler: TcpStreamHandler, direction: FlowDirection, bytes: Uint8Array, size: number, offset = { value: 0 }, seconds = 0): number[] {
  const frames: number[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    const ref = packet(seconds);
    frames.push(ref.number);
    // A fresh copy each time: the scan's buffers are reused once the call returns.
    handler.data({ direction, bytes: Uint8Array.from(bytes.subarray(at, at + size)), streamOffset: offset.value + at, packet: ref });
  }
  offset.value += bytes.length;
  return frames;
}

const plain = records(world.kdcStreamPlain);

describe('kerberosTcpExtractor.sniff', () => {
  it('says more until the record mark, the tag and the DER length agree, then yes', () => {
    const first = plain[0]!;
    const verdicts = Array.from({ length: 8 }, (_, n) => kerberosTcpExtractor.sniff(first.subarray(0, n), 0));
    expect(verdicts.slice(0, 7)).toEqual(Array(7).fill('more'));
    expect(kerberosTcpExtractor.sniff(first, 0)).toBe('yes');
    expect(kerberosTcpExtractor.sniff(first.subarray(0, 40), 0)).toBe('yes');
  });

  it('takes replies only from the server side, and nothing else', () => {
    expect(kerberosTcpExtractor.sniff(plain[1]!, 0)).toBe('no');
    expect(kerberosTcpExtractor.sniff(plain[1]!, 1)).toBe('yes');
    expect(kerberosTcpExtractor.sniff(Buffer.from('GET / HTTP/1.1\r\n'), 0)).toBe('no');
    // kpasswd (RFC 3244) shares the record marks but not the message.
    expect(kerberosTcpExtractor.sniff(records(world.kpasswdStream)[4]!, 0)).toBe('no');
    const badLength = Buffer.from(plain[0]!);
    badLength.writeUInt32BE(plain[0]!.length, 0);
    expect(kerberosTcpExtractor.sniff(badLength, 0)).toBe('no');
  });
});

describe('Kerberos over TCP', () => {
  it('joins AS-REQ → KRB-ERROR 25 → AS-REQ → AS-REP on two flows into one AS Exchange, records split at every byte', () => {
    const ctx = new FakeContext();
    const spans: number[][] = [];
    for (const [request, reply] of [
      [plain[0]!, plain[1]!],
      [plain[2]!, plain[3]!],
    ] as const) {
      const handler = kerberosTcpExtractor.create(tcpFlow(), ctx);
      spans.push(feed(handler, 0, request, 1), feed(handler, 1, reply, 1));
      handler.end('closed');
    }
    expect(ctx.exchanges).toHaveLength(1);
    const exchange = ctx.exchanges[0]!;
    expect(exchange.mechanism).toBe('AS');
    expect(exchange.steps.map((s) => s.transport.packet)).toEqual(['AS-REQ', 'KRB-ERROR', 'AS-REQ', 'AS-REP']);
    expect(exchange.steps.map((s) => s.packets)).toEqual(spans);
    expect(exchange.steps[0]!.summary).toBe('AS-REQ alice@WORLD.TEST → krbtgt/WORLD.TEST@WORLD.TEST, etypes 18 17 20 19 23, PA-AS-FRESHNESS PA-REQ-ENC-PA-REP');
    expect(exchange.steps[1]!.summary).toBe('KRB-ERROR KDC_ERR_PREAUTH_REQUIRED (25): NEEDED_PREAUTH');
    expect(exchange.steps[1]!.transport.fields).toMatchObject({ errorCode: 25, error: 'KDC_ERR_PREAUTH_REQUIRED', realm: 'WORLD.TEST', sname: 'krbtgt/WORLD.TEST' });
    expect(exchange.steps[2]!.transport.fields).toMatchObject({ cname: 'alice', realm: 'WORLD.TEST', sname: 'krbtgt/WORLD.TEST' });
    expect(exchange.steps[2]!.transport.fields?.padata).toContain('PA-ENC-TIMESTAMP');
    expect(exchange.steps[3]!.summary).toMatch(/^AS-REP alice@WORLD\.TEST, ticket krbtgt\/WORLD\.TEST@WORLD\.TEST kvno \d+ aes256-cts-hmac-sha1-96$/);
    // The token is the message without its record mark.
    expect(Buffer.from(exchange.steps[3]!.token!, 'base64')).toEqual(plain[3]!.subarray(4));
    expect(exchange.verdict.outcome).toBe('success');
    expect(exchange.capture?.ticket).toMatchObject({ sname: 'krbtgt/WORLD.TEST', realm: 'WORLD.TEST', etype: 18 });
    expect(exchange.capture?.ticket?.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(exchange.capture?.packets).toEqual(spans.flat());
    expect(ctx.warnings).toEqual([]);
  });

  it('reads every record of a kinit and three kvno sent in one chunk per direction, pairing replies in order', () => {
    const ctx = new FakeContext();
    const all = records(world.kdcStreamLegacy);
    const handler = kerberosTcpExtractor.create(tcpFlow(), ctx);
    for (let i = 0; i < all.length; i += 2) {
      feed(handler, 0, all[i]!, 1 << 20);
      feed(handler, 1, all[i + 1]!, 1 << 20);
    }
    expect(ctx.exchanges.map((e) => [e.mechanism, e.steps.length, e.verdict.outcome])).toEqual([
      ['AS', 4, 'success'],
      ['TGS', 2, 'success'],
      ['TGS', 2, 'success'],
      ['TGS', 2, 'success'],
    ]);
    expect(ctx.exchanges[1]!.steps[0]!.summary).toMatch(/^TGS-REQ → host\/camellia@WORLD\.TEST, etypes /);
    expect(ctx.exchanges[1]!.capture?.ticket?.sname).toBe('host/camellia');
  });

  it('reads several records in one chunk and one record over many', () => {
    const ctx = new FakeContext();
    const all = records(world.kdcStreamLegacy);
    const handler = kerberosTcpExtractor.create(tcpFlow(), ctx);
    // The client retries only after the KRB-ERROR; then it sends its four requests at once.
    feed(handler, 0, all[0]!, 1000);
    feed(handler, 1, all[1]!, 1000);
    const requests = Buffer.concat(all.filter((_, i) => i > 1 && i % 2 === 0));
    const replies = Buffer.concat(all.filter((_, i) => i > 1 && i % 2 === 1));
    feed(handler, 0, requests, requests.length);
    feed(handler, 1, replies, 7);
    expect(ctx.exchanges.map((e) => e.steps.map((s) => s.transport.packet).join(' '))).toEqual([
      'AS-REQ KRB-ERROR AS-REQ AS-REP',
      'TGS-REQ TGS-REP',
      'TGS-REQ TGS-REP',
      'TGS-REQ TGS-REP',
    ]);
    expect(ctx.exchanges[0]!.steps[2]!.packets).toEqual(ctx.exchanges[3]!.steps[0]!.packets);
    expect(ctx.exchanges[3]!.steps[1]!.packets!.length).toBe(Math.ceil(all[9]!.length / 7) + 1);
  });

  it('starts over after PREAUTH_REQUIRED when the retry comes later than 60 s, and leaves an unanswered request pending', () => {
    const ctx = new FakeContext();
    const first = kerberosTcpExtractor.create(tcpFlow(), ctx);
    feed(first, 0, plain[0]!, 100, undefined, 0);
    feed(first, 1, plain[1]!, 100, undefined, 1);
    const second = kerberosTcpExtractor.create(tcpFlow(), ctx);
    feed(second, 0, plain[2]!, 100, undefined, 62);
    second.end('capture-ended');
    expect(ctx.exchanges).toHaveLength(2);
    expect(ctx.exchanges[0]!.verdict).toMatchObject({ outcome: 'pending', code: 'KDC_ERR_PREAUTH_REQUIRED' });
    expect(ctx.exchanges[1]!.verdict.outcome).toBe('pending');
  });

  it('fails an exchange on any other KRB-ERROR, with the error name and its meaning', () => {
    const ctx = new FakeContext();
    const error = Buffer.from(plain[1]!);
    // error-code [6] INTEGER 25 → 7 (KDC_ERR_S_PRINCIPAL_UNKNOWN).
    const at = error.indexOf(Buffer.from([0xa6, 0x03, 0x02, 0x01, 25]));
    error[at + 4] = 7;
    const handler = kerberosTcpExtractor.create(tcpFlow(), ctx);
    feed(handler, 0, plain[0]!, 9);
    feed(handler, 1, error, 9);
    expect(ctx.exchanges[0]!.verdict).toEqual({ outcome: 'failure', code: 'KDC_ERR_S_PRINCIPAL_UNKNOWN', reason: 'Server not found in Kerberos database (e-text: NEEDED_PREAUTH)' });
    expect(ctx.exchanges[0]!.finishedAt).toBeDefined();
  });

  it('notes a gap on the open exchange and reads on at the next segment that starts a record', () => {
    const ctx = new FakeContext();
    const handler = kerberosTcpExtractor.create(tcpFlow(), ctx);
    feed(handler, 0, plain[2]!, 50);
    feed(handler, 1, plain[3]!.subarray(0, 300), 300);
    handler.gap({ direction: 1, streamOffset: 300, length: 100, packet: packet() });
    feed(handler, 1, plain[3]!.subarray(400), 1000); // the rest of the broken record: skipped
    feed(handler, 1, plain[3]!, 1000);
    expect(ctx.exchanges).toHaveLength(1);
    expect(ctx.exchanges[0]!.steps.map((s) => s.transport.packet)).toEqual(['AS-REQ', 'AS-REP']);
    expect(ctx.exchanges[0]!.capture?.gaps).toEqual([expect.stringMatching(/^server → client: 100 bytes missing at stream byte 300/)]);
  });

  it('records a reply whose request the capture missed', () => {
    const ctx = new FakeContext();
    expect(kerberosTcpExtractor.sniff(plain[3]!, 1)).toBe('yes');
    const handler = kerberosTcpExtractor.create(tcpFlow(), ctx);
    feed(handler, 1, plain[3]!, 1000);
    expect(ctx.exchanges.map((e) => [e.mechanism, e.verdict.outcome, e.steps.length])).toEqual([['AS', 'success', 1]]);
  });

  it('warns on a record mark with the reserved bit and reads on at the next record', () => {
    const ctx = new FakeContext();
    const handler = kerberosTcpExtractor.create(tcpFlow(), ctx);
    feed(handler, 0, Buffer.from([0x80, 0, 0, 1, 0x6a]), 5);
    feed(handler, 0, plain[0]!, 1000);
    expect(ctx.warnings[0]?.message).toMatch(/reserved top bit/);
    expect(ctx.exchanges[0]!.steps).toHaveLength(1);
  });

  it('keeps an S4U2self run apart: the AS exchanges of the service and of the user lookup, then the TGS exchange', () => {
    const ctx = new FakeContext();
    const all = records(world.kdcStreamS4u);
    for (let i = 0; i < all.length; i += 2) {
      const handler = kerberosTcpExtractor.create(tcpFlow(), ctx);
      feed(handler, 0, all[i]!, 64);
      feed(handler, 1, all[i + 1]!, 64);
    }
    expect(ctx.exchanges.map((e) => `${e.mechanism} ${e.steps.length} ${e.verdict.outcome}`)).toEqual(['AS 4 success', 'AS 2 pending', 'TGS 2 success']);
  });
});

describe('Kerberos over UDP', () => {
  const datagram = (payload: Buffer, src: string, srcPort: number, dst: string, dstPort: number, seconds = 0) => ({
    src,
    dst,
    srcPort,
    dstPort,
    payload: Uint8Array.from(payload),
    packet: packet(seconds),
  });

  it('sniffs a KDC message whose DER length is the datagram', () => {
    for (const record of plain) expect(kerberosUdpExtractor.sniff(record.subarray(4))).toBe(true);
    expect(kerberosUdpExtractor.sniff(plain[0]!.subarray(4, 100))).toBe(false);
    expect(kerberosUdpExtractor.sniff(plain[0]!)).toBe(false);
    expect(kerberosUdpExtractor.sniff(new Uint8Array(0))).toBe(false);
  });

  it('pairs by endpoints and joins the pre-authenticated retry from a new port', () => {
    const ctx = new FakeContext();
    const udp = kerberosUdpExtractor;
    udp.datagram(datagram(plain[0]!.subarray(4), '10.0.0.5', 50001, '10.0.0.1', 88), ctx);
    udp.datagram(datagram(plain[0]!.subarray(4), '10.0.0.5', 50001, '10.0.0.1', 88, 1), ctx); // retransmitted
    udp.datagram(datagram(plain[1]!.subarray(4), '10.0.0.1', 88, '10.0.0.5', 50001, 1), ctx);
    udp.datagram(datagram(plain[2]!.subarray(4), '10.0.0.5', 50002, '10.0.0.1', 88, 2), ctx);
    udp.datagram(datagram(plain[3]!.subarray(4), '10.0.0.1', 88, '10.0.0.5', 50002, 2), ctx);
    udp.end(ctx);
    expect(ctx.exchanges).toHaveLength(1);
    const exchange = ctx.exchanges[0]!;
    expect(exchange.steps.map((s) => s.summary?.split(',')[0])).toEqual([
      'AS-REQ alice@WORLD.TEST → krbtgt/WORLD.TEST@WORLD.TEST',
      'AS-REQ alice@WORLD.TEST → krbtgt/WORLD.TEST@WORLD.TEST',
      'KRB-ERROR KDC_ERR_PREAUTH_REQUIRED (25): NEEDED_PREAUTH',
      'AS-REQ alice@WORLD.TEST → krbtgt/WORLD.TEST@WORLD.TEST',
      'AS-REP alice@WORLD.TEST',
    ]);
    expect(exchange.steps[1]!.summary).toMatch(/\(retransmission\)$/);
    expect(exchange.verdict.outcome).toBe('success');
    expect(exchange.capture?.client).toBe('10.0.0.5:50001');
  });

  it('joins a TCP retry after KRB_ERR_RESPONSE_TOO_BIG over UDP', () => {
    const ctx = new FakeContext();
    const tooBig = Buffer.from(plain[1]!.subarray(4));
    tooBig[tooBig.indexOf(Buffer.from([0xa6, 0x03, 0x02, 0x01, 25])) + 4] = 52;
    kerberosUdpExtractor.datagram(datagram(plain[2]!.subarray(4), '10.0.0.5', 50003, '10.0.0.1', 88), ctx);
    kerberosUdpExtractor.datagram(datagram(tooBig, '10.0.0.1', 88, '10.0.0.5', 50003), ctx);
    const handler = kerberosTcpExtractor.create(tcpFlow(), ctx);
    feed(handler, 0, plain[2]!, 1000);
    feed(handler, 1, plain[3]!, 1000);
    kerberosUdpExtractor.end(ctx);
    expect(ctx.exchanges).toHaveLength(1);
    expect(ctx.exchanges[0]!.steps.map((s) => s.transport.packet)).toEqual(['AS-REQ', 'KRB-ERROR', 'AS-REQ', 'AS-REP']);
    expect(ctx.exchanges[0]!.verdict.outcome).toBe('success');
  });

  it('never throws on mangled messages: bytes flipped across a KRB-ERROR, over TCP and UDP', () => {
    const error = plain[1]!;
    for (let i = 0; i < error.length; i++) {
      const ctx = new FakeContext();
      const bad = Buffer.from(error);
      bad[i] = bad[i]! ^ 0xff;
      const handler = kerberosTcpExtractor.create(tcpFlow(), ctx);
      feed(handler, 0, plain[0]!, 1000);
      feed(handler, 1, bad, 17);
      handler.end('capture-ended');
      if (kerberosUdpExtractor.sniff(bad.subarray(4))) kerberosUdpExtractor.datagram(datagram(bad.subarray(4), '10.0.0.1', 88, '10.0.0.5', 1), ctx);
      kerberosUdpExtractor.end(ctx);
    }
  });
});
