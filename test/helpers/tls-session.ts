/**
 * A real TLS session between Node's TLS client and server, through a loopback TCP proxy that keeps
 * every byte each side sent, with the client's key log ('keylog' events, NSS format): the input of
 * the TLS decryption tests, and their expected plaintext.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { ensureSelfSignedCertificate } from '../../main/broker/tls';

export interface RecordedTlsSession {
  /** What went over TCP, in arrival order at the proxy: direction 0 client → server, 1 server → client. */
  segments: { direction: 0 | 1; bytes: Buffer }[];
  keylog: string;
  /** The application data each side wrote. */
  clientSent: Buffer;
  serverSent: Buffer;
  /** Node's getCipher() / getProtocol() on the client. */
  cipher: string;
  protocol: string;
}

export interface TlsSessionOptions {
  maxVersion: tls.SecureVersion;
  minVersion?: tls.SecureVersion;
  /** OpenSSL cipher string; TLS 1.3 suite names work here too. */
  ciphers: string;
  clientWrites: Buffer[];
  serverWrites: Buffer[];
  servername?: string;
  alpn?: string[];
}

let certificate: Promise<{ cert: Buffer; key: Buffer }> | undefined;

/** One self-signed localhost certificate for every session of the run. */
export function testCertificate(): Promise<{ cert: Buffer; key: Buffer }> {
  certificate ??= (async () => {
    // The sessions use the bytes read here, never the files: the folder goes as soon as they are read.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-tls-'));
    try {
      const files = await ensureSelfSignedCertificate(path.join(dir, 'cert'));
      return { cert: await readFile(files.certFile), key: await readFile(files.keyFile) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return certificate;
}

const total = (buffers: Buffer[]): number => buffers.reduce((n, b) => n + b.length, 0);

function listening(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

export async function recordTlsSession(options: TlsSessionOptions): Promise<RecordedTlsSession> {
  const { cert, key } = await testCertificate();
  const segments: RecordedTlsSession['segments'] = [];
  const serverReceived: Buffer[] = [];
  const clientReceived: Buffer[] = [];
  const tlsOptions = { maxVersion: options.maxVersion, minVersion: options.minVersion ?? 'TLSv1.2', ciphers: options.ciphers };
  const server = tls.createServer({ cert, key, ...tlsOptions, ...(options.alpn ? { ALPNProtocols: options.alpn } : {}) }, (socket) => {
    socket.on('data', (data: Buffer) => serverReceived.push(data));
    socket.on('error', () => undefined);
    for (const write of options.serverWrites) socket.write(write);
  });
  const serverPort = await listening(server);
  const closed: Promise<void>[] = [];
  const proxy = net.createServer((inbound) => {
    const outbound = net.connect(serverPort, '127.0.0.1');
    inbound.on('data', (bytes: Buffer) => {
      segments.push({ direction: 0, bytes });
      outbound.write(bytes);
    });
    outbound.on('data', (bytes: Buffer) => {
      segments.push({ direction: 1, bytes });
      inbound.write(bytes);
    });
    inbound.on('end', () => outbound.end());
    outbound.on('end', () => inbound.end());
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
    closed.push(new Promise((resolve) => outbound.on('close', () => resolve())));
  });
  const proxyPort = await listening(proxy);
  let keylog = '';
  const client = tls.connect({
    host: '127.0.0.1',
    port: proxyPort,
    servername: options.servername ?? 'localhost',
    ca: cert,
    ...tlsOptions,
    ...(options.alpn ? { ALPNProtocols: options.alpn } : {}),
  });
  client.on('keylog', (line: Buffer) => (keylog += line.toString('latin1')));
  client.on('data', (data: Buffer) => clientReceived.push(data));
  await new Promise<void>((resolve, reject) => {
    client.once('secureConnect', resolve);
    client.once('error', reject);
  });
  for (const write of options.clientWrites) client.write(write);
  const want = { client: total(options.clientWrites), server: total(options.serverWrites) };
  for (let i = 0; i < 500 && (total(serverReceived) < want.client || total(clientReceived) < want.server); i++) await new Promise((r) => setTimeout(r, 10));
  const cipher = client.getCipher().standardName;
  const protocol = client.getProtocol() ?? '?';
  client.end();
  await Promise.all(closed);
  await new Promise((r) => setTimeout(r, 20));
  server.close();
  proxy.close();
  return { segments, keylog, clientSent: Buffer.concat(options.clientWrites), serverSent: Buffer.concat(options.serverWrites), cipher, protocol };
}
