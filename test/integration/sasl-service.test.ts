/**
 * The SASL view's service: both sides run by the engine against the lab realm, one message per
 * step, both Exchanges kept; application messages once established; transcripts decoded.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SaslRunView } from '../../main/api/sasl';
import type { Exchange } from '../../main/exchange/model';
import { createEngine, type Engine } from '../../main/engine';

describe('sasl service (lab realm)', () => {
  let dataDir: string;
  let engine: Engine;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-sasl-service-'));
    engine = createEngine({ runtime: 'cli', dataDir });
    await engine.api.lab.up();
  }, 120_000);
  afterAll(async () => {
    await engine?.api.lab.down({ destroy: true }).catch(() => undefined);
    await engine?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('steps one message at a time and explains the next one', async () => {
    let view: SaslRunView = await engine.api.sasl.start({ service: 'mqtt@localhost', profile: 'lab', offer: 'cyrus', layer: 'integrity', authzid: 'alice' });
    expect(view.state).toBe('ready');
    expect(view.next).toMatch(/initial response/);
    const states: string[] = [];
    while (view.state !== 'established' && view.state !== 'failed') {
      view = await engine.api.sasl.step(view.id);
      states.push(`${view.server.steps.length}:${view.state}`);
    }
    expect(view.state).toBe('established');
    // The client builds its AP-REQ, then each of the five messages is taken by its receiver.
    expect(states).toEqual(['0:running', '2:running', '2:running', '4:running', '4:running', '5:established']);
    expect(view.server.steps.map((s) => s.tokenKind)).toEqual([
      'GSS-API initial context token (AP-REQ)',
      'GSS-API initial context token (AP-REP)',
      'empty',
      'security-layer offer (wrapped)',
      'security-layer reply (wrapped)',
    ]);
    expect(view.server.identity).toMatchObject({ principal: expect.stringMatching(/^alice@/), authzid: 'alice' });
    expect(view.server.securityLayer).toEqual({ layer: 'integrity', maxBuffer: expect.any(Number) });
    // The client's own view decrypted its authenticator with the ccache's session key.
    expect(JSON.stringify(view.client.steps[0]!.decoded)).toContain('11 (AP-REQ authenticator, ticket session key)');
    expect(view.client.steps[0]!.trace?.length).toBeGreaterThan(0);

    view = await engine.api.sasl.send(view.id, 'client', 'hello server');
    view = await engine.api.sasl.send(view.id, 'server', 'hello client');
    const messages = view.server.steps.filter((s) => s.transport.packet === 'application message').map((s) => s.summary);
    expect(messages).toEqual(['"hello server"', '"hello client"']);
    await engine.api.sasl.close(view.id);
  });

  it('records the failure on both sides when the service is unknown', async () => {
    const view = await engine.api.sasl.finish((await engine.api.sasl.start({ service: 'nosuch@localhost', profile: 'lab', offer: 'emqx', layer: 'none' })).id);
    expect(view.state).toBe('failed');
    expect(view.client.verdict.reason).toMatch(/Server nosuch\/localhost@.* not found in Kerberos database/);
    expect(view.server.verdict.reason).toMatch(/the client gave up/);
  });

  it('lists every run’s two sides in the session history, newest first, as the API hands them out', async () => {
    const ok = await engine.api.sasl.finish((await engine.api.sasl.start({ service: 'mqtt@localhost', profile: 'lab', offer: 'emqx', layer: 'none' })).id);
    const failed = await engine.api.sasl.finish((await engine.api.sasl.start({ service: 'nosuch@localhost', profile: 'lab', offer: 'emqx', layer: 'none' })).id);
    const listed = await engine.invoke({ service: 'history', method: 'list', args: [{ source: 'sasl' }] });
    expect(listed.ok).toBe(true);
    const exchanges = (listed as { ok: true; value: Exchange[] }).value;
    // The latest copy of each side (after its verdict), not the copy from the run's first step.
    const byId = new Map(exchanges.map((e) => [e.id, e]));
    expect(byId.get(ok.server.id)?.verdict.outcome).toBe('success');
    expect(byId.get(failed.client.id)?.verdict.reason).toMatch(/not found in Kerberos database/);
    expect(exchanges.findIndex((e) => e.id === failed.client.id)).toBeLessThan(exchanges.findIndex((e) => e.id === ok.server.id));
    const onlyFailures = await engine.api.history.list({ source: 'sasl', outcome: 'failure', text: 'nosuch' });
    expect(onlyFailures.map((e) => e.id)).toContain(failed.client.id);
    // The server side never received a message: a side with no steps is not history.
    expect(failed.server.steps).toEqual([]);
    expect(onlyFailures.map((e) => e.id)).not.toContain(failed.server.id);
    expect(onlyFailures.every((e) => e.verdict.outcome === 'failure' && e.source === 'sasl')).toBe(true);
    expect(onlyFailures.map((e) => e.id)).not.toContain(ok.server.id);
    await engine.api.sasl.close(ok.id);
    await engine.api.sasl.close(failed.id);
  });
});
