/**
 * The broker's enhanced-authentication gateway in front of aedes, over real sockets: MQTT.js 5
 * clients (enhanced auth with handleAuth, pub/sub, re-authentication) and a raw client that
 * breaks the protocol on purpose to read every refusal's exact reason code. The authenticators
 * are the small test methods in test/helpers/test-authenticators.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { IAuthPacket, IConnackPacket, IDisconnectPacket, IPublishPacket, Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Authenticator, reasonLabel, ReasonCode } from '../../main/broker/auth';
import { type Broker, type BrokerExchangeEvent, identityOf, startBroker } from '../../main/broker/broker';
import type { Exchange } from '../../main/exchange/model';
import { generatePacket } from '../../main/broker/framing';
import { RawMqttClient, authPacketOf, connectPacket } from '../helpers/mqtt-raw';
import { EchoAuthenticator } from '../helpers/test-authenticators';

const SECRET = 's3cret';
const echo = new EchoAuthenticator({ rounds: 2, secret: SECRET });
const longEcho = new EchoAuthenticator({ method: 'TEST-LONG', rounds: 5, secret: SECRET });
const slow = new EchoAuthenticator({ method: 'TEST-SLOW', rounds: 1, secret: SECRET, delayMs: 2_000 });
const quiet = new EchoAuthenticator({ method: 'TEST-QUIET', rounds: 1, secret: SECRET, quiet: true });
/** An authenticator with a bug: its session throws. */
const broken: Authenticator = {
  method: 'TEST-BROKEN',
  createSession: () => ({
    start: () => Promise.reject(new Error('keytab exploded')),
    continue: () => Promise.reject(new Error('unreachable')),
    dispose: () => Promise.resolve(),
  }),
};

let broker: Broker;
let certDir: string;
let ca: Buffer;
const events: BrokerExchangeEvent[] = [];
/** What aedes's authorizePublish hook saw: the publisher's identity and User Name per topic. */
const publishers = new Map<string, { principal?: string; mapped?: string }>();
/** PUBLISHes to flow/… as aedes's hook got them (their sequence numbers); the hook answers once `flowGate` settles. */
const flowSeen: number[] = [];
let flowGate: Promise<void> = Promise.resolve();

/** Ports by listener role. */
const port = { secured: 0, anonymous: 0, tight: 0, tls: 0, ws: 0 };

beforeAll(async () => {
  certDir = mkdtempSync(path.join(os.tmpdir(), 'kbench-broker-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', path.join(certDir, 'key.pem'), '-out', path.join(certDir, 'cert.pem'),
  ], { stdio: 'ignore' });
  ca = readFileSync(path.join(certDir, 'cert.pem'));
  const tlsFiles = { certFile: path.join(certDir, 'cert.pem'), keyFile: path.join(certDir, 'key.pem') };
  broker = await startBroker({
    listeners: [
      { protocol: 'tcp', port: 0, authenticators: [echo, longEcho, quiet, broken], maxAuthRounds: 3 },
      { protocol: 'tcp', port: 0, allowAnonymous: true, authenticators: [echo] },
      { protocol: 'tcp', port: 0, authenticators: [echo, slow], maxPacketSize: 4096, authDeadlineMs: 400 },
      { protocol: 'tls', port: 0, tls: tlsFiles, authenticators: [echo] },
      { protocol: 'ws', port: 0, authenticators: [echo] },
    ],
    aedes: {
      authorizePublish: (client, packet, done) => {
        const identity = identityOf(client);
        publishers.set(packet.topic, { principal: identity?.principal, mapped: identity?.mapped });
        if (packet.topic.startsWith('flow/')) {
          flowSeen.push(Buffer.from(packet.payload).readUInt32BE(0));
          void flowGate.then(() => done(null));
          return;
        }
        done(null);
      },
    },
  });
  broker.onExchange((event) => events.push(event));
  [port.secured, port.anonymous, port.tight, port.tls, port.ws] = broker.listeners.map((l) => l.port) as [number, number, number, number, number];
});

afterAll(async () => {
  await broker?.close();
  rmSync(certDir, { recursive: true, force: true });
});

// ---- helpers ------------------------------------------------------------------------------------

let clientCounter = 0;
function clientId(prefix: string): string {
  return `${prefix}-${++clientCounter}`;
}

interface AuthClient {
  client: MqttClient;
  connack: IConnackPacket;
  /** Every AUTH the server sent (challenges, and the AUTH 0x00 that ends a re-authentication). */
  auths: IAuthPacket[];
  /** What the client answers to the next challenges. */
  setSecret(secret: string): void;
}

/**
 * An MQTT.js 5 client authenticated with TEST-ECHO: CONNECT carries the user name, handleAuth
 * answers every AUTH 0x18 with the secret (MQTT.js also calls it for a re-authentication's AUTH 0x00).
 */
