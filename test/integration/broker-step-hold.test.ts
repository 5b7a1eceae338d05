/**
 * The gateway's authentication deadline and its hold for a stepping bench probe, over real
 * sockets with the TEST-ECHO method (no Kerberos needed): a CONNECT (or AUTH 0x19) with the User
 * Property kbench-step: 1 from a loopback address, on a listener that holds it, runs under the
 * 10-minute cap and is told "held" on each AUTH 0x18; any other connection — no property, a
 * listener that does not hold, a peer that is not loopback — keeps the normal deadline and is
 * told the milliseconds left, and is refused with 0x87 when they run out.
 */
import net from 'node:net';
import { Aedes } from 'aedes';
import type { IAuthPacket, IConnackPacket, IConnectPacket, IDisconnectPacket } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReasonCode } from '../../main/broker/auth';
import { DEADLINE_PROPERTY, HELD, STEPPING_PROPERTY } from '../../main/broker/auth-deadline';
import { type Broker, startBroker } from '../../main/broker/broker';
import { Gateway, type GatewayListener } from '../../main/broker/gateway';
import type { Exchange } from '../../main/exchange/model';
import { RawMqttClient, authPacketOf, connectPacket } from '../helpers/mqtt-raw';
import { EchoAuthenticator } from '../helpers/test-authenticators';

const SECRET = 's3cret';
/** Short, but long enough that a loaded machine still gets its CONNECT in before it. */
const DEADLINE_MS = 1_500;
const echo = new EchoAuthenticator({ rounds: 2, secret: SECRET });
const STEPPING = { [STEPPING_PROPERTY]: '1' };

let broker: Broker;
const port = { holding: 0, strict: 0 };

beforeAll(async () => {
  broker = await startBroker({
    listeners: [
      { protocol: 'tcp', port: 0, authenticators: [echo], authDeadlineMs: DEADLINE_MS },
      { protocol: 'tcp', port: 0, authenticators: [echo], authDeadlineMs: DEADLINE_MS, holdDeadlineWhileStepping: false },
    ],
  });
  [port.holding, port.strict] = broker.listeners.map((l) => l.port) as [number, number];
});

afterAll(async () => {
  await broker?.close();
});

let counter = 0;
const clientId = (prefix: string) => `${prefix}-${++counter}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CONNECT with TEST-ECHO (and the stepping property when asked); the first AUTH 0x18 the gateway sends. */
async function connectEcho(p: number, id: string, stepping: boolean): Promise<{ client: RawMqttClient; challenge: IAuthPacket }> {
  const client = await RawMqttClient.connect({ port: p });
  const packet = connectPacket(id, { method: 'TEST-ECHO', data: Buffer.from('alice') }) as IConnectPacket;
  if (stepping) packet.properties = { ...packet.properties, userProperties: STEPPING };
  client.send(packet);
  const challenge = (await client.next()) as IAuthPacket;
  expect(challenge).toMatchObject({ cmd: 'auth', reasonCode: ReasonCode.ContinueAuthentication });
  return { client, challenge };
}

const advertised = (packet: IAuthPacket) => packet.properties?.userProperties?.[DEADLINE_PROPERTY];
const exchangeOf = (id: string): Exchange => broker.exchanges.filter((e) => e.meta?.clientId === id).at(-1)!;

/** The normal deadline: a number of ms no larger than the deadline, then CONNACK 0x87 about when it passes. */
async function expectNormalDeadline(client: RawMqttClient, challenge: IAuthPacket, startedAt: number): Promise<void> {
  const left = Number(advertised(challenge));
  expect(left).toBeGreaterThan(0);
  expect(left).toBeLessThanOrEqual(DEADLINE_MS);
  const connack = (await client.next(3_000)) as IConnackPacket;
  expect(connack).toMatchObject({ cmd: 'connack', reasonCode: ReasonCode.NotAuthorized });
  expect(connack.properties?.reasonString).toBe(`authentication did not finish within ${DEADLINE_MS} ms (this listener's deadline)`);
  expect(Date.now() - startedAt).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
  expect(Date.now() - startedAt).toBeLessThan(DEADLINE_MS + 1_000);
}

