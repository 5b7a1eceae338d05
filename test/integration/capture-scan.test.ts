/**
 * Captures of real conversations, recorded by the test with tshark on loopback, scanned by the
 * capture service, checked against tshark (with the right -d decode-as options) as the oracle:
 *   - the lab KDC over TCP (the lab's own kinit and the probe's TGS) and over UDP (kinit + kvno
 *     with a krb5.conf that prefers UDP);
 *   - the probe against the bench's broker with GSSAPI-KERBEROS over TCP, TLS (the broker writes a
 *     key log) and WebSocket — successes — and a raw CONNECT with a token that is not one (refused);
 * then: the key ring (alice's password only) opens the AS-REP, learns the TGT and service session
 * keys and opens the MQTT authenticators with them; linking ties each MQTT exchange to its TGS
 * and AS exchanges; failures are diagnosed; export and open round-trip; replay of a scanned
 * Exchange verbatim is refused as a replay.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureReport, CaptureRow } from '../../main/api/capture';
import { runProbe } from '../../main/capture/replay/fresh';
import { createEngine, type Engine } from '../../main/engine';
import type { Exchange } from '../../main/exchange/model';
import { parseExchanges } from '../../main/exchange/serialize';
import { LoopbackCapture } from '../helpers/capture';
import { runKbench } from '../helpers/cli';
import { connectPacket, RawMqttClient } from '../helpers/mqtt-raw';

const exec = promisify(execFile);

interface Setup {
  file: string;
  keylog: string;
  kdcPort: number;
  ports: { tcp: number; tls: number; ws: number };
}

/** frame → message type, as tshark sees the capture. */
async function tsharkFields(file: string, args: string[], fields: string[]): Promise<string[][]> {
  const { stdout } = await exec('tshark', ['-r', file, ...args, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { maxBuffer: 1 << 26 });
  return stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => line.split('\t'));
}

const rowsOf = (report: CaptureReport, protocol: CaptureRow['protocol']) => report.exchanges.filter((r) => r.protocol === protocol);

