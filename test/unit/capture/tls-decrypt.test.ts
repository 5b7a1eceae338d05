/**
 * TLS decryption against real Node (OpenSSL) sessions: the bytes both sides sent through a
 * loopback proxy, the client's 'keylog' lines, and the plaintext each side wrote (test/helpers/tls-session.ts).
 * RFC 5246 gives no PRF test vector: a session's Finished and data opening with our key_block is the known answer.
 */
import { describe, expect, it } from 'vitest';
import { hkdfExpandLabel, nextTrafficSecret } from '../../../main/capture/tls/decrypt';
import { createTlsHandler, sniffTls, tlsExtractorWith, type TlsConnectionInfo } from '../../../main/capture/tls/handler';
import { TlsKeyLog } from '../../../main/capture/tls/keylog';
import type { ExtractContext } from '../../../main/capture/extract/types';
import type { CaptureWarning, StreamChunk, TcpFlow } from '../../../main/capture/types';
import { recordTlsSession, type RecordedTlsSession } from '../../helpers/tls-session';

const flow: TcpFlow = { id: 3, client: '127.0.0.1:50000', server: '127.0.0.1:8883', sawSyn: true };
const packet = { number: 1, seconds: 0, nanos: 0 };

/** Runs the handler over the session's segments (or pieces of them); returns what it saw. */
function decrypt(session: RecordedTlsSession, keylogText: string | undefined, split?: (bytes: Buffer) => Buffer[]) {
  const plain: [Buffer[], Buffer[]] = [[], []];
  const offsets: [number, number] = [0, 0];
  const infos: TlsConnectionInfo[] = [];
  const warnings: CaptureWarning[] = [];
  let innerLabel: string | undefined;
  let ended = false;
  const ctx = {
    record: () => {
      throw new Error('no recorder in this test');
    },
    openInner: (_flow: TcpFlow, label: string) => {
      innerLabel = label;
      return {
        data: (chunk: StreamChunk) => {
          expect(chunk.streamOffset).toBe(offsets[chunk.direction]);
          offsets[chunk.direction] += chunk.bytes.length;
          plain[chunk.direction].push(Buffer.from(chunk.bytes));
        },
        gap: () => undefined,
        end: () => (ended = true),
      };
    },
    warn: (w: CaptureWarning) => warnings.push(w),
    noteTls: (info: TlsConnectionInfo) => infos.push(info),
  } as ExtractContext & { noteTls(info: TlsConnectionInfo): void };
  const keylog = keylogText === undefined ? undefined : TlsKeyLog.parse(keylogText).keylog;
  const handler = createTlsHandler(flow, ctx, keylog);
  const offset: [number, number] = [0, 0];
  for (const segment of session.segments) {
    for (const bytes of split ? split(segment.bytes) : [segment.bytes]) {
      handler.data({ direction: segment.direction, bytes, streamOffset: offset[segment.direction], packet });
      offset[segment.direction] += bytes.length;
    }
  }
  handler.end('closed');
  return { client: Buffer.concat(plain[0]), server: Buffer.concat(plain[1]), infos, warnings, innerLabel, ended };
}

const clientWrites = [Buffer.from('CONNECT hello from the client\n'), Buffer.alloc(40_000, 0x61), Buffer.from('bye')];
const serverWrites = [Buffer.from('CONNACK from the server'), Buffer.alloc(20_000, 0x62)];

