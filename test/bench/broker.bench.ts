/**
 * MQTT 5 connects per second, one after another (TCP connect → CONNECT → CONNACK → DISCONNECT →
 * close), from a raw client so that the server side is what is measured:
 *   - plain aedes on its own net server (baseline),
 *   - anonymous pass-through via the gateway (framing, CONNECT/CONNACK parse and rewrite, the
 *     AedesLink, the Exchange recorded) — goal ≥ 0.9× plain aedes,
 *   - enhanced authentication via the gateway with the trivial TEST-ECHO method: one challenge
 *     (CONNECT → AUTH 0x18 → AUTH 0x18 → CONNACK, two round trips) and two challenges (three).
 * vitest prints each as a ratio of the fastest. The machine's other load drifts between those
 * sequential runs, so afterwards the same four are measured again interleaved (alternating
 * batches, the same drift for all) and printed as ratios to plain aedes; the anonymous one is
 * recorded as the figure gateway_plain_vs_aedes (median of the rounds' ratios: one round that a
 * burst of other load hits does not move it).
 * Then messages on open connections, where a gateway costs its users most of the time: bursts of
 * 200 QoS 1 PUBLISH (64-byte payload) written at once, every PUBACK awaited, plain aedes against the
 * anonymous listener, interleaved: gateway_publish_vs_aedes.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { recordFigure } from './figures';
import { interleavedTimes, medianSpeedRatio } from './interleave';
import { type Broker, startBroker } from '../../main/broker/broker';
import { generatePacket } from '../../main/broker/framing';
import { RawMqttClient, connectOnce as connectAndAuthenticate, connectPacket } from '../helpers/mqtt-raw';
import { EchoAuthenticator } from '../helpers/test-authenticators';

const SECRET = 'bench';
let plain: Aedes;
let plainServer: net.Server;
let relayServer: net.Server;
let broker: Broker;
const port = { plain: 0, relay: 0, anonymous: 0, enhanced: 0 };
let counter = 0;

beforeAll(async () => {
  plain = await Aedes.createBroker();
  plainServer = net.createServer((socket) => plain.handle(socket));
  await new Promise<void>((resolve) => plainServer.listen(0, '127.0.0.1', resolve));
  port.plain = (plainServer.address() as net.AddressInfo).port;
  relayServer = net.createServer((socket) => plain.handle(new ByteRelay(socket) as unknown as net.Socket));
  await new Promise<void>((resolve) => relayServer.listen(0, '127.0.0.1', resolve));
  port.relay = (relayServer.address() as net.AddressInfo).port;
  broker = await startBroker({
    listeners: [
      { protocol: 'tcp', port: 0, allowAnonymous: true },
      {
        protocol: 'tcp',
        port: 0,
        authenticators: [new EchoAuthenticator({ rounds: 1, secret: SECRET }), new EchoAuthenticator({ method: 'TEST-ECHO-2', rounds: 2, secret: SECRET })],
      },
    ],
  });
  [port.anonymous, port.enhanced] = broker.listeners.map((l) => l.port) as [number, number];
});

const modes: Array<[string, () => Promise<void>]> = [
  ['plain aedes', () => connectOnce(port.plain)],
  ['aedes behind a bare byte relay', () => connectOnce(port.relay)],
  ['gateway, anonymous', () => connectOnce(port.anonymous)],
  ['gateway, TEST-ECHO 1 challenge', () => connectOnce(port.enhanced, 'TEST-ECHO')],
  ['gateway, TEST-ECHO 2 challenges', () => connectOnce(port.enhanced, 'TEST-ECHO-2')],
];


/** Rounds of the interleaved measurement (2 of them warm-up): one round moves by ±10 % on this VM, and the median of 10 still by ±2–3 %. */
const ROUNDS = 32;

afterAll(async () => {
  const batch = 100;
  const times = await interleavedTimes(modes, ROUNDS, batch);
  const rate = (ms: readonly number[]): number => (ms.length * batch * 1000) / ms.reduce((a, b) => a + b, 0);
  console.log('\nMQTT 5 connects per second, interleaved batches (wall clock; ratio to plain aedes: overall, median round, by CPU time):');
  modes.forEach(([name], i) => {
    const t = times[i]!;
    const overall = rate(t.wall) / rate(times[0]!.wall);
    const byCpu = rate(t.cpu) / rate(times[0]!.cpu);
    console.log(`  ${name.padEnd(34)} ${rate(t.wall).toFixed(0).padStart(6)}/s  ${overall.toFixed(2)}×  ${medianSpeedRatio(t.wall, times[0]!.wall).toFixed(2)}×  ${byCpu.toFixed(2)}×`);
  });
  recordFigure({
    key: 'gateway_plain_vs_aedes',
    value: medianSpeedRatio(times[2]!.wall, times[0]!.wall),
    unit: '×',
    detail: `anonymous MQTT 5 connect→CONNACK→DISCONNECT through the gateway ÷ plain aedes; median of ${times[0]!.wall.length} interleaved rounds of ${batch} (rounds ${spread(times[2]!.wall, times[0]!.wall)})`,
  });
  await measurePublishing();
  recordFigure({
    key: 'aedes_behind_relay_vs_aedes',
    value: medianSpeedRatio(times[1]!.wall, times[0]!.wall),
    unit: '×',
    detail: 'plain aedes given a Duplex that only relays the socket\'s bytes (what any gateway in front of aedes adds at the least) ÷ plain aedes, same rounds',
  });
  await broker.close();
  plainServer.close();
  relayServer.close();
  await new Promise<void>((resolve) => plain.close(() => resolve()));
}, 300_000);

