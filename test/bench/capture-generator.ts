/**
 * A pcapng of many MQTT 5 GSSAPI-KERBEROS sessions for the capture benchmark (issue 13 item 10):
 * Ethernet / IPv4 / TCP with consistent sequence and acknowledgement numbers (RFC 793; IPv4
 * header checksums left 0, as captures with checksum offload show them), a few broker ports —
 * 1883 and non-standard ones, so detection by content is measured, not by port.
 *
 * Each session, interleaved with others (a window of open connections, like a real broker's):
 *
 *   SYN, SYN-ACK, ACK
 *   CONNECT (Authentication Method GSSAPI-KERBEROS, Data = a real MIT krb5 AP-REQ initial token)
 *   ◀ AUTH 0x18 (an AP-REP initial-context token: real DER, encrypted part unopenable)
 *   AUTH 0x18 (empty Authentication Data, the RFC 4752 answer to the AP-REP)
 *   ◀ CONNACK 0x00                          or, for every REFUSE_EVERY-th session: CONNACK 0x87
 *   PUBLISH QoS 1 / ◀ PUBACK …                 with a Reason String, then the broker closes
 *     (some PUBLISH split over two segments, some segments carrying several; PINGREQ/PINGRESP)
 *   DISCONNECT, FIN/ACK both ways
 *
 * MQTT bytes come from mqtt-packet (through generatePacket) once, as templates; per packet only
 * the Client Identifier digits and Packet Identifiers are patched, and every block is written into
 * a preallocated chunk with PcapngWriter.packetInto, streamed with back-pressure: memory stays
 * bounded and a million packets take a few seconds.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Packet } from 'mqtt-packet';
import { generatePacket } from '../../main/broker/framing';
import { PcapngWriter } from '../../main/capture/pcapng-writer';
import { seededRandom } from '../helpers/random';

export interface MqttCaptureOptions {
  /** About how many packets (frames) to write. */
  packets: number;
  /** How many MQTT sessions (default packets / 500). */
  sessions?: number;
  /** Seeds the choice of split and multi-packet segments (default 1). */
  seed?: number;
}

export interface MqttCaptureSummary {
  packets: number;
  bytes: number;
  sessions: number;
  /** Sessions refused with CONNACK 0x87 (Not authorized). */
  refused: number;
}

/** The broker ports; all but 1883 need tshark's `-d tcp.port==P,mqtt`. */
export const BROKER_PORTS: readonly number[] = [1883, 18830, 28830];
/** Every REFUSE_EVERY-th session (1-based index multiple) is refused. */
export const REFUSE_EVERY = 25;
export const AUTH_METHOD = 'GSSAPI-KERBEROS';

const WINDOW = 16;
const CHUNK = 4 * 1024 * 1024;
const LINKTYPE_ETHERNET = 1;
const ETH = 14;
const IP = 20;
const TCP = 20;
const HEADERS = ETH + IP + TCP;
const MAX_SEGMENT = 1460;

// TCP flags (RFC 793 §3.1).
const FIN = 0x01;
const SYN = 0x02;
const PSH = 0x08;
const ACK = 0x10;

const CLIENT_ID_DIGITS = 8;

/** The GSS-API krb5 initial context token (RFC 4121 §4.1) inside curl's SPNEGO NegTokenInit. */
export function realApReqToken(): Buffer {
  const world = JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/world/world.json'), 'utf8')) as { curlAuthorization: string };
  const spnego = Buffer.from(world.curlAuthorization.replace(/^Negotiate\s+/, ''), 'base64');
  // [APPLICATION 0] with a 2-byte length, then the krb5 mechanism OID 1.2.840.113554.1.2.2.
  const oid = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02]);
  for (let i = 1; i + 4 + oid.length < spnego.length; i++) {
    if (spnego[i] !== 0x60 || spnego[i + 1] !== 0x82) continue;
    if (!spnego.subarray(i + 4, i + 4 + oid.length).equals(oid)) continue;
    const length = spnego.readUInt16BE(i + 2);
    return Buffer.from(spnego.subarray(i, i + 4 + length));
  }
  throw new Error('world.json curlAuthorization: no krb5 initial context token inside the SPNEGO token');
}