async function connectEcho(url: string, user: string, options: { method?: string; extra?: IClientOptions } = {}): Promise<AuthClient> {
  const method = options.method ?? 'TEST-ECHO';
  const auths: IAuthPacket[] = [];
  let secret = SECRET;
  const client = mqtt.connect(url, {
    clientId: clientId(user),
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    properties: { authenticationMethod: method, authenticationData: Buffer.from(user) },
    manualConnect: true,
    ...options.extra,
  });
  client.handleAuth = (packet, callback) => {
    auths.push(packet);
    callback(undefined, { cmd: 'auth', reasonCode: ReasonCode.ContinueAuthentication, properties: { authenticationMethod: method, authenticationData: Buffer.from(secret) } });
  };
  client.connect();
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  return { client, connack, auths, setSecret: (s) => (secret = s) };
}

/** Re-authentication has no public MQTT.js API: send the AUTH through the client's internals. */
function sendThrough(client: MqttClient, packet: Packet): void {
  (client as unknown as { _sendPacket(packet: Packet): void })._sendPacket(packet);
}

/** A clean end: DISCONNECT, then close. */
function endClient(client: MqttClient): Promise<void> {
  return client.endAsync();
}

/** The Exchange of the connection with this client id (the last one if several). */
function exchangeOf(id: string): Exchange {
  const found = broker.exchanges.filter((e) => e.meta?.clientId === id).at(-1);
  if (!found) throw new Error(`no Exchange for client ${id}`);
  return found;
}

