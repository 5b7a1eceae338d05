/**
 * The Kerberos authentication methods on their own (no sockets): an MIT-backed SASL client plays
 * the MQTT client's part against each AuthSession, round by round, against the real lab KDC.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthOutcome, AuthSession } from '../../main/broker/auth';
import { GssapiKerberosAuthenticator, GssapiSingleRoundAuthenticator, parseServerPrincipal } from '../../main/broker/kerberos-authenticators';
import type { TransportPacket } from '../../main/exchange/model';
import { ExchangeRecorder } from '../../main/exchange/recorder';
import { labProfile } from '../../main/gss/profiles';
import { GssSupervisor } from '../../main/gss/supervisor';
import { parseKeytab } from '../../main/krb/keytab';
import { SaslGssapiClient } from '../../main/sasl/client';
import { clientToken } from '../helpers/gss-peer';
import { createTestRealm, type TestRealm } from '../helpers/lab';
import { testRealmProfile } from '../helpers/sasl';

const CONNECT: TransportPacket = { protocol: 'mqtt', packet: 'CONNECT' };
const AUTH: TransportPacket = { protocol: 'mqtt', packet: 'AUTH' };
const listener = { name: 'tcp://127.0.0.1:1883', protocol: 'tcp' as const };

describe('Kerberos authenticators for the broker', () => {
  let lab: TestRealm;
  let gss: GssSupervisor;
  let emqx: GssapiKerberosAuthenticator;

  async function authenticator(keytabFile = lab.serviceKeytab, principal = `mqtt/localhost@${lab.name}`, variant: 'emqx' | 'single' = 'emqx') {
    const profile = labProfile(lab.name, { id: `broker-${path.basename(keytabFile)}`, krb5Config: lab.realm.paths.krb5Conf, keytab: keytabFile, rcacheDir: lab.realm.paths.rcacheDir });
    const options = { gss, profile, keytab: parseKeytab(await readFile(keytabFile)).keytab.entries, keytabLabel: keytabFile, principal };
    return variant === 'emqx' ? new GssapiKerberosAuthenticator(options) : new GssapiSingleRoundAuthenticator(options);
  }

  function session(auth: GssapiKerberosAuthenticator | GssapiSingleRoundAuthenticator) {
    const recorder = new ExchangeRecorder({ source: 'broker', role: 'server', mechanism: auth.method });
    return { recorder, session: auth.createSession({ listener, clientId: 'probe-1', remoteAddress: '127.0.0.1', reauth: false, recorder }) };
  }

  /** The MQTT client's side: MIT's initiator via our SASL client, answering each AUTH 0x18. */
  async function converse(server: AuthSession): Promise<{ outcome: AuthOutcome; rounds: number }> {
    const client = new SaslGssapiClient({ gss: gss.worker(testRealmProfile(lab)), service: 'mqtt@localhost', recorder: new ExchangeRecorder({ source: 'probe', role: 'client', mechanism: 'GSSAPI-KERBEROS' }) });
    const first = await client.start();
    if (first.kind !== 'response') throw new Error(first.reason);
    let outcome = await server.start(first.token, CONNECT);
    let rounds = 0;
    while (outcome.kind === 'continue') {
      rounds++;
      const reply = await client.receive(outcome.data);
      if (reply.kind !== 'response') throw new Error(reply.reason);
      outcome = await server.continue(reply.token, AUTH);
    }
    return { outcome, rounds };
  }

  beforeAll(async () => {
    lab = await createTestRealm();
    gss = new GssSupervisor();
    emqx = (await authenticator()) as GssapiKerberosAuthenticator;
  });
  afterAll(async () => {
    await gss?.dispose();
    await lab?.destroy();
  });

  it('GSSAPI-KERBEROS: AP-REP, empty answer, offer, reply — then success with the identity', async () => {
    const { recorder, session: server } = session(emqx);
    const { outcome, rounds } = await converse(server);
    expect(rounds).toBe(2); // the server sends AUTH 0x18 twice: the AP-REP, then the offer
    expect(outcome).toMatchObject({ kind: 'success', identity: { principal: `alice@${lab.name}`, mapped: 'alice' } });
    const steps = recorder.exchange.steps.map((s) => `${s.transport.packet} ${s.tokenKind}`);
    expect(steps).toEqual([
      'CONNECT GSS-API initial context token (AP-REQ)',
      'AUTH GSS-API initial context token (AP-REP)',
      'AUTH empty',
      'AUTH security-layer offer (wrapped)',
      'AUTH security-layer reply (wrapped)',
    ]);
    expect(recorder.exchange.steps[3]!.summary).toBe('offers none (0x01), max buffer 0');
  });

  it('refuses a CONNECT without data, a garbage token and a replayed token with MIT\'s words', async () => {
    expect(await session(emqx).session.start(undefined, CONNECT)).toMatchObject({ kind: 'failure', reasonCode: 0x87, reason: expect.stringMatching(/no Authentication Data/) });
    expect(await session(emqx).session.start(Buffer.from('not a token at all'), CONNECT)).toMatchObject({ kind: 'failure', reasonCode: 0x87 });
    const token = Buffer.from(await clientToken(lab.env), 'base64');
    expect(await session(emqx).session.start(token, CONNECT)).toMatchObject({ kind: 'continue' });
    const replay = await session(emqx).session.start(token, CONNECT);
    expect(replay).toMatchObject({ kind: 'failure', reasonCode: 0x87, reason: expect.stringMatching(/Request is a replay/) });
  });

  it('refuses tickets for a rotated key with the keytab-out-of-date text', async () => {
    const stale = path.join(lab.dir, 'stale-copy.keytab');
    await (await import('node:fs/promises')).copyFile(lab.serviceKeytab, stale);
    await lab.realm.ktadd(path.join(lab.dir, 'rotated.keytab'), 'mqtt/localhost'); // kvno + 1 at the KDC
    const freshCcache = await lab.realm.kinit('alice', { password: (await import('../helpers/lab')).ALICE_PASSWORD }, { ccache: path.join(lab.dir, 'fresh.ccache') });
    const token = Buffer.from(await clientToken({ ...lab.env, KRB5CCNAME: `FILE:${freshCcache}` }), 'base64');
    const outcome = await (await authenticator(stale)).createSession({ listener, clientId: 'c', remoteAddress: '', reauth: false, recorder: new ExchangeRecorder({ source: 'broker', role: 'server', mechanism: 'x' }) }).start(token, CONNECT);
    expect(outcome).toMatchObject({ kind: 'failure', reason: expect.stringMatching(/kvno \d+ not found in keytab; keytab is likely out of date/) });
  });

  it('refuses when the listener principal is not in its keytab', async () => {
    const auth = await authenticator(lab.serviceKeytab, `HTTP/localhost@${lab.name}`);
    const token = Buffer.from(await clientToken(lab.env, 'HTTP@localhost').catch(() => ''), 'base64');
    const outcome = await session(auth).session.start(token.length ? token : Buffer.from('x'), CONNECT);
    expect(outcome).toMatchObject({ kind: 'failure', reasonCode: 0x87 });
  });

  it('single-round GSSAPI: AP-REP in the success outcome, no AUTH rounds', async () => {
    const auth = await authenticator(lab.serviceKeytab, `mqtt/localhost@${lab.name}`, 'single');
    const { recorder, session: server } = session(auth);
    const token = Buffer.from(await clientToken(lab.env), 'base64');
    const outcome = await server.start(token, CONNECT);
    expect(outcome).toMatchObject({ kind: 'success', identity: { principal: `alice@${lab.name}` } });
    if (outcome.kind === 'success') expect(outcome.data!.subarray(0, 1).toString('hex')).toBe('60');
    expect(recorder.exchange.steps.map((s) => s.transport.packet)).toEqual(['CONNECT', 'CONNACK']);
  });

  it('validates the server principal as EMQX does', () => {
    expect(parseServerPrincipal('mqtt/broker.example.com@EXAMPLE.COM')).toEqual({ service: 'mqtt', host: 'broker.example.com', realm: 'EXAMPLE.COM', gssName: 'mqtt@broker.example.com' });
    for (const bad of ['mqtt@broker.example.com', 'mqtt/broker.example.com', 'broker.example.com', 'a/b/c@R', '']) {
      expect(() => parseServerPrincipal(bad), bad).toThrow(/^invalid_server_principal_string/);
    }
  });
});
