/**
 * The TLS record layer over one direction's reassembled bytes, and the hello messages.
 *
 *   TLSPlaintext / TLSCiphertext (RFC 5246 §6.2, RFC 8446 §5.1):
 *     ContentType type (1) | ProtocolVersion legacy_record_version (2) | uint16 length | fragment
 *   Handshake (RFC 8446 §4): HandshakeType msg_type (1) | uint24 length | body
 *
 * Records arrive split across TCP segments and several to a segment: `TlsRecordReader` keeps the
 * unfinished tail (one record at most, ≤ 18 KiB) and hands whole records out as views. Handshake
 * messages may in turn span records: `HandshakeReader` does the same one level up. Offsets are
 * stream offsets of the direction, so an error names the byte the user can find in Wireshark's
 * "Follow TCP stream".
 */

export const ContentType = { change_cipher_spec: 20, alert: 21, handshake: 22, application_data: 23 } as const;

export const HandshakeType = {
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  server_key_exchange: 12,
  certificate_request: 13,
  server_hello_done: 14,
  certificate_verify: 15,
  client_key_exchange: 16,
  finished: 20,
  key_update: 24,
} as const;

/** RFC 8446 §6: AlertDescription, the ones a failed handshake shows. */
export const AlertDescription: Readonly<Record<number, string>> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  22: 'record_overflow',
  40: 'handshake_failure',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  47: 'illegal_parameter',
  48: 'unknown_ca',
  49: 'access_denied',
  50: 'decode_error',
  51: 'decrypt_error',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  109: 'missing_extension',
  110: 'unsupported_extension',
  112: 'unrecognized_name',
  113: 'bad_certificate_status_response',
  115: 'unknown_psk_identity',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

/** An Alert (level, description) in words: "fatal unknown_ca (48)". */
export function describeAlert(fragment: Uint8Array): string | undefined {
  if (fragment.length < 2) return undefined;
  const level = fragment[0] === 2 ? 'fatal' : fragment[0] === 1 ? 'warning' : `level ${fragment[0]}`;
  const description = fragment[1]!;
  return `${level} ${AlertDescription[description] ?? 'alert'} (${description})`;
}

export const ExtensionType = { server_name: 0, application_layer_protocol_negotiation: 16, supported_versions: 43 } as const;

export const TLS12 = 0x0303;
export const TLS13 = 0x0304;

/** RFC 8446 §4.1.3: a ServerHello with this random is a HelloRetryRequest (SHA-256 of "HelloRetryRequest"). */
const HELLO_RETRY_REQUEST_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';

/** RFC 8446 §5.2: 2^14 + 256; RFC 5246 §6.2.3 allows 2^14 + 2048 for TLS 1.2 ciphertext. */
export const MAX_RECORD_LENGTH = 16384 + 2048;
const RECORD_HEADER_LENGTH = 5;
const HANDSHAKE_HEADER_LENGTH = 4;
/** Beyond any certificate chain a capture is likely to hold; bounds what HandshakeReader keeps. */
const MAX_HANDSHAKE_LENGTH = 1 << 20;