async function waitFor<T>(what: () => T | undefined | false, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = what();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function packets(exchange: Exchange): string[] {
  return exchange.steps.map((s) => `${s.direction === 'client-to-server' ? '>' : '<'} ${s.transport.packet}${s.transport.fields?.reasonCode ? ` ${String(s.transport.fields.reasonCode).slice(0, 4)}` : ''}`);
}

async function raw(p: number, version: 3 | 4 | 5 = 5): Promise<RawMqttClient> {
  return RawMqttClient.connect({ port: p }, version);
}

/** Raw client through TEST-ECHO's CONNECT and first challenge. */
async function rawChallenged(p: number, id: string): Promise<RawMqttClient> {
  const c = await raw(p);
  c.send(connectPacket(id, { method: 'TEST-ECHO', data: Buffer.from('mallory') }));
  const challenge = (await c.next()) as IAuthPacket;
  expect(challenge.cmd).toBe('auth');
  expect(challenge.reasonCode).toBe(0x18);
  return c;
}

async function expectConnack(c: RawMqttClient, code: number): Promise<IConnackPacket> {
  const connack = (await c.next()) as IConnackPacket;
  expect(connack.cmd).toBe('connack');
  expect(c.protocolVersion === 5 ? connack.reasonCode : connack.returnCode).toBe(code);
  await c.waitClosed();
  return connack;
}

async function expectDisconnect(c: RawMqttClient, code: number): Promise<IDisconnectPacket> {
  const disconnect = (await c.next()) as IDisconnectPacket;
  expect(disconnect.cmd).toBe('disconnect');
  expect(disconnect.reasonCode).toBe(code);
  await c.waitClosed();
  return disconnect;
}

// ---- anonymous access -----------------------------------------------------------------------

describe('clients without an Authentication Method', () => {
  it('MQTT 3.1.1 and 5 pass straight through to aedes on an anonymous listener', async () => {
    for (const protocolVersion of [4, 5] as const) {
      const id = clientId(`anon-v${protocolVersion}`);
      const client = mqtt.connect(`mqtt://127.0.0.1:${port.anonymous}`, { clientId: id, protocolVersion, reconnectPeriod: 0 });
      const connack = await new Promise<IConnackPacket>((resolve, reject) => {
        client.once('connect', resolve);
        client.once('error', reject);
      });
      expect(protocolVersion === 5 ? connack.reasonCode : connack.returnCode).toBe(0);
      if (protocolVersion === 5) {
        expect(connack.properties?.authenticationMethod).toBeUndefined();
        expect(connack.properties?.maximumPacketSize).toBe(1024 * 1024);
      }
      await new Promise<void>((resolve, reject) => client.subscribe(`anon/${id}`, (error) => (error ? reject(error) : resolve())));
      const message = new Promise<string>((resolve) => client.once('message', (_topic, payload) => resolve(payload.toString())));
      client.publish(`anon/${id}`, 'hello');
      expect(await message).toBe('hello');
      await endClient(client);
      const exchange = exchangeOf(id);
      expect(exchange.mechanism).toBe('anonymous');
      expect(exchange.verdict).toMatchObject({ outcome: 'success', code: protocolVersion === 5 ? '0x00 Success' : '0x00 Connection Accepted' });
      expect(packets(exchange).slice(0, 2)).toEqual(['> CONNECT', protocolVersion === 5 ? '< CONNACK 0x00' : '< CONNACK']);
      expect(identityOf(null)).toBeUndefined();
      expect(publishers.get(`anon/${id}`)).toEqual({ principal: undefined, mapped: undefined });
    }
  });

  it('are refused elsewhere: MQTT 5 CONNACK 0x87, MQTT 3.1.1 return code 5', async () => {
    const v5 = await raw(port.secured, 5);
    v5.send(connectPacket(clientId('refused-v5')));
    const connack = await expectConnack(v5, ReasonCode.NotAuthorized);
    expect(connack.properties?.reasonString).toMatch(/requires enhanced authentication/);

    const id = clientId('refused-v4');
    const v4 = await raw(port.secured, 4);
    v4.send(connectPacket(id, { protocolVersion: 4, username: 'bob' }));
    await expectConnack(v4, 5);
    expect(exchangeOf(id).verdict).toMatchObject({ outcome: 'failure', code: '0x05 Connection Refused, not authorized' });
  });

  it('aedes refusing a CONNECT is recorded with its reason code; an assigned client id lands in the record', async () => {
    const id = clientId('recv-max-0');
    const refused = await raw(port.anonymous);
    refused.send({ ...connectPacket(id), properties: { receiveMaximum: 0 } } as Packet);
    await expectConnack(refused, ReasonCode.ProtocolError);
    expect(exchangeOf(id).verdict).toMatchObject({ outcome: 'failure', reason: 'aedes refused the CONNECT', code: '0x82 Protocol Error' });

    const nameless = await raw(port.anonymous);
    nameless.send(connectPacket(''));
    const connack = (await nameless.next()) as IConnackPacket;
    expect(connack.reasonCode).toBe(0);
    const assigned = connack.properties?.assignedClientIdentifier;
    expect(assigned).toMatch(/^aedes_/);
    expect(connack.properties).toMatchObject({ maximumPacketSize: 1024 * 1024, sharedSubscriptionAvailable: false });
    nameless.send({ cmd: 'disconnect', reasonCode: 0 });
    await nameless.waitClosed();
    expect(exchangeOf(assigned!).steps[1]!.transport.fields).toMatchObject({ assignedClientIdentifier: assigned });
  });

  it('nothing reaches aedes without the gateway: a connection handed to aedes directly is refused', async () => {
    const bypass = net.createServer((socket) => broker.aedes.handle(socket));
    await new Promise<void>((resolve) => bypass.listen(0, '127.0.0.1', resolve));
    try {
      const c = await raw((bypass.address() as net.AddressInfo).port, 5);
      c.send(connectPacket(clientId('bypass')));
      await expectConnack(c, ReasonCode.NotAuthorized);
    } finally {
      bypass.close();
    }
  });
});

// ---- enhanced authentication ------------------------------------------------------------------

describe('enhanced authentication', () => {
  it('runs the AUTH rounds, then CONNACK 0x00 carries the Authentication Method and Data', async () => {
    const { client, connack, auths } = await connectEcho(`mqtt://127.0.0.1:${port.secured}`, 'alice');
    expect(connack.reasonCode).toBe(0);
    expect(connack.properties?.authenticationMethod).toBe('TEST-ECHO');
    expect(connack.properties?.authenticationData?.toString()).toBe('welcome alice');
    expect(auths.map((a) => [a.reasonCode, a.properties?.authenticationData?.toString()])).toEqual([
      [0x18, 'challenge 1/2'],
      [0x18, 'challenge 2/2'],
    ]);
    const id = client.options.clientId!;
    await endClient(client);

    const exchange = exchangeOf(id);
    expect(exchange).toMatchObject({ source: 'broker', role: 'server', mechanism: 'TEST-ECHO' });
    expect(packets(exchange)).toEqual(['> CONNECT', '< AUTH 0x18', '> AUTH 0x18', '< AUTH 0x18', '> AUTH 0x18', '< CONNACK 0x00', '> DISCONNECT 0x00']);
    expect(exchange.steps[0]!.transport.fields).toMatchObject({ clientId: id, protocolVersion: 5, authenticationMethod: 'TEST-ECHO' });
    expect(exchange.steps[1]!.transport.fields?.reasonCode).toBe('0x18 Continue Authentication');
    expect(Buffer.from(exchange.steps[2]!.token!, 'base64').toString()).toBe(SECRET);
    expect(exchange.verdict).toMatchObject({ outcome: 'success', code: '0x00 Success' });
    expect(exchange.verdict.reason).toMatch(/alice@TEST/);
    expect(exchange.identity).toEqual({ principal: 'alice@TEST', mapped: 'alice' });
    expect(exchange.meta).toMatchObject({ listener: broker.listeners[0]!.name, clientId: id, protocolVersion: '5' });
    expect(exchange.meta?.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(echo.contexts.find((c) => c.clientId === id)).toMatchObject({ reauth: false, listener: { protocol: 'tcp' } });
  });

  it('pub/sub with MQTT 5 properties between two authenticated clients; hooks see the identity', async () => {
    const alice = await connectEcho(`mqtt://127.0.0.1:${port.secured}`, 'alice');
    const bob = await connectEcho(`mqtt://127.0.0.1:${port.secured}`, 'bob');
    await bob.client.subscribeAsync('bench/props', { qos: 1 });
    const received = new Promise<IPublishPacket>((resolve) => bob.client.once('message', (_t, _p, packet) => resolve(packet)));
    await alice.client.publishAsync('bench/props', 'payload', {
      qos: 1,
      properties: { userProperties: { origin: 'alice', tag: ['a', 'b'] }, messageExpiryInterval: 60, contentType: 'text/plain' },
    });
    const packet = await received;
    expect(packet.payload.toString()).toBe('payload');
    expect(packet.properties?.userProperties).toEqual({ origin: 'alice', tag: ['a', 'b'] });
    expect(packet.properties?.contentType).toBe('text/plain');
    expect(packet.properties?.messageExpiryInterval).toBeGreaterThan(0);
    expect(packet.properties?.messageExpiryInterval).toBeLessThanOrEqual(60);
    // aedes's authorizePublish hook read the gateway's identity, and aedes's User Name is the mapped name.
    expect(publishers.get('bench/props')).toEqual({ principal: 'alice@TEST', mapped: 'alice' });
    const aedesClient = (broker.aedes as unknown as { clients: Record<string, { _will: unknown; id: string }> }).clients[alice.client.options.clientId!];
    expect(identityOf(aedesClient as never)?.principal).toBe('alice@TEST');
    await endClient(alice.client);
    await endClient(bob.client);
  });

  it('an authenticator that records nothing still leaves a complete Exchange (the gateway fills in)', async () => {
    const { client } = await connectEcho(`mqtt://127.0.0.1:${port.secured}`, 'carol', { method: 'TEST-QUIET' });
    const id = client.options.clientId!;
    await endClient(client);
    const exchange = exchangeOf(id);
    expect(packets(exchange)).toEqual(['> CONNECT', '< AUTH 0x18', '> AUTH 0x18', '< CONNACK 0x00', '> DISCONNECT 0x00']);
    expect(Buffer.from(exchange.steps[0]!.token!, 'base64').toString()).toBe('carol');
    expect(Buffer.from(exchange.steps[3]!.token!, 'base64').toString()).toBe('welcome carol');
  });

  it('re-authenticates: AUTH 0x19 → AUTH 0x18 rounds → AUTH 0x00, and the connection goes on', async () => {
    const { client, auths } = await connectEcho(`mqtt://127.0.0.1:${port.secured}`, 'alice');
    const id = client.options.clientId!;
    auths.length = 0;
    sendThrough(client, { cmd: 'auth', reasonCode: ReasonCode.ReAuthenticate, properties: { authenticationMethod: 'TEST-ECHO', authenticationData: Buffer.from('alice') } });
    await waitFor(() => auths.find((a) => a.reasonCode === 0));
    expect(auths.map((a) => a.reasonCode)).toEqual([0x18, 0x18, 0x00]);
    expect(auths[2]!.properties).toMatchObject({ authenticationMethod: 'TEST-ECHO' });
    expect(auths[2]!.properties?.authenticationData?.toString()).toBe('welcome alice');
    await client.publishAsync('bench/after-reauth', 'still here', { qos: 1 });
    await endClient(client);

    const exchange = exchangeOf(id);
    expect(packets(exchange)).toEqual([
      '> CONNECT', '< AUTH 0x18', '> AUTH 0x18', '< AUTH 0x18', '> AUTH 0x18', '< CONNACK 0x00',
      '> AUTH 0x19', '< AUTH 0x18', '> AUTH 0x18', '< AUTH 0x18', '> AUTH 0x18', '< AUTH 0x00',
      '> DISCONNECT 0x00',
    ]);
    expect(exchange.verdict).toMatchObject({ outcome: 'success', code: '0x00 Success' });
    expect(exchange.verdict.reason).toMatch(/re-authenticated 1 time/);
    expect(echo.contexts.filter((c) => c.clientId === id).map((c) => c.reauth)).toEqual([false, true]);
  });

  it('a failed re-authentication ends the connection with DISCONNECT 0x87', async () => {
    const { client, auths, setSecret } = await connectEcho(`mqtt://127.0.0.1:${port.secured}`, 'alice');
    const id = client.options.clientId!;
    setSecret('wrong');
    const disconnected = new Promise<IDisconnectPacket>((resolve) => client.once('disconnect', resolve));
    sendThrough(client, authPacketOf(0x19, 'TEST-ECHO', Buffer.from('alice')));
    const disconnect = await disconnected;
    expect(disconnect.reasonCode).toBe(ReasonCode.NotAuthorized);
    expect(disconnect.properties?.reasonString).toMatch(/re-authentication failed: wrong secret/);
    expect(auths.length).toBe(3);
    client.end(true);
    const exchange = await waitFor(() => exchangeOf(id).verdict.outcome === 'failure' && exchangeOf(id));
    expect(exchange.verdict).toMatchObject({ outcome: 'failure', code: reasonLabel(0x87) });
    expect(packets(exchange).slice(-3)).toEqual(['< AUTH 0x18', '> AUTH 0x18', '< DISCONNECT 0x87']);
  });

  it('re-authentication that authenticates someone else is refused (DISCONNECT 0x87)', async () => {
    const { client } = await connectEcho(`mqtt://127.0.0.1:${port.secured}`, 'alice');
    const disconnected = new Promise<IDisconnectPacket>((resolve) => client.once('disconnect', resolve));
    sendThrough(client, authPacketOf(0x19, 'TEST-ECHO', Buffer.from('mallory')));
    const disconnect = await disconnected;
    expect(disconnect.reasonCode).toBe(0x87);
    expect(disconnect.properties?.reasonString).toMatch(/mallory@TEST.*alice@TEST/);
    client.end(true);
    // The authenticator recorded its AUTH 0x00; the gateway marked it as never sent.
    const steps = exchangeOf(client.options.clientId!).steps;
    expect(packets({ steps } as Exchange).slice(-2)).toEqual(['< AUTH 0x00', '< DISCONNECT 0x87']);
    expect(steps.at(-2)!.error).toMatch(/^not sent: it authenticated mallory@TEST/);
  });
});

// ---- refusals with their exact reason codes ---------------------------------------------------

describe('refusals before CONNACK', () => {
  it('no Authentication Data → 0x87', async () => {
    const id = clientId('nodata');
    const c = await raw(port.secured);
    c.send(connectPacket(id, { method: 'TEST-ECHO' }));
    const connack = await expectConnack(c, 0x87);
    expect(connack.properties?.reasonString).toMatch(/no Authentication Data/);
    const exchange = exchangeOf(id);
    expect(packets(exchange)).toEqual(['> CONNECT', '< CONNACK 0x87']);
    expect(exchange.verdict).toMatchObject({ outcome: 'failure', code: '0x87 Not Authorized' });
  });

  it('wrong secret → 0x87', async () => {
    const id = clientId('wrong');
    const c = await rawChallenged(port.secured, id);
    c.send(authPacketOf(0x18, 'TEST-ECHO', Buffer.from('guess')));
    await expectConnack(c, 0x87);
    expect(exchangeOf(id).verdict).toMatchObject({ outcome: 'failure', reason: 'wrong secret', code: '0x87 Not Authorized' });
  });

  it('an unknown Authentication Method → 0x8C', async () => {
    const c = await raw(port.secured);
    c.send(connectPacket(clientId('unknown'), { method: 'SCRAM-SHA-1', data: Buffer.from('x') }));
    const connack = await expectConnack(c, 0x8c);
    expect(connack.properties?.reasonString).toMatch(/offered: TEST-ECHO, TEST-LONG, TEST-QUIET, TEST-BROKEN/);
  });

  it('an authenticator that throws → 0x83, and the broker goes on', async () => {
    const c = await raw(port.secured);
    c.send(connectPacket(clientId('broken'), { method: 'TEST-BROKEN', data: Buffer.from('x') }));
    const connack = await expectConnack(c, 0x83);
    expect(connack.properties?.reasonString).toBe('the authenticator failed: keytab exploded');
  });

  it('the method switched mid-way → 0x8C', async () => {
    const id = clientId('switch');
    const c = await rawChallenged(port.secured, id);
    c.send(authPacketOf(0x18, 'TEST-LONG', Buffer.from(SECRET)));
    await expectConnack(c, 0x8c);
    expect(exchangeOf(id).verdict.code).toBe(reasonLabel(0x8c));
  });

  it('AUTH with a reason code wrong for the state (0x19, 0x00 before CONNACK) → 0x82', async () => {
    for (const code of [0x19, 0x00]) {
      const c = await rawChallenged(port.secured, clientId('wrongcode'));
      c.send(authPacketOf(code, 'TEST-ECHO', Buffer.from(SECRET)));
      const connack = await expectConnack(c, 0x82);
      expect(connack.properties?.reasonString).toMatch(/before CONNACK: only 0x18/);
    }
  });

  it('the round cap → 0x87 after maxAuthRounds challenges', async () => {
    const id = clientId('rounds');
    const c = await raw(port.secured);
    c.send(connectPacket(id, { method: 'TEST-LONG', data: Buffer.from('alice') }));
    for (let round = 1; round <= 3; round++) {
      expect(((await c.next()) as IAuthPacket).reasonCode).toBe(0x18);
      c.send(authPacketOf(0x18, 'TEST-LONG', Buffer.from(SECRET)));
    }
    const connack = await expectConnack(c, 0x87);
    expect(connack.properties?.reasonString).toMatch(/more than 3 AUTH rounds/);
    const exchange = exchangeOf(id);
    expect(packets(exchange).slice(-2)).toEqual(['< AUTH 0x18', '< CONNACK 0x87']);
    expect(exchange.steps.at(-2)!.error).toMatch(/^not sent/);
  });

  it('the authentication deadline → 0x87 when it passes', async () => {
    const id = clientId('deadline');
    const c = await raw(port.tight);
    const started = Date.now();
    c.send(connectPacket(id, { method: 'TEST-SLOW', data: Buffer.from('alice') }));
    const connack = await expectConnack(c, 0x87);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(connack.properties?.reasonString).toMatch(/did not finish within 400 ms/);
  });

  it('a PUBLISH before CONNACK → 0x82', async () => {
    const id = clientId('early');
    const c = await rawChallenged(port.secured, id);
    c.send({ cmd: 'publish', topic: 'sneaky', payload: Buffer.from('x'), qos: 0, dup: false, retain: false });
    const connack = await expectConnack(c, 0x82);
    expect(connack.properties?.reasonString).toMatch(/PUBLISH before CONNACK/);
    expect(packets(exchangeOf(id)).slice(-2)).toEqual(['> PUBLISH', '< CONNACK 0x82']);
  });

  it('an oversize AUTH → 0x95 at once, from its declared length alone', async () => {
    const id = clientId('huge');
    const c = await raw(port.tight);
    c.send(connectPacket(id, { method: 'TEST-ECHO', data: Buffer.from('alice') }));
    expect(((await c.next()) as IAuthPacket).reasonCode).toBe(0x18);
    // AUTH declaring 100 MB (Remaining Length 0x80 0xC2 0xD7 0x2F = 100,000,000), then 5 bytes of it.
    const started = Date.now();
    c.sendBytes(Buffer.from([0xf0, 0x80, 0xc2, 0xd7, 0x2f, 0x18, 0, 0, 0, 0]));
    const connack = await expectConnack(c, 0x95);
    expect(Date.now() - started).toBeLessThan(500);
    expect(connack.properties?.reasonString).toMatch(/AUTH of 100000005 bytes is over .* 4096 bytes: refused unread/);
    const exchange = exchangeOf(id);
    expect(exchange.steps.at(-2)!.transport.fields).toMatchObject({ declaredLength: 100_000_005, maximumPacketSize: 4096 });
    expect(exchange.verdict.code).toBe('0x95 Packet Too Large');
  });

  it('an oversize CONNECT → CONNACK 0x95', async () => {
    const c = await raw(port.tight);
    const connect = Buffer.from([0x10, 0xff, 0xff, 0x03, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x05]);
    c.sendBytes(connect);
    await expectConnack(c, 0x95);
  });

  it('a UTF-8 Encoded String that is not UTF-8 → 0x81 (MQTT-1.5.4-1): the Authentication Method of a CONNECT', async () => {
    const id = clientId('utf8-method');
    const c = await raw(port.secured);
    const bytes = generatePacket(connectPacket(id, { method: 'TEST-ECHO', data: Buffer.from('alice') }), 5);
    bytes[bytes.indexOf('TEST-ECHO') + 4] = 0xff; // "TEST\xffECHO"
    c.sendBytes(bytes);
    const connack = await expectConnack(c, 0x81);
    const at = bytes.indexOf('TEST') - 2;
    expect(connack.properties?.reasonString).toBe(`malformed CONNECT: the UTF-8 Encoded String at byte ${at} is not well-formed UTF-8 (MQTT-1.5.4-1)`);
    expect(broker.exchanges.some((e) => e.meta?.clientId === id && e.verdict.outcome === 'success')).toBe(false);
  });

  it('malformed packets → 0x81: a Remaining Length over 4 bytes, an AUTH with an invalid reason code', async () => {
    const first = await rawChallenged(port.secured, clientId('malformed-length'));
    first.sendBytes(Buffer.from([0xf0, 0xff, 0xff, 0xff, 0xff, 0x01]));
    const connack = await expectConnack(first, 0x81);
    expect(connack.properties?.reasonString).toMatch(/Remaining Length longer than 4 bytes/);

    const second = await rawChallenged(port.secured, clientId('malformed-auth'));
    second.sendBytes(Buffer.from([0xf0, 0x02, 0x42, 0x00]));
    await expectConnack(second, 0x81);
  });

  it('a client that gives up with DISCONNECT is recorded as such', async () => {
    const id = clientId('giveup');
    const c = await rawChallenged(port.secured, id);
    c.send({ cmd: 'disconnect', reasonCode: 0 });
    await c.waitClosed();
    const exchange = await waitFor(() => exchangeOf(id).verdict.outcome === 'failure' && exchangeOf(id));
    expect(exchange.verdict.reason).toMatch(/gave up authentication with DISCONNECT/);
    expect(packets(exchange).at(-1)).toBe('> DISCONNECT 0x00');
  });
});

describe('refusals after CONNACK', () => {
  async function rawAuthenticated(p: number): Promise<RawMqttClient> {
    const c = await raw(p);
    c.send(connectPacket(clientId('raw-ok'), { method: 'TEST-ECHO', data: Buffer.from('alice') }));
    for (let round = 0; round < 2; round++) {
      expect(((await c.next()) as IAuthPacket).reasonCode).toBe(0x18);
      c.send(authPacketOf(0x18, 'TEST-ECHO', Buffer.from(SECRET)));
    }
    expect(((await c.next()) as IConnackPacket).reasonCode).toBe(0);
    return c;
  }

  it('AUTH 0x18 without a re-authentication in progress → DISCONNECT 0x82', async () => {
    const c = await rawAuthenticated(port.secured);
    c.send(authPacketOf(0x18, 'TEST-ECHO', Buffer.from(SECRET)));
    const disconnect = await expectDisconnect(c, 0x82);
    expect(disconnect.properties?.reasonString).toMatch(/without a re-authentication in progress/);
  });

  it('re-authentication with another method → DISCONNECT 0x82 (DISCONNECT cannot carry 0x8C)', async () => {
    const c = await rawAuthenticated(port.secured);
    c.send(authPacketOf(0x19, 'TEST-LONG', Buffer.from('alice')));
    await expectDisconnect(c, 0x82);
  });

  it('an oversize packet → DISCONNECT 0x95; a malformed one → DISCONNECT 0x81', async () => {
    const big = await rawAuthenticated(port.tight);
    big.send({ cmd: 'publish', topic: 't', payload: Buffer.alloc(5000), qos: 0, dup: false, retain: false });
    await expectDisconnect(big, 0x95);

    const broken = await rawAuthenticated(port.secured);
    // SUBSCRIBE with fixed-header flags 0 (must be 0b0010).
    broken.sendBytes(Buffer.from([0x80, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00]));
    await expectDisconnect(broken, 0x81);

    const badTopic = await rawAuthenticated(port.secured);
    // PUBLISH whose Topic Name length runs past the packet.
    badTopic.sendBytes(Buffer.from([0x30, 0x04, 0x00, 0x09, 0x61, 0x00]));
    await expectDisconnect(badTopic, 0x81);

    const surrogateTopic = await rawAuthenticated(port.secured);
    // PUBLISH whose Topic Name is an encoded surrogate (U+D800): not UTF-8 (MQTT-1.5.4-1).
    surrogateTopic.sendBytes(Buffer.from([0x30, 0x06, 0x00, 0x03, 0xed, 0xa0, 0x80, 0x00]));
    const disconnect = await expectDisconnect(surrogateTopic, 0x81);
    expect(disconnect.properties?.reasonString).toMatch(/UTF-8 Encoded String at byte 2 is not well-formed UTF-8/);
  });
});

// ---- transports and robustness ----------------------------------------------------------------

describe('listeners', () => {
  it('TLS: enhanced authentication and pub/sub over mqtts', async () => {
    const { client, connack } = await connectEcho(`mqtts://127.0.0.1:${port.tls}`, 'alice', { extra: { ca, servername: 'localhost' } });
    expect(connack.properties?.authenticationMethod).toBe('TEST-ECHO');
    await client.subscribeAsync('tls/echo');
    const got = new Promise<string>((resolve) => client.once('message', (_t, p) => resolve(p.toString())));
    await client.publishAsync('tls/echo', 'over tls');
    expect(await got).toBe('over tls');
    expect(exchangeOf(client.options.clientId!).meta?.listener).toBe(`tls://127.0.0.1:${port.tls}`);
    await endClient(client);
    expect(broker.listeners[3]).toMatchObject({ protocol: 'tls', url: `mqtts://127.0.0.1:${port.tls}` });
  });

  it('WebSocket: enhanced authentication over ws://…/mqtt with subprotocol "mqtt"', async () => {
    const { client, connack } = await connectEcho(`ws://127.0.0.1:${port.ws}/mqtt`, 'alice');
    expect(connack.properties?.authenticationData?.toString()).toBe('welcome alice');
    await client.publishAsync('ws/hello', 'over ws', { qos: 1 });
    await endClient(client);
    expect(broker.listeners[4]).toMatchObject({ protocol: 'ws', url: `ws://127.0.0.1:${port.ws}/mqtt`, name: `ws://127.0.0.1:${port.ws}/mqtt` });

    const socket = new WebSocket(`ws://127.0.0.1:${port.ws}/mqtt`, ['mqtt']);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    expect(socket.protocol).toBe('mqtt');
    socket.close();
  });

  it('a default port that is taken falls back to a free port, and says so', async () => {
    const holder = net.createServer();
    const taken = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as net.AddressInfo).port)));
    const first = await startBroker({ listeners: [{ protocol: 'tcp' }] });
    const second = await startBroker({ listeners: [{ protocol: 'tcp' }] });
    try {
      expect(second.listeners[0]!.fellBack).toBe(true);
      expect(second.listeners[0]!.port).not.toBe(first.listeners[0]!.port);
      await expect(startBroker({ listeners: [{ protocol: 'tcp', port: taken }] })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
      await second.close();
      holder.close();
    }
  });
});