function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

/**
 * An AP-REP (RFC 4120 §5.5.2) as a GSS-API krb5 token (RFC 4121 §4.1, TOK_ID 02 00): real DER,
 * an aes256-cts-hmac-sha1-96 enc-part of bytes no key opens (no AP-REP exists in the fixtures).
 */
export function apRepToken(): Buffer {
  const cipher = Buffer.alloc(48);
  for (let i = 0; i < cipher.length; i++) cipher[i] = (i * 73 + 41) & 0xff;
  const encPart = der(0x30, der(0xa0, der(0x02, Buffer.from([18]))), der(0xa2, der(0x04, cipher)));
  const apRep = der(0x6f, der(0x30, der(0xa0, der(0x02, Buffer.from([5]))), der(0xa1, der(0x02, Buffer.from([15]))), der(0xa2, encPart)));
  const oid = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02]);
  return der(0x60, oid, Buffer.from([0x02, 0x00]), apRep);
}

/** Where two encodings differ (the offset of a patched field), found by generating both. */
function differingOffset(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) throw new Error('templates differ in length');
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  throw new Error('templates do not differ');
}

interface PublishTemplate {
  bytes: Buffer;
  /** Offset of the 2-byte Packet Identifier (§3.3.2.2). */
  packetId: number;
}

interface Templates {
  connect: Buffer;
  clientIdAt: number;
  authFromServer: Buffer;
  authFromClient: Buffer;
  connackOk: Buffer;
  connackRefused: Buffer;
  publishes: PublishTemplate[];
  puback: Buffer;
  pubackId: number;
  pingreq: Buffer;
  pingresp: Buffer;
  disconnect: Buffer;
}

function templates(): Templates {
  const v = 5;
  const clientId = (n: number): string => `kbench-${String(n).padStart(CLIENT_ID_DIGITS, '0')}`;
  const connectOf = (n: number): Buffer =>
    generatePacket(
      { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, keepalive: 60, clientId: clientId(n), properties: { authenticationMethod: AUTH_METHOD, authenticationData: realApReqToken() } },
      v,
    );
  const connect = connectOf(0);
  const clientIdAt = connect.indexOf(clientId(0)) + 'kbench-'.length;
  const auth = (data: Buffer): Buffer => generatePacket({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: AUTH_METHOD, authenticationData: data } } as Packet, v);
  const publishOf = (topic: string, size: number, id: number): Buffer =>
    generatePacket({ cmd: 'publish', topic, qos: 1, dup: false, retain: false, messageId: id, payload: Buffer.alloc(size, 0x61 + (size % 26)) }, v);
  const publishes: PublishTemplate[] = [
    ['sensors/a/temperature', 12],
    ['sensors/b/humidity', 40],
    ['plant/line-3/state', 96],
    ['telemetry/x', 200],
  ].map(([topic, size]) => ({ bytes: publishOf(topic as string, size as number, 1), packetId: differingOffset(publishOf(topic as string, size as number, 1), publishOf(topic as string, size as number, 2)) - 1 }));
  const pubackOf = (id: number): Buffer => generatePacket({ cmd: 'puback', messageId: id, reasonCode: 0 } as Packet, v);
  return {
    connect,
    clientIdAt,
    authFromServer: auth(apRepToken()),
    authFromClient: auth(Buffer.alloc(0)),
    connackOk: generatePacket({ cmd: 'connack', sessionPresent: false, reasonCode: 0 }, v),
    connackRefused: generatePacket({ cmd: 'connack', sessionPresent: false, reasonCode: 0x87, properties: { reasonString: 'GSSAPI-KERBEROS: the ticket is not valid for this broker' } }, v),
    publishes,
    puback: pubackOf(1),
    pubackId: differingOffset(pubackOf(1), pubackOf(2)) - 1,
    pingreq: generatePacket({ cmd: 'pingreq' }, v),
    pingresp: generatePacket({ cmd: 'pingresp' }, v),
    disconnect: generatePacket({ cmd: 'disconnect', reasonCode: 0 }, v),
  };
}


