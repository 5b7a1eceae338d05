/**
 * MQTT packet framing (MQTT 5 §2.1): split a byte stream into whole control packets by their
 * fixed header and Remaining Length, then parse one whole packet at a time with mqtt-packet.
 *
 * Why frame ourselves: mqtt-packet's parser does not say how many bytes a packet consumed, keeps
 * buffering whatever it is fed (no size limit), and is unusable after a parse error. Framing
 * first lets the gateway refuse an oversized packet from its fixed header alone — before a byte
 * of its body is buffered — and hand each packet on as the exact bytes the peer sent.
 */
import { isUtf8 } from 'node:buffer';
import mqttPacket, { type Packet } from 'mqtt-packet';

/** MQTT control packet types (§2.1.2, table 2-1). */
export const PacketType = {
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
  SUBSCRIBE: 8,
  SUBACK: 9,
  UNSUBSCRIBE: 10,
  UNSUBACK: 11,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
  AUTH: 15,
} as const;

const PACKET_NAMES = Object.fromEntries(Object.entries(PacketType).map(([name, type]) => [type, name])) as Record<number, string>;

/** "CONNECT", "AUTH" … ("reserved (0)" for type 0). */
export function packetTypeName(type: number): string {
  return PACKET_NAMES[type] ?? `reserved (${type})`;
}

/** The largest Remaining Length a 4-byte Variable Byte Integer can carry (§1.5.5). */
export const MAX_REMAINING_LENGTH = 268_435_455;

export interface FixedHeader {
  /** Control packet type, 1 (CONNECT) … 15 (AUTH). */
  type: number;
  /** The low nibble of the first byte. */
  flags: number;
  remainingLength: number;
  /** Bytes of the fixed header: 1 + the Remaining Length's 1–4 bytes. */
  headerLength: number;
  /** The whole packet's size, what Maximum Packet Size limits (§3.1.2.11.4). */
  packetLength: number;
}

/** A byte stream that is not MQTT: the receiver answers 0x81 Malformed Packet and closes. */
export class MalformedPacketError extends Error {
  constructor(
    message: string,
    /** Offset of the offending byte within the packet, when known. */
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'MalformedPacketError';
  }
}

/** Fixed-header flags every type but PUBLISH must carry exactly (§2.1.3, table 2-2). */
function requiredFlags(type: number): number | undefined {
  if (type === PacketType.PUBLISH) return undefined;
  return type === PacketType.PUBREL || type === PacketType.SUBSCRIBE || type === PacketType.UNSUBSCRIBE ? 0b0010 : 0;
}

function checkTypeAndFlags(first: number): void {
  const type = first >> 4;
  const flags = first & 0x0f;
  if (type === 0) throw new MalformedPacketError('packet type 0 is reserved', 0);
  const required = requiredFlags(type);
  if (required !== undefined && flags !== required) {
    throw new MalformedPacketError(`${packetTypeName(type)} fixed-header flags must be 0b${required.toString(2).padStart(4, '0')}, got 0b${flags.toString(2).padStart(4, '0')}`, 0);
  }
  if (type === PacketType.PUBLISH && (flags & 0b0110) === 0b0110) throw new MalformedPacketError('PUBLISH with both QoS bits set', 0);
}

/**
 * Reads the fixed header at the start of `bytes`; undefined while the Remaining Length is still
 * incomplete. Throws MalformedPacketError for a reserved type, wrong flags, or a Remaining
 * Length longer than 4 bytes.
 */
export function readFixedHeader(bytes: Buffer): FixedHeader | undefined {
  if (bytes.length === 0) return undefined;
  const first = bytes[0]!;
  checkTypeAndFlags(first);
  let remainingLength = 0;
  for (let i = 1; i <= 4; i++) {
    if (i >= bytes.length) return undefined;
    const byte = bytes[i]!;
    remainingLength += (byte & 0x7f) * 128 ** (i - 1);
    if ((byte & 0x80) === 0) {
      return { type: first >> 4, flags: first & 0x0f, remainingLength, headerLength: i + 1, packetLength: i + 1 + remainingLength };
    }
  }
  throw new MalformedPacketError('Remaining Length longer than 4 bytes', 4);
}

