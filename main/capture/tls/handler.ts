/**
 * One TLS connection of a capture: the record layer of both directions, the hellos (SNI, ALPN,
 * version, cipher suite), and — given the key log's secrets for its client random — the decrypted
 * application data, handed on to an inner handler that sniffs and extracts it like a plain TCP flow
 * (MQTT over 8883, HTTPS).
 *
 * When each direction turns encrypted:
 *   TLS 1.2 (RFC 5246 §7.1): after that side's ChangeCipherSpec; its Finished is the first protected record.
 *   TLS 1.3 (RFC 8446 §2): right after the ServerHello, under the handshake traffic secrets; each side
 *   moves to its application traffic secret after its own Finished, and to the next one after each
 *   KeyUpdate. ChangeCipherSpec records are middlebox compatibility only (§D.4) and are skipped.
 * 0-RTT early data (CLIENT_EARLY_TRAFFIC_SECRET) is not decrypted.
 */
import type { ExtractContext, SniffVerdict, TcpExtractor } from '../extract/types';
import type { FlowDirection, PacketRef, StreamChunk, StreamGap, TcpFlow, TcpStreamHandler } from '../types';
import { type RecordProtection, Tls13Protection, TLS_SUITES, suiteName, tls12Protections } from './decrypt';
import type { TlsKeyLog } from './keylog';
import {
  ContentType,
  HandshakeReader,
  describeAlert,
  HandshakeType,
  MAX_RECORD_LENGTH,
  TLS13,
  TlsFormatError,
  TlsRecordReader,
  parseClientHello,
  parseEncryptedExtensions,
  parseServerHello,
  versionName,
  type HandshakeMessage,
  type TlsRecord,
} from './records';

export interface TlsConnectionInfo {
  /** The TCP flow id. */
  flow: number;
  client: string;
  server: string;
  /** ClientHello server_name. */
  sni?: string;
  /** ClientHello ALPN protocols offered. */
  alpn?: string[];
  /** The ALPN protocol the server chose. */
  alpnSelected?: string;
  /** "TLS 1.2", "TLS 1.3". */
  version?: string;
  /** IANA name, or "0x…" for a suite the bench does not know. */
  cipherSuite?: string;
  /** The first alert other than close_notify, and who sent it: "fatal unknown_ca (48) from the client". */
  alert?: string;
  /** The key log opened this connection (every protected record read so far decrypted). */
  decrypted: boolean;
  /** Why not: no key log, no secrets for this client random, unsupported suite, wrong secrets … */
  reason?: string;
}

export type TlsContext = ExtractContext & { noteTls(info: TlsConnectionInfo): void };

const DIRECTION_NAME = ['client → server', 'server → client'] as const;

interface DirectionState {
  readonly direction: FlowDirection;
  readonly records: TlsRecordReader;
  /** Handshake messages of plaintext records, then of decrypted ones. */
  readonly handshake: HandshakeReader;
  readonly protectedHandshake: HandshakeReader;
  /** Records of this side are protected from here on. */
  encrypted: boolean;
  protection: RecordProtection | undefined;
  /** TLS 1.3: this side's application keys, taken once its Finished is read. */
  application: Tls13Protection | undefined;
  /** Offset of the next plaintext byte handed to the inner handler. */
  plainOffset: number;
  /** Nothing more is read in this direction (a format error, a gap, a wrong key). */
  stopped: boolean;
}

function newDirection(direction: FlowDirection): DirectionState {
  return {
    direction,
    records: new TlsRecordReader(),
    handshake: new HandshakeReader(),
    protectedHandshake: new HandshakeReader(),
    encrypted: false,
    protection: undefined,
    application: undefined,
    plainOffset: 0,
    stopped: false,
  };
}

class TlsFlowHandler implements TcpStreamHandler {
  private readonly info: TlsConnectionInfo;
  private readonly sides: [DirectionState, DirectionState] = [newDirection(0), newDirection(1)];
  private clientRandom: Uint8Array | undefined;
  private tls13 = false;
  private inner: TcpStreamHandler | undefined;
  /** The packet of the record being read, for the inner chunks and warnings. */
  private packet: PacketRef | undefined;

  constructor(
    private readonly flow: TcpFlow,
    private readonly ctx: TlsContext,
    private readonly keylog: TlsKeyLog | undefined,
  ) {
    this.info = { flow: flow.id, client: flow.client, server: flow.server, decrypted: false, reason: keylog ? 'no ServerHello seen' : 'no key log given' };
  }

