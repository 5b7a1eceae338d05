/**
 * The broker and probe services as the UI uses them: the lab's credentials, TCP + TLS + WS
 * listeners, a probe in step mode released one packet at a time, live events.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerStatus, ProbeView } from '../../main/api/broker';
import type { BenchEvent } from '../../main/api/events';
import { createEngine, type Engine } from '../../main/engine';

async function until(engine: Engine, id: string, done: (view: ProbeView) => boolean, timeoutMs = 15_000): Promise<ProbeView> {
  const started = Date.now();
  for (;;) {
    const view = await engine.api.probe.view(id);
    if (done(view)) return view;
    if (Date.now() - started > timeoutMs) throw new Error(`probe stuck in ${view.state}: ${JSON.stringify(view.pending)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('broker and probe services', () => {
  let dataDir: string;
  let engine: Engine;
  let status: BrokerStatus;
  const events: BenchEvent[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-broker-service-'));
    engine = createEngine({ runtime: 'cli', dataDir });
    engine.events.subscribe((event) => events.push(event));
    status = await engine.api.broker.start({ tcp: true, tls: true, ws: true, credentials: 'lab', variant: 'emqx', allowAnonymous: false });
  }, 120_000);
  afterAll(async () => {
    await engine?.api.broker.stop();
    await engine?.api.lab.down({ destroy: true }).catch(() => undefined);
    await engine?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts three listeners with the lab principal, falling back to free ports when needed', () => {
    expect(status).toMatchObject({ running: true, method: 'GSSAPI-KERBEROS', principal: 'mqtt/localhost@BENCH.TEST', variant: 'emqx' });
    expect(status.listeners.map((l) => l.protocol)).toEqual(['tcp', 'tls', 'ws']);
    expect(status.tlsCertificate).toMatch(/broker-cert\.pem$/);
  });

  it('steps the probe one packet at a time, then the broker shows the connection', async () => {
    const tcp = status.listeners[0]!.url;
    let view = await engine.api.probe.start({ url: tcp, profile: 'lab', method: 'GSSAPI-KERBEROS', step: true, service: 'mqtt@localhost' });
    const sent: string[] = [];
    for (let i = 0; i < 5 && view.state !== 'connected'; i++) {
      view = await until(engine, view.id, (v) => v.state === 'waiting' || v.state === 'connected' || v.state === 'failed');
      if (view.state !== 'waiting') break;
      sent.push(view.pending!.description);
      view = await engine.api.probe.next(view.id);
    }
    view = await until(engine, view.id, (v) => v.state === 'connected' || v.state === 'failed');
    expect(view.state, view.error).toBe('connected');
    expect(sent).toHaveLength(3); // CONNECT, AUTH (empty), AUTH (reply)
    expect(sent[0]).toMatch(/^CONNECT with the AP-REQ/);
    expect(view.exchanges[0]!.verdict).toMatchObject({ outcome: 'success', code: '0x00 Success' });
    const server = (await engine.api.broker.exchanges()).at(-1)!;
    expect(server.identity).toMatchObject({ principal: 'alice@BENCH.TEST' });
    expect(events.some((e) => e.name === 'broker.exchange')).toBe(true);
    expect(events.some((e) => e.name === 'probe.update' && e.payload.state === 'waiting')).toBe(true);

    // Re-authentication pauses in step mode too: AUTH 0x19, then the AUTH with the empty answer and the reply.
    view = await engine.api.probe.reauthenticate(view.id);
    while (view.state !== 'connected' && view.state !== 'failed') {
      view = await until(engine, view.id, (v) => v.state !== 'connecting');
      if (view.state === 'waiting') view = await engine.api.probe.next(view.id);
    }
    expect(view.exchanges).toHaveLength(2);
    expect(view.exchanges.at(-1)!.verdict.outcome).toBe('success');
    view = await engine.api.probe.publish(view.id);
    expect(view.published?.received).toBe('hello from the Kerberos Bench probe');
    await engine.api.probe.close(view.id);
  });

  it('connects over TLS trusting the broker\'s certificate, and over WebSocket', async () => {
    for (const listener of status.listeners.slice(1)) {
      const start = await engine.api.probe.start({
        url: listener.url,
        profile: 'lab',
        method: 'GSSAPI-KERBEROS',
        step: false,
        service: 'mqtt@localhost',
        ...(listener.protocol === 'tls' ? { caFile: status.tlsCertificate! } : {}),
      });
      const view = await until(engine, start.id, (v) => v.state === 'connected' || v.state === 'failed');
      expect(view.state, `${listener.url}: ${view.exchanges[0]?.verdict.reason ?? view.error}`).toBe('connected');
      await engine.api.probe.close(view.id);
    }
  });
});
