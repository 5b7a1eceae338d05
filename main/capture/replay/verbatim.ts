/**
 * Verbatim replay: the captured client packets' bytes sent again, as they were — CONNECT, then
 * each client AUTH once the server has answered the one before (MQTT 5 §4.12 enhanced
 * authentication). A Kerberos acceptor must refuse them: the authenticator is in its replay cache
 * (RFC 4120 §3.2.3) when it saw the original, or outside its clock skew when the capture is old,
 * or the ticket's key is unknown to it. Which one it was is read from the server's refusal
 * (CONNACK reason code and Reason String) through the diagnosis catalog; the verdict says why in
 * words. A server that accepts the bytes keeps no replay cache, and the verdict says that too.
 *
 * Our own socket and framing rather than MQTT.js: MQTT.js builds its own CONNECT, and the point
 * here is to send the captured bytes unchanged.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Packet } from 'mqtt-packet';
import { createWebSocketStream, WebSocket } from 'ws';
import { ReasonCode } from '../../broker/auth';
import { PacketFramer, PacketType, parsePacket, peekProtocolLevel, readFixedHeader, type Frame, type ProtocolVersion } from '../../broker/framing';
import { describePacket, mqttReasonLabel, packetCode } from '../../broker/packets';
import { diagnoseObservations } from '../../diagnose/diagnosis';
import { observeExchange } from '../../diagnose/observations';
import { BenchFailure } from '../../engine/failure';
import type { Exchange, ExchangeStep, TransportPacket } from '../../exchange/model';
import { ExchangeRecorder } from '../../exchange/recorder';
import { packetLabel } from '../../exchange/diff';

/** How long to wait for the connection and for each answer of the server. */
export const REPLAY_WAIT_MS = 10_000;
/** Server packets read at most, whatever it sends: a replay never loops on a chatty server. */
const MAX_SERVER_PACKETS = 64;
/** The largest packet taken from the server (Kerberos tokens are a few KiB). */
const MAX_PACKET_BYTES = 1024 * 1024;

const DEFAULT_PORTS: Record<string, number> = { 'mqtt:': 1883, 'mqtts:': 8883, 'ws:': 8083, 'wss:': 8084 };

/** What the diagnosis found behind a refusal, as the sentence a verbatim replay's verdict starts with. */
const REFUSAL_WORDS: Record<string, string> = {
  replay: "refused as a replay: the acceptor's replay cache holds this authenticator (that proves the cache works)",
  'clock-skew': "refused for clock skew: the captured authenticator's time is outside the server's allowed skew (a verbatim replay of an older capture always ends so; the replay cache is not even consulted)",
  'ticket-expired': 'refused: the captured ticket has expired since the capture',
  'ticket-not-yet-valid': "refused: the captured ticket is not yet valid by the server's clock",
  'keytab-kvno-out-of-date': 'refused for an unknown key: the server no longer holds the key version the captured ticket was encrypted with',
  'ticket-kvno-out-of-date': 'refused for an unknown key: the captured ticket names a key version the server does not hold',
  'keytab-no-matching-entry': 'refused for an unknown key: the server has no key for the service the captured ticket is for',
  'keytab-wrong-key': 'refused for an unknown key: the server holds a key for that service, but not the one the captured ticket was encrypted with',
  'keytab-missing-enctype': "refused for an unknown key: the server has no key of the captured ticket's enctype",
  'wrong-principal': 'refused: the captured ticket is for another service than the server accepts',
};

const ACCEPTED =
  'accepted: the server took the captured bytes again — it keeps no replay cache (or never saw the original), so anyone who captured these packets can log in with them until the ticket expires';

/** Opens the byte stream to `to`: TCP, TLS (certificate not checked: a replay tests authentication, not the server's identity) or WebSocket. */
export function openStream(to: string): { stream: Duplex; notes: string[] } {
  let url: URL;
  try {
    url = new URL(to);
  } catch {
    throw new BenchFailure(`"${to}" is not a URL: give mqtt://host:port, mqtts://host:port or ws://host:port/mqtt`);
  }
  const port = Number(url.port || DEFAULT_PORTS[url.protocol]);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  switch (url.protocol) {
    case 'mqtt:':
      return { stream: net.connect({ host, port }), notes: [] };
    case 'mqtts:':
      return {
        stream: tls.connect({ host, port, rejectUnauthorized: false, ...(net.isIP(host) ? {} : { servername: host }) }),
        notes: ["TLS: the server's certificate was not checked (a verbatim replay tests its authentication, not its identity)"],
      };
    case 'ws:':
    case 'wss:':
      return { stream: createWebSocketStream(new WebSocket(url, ['mqtt'], { rejectUnauthorized: false, handshakeTimeout: REPLAY_WAIT_MS })), notes: [] };
    default:
      throw new BenchFailure(`a verbatim replay speaks mqtt://, mqtts://, ws:// and wss://, not ${url.protocol}//`);
  }
}

