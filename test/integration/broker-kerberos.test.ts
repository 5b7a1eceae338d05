/**
 * The broker with GSSAPI-KERBEROS against the real MIT lab KDC, over real sockets: the probe on
 * TCP, TLS and WebSocket; a plain MQTT.js client whose handleAuth is written here; re-auth;
 * pub/sub with MQTT 5 properties; and every Kerberos failure with its MQTT reason code.
 */
import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient, type Packet } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker, type ListenerConfig } from '../../main/broker/broker';
import { kerberosAuthenticator } from '../../main/broker/kerberos-setup';
import { ensureSelfSignedCertificate } from '../../main/broker/tls';
import type { Exchange } from '../../main/exchange/model';
import { labProfile } from '../../main/gss/profiles';
import { GssSupervisor } from '../../main/gss/supervisor';
import { MqttProbe } from '../../main/probe/probe';
import { clientToken } from '../helpers/gss-peer';
import { ALICE_PASSWORD, createTestRealm, type TestRealm } from '../helpers/lab';
import { testRealmProfile } from '../helpers/sasl';

const METHOD = 'GSSAPI-KERBEROS';

describe('broker + GSSAPI-KERBEROS + probe', () => {
  let lab: TestRealm;
  let gss: GssSupervisor;
  let broker: Broker;
  let cert: { certFile: string; keyFile: string };
  const brokers: Broker[] = [];

  const serverProfile = () => labProfile(lab.name, { krb5Config: lab.realm.paths.krb5Conf, rcacheDir: lab.realm.paths.rcacheDir });
  const auth = (options: { keytabFile?: string; principal?: string; variant?: 'emqx' | 'single-round' } = {}) =>
    kerberosAuthenticator({ gss, profile: serverProfile(), keytabFile: options.keytabFile ?? lab.serviceKeytab, principal: options.principal ?? `mqtt/localhost@${lab.name}`, variant: options.variant ?? 'emqx' });

  async function extraBroker(listener: Omit<ListenerConfig, 'protocol'>): Promise<string> {
    const b = await startBroker({ listeners: [{ protocol: 'tcp', port: 0, ...listener }] });
    brokers.push(b);
    return b.listeners[0]!.url;
  }

  const probe = (url: string, extra: Partial<ConstructorParameters<typeof MqttProbe>[0]> = {}) =>
    new MqttProbe({ url, gss, profile: testRealmProfile(lab), service: 'mqtt@localhost', ...extra });

  /** A plain MQTT.js client: CONNECT with data, expecting a CONNACK error code. */
  function connectExpectingRefusal(url: string, properties: IClientOptions['properties']): Promise<{ code: number | undefined; message: string }> {
    return new Promise((resolve) => {
      const client = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 10_000, properties });
      client.handleAuth = (_p, cb) => cb(new Error('no further rounds in this test'));
      client.once('connect', () => {
        client.end(true);
        resolve({ code: 0, message: 'connected' });
      });
      client.once('error', (error: Error & { code?: number }) => {
        client.end(true);
        resolve({ code: error.code, message: error.message });
      });
    });
  }

  beforeAll(async () => {
    lab = await createTestRealm();
    gss = new GssSupervisor();
    cert = await ensureSelfSignedCertificate(path.join(lab.dir, 'tls'));
    const authenticators = [await auth()];
    broker = await startBroker({
      listeners: [
        { protocol: 'tcp', port: 0, authenticators },
        { protocol: 'tls', port: 0, tls: cert, authenticators },
        { protocol: 'ws', port: 0, authenticators },
      ],
    });
  });
  afterAll(async () => {
    await Promise.all([broker, ...brokers].map((b) => b?.close()));
    await gss?.dispose();
    await lab?.destroy();
  });

  it.each([0, 1, 2])('the probe authenticates over listener %i (TCP, TLS, WS) the EMQX way', async (index) => {
    const url = broker.listeners[index]!.url;
    const p = probe(url, index === 1 ? { ca: await readFile(cert.certFile) } : {});
    const exchange = await p.connect();
    await p.close();
    expect(exchange.verdict, JSON.stringify(exchange.verdict)).toMatchObject({ outcome: 'success', code: '0x00 Success' });
    expect(exchange.steps.map((s) => `${s.direction === 'client-to-server' ? 'C' : 'S'} ${s.transport.packet} ${s.tokenKind ?? ''}`.trim())).toEqual([
      'C CONNECT GSS-API initial context token (AP-REQ)',
      'S AUTH GSS-API initial context token (AP-REP)',
      'C AUTH empty',
      'S AUTH security-layer offer (wrapped)',
      'C AUTH security-layer reply (wrapped)',
      'S CONNACK',
    ]);
    expect(exchange.identity?.principal).toBe(`alice@${lab.name}`); // the probe knows who it is
    // The broker's side of the same connection: alice, mapped to "alice", for its service.
    const server = broker.exchanges.at(-1)!;
    expect(server.identity).toMatchObject({ principal: `alice@${lab.name}`, mapped: 'alice' });
    expect(server.service).toBe(`mqtt/localhost@${lab.name}`);
    expect(server.verdict.outcome).toBe('success');
  });

  it('a plain MQTT.js client with handleAuth written here (MIT initiator through a GSS worker)', async () => {
    const worker = gss.worker(testRealmProfile(lab));
    const { handle } = (await worker.createClient('mqtt@localhost')).value;
    const apReq = (await worker.clientStep(handle, '')).value.response;
    const client: MqttClient = mqtt.connect(broker.listeners[0]!.url, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      properties: { authenticationMethod: METHOD, authenticationData: Buffer.from(apReq, 'base64') },
    });
    let round = 0;
    client.handleAuth = (packet, callback) => {
      const data = (packet.properties?.authenticationData as Buffer | undefined)?.toString('base64') ?? '';
      void (async () => {
        round++;
        let answer = '';
        if (round === 1) answer = (await worker.clientStep(handle, data)).value.response; // AP-REP → '' (context complete)
        else {
          const offer = Buffer.from((await worker.clientUnwrap(handle, data)).value.data, 'base64');
          expect([...offer]).toEqual([0x01, 0, 0, 0]); // EMQX: layer none, max buffer 0
          answer = (await worker.clientWrap(handle, Buffer.from([1, 0, 0, 0]).toString('base64'), { protect: false })).value.token;
        }
        callback(undefined, { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from(answer, 'base64') } } as Packet);
      })().catch((error: Error) => callback(error));
    };
    const connack = await new Promise<Packet & { properties?: Record<string, unknown> }>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    expect(connack.properties?.authenticationMethod).toBe(METHOD);
    expect(round).toBe(2);
    await client.endAsync(true);
  });

  it('re-authenticates (AUTH 0x19 → rounds → AUTH 0x00) and publishes with MQTT 5 properties', async () => {
    const p = probe(broker.listeners[0]!.url);
    expect((await p.connect()).verdict.outcome).toBe('success');
    const reauth = await p.reauthenticate();
    expect(reauth.verdict, JSON.stringify(reauth.steps.map((s) => [s.transport.packet, s.summary]))).toMatchObject({ outcome: 'success', code: '0x00 Success' });
    expect(reauth.steps[0]!.transport).toMatchObject({ packet: 'AUTH', fields: { reasonCode: '0x19 Re-authenticate' } });
    const published = await p.publishTest();
    expect(published.received).toBe('hello from the Kerberos Bench probe');
    expect(published.properties).toMatchObject({ contentType: 'text/plain', userProperties: { from: 'kbench' } });
    await p.close();
  });

  it('refuses a CONNECT without a token and a garbage token with 0x87', async () => {
    const url = broker.listeners[0]!.url;
    expect(await connectExpectingRefusal(url, { authenticationMethod: METHOD })).toMatchObject({ code: 0x87 });
    expect(await connectExpectingRefusal(url, { authenticationMethod: METHOD, authenticationData: Buffer.from('garbage token') })).toMatchObject({ code: 0x87 });
  });

  it('refuses a replayed AP-REQ (what MQTT.js auto-reconnect would send) with 0x87', async () => {
    const url = broker.listeners[0]!.url;
    const token = Buffer.from(await clientToken(lab.env), 'base64');
    // The first use is accepted by MIT (the broker answers with the AP-REP; our handleAuth stops there).
    await connectExpectingRefusal(url, { authenticationMethod: METHOD, authenticationData: token });
    expect(broker.exchanges.at(-1)!.steps[1]?.tokenKind).toBe('GSS-API initial context token (AP-REP)');
    const replay = await connectExpectingRefusal(url, { authenticationMethod: METHOD, authenticationData: token });
    expect(replay.code).toBe(0x87);
    const verdicts = broker.exchanges.slice(-2).map((e) => e.verdict.reason);
    expect(verdicts[1]).toMatch(/Request is a replay/);
  });

  it('refuses a ticket for a rotated key (stale listener keytab) with 0x87 and MIT\'s reason', async () => {
    const stale = path.join(lab.dir, 'listener-stale.keytab');
    await copyFile(lab.serviceKeytab, stale);
    const url = await extraBroker({ authenticators: [await auth({ keytabFile: stale })] });
    await lab.realm.ktadd(path.join(lab.dir, 'rotated.keytab'), 'mqtt/localhost');
    const ccache = await lab.realm.kinit('alice', { password: ALICE_PASSWORD }, { ccache: path.join(lab.dir, 'after-rotation.ccache') });
    const p = new MqttProbe({ url, gss, profile: { ...testRealmProfile(lab), id: 'after-rotation', ccache: `FILE:${ccache}` }, service: 'mqtt@localhost' });
    const exchange = await p.connect();
    await p.close();
    expect(exchange.verdict).toMatchObject({ outcome: 'failure', code: '0x87 Not Authorized' });
    expect(brokers.at(-1)!.exchanges.at(-1)!.verdict.reason).toMatch(/not found in keytab; keytab is likely out of date/);
  });

  it('refuses when the listener principal is not in its keytab (unknown service principal)', async () => {
    const url = await extraBroker({ authenticators: [await auth({ principal: `mqtt/broker.example.com@${lab.name}` })] });
    const exchange = await probe(url).connect();
    expect(exchange.verdict).toMatchObject({ outcome: 'failure', code: '0x87 Not Authorized' });
    expect(brokers.at(-1)!.exchanges.at(-1)!.verdict.reason).toMatch(/No key table entry found matching mqtt\/broker\.example\.com@/);
  });

  it('tells the probe when an authenticated connection is lost (broker stopped), but not when it closes itself', async () => {
    const b = await startBroker({ listeners: [{ protocol: 'tcp', port: 0, authenticators: [await auth()] }] });
    const lost: string[] = [];
    const p = probe(b.listeners[0]!.url, { onConnectionLost: (reason) => lost.push(reason) });
    expect((await p.connect()).verdict.outcome).toBe('success');
    await b.close();
    await expect.poll(() => lost).toEqual(['the connection closed (the broker stopped or dropped it)']);
    await p.close();

    const again = probe(broker.listeners[0]!.url, { onConnectionLost: (reason) => lost.push(reason) });
    expect((await again.connect()).verdict.outcome).toBe('success');
    await again.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(lost).toHaveLength(1);
  });

  it('rejects principals not of the form service/FQDN@REALM with EMQX\'s wording', async () => {
    await expect(auth({ principal: 'mqtt@localhost' })).rejects.toThrow(/^invalid_server_principal_string/);
  });

  it('stops at the round cap', async () => {
    const url = await extraBroker({ authenticators: [await auth()], maxAuthRounds: 1 });
    const exchange = await probe(url).connect();
    expect(exchange.verdict.outcome).toBe('failure');
    expect(brokers.at(-1)!.exchanges.at(-1)!.verdict.reason).toMatch(/round/i);
  });

  it('stops at the authentication deadline (a listener that does not hold it for a stepping probe)', async () => {
    const url = await extraBroker({ authenticators: [await auth()], authDeadlineMs: 400, holdDeadlineWhileStepping: false });
    // Step mode that never sends the second AUTH: the broker must give up by itself, and the
    // probe's pause ends with the connection (its connect resolves, refused).
    const p = probe(url, { beforeSend: (next) => (next.packet === 'CONNECT' ? Promise.resolve() : new Promise(() => {})) });
    const exchange = await p.connect();
    const server = brokers.at(-1)!.exchanges.at(-1)!;
    expect(server.verdict.outcome).toBe('failure');
    expect(server.verdict.reason).toBe("authentication did not finish within 400 ms (this listener's deadline)");
    expect(exchange.verdict).toMatchObject({ outcome: 'failure', code: '0x87 Not Authorized' });
    expect(exchange.verdict.reason).toContain("the broker says: authentication did not finish within 400 ms (this listener's deadline)");
    await p.close();
  });

  it('single-round variant "GSSAPI": AP-REQ in CONNECT, AP-REP in CONNACK, verified by the client', async () => {
    const url = await extraBroker({ authenticators: [await auth({ variant: 'single-round' })] });
    const p = probe(url, { method: 'GSSAPI' });
    const exchange: Exchange = await p.connect();
    await p.close();
    expect(exchange.verdict).toMatchObject({ outcome: 'success' });
    expect(exchange.steps.map((s) => s.transport.packet)).toEqual(['CONNECT', 'CONNACK']);
    expect(exchange.steps[1]!.tokenKind).toBe('GSS-API initial context token (AP-REP)');
  });
});
