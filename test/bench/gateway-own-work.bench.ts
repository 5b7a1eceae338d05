/**
 * What the gateway itself costs per anonymous connect, without sockets: the same CONNECT →
 * CONNACK → DISCONNECT over an in-memory stream, handed to plain aedes or to the gateway (in front
 * of another aedes), interleaved, CPU time per connect. Over TCP the kernel and the client add
 * their share and this VM's noise to both sides; here only the server's work is left, so the
 * difference is the gateway's own (framing, parse with the UTF-8 checks, the Exchange, the
 * deadline, the link, the CONNACK completed): gateway_own_cpu_us_per_connect.
 */
import { Duplex } from 'node:stream';
import { Aedes } from 'aedes';
import { afterAll, bench, describe } from 'vitest';
import { Gateway, type GatewayListener } from '../../main/broker/gateway';
import { PacketType, generatePacket } from '../../main/broker/framing';
import type { Exchange } from '../../main/exchange/model';
import { connectPacket } from '../helpers/mqtt-raw';
import { recordFigure } from './figures';
import { interleavedTimes, median } from './interleave';

/** The client's side of an in-memory connection: bytes pushed in, the server's writes watched for CONNACK. */
class MemoryConnection extends Duplex {
  private connacked!: () => void;
  readonly connack = new Promise<void>((resolve) => (this.connacked = resolve));
  readonly gone = new Promise<void>((resolve) => this.once('close', () => resolve()));

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.watch(chunk);
    done();
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, done: () => void): void {
    this.watch(chunks[0]!.chunk);
    done();
  }

  private watch(first: Buffer): void {
    if (first[0]! >> 4 === PacketType.CONNACK) this.connacked();
  }
}

const listener: GatewayListener = {
  info: { name: 'tcp://127.0.0.1:1883', protocol: 'tcp' },
  authenticators: new Map(),
  allowAnonymous: true,
  maxPacketSize: 1024 * 1024,
  maxAuthRounds: 10,
  authDeadlineMs: 10_000,
  holdDeadlineWhileStepping: true,
};
const DISCONNECT = generatePacket({ cmd: 'disconnect', reasonCode: 0 }, 5);
const BATCH = 300;

let plain: Aedes | undefined;
let behindGateway: Aedes | undefined;
let counter = 0;

async function servers(): Promise<{ plain: Aedes; gateway: Gateway }> {
  plain = await Aedes.createBroker();
  const late: { gateway?: Gateway } = {};
  behindGateway = await Aedes.createBroker({ maximumPacketSize: 0, authenticate: (...args) => late.gateway!.authenticate(...args) });
  // The broker keeps its recent Exchanges (broker.ts); so does this sink.
  const recent: Exchange[] = [];
  late.gateway = new Gateway({
    aedes: behindGateway,
    exchanges: {
      opened: (recorder) => {
        recent.push(recorder.exchange);
        if (recent.length > 200) recent.shift();
      },
      verdict: () => undefined,
    },
  });
  return { plain, gateway: late.gateway };
}

/** One in-memory connect through `accept`: CONNECT, CONNACK awaited, DISCONNECT, close awaited. */
async function connectOnce(accept: (connection: MemoryConnection) => void): Promise<void> {
  const connection = new MemoryConnection();
  accept(connection);
  connection.push(generatePacket(connectPacket(`own-${++counter}`), 5));
  await connection.connack;
  connection.push(DISCONNECT);
  await connection.gone;
}

async function measure(): Promise<void> {
  const { plain: aedes, gateway } = await servers();
  const times = await interleavedTimes(
    [
      ['plain aedes', () => connectOnce((c) => aedes.handle(c as never))],
      ['gateway', () => connectOnce((c) => gateway.accept(c, listener, '127.0.0.1:50000'))],
    ],
    32,
    BATCH,
  );
  const perConnect = (cpuMs: readonly number[]): number[] => cpuMs.map((ms) => (ms * 1000) / BATCH);
  const plainUs = perConnect(times[0]!.cpu);
  const gatewayUs = perConnect(times[1]!.cpu);
  const own = median(gatewayUs.map((us, round) => us - plainUs[round]!));
  console.log(`\nCPU per anonymous connect in process (median of rounds): plain aedes ${median(plainUs).toFixed(0)} µs, through the gateway ${median(gatewayUs).toFixed(0)} µs`);
  recordFigure({
    key: 'gateway_own_cpu_us_per_connect',
    value: Math.round(own),
    unit: 'µs',
    detail: `CPU of an anonymous connect through the gateway minus plain aedes's (${median(plainUs).toFixed(0)} µs), in-memory streams, median of ${plainUs.length} interleaved rounds of ${BATCH}`,
  });
}

// At the top level: vitest's bench mode does not run a describe block's afterAll.
afterAll(async () => {
  for (const aedes of [plain, behindGateway]) if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
});

describe('the gateway\'s own work per connect, in process', () => {
  bench('plain aedes and the gateway, interleaved (figure)', measure, { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 });
});
