/**
 * TLS in captures, on real traffic: the bench's own TLS listener (startListener with a key log
 * file) answers a Node TLS 1.2 and a TLS 1.3 client on loopback while dumpcap records; then the
 * bench's TLS handler, fed each TCP stream as tshark reassembles it (`-z follow,tcp,raw,N`),
 * must find the SNI and suite tshark finds and decrypt exactly what tshark decrypts with the same
 * key log (`-o tls.keylog_file:F -z follow,tls,raw,N`: tshark 4.0's way to get the plaintext;
 * `-e tls.app_data` stays ciphertext even with the key log).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { startBroker, type Broker } from '../../main/broker/broker';
import { kerberosAuthenticator } from '../../main/broker/kerberos-setup';
import { startListener, type RunningListener } from '../../main/broker/listeners';
import { ensureSelfSignedCertificate } from '../../main/broker/tls';
import { labProfile } from '../../main/gss/profiles';
import { GssSupervisor } from '../../main/gss/supervisor';
import { MqttProbe } from '../../main/probe/probe';
import { createTestRealm, type TestRealm } from '../helpers/lab';
import { testRealmProfile } from '../helpers/sasl';
import { createTlsHandler, type TlsConnectionInfo } from '../../main/capture/tls/handler';
import { TlsKeyLog } from '../../main/capture/tls/keylog';
import type { ExtractContext } from '../../main/capture/extract/types';
import type { StreamChunk, TcpFlow } from '../../main/capture/types';

const exec = promisify(execFile);

/** dumpcap on lo (tshark -i lo missed packets on this machine when stopped soon after the traffic). */
async function startDumpcap(file: string, filter: string): Promise<ChildProcess> {
  const child = spawn('dumpcap', ['-i', 'lo', '-f', filter, '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dumpcap did not start within 15 s: ${log}`)), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('File:')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`dumpcap exited with ${code}: ${log}`)));
  });
  await new Promise((r) => setTimeout(r, 500));
  return child;
}

async function stopDumpcap(child: ChildProcess): Promise<void> {
  await new Promise((r) => setTimeout(r, 1500)); // the kernel hands the ring's last block over late
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGINT');
  });
}

interface Follow {
  node0: string;
  /** Lines in capture order: direction 0 = Node 0 (untabbed), 1 = Node 1 (tab-indented). */
  lines: { node: 0 | 1; bytes: Buffer }[];
}

async function follow(capture: string, kind: 'tcp' | 'tls', stream: number, keylog?: string): Promise<Follow> {
  const args = ['-r', capture, ...(keylog ? ['-o', `tls.keylog_file:${keylog}`] : []), '-q', '-z', `follow,${kind},raw,${stream}`];
  const { stdout } = await exec('tshark', args, { maxBuffer: 1 << 26 });
  // A banner, "Follow:", "Filter:", "Node 0:", "Node 1:", then one hex line per segment/record, a banner.
  const node0 = /Node 0: (\S+)/.exec(stdout)?.[1] ?? '';
  const lines = stdout
    .split('\n')
    .filter((line) => /^\t?[0-9a-f]+$/.test(line))
    .map((line) => ({ node: (line.startsWith('\t') ? 1 : 0) as 0 | 1, bytes: Buffer.from(line.trim(), 'hex') }));
  return { node0, lines };
}

async function field(capture: string, filter: string, name: string): Promise<string[]> {
  const { stdout } = await exec('tshark', ['-r', capture, '-Y', filter, '-T', 'fields', '-e', 'tcp.stream', '-e', name]);
  return stdout.trim().split('\n');
}

/** The bench's handler over one tshark-reassembled stream: the plaintext per direction and the summary. */
function decryptStream(tcp: Follow, flow: TcpFlow, keylog: TlsKeyLog) {
  const plain: [Buffer[], Buffer[]] = [[], []];
  let info: TlsConnectionInfo | undefined;
  const ctx = {
    record: () => {
      throw new Error('not in this test');
    },
    openInner: () => ({ data: (c: StreamChunk) => plain[c.direction].push(Buffer.from(c.bytes)), gap: () => undefined, end: () => undefined }),
    warn: (w: { message: string }) => {
      throw new Error(w.message);
    },
    noteTls: (i: TlsConnectionInfo) => (info = i),
  } as ExtractContext & { noteTls(info: TlsConnectionInfo): void };
  const handler = createTlsHandler(flow, ctx, keylog);
  const offsets: [number, number] = [0, 0];
  tcp.lines.forEach((line, i) => {
    handler.data({ direction: line.node, bytes: line.bytes, streamOffset: offsets[line.node], packet: { number: i + 1, seconds: 0, nanos: 0 } });
    offsets[line.node] += line.bytes.length;
  });
  handler.end('closed');
  return { client: Buffer.concat(plain[0]), server: Buffer.concat(plain[1]), info: info! };
}