describe('holding the authentication deadline for a stepping bench probe', () => {
  it('reports each listener\'s deadline and hold: on by default on 127.0.0.1, off when set so', () => {
    expect(broker.listeners.map((l) => [l.authDeadlineMs, l.holdDeadlineWhileStepping])).toEqual([
      [DEADLINE_MS, true],
      [DEADLINE_MS, false],
    ]);
  });

  it('a stepping CONNECT from loopback is held: "held" on each AUTH 0x18, and it may take longer than the deadline', async () => {
    const id = clientId('held');
    const { client, challenge } = await connectEcho(port.holding, id, true);
    expect(advertised(challenge)).toBe(HELD);
    await sleep(DEADLINE_MS + 400);
    client.send(authPacketOf(ReasonCode.ContinueAuthentication, 'TEST-ECHO', Buffer.from(SECRET)));
    const second = (await client.next()) as IAuthPacket;
    expect(advertised(second)).toBe(HELD);
    await sleep(DEADLINE_MS + 400);
    client.send(authPacketOf(ReasonCode.ContinueAuthentication, 'TEST-ECHO', Buffer.from(SECRET)));
    const connack = (await client.next()) as IConnackPacket;
    expect(connack).toMatchObject({ cmd: 'connack', reasonCode: ReasonCode.Success });
    // The transcript says so: on the CONNECT that asked for it, in the Exchange's meta, on each AUTH 0x18.
    const exchange = exchangeOf(id);
    expect(exchange.verdict.outcome).toBe('success');
    expect(exchange.steps[0]!.transport.fields).toMatchObject({ userProperties: `${STEPPING_PROPERTY}=1`, authDeadline: `held: a bench probe steps (up to 600 s instead of ${DEADLINE_MS} ms)` });
    expect(exchange.meta?.authDeadline).toMatch(/^held/);
    expect(exchange.steps.filter((s) => s.transport.packet === 'AUTH' && s.direction === 'server-to-client').map((s) => s.transport.fields?.userProperties)).toEqual([
      `${DEADLINE_PROPERTY}=held`,
      `${DEADLINE_PROPERTY}=held`,
    ]);
    client.end();
  });

  it('a CONNECT without the property keeps the normal deadline, and is told how long it has', async () => {
    const started = Date.now();
    const { client, challenge } = await connectEcho(port.holding, clientId('plain'), false);
    await expectNormalDeadline(client, challenge, started);
  });

  it('a listener that does not hold it keeps the deadline for a stepping CONNECT too', async () => {
    const id = clientId('strict');
    const started = Date.now();
    const { client, challenge } = await connectEcho(port.strict, id, true);
    await expectNormalDeadline(client, challenge, started);
    expect(exchangeOf(id).steps[0]!.transport.fields?.authDeadline).toBeUndefined();
  });

  it('a stepping re-authentication (AUTH 0x19) is held as well', async () => {
    const id = clientId('reauth');
    const { client } = await connectEcho(port.holding, id, false);
    for (let i = 0; i < 2; i++) {
      client.send(authPacketOf(ReasonCode.ContinueAuthentication, 'TEST-ECHO', Buffer.from(SECRET)));
      await client.next();
    }
    const reauth = authPacketOf(ReasonCode.ReAuthenticate, 'TEST-ECHO', Buffer.from('alice')) as IAuthPacket;
    reauth.properties = { ...reauth.properties!, userProperties: STEPPING };
    client.send(reauth);
    const challenge = (await client.next()) as IAuthPacket;
    expect(advertised(challenge)).toBe(HELD);
    await sleep(DEADLINE_MS + 400);
    client.send(authPacketOf(ReasonCode.ContinueAuthentication, 'TEST-ECHO', Buffer.from(SECRET)));
    await client.next();
    client.send(authPacketOf(ReasonCode.ContinueAuthentication, 'TEST-ECHO', Buffer.from(SECRET)));
    expect(await client.next()).toMatchObject({ cmd: 'auth', reasonCode: ReasonCode.Success });
    client.end();
  });

  it('a re-authentication without the property is cut at the deadline (DISCONNECT 0x87)', async () => {
    const { client } = await connectEcho(port.holding, clientId('reauth-plain'), false);
    for (let i = 0; i < 2; i++) {
      client.send(authPacketOf(ReasonCode.ContinueAuthentication, 'TEST-ECHO', Buffer.from(SECRET)));
      await client.next();
    }
    client.send(authPacketOf(ReasonCode.ReAuthenticate, 'TEST-ECHO', Buffer.from('alice')));
    expect(Number(advertised((await client.next()) as IAuthPacket))).toBeLessThanOrEqual(DEADLINE_MS);
    const disconnect = (await client.next(3_000)) as IDisconnectPacket;
    expect(disconnect).toMatchObject({ cmd: 'disconnect', reasonCode: ReasonCode.NotAuthorized });
    expect(disconnect.properties?.reasonString).toBe(`re-authentication failed: it did not finish within ${DEADLINE_MS} ms (this listener's deadline)`);
  });
});

describe('a peer that is not on this machine', () => {
  it('never gets the hold, even on a listener that holds it and with the property', async () => {
    // The gateway takes the peer's address from the listener; this server hands it a documentation
    // address (RFC 5737) for a real loopback socket, as a connection from another machine would arrive.
    const exchanges: Exchange[] = [];
    const late: { gateway?: Gateway } = {};
    const aedes = await Aedes.createBroker({ authenticate: (c, u, p, done) => late.gateway!.authenticate(c, u, p, done) });
    const gateway = (late.gateway = new Gateway({ aedes, exchanges: { opened: (r) => exchanges.push(r.exchange), verdict: () => undefined } }));
    const listener: GatewayListener = {
      info: { name: 'tcp://0.0.0.0:0', protocol: 'tcp' },
      authenticators: new Map([[echo.method, echo]]),
      allowAnonymous: false,
      maxPacketSize: 1024 * 1024,
      maxAuthRounds: 10,
      authDeadlineMs: DEADLINE_MS,
      holdDeadlineWhileStepping: true,
    };
    const server = net.createServer((socket) => gateway.accept(socket, listener, '192.0.2.10:40000'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const { client, challenge } = await connectEcho((server.address() as net.AddressInfo).port, clientId('remote'), true);
      await expectNormalDeadline(client, challenge, started);
      expect(exchanges[0]!.meta?.authDeadline).toBeUndefined();
    } finally {
      gateway.closeAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    }
  });
});