/** Reads a Variable Byte Integer (§1.5.5) at `offset`; undefined when cut short or over 4 bytes. */
export function readVariableByteInteger(bytes: Buffer, offset: number): { value: number; length: number } | undefined {
  let value = 0;
  for (let i = 0; i < 4 && offset + i < bytes.length; i++) {
    const byte = bytes[offset + i]!;
    value += (byte & 0x7f) * 128 ** i;
    if ((byte & 0x80) === 0) return { value, length: i + 1 };
  }
  return undefined;
}

/** The bytes a Variable Byte Integer (§1.5.5) takes: 1 to 4. */
export function variableByteIntegerLength(value: number): number {
  return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
}

/** Writes a Variable Byte Integer (§1.5.5) at `offset` (unchecked: see variableByteInteger); returns the offset after it. */
export function writeVariableByteInteger(target: Buffer, value: number, offset: number): number {
  do {
    const byte = value % 128;
    value = Math.floor(value / 128);
    target[offset++] = value > 0 ? byte | 0x80 : byte;
  } while (value > 0);
  return offset;
}

/** Encodes a Variable Byte Integer (§1.5.5). */
export function variableByteInteger(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > MAX_REMAINING_LENGTH) throw new RangeError(`${value} does not fit a Variable Byte Integer`);
  const bytes = Buffer.allocUnsafe(variableByteIntegerLength(value));
  writeVariableByteInteger(bytes, value, 0);
  return bytes;
}

export interface Frame {
  header: FixedHeader;
  /** The whole packet, fixed header included, exactly as received. */
  bytes: Buffer;
}

export interface FramerResult {
  packets: Frame[];
  /** A packet whose declared size exceeds the limit: framing stopped, its body was not kept. */
  oversize?: FixedHeader;
  /** The stream is not MQTT: framing stopped. */
  malformed?: MalformedPacketError;
}

/**
 * Cuts a byte stream into whole packets. Chunks are kept as a list and joined only when a packet
 * spans them, so a packet inside one chunk costs no copy. After an oversized or malformed
 * packet the framer stops: the connection is being closed and nothing more is buffered.
 */
export class PacketFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private header: FixedHeader | undefined;
  private stopped = false;

  /** @param maxPacketSize the largest whole packet accepted, in bytes (Infinity: no limit). */
  constructor(private readonly maxPacketSize = Infinity) {}

  /** Bytes held for a packet not yet complete. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): FramerResult {
    const packets: Frame[] = [];
    if (this.stopped) return { packets };
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    try {
      while (this.buffered > 0) {
        if (!this.header) {
          const header = readFixedHeader(this.head());
          if (!header) break;
          if (header.packetLength > this.maxPacketSize) return this.stop({ packets, oversize: header });
          this.header = header;
        }
        if (this.buffered < this.header.packetLength) break;
        packets.push({ header: this.header, bytes: this.take(this.header.packetLength) });
        this.header = undefined;
      }
    } catch (error) {
      if (error instanceof MalformedPacketError) return this.stop({ packets, malformed: error });
      throw error;
    }
    return { packets };
  }

  private stop(result: FramerResult): FramerResult {
    this.stopped = true;
    this.chunks = [];
    this.buffered = 0;
    return result;
  }

  /** At least the first 5 bytes (a whole fixed header) when that many are buffered. */
  private head(): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= 5 || this.chunks.length === 1) return first;
    const bytes: number[] = [];
    for (const chunk of this.chunks) {
      for (const byte of chunk) {
        bytes.push(byte);
        if (bytes.length === 5) return Buffer.from(bytes);
      }
    }
    return Buffer.from(bytes);
  }

  private take(length: number): Buffer {
    const first = this.chunks[0]!;
    this.buffered -= length;
    if (first.length >= length) {
      if (first.length === length) this.chunks.shift();
      else this.chunks[0] = first.subarray(length);
      return first.subarray(0, length);
    }
    const joined = Buffer.concat(this.chunks);
    const rest = joined.subarray(length);
    this.chunks = rest.length > 0 ? [rest] : [];
    return joined.subarray(0, length);
  }
}