/** The file being written: one chunk filled with EPBs, flushed when nearly full. */
class Output {
  chunk = Buffer.allocUnsafe(CHUNK);
  used = 0;
  packets = 0;
  bytes = 0;
  private readonly frame = Buffer.alloc(HEADERS + MAX_SEGMENT * 4);
  private readonly packet = { seconds: 1_767_225_600, nanos: 0, data: this.frame as Uint8Array };
  private readonly writer = new PcapngWriter();
  readonly iface: number;
  readonly head: Buffer;

  constructor() {
    const iface = this.writer.addInterface(LINKTYPE_ETHERNET, { snaplen: 262_144, name: 'kbench-generator' });
    this.iface = iface.id;
    this.head = Buffer.concat([this.writer.header(), iface.block]);
  }

  /** Whether the chunk has room for one more full-size packet. */
  get full(): boolean {
    return this.used + 64 + this.frame.length > CHUNK;
  }

  /** Takes the filled part; the caller writes it out. */
  take(): Buffer {
    const out = this.chunk.subarray(0, this.used);
    this.chunk = Buffer.allocUnsafe(CHUNK);
    this.used = 0;
    return out;
  }

  /** One Ethernet/IPv4/TCP frame carrying `payload[start, end)` (and `extra` after it, if given). */
  segment(s: Session, fromClient: boolean, flags: number, payload?: Uint8Array, start = 0, end = payload?.length ?? 0): void {
    const f = this.frame;
    const length = end - start;
    // Ethernet II: broker 02:00:00:00:00:01, clients 02:00:00:00:00:02.
    const srcMac = fromClient ? 2 : 1;
    f[0] = 2;
    f.fill(0, 1, 5);
    f[5] = 3 - srcMac;
    f[6] = 2;
    f.fill(0, 7, 11);
    f[11] = srcMac;
    f[12] = 0x08;
    f[13] = 0x00;
    // IPv4 (RFC 791): no options, DF, TTL 64, protocol 6, checksum 0.
    const total = IP + TCP + length;
    f[14] = 0x45;
    f[15] = 0;
    f.writeUInt16BE(total, 16);
    f.writeUInt16BE((s.ipId = (s.ipId + 1) & 0xffff), 18);
    f[20] = 0x40;
    f[21] = 0;
    f[22] = 64;
    f[23] = 6;
    f[24] = 0;
    f[25] = 0;
    const client = s.clientIp;
    const server = s.serverIp;
    f.writeUInt32BE(fromClient ? client : server, 26);
    f.writeUInt32BE(fromClient ? server : client, 30);
    // TCP (RFC 793): data offset 5, window 502, checksum 0.
    f.writeUInt16BE(fromClient ? s.clientPort : s.serverPort, 34);
    f.writeUInt16BE(fromClient ? s.serverPort : s.clientPort, 36);
    f.writeUInt32BE(fromClient ? s.clientSeq : s.serverSeq, 38);
    f.writeUInt32BE((flags & ACK) !== 0 ? (fromClient ? s.serverSeq : s.clientSeq) : 0, 42);
    f[46] = 0x50;
    f[47] = flags;
    f.writeUInt16BE(502, 48);
    f.writeUInt32BE(0, 50);
    if (payload && length > 0) f.set(payload.subarray(start, end), HEADERS);
    // SYN and FIN take one sequence number each.
    const advance = length + ((flags & (SYN | FIN)) !== 0 ? 1 : 0);
    if (fromClient) s.clientSeq = (s.clientSeq + advance) >>> 0;
    else s.serverSeq = (s.serverSeq + advance) >>> 0;
    this.emit(HEADERS + length);
  }

