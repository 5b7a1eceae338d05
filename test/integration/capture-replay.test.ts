/**
 * Replaying a captured exchange (issue 13 item 6), all real: the lab realm's KDC, the bench's
 * broker (aedes + the gateway's GSSAPI-KERBEROS acceptor with MIT's replay cache), the probe
 * (MQTT.js + MIT's initiator), tshark on loopback.
 *   1. the probe connects to the broker while tshark records it; the capture scanner finds the
 *      Exchange in the file;
 *   2. verbatim against the same broker: refused, and the verdict says it was a replay;
 *   3. fresh: new tokens, the captured client id — connected;
 *   4. lab: the capture made to look like a failed production one from realm REPLAY.TEST (kvno 1,
 *      aes128): the lab realm REPLAY.TEST is made, a listener started — connected, and the diff
 *      names the difference.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayExchange, type ReplayDeps } from '../../main/capture/replay';
import { scanCapture } from '../../main/capture/scan';
import { runProbe } from '../../main/capture/replay/fresh';
import { createEngine, type Engine } from '../../main/engine';
import type { Exchange } from '../../main/exchange/model';
import { GssSupervisor } from '../../main/gss/supervisor';
import { LoopbackCapture } from '../helpers/capture';

const CLIENT_ID = 'captured-sensor-7';

/** The probe's conversation as the capture scanner finds it (the only MQTT Exchange in the file). */
async function exchangeFromCapture(file: string, brokerPort: number): Promise<Exchange> {
  const scan = await scanCapture({ file });
  const mqtt = scan.loadAll().filter((e) => e.capture?.protocol === 'mqtt' && e.capture.server.endsWith(`:${brokerPort}`));
  scan.dispose();
  expect(mqtt).toHaveLength(1);
  return mqtt[0]!;
}