describe('scanning a capture of real Kerberos and MQTT conversations', () => {
  let dir: string;
  let engine: Engine;
  let setup: Setup;
  let alicePassword: string;
  let plain: CaptureReport;
  let keyed: CaptureReport;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-capture-'));
    engine = createEngine({ runtime: 'cli', dataDir: dir });
    const keylog = path.join(dir, 'keylog.txt');
    const status = await engine.api.broker.start({ tcp: true, tls: true, ws: true, credentials: 'lab', variant: 'emqx', allowAnonymous: false, keyLogFile: keylog });
    const url = (protocol: string) => status.listeners.find((l) => l.protocol === protocol)!.url;
    const ports = { tcp: Number(new URL(url('tcp')).port), tls: Number(new URL(url('tls')).port), ws: Number(new URL(url('ws')).port) };
    const lab = await engine.api.lab.status();
    const kdcPort = lab.port!;
    alicePassword = (await engine.api.lab.revealPassword({ name: 'alice' })).password;
    // A krb5.conf that talks UDP to the same KDC (the lab's prefers TCP).
    const udpConf = path.join(dir, 'krb5-udp.conf');
    await writeFile(udpConf, (await readFile(lab.krb5Conf, 'utf8')).replace(/^\s*udp_preference_limit.*$/m, ''));
    const file = path.join(dir, 'conversations.pcapng');
    const tshark = await LoopbackCapture.start(file, `tcp port ${ports.tcp} or tcp port ${ports.tls} or tcp port ${ports.ws} or port ${kdcPort}`);
    await engine.api.lab.refreshTicket(); // AS exchange over TCP
    const probe = (target: string) => runProbe(engine.api.probe, { url: target, profile: 'lab', method: 'GSSAPI-KERBEROS', step: false, service: 'mqtt@localhost', insecure: true });
    for (const protocol of ['tcp', 'tls', 'ws']) {
      const exchange = await probe(url(protocol));
      expect(exchange.verdict.outcome, `${protocol}: ${exchange.verdict.reason}`).toBe('success');
    }
    // A CONNECT whose token is not a Kerberos token: refused by the broker.
    const raw = await RawMqttClient.connect({ port: ports.tcp });
    raw.send(connectPacket('not-kerberos', { method: 'GSSAPI-KERBEROS', data: Buffer.from('not a GSS token') }));
    await raw.closed;
    // kinit + kvno over UDP, into a ccache of their own.
    const env = { ...process.env, ...lab.env, KRB5_CONFIG: udpConf, KRB5CCNAME: `FILE:${path.join(dir, 'udp.ccache')}` };
    await exec('kinit', ['-k', '-t', lab.keytabs.client, 'alice'], { env, timeout: 20_000 });
    await exec('kvno', ['HTTP/localhost'], { env, timeout: 20_000 });
    await tshark.stop();
    setup = { file, keylog, kdcPort, ports };
    plain = await engine.api.capture.scan({ source: { path: file } });
    keyed = await engine.api.capture.scan({
      source: { path: file },
      keylog: { path: keylog },
      keys: [{ kind: 'password', principal: `alice@${lab.realm}`, password: alicePassword }],
    });
  }, 180_000);

  afterAll(async () => {
    await engine?.api.broker.stop().catch(() => undefined);
    await engine?.api.lab.down({ destroy: true }).catch(() => undefined);
    await engine?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finds the Kerberos messages tshark finds, over TCP and UDP, frame for frame', async () => {
    const oracle = await tsharkFields(setup.file, ['-d', `tcp.port==${setup.kdcPort},kerberos`, '-d', `udp.port==${setup.kdcPort},kerberos`, '-Y', 'kerberos'], ['frame.number', 'kerberos.msg_type']);
    const names: Record<string, string> = { '10': 'AS-REQ', '11': 'AS-REP', '12': 'TGS-REQ', '13': 'TGS-REP', '30': 'KRB-ERROR' };
    const expected = oracle.map(([frame, type]) => `${frame} ${names[type!.split(',')[0]!] ?? type}`);
    const ours: string[] = [];
    for (const row of rowsOf(keyed, 'kerberos')) {
      const exchange = await engine.api.capture.exchange(keyed.id, row.id);
      for (const step of exchange.steps) ours.push(`${step.packets!.at(-1)} ${step.transport.packet.split(' ')[0]}`);
    }
    expect(ours.sort()).toEqual(expected.sort());
    // Both transports, and the AS exchanges keep their pre-authentication round.
    const as = rowsOf(keyed, 'kerberos').filter((r) => r.method === 'AS');
    expect(as.length).toBeGreaterThanOrEqual(2);
    expect(as.every((r) => r.verdict === 'success')).toBe(true);
  });

  it('finds the MQTT CONNECT/AUTH/CONNACK tshark finds over TCP, TLS (key log) and WebSocket', async () => {
    const oracle = await tsharkFields(
      setup.file,
      ['-o', `tls.keylog_file:${setup.keylog}`, '-d', `tcp.port==${setup.ports.tcp},mqtt`, '-d', `tls.port==${setup.ports.tls},mqtt`, '-Y', 'mqtt.msgtype == 1 || mqtt.msgtype == 2 || mqtt.msgtype == 15'],
      ['frame.number', 'mqtt.msgtype'],
    );
    const typeName: Record<string, string> = { '1': 'CONNECT', '2': 'CONNACK', '15': 'AUTH' };
    const expected = oracle.flatMap(([frame, types]) => types!.split(',').map((t) => `${frame} ${typeName[t]}`));
    const mqtt = rowsOf(keyed, 'mqtt');
    expect(mqtt.map((r) => r.carriedBy ?? 'plain').sort()).toEqual(['TLS', 'WebSocket', 'plain', 'plain']);
    const ours: string[] = [];
    for (const row of mqtt) {
      const exchange = await engine.api.capture.exchange(keyed.id, row.id);
      for (const step of exchange.steps) ours.push(`${step.packets!.at(-1)} ${step.transport.packet.split(' ')[0]}`);
    }
    // tshark 4.0.17 shows MQTT over WebSocket as "WebSocket Binary" frames, never as MQTT (the
    // bench is right there): compare the others, and check the WebSocket one has the plain one's shape.
    const wsFrames = new Set<string>();
    const ws = mqtt.find((r) => r.carriedBy === 'WebSocket')!;
    const wsExchange = await engine.api.capture.exchange(keyed.id, ws.id);
    for (const step of wsExchange.steps) wsFrames.add(`${step.packets!.at(-1)} ${step.transport.packet.split(' ')[0]}`);
    expect(ours.filter((o) => !wsFrames.has(o)).sort()).toEqual(expected.filter((o) => !wsFrames.has(o)).sort());
    expect(wsExchange.steps.map((s) => s.transport.packet)).toEqual(['CONNECT', 'AUTH 0x18', 'AUTH 0x18', 'AUTH 0x18', 'AUTH 0x18', 'CONNACK 0x00']);
    expect(keyed.tls).toEqual([expect.objectContaining({ server: `127.0.0.1:${setup.ports.tls}`, decrypted: true, version: 'TLS 1.3' })]);
    expect(plain.tls[0]).toMatchObject({ decrypted: false });
    expect(rowsOf(plain, 'mqtt').map((r) => r.carriedBy ?? 'plain').sort()).toEqual(['WebSocket', 'plain', 'plain']);
  });

  it('says which MQTT exchange failed, how, and the diagnosis', () => {
    const refused = rowsOf(keyed, 'mqtt').find((r) => r.verdict === 'failure')!;
    expect(refused).toMatchObject({ method: 'GSSAPI-KERBEROS', reasonCode: expect.any(Number) });
    expect(refused.reasonCode).toBeGreaterThanOrEqual(0x80);
    expect(refused.diagnosis).not.toBeNull();
    const ok = rowsOf(keyed, 'mqtt').filter((r) => r.verdict === 'success');
    expect(ok).toHaveLength(3);
    for (const row of ok) {
      expect(row).toMatchObject({ reasonCode: 0, rounds: 6, ticket: { sname: expect.stringMatching(/^mqtt\/localhost@/), kvno: expect.any(Number), etype: 18 } });
    }
  });

  it('opens everything with only alice\'s password: AS-REP → TGT session key → TGS-REP → service session key → authenticators', async () => {
    const ok = rowsOf(keyed, 'mqtt').filter((r) => r.verdict === 'success');
    for (const row of ok) expect(row.principals).toContain(`alice@${row.ticket!.sname.split('@')[1]}`);
    const exchange = await engine.api.capture.exchange(keyed.id, ok[0]!.id);
    const text = JSON.stringify(exchange.steps[0]!.decoded);
    expect(text).toMatch(/"keySource":"session key[^"]*learnt in frame \d+/);
    expect(keyed.keys.some((k) => k.origin === 'password' && k.opened > 0)).toBe(true);
    expect(keyed.keys.some((k) => k.origin === 'learned' && k.opened > 0)).toBe(true);
    // Without keys nothing is opened and only the service names are in clear.
    for (const row of rowsOf(plain, 'mqtt').filter((r) => r.verdict === 'success')) expect(row.principals).toEqual([expect.stringMatching(/^mqtt\/localhost@/)]);
  });

  it('links each MQTT exchange to the TGS exchange that issued its ticket and the AS exchange of the TGT', () => {
    const byId = new Map(keyed.exchanges.map((r) => [r.id, r]));
    for (const row of rowsOf(keyed, 'mqtt').filter((r) => r.verdict === 'success')) {
      const methods = row.linked.map((id) => byId.get(id)!.method).sort();
      expect(methods).toEqual(['AS', 'TGS']);
    }
    const timeline = keyed.timelines.find((t) => t.client.startsWith('alice@'))!;
    expect(timeline.entries.map((e) => e.protocol)).toEqual(expect.arrayContaining(['kerberos', 'mqtt']));
  });

  it('exports an exchange as JSON that opens again exactly, and as a pcapng tshark reads', async () => {
    const row = rowsOf(keyed, 'mqtt').find((r) => r.verdict === 'success' && !r.carriedBy)!;
    const json = path.join(dir, 'one.json');
    await engine.api.capture.export(keyed.id, [row.id], 'json', json);
    const original = await engine.api.capture.exchange(keyed.id, row.id);
    const { exchanges } = await engine.api.capture.open({ path: json });
    expect(exchanges).toEqual([original]);
    expect(parseExchanges(await readFile(json, 'utf8'))[0]!.capture!.packets).toEqual(original.capture!.packets);
    const pcap = path.join(dir, 'one.pcapng');
    await engine.api.capture.export(keyed.id, [row.id], 'pcapng', pcap);
    const frames = await tsharkFields(pcap, ['-d', `tcp.port==${setup.ports.tcp},mqtt`, '-Y', 'mqtt'], ['mqtt.msgtype']);
    expect(frames.length).toBe(original.capture!.packets.length);
    const rescanned = await engine.api.capture.scan({ source: { path: pcap } });
    expect(rescanned.exchanges.map((r) => [r.method, r.verdict])).toEqual([['GSSAPI-KERBEROS', 'success']]);
  });

  it('replays a scanned exchange verbatim against the broker that saw it: refused as a replay', async () => {
    const row = rowsOf(keyed, 'mqtt').find((r) => r.verdict === 'success' && !r.carriedBy)!;
    const exchange: Exchange = await engine.api.capture.exchange(keyed.id, row.id);
    const result = await engine.api.capture.replay({ exchange, to: `mqtt://127.0.0.1:${setup.ports.tcp}`, mode: 'verbatim' });
    expect(result.replay.verdict.outcome).toBe('failure');
    expect(result.replay.verdict.reason).toMatch(/replay/i);
  }, 30_000);

  it('kbench capture scan --json, show and export: the same conversations, through the same service', async () => {
    const env = { ...process.env, KBENCH_DATA_DIR: dir, KBENCH_PASSWORD: alicePassword };
    const realm = keyed.exchanges.find((r) => r.ticket)!.ticket!.sname.split('@')[1]!;
    const scan = await runKbench(['capture', 'scan', setup.file, '--keylog', setup.keylog, '--principal', `alice@${realm}`, '--json'], env);
    expect(scan.code, scan.stderr).toBe(0);
    const report = JSON.parse(scan.stdout) as { packets: number; exchanges: Record<string, unknown>[]; warnings: string[] };
    expect(report.packets).toBe(keyed.packets);
    expect(Object.keys(report.exchanges[0]!)).toEqual(['id', 'protocol', 'client', 'server', 'method', 'rounds', 'verdict', 'reasonCode', 'principals', 'ticket', 'linked', 'diagnosis']);
    const strip = (rows: Record<string, unknown>[]) => rows.map(({ id: _id, linked, ...rest }) => ({ ...rest, linked: (linked as string[]).length }));
    const asJson = keyed.exchanges.map(({ id, protocol, client, server, method, rounds, verdict, reasonCode, principals, ticket, linked, diagnosis }) => ({
      id, protocol, client, server, method, rounds, verdict, reasonCode, principals,
      ticket: ticket ? { sname: ticket.sname, kvno: ticket.kvno, etype: ticket.etype } : null,
      linked, diagnosis,
    }));
    expect(strip(report.exchanges)).toEqual(strip(asJson));
    const mqtt = report.exchanges.find((r) => r.protocol === 'mqtt' && r.verdict === 'success')!;
    const shown = await runKbench(['capture', 'show', setup.file, '--exchange', String(mqtt.id), '--principal', `alice@${realm}`], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/CONNECT frames \d+/);
    expect(shown.stdout).toMatch(/learnt in frame \d+/);
    const out = path.join(dir, 'cli-export.pcapng');
    const exported = await runKbench(['capture', 'export', setup.file, '--exchange', String(mqtt.id), '-o', out], { ...process.env, KBENCH_DATA_DIR: dir });
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/^wrote .*cli-export\.pcapng \(\d+ bytes, 1 conversation\)/);
    const json = path.join(dir, 'cli-export.json');
    expect((await runKbench(['capture', 'export', setup.file, '--exchange', String(mqtt.id), '-o', json], { ...process.env, KBENCH_DATA_DIR: dir })).code).toBe(0);
    const replayed = await runKbench(['replay', json, '--to', `mqtt://127.0.0.1:${setup.ports.tcp}`, '--verbatim', '--json'], { ...process.env, KBENCH_DATA_DIR: dir });
    expect(replayed.code, replayed.stderr).toBe(0);
    const result = JSON.parse(replayed.stdout) as { original: Exchange; replay: Exchange; diff: { summary: string[] } };
    expect(result.original.id).toBe(mqtt.id);
    expect(result.replay.verdict.reason).toMatch(/refused as a replay/);
    expect(result.diff.summary[0]).toMatch(/^the original succeeded and the replay failed/);
    const missing = await runKbench(['capture', 'scan', path.join(dir, 'nope.pcapng')], { ...process.env, KBENCH_DATA_DIR: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no such file/);
  }, 60_000);
});