  private emit(captured: number): void {
    const p = this.packet;
    p.data = this.frame.subarray(0, captured);
    this.used += this.writer.packetInto(this.chunk, this.used, this.iface, p);
    this.packets++;
    this.bytes += captured;
    // 137 µs between packets: a busy broker, many packets per second.
    p.nanos += 137_000;
    if (p.nanos >= 1e9) {
      p.nanos -= 1e9;
      p.seconds++;
    }
  }
}

interface Session {
  index: number;
  clientIp: number;
  serverIp: number;
  clientPort: number;
  serverPort: number;
  clientSeq: number;
  serverSeq: number;
  ipId: number;
  refused: boolean;
  /** PUBLISH/PUBACK exchanges to write (each may carry several PUBLISH). */
  budget: number;
}

/** Yields after each frame so sessions interleave; writes through `out`. */
function* runSession(s: Session, out: Output, t: Templates, random: () => number): Generator<void, void, void> {
  out.segment(s, true, SYN);
  yield;
  out.segment(s, false, SYN | ACK);
  yield;
  out.segment(s, true, ACK);
  yield;
  // CONNECT with this session's Client Identifier (fixed width: patched in place).
  const digits = String(s.index).padStart(CLIENT_ID_DIGITS, '0');
  for (let i = 0; i < CLIENT_ID_DIGITS; i++) t.connect[t.clientIdAt + i] = digits.charCodeAt(i);
  out.segment(s, true, PSH | ACK, t.connect);
  yield;
  out.segment(s, false, PSH | ACK, t.authFromServer);
  yield;
  out.segment(s, true, PSH | ACK, t.authFromClient);
  yield;
  if (s.refused) {
    // §3.2.2.2: a Reason Code ≥ 0x80 and the server closes the Network Connection.
    out.segment(s, false, PSH | ACK, t.connackRefused);
    yield;
    out.segment(s, false, FIN | ACK);
    yield;
    out.segment(s, true, FIN | ACK);
    yield;
    out.segment(s, false, ACK);
    return;
  }
  out.segment(s, false, PSH | ACK, t.connackOk);
  yield;
  let packetId = 1;
  const nextId = (): number => {
    const id = packetId;
    packetId = packetId === 0xffff ? 1 : packetId + 1;
    return id;
  };
  const batch = Buffer.alloc(4 * 400);
  const acks = Buffer.alloc(4 * t.puback.length);
  for (let round = 1; round <= s.budget; round++) {
    const roll = random();
    const template = t.publishes[round % t.publishes.length]!;
    if (round % 100 === 0) {
      out.segment(s, true, PSH | ACK, t.pingreq);
      yield;
      out.segment(s, false, PSH | ACK, t.pingresp);
      yield;
      continue;
    }
    if (roll < 0.05) {
      // Several PUBLISH in one segment, and their PUBACKs in one segment back.
      const count = 2 + Math.floor(random() * 3);
      let at = 0;
      let ackAt = 0;
      for (let k = 0; k < count; k++) {
        const p = t.publishes[(round + k) % t.publishes.length]!;
        const id = nextId();
        p.bytes.copy(batch, at);
        batch.writeUInt16BE(id, at + p.packetId);
        at += p.bytes.length;
        t.puback.copy(acks, ackAt);
        acks.writeUInt16BE(id, ackAt + t.pubackId);
        ackAt += t.puback.length;
      }
      out.segment(s, true, PSH | ACK, batch, 0, at);
      yield;
      out.segment(s, false, PSH | ACK, acks, 0, ackAt);
      yield;
      continue;
    }
    const id = nextId();
    template.bytes.writeUInt16BE(id, template.packetId);
    if (roll < 0.1) {
      // One PUBLISH over two segments, split inside its fixed header or just after it.
      const cut = roll < 0.075 ? 1 : 3 + Math.floor(random() * (template.bytes.length - 4));
      out.segment(s, true, ACK, template.bytes, 0, cut);
      yield;
      out.segment(s, true, PSH | ACK, template.bytes, cut);
      yield;
    } else {
      out.segment(s, true, PSH | ACK, template.bytes);
      yield;
    }
    t.puback.writeUInt16BE(id, t.pubackId);
    out.segment(s, false, PSH | ACK, t.puback);
    yield;
  }
  out.segment(s, true, PSH | ACK, t.disconnect);
  yield;
  out.segment(s, true, FIN | ACK);
  yield;
  out.segment(s, false, FIN | ACK);
  yield;
  out.segment(s, true, ACK);
}

