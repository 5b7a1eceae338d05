import { describe, expect, it } from 'vitest';
import {
  HandshakeReader,
  TlsFormatError,
  TlsRecordReader,
  parseClientHello,
  parseServerHello,
  versionName,
  type HandshakeMessage,
  type TlsRecord,
} from '../../../main/capture/tls/records';

const u16 = (n: number) => [n >> 8, n & 0xff];
const vec16 = (bytes: number[]) => [...u16(bytes.length), ...bytes];
const vec8 = (bytes: number[]) => [bytes.length, ...bytes];
const ascii = (s: string) => [...Buffer.from(s, 'latin1')];
const ext = (type: number, data: number[]) => [...u16(type), ...vec16(data)];
const handshake = (type: number, body: number[]) => [type, 0, ...u16(body.length), ...body];
const record = (type: number, fragment: number[], version = 0x0301) => [type, ...u16(version), ...u16(fragment.length), ...fragment];

const clientRandom = Array.from({ length: 32 }, (_, i) => i);

/** A ClientHello as a TLS 1.3 client sends it: SNI, ALPN, supported_versions. */
function clientHelloBody(): number[] {
  return [
    ...u16(0x0303),
    ...clientRandom,
    ...vec8(Array(32).fill(7)),
    ...vec16([...u16(0x1301), ...u16(0x1302), ...u16(0xc02f)]),
    ...vec8([0]),
    ...vec16([
      ...ext(0, vec16([0, ...vec16(ascii('broker.example.com'))])),
      ...ext(16, vec16([...vec8(ascii('mqtt')), ...vec8(ascii('http/1.1'))])),
      ...ext(43, vec8([...u16(0x0304), ...u16(0x0303)])),
    ]),
  ];
}

function serverHelloBody(random: number[], extensions: number[]): number[] {
  return [...u16(0x0303), ...random, ...vec8([]), ...u16(0x1302), 0, ...vec16(extensions)];
}

const HRR_RANDOM = [...Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex')];

function readAll(pieces: Uint8Array[]): { records: (Omit<TlsRecord, 'fragment'> & { fragment: string })[] } {
  const reader = new TlsRecordReader();
  const records: (Omit<TlsRecord, 'fragment'> & { fragment: string })[] = [];
  for (const piece of pieces) reader.push(piece, (r) => records.push({ ...r, fragment: Buffer.from(r.fragment).toString('hex') }));
  return { records };
}

describe('TlsRecordReader', () => {
  const stream = new Uint8Array([
    ...record(22, handshake(1, clientHelloBody())),
    ...record(20, [1], 0x0303),
    ...record(23, Array.from({ length: 300 }, (_, i) => i & 0xff), 0x0303),
    ...record(21, [1, 0], 0x0303),
  ]);
  const whole = readAll([stream]).records;

  it('reads several records out of one segment, with their stream offsets', () => {
    expect(whole.map((r) => [r.type, r.version, r.offset])).toEqual([
      [22, 0x0301, 0],
      [20, 0x0303, whole[1]!.offset],
      [23, 0x0303, whole[1]!.offset + 6],
      [21, 0x0303, whole[1]!.offset + 6 + 305],
    ]);
  });

  it('gives the same records when the stream is split at every byte boundary', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      expect(readAll([stream.subarray(0, cut), stream.subarray(cut)]).records).toEqual(whole);
    }
    expect(readAll(Array.from(stream, (b) => new Uint8Array([b]))).records).toEqual(whole);
  });

  it('throws a TlsFormatError naming the field and stream offset of a bad header', () => {
    const reader = new TlsRecordReader();
    reader.push(new Uint8Array(record(23, [1, 2, 3], 0x0303)), () => undefined);
    const bad = [
      [0x47, 0x45, 0x54, 0x20, 0x2f],
      [23, 0x02, 0x00, 0, 1],
      [23, 3, 3, 0xff, 0xff],
    ];
    const fields = ['type', 'version', 'length'];
    bad.forEach((header, i) => {
      const r = new TlsRecordReader(8);
      let error: unknown;
      try {
        r.push(new Uint8Array(header), () => undefined);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TlsFormatError);
      expect((error as TlsFormatError).field).toBe(fields[i]);
      expect((error as TlsFormatError).offset).toBeGreaterThanOrEqual(8);
    });
  });
});

describe('hello messages', () => {
  it('reads a ClientHello: random, suites, SNI, ALPN, supported_versions', () => {
    const messages: HandshakeMessage[] = [];
    new HandshakeReader().push(new Uint8Array(handshake(1, clientHelloBody())), 5, (m) => messages.push(m));
    expect(messages).toHaveLength(1);
    const hello = parseClientHello(messages[0]!.body, messages[0]!.offset + 4);
    expect(Array.from(hello.random)).toEqual(clientRandom);
    expect(hello.cipherSuites).toEqual([0x1301, 0x1302, 0xc02f]);
    expect(hello.sni).toBe('broker.example.com');
    expect(hello.alpn).toEqual(['mqtt', 'http/1.1']);
    expect(hello.supportedVersions).toEqual([0x0304, 0x0303]);
  });

  it('reads a TLS 1.3 ServerHello and tells a HelloRetryRequest', () => {
    const sh = parseServerHello(new Uint8Array(serverHelloBody(Array(32).fill(9), [...ext(43, u16(0x0304)), ...ext(16, vec16(vec8(ascii('mqtt'))))])), 0);
    expect(sh).toMatchObject({ cipherSuite: 0x1302, version: 0x0304, legacyVersion: 0x0303, helloRetryRequest: false, alpn: 'mqtt' });
    expect(versionName(sh.version)).toBe('TLS 1.3');
    const hrr = parseServerHello(new Uint8Array(serverHelloBody(HRR_RANDOM, ext(43, u16(0x0304)))), 0);
    expect(hrr.helloRetryRequest).toBe(true);
    const tls12 = parseServerHello(new Uint8Array(serverHelloBody(Array(32).fill(1), [])).subarray(0, 38 + 3), 0);
    expect(versionName(tls12.version)).toBe('TLS 1.2');
  });

  it('reassembles handshake messages across fragments', () => {
    const bytes = new Uint8Array([...handshake(1, clientHelloBody()), ...handshake(14, [])]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const reader = new HandshakeReader();
      const types: number[] = [];
      reader.push(bytes.subarray(0, cut), 100, (m) => types.push(m.msgType));
      reader.push(bytes.subarray(cut), 100 + cut, (m) => types.push(m.msgType));
      expect(types).toEqual([1, 14]);
    }
  });

  it('throws TlsFormatError with the offset of a truncated field, never a bare error', () => {
    const body = clientHelloBody();
    for (let cut = 0; cut < body.length; cut++) {
      try {
        parseClientHello(new Uint8Array(body.slice(0, cut)), 1000);
      } catch (error) {
        expect(error).toBeInstanceOf(TlsFormatError);
        expect((error as TlsFormatError).offset).toBeGreaterThanOrEqual(1000);
      }
    }
  });
});