/** The MQTT protocol versions mqtt-packet speaks: 3 (3.1), 4 (3.1.1), 5. */
export type ProtocolVersion = 3 | 4 | 5;

/**
 * Parses packets one whole packet at a time with one mqtt-packet parser (creating one per
 * packet costs more than the parse), replaced after an error since mqtt-packet's is then
 * unusable. Without a version it expects a CONNECT first and goes on with that one's version.
 * Whole packets are parsed synchronously, so a parser may serve many connections.
 */
export class PacketParser {
  private parser: ReturnType<typeof mqttPacket.parser> | undefined;
  private parsed: Packet | undefined;
  private failure: Error | undefined;

  constructor(private protocolVersion?: ProtocolVersion) {}

  /** Throws MalformedPacketError whatever mqtt-packet objects to — or throws. */
  parse(bytes: Buffer): Packet {
    if (this.protocolVersion === 5 && bytes.length === 2 && bytes[0] === PacketType.AUTH << 4 && bytes[1] === 0) {
      // §3.15.2.1: an AUTH with Remaining Length 0 means reason code 0x00 and no properties;
      // mqtt-packet cannot parse that short form.
      return { cmd: 'auth', reasonCode: 0x00 };
    }
    const parser = (this.parser ??= this.createParser());
    this.parsed = undefined;
    this.failure = undefined;
    try {
      parser.parse(bytes);
    } catch (error) {
      // mqtt-packet reads past the end of a truncated packet with bl, which throws RangeError.
      this.failure ??= error instanceof Error ? error : new Error(String(error));
    }
    // Set by the parser's listeners during parse(): TypeScript cannot see that.
    const parsed = this.parsed as Packet | undefined;
    const failure = this.failure as Error | undefined;
    if (failure || !parsed) {
      this.parser = undefined;
      if (failure instanceof BadStringError) {
        // The parser counts from the end of the fixed header; the packet's bytes from its start.
        const at = (readFixedHeader(bytes)?.headerLength ?? 0) + failure.bodyOffset;
        throw new MalformedPacketError(`the ${failure.field} at byte ${at} ${failure.problem}`, at);
      }
      throw new MalformedPacketError(failure?.message ?? 'packet ends before its fields do');
    }
    // mqtt-packet's parser goes on with the CONNECT's version by itself; a replacement needs it.
    if (parsed.cmd === 'connect') this.protocolVersion = parsed.protocolVersion ?? 4;
    return parsed;
  }

  private createParser(): ReturnType<typeof mqttPacket.parser> {
    const parser = mqttPacket.parser(this.protocolVersion ? { protocolVersion: this.protocolVersion } : undefined);
    checkStrings(parser);
    parser.on('packet', (packet: Packet) => (this.parsed ??= packet));
    parser.on('error', (error: Error) => (this.failure ??= error));
    return parser;
  }
}

/** The parts of mqtt-packet's parser that strings and property values are read with (not in its typings). */
interface StringReader {
  _parseString(): string | null;
  _parseByType(type: string): unknown;
  _list: { slice(start: number, end: number): Buffer };
  _pos: number;
}

/** A string or property value checkStrings refused, where it starts after the fixed header, and why. */
class BadStringError extends Error {
  constructor(
    readonly bodyOffset: number,
    readonly problem: string,
    /** "UTF-8 Encoded String", "UTF-8 String Pair property" … (§1.5). */
    readonly field = 'UTF-8 Encoded String',
  ) {
    super(`the ${field} at byte ${bodyOffset} of the packet body ${problem}`);
  }
}

/** How a property value of each mqtt-packet type is named in §1.5, and its "could not read" value. */
const PROPERTY_VALUES: Record<string, { field: string; unread: (value: unknown) => boolean }> = {
  string: { field: 'UTF-8 Encoded String property', unread: (v) => v === null },
  binary: { field: 'Binary Data property', unread: (v) => v === null },
  pair: { field: 'UTF-8 String Pair property', unread: (v) => (v as { name: unknown; value: unknown }).name === null || (v as { name: unknown; value: unknown }).value === null },
  int16: { field: 'Two Byte Integer property', unread: (v) => v === -1 },
  int32: { field: 'Four Byte Integer property', unread: (v) => v === -1 },
};

