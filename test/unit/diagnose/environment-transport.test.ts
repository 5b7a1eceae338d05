/**
 * The KDC probe's transports against real loopback sockets standing in for a KDC: UDP datagrams,
 * RFC 4120 §7.2.2 TCP framing (length prefix, replies split across writes), refusals and silence.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readFrame, tcpExchange, udpExchange } from '../../../main/diagnose/environment/transport';
import { freeLoopbackPort } from '../../../main/lab/mit/realm';

const REQUEST = Buffer.from('as-req bytes');
const REPLY = Buffer.from('krb-error bytes');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const frame = (bytes: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);

async function udpServer(answer: boolean): Promise<{ port: number; received: Buffer[] }> {
  const socket = dgram.createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (message, from) => {
    received.push(message);
    if (answer) socket.send(REPLY, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => socket.close(resolve)));
  return { port: socket.address().port, received };
}

async function tcpServer(onData: (socket: net.Socket, data: Buffer) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let buffered = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) onData(socket, buffered);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as net.AddressInfo).port;
}

describe('UDP', () => {
  it('sends one datagram and returns the first one back, with times', async () => {
    const server = await udpServer(true);
    const result = await udpExchange('127.0.0.1', server.port, REQUEST, 2000);
    expect(result.error).toBeUndefined();
    expect(result.reply).toEqual(REPLY);
    expect(server.received).toEqual([REQUEST]);
    expect(result.receivedAt).toBeGreaterThanOrEqual(result.sentAt);
    expect(result.receivedWall).toBeGreaterThanOrEqual(result.sentWall);
  });

  it('reports silence as a timeout', async () => {
    const server = await udpServer(false);
    expect((await udpExchange('127.0.0.1', server.port, REQUEST, 200)).error).toBe('no reply within 200 ms');
  });

  it('reports a closed port as ECONNREFUSED (ICMP port unreachable on a connected socket)', async () => {
    const port = await freeLoopbackPort();
    expect((await udpExchange('127.0.0.1', port, REQUEST, 2000)).error).toMatch(/ECONNREFUSED/);
  });

  it('a socket given the very port it sends to gets its own request back: no reply, tried again from another port', async () => {
    const port = await freeLoopbackPort();
    // Bound to the destination port, nobody else on it: the datagram would come straight back to us.
    const result = await udpExchange('127.0.0.1', port, REQUEST, 2000, port);
    expect(result.reply).toBeUndefined();
    expect(result.error).toMatch(/ECONNREFUSED/);
  });
});

describe('TCP (RFC 4120 §7.2.2)', () => {
  it('frames the request with a 4-byte length and reads a reply split across writes', async () => {
    let seen: Buffer | undefined;
    const port = await tcpServer((socket, data) => {
      seen = data;
      const framed = frame(REPLY);
      socket.write(framed.subarray(0, 3));
      setTimeout(() => socket.write(framed.subarray(3)), 20);
    });
    const result = await tcpExchange('127.0.0.1', port, REQUEST, 2000);
    expect(result.error).toBeUndefined();
    expect(result.reply).toEqual(REPLY);
    expect(seen).toEqual(frame(REQUEST));
  });

  it('refuses a length with the reserved high bit, and a peer that hangs up early', async () => {
    const highBit = await tcpServer((socket) => socket.write(Buffer.from([0x80, 0, 0, 4, 1, 2, 3, 4])));
    expect((await tcpExchange('127.0.0.1', highBit, REQUEST, 2000)).error).toMatch(/not a Kerberos TCP frame/);
    const hangUp = await tcpServer((socket) => socket.end(Buffer.from([0, 0, 0, 9, 1])));
    expect((await tcpExchange('127.0.0.1', hangUp, REQUEST, 2000)).error).toBe('connection closed after 5 byte(s) without a whole reply');
  });

  it('reports a closed port and a silent listener', async () => {
    expect((await tcpExchange('127.0.0.1', await freeLoopbackPort(), REQUEST, 2000)).error).toMatch(/ECONNREFUSED/);
    const silent = await tcpServer(() => {});
    expect((await tcpExchange('127.0.0.1', silent, REQUEST, 200)).error).toBe('no reply within 200 ms');
  });

  it('readFrame waits for the whole frame', () => {
    expect(readFrame(Buffer.from([0, 0]))).toBeNull();
    expect(readFrame(Buffer.from([0, 0, 0, 2, 9]))).toBeNull();
    expect(readFrame(Buffer.from([0, 0, 0, 2, 9, 8]))).toEqual({ reply: Buffer.from([9, 8]) });
    expect(readFrame(Buffer.from([0, 0x20, 0, 0]))).toEqual({ error: 'reply length 2097152 is not a Kerberos TCP frame' });
  });
});
