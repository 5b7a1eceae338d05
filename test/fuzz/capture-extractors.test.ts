/**
 * The capture scan under hostile input, as users run it: a file on disk scanned with keys and a
 * TLS key log, every Exchange it found opened and exported. Two ways in: one message of a real
 * conversation changed (Kerberos over TCP and UDP, kpasswd, HTTP Negotiate, MQTT plain / over
 * WebSocket / inside TLS 1.2 and 1.3, LDAP SASL, a carved GSS token), framed correctly with
 * segments cut, reordered or fragmented, so the bytes reach every extractor and decoder; and the
 * capture file itself mutated (pcap, pcapng, gzip; the fixtures, a real kinit+kvno capture from
 * the MIT lab, the benchmark's MQTT generator). Nothing may throw but the service's typed
 * refusal of an unreadable file (BenchFailure carrying a CaptureFormatError's "at byte N").
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeExchange, scanCapture } from '../../main/capture/scan';
import { CaptureServiceImpl } from '../../main/capture/service';
import { TlsKeyLog } from '../../main/capture/tls/keylog';
import type { KeySource } from '../../main/api/inspect';
import { BenchEventBus } from '../../main/engine/events';
import { BenchFailure } from '../../main/engine/failure';
import { generateMqttCapture } from '../bench/capture-generator';
import { captureKinitKvno } from '../helpers/capture';
import { createTestRealm, type TestRealm } from '../helpers/lab';
import { worldKeySpecs, worldKeytabs } from './binary-seeds';
import { captureOf, plainFlows, tlsFlows, type Flow, type Framing } from './capture-seeds';
import { fuzz, fuzzRuns, fuzzTimeout, mutatedBytes } from './harness';

const FIXTURES = path.resolve('test/fixtures/capture');

describe('fuzz: capture scan and protocol extractors', () => {
  let dir: string;
  let lab: TestRealm;
  let flows: Flow[];
  let keylog: TlsKeyLog;
  let keylogFile: string;
  let files: Buffer[];
  let everything: Buffer;
  let keys: KeySource[];
  let serial = 0;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-fuzz-capture-'));
    const tls = await tlsFlows();
    flows = [...plainFlows(), ...tls.flows];
    keylog = TlsKeyLog.parse(tls.keylog).keylog;
    keylogFile = path.join(dir, 'keylog.txt');
    await writeFile(keylogFile, tls.keylog);
    const keytabFiles = await Promise.all(worldKeytabs.map(async (bytes, i) => (await writeFile(path.join(dir, `world-${i}.keytab`), bytes), path.join(dir, `world-${i}.keytab`))));
    keys = [
      ...keytabFiles.map((file): KeySource => ({ kind: 'keytab', source: { path: file } })),
      // Raw keys, not passwords: a password costs a PBKDF2 per enctype per scan, which would be most of an input's time.
      ...worldKeySpecs.flatMap((k): KeySource[] => (k.kind === 'raw' ? [{ kind: 'raw', key: `${k.enctype}:${k.key.toString('hex')}` }] : [])),
    ];
    lab = await createTestRealm();
    const kinit = await captureKinitKvno(lab);
    const generated = path.join(dir, 'generated.pcapng');
    await generateMqttCapture(generated, { packets: 300, sessions: 3 });
    const fixtures = (await readdir(FIXTURES)).filter((f) => /\.pcap(ng)?$/.test(f) && f.startsWith('base'));
    const named = (...names: string[]) => flows.filter((f) => names.includes(f.name));
    everything = captureOf(flows);
    // Small files, a few conversations each: a scan with keys decodes every token, and a file of
    // every conversation takes seconds (see the report of issue 18 on trial decryption).
    files = [
      captureOf(named('kdc-tcp-1', 'http-negotiate', 'mqtt')),
      captureOf(named('kdc-udp-3', 'mqtt-websocket', 'ldap-sasl', 'gss-carve')),
      captureOf(tls.flows),
      gzipSync(captureOf(named('kdc-tcp-5', 'mqtt'))),
      captureOf(named('http-negotiate', 'mqtt', 'ldap-sasl', 'kdc-tcp-4'), { cut: 0.5, reorder: true, fragment: true }),
      await readFile(kinit.capture),
      await readFile(generated),
      ...(await Promise.all(fixtures.map((f) => readFile(path.join(FIXTURES, f))))),
    ];
  });
  afterAll(async () => {
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const nextFile = () => path.join(dir, `input-${++serial % 4}.pcap`);

  it('has real seeds: every conversation is found with keys and key log', async () => {
    const file = nextFile();
    await writeFile(file, everything);
    const result = await scanCapture({ file, keys: worldKeySpecs, keylog });
    const protocols = new Set(Array.from(result.found, (e) => `${e.capture.protocol}${e.capture.carriedBy ? `/${e.capture.carriedBy}` : ''}`));
    result.dispose();
    expect([...protocols].sort()).toEqual(expect.arrayContaining(['gss', 'http', 'kerberos', 'ldap', 'mqtt', 'mqtt/TLS', 'mqtt/WebSocket']));
  });

  it(
    'one message of a real conversation changed, framed right: scan, open and decode every Exchange',
    () =>
      fuzz(
        {
          name: 'capture.conversations',
          input: fc.tuple(fc.nat(), fc.nat()).chain(([f, m]) => {
            const flow = flows[f % flows.length]!;
            const index = m % flow.messages.length;
            const framing = fc.record({ cut: fc.constantFrom(0, 0, 0.3, 0.5, 0.9), reorder: fc.boolean(), fragment: fc.boolean() }) as fc.Arbitrary<Framing>;
            return fc.tuple(mutatedBytes([flow.messages[index]![1]]), framing).map(([bytes, framing]) => ({ flow: f % flows.length, index, bytes, framing }));
          }),
          run: async ({ flow, index, bytes, framing }) => {
            const original = flows[flow]!;
            const messages = original.messages.map(([d, b], i): [0 | 1, Buffer] => [d, i === index ? bytes : b]);
            const file = nextFile();
            await writeFile(file, captureOf([{ ...original, messages }], framing));
            const result = await scanCapture({ file, keys: worldKeySpecs, keylog });
            try {
              if (result.error) throw new Error(`a well-framed capture reads with an error: ${result.error.message}`);
              for (const exchange of result.loadAll()) decodeExchange(exchange, result.session);
            } finally {
              result.dispose();
            }
          },
          typed: [],
          // A FAST-armoured KDC stream, decoded as it is scanned and again when opened, takes ~0.1 s.
          hangMs: 5_000,
        },
        fuzzRuns(60),
      ),
    fuzzTimeout(120_000),
  );

  it(
    'the capture file mutated: the capture service scans it, opens and exports what it found',
    () => {
      const exitListeners = process.listenerCount('exit');
      return fuzz(
        {
          name: 'capture.service-scan',
          input: mutatedBytes(files, 16),
          run: async (bytes) => {
            const file = nextFile();
            await writeFile(file, bytes);
            const service = new CaptureServiceImpl({ runtime: 'cli', dataDir: dir, electronVersion: null, events: new BenchEventBus() }, () => Promise.reject(new Error('no replay here')));
            try {
              const report = await service.scan({ source: { path: file }, keys, keylog: { path: keylogFile } });
              for (const row of report.exchanges) await service.exchange(report.id, row.id);
              if (report.exchanges.length > 0) {
                await service.export(report.id, [report.exchanges[0]!.id], 'json');
                await service.export(report.id, [report.exchanges[0]!.id], 'pcapng');
              }
            } finally {
              await service.dispose();
            }
            // A refused file once kept its spill (a temp dir, a descriptor, an exit listener): none may stay.
            if (process.listenerCount('exit') > exitListeners) throw new Error(`${process.listenerCount('exit') - exitListeners} process exit listener(s) left behind`);
          },
          typed: [BenchFailure],
          checkTyped: (error) => {
            if (!/ at byte \d+|the file is empty/.test(error.message)) throw new Error(`a refusal without a byte offset: ${error.message}`);
          },
          // A whole capture: a dozen Exchanges decoded while scanned, each opened and one exported.
          hangMs: 10_000,
        },
        fuzzRuns(50),
      );
    },
    fuzzTimeout(120_000),
  );
});
