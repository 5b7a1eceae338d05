/**
 * The TLS handler on crafted TLS 1.3 streams (sealed here with node:crypto): KeyUpdate, zero
 * padding, HelloRetryRequest; and hostile bytes, which must end in a warning, never a throw.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hkdfExpandLabel, nextTrafficSecret } from '../../../main/capture/tls/decrypt';
import { createTlsHandler, type TlsConnectionInfo } from '../../../main/capture/tls/handler';
import { TlsKeyLog } from '../../../main/capture/tls/keylog';
import { keyLogAppender } from '../../../main/capture/tls/keylog-file';
import type { ExtractContext } from '../../../main/capture/extract/types';
import type { CaptureWarning, StreamChunk, TcpFlow } from '../../../main/capture/types';

const u16 = (n: number) => [n >> 8, n & 0xff];
const vec16 = (bytes: number[]) => [...u16(bytes.length), ...bytes];
const vec8 = (bytes: number[]) => [bytes.length, ...bytes];
const ext = (type: number, data: number[]) => [...u16(type), ...vec16(data)];
const handshake = (type: number, body: number[]) => [type, 0, ...u16(body.length), ...body];
const record = (type: number, fragment: number[]) => Buffer.from([type, 3, 3, ...u16(fragment.length), ...fragment]);

const clientRandom = [...randomBytes(32)];
const clientHello = record(22, handshake(1, [...u16(0x0303), ...clientRandom, ...vec8([]), ...vec16(u16(0x1301)), ...vec8([0]), ...vec16(ext(43, vec8(u16(0x0304))))]));
const serverHello = (random: number[]) => record(22, handshake(2, [...u16(0x0303), ...random, ...vec8([]), ...u16(0x1301), 0, ...vec16(ext(43, u16(0x0304)))]));
const HRR_RANDOM = [...Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex')];

/** A TLS 1.3 write state for TLS_AES_128_GCM_SHA256 (RFC 8446 §5.2–5.3). */
function writer(secret: Buffer) {
  let current = secret;
  let key = hkdfExpandLabel('sha256', current, 'key', new Uint8Array(0), 16);
  let iv = hkdfExpandLabel('sha256', current, 'iv', new Uint8Array(0), 12);
  let seq = 0;
  return {
    seal(type: number, content: number[], padding = 0): Buffer {
      const inner = Buffer.from([...content, type, ...Array(padding).fill(0)]);
      const nonce = Buffer.from(iv);
      nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ seq++) >>> 0, 8);
      const header = Buffer.from([23, 3, 3, ...u16(inner.length + 16)]);
      const cipher = createCipheriv('aes-128-gcm', key, nonce);
      cipher.setAAD(header);
      const body = Buffer.concat([cipher.update(inner), cipher.final(), cipher.getAuthTag()]);
      return Buffer.concat([header, body]);
    },
    update() {
      current = nextTrafficSecret('sha256', current);
      key = hkdfExpandLabel('sha256', current, 'key', new Uint8Array(0), 16);
      iv = hkdfExpandLabel('sha256', current, 'iv', new Uint8Array(0), 12);
      seq = 0;
    },
  };
}

const flow: TcpFlow = { id: 7, client: '10.0.0.1:40000', server: '10.0.0.2:8883', sawSyn: true };

function run(segments: [0 | 1, Buffer][], keylog?: TlsKeyLog) {
  const plain: [string, string] = ['', ''];
  const infos: TlsConnectionInfo[] = [];
  const warnings: CaptureWarning[] = [];
  const ctx = {
    record: () => {
      throw new Error('unused');
    },
    openInner: () => ({ data: (c: StreamChunk) => (plain[c.direction] += Buffer.from(c.bytes).toString('latin1')), gap: () => undefined, end: () => undefined }),
    warn: (w: CaptureWarning) => warnings.push(w),
    noteTls: (info: TlsConnectionInfo) => infos.push(info),
  } as ExtractContext & { noteTls(info: TlsConnectionInfo): void };
  const handler = createTlsHandler(flow, ctx, keylog);
  const offsets: [number, number] = [0, 0];
  segments.forEach(([direction, bytes], i) => {
    handler.data({ direction, bytes, streamOffset: offsets[direction], packet: { number: i + 1, seconds: 0, nanos: 0 } });
    offsets[direction] += bytes.length;
  });
  handler.end('capture-ended');
  return { plain, infos, warnings };
}

