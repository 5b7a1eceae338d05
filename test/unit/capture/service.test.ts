/**
 * The capture service around the scan: uploaded bytes, the key log's bad lines as warnings,
 * Cancel (what was found so far is returned), a capture the engine no longer holds, and saved
 * Exchange files that are not.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureServiceImpl, rowOfExchange } from '../../../main/capture/service';
import type { Exchange } from '../../../main/exchange/model';
import { serializeExchanges } from '../../../main/exchange/serialize';
import { PcapngWriter } from '../../../main/capture/pcapng-writer';
import { runCli } from '../../../main/cli';
import { BenchEventBus } from '../../../main/engine/events';
import { ethernet, ipv4, tcp } from './net-builders';

const FIXTURE = path.resolve('test/fixtures/capture/base.pcapng');

/** Every service made here, disposed at the end: a scan's spill directory is removed then (a test worker ends without 'exit'). */
const services: CaptureServiceImpl[] = [];
function service(events = new BenchEventBus()): CaptureServiceImpl {
  const made = new CaptureServiceImpl({ runtime: 'cli', dataDir: os.tmpdir(), electronVersion: null, events }, () => Promise.reject(new Error('no replay here')));
  services.push(made);
  return made;
}

describe('the capture service', () => {
  let dir: string;
  let big: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-capture-service-'));
    // 200 000 small TCP segments on many flows: long enough to cancel while it runs.
    const writer = new PcapngWriter();
    const { id, block } = writer.addInterface(1);
    const parts: Uint8Array[] = [writer.header(), block];
    for (let i = 0; i < 200_000; i++) {
      const segment = tcp({ sport: 40000 + (i % 500), dport: 9000, seq: 1 + Math.floor(i / 500) * 10, flags: 0x18, payload: new Uint8Array(10) });
      parts.push(writer.packet(id, { seconds: 1_765_000_000 + i, nanos: 0, data: ethernet(0x0800, ipv4(segment)) }));
    }
    big = path.join(dir, 'big.pcapng');
    await writeFile(big, Buffer.concat(parts));
  });
  afterAll(async () => {
    await Promise.all(services.map((made) => made.dispose()));
    await rm(dir, { recursive: true, force: true });
  });

  it('scans uploaded bytes like a path, and names the file as the user did', async () => {
    const bytes = await readFile(FIXTURE);
    const report = await service().scan({ source: { base64: bytes.toString('base64'), name: 'from-the-browser.pcapng' } });
    expect(report).toMatchObject({ file: 'from-the-browser.pcapng', format: 'pcapng', exchanges: [] });
    expect(report.packets).toBeGreaterThan(0);
  });

  it("lists the key log's unreadable lines as warnings, by line", async () => {
    const report = await service().scan({ source: { path: FIXTURE }, keylog: { base64: Buffer.from('# comment\nCLIENT_RANDOM zz 00\n').toString('base64'), name: 'keylog.txt' } });
    expect(report.warnings[0]?.message).toMatch(/^TLS key log: key log line 2/);
  });

  it('Cancel stops a running scan: what was read so far comes back, marked cancelled; progress events came first', async () => {
    const events = new BenchEventBus();
    const progress: number[] = [];
    events.subscribe((event) => {
      if (event.name === 'capture.progress') progress.push(event.payload.packets);
    });
    const capture = service(events);
    const running = capture.scan({ id: 'scan-1', source: { path: big } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await capture.cancel('scan-1');
    const report = await running;
    expect(report.cancelled).toBe(true);
    expect(report.packets).toBeLessThan(200_000);
    const finished = await capture.scan({ id: 'scan-2', source: { path: big } });
    expect(finished.packets).toBe(200_000);
    expect(progress.length).toBeGreaterThan(0);
  }, 60_000);

  it('says to open the file again when the engine no longer holds a capture, and names a saved file that is not an Exchange', async () => {
    const capture = service();
    await expect(capture.exchange('gone', 'mqtt-f1')).rejects.toThrow(/no longer holds capture gone: open the file again/);
    await expect(capture.open({ base64: Buffer.from('{"format":"something"}').toString('base64'), name: 'notes.json' })).rejects.toThrow(/^notes\.json: not an Exchange file/);
    await expect(capture.scan({ source: { path: path.join(dir, 'missing.pcapng') } })).rejects.toThrow(/no such file/);
    await writeFile(path.join(dir, 'text.pcap'), 'hello, not a capture');
    await expect(capture.scan({ source: { path: path.join(dir, 'text.pcap') } })).rejects.toThrow(/neither a pcap nor a pcapng magic/);
  });

  it('kbench capture scan draws a progress line on stderr when stderr is a terminal, even with --json on stdout', async () => {
    let stderr = '';
    let stdout = '';
    const code = await runCli(['capture', 'scan', big, '--json'], {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      env: { ...process.env, KBENCH_DATA_DIR: dir },
      isTty: false,
      stderrIsTty: true,
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ packets: 200_000, exchanges: [] });
    // Each line starts with a carriage return and "erase line" (ESC [ K).
    expect(stderr.startsWith('\r\u001b[K')).toBe(true);
    expect(stderr).toMatch(/\d+% · \d+ packets \(\d+\/s\) · 0 conversations( · ETA \d+ s)?/);
  }, 60_000);

  it('opens saved Exchanges with their table rows: a capture\'s from its origin, a probe\'s from what it says', async () => {
    const base = { source: 'capture' as const, role: 'observer' as const, mechanism: 'GSSAPI-KERBEROS', startedAt: '2026-01-01T00:00:00.000Z' };
    const step = { index: 0, direction: 'client-to-server' as const, at: '2026-01-01T00:00:01.000Z', elapsedMs: 0, transport: { protocol: 'mqtt' as const, packet: 'CONNECT' }, token: 'AAAA' };
    const captured: Exchange = {
      ...base,
      id: 'mqtt-f1',
      verdict: { outcome: 'failure', reason: 'refused', code: '0x87' },
      steps: [step],
      capture: { protocol: 'mqtt', client: '1.2.3.4:5', server: '6.7.8.9:1883', packets: [1, 2], principals: ['alice@R'], linked: ['t'], ticket: { sname: 'mqtt/h', realm: 'R', kvno: 3, etype: 17, fingerprint: 'ff' }, diagnosis: { id: 'replay', title: 'Replay' } },
    };
    const probed: Exchange = { ...base, id: 'p', source: 'probe', role: 'client', service: 'mqtt@h', verdict: { outcome: 'success', reason: 'ok' }, steps: [step], meta: { url: 'mqtt://h:1883' }, identity: { principal: 'alice@R' } };
    const { exchanges, rows } = await service().open({ base64: Buffer.from(serializeExchanges([captured, probed])).toString('base64'), name: 'two.json' });
    expect(exchanges).toEqual([captured, probed]);
    expect(rows[0]).toMatchObject({ id: 'mqtt-f1', protocol: 'mqtt', server: '6.7.8.9:1883', rounds: 1, verdict: 'failure', reasonCode: 0x87, ticket: { sname: 'mqtt/h@R', kvno: 3, etype: 17, enctype: 'aes128-cts-hmac-sha1-96' }, linked: ['t'], diagnosis: 'replay', frames: 2 });
    expect(rowOfExchange(probed)).toMatchObject({ id: 'p', protocol: 'mqtt', server: 'mqtt://h:1883', principals: ['alice@R', 'mqtt@h'], verdict: 'success', ticket: null, frames: 0 });
  });
});
