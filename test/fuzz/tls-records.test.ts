/**
 * TLS record reading and decryption under hostile input: real TLS 1.2 and 1.3 sessions (Node's
 * client and server over loopback, every suite family the bench decrypts) with their key logs,
 * one segment mutated and the streams cut into random pieces. The handler must only warn, never
 * throw; the record and handshake readers may refuse only with TlsFormatError naming the stream
 * byte; a mangled key log only produces warnings.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTlsHandler, type TlsConnectionInfo } from '../../main/capture/tls/handler';
import { TlsKeyLog } from '../../main/capture/tls/keylog';
import { ContentType, HandshakeReader, HandshakeType, parseClientHello, parseEncryptedExtensions, parseServerHello, TlsFormatError, TlsRecordReader } from '../../main/capture/tls/records';
import type { ExtractContext } from '../../main/capture/extract/types';
import type { CaptureWarning, FlowDirection, StreamChunk, TcpFlow } from '../../main/capture/types';
import { recordTlsSession, type RecordedTlsSession } from '../helpers/tls-session';
import { fuzz, fuzzTimeout, mutatedBytes, mutatedText } from './harness';

const SUITES = [
  ['TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256'],
  ['TLSv1.2', 'ECDHE-RSA-CHACHA20-POLY1305'],
  ['TLSv1.3', 'TLS_AES_256_GCM_SHA384'],
  ['TLSv1.3', 'TLS_CHACHA20_POLY1305_SHA256'],
] as const;

const flow: TcpFlow = { id: 7, client: '10.0.0.1:40000', server: '10.0.0.2:8883', sawSyn: true };
const packet = { number: 1, seconds: 0, nanos: 0 };

/** Feeds the segments (one replaced) to a TLS handler, each cut into `cuts`-sized pieces; returns what it decrypted. */
function runHandler(session: RecordedTlsSession, keylog: TlsKeyLog, replace: { index: number; bytes: Buffer }, cuts: readonly number[]): { plaintext: number; warnings: number } {
  let plaintext = 0;
  const warnings: CaptureWarning[] = [];
  const ctx = {
    record: () => {
      throw new Error('the TLS handler records nothing itself');
    },
    openInner: () => ({ data: (c: StreamChunk) => void (plaintext += c.bytes.length), gap: () => undefined, end: () => undefined }),
    warn: (w: CaptureWarning) => warnings.push(w),
    noteTls: (_info: TlsConnectionInfo) => undefined,
  } as ExtractContext & { noteTls(info: TlsConnectionInfo): void };
  const handler = createTlsHandler(flow, ctx, keylog);
  const offsets: [number, number] = [0, 0];
  session.segments.forEach((segment, i) => {
    const bytes = i === replace.index ? replace.bytes : segment.bytes;
    for (let o = 0, k = 0; o < bytes.length; k++) {
      const size = cuts.length ? Math.max(1, cuts[k % cuts.length]!) : bytes.length;
      const piece = bytes.subarray(o, o + size);
      handler.data({ direction: segment.direction, bytes: piece, streamOffset: offsets[segment.direction], packet });
      offsets[segment.direction] += piece.length;
      o += size;
    }
  });
  handler.end('closed');
  return { plaintext, warnings: warnings.length };
}

describe('fuzz: TLS records and decryption', () => {
  let sessions: RecordedTlsSession[];
  let keylogText: string;
  let keylog: TlsKeyLog;
  let streams: Buffer[];

  beforeAll(async () => {
    sessions = [];
    for (const [version, ciphers] of SUITES) {
      sessions.push(await recordTlsSession({ maxVersion: version, minVersion: version, ciphers, clientWrites: [Buffer.from('CONNECT from the client')], serverWrites: [Buffer.from('CONNACK'), Buffer.alloc(3000, 0x62)], alpn: ['mqtt'] }));
    }
    keylogText = sessions.map((s) => s.keylog).join('');
    keylog = TlsKeyLog.parse(keylogText).keylog;
    streams = sessions.flatMap((s) => ([0, 1] as FlowDirection[]).map((d) => Buffer.concat(s.segments.filter((x) => x.direction === d).map((x) => x.bytes))));
  });

  it('has real seeds: every session decrypts with its key log', () => {
    for (const session of sessions) expect(runHandler(session, keylog, { index: -1, bytes: Buffer.alloc(0) }, []).plaintext).toBe(23 + 7 + 3000);
  });

  it(
    'the TLS handler with the key log: one segment mutated, streams cut anywhere',
    () =>
      fuzz({
        name: 'tls.handler',
        input: fc.tuple(fc.nat(), fc.nat()).chain(([s, g]) => {
          const session = sessions[s % sessions.length]!;
          const index = g % session.segments.length;
          return fc.tuple(mutatedBytes([session.segments[index]!.bytes]), fc.array(fc.integer({ min: 1, max: 600 }), { maxLength: 4 })).map(([bytes, cuts]) => ({ session: s % sessions.length, index, bytes, cuts }));
        }),
        run: ({ session, index, bytes, cuts }) => void runHandler(sessions[session]!, keylog, { index, bytes }, cuts),
        typed: [],
      }),
    fuzzTimeout(),
  );

  it(
    'record and handshake readers, ClientHello, ServerHello, EncryptedExtensions',
    () =>
      fuzz({
        name: 'tls.records',
        input: fc.tuple(fc.integer({ min: 0, max: 1 << 20 }), mutatedBytes(streams, 12), fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 4 })),
        run: ([start, bytes, cuts]) => {
          const records = new TlsRecordReader(start);
          const handshake = new HandshakeReader();
          const onRecord = (record: { type: number; fragment: Uint8Array; offset: number }) => {
            if (record.type !== ContentType.handshake) return;
            handshake.push(record.fragment, record.offset + 5, (message) => {
              if (message.msgType === HandshakeType.client_hello) parseClientHello(message.body, message.offset + 4);
              else if (message.msgType === HandshakeType.server_hello) parseServerHello(message.body, message.offset + 4);
              else parseEncryptedExtensions(message.body);
            });
          };
          for (let o = 0, k = 0; o < bytes.length; k++) {
            const size = cuts.length ? cuts[k % cuts.length]! : bytes.length;
            records.push(bytes.subarray(o, o + size), onRecord);
            o += size;
          }
        },
        typed: [TlsFormatError],
        checkTyped: (error) => {
          if (!/ at stream byte -?\d+/.test(error.message)) throw new Error(`TlsFormatError without a stream offset: ${error.message}`);
        },
      }),
    fuzzTimeout(),
  );

  it(
    'a mangled key log: warnings, never a throw',
    () =>
      fuzz({
        name: 'tls.keylog',
        input: mutatedText([keylogText], 10),
        run: (text) => {
          const parsed = TlsKeyLog.parse(text);
          for (const s of streams.slice(0, 1)) parsed.keylog.secretsFor(s.subarray(11, 43));
        },
        typed: [],
      }),
    fuzzTimeout(),
  );
});