describe('replaying a captured GSSAPI-KERBEROS exchange', () => {
  let dataDir: string;
  let engine: Engine;
  let gss: GssSupervisor;
  let deps: ReplayDeps;
  let url: string;
  let captured: Exchange;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-replay-'));
    engine = createEngine({ runtime: 'cli', dataDir });
    gss = new GssSupervisor();
    deps = { lab: engine.api.lab, probe: engine.api.probe, supervisor: () => gss };
    const status = await engine.api.broker.start({ tcp: true, tls: false, ws: false, credentials: 'lab', variant: 'emqx', allowAnonymous: false });
    url = status.listeners[0]!.url;
    const port = Number(new URL(url).port);
    const file = path.join(dataDir, 'probe-broker.pcapng');
    const tshark = await LoopbackCapture.start(file, `tcp port ${port}`);
    const probed = await runProbe(engine.api.probe, {
      url,
      profile: 'lab',
      method: 'GSSAPI-KERBEROS',
      step: false,
      service: 'mqtt@localhost',
      clientId: CLIENT_ID,
      keepalive: 42,
      connectProperties: { sessionExpiryInterval: 120, userProperties: { site: 'plant-3' } },
    });
    await tshark.stop();
    expect(probed.verdict.outcome, probed.verdict.reason).toBe('success');
    captured = await exchangeFromCapture(file, port);
  }, 90_000);

  afterAll(async () => {
    await engine?.api.broker.stop();
    await engine?.api.lab.down({ realm: 'REPLAY.TEST', destroy: true }).catch(() => undefined);
    await engine?.api.lab.down({ destroy: true }).catch(() => undefined);
    await gss?.dispose();
    await engine?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('captured the whole conversation with its bytes', () => {
    expect(captured.steps[0]!.transport).toMatchObject({ packet: 'CONNECT', fields: { clientId: CLIENT_ID, authenticationMethod: 'GSSAPI-KERBEROS' } });
    expect(captured.steps.map((s) => s.transport.packet)).toContain('AUTH 0x18');
    expect(captured.steps.at(-1)!.transport.packet).toBe('CONNACK 0x00');
    expect(captured.capture!.ticket).toMatchObject({ sname: 'mqtt/localhost', realm: 'BENCH.TEST' });
  });

  it('verbatim against the broker that saw the original: refused as a replay', async () => {
    const result = await replayExchange({ exchange: captured, to: url, mode: 'verbatim' }, deps);
    const { replay } = result;
    expect(replay).toMatchObject({ source: 'replay', role: 'client' });
    expect(replay.verdict).toMatchObject({ outcome: 'failure', code: '0x87 Not Authorized' });
    expect(replay.verdict.reason).toMatch(/^refused as a replay: the acceptor's replay cache holds this authenticator/);
    expect(replay.verdict.reason).toMatch(/Request is a replay/);
    expect(replay.meta?.diagnosis).toBe('replay');
    // The CONNECT went out byte for byte.
    expect(replay.steps[0]!.raw).toBe(captured.steps[0]!.raw);
    expect(replay.steps.map((s) => s.transport.packet)).toEqual(['CONNECT', 'CONNACK 0x87']);
    expect(result.diff.summary[0]).toMatch(/^the original succeeded and the replay failed: refused as a replay/);
    // The broker recorded the same refusal on its side.
    const server = (await engine.api.broker.exchanges()).at(-1)!;
    expect(server.verdict.outcome).toBe('failure');
    expect(JSON.stringify(server)).toMatch(/Request is a replay/);
  }, 30_000);

  it('fresh: new tokens with the captured CONNECT — connected', async () => {
    const result = await replayExchange({ exchange: captured, to: url, mode: 'fresh' }, deps);
    expect(result.replay.verdict.outcome, result.replay.verdict.reason).toBe('success');
    expect(result.replay.source).toBe('replay');
    expect(result.replay.steps[0]!.transport.fields).toMatchObject({ clientId: CLIENT_ID });
    const server = (await engine.api.broker.exchanges()).at(-1)!;
    expect(server.steps[0]!.transport.fields).toMatchObject({ clientId: CLIENT_ID, keepAlive: 42, sessionExpiryInterval: 120, userProperties: 'site=plant-3' });
    const verdict = result.diff.rows.find((r) => r.aspect === 'verdict')!;
    expect(verdict.same).toBe(true);
    expect(result.diff.rows.find((r) => r.aspect === 'client id')!.same).toBe(true);
    expect(result.diff.rows.find((r) => r.aspect === 'ticket sname')).toMatchObject({ same: true, replay: 'mqtt/localhost@BENCH.TEST' });
  }, 30_000);

  it('lab: a realm and a listener made like the captured server — connected, and the diff names the difference', async () => {
    // The same conversation as a failed production capture from realm REPLAY.TEST: ticket kvno 1, aes128.
    const production = structuredClone(captured);
    production.id = 'production-1';
    production.capture = {
      ...production.capture!,
      ticket: { sname: 'mqtt/localhost', realm: 'REPLAY.TEST', kvno: 1, etype: 17, fingerprint: '' },
      principals: ['alice@REPLAY.TEST', 'mqtt/localhost@REPLAY.TEST'],
    };
    production.verdict = { outcome: 'failure', reason: 'Request ticket server mqtt/localhost@REPLAY.TEST kvno 1 not found in keytab', code: '0x87 Not Authorized' };
    const result = await replayExchange({ exchange: production, to: url, mode: 'lab' }, deps);
    expect(result.replay.verdict.outcome, `${result.replay.verdict.reason}\n${result.notes.join('\n')}`).toBe('success');
    expect(result.notes.join('\n')).toMatch(/made the lab realm REPLAY\.TEST/);
    expect(result.notes.join('\n')).toMatch(/started a broker listener at mqtt:\/\/127\.0\.0\.1:\d+ for mqtt\/localhost@REPLAY\.TEST/);
    expect(result.notes.join('\n')).toMatch(/a kvno only counts up/);
    const etype = result.diff.rows.find((r) => r.aspect === 'ticket etype')!;
    expect(etype).toMatchObject({ original: '17', replay: '17', same: true });
    const kvno = result.diff.rows.find((r) => r.aspect === 'ticket kvno')!;
    expect(kvno.same).toBe(false);
    expect(result.diff.summary[0]).toMatch(/^the original failed \(0x87 Not Authorized: .*kvno 1 not found in keytab\) and the replay succeeded — the original presented a ticket for mqtt\/localhost@REPLAY\.TEST kvno 1, etype 17; the replay's is .* kvno \d+, etype 17 \(kvno 1 → \d+\)/);
  }, 90_000);
});
