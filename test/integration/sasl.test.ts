/**
 * SASL GSSAPI (RFC 4752) in both roles against a real MIT KDC: our client with our server for both
 * offers and every layer, application messages both ways; and interoperability with the Cyrus SASL
 * sample programs (the library EMQX uses) in both directions.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeRecorder } from '../../main/exchange/recorder';
import { parseKeytab } from '../../main/krb/keytab';
import { SaslGssapiClient } from '../../main/sasl/client';
import { OFFERS } from '../../main/sasl/layers';
import { SaslGssapiServer } from '../../main/sasl/server';
import { GssSupervisor } from '../../main/gss/supervisor';
import { findNode } from '../../main/krb/tree';
import type { SaslLayer } from '../../main/sasl/layers';
import { createTestRealm, type TestRealm } from '../helpers/lab';
import { runSasl, testRealmProfile } from '../helpers/sasl';

describe('SASL GSSAPI: our client ↔ our server', () => {
  let lab: TestRealm;
  let gss: GssSupervisor;
  beforeAll(async () => {
    lab = await createTestRealm();
    gss = new GssSupervisor();
  });
  afterAll(async () => {
    await gss?.dispose();
    await lab?.destroy();
  });

  it('EMQX offer: layer none, size 0; the server knows who authenticated', async () => {
    const { client, server } = await runSasl(gss, lab, { offer: 'emqx', layer: 'privacy', authzid: 'alice' });
    expect(client.securityLayer).toEqual({ layer: 'none', maxBuffer: 0, authzid: 'alice' });
    expect(server.securityLayer).toEqual({ layer: 'none', maxBuffer: 0, authzid: 'alice' });
    const exchange = server.exchange;
    expect(exchange.verdict.outcome).toBe('success');
    expect(exchange.identity).toEqual({ principal: `alice@${lab.name}`, authzid: 'alice' });
    expect(exchange.steps.map((s) => `${s.direction === 'client-to-server' ? 'C' : 'S'} ${s.tokenKind}`)).toEqual([
      'C GSS-API initial context token (AP-REQ)',
      'S GSS-API initial context token (AP-REP)',
      'C empty',
      'S security-layer offer (wrapped)',
      'C security-layer reply (wrapped)',
    ]);
    expect(exchange.steps[3]!.summary).toBe('offers none (0x01), max buffer 0');
    expect(exchange.steps[4]!.summary).toBe('chooses none, max buffer 0, authorization id "alice"');
    // The server-side Exchange decrypted the ticket with the keytab and carries MIT's trace.
    expect(findNode(exchange.steps[0]!.decoded!, 'enc-part')?.decrypted).toBeDefined();
    expect(exchange.steps[0]!.trace?.length).toBeGreaterThan(0);
  });

  it.each<[SaslLayer, 'none' | 'integrity' | 'privacy']>([
    ['none', 'none'],
    ['integrity', 'integrity'],
    ['privacy', 'privacy'],
  ])('Cyrus offer, client wants %s: application messages both ways', async (wanted, expected) => {
    const { client, server } = await runSasl(gss, lab, { offer: 'cyrus', layer: wanted });
    expect(client.securityLayer?.layer).toBe(expected);
    expect(server.securityLayer?.layer).toBe(expected);

    const toClient = server.protect(Buffer.from('srv message 1'));
    expect((await client.unprotect(toClient)).toString()).toBe('srv message 1');
    const toServer = await client.protect(Buffer.from('client message 1'));
    expect(server.unprotect(toServer).toString()).toBe('client message 1');
    if (expected !== 'none') {
      // Framed: 4-byte length + Wrap token, sealed only for privacy.
      expect(toServer.readUInt32BE(0)).toBe(toServer.length - 4);
      expect(toServer.subarray(4, 6).toString('hex')).toBe('0504');
      expect(Boolean(toServer[6]! & 0x02)).toBe(expected === 'privacy');
      // A second message keeps the sequence numbers in step.
      expect(server.unprotect(await client.protect(Buffer.from('two'))).toString()).toBe('two');
      // A tampered message is refused.
      const tampered = Buffer.from(await client.protect(Buffer.from('three')));
      tampered[tampered.length - 1]! ^= 1;
      expect(() => server.unprotect(tampered)).toThrow();
    }
  });

  it('fails with MIT\'s own text and trace for a service without a key', async () => {
    await lab.realm.addPrincipal('other/localhost', { randkey: true });
    const profile = testRealmProfile(lab);
    const client = new SaslGssapiClient({ gss: gss.worker(profile), service: 'other@localhost', recorder: new ExchangeRecorder({ source: 'sasl', role: 'client', mechanism: 'GSSAPI' }) });
    const recorder = new ExchangeRecorder({ source: 'sasl', role: 'server', mechanism: 'GSSAPI' });
    const server = new SaslGssapiServer({
      gss: gss.worker(profile),
      service: 'other@localhost',
      offer: OFFERS.emqx,
      keytab: parseKeytab(await readFile(lab.serviceKeytab)).keytab.entries,
      recorder,
    });
    const first = await client.start();
    if (first.kind !== 'response') throw new Error(first.reason);
    const reply = await server.receive(first.token);
    expect(reply.kind).toBe('failure');
    expect(recorder.exchange.verdict.reason).toMatch(/No key table entry found matching other\/localhost@|not found in keytab/);
    expect(recorder.exchange.steps[0]!.error).toBe(recorder.exchange.verdict.reason);
  });

  it('fails on the client side with the KDC\'s error and a trace carrying its numeric code', async () => {
    const recorder = new ExchangeRecorder({ source: 'sasl', role: 'client', mechanism: 'GSSAPI' });
    const client = new SaslGssapiClient({ gss: gss.worker(testRealmProfile(lab)), service: 'nosuch@localhost', recorder });
    const first = await client.start();
    expect(first.kind).toBe('failure');
    expect(recorder.exchange.verdict.reason).toMatch(/Server nosuch\/localhost@BENCH\.TEST not found in Kerberos database/);
    // KDC_ERR_S_PRINCIPAL_UNKNOWN as MIT's com_err code.
    expect(recorder.exchange.steps.at(-1)!.trace?.join('\n')).toContain('-1765328377');
  });
});