function tls13Session(withRetry: boolean) {
  const secrets = { ch: randomBytes(32), sh: randomBytes(32), c0: randomBytes(32), s0: randomBytes(32) };
  const hex = Buffer.from(clientRandom).toString('hex');
  const keylog = TlsKeyLog.parse(
    [
      `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${hex} ${secrets.ch.toString('hex')}`,
      `SERVER_HANDSHAKE_TRAFFIC_SECRET ${hex} ${secrets.sh.toString('hex')}`,
      `CLIENT_TRAFFIC_SECRET_0 ${hex} ${secrets.c0.toString('hex')}`,
      `SERVER_TRAFFIC_SECRET_0 ${hex} ${secrets.s0.toString('hex')}`,
    ].join('\n'),
  ).keylog;
  const [ch, sh, c0, s0] = [writer(secrets.ch), writer(secrets.sh), writer(secrets.c0), writer(secrets.s0)];
  const finished = handshake(20, Array(32).fill(0xf1));
  const segments: [0 | 1, Buffer][] = [[0, clientHello]];
  if (withRetry) segments.push([1, serverHello(HRR_RANDOM)], [0, record(20, [1])], [0, clientHello]);
  segments.push(
    [1, Buffer.concat([serverHello([...randomBytes(32)]), record(20, [1]), sh.seal(22, [...handshake(8, vec16([])), ...finished])])],
    [1, s0.seal(23, [...Buffer.from('before update ')], 10)],
    [0, Buffer.concat([ch.seal(22, finished), c0.seal(23, [...Buffer.from('from the client')], 3)])],
    [1, s0.seal(22, handshake(24, [0]))],
  );
  s0.update();
  segments.push([1, s0.seal(23, [...Buffer.from('after update')])]);
  return { segments, keylog };
}

describe('the TLS handler on crafted TLS 1.3 streams', () => {
  it('follows the Finished into the application keys, and a KeyUpdate to the next secret', () => {
    const { segments, keylog } = tls13Session(false);
    const { plain, infos, warnings } = run(segments, keylog);
    expect(warnings).toEqual([]);
    expect(plain).toEqual(['from the client', 'before update after update']);
    expect(infos.at(-1)).toMatchObject({ version: 'TLS 1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', decrypted: true });
  });

  it('waits past a HelloRetryRequest for the real ServerHello', () => {
    const { segments, keylog } = tls13Session(true);
    const { plain, infos } = run(segments, keylog);
    expect(plain).toEqual(['from the client', 'before update after update']);
    expect(infos).toHaveLength(2);
  });

  it('names the first alert and who sent it', () => {
    const { infos } = run([
      [0, clientHello],
      [1, record(21, [2, 40])],
      [0, record(21, [1, 0])],
    ]);
    expect(infos.at(-1)).toMatchObject({ alert: 'fatal handshake_failure (40) from the server', decrypted: false, reason: 'no key log given' });
  });

  it('turns junk into a warning naming the stream byte, never a throw', () => {
    for (let i = 0; i < 300; i++) {
      const junk = randomBytes(1 + (i % 200));
      const segments: [0 | 1, Buffer][] = [
        [0, Buffer.concat([clientHello.subarray(0, i % clientHello.length), junk])],
        [1, Buffer.concat([record(22, [2, 0, 0, 1, 0]), junk])],
      ];
      expect(() => run(segments, TlsKeyLog.parse('').keylog)).not.toThrow();
    }
    const { warnings, infos } = run([[0, Buffer.from('GET / HTTP/1.1\r\n\r\n')]]);
    expect(warnings[0]!.message).toMatch(/^TLS flow 7 client → server: TLS record type at stream byte 0: content type 71/);
    expect(infos.at(-1)).toMatchObject({ decrypted: false });
  });
});

describe('keyLogAppender', () => {
  it('appends lines in order to a file only its owner reads', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-keylog-'));
    try {
      const file = path.join(dir, 'keys.log');
      const append = keyLogAppender(file);
      for (let i = 0; i < 20; i++) append(Buffer.from(`line ${i}\n`));
      await append.flushed();
      expect(readFileSync(file, 'utf8')).toBe(Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join(''));
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports the first write error once', async () => {
    const errors: Error[] = [];
    const append = keyLogAppender('/nonexistent-dir/keys.log', (e) => errors.push(e));
    append(Buffer.from('a\n'));
    append(Buffer.from('b\n'));
    await append.flushed();
    expect(errors).toHaveLength(1);
  });
});