/** The middle 80 % of the rounds' ratios of mode `a` to mode `b`, as "0.85–0.97". */
function spread(a: readonly number[], b: readonly number[]): string {
  const ratios = a.map((t, round) => b[round]! / t).sort((x, y) => x - y);
  const at = (q: number) => ratios[Math.min(ratios.length - 1, Math.floor(q * ratios.length))]!.toFixed(2);
  return `${at(0.1)}–${at(0.9)}`;
}

/**
 * The least a gateway in front of aedes can be: the client's bytes in, aedes's bytes out, nothing
 * read. It shows what the stream hop itself costs, apart from the gateway's own work.
 */
class ByteRelay extends Duplex {
  constructor(private readonly socket: net.Socket) {
    super();
    socket.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
    socket.on('error', () => undefined);
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.socket.write(chunk, () => done());
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, done: () => void): void {
    this.socket.write(Buffer.concat(chunks.map((c) => c.chunk)), () => done());
  }

  override _destroy(_error: Error | null, done: (error?: Error | null) => void): void {
    this.socket.destroy();
    done(null);
  }
}

const BURST = 200;

/** A client connected to `target` that publishes bursts of QoS 1 messages and awaits their PUBACKs. */
async function publisher(target: number): Promise<{ burst(): Promise<void>; end(): void }> {
  const client = await RawMqttClient.connect({ port: target });
  client.send(connectPacket(`bench-publisher-${++counter}`));
  const connack = await client.next();
  if (connack.cmd !== 'connack') throw new Error(`expected CONNACK, got ${connack.cmd}`);
  let messageId = 0;
  const payload = Buffer.alloc(64, 0x2a);
  return {
    async burst() {
      const packets: Buffer[] = [];
      for (let i = 0; i < BURST; i++) {
        messageId = (messageId % 65_000) + 1;
        packets.push(generatePacket({ cmd: 'publish', topic: 'bench/burst', payload, qos: 1, messageId, retain: false, dup: false }, 5));
      }
      client.sendBytes(Buffer.concat(packets));
      for (let i = 0; i < BURST; i++) {
        const ack = await client.next();
        if (ack.cmd !== 'puback') throw new Error(`expected PUBACK, got ${ack.cmd}`);
      }
    },
    end: () => client.end(),
  };
}

async function measurePublishing(): Promise<void> {
  const viaAedes = await publisher(port.plain);
  const viaGateway = await publisher(port.anonymous);
  const batch = 5;
  const times = await interleavedTimes(
    [
      ['plain aedes', () => viaAedes.burst()],
      ['gateway, anonymous', () => viaGateway.burst()],
    ],
    12,
    batch,
  );
  viaAedes.end();
  viaGateway.end();
  const rate = (ms: readonly number[]): number => (ms.length * batch * BURST * 1000) / ms.reduce((a, b) => a + b, 0);
  console.log(`\nQoS 1 PUBLISH→PUBACK per second on an open connection, bursts of ${BURST}: plain aedes ${rate(times[0]!.wall).toFixed(0)}/s, through the gateway ${rate(times[1]!.wall).toFixed(0)}/s`);
  recordFigure({
    key: 'gateway_publish_vs_aedes',
    value: medianSpeedRatio(times[1]!.wall, times[0]!.wall),
    unit: '×',
    detail: `QoS 1 PUBLISH→PUBACK in bursts of ${BURST} on an open connection through the gateway ÷ plain aedes; median of ${times[0]!.wall.length} interleaved rounds of ${batch} bursts`,
  });
}

/** One connect (TCP, CONNECT, any TEST-ECHO rounds, CONNACK, DISCONNECT, close) to `target`. */
async function connectOnce(target: number, method?: string): Promise<void> {
  const auth = method ? { method, data: Buffer.from('alice'), answer: () => Buffer.from(SECRET) } : undefined;
  await connectAndAuthenticate({ port: target }, `bench-${++counter}`, auth);
}

describe('MQTT 5 connects per second (sequential)', () => {
  bench('plain aedes (baseline)', () => connectOnce(port.plain), { time: 3_000, warmupTime: 500 });
  bench('gateway → aedes, anonymous pass-through', () => connectOnce(port.anonymous), { time: 3_000, warmupTime: 500 });
  bench('gateway → aedes, enhanced auth TEST-ECHO, 1 challenge', () => connectOnce(port.enhanced, 'TEST-ECHO'), { time: 3_000, warmupTime: 500 });
  bench('gateway → aedes, enhanced auth TEST-ECHO, 2 challenges', () => connectOnce(port.enhanced, 'TEST-ECHO-2'), { time: 3_000, warmupTime: 500 });
});