const suites = [
  { version: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', name: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' },
  { version: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384', name: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' },
  { version: 'TLSv1.2', ciphers: 'ECDHE-RSA-CHACHA20-POLY1305', name: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256' },
  { version: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256', name: 'TLS_AES_128_GCM_SHA256' },
  { version: 'TLSv1.3', ciphers: 'TLS_AES_256_GCM_SHA384', name: 'TLS_AES_256_GCM_SHA384' },
  { version: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256', name: 'TLS_CHACHA20_POLY1305_SHA256' },
] as const;

describe('TLS decryption of real sessions', () => {
  for (const suite of suites) {
    it(`${suite.version} ${suite.name}`, async () => {
      const session = await recordTlsSession({
        maxVersion: suite.version,
        minVersion: suite.version,
        ciphers: suite.ciphers,
        clientWrites,
        serverWrites,
        servername: 'localhost',
        alpn: ['mqtt'],
      });
      expect(session.cipher).toBe(suite.name);
      const result = decrypt(session, session.keylog);
      expect(result.warnings).toEqual([]);
      expect(result.client.equals(session.clientSent)).toBe(true);
      expect(result.server.equals(session.serverSent)).toBe(true);
      expect(result.innerLabel).toBe('TLS');
      expect(result.ended).toBe(true);
      const last = result.infos.at(-1)!;
      expect(last).toEqual({
        flow: 3,
        client: flow.client,
        server: flow.server,
        sni: 'localhost',
        alpn: ['mqtt'],
        alpnSelected: 'mqtt',
        version: suite.version === 'TLSv1.2' ? 'TLS 1.2' : 'TLS 1.3',
        cipherSuite: suite.name,
        decrypted: true,
      });
      expect(result.infos.length).toBe(2); // at the ServerHello, and at the end
    });
  }

  it('reads the same plaintext when every segment is cut into 1–7 byte pieces', async () => {
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const session = await recordTlsSession({ maxVersion: version, minVersion: version, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256', clientWrites, serverWrites });
      const pieces = (bytes: Buffer): Buffer[] => {
        const out: Buffer[] = [];
        for (let at = 0, n = 1; at < bytes.length; at += n, n = (n % 7) + 1) out.push(bytes.subarray(at, at + n));
        return out;
      };
      const result = decrypt(session, session.keylog, pieces);
      expect(result.client.equals(session.clientSent)).toBe(true);
      expect(result.server.equals(session.serverSent)).toBe(true);
    }
  });

  it('lists a connection and says why it stays closed: no key log, no secrets, wrong secrets', async () => {
    const session = await recordTlsSession({ maxVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256', clientWrites, serverWrites });
    const none = decrypt(session, undefined);
    expect(none.infos.at(-1)).toMatchObject({ version: 'TLS 1.3', sni: 'localhost', decrypted: false, reason: 'no key log given' });
    expect(none.innerLabel).toBeUndefined();
    const other = decrypt(session, `CLIENT_RANDOM ${'00'.repeat(32)} ${'11'.repeat(48)}\n`);
    expect(other.infos.at(-1)!.reason).toMatch(/^the key log has no secrets for client random [0-9a-f]{16}…$/);
    const wrong = decrypt(session, session.keylog.replace(/(SERVER_HANDSHAKE_TRAFFIC_SECRET \S+ )(\S\S)/, (_m, head: string, byte: string) => head + (byte === '00' ? '01' : '00')));
    expect(wrong.infos.at(-1)).toMatchObject({ decrypted: false });
    expect(wrong.infos.at(-1)!.reason).toContain("the key log's secrets do not open this connection");
    expect(wrong.client.equals(session.clientSent)).toBe(true); // the other direction still opens
  });
});

describe('key schedule known answers', () => {
  // RFC 8448 §3 (Simple 1-RTT Handshake): server handshake traffic secret → write key and IV.
  it('HKDF-Expand-Label matches RFC 8448', () => {
    const secret = Buffer.from('b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38', 'hex');
    expect(hkdfExpandLabel('sha256', secret, 'key', new Uint8Array(0), 16).toString('hex')).toBe('3fce516009c21727d0f2e4e86ee403bc');
    expect(hkdfExpandLabel('sha256', secret, 'iv', new Uint8Array(0), 12).toString('hex')).toBe('5d313eb2671276ee13000b30');
    expect(nextTrafficSecret('sha384', Buffer.alloc(48, 1))).toHaveLength(48);
  });
});

describe('sniffTls', () => {
  it('knows a ClientHello record by its first bytes and asks for more when unsure', () => {
    expect(sniffTls(new Uint8Array([0x16, 3, 1, 0, 200, 1]), 0)).toBe('yes');
    expect(sniffTls(new Uint8Array([0x16, 3, 1, 0, 200]), 0)).toBe('more');
    expect(sniffTls(new Uint8Array([0x16, 3]), 0)).toBe('more');
    expect(sniffTls(new Uint8Array([0x16, 3, 3, 0, 90, 2]), 1)).toBe('yes');
    expect(sniffTls(new Uint8Array([0x16, 3, 3, 0, 90, 2]), 0)).toBe('no');
    expect(sniffTls(new Uint8Array([0x10, 0x20, 0, 4]), 0)).toBe('no'); // MQTT CONNECT
    expect(sniffTls(new Uint8Array([0x16, 3, 9, 0, 200, 1]), 0)).toBe('no');
    expect(sniffTls(new Uint8Array([0x16, 3, 1, 0xff, 0xff, 1]), 0)).toBe('no');
    expect(sniffTls(new Uint8Array([]), 0)).toBe('more');
  });

  it('tlsExtractorWith hands noteTls to the handler', async () => {
    const session = await recordTlsSession({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384', clientWrites, serverWrites });
    const infos: TlsConnectionInfo[] = [];
    const extractor = tlsExtractorWith(TlsKeyLog.parse(session.keylog).keylog, (info) => infos.push(info));
    const plain: Buffer[] = [];
    const handler = extractor.create(flow, {
      record: () => {
        throw new Error('unused');
      },
      openInner: () => ({ data: (c) => plain.push(Buffer.from(c.bytes)), gap: () => undefined, end: () => undefined }),
      warn: () => undefined,
    });
    expect(extractor.sniff(session.segments[0]!.bytes, 0)).toBe('yes');
    const offsets: [number, number] = [0, 0];
    for (const s of session.segments) {
      handler.data({ direction: s.direction, bytes: s.bytes, streamOffset: offsets[s.direction], packet });
      offsets[s.direction] += s.bytes.length;
    }
    handler.end('capture-ended');
    expect(infos.at(-1)).toMatchObject({ decrypted: true, version: 'TLS 1.2' });
    expect(Buffer.concat(plain).length).toBe(session.clientSent.length + session.serverSent.length);
  });
});
