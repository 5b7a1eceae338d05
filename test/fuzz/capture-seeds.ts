/**
 * Conversations for the capture fuzz targets, as the protocols put them on the wire, each carrying
 * real Kerberos material (test/fixtures/world): the KDC's TCP streams and the same messages over
 * UDP, kpasswd, HTTP Negotiate (curl's header), MQTT 5 GSSAPI-KERBEROS plain and over WebSocket,
 * LDAP SASL binds (GSSAPI and GSS-SPNEGO), a bare GSS token the carver must find, and MQTT inside
 * a real TLS 1.2 / 1.3 session with its key log. `captureOf` frames them as Ethernet/IPv4/TCP|UDP
 * in a pcap — optionally with segments cut, reordered or sent in IPv4 fragments — so a fuzz
 * input can change one message and keep the framing right, and the scan reaches the extractors.
 */
import { generatePacket } from '../../main/broker/framing';
import { writePcap, type WritablePacket } from '../../main/capture/pcapng-writer';
import { derInteger, derOctetString, derSequence, tlv } from '../../main/krb/der/writer';
import { parseTokenText } from '../../main/krb/decode/input';
import { recordTlsSession } from '../helpers/tls-session';
import { world } from '../helpers/world';
import { ethernet, ipv4, tcp, udp } from '../unit/capture/net-builders';
import { worldStreams } from './binary-seeds';

export interface Flow {
  name: string;
  transport: 'tcp' | 'udp';
  serverPort: number;
  /** What each side sent, in order: 0 client → server, 1 server → client. */
  messages: [0 | 1, Buffer][];
}

const b64 = (s: string): Buffer => Buffer.from(s, 'base64');

/** A KDC stream's records, alternating request and reply, each with its 4-byte record mark. */
function recordsOf(stream: Buffer): Buffer[] {
  const records: Buffer[] = [];
  for (let o = 0; o + 4 <= stream.length; ) {
    const length = stream.readUInt32BE(o);
    records.push(stream.subarray(o, o + 4 + length));
    o += 4 + length;
  }
  return records;
}

function kdcFlows(): Flow[] {
  return worldStreams.flatMap((stream, i): Flow[] => {
    const records = recordsOf(stream);
    const messages = records.map((r, k): [0 | 1, Buffer] => [(k % 2) as 0 | 1, r]);
    const kpasswd = stream === worldStreams[4] || stream === worldStreams[5];
    return [
      { name: `kdc-tcp-${i}`, transport: 'tcp', serverPort: kpasswd ? 464 : 88, messages },
      { name: `kdc-udp-${i}`, transport: 'udp', serverPort: 88, messages: messages.filter(([, r]) => r[4] !== 0).map(([d, r]) => [d, r.subarray(4)]) },
    ];
  });
}

function httpFlow(): Flow {
  const request = (auth: string) => Buffer.from(`GET /secure HTTP/1.1\r\nHost: web.world.test\r\n${auth}\r\n\r\n`, 'latin1');
  return {
    name: 'http-negotiate',
    transport: 'tcp',
    serverPort: 8080,
    messages: [
      [0, request('Accept: */*')],
      [1, Buffer.from('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n', 'latin1')],
      [0, request(`Authorization: ${world.curlAuthorization}`)],
      [1, Buffer.from('HTTP/1.1 200 OK\r\nWWW-Authenticate: Negotiate oRQwEqADCgEAoQsGCSqGSIb3EgECAg==\r\nContent-Length: 2\r\n\r\nok', 'latin1')],
    ],
  };
}