  data(chunk: StreamChunk): void {
    const side = this.sides[chunk.direction];
    if (side.stopped) return;
    this.packet = chunk.packet;
    try {
      side.records.push(chunk.bytes, (record) => {
        if (!side.stopped) this.onRecord(side, record);
      });
    } catch (error) {
      if (!(error instanceof TlsFormatError)) throw error;
      this.stop(side, `TLS ${DIRECTION_NAME[side.direction]}: ${error.message}`);
      this.ctx.warn({ packet: chunk.packet.number, message: `TLS flow ${this.flow.id} ${DIRECTION_NAME[side.direction]}: ${error.message}` });
    }
  }

  gap(gap: StreamGap): void {
    const side = this.sides[gap.direction];
    if (side.stopped) return;
    // A hole loses the record boundaries, and with them the sequence numbers: no resynchronising.
    this.stop(side, `a gap of ${gap.length} bytes at stream byte ${gap.streamOffset} (${DIRECTION_NAME[gap.direction]}) hides the records after it`);
  }

  end(reason: 'closed' | 'reset' | 'capture-ended'): void {
    this.inner?.end(reason);
    this.ctx.noteTls({ ...this.info });
  }

  private stop(side: DirectionState, why: string): void {
    side.stopped = true;
    if (side.encrypted && side.protection) {
      this.info.decrypted = false;
      this.info.reason = why;
    } else if (!this.info.decrypted) {
      this.info.reason ??= why;
    }
  }

  private onRecord(side: DirectionState, record: TlsRecord): void {
    if (record.type === ContentType.change_cipher_spec) {
      // TLS 1.2: this side's records are protected from the next one on.
      if (!this.tls13) side.encrypted = true;
      return;
    }
    if (!side.encrypted) {
      if (record.type === ContentType.handshake) side.handshake.push(record.fragment, record.offset + 5, (m) => this.onHandshake(side, m));
      else if (record.type === ContentType.alert) this.onAlert(side, record.fragment);
      return;
    }
    if (!side.protection) return;
    const opened = side.protection.open(record.type, record.version, record.fragment);
    if (!opened.ok) {
      this.stop(side, `${opened.reason} — ${DIRECTION_NAME[side.direction]} record at stream byte ${record.offset}`);
      return;
    }
    if (opened.type === ContentType.application_data) this.deliver(side, opened.plaintext);
    else if (opened.type === ContentType.handshake) side.protectedHandshake.push(opened.plaintext, -1, (m) => this.onHandshake(side, m));
    else if (opened.type === ContentType.alert) this.onAlert(side, opened.plaintext);
  }

  /** Why a handshake failed is mostly in its alert (unknown_ca: the client does not trust the certificate). */
  private onAlert(side: DirectionState, fragment: Uint8Array): void {
    const CLOSE_NOTIFY = 0;
    if (this.info.alert !== undefined || fragment[1] === CLOSE_NOTIFY) return;
    const words = describeAlert(fragment);
    if (words) this.info.alert = `${words} from the ${side.direction === 0 ? 'client' : 'server'}`;
  }

  private onHandshake(side: DirectionState, message: HandshakeMessage): void {
    if (message.msgType === HandshakeType.client_hello && side.direction === 0 && !side.encrypted) {
      const hello = parseClientHello(message.body, message.offset + 4);
      this.clientRandom = new Uint8Array(hello.random);
      if (hello.sni !== undefined) this.info.sni = hello.sni;
      if (hello.alpn) this.info.alpn = hello.alpn;
    } else if (message.msgType === HandshakeType.server_hello && side.direction === 1 && !side.encrypted) {
      this.onServerHello(message);
    } else if (message.msgType === HandshakeType.encrypted_extensions && side.direction === 1) {
      const { alpn } = parseEncryptedExtensions(message.body);
      if (alpn !== undefined) this.info.alpnSelected = alpn;
    } else if (message.msgType === HandshakeType.finished && this.tls13 && side.application) {
      // The records after this side's Finished are under its application traffic secret.
      side.protection = side.application;
      side.application = undefined;
    } else if (message.msgType === HandshakeType.key_update && this.tls13 && side.protection instanceof Tls13Protection) {
      side.protection.update();
    }
  }

  private onServerHello(message: HandshakeMessage): void {
    const hello = parseServerHello(message.body, message.offset + 4);
    if (hello.helloRetryRequest) {
      // Only TLS 1.3 retries: the client's ChangeCipherSpec and second ClientHello follow in the clear.
      this.tls13 = true;
      return;
    }
    this.tls13 = hello.version === TLS13;
    this.info.version = versionName(hello.version);
    this.info.cipherSuite = suiteName(hello.cipherSuite);
    if (hello.alpn !== undefined) this.info.alpnSelected = hello.alpn;
    const reason = this.setUpKeys(hello.cipherSuite, hello.random);
    this.info.decrypted = reason === undefined;
    if (reason === undefined) delete this.info.reason;
    else this.info.reason = reason;
    if (this.tls13) for (const side of this.sides) side.encrypted = true;
    this.ctx.noteTls({ ...this.info });
  }