/** A TLS structure that cannot be read: named like KrbDecodeError, offset in the direction's stream. */
export class TlsFormatError extends Error {
  constructor(
    readonly structure: string,
    readonly field: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${structure}${field ? ` ${field}` : ''} at stream byte ${offset}: ${reason}`);
    this.name = 'TlsFormatError';
  }
}

export interface TlsRecord {
  type: number;
  version: number;
  /** The fragment (a view: copy what you keep past the callback). */
  fragment: Uint8Array;
  /** Stream offset of the record header. */
  offset: number;
}

/** A version in words: "TLS 1.2". */
export function versionName(version: number): string {
  if (version === 0x0300) return 'SSL 3.0';
  if (version >= 0x0301 && version <= TLS13) return `TLS 1.${(version & 0xff) - 1}`;
  return `0x${version.toString(16).padStart(4, '0')}`;
}

/**
 * Bytes kept across pushes until a whole unit (record, handshake message) is in. Pieces are joined
 * once the unit is complete, so a record cut into many tiny segments costs linear time, not quadratic.
 */
class Pending {
  private pieces: Uint8Array[] = [];
  /** Bytes kept. */
  length = 0;
  /** Bytes the unit needs in all (header included); 0 until its header is in. */
  needed = 0;

  /** Keeps a copy: the caller's bytes are a view valid only during its call. */
  add(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.pieces.push(bytes.slice());
    this.length += bytes.length;
  }

  /** The kept bytes as one array (they stay kept). */
  joined(): Uint8Array {
    if (this.pieces.length > 1) {
      const all = new Uint8Array(this.length);
      let at = 0;
      for (const piece of this.pieces) {
        all.set(piece, at);
        at += piece.length;
      }
      this.pieces = [all];
    }
    return this.pieces[0] ?? new Uint8Array(0);
  }

  /** The kept bytes, and forget them. */
  take(): Uint8Array {
    const all = this.joined();
    this.pieces = [];
    this.length = 0;
    this.needed = 0;
    return all;
  }
}

const recordLength = (header: Uint8Array): number => (header[3]! << 8) | header[4]!;
const handshakeLength = (header: Uint8Array): number => (header[1]! << 16) | (header[2]! << 8) | header[3]!;

/**
 * Whole records out of a byte stream. `push` calls `onRecord` for every complete record and keeps
 * the rest; a header that cannot be a TLS record throws TlsFormatError (the stream is lost then).
 */
export class TlsRecordReader {
  private readonly pending = new Pending();
  /** Stream offset of the next unread byte (of the pending bytes when there are some). */
  private offset: number;

  constructor(startOffset = 0) {
    this.offset = startOffset;
  }

  push(bytes: Uint8Array, onRecord: (record: TlsRecord) => void): void {
    let data = bytes;
    const pending = this.pending;
    if (pending.length > 0) {
      pending.add(bytes);
      if (pending.needed === 0 && pending.length >= RECORD_HEADER_LENGTH) {
        const head = pending.joined();
        checkHeader(head[0]!, (head[1]! << 8) | head[2]!, recordLength(head), this.offset);
        pending.needed = RECORD_HEADER_LENGTH + recordLength(head);
      }
      if (pending.needed === 0 || pending.length < pending.needed) return;
      data = pending.take();
    }
    let at = 0;
    while (data.length - at >= RECORD_HEADER_LENGTH) {
      const type = data[at]!;
      const version = (data[at + 1]! << 8) | data[at + 2]!;
      const length = (data[at + 3]! << 8) | data[at + 4]!;
      checkHeader(type, version, length, this.offset);
      if (data.length - at < RECORD_HEADER_LENGTH + length) {
        pending.needed = RECORD_HEADER_LENGTH + length;
        break;
      }
      const fragment = data.subarray(at + RECORD_HEADER_LENGTH, at + RECORD_HEADER_LENGTH + length);
      const record = { type, version, fragment, offset: this.offset };
      at += RECORD_HEADER_LENGTH + length;
      this.offset += RECORD_HEADER_LENGTH + length;
      onRecord(record);
    }
    pending.add(data.subarray(at));
  }

  /** Bytes waiting for the rest of their record. */
  get buffered(): number {
    return this.pending.length;
  }
}

function checkHeader(type: number, version: number, length: number, offset: number): void {
  if (type < ContentType.change_cipher_spec || type > ContentType.application_data) {
    throw new TlsFormatError('TLS record', 'type', offset, `content type ${type} is not change_cipher_spec, alert, handshake or application_data`);
  }
  if (version >> 8 !== 3 || (version & 0xff) > 4) throw new TlsFormatError('TLS record', 'version', offset + 1, `0x${version.toString(16)} is not an SSL 3.0–TLS 1.3 version`);
  if (length > MAX_RECORD_LENGTH) throw new TlsFormatError('TLS record', 'length', offset + 3, `${length} bytes is over the ${MAX_RECORD_LENGTH}-byte limit`);
}

export interface HandshakeMessage {
  msgType: number;
  /** The body, without the 4-byte header (a view). */
  body: Uint8Array;
  /**
   * Stream offset of the message header, when it came from plaintext records (for a message that
   * began in an earlier record, counted back over the fragments only, not their record headers); else -1.
   */
  offset: number;
}

/** Handshake messages out of handshake fragments (plaintext records or decrypted ones). */
export class HandshakeReader {
  private readonly pending = new Pending();

  /** `offset`: stream offset of fragment[0], or -1 for decrypted bytes. */
  push(fragment: Uint8Array, offset: number, onMessage: (message: HandshakeMessage) => void): void {
    let data = fragment;
    let base = offset;
    const pending = this.pending;
    if (pending.length > 0) {
      base = offset < 0 ? -1 : offset - pending.length;
      pending.add(fragment);
      if (pending.needed === 0 && pending.length >= HANDSHAKE_HEADER_LENGTH) pending.needed = HANDSHAKE_HEADER_LENGTH + checkHandshakeLength(pending.joined(), base);
      if (pending.needed === 0 || pending.length < pending.needed) return;
      data = pending.take();
    }
    let at = 0;
    while (data.length - at >= HANDSHAKE_HEADER_LENGTH) {
      const length = checkHandshakeLength(data.subarray(at), base < 0 ? -1 : base + at);
      if (data.length - at < HANDSHAKE_HEADER_LENGTH + length) {
        pending.needed = HANDSHAKE_HEADER_LENGTH + length;
        break;
      }
      const message = { msgType: data[at]!, body: data.subarray(at + HANDSHAKE_HEADER_LENGTH, at + HANDSHAKE_HEADER_LENGTH + length), offset: base < 0 ? -1 : base + at };
      at += HANDSHAKE_HEADER_LENGTH + length;
      onMessage(message);
    }
    pending.add(data.subarray(at));
  }
}

function checkHandshakeLength(header: Uint8Array, offset: number): number {
  const length = handshakeLength(header);
  if (length > MAX_HANDSHAKE_LENGTH) throw new TlsFormatError('TLS handshake message', 'length', offset < 0 ? -1 : offset + 1, `${length} bytes is implausible`);
  return length;
}

export interface ClientHello {
  legacyVersion: number;
  random: Uint8Array;
  cipherSuites: number[];
  sni?: string;
  alpn?: string[];
  /** supported_versions, when offered (TLS 1.3 clients). */
  supportedVersions?: number[];
}

export interface ServerHello {
  legacyVersion: number;
  random: Uint8Array;
  cipherSuite: number;
  /** The negotiated version: supported_versions when present (TLS 1.3), else legacy_version. */
  version: number;
  helloRetryRequest: boolean;
  alpn?: string;
}

/** A bounds-checked cursor over one handshake body; `base` is the body's stream offset (or -1). */
class Cursor {
  at = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly base: number,
    readonly structure: string,
  ) {}

  need(n: number, field: string): void {
    if (this.at + n > this.bytes.length) {
      throw new TlsFormatError(this.structure, field, this.base < 0 ? -1 : this.base + this.at, `needs ${n} bytes, ${this.bytes.length - this.at} left`);
    }
  }
  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.at++]!;
  }
  u16(field: string): number {
    this.need(2, field);
    const value = (this.bytes[this.at]! << 8) | this.bytes[this.at + 1]!;
    this.at += 2;
    return value;
  }
  take(n: number, field: string): Uint8Array {
    this.need(n, field);
    const view = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return view;
  }
  /** A vector with a 1- or 2-byte length prefix, as a sub-cursor. */
  vector(prefix: 1 | 2, field: string): Cursor {
    const length = prefix === 1 ? this.u8(field) : this.u16(field);
    const start = this.at;
    return new Cursor(this.take(length, field), this.base < 0 ? -1 : this.base + start, this.structure);
  }
  get done(): boolean {
    return this.at >= this.bytes.length;
  }
}

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

/** Calls `onExtension` for each extension of a hello (absent extensions block: none). */
function readExtensions(c: Cursor, onExtension: (type: number, data: Cursor) => void): void {
  if (c.done) return;
  const block = c.vector(2, 'extensions');
  for (let guard = 0; !block.done && guard < 65536; guard++) {
    const type = block.u16('extension_type');
    onExtension(type, block.vector(2, 'extension_data'));
  }
}

function readServerName(data: Cursor): string | undefined {
  const list = data.vector(2, 'server_name_list');
  while (!list.done) {
    const nameType = list.u8('name_type');
    const name = list.vector(2, 'HostName');
    if (nameType === 0) return latin1(name.bytes);
  }
  return undefined;
}

function readProtocolNames(data: Cursor): string[] {
  const list = data.vector(2, 'protocol_name_list');
  const names: string[] = [];
  while (!list.done) names.push(latin1(list.vector(1, 'ProtocolName').bytes));
  return names;
}

/** RFC 8446 §4.1.2 / RFC 5246 §7.4.1.2. `base`: stream offset of the body, or -1. */
export function parseClientHello(body: Uint8Array, base: number): ClientHello {
  const c = new Cursor(body, base, 'ClientHello');
  const legacyVersion = c.u16('legacy_version');
  const random = c.take(32, 'random');
  c.vector(1, 'legacy_session_id');
  const suites = c.vector(2, 'cipher_suites');
  const cipherSuites: number[] = [];
  while (!suites.done) cipherSuites.push(suites.u16('CipherSuite'));
  c.vector(1, 'legacy_compression_methods');
  const hello: ClientHello = { legacyVersion, random, cipherSuites };
  readExtensions(c, (type, data) => {
    if (type === ExtensionType.server_name) {
      const sni = readServerName(data);
      if (sni !== undefined) hello.sni = sni;
    } else if (type === ExtensionType.application_layer_protocol_negotiation) {
      hello.alpn = readProtocolNames(data);
    } else if (type === ExtensionType.supported_versions) {
      const list = data.vector(1, 'versions');
      const versions: number[] = [];
      while (!list.done) versions.push(list.u16('ProtocolVersion'));
      hello.supportedVersions = versions;
    }
  });
  return hello;
}

/** RFC 8446 §4.1.3 / RFC 5246 §7.4.1.3. */
export function parseServerHello(body: Uint8Array, base: number): ServerHello {
  const c = new Cursor(body, base, 'ServerHello');
  const legacyVersion = c.u16('legacy_version');
  const random = c.take(32, 'random');
  c.vector(1, 'legacy_session_id_echo');
  const cipherSuite = c.u16('cipher_suite');
  c.u8('legacy_compression_method');
  const helloRetryRequest = Buffer.from(random.buffer, random.byteOffset, 32).toString('hex') === HELLO_RETRY_REQUEST_RANDOM;
  const hello: ServerHello = { legacyVersion, random, cipherSuite, version: legacyVersion, helloRetryRequest };
  readExtensions(c, (type, data) => {
    if (type === ExtensionType.supported_versions) hello.version = data.u16('selected_version');
    else if (type === ExtensionType.application_layer_protocol_negotiation) hello.alpn = readProtocolNames(data)[0];
  });
  return hello;
}

/** RFC 8446 §4.3.1: TLS 1.3 moves the server's ALPN choice into EncryptedExtensions. */
export function parseEncryptedExtensions(body: Uint8Array): { alpn?: string } {
  const c = new Cursor(body, -1, 'EncryptedExtensions');
  const found: { alpn?: string } = {};
  readExtensions(c, (type, data) => {
    if (type === ExtensionType.application_layer_protocol_negotiation) {
      const name = readProtocolNames(data)[0];
      if (name !== undefined) found.alpn = name;
    }
  });
  return found;
}