function mqttPackets(token: Buffer): Buffer[] {
  return [
    generatePacket({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, keepalive: 30, clientId: 'sensor-7', properties: { authenticationMethod: 'GSSAPI-KERBEROS', authenticationData: token } }, 5),
    generatePacket({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'GSSAPI-KERBEROS', authenticationData: Buffer.from([1, 2, 3]) } }, 5),
    generatePacket({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'GSSAPI-KERBEROS', authenticationData: Buffer.alloc(0) } }, 5),
    generatePacket({ cmd: 'connack', sessionPresent: false, reasonCode: 0x87, properties: { reasonString: 'Request ticket server not found in keytab' } }, 5),
  ].map((p) => Buffer.from(p));
}

function mqttFlow(): Flow {
  const [connect, auth, authReply, connack] = mqttPackets(b64(world.delegatedApReq));
  return { name: 'mqtt', transport: 'tcp', serverPort: 18830, messages: [[0, connect!], [1, auth!], [0, authReply!], [1, connack!]] };
}

/** One WebSocket frame (RFC 6455 §5.2); the client's are masked. */
function wsFrame(payload: Buffer, mask?: Buffer): Buffer {
  const length = payload.length;
  const header = length > 125 ? Buffer.from([0x82, (mask ? 0x80 : 0) | 126, length >> 8, length & 0xff]) : Buffer.from([0x82, (mask ? 0x80 : 0) | length]);
  if (!mask) return Buffer.concat([header, payload]);
  return Buffer.concat([header, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
}

function mqttWebSocketFlow(): Flow {
  const [connect, auth, , connack] = mqttPackets(b64(world.javaSpnego));
  const mask = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  return {
    name: 'mqtt-websocket',
    transport: 'tcp',
    serverPort: 8083,
    messages: [
      [0, Buffer.from('GET /mqtt HTTP/1.1\r\nHost: broker\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n', 'latin1')],
      [1, Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n', 'latin1')],
      [0, wsFrame(connect!, mask)],
      [1, wsFrame(auth!)],
      [1, wsFrame(connack!)],
    ],
  };
}

function ldapFlow(): Flow {
  const text = (s: string) => derOctetString(Buffer.from(s, 'utf8'));
  const message = (id: number, op: Buffer) => derSequence([derInteger(id), op]);
  const saslBind = (id: number, mechanism: string, credentials: Buffer) =>
    message(id, tlv('application', true, 0, Buffer.concat([derInteger(3), text(''), tlv('context', true, 3, Buffer.concat([text(mechanism), derOctetString(credentials)]))])));
  const bindResponse = (id: number, code: number, creds?: Buffer) =>
    message(id, tlv('application', true, 1, Buffer.concat([tlv('universal', false, 10, Buffer.from([code])), text(''), text(''), ...(creds ? [tlv('context', false, 7, creds)] : [])])));
  return {
    name: 'ldap-sasl',
    transport: 'tcp',
    serverPort: 389,
    messages: [
      [0, saslBind(1, 'GSSAPI', b64(world.delegatedApReq))],
      [1, bindResponse(1, 14, Buffer.from([5, 4, 0xff, 0]))],
      [0, saslBind(2, 'GSS-SPNEGO', b64(world.javaSpnego))],
      [1, bindResponse(2, 49)],
    ],
  };
}

function carveFlow(): Flow {
  return { name: 'gss-carve', transport: 'tcp', serverPort: 7000, messages: [[0, Buffer.concat([Buffer.from('HELLO\n'), parseTokenText(world.curlAuthorization), Buffer.from('\n')])]] };
}

/** MQTT inside real TLS sessions (Node's client and server over loopback), with their key logs. */
export async function tlsFlows(): Promise<{ flows: Flow[]; keylog: string }> {
  const [connect, , , connack] = mqttPackets(b64(world.delegatedApReq));
  const flows: Flow[] = [];
  let keylog = '';
  for (const [maxVersion, ciphers] of [
    ['TLSv1.3', 'TLS_AES_128_GCM_SHA256'],
    ['TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384'],
  ] as const) {
    const session = await recordTlsSession({ maxVersion, minVersion: maxVersion, ciphers, clientWrites: [connect!], serverWrites: [connack!] });
    keylog += session.keylog;
    flows.push({ name: `mqtt-${maxVersion}`, transport: 'tcp', serverPort: 8883, messages: session.segments.map((s) => [s.direction, s.bytes]) });
  }
  return { flows, keylog };
}

/** Every plain-text conversation (the TLS ones need a loopback session: tlsFlows()). */
export function plainFlows(): Flow[] {
  return [...kdcFlows(), httpFlow(), mqttFlow(), mqttWebSocketFlow(), ldapFlow(), carveFlow()];
}

export interface Framing {
  /** Cut each TCP payload at this fraction (0 = whole). */
  cut?: number;
  /** Swap the two halves of a cut payload on the wire (out of order). */
  reorder?: boolean;
  /** Send the first client payload in two IPv4 fragments. */
  fragment?: boolean;
}

const CLIENT = '10.1.2.3';
const SERVER = '10.9.8.7';

/** The flows as Ethernet/IPv4 packets in a classic pcap: TCP with handshake, sequence numbers and FINs; UDP as datagrams. */
export function captureOf(flows: readonly Flow[], framing: Framing = {}): Buffer {
  const packets: WritablePacket[] = [];
  let time = 0;
  const push = (data: Uint8Array) => packets.push({ seconds: 1_700_000_000 + Math.floor(time / 1000), nanos: (time++ % 1000) * 1_000_000, data });
  flows.forEach((flow, f) => {
    const sport = 40000 + f;
    const ip = (from: 0 | 1, payload: Uint8Array, o: Parameters<typeof ipv4>[1] = {}) =>
      ethernet(0x0800, ipv4(payload, { src: from === 0 ? CLIENT : SERVER, dst: from === 0 ? SERVER : CLIENT, protocol: flow.transport === 'tcp' ? 6 : 17, id: 0x100 + packets.length, ...o }));
    if (flow.transport === 'udp') {
      for (const [from, bytes] of flow.messages) push(ip(from, from === 0 ? udp(bytes, sport, flow.serverPort) : udp(bytes, flow.serverPort, sport)));
      return;
    }
    const seq: [number, number] = [1000, 5000];
    const segment = (from: 0 | 1, flags: number, payload: Uint8Array = new Uint8Array(0), at = seq[from]) =>
      tcp({ sport: from === 0 ? sport : flow.serverPort, dport: from === 0 ? flow.serverPort : sport, seq: at, ack: seq[1 - from]!, flags, payload });
    push(ip(0, segment(0, 0x02)));
    seq[0]++;
    push(ip(1, segment(1, 0x12)));
    seq[1]++;
    push(ip(0, segment(0, 0x10)));
    let fragmented = !framing.fragment;
    for (const [from, bytes] of flow.messages) {
      const cut = framing.cut ? Math.floor(bytes.length * framing.cut) : 0;
      const pieces: [number, Buffer][] = cut > 0 && cut < bytes.length ? [[seq[from], bytes.subarray(0, cut)], [seq[from] + cut, bytes.subarray(cut)]] : [[seq[from], bytes]];
      if (framing.reorder) pieces.reverse();
      for (const [at, piece] of pieces) {
        const data = segment(from, 0x18, piece, at);
        if (!fragmented && from === 0 && data.length > 48) {
          fragmented = true;
          push(ethernet(0x0800, ipv4(data.subarray(0, 24), { src: CLIENT, dst: SERVER, id: 0x4242, more: true })));
          push(ethernet(0x0800, ipv4(data.subarray(24), { src: CLIENT, dst: SERVER, id: 0x4242, fragOffset: 24 })));
        } else push(ip(from, data));
      }
      seq[from] += bytes.length;
    }
    push(ip(0, segment(0, 0x11)));
    seq[0]++;
    push(ip(1, segment(1, 0x11)));
    seq[1]++;
    push(ip(0, segment(0, 0x10)));
  });
  return writePcap(packets);
}

