/**
 * One request, one reply, over UDP or TCP (RFC 4120 §7.2), each bounded by a timeout. Failures
 * come back as data ("ECONNREFUSED", "no reply within 1500 ms"), never as exceptions.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { errorText } from './types';

export interface ExchangeResult {
  reply?: Buffer;
  error?: string;
  /** performance.now() when the request left and when the reply arrived. */
  sentAt: number;
  receivedAt: number;
  /** Wall clock at the same two moments (the clock-skew comparison needs wall time). */
  sentWall: number;
  receivedWall: number;
}

/** Largest reply accepted over TCP; real KDC replies (with a big PAC) stay far below. */
const MAX_TCP_REPLY = 1 << 20;

function started(): Pick<ExchangeResult, 'sentAt' | 'sentWall'> {
  return { sentAt: performance.now(), sentWall: Date.now() };
}

function finished(start: Pick<ExchangeResult, 'sentAt' | 'sentWall'>, outcome: { reply?: Buffer; error?: string }): ExchangeResult {
  return { ...start, ...outcome, receivedAt: performance.now(), receivedWall: Date.now() };
}

/**
 * One datagram, the first datagram back. The socket is connected, so an ICMP "port unreachable"
 * surfaces as ECONNREFUSED instead of a silent timeout. A socket the system gave the very port it
 * sends to (a KDC port in the ephemeral range, nobody listening) receives its own request back:
 * that is no reply, so it is tried again from another port. `firstLocalPort` forces that case (tests).
 */
export async function udpExchange(address: string, port: number, request: Buffer, timeoutMs: number, firstLocalPort?: number): Promise<ExchangeResult> {
  for (let attempt = 1; ; attempt++) {
    const result = await udpOnce(address, port, request, timeoutMs, attempt === 1 ? firstLocalPort : undefined);
    if (result !== SELF_CONNECTED) return result;
    if (attempt >= 3) return finished(started(), { error: `the socket was given port ${port} itself three times: no answer from ${address}:${port} could be told apart from its own request` });
  }
}

const SELF_CONNECTED = Symbol('self-connected');

function udpOnce(address: string, port: number, request: Buffer, timeoutMs: number, localPort?: number): Promise<ExchangeResult | typeof SELF_CONNECTED> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    const start = started();
    let done = false;
    const end = (outcome: { reply?: Buffer; error?: string } | typeof SELF_CONNECTED) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(outcome === SELF_CONNECTED ? outcome : finished(start, outcome));
    };
    const timer = setTimeout(() => end({ error: `no reply within ${timeoutMs} ms` }), timeoutMs);
    socket.on('error', (error) => end({ error: errorText(error) }));
    socket.on('message', (message) => end({ reply: message }));
    const send = () =>
      socket.connect(port, address, () => {
        const local = socket.address();
        if (local.port === port && local.address === socket.remoteAddress().address) return end(SELF_CONNECTED);
        Object.assign(start, started());
        socket.send(request, (error) => error && end({ error: errorText(error) }));
      });
    if (localPort === undefined) send();
    else socket.bind(localPort, address, send);
  });
}

/** A 4-byte big-endian length, then the message; the reply comes back framed the same way (§7.2.2). */
export function tcpExchange(address: string, port: number, request: Buffer, timeoutMs: number): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    const start = started();
    const socket = net.connect({ host: address, port });
    let received = Buffer.alloc(0);
    let done = false;
    const end = (outcome: { reply?: Buffer; error?: string }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(finished(start, outcome));
    };
    const timer = setTimeout(() => end({ error: `${socket.connecting ? 'no connection' : 'no reply'} within ${timeoutMs} ms` }), timeoutMs);
    socket.on('error', (error) => end({ error: errorText(error) }));
    socket.on('connect', () => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(request.length);
      socket.write(Buffer.concat([length, request]));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const framed = readFrame(received);
      if (framed) end(framed);
    });
    socket.on('end', () => end({ error: `connection closed after ${received.length} byte(s) without a whole reply` }));
  });
}

/** A whole frame, an error for an impossible length, or null while more bytes are due. */
export function readFrame(bytes: Buffer): { reply?: Buffer; error?: string } | null {
  if (bytes.length < 4) return null;
  const length = bytes.readUInt32BE(0);
  // The high bit is reserved (RFC 4120 §7.2.2): a peer that sets it is no Kerberos KDC.
  if (length & 0x80000000 || length > MAX_TCP_REPLY) return { error: `reply length ${length} is not a Kerberos TCP frame` };
  return bytes.length >= 4 + length ? { reply: bytes.subarray(4, 4 + length) } : null;
}