const runs = [
  { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384', message: 'CONNECT over TLS 1.2 ' },
  { maxVersion: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256', message: 'CONNECT over TLS 1.3 ' },
] as const;

describe('TLS decryption of a loopback capture with the listener key log', () => {
  // Made in beforeAll, not while collecting: a run that filters these tests out runs no afterAll here.
  let dir: string;
  let capture: string;
  let keyLogFile: string;
  const sent: string[] = [];
  let listener: RunningListener;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-tls-capture-'));
    capture = path.join(dir, 'tls.pcapng');
    keyLogFile = path.join(dir, 'keylog.txt');
    const files = await ensureSelfSignedCertificate(path.join(dir, 'cert'));
    // The bench's own TLS listener, writing its key log; it echoes what it gets.
    listener = await startListener(
      { protocol: 'tls', port: 0, tls: { ...files, keyLogFile } },
      (stream) => {
        stream.on('data', (data: Buffer) => stream.write(Buffer.concat([Buffer.from('echo:'), data])));
        stream.on('error', () => undefined);
      },
      1 << 20,
    );
    const dumpcap = await startDumpcap(capture, `tcp port ${listener.address.port}`);
    const ca = await readFile(files.certFile);
    for (const run of runs) {
      const message = run.message + 'x'.repeat(30_000);
      sent.push(message);
      await new Promise<void>((resolve, reject) => {
        const client = tls.connect({ host: '127.0.0.1', port: listener.address.port, servername: 'localhost', ca, maxVersion: run.maxVersion, ciphers: run.ciphers });
        let echoed = 0;
        client.on('secureConnect', () => client.write(message));
        client.on('data', (data: Buffer) => {
          echoed += data.length;
          if (echoed >= message.length + 5) client.end();
        });
        client.on('error', reject);
        client.on('close', () => resolve());
      });
    }
    await stopDumpcap(dumpcap);
  });

  afterAll(async () => {
    try {
      await listener?.close();
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  it('wrote the key log privately (0600) in NSS format', async () => {
    expect(statSync(keyLogFile).mode & 0o777).toBe(0o600);
    const { keylog, warnings } = TlsKeyLog.parse(await readFile(keyLogFile, 'utf8'));
    expect(warnings).toEqual([]);
    expect(keylog.size).toBe(2);
  });

  it('decrypts each TLS stream exactly as tshark does, with the SNI and suite tshark finds', async () => {
    const { keylog } = TlsKeyLog.parse(await readFile(keyLogFile, 'utf8'));
    const suites = await field(capture, 'tls.handshake.type == 2', 'tls.handshake.ciphersuite');
    const snis = await field(capture, 'tls.handshake.type == 1', 'tls.handshake.extensions_server_name');
    expect(suites).toHaveLength(2);
    for (let stream = 0; stream < 2; stream++) {
      const tcp = await follow(capture, 'tcp', stream);
      const flow: TcpFlow = { id: stream, client: tcp.node0, server: `127.0.0.1:${listener.address.port}`, sawSyn: true };
      const mine = decryptStream(tcp, flow, keylog);
      // tshark's follow,tls names as Node 0 whichever side sent decrypted bytes first.
      const theirs = await follow(capture, 'tls', stream, keyLogFile);
      const clientNode = theirs.node0 === tcp.node0 ? 0 : 1;
      const tsharkClient = Buffer.concat(theirs.lines.filter((l) => l.node === clientNode).map((l) => l.bytes));
      const tsharkServer = Buffer.concat(theirs.lines.filter((l) => l.node !== clientNode).map((l) => l.bytes));
      expect(tsharkClient.length).toBeGreaterThan(0);
      expect(mine.client.equals(tsharkClient)).toBe(true);
      expect(mine.server.equals(tsharkServer)).toBe(true);
      expect(mine.client.toString()).toBe(sent[stream]);
      expect(mine.info).toMatchObject({ decrypted: true, sni: 'localhost', version: stream === 0 ? 'TLS 1.2' : 'TLS 1.3' });
      const suiteId = Number(suites.find((line) => line.startsWith(`${stream}\t`))!.split('\t')[1]);
      const expected = stream === 0 ? 0xc030 : 0x1303;
      expect(suiteId).toBe(expected);
      expect(mine.info.cipherSuite).toBe(stream === 0 ? 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' : 'TLS_CHACHA20_POLY1305_SHA256');
      expect(snis).toContain(`${stream}\tlocalhost`);
    }
  });
});

describe('the bench probe and broker over TLS write key logs that open their capture', () => {
  let lab: TestRealm;
  let gss: GssSupervisor;
  let broker: Broker;

  beforeAll(async () => {
    lab = await createTestRealm();
    gss = new GssSupervisor();
  });
  afterAll(async () => {
    await broker?.close();
    await gss?.dispose();
    await lab?.destroy();
  });

  it('GSSAPI-KERBEROS CONNECT/AUTH over mqtts, decrypted with either side\'s key log', async () => {
    const cert = await ensureSelfSignedCertificate(path.join(lab.dir, 'tls'));
    const brokerKeyLog = path.join(lab.dir, 'broker-keys.log');
    const probeKeyLog = path.join(lab.dir, 'probe-keys.log');
    const profile = labProfile(lab.name, { krb5Config: lab.realm.paths.krb5Conf, rcacheDir: lab.realm.paths.rcacheDir });
    const authenticator = await kerberosAuthenticator({ gss, profile, keytabFile: lab.serviceKeytab, principal: `mqtt/localhost@${lab.name}`, variant: 'emqx' });
    broker = await startBroker({ listeners: [{ protocol: 'tls', port: 0, tls: { ...cert, keyLogFile: brokerKeyLog }, authenticators: [authenticator] }] });
    const { port, url } = broker.listeners[0]!;
    const capture = path.join(lab.dir, 'mqtts.pcapng');
    const dumpcap = await startDumpcap(capture, `tcp port ${port}`);
    const probe = new MqttProbe({ url, gss, profile: testRealmProfile(lab), service: 'mqtt@localhost', ca: await readFile(cert.certFile), keyLogFile: probeKeyLog });
    const exchange = await probe.connect();
    await probe.close();
    await stopDumpcap(dumpcap);
    expect(exchange.verdict.outcome).toBe('success');

    const fromProbe = await readFile(probeKeyLog, 'utf8');
    const fromBroker = await readFile(brokerKeyLog, 'utf8');
    expect(statSync(probeKeyLog).mode & 0o777).toBe(0o600);
    expect(fromProbe.trim().split('\n').sort()).toEqual(fromBroker.trim().split('\n').sort());
    const tcp = await follow(capture, 'tcp', 0);
    const flow: TcpFlow = { id: 0, client: tcp.node0, server: `127.0.0.1:${port}`, sawSyn: true };
    const mine = decryptStream(tcp, flow, TlsKeyLog.parse(fromProbe).keylog);
    expect(mine.info).toMatchObject({ decrypted: true, version: 'TLS 1.3' });
    expect(mine.info.sni).toBeUndefined(); // mqtts://127.0.0.1: Node sends no server_name for an IP address
    // MQTT 5 CONNECT (0x10) carrying the method; the broker answers AUTH 0x18 (0xf0) first.
    expect(mine.client[0]).toBe(0x10);
    expect(mine.client.includes(Buffer.from('GSSAPI-KERBEROS'))).toBe(true);
    expect(mine.server[0]).toBe(0xf0);
    const theirs = await follow(capture, 'tls', 0, brokerKeyLog);
    const clientNode = theirs.node0 === tcp.node0 ? 0 : 1;
    expect(mine.client.equals(Buffer.concat(theirs.lines.filter((l) => l.node === clientNode).map((l) => l.bytes)))).toBe(true);
    expect(mine.server.equals(Buffer.concat(theirs.lines.filter((l) => l.node !== clientNode).map((l) => l.bytes)))).toBe(true);
  });
});