/** Frames a session takes besides its PUBLISH/PUBACK rounds. */
const SESSION_OVERHEAD = 12;
const REFUSED_FRAMES = 10;

/**
 * Writes the capture to `file`. Sessions run WINDOW at a time, interleaved frame by frame; the
 * PUBLISH rounds are shared out so the file holds about `packets` frames.
 */
export async function generateMqttCapture(file: string, options: MqttCaptureOptions): Promise<MqttCaptureSummary> {
  const sessions = Math.max(1, options.sessions ?? Math.round(options.packets / 500));
  const random = seededRandom(options.seed ?? 1);
  const t = templates();
  const out = new Output();
  const stream = createWriteStream(file);
  const failed = once(stream, 'error').then(([error]) => {
    throw error as Error;
  });
  failed.catch(() => {});
  const write = async (bytes: Buffer): Promise<void> => {
    if (!stream.write(bytes)) await Promise.race([once(stream, 'drain'), failed]);
  };
  await write(out.head);

  const refusedCount = Math.floor(sessions / REFUSE_EVERY);
  const accepted = sessions - refusedCount;
  // A round is ~2.1 frames on average (splits and pings add, multi-PUBLISH segments do not).
  const roundsTotal = Math.max(0, options.packets - refusedCount * REFUSED_FRAMES - accepted * SESSION_OVERHEAD) / 2.06;
  let roundsLeft = Math.round(roundsTotal);
  let acceptedLeft = accepted;

  let next = 0;
  const open = (): { s: Session; run: Generator<void, void, void> } => {
    const index = next++;
    const refused = (index + 1) % REFUSE_EVERY === 0;
    let budget = 0;
    if (!refused) {
      budget = Math.round(roundsLeft / acceptedLeft);
      roundsLeft -= budget;
      acceptedLeft--;
    }
    const s: Session = {
      index,
      clientIp: (10 << 24) | (1 << 16) | ((index >> 8) & 0xff) << 8 | (index & 0xff),
      serverIp: (10 << 24) | (1 + (index % BROKER_PORTS.length)),
      clientPort: 20_000 + ((index * 7) % 40_000),
      serverPort: BROKER_PORTS[index % BROKER_PORTS.length]!,
      clientSeq: Math.floor(random() * 0xffffffff) >>> 0,
      serverSeq: Math.floor(random() * 0xffffffff) >>> 0,
      ipId: index & 0xffff,
      refused,
      budget,
    };
    return { s, run: runSession(s, out, t, random) };
  };

  const active: { s: Session; run: Generator<void, void, void> }[] = [];
  while (active.length < WINDOW && next < sessions) active.push(open());
  let turn = 0;
  while (active.length > 0) {
    // A random open session sends the next frame (a uniform pick keeps sessions overlapping).
    turn = Math.floor(random() * active.length);
    const current = active[turn]!;
    if (current.run.next().done) {
      if (next < sessions) active[turn] = open();
      else active.splice(turn, 1);
    }
    if (out.full) await write(out.take());
  }
  if (out.used > 0) await write(out.take());
  stream.end();
  await Promise.race([once(stream, 'finish'), failed]);
  return { packets: out.packets, bytes: out.bytes, sessions, refused: refusedCount };
}