type Arrival = { kind: 'frame'; frame: Frame } | { kind: 'closed'; why: string } | { kind: 'timeout' };

/** The server's packets, one at a time, each wait bounded. */
class ServerPackets {
  private readonly framer = new PacketFramer(MAX_PACKET_BYTES);
  private readonly queue: Frame[] = [];
  private ended: string | undefined;
  private waiter: ((arrival: Arrival) => void) | undefined;

  constructor(readonly stream: Duplex) {
    stream.on('data', (chunk: Buffer) => {
      const result = this.framer.push(chunk);
      this.queue.push(...result.packets);
      if (result.oversize) this.end(`the server sent a packet of ${result.oversize.packetLength} bytes (more than ${MAX_PACKET_BYTES} taken)`);
      else if (result.malformed) this.end(`the server sent bytes that are not MQTT: ${result.malformed.message}`);
      this.wake();
    });
    stream.on('error', (error: Error) => this.end(error.message));
    stream.on('close', () => this.end('the server closed the connection'));
  }

  private end(why: string): void {
    this.ended ??= why;
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    const frame = this.queue.shift();
    if (frame) waiter({ kind: 'frame', frame });
    else if (this.ended) waiter({ kind: 'closed', why: this.ended });
  }

  next(timeoutMs: number): Promise<Arrival> {
    const frame = this.queue.shift();
    if (frame) return Promise.resolve({ kind: 'frame', frame });
    if (this.ended) return Promise.resolve({ kind: 'closed', why: this.ended });
    return new Promise<Arrival>((resolve) => {
      const timer = setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
      const settle = (arrival: Arrival) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(arrival);
      };
      this.waiter = settle;
    });
  }
}

/** Resolves once the stream is connected (TLS: handshake done), or with why it is not. */
function connected(stream: Duplex): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(`no connection within ${REPLAY_WAIT_MS / 1000} s`), REPLAY_WAIT_MS);
    const done = (why?: string) => {
      clearTimeout(timer);
      stream.off('error', onError);
      resolve(why);
    };
    const onError = (error: Error & { code?: string }) => done(error.code === 'ECONNREFUSED' ? `${error.message}: nothing listens there` : error.message);
    stream.once('error', onError);
    const event = stream instanceof tls.TLSSocket ? 'secureConnect' : stream instanceof net.Socket ? 'connect' : undefined;
    // A WebSocket stream accepts writes before the upgrade and sends them after it.
    if (event) stream.once(event, () => done());
    else done();
  });
}

/** The captured client packets a verbatim replay sends: every client step with its bytes, in order. */
export function capturedClientPackets(exchange: Exchange): ExchangeStep[] {
  const steps = exchange.steps.filter((s) => s.direction === 'client-to-server' && s.raw);
  if (!steps.length || !/^CONNECT\b/.test(steps[0]!.transport.packet)) {
    throw new BenchFailure('a verbatim replay needs the captured packets themselves: this Exchange has no captured CONNECT bytes (a capture scan keeps them) — replay it --fresh instead');
  }
  return steps;
}

/** A server packet as a step's transport, named like the capture names it ("AUTH 0x18"). */
function serverTransport(packet: Packet, version: ProtocolVersion): TransportPacket {
  const transport = describePacket(packet, version);
  delete transport.fields?.authenticationDataLength;
  const named = { ...transport, packet: packetLabel({ transport } as ExchangeStep) };
  return named;
}

function authenticationData(packet: Packet): Buffer | undefined {
  const data = (packet as { properties?: { authenticationData?: Buffer } }).properties?.authenticationData;
  return data?.length ? data : undefined;
}

function reasonStringOf(packet: Packet): string | undefined {
  return (packet as { properties?: { reasonString?: string } }).properties?.reasonString;
}

/** Why the server refused, in words: the diagnosis of the refusal, and what the server said. */
export function explainRefusal(exchange: Exchange): { reason: string; diagnosis?: string } {
  const findings = diagnoseObservations(observeExchange(exchange));
  const top = findings[0];
  const said = exchange.verdict.reason;
  const words = top ? (REFUSAL_WORDS[top.id] ?? `refused: ${top.title.charAt(0).toLowerCase()}${top.title.slice(1)}`) : 'refused';
  return { reason: `${words} — ${said}`, ...(top ? { diagnosis: top.id } : {}) };
}

interface Conversation {
  recorder: ExchangeRecorder;
  stream: Duplex;
  server: ServerPackets;
  version: ProtocolVersion;
  /** Client packets not sent yet. */
  pending: ExchangeStep[];
}

