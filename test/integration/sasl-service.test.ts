/**
 * The SASL view's service: both sides run by the engine against the lab realm, one message per
 * step, both Exchanges kept; application messages once established; transcripts decoded. And its
 * single peers (what `kbench sasl client|server` use): a client peer and a server peer, the test
 * carrying the tokens between them as a Cyrus sample program would.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SaslPeerStep, SaslRunView } from '../../main/api/sasl';
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

  const text = (value: string) => Buffer.from(value, 'utf8').toString('base64');
  const plain = (base64: string) => Buffer.from(base64, 'base64').toString('utf8');

  it('a client peer and a server peer negotiate privacy through the caller, then exchange sealed messages', async () => {
    const { sasl } = engine.api;
    const client = await sasl.openPeer({ role: 'client', service: 'mqtt@localhost', profile: 'lab', layer: 'privacy', authzid: 'alice' });
    const server = await sasl.openPeer({ role: 'server', service: 'mqtt@localhost', profile: 'lab', offer: 'cyrus' });
    expect([client.established, server.established, client.exchange.steps]).toEqual([false, false, []]);
    let fromClient: SaslPeerStep = await sasl.peerStart(client.id);
    const answers: string[] = [];
    for (let round = 0; round < 8; round++) {
      expect(fromClient.kind).toBe('response');
      const fromServer = await sasl.peerReceive(server.id, fromClient.token!);
      answers.push(fromServer.kind);
      if (fromServer.kind !== 'challenge') break;
      fromClient = await sasl.peerReceive(client.id, fromServer.token!);
    }
    // AP-REP, the wrapped offer, then success on the client's wrapped choice (RFC 4752 §3.1).
    expect(answers).toEqual(['challenge', 'challenge', 'success']);
    expect(fromClient.established).toBe(true);
    expect(fromClient.securityLayer).toEqual({ layer: 'privacy', maxBuffer: expect.any(Number) });
    const sealed = await sasl.peerProtect(client.id, text('hello server\0'));
    expect(plain(sealed.data)).not.toContain('hello server');
    expect(sealed.exchange.steps.at(-1)).toMatchObject({ direction: 'client-to-server', transport: { packet: 'application message' } });
    expect(plain((await sasl.peerUnprotect(server.id, sealed.data)).data)).toBe('hello server\0');
    expect(plain((await sasl.peerUnprotect(client.id, (await sasl.peerProtect(server.id, text('hello client'))).data)).data)).toBe('hello client');

    const accepted = (await sasl.closePeer(server.id))!;
    expect(accepted.exchange.verdict.outcome).toBe('success');
    expect(accepted.exchange.identity).toMatchObject({ principal: expect.stringMatching(/^alice@/), authzid: 'alice' });
    expect(accepted.securityLayer?.layer).toBe('privacy');
    // Closed: gone, and closing again says so.
    await expect(sasl.peerUnprotect(server.id, '')).rejects.toThrow(/no SASL peer/);
    expect(await sasl.closePeer(server.id)).toBeNull();
    await sasl.closePeer(client.id);
  });

  it('messages cross both ways once established, and a tampered one is refused', async () => {
    const { sasl } = engine.api;
    const client = await sasl.openPeer({ role: 'client', service: 'mqtt@localhost', profile: 'lab', layer: 'integrity' });
    const server = await sasl.openPeer({ role: 'server', service: 'mqtt@localhost', profile: 'lab', offer: 'cyrus' });
    await expect(sasl.peerProtect(client.id, text('too early'))).rejects.toThrow(/no security layer yet/);
    await expect(sasl.peerStart(server.id)).rejects.toThrow(/server peer starts with the client's initial response/);
    let token = (await sasl.peerStart(client.id)).token!;
    for (;;) {
      const answer = await sasl.peerReceive(server.id, token);
      if (answer.kind !== 'challenge') break;
      token = (await sasl.peerReceive(client.id, answer.token!)).token!;
    }
    const toServer = await sasl.peerProtect(client.id, text('client message 1'));
    expect(plain((await sasl.peerUnprotect(server.id, toServer.data)).data)).toBe('client message 1');
    const toClient = await sasl.peerProtect(server.id, text('srv message 1'));
    // Integrity only: the text travels in the clear inside the Wrap token, with its checksum.
    expect(plain(toClient.data)).toContain('srv message 1');
    const opened = await sasl.peerUnprotect(client.id, toClient.data);
    expect(plain(opened.data)).toBe('srv message 1');
    expect(opened.exchange.steps.filter((s) => s.transport.packet === 'application message').map((s) => s.summary)).toEqual(['"client message 1"', '"srv message 1"']);
    const tampered = Buffer.from((await sasl.peerProtect(client.id, text('client message 2'))).data, 'base64');
    tampered[tampered.length - 20]! ^= 0x01;
    await expect(sasl.peerUnprotect(server.id, tampered.toString('base64'))).rejects.toThrow(/does not verify .* the token was modified/);
    // Both sides' Exchanges reached the history, as the runs' do.
    const history = (await engine.api.history.list({ source: 'sasl' })).map((e) => e.id);
    expect(history).toEqual(expect.arrayContaining([opened.exchange.id, (await sasl.closePeer(server.id))!.exchange.id]));
    await sasl.closePeer(client.id);
  });

  it('a peer for an unknown service fails with MIT\'s reason; a server without a FILE: keytab is refused naming the field', async () => {
    const client = await engine.api.sasl.openPeer({ role: 'client', service: 'nosuch@localhost', profile: 'lab' });
    const failed = await engine.api.sasl.peerStart(client.id);
    expect(failed).toMatchObject({ kind: 'failure', reason: expect.stringMatching(/Server nosuch\/localhost@.* not found in Kerberos database/) });
    expect(failed.exchange.verdict.outcome).toBe('failure');
    await engine.api.sasl.closePeer(client.id);
    const refused = await engine.invoke({ service: 'sasl', method: 'openPeer', args: [{ role: 'server', service: 'mqtt@localhost', profile: 'custom', paths: {} }] });
    expect(refused).toMatchObject({ ok: false, error: { code: 'failed', message: expect.stringMatching(/needs a FILE: keytab/), details: { field: 'keytab' } } });
    const mixed = await engine.invoke({ service: 'sasl', method: 'openPeer', args: [{ role: 'server', service: 'mqtt@localhost', profile: 'lab', layer: 'privacy' }] });
    expect(mixed).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
  });
});