describe('robustness and the record', () => {
  it('the broker survives garbage and hostile bytes, and still serves', async () => {
    const garbage = [
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      Buffer.from([0x00, 0x00]),
      Buffer.from([0x10, 0x02, 0x00, 0x04]),
      Buffer.from([0x10, 0x0a, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x09, 0x02, 0x00, 0x3c]),
      Buffer.from([0x20, 0x02, 0x00, 0x00]),
    ];
    let seed = 42;
    for (let i = 0; i < 40; i++) {
      garbage.push(Buffer.from(Array.from({ length: 1 + (i % 30) }, () => (seed = (seed * 1103515245 + 12345) & 0xff))));
    }
    for (const bytes of garbage) {
      const c = await raw(port.secured);
      c.sendBytes(bytes);
      c.socket.end();
      await c.waitClosed(3_000).catch(() => c.end());
    }
    const unsupported = await raw(port.secured);
    unsupported.sendBytes(garbage[3]!);
    await expectConnack(unsupported, 0x84);

    const { client } = await connectEcho(`mqtt://127.0.0.1:${port.secured}`, 'alice');
    expect(client.connected).toBe(true);
    await endClient(client);
  });

  it('a client that sends faster than aedes handles is read only as fast, and aedes gets every packet in order', async () => {
    let open!: () => void;
    flowGate = new Promise((resolve) => (open = resolve));
    const c = await raw(port.anonymous);
    c.send(connectPacket(clientId('flow')));
    expect(await c.next()).toMatchObject({ cmd: 'connack', reasonCode: 0x00 });
    const count = 2_000;
    const publish = (i: number): Buffer => {
      const payload = Buffer.alloc(1_024);
      payload.writeUInt32BE(i, 0);
      return generatePacket({ cmd: 'publish', topic: 'flow/burst', payload, qos: 0, retain: false, dup: false }, 5);
    };
    // 2 MiB at once, while aedes's hook holds every PUBLISH it gets.
    c.sendBytes(Buffer.concat(Array.from({ length: count }, (_, i) => publish(i))));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const whileHeld = flowSeen.length;
    expect(whileHeld).toBeGreaterThan(0);
    // The gateway stopped reading the client after the first reads: aedes has a few socket reads' worth.
    expect(whileHeld).toBeLessThan(count / 4);
    open();
    await waitFor(() => flowSeen.length === count, 10_000);
    expect(flowSeen).toEqual(Array.from({ length: count }, (_, i) => i));
    c.end();
  });

  it('a client that never sends CONNECT is closed at the deadline', async () => {
    const c = await raw(port.tight);
    const started = Date.now();
    c.sendBytes(Buffer.from([0x10]));
    await c.waitClosed(2_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  });

  it('reports every step and verdict to subscribers, and keeps recent Exchanges', async () => {
    const { client } = await connectEcho(`mqtt://127.0.0.1:${port.secured}`, 'dave');
    const id = client.options.clientId!;
    await endClient(client);
    const mine = events.filter((e) => e.exchange.meta?.clientId === id);
    expect(mine.filter((e) => e.kind === 'step').length).toBeGreaterThanOrEqual(6);
    const verdicts = mine.filter((e) => e.kind === 'verdict');
    expect(verdicts.length).toBe(1);
    expect(verdicts[0]!.exchange.verdict.code).toBe('0x00 Success');
    expect(broker.exchanges.length).toBeLessThanOrEqual(200);
    expect(() => JSON.stringify(broker.exchanges)).not.toThrow();
  });
});