function send(conversation: Conversation, captured: ExchangeStep): void {
  const bytes = Buffer.from(captured.raw!, 'base64');
  conversation.stream.write(bytes);
  conversation.recorder.add({
    direction: 'client-to-server',
    transport: structuredClone(captured.transport),
    ...(captured.token !== undefined ? { token: captured.token } : {}),
    ...(captured.tokenKind ? { tokenKind: captured.tokenKind } : {}),
    summary: `sent again verbatim (${bytes.length} bytes${captured.packets?.length ? `, captured frame ${captured.packets.join(', ')}` : ''})`,
    ...(captured.decoded ? { decoded: captured.decoded } : {}),
    raw: captured.raw!,
  });
}

/** One server packet: record it, answer it from the capture, or end. Returns the verdict once there is one. */
function onServerPacket(conversation: Conversation, frame: Frame): { outcome: 'success' | 'failure'; reason: string; code?: string } | undefined {
  const { recorder, version } = conversation;
  const packet = parsePacket(frame.bytes, version);
  const data = authenticationData(packet);
  const said = reasonStringOf(packet);
  const code = packetCode(packet);
  const label = code === undefined ? undefined : mqttReasonLabel(code);
  recorder.add({ direction: 'server-to-client', transport: serverTransport(packet, version), ...(data ? { token: data.toString('base64') } : {}), ...(said ? { error: said } : {}), raw: frame.bytes.toString('base64') });
  if (packet.cmd === 'connack') {
    if (code === ReasonCode.Success) return { outcome: 'success', reason: ACCEPTED, code: label! };
    return { outcome: 'failure', reason: `the server answered CONNACK ${label}${said ? `: ${said}` : ''}`, ...(label ? { code: label } : {}) };
  }
  if (packet.cmd === 'disconnect') return { outcome: 'failure', reason: `the server sent DISCONNECT ${label}${said ? `: ${said}` : ''}`, ...(label ? { code: label } : {}) };
  if (packet.cmd === 'auth' && code === ReasonCode.ContinueAuthentication) {
    const next = conversation.pending.findIndex((s) => readFixedHeader(Buffer.from(s.raw!, 'base64'))?.type === PacketType.AUTH);
    if (next < 0) return { outcome: 'failure', reason: 'the server asked for another round (AUTH 0x18), but the capture has no more client AUTH packets to send' };
    const [captured] = conversation.pending.splice(0, next + 1).slice(-1);
    send(conversation, captured!);
  }
  return undefined;
}

/** Sends the captured client packets to `to` and records what the server answers, as a new Exchange. */
export async function replayVerbatim(original: Exchange, to: string, waitMs = REPLAY_WAIT_MS): Promise<{ exchange: Exchange; notes: string[] }> {
  const packets = capturedClientPackets(original);
  const connect = Buffer.from(packets[0]!.raw!, 'base64');
  const level = peekProtocolLevel(connect);
  const version: ProtocolVersion = level === 3 || level === 4 || level === 5 ? level : 5;
  const recorder = new ExchangeRecorder({
    source: 'replay',
    role: 'client',
    mechanism: original.mechanism,
    ...(original.service ? { service: original.service } : {}),
    meta: { url: to, mode: 'verbatim', replayOf: original.id },
  });
  const { stream, notes } = openStream(to);
  const server = new ServerPackets(stream);
  try {
    const failed = await connected(stream);
    if (failed) return { exchange: recorder.finish({ outcome: 'failure', reason: `could not reach ${to}: ${failed}` }), notes };
    const conversation: Conversation = { recorder, stream, server, version, pending: packets.slice(1) };
    send(conversation, packets[0]!);
    for (let count = 0; count < MAX_SERVER_PACKETS; count++) {
      const arrival = await server.next(waitMs);
      if (arrival.kind === 'timeout') return finish(recorder, { outcome: 'failure', reason: `the server sent nothing within ${waitMs / 1000} s after ${recorder.exchange.steps.at(-1)!.transport.packet}` }, notes);
      if (arrival.kind === 'closed') return finish(recorder, { outcome: 'failure', reason: `${arrival.why} before CONNACK` }, notes);
      const verdict = onServerPacket(conversation, arrival.frame);
      if (verdict) return finish(recorder, verdict, notes);
    }
    return finish(recorder, { outcome: 'failure', reason: `no CONNACK after ${MAX_SERVER_PACKETS} packets from the server` }, notes);
  } finally {
    stream.destroy();
  }
}

/** Ends the Exchange; a refusal gets its explanation (replay cache, clock skew, unknown key). */
function finish(recorder: ExchangeRecorder, verdict: { outcome: 'success' | 'failure'; reason: string; code?: string }, notes: string[]): { exchange: Exchange; notes: string[] } {
  const exchange = recorder.finish(verdict);
  if (verdict.outcome === 'failure') {
    const explained = explainRefusal(exchange);
    exchange.verdict = { ...exchange.verdict, reason: explained.reason };
    if (explained.diagnosis) exchange.meta = { ...exchange.meta, diagnosis: explained.diagnosis };
  }
  return { exchange, notes };
}
