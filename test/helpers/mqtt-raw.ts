/**
 * A raw MQTT client for broker tests and benchmarks: sends exactly the packets (or bytes) it is
 * told to and hands back each packet the server sends, so tests can break the protocol on
 * purpose and read the exact reason codes. Framing and parsing are the gateway's own.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { IAuthPacket, IConnackPacket, Packet } from 'mqtt-packet';
import { PacketFramer, PacketParser, type ProtocolVersion, generatePacket } from '../../main/broker/framing';

export interface RawTarget {
  port: number;
  host?: string;
  /** Connect with TLS, trusting this CA (PEM). */
  tlsCa?: Buffer;
}

export class RawMqttClient {
  readonly received: Packet[] = [];
  /** Resolves when the server closes the connection. */
  readonly closed: Promise<void>;
  private readonly framer = new PacketFramer();
  private readonly parser: PacketParser;
  private waiting: Array<() => void> = [];
  private isClosed = false;

  private constructor(
    readonly socket: net.Socket,
    readonly protocolVersion: ProtocolVersion,
  ) {
    this.parser = new PacketParser(protocolVersion);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.framer.push(chunk).packets) this.received.push(this.parser.parse(frame.bytes));
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static async connect(target: RawTarget, protocolVersion: ProtocolVersion = 5): Promise<RawMqttClient> {
    const host = target.host ?? '127.0.0.1';
    const socket = target.tlsCa
      ? tls.connect({ host, port: target.port, ca: target.tlsCa, servername: 'localhost' })
      : net.connect({ host, port: target.port });
    await new Promise<void>((resolve, reject) => {
      socket.once(target.tlsCa ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    return new RawMqttClient(socket, protocolVersion);
  }

  send(packet: Packet): void {
    this.socket.write(generatePacket(packet, this.protocolVersion));
  }

  sendBytes(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  /** The next packet from the server; rejects when the connection closes first or on timeout. */
  async next(timeoutMs = 5_000): Promise<Packet> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length === 0) {
      if (this.isClosed) throw new Error('the server closed the connection');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no packet within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received.shift()!;
  }

  /** Waits for the server to close the connection. */
  async waitClosed(timeoutMs = 5_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closed,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still open after ${timeoutMs} ms`)), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
  }

  end(): void {
    this.socket.destroy();
  }
}

/** A minimal MQTT 5 CONNECT. */
export function connectPacket(clientId: string, options: { method?: string; data?: Buffer; protocolVersion?: ProtocolVersion; username?: string } = {}): Packet {
  const protocolVersion = options.protocolVersion ?? 5;
  const properties = options.method !== undefined ? { authenticationMethod: options.method, ...(options.data ? { authenticationData: options.data } : {}) } : undefined;
  return {
    cmd: 'connect',
    protocolId: protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion,
    clientId,
    clean: true,
    keepalive: 60,
    ...(options.username ? { username: options.username } : {}),
    ...(properties && protocolVersion === 5 ? { properties } : {}),
  };
}

export function authPacketOf(reasonCode: number, method: string, data?: Buffer): Packet {
  return { cmd: 'auth', reasonCode, properties: { authenticationMethod: method, ...(data ? { authenticationData: data } : {}) } };
}

/** How a client authenticates in `connectOnce`: the method, the CONNECT's data, and its answer to each AUTH 0x18. */
export interface EnhancedAuth {
  method: string;
  data?: Buffer;
  /** The answer to the `round`-th challenge (1, 2 …), given its Authentication Data. */
  answer(round: number, challenge: Buffer | undefined): Buffer | Promise<Buffer>;
}

/**
 * One whole connection as a well-behaved client: CONNECT (with enhanced authentication when
 * `auth` is given), an answer to every AUTH 0x18, CONNACK 0x00, DISCONNECT, and the server's
 * close awaited. Throws on any other packet.
 */
export async function connectOnce(target: RawTarget, clientId: string, auth?: EnhancedAuth): Promise<void> {
  const client = await RawMqttClient.connect(target);
  try {
    client.send(connectPacket(clientId, auth ? { method: auth.method, ...(auth.data ? { data: auth.data } : {}) } : {}));
    let packet = await client.next();
    for (let round = 1; packet.cmd === 'auth' && auth; round++) {
      const { reasonCode, properties } = packet as IAuthPacket;
      if (reasonCode !== 0x18) throw new Error(`unexpected AUTH ${reasonCode}`);
      client.send(authPacketOf(0x18, auth.method, await auth.answer(round, properties?.authenticationData as Buffer | undefined)));
      packet = await client.next();
    }
    if (packet.cmd !== 'connack' || (packet as IConnackPacket).reasonCode !== 0) throw new Error(`refused: ${JSON.stringify(packet)}`);
    client.send({ cmd: 'disconnect', reasonCode: 0 });
    await client.closed;
  } finally {
    client.end();
  }
}