  /** Installs each direction's keys; returns why it cannot, or undefined. */
  private setUpKeys(suiteId: number, serverRandom: Uint8Array): string | undefined {
    if (!this.keylog) return 'no key log given';
    if (!this.clientRandom) return 'the capture has no ClientHello for this connection (its client random is unknown)';
    const secrets = this.keylog.secretsFor(this.clientRandom);
    if (!secrets) return `the key log has no secrets for client random ${Buffer.from(this.clientRandom).toString('hex').slice(0, 16)}…`;
    const suite = TLS_SUITES.get(suiteId);
    if (!suite || suite.tls !== (this.tls13 ? 13 : 12)) return `cipher suite ${suiteName(suiteId)} is not one the bench decrypts (AES-GCM and ChaCha20-Poly1305 only)`;
    const [client, server] = this.sides;
    if (!this.tls13) {
      if (!secrets.masterSecret) return 'the key log has TLS 1.3 secrets but no CLIENT_RANDOM master secret for this TLS 1.2 connection';
      const keys = tls12Protections(suite, secrets.masterSecret, this.clientRandom, serverRandom);
      client.protection = keys.client;
      server.protection = keys.server;
      return undefined;
    }
    const { clientHandshakeTrafficSecret: ch, serverHandshakeTrafficSecret: sh, clientTrafficSecret0: c0, serverTrafficSecret0: s0 } = secrets;
    if (!ch || !sh || !c0 || !s0) return 'the key log lacks some of the TLS 1.3 handshake and traffic secrets for this connection';
    client.protection = new Tls13Protection(suite, ch);
    server.protection = new Tls13Protection(suite, sh);
    client.application = new Tls13Protection(suite, c0);
    server.application = new Tls13Protection(suite, s0);
    return undefined;
  }

  private deliver(side: DirectionState, plaintext: Uint8Array): void {
    if (plaintext.length === 0 || !this.packet) return;
    this.inner ??= this.ctx.openInner(this.flow, 'TLS');
    const chunk: StreamChunk = { direction: side.direction, bytes: plaintext, streamOffset: side.plainOffset, packet: this.packet };
    side.plainOffset += plaintext.length;
    this.inner.data(chunk);
  }
}

export function createTlsHandler(flow: TcpFlow, ctx: TlsContext, keylog: TlsKeyLog | undefined): TcpStreamHandler {
  return new TlsFlowHandler(flow, ctx, keylog);
}

/** The smallest handshake record: a message header. */
const MIN_HANDSHAKE_RECORD = 4;

/**
 * A TLS handshake record (0x16 0x03 0x01–0x04, a plausible length) carrying a ClientHello — or,
 * from the server, a ServerHello (the capture missed the client's first bytes).
 */
export function sniffTls(first: Uint8Array, direction: FlowDirection): SniffVerdict {
  if (first.length < 1) return 'more';
  if (first[0] !== ContentType.handshake) return 'no';
  if (first.length < 2) return 'more';
  if (first[1] !== 3) return 'no';
  if (first.length < 3) return 'more';
  if (first[2]! < 1 || first[2]! > 4) return 'no';
  if (first.length < 5) return 'more';
  const length = (first[3]! << 8) | first[4]!;
  if (length < MIN_HANDSHAKE_RECORD || length > MAX_RECORD_LENGTH) return 'no';
  if (first.length < 6) return 'more';
  const wanted = direction === 0 ? HandshakeType.client_hello : HandshakeType.server_hello;
  return first[5] === wanted ? 'yes' : 'no';
}

/** The TLS extractor of a scan: `noteTls` receives each connection's summary (the last call for a flow wins). */
export function tlsExtractorWith(keylog: TlsKeyLog | undefined, noteTls: (info: TlsConnectionInfo) => void): TcpExtractor {
  return {
    name: 'tls',
    sniff: sniffTls,
    create(flow, ctx) {
      const tlsContext: TlsContext = {
        record: (init) => ctx.record(init),
        openInner: (innerFlow, label) => ctx.openInner(innerFlow, label),
        warn: (warning) => ctx.warn(warning),
        noteTls,
      };
      return createTlsHandler(flow, tlsContext, keylog);
    },
  };
}