/**
 * mqtt-packet reads every UTF-8 Encoded String (§1.5.4) with Buffer.toString, which turns bytes
 * that are not UTF-8 into U+FFFD without a word. MQTT-1.5.4-1 makes ill-formed UTF-8 — surrogates
 * and overlong forms included — a Malformed Packet, and MQTT-1.5.4-2 the null character too: each
 * string's bytes are checked as it is read (PacketParser turns the refusal into a
 * MalformedPacketError at the string's offset in the packet).
 */
function checkStrings(parser: ReturnType<typeof mqttPacket.parser>): void {
  const reader = parser as unknown as StringReader;
  const readString = reader._parseString;
  if (typeof readString !== 'function') throw new Error('mqtt-packet has changed: its parser has no _parseString, so UTF-8 strings cannot be checked');
  reader._parseString = function (this: StringReader) {
    const lengthAt = this._pos;
    const text = readString.call(this);
    if (text === null) return text;
    const bytes = this._list.slice(lengthAt + 2, this._pos);
    if (!isUtf8(bytes)) throw new BadStringError(lengthAt, 'is not well-formed UTF-8 (MQTT-1.5.4-1)');
    if (bytes.includes(0)) throw new BadStringError(lengthAt, 'contains U+0000 (MQTT-1.5.4-2)');
    return text;
  };
  // mqtt-packet 9.0.2 reports a string it cannot read (its length runs past the packet) as null,
  // and every caller but the property reader refuses that; properties keep the null (a User
  // Property named null, an Authentication Data of null), which throws later, far from the bytes.
  const readByType = reader._parseByType;
  if (typeof readByType !== 'function') throw new Error('mqtt-packet has changed: its parser has no _parseByType, so property values cannot be checked');
  reader._parseByType = function (this: StringReader, type: string) {
    const valueAt = this._pos;
    const value = readByType.call(this, type);
    const kind = PROPERTY_VALUES[type];
    if (kind?.unread(value)) throw new BadStringError(valueAt, 'runs past the end of the packet', kind.field);
    return value;
  };
}

/** One parser per protocol version, shared by every connection; CONNECT carries its own. */
const sharedParsers = new Map<ProtocolVersion | 'connect', PacketParser>();

/**
 * Parses one whole packet (a Frame's bytes). CONNECT carries its own protocol version; every
 * other packet needs the connection's (AUTH, reason codes and properties exist only in 5).
 * Throws MalformedPacketError whatever mqtt-packet objects to — or throws.
 */
export function parsePacket(bytes: Buffer, protocolVersion?: ProtocolVersion): Packet {
  const key = protocolVersion ?? 'connect';
  let parser = sharedParsers.get(key);
  if (!parser) sharedParsers.set(key, (parser = new PacketParser(protocolVersion)));
  return parser.parse(bytes);
}

/**
 * A CONNECT's Protocol Level byte (§3.1.2.2), read without parsing the packet: how to phrase
 * the answer to a CONNECT too large or too broken to parse. Undefined when not visible.
 */
export function peekProtocolLevel(bytes: Buffer): number | undefined {
  let header: FixedHeader | undefined;
  try {
    header = readFixedHeader(bytes);
  } catch {
    return undefined;
  }
  if (!header || header.type !== PacketType.CONNECT) return undefined;
  const nameLengthAt = header.headerLength;
  if (bytes.length < nameLengthAt + 2) return undefined;
  const levelAt = nameLengthAt + 2 + bytes.readUInt16BE(nameLengthAt);
  const level = bytes[levelAt];
  // The top bit marks a bridge (mqtt-packet's bridgeMode), not a version.
  return level === undefined ? undefined : level & 0x7f;
}

/** Serialises a packet; throws an Error (never an emitted 'error') when mqtt-packet refuses. */
export function generatePacket(packet: Packet, protocolVersion: ProtocolVersion): Buffer {
  return mqttPacket.generate(packet, { protocolVersion });
}
