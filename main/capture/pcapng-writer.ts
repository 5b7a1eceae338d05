/**
 * Writers for pcapng (draft-ietf-opsawg-pcapng) and classic pcap (draft-ietf-opsawg-pcap): the
 * export of a selection of frames, the test suites' crafted edge cases, and the benchmark's
 * million-packet generator. `packetInto` / `pcapRecordInto` write into a preallocated buffer so
 * a generator allocates nothing per packet.
 */
import { BlockType, BYTE_ORDER_MAGIC, DEFAULT_TSRESOL } from './pcapng';
import { PCAP_FILE_HEADER_LENGTH, PCAP_MAGIC_NS, PCAP_MAGIC_US, PCAP_RECORD_HEADER_LENGTH } from './pcap';

export type ByteOrder = 'le' | 'be';

/** Anything with a capture time and bytes: a CapturePacket fits. */
export interface WritablePacket {
  seconds: number;
  nanos: number;
  data: Uint8Array;
  /** Defaults to data.length. */
  originalLength?: number;
}

const IF_NAME = 2;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;
const TWO_32 = 4294967296;

function w32(buf: Uint8Array, o: number, v: number, le: boolean): void {
  if (le) {
    buf[o] = v;
    buf[o + 1] = v >>> 8;
    buf[o + 2] = v >>> 16;
    buf[o + 3] = v >>> 24;
  } else {
    buf[o] = v >>> 24;
    buf[o + 1] = v >>> 16;
    buf[o + 2] = v >>> 8;
    buf[o + 3] = v;
  }
}

function w16(buf: Uint8Array, o: number, v: number, le: boolean): void {
  if (le) {
    buf[o] = v;
    buf[o + 1] = v >>> 8;
  } else {
    buf[o] = v >>> 8;
    buf[o + 1] = v;
  }
}

/** TypedArray#set costs more than a byte loop for the short payloads most packets carry. */
function copyInto(buf: Uint8Array, o: number, data: Uint8Array): void {
  const n = data.length;
  if (n > 64) {
    buf.set(data, o);
    return;
  }
  for (let i = 0; i < n; i++) buf[o + i] = data[i]!;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

interface WriterInterface {
  tsresol: number;
  /** 10^k for decimal k ≤ 9 (exact fast path), else 0. */
  unitsPerSecond: number;
  nanosPerUnit: number;
  /** seconds·10^k of the last packet's second (a cache: packets come many to a second). */
  lastSeconds: number;
  lastHigh: number;
  lastLow: number;
}

/** One section: an SHB, its interfaces, and their packets, all in one byte order. */
export class PcapngWriter {
  private readonly le: boolean;
  private readonly interfaces: WriterInterface[] = [];

  constructor(options: { byteOrder?: ByteOrder } = {}) {
    this.le = (options.byteOrder ?? 'le') === 'le';
  }

  /** The Section Header Block (§4.1): version 1.0, section length unspecified (-1). */
  header(): Buffer {
    const b = Buffer.alloc(28);
    w32(b, 0, BlockType.SectionHeader, this.le);
    w32(b, 4, 28, this.le);
    w32(b, 8, BYTE_ORDER_MAGIC, this.le);
    w16(b, 12, 1, this.le);
    w16(b, 14, 0, this.le);
    b.fill(0xff, 16, 24);
    w32(b, 24, 28, this.le);
    return b;
  }

  /**
   * An Interface Description Block (§4.2); `tsresol` is the raw if_tsresol byte (default 6, µs).
   * `tsoffset` (if_tsoffset, seconds) is only written: packet() takes times relative to it.
   */
  addInterface(linkType: number, options: { snaplen?: number; tsresol?: number; name?: string; tsoffset?: number } = {}): { id: number; block: Buffer } {
    const tsresol = options.tsresol ?? DEFAULT_TSRESOL;
    const opts: Buffer[] = [];
    if (options.name !== undefined) opts.push(this.option(IF_NAME, Buffer.from(options.name, 'utf8')));
    if (options.tsresol !== undefined) opts.push(this.option(IF_TSRESOL, Buffer.from([tsresol])));
    if (options.tsoffset !== undefined) {
      const value = Buffer.alloc(8);
      if (this.le) value.writeBigInt64LE(BigInt(options.tsoffset));
      else value.writeBigInt64BE(BigInt(options.tsoffset));
      opts.push(this.option(IF_TSOFFSET, value));
    }
    if (opts.length > 0) opts.push(Buffer.alloc(4)); // opt_endofopt
    const head = Buffer.alloc(8);
    w16(head, 0, linkType, this.le);
    w32(head, 4, options.snaplen ?? 0, this.le);
    const block = this.block(BlockType.InterfaceDescription, Buffer.concat([head, ...opts]));
    const decimal = (tsresol & 0x80) === 0 && tsresol <= 9;
    this.interfaces.push({
      tsresol,
      unitsPerSecond: decimal ? 10 ** tsresol : 0,
      nanosPerUnit: decimal ? 10 ** (9 - tsresol) : 0,
      lastSeconds: -1,
      lastHigh: 0,
      lastLow: 0,
    });
    return { id: this.interfaces.length - 1, block };
  }

  /** Bytes an EPB holding `captured` bytes takes. */
  static packetLength(captured: number): number {
    return 32 + pad4(captured);
  }

  /** An Enhanced Packet Block (§4.3). */
  packet(interfaceId: number, p: WritablePacket): Buffer {
    const b = Buffer.allocUnsafe(PcapngWriter.packetLength(p.data.length));
    this.packetInto(b, 0, interfaceId, p);
    return b;
  }

  /** Writes an EPB at buf[offset]; returns its length. */
  packetInto(buf: Uint8Array, offset: number, interfaceId: number, p: WritablePacket): number {
    const iface = this.interfaces[interfaceId];
    if (!iface) throw new RangeError(`PcapngWriter: interface ${interfaceId} was not added`);
    const le = this.le;
    const captured = p.data.length;
    const length = 32 + pad4(captured);
    w32(buf, offset, BlockType.EnhancedPacket, le);
    w32(buf, offset + 4, length, le);
    w32(buf, offset + 8, interfaceId, le);
    this.timestampInto(buf, offset + 12, iface, p.seconds, p.nanos);
    w32(buf, offset + 20, captured, le);
    w32(buf, offset + 24, p.originalLength ?? captured, le);
    copyInto(buf, offset + 28, p.data);
    for (let i = offset + 28 + captured; i < offset + length - 4; i++) buf[i] = 0;
    w32(buf, offset + length - 4, length, le);
    return length;
  }

  /**
   * A Simple Packet Block (§4.4): interface 0, no timestamp. `data` must be what the block holds:
   * min(originalLength, interface 0's snaplen) bytes (readers derive that length, not the block's).
   */
  simplePacket(data: Uint8Array, originalLength = data.length): Buffer {
    const body = Buffer.alloc(4 + pad4(data.length));
    w32(body, 0, originalLength, this.le);
    body.set(data, 4);
    return this.block(BlockType.SimplePacket, body);
  }

  /** An Interface Statistics Block (§4.6) with no options. */
  statistics(interfaceId: number, seconds: number, nanos: number): Buffer {
    const body = Buffer.alloc(12);
    w32(body, 0, interfaceId, this.le);
    this.timestampInto(body, 4, this.interfaces[interfaceId] ?? { tsresol: 6, unitsPerSecond: 1e6, nanosPerUnit: 1000, lastSeconds: -1, lastHigh: 0, lastLow: 0 }, seconds, nanos);
    return this.block(BlockType.InterfaceStatistics, body);
  }

  /** A Name Resolution Block (§4.5) with one nrb_record_ipv4 record. */
  nameResolution(ipv4: readonly number[], name: string): Buffer {
    const value = Buffer.concat([Buffer.from(ipv4), Buffer.from(`${name}\0`, 'utf8')]);
    const record = Buffer.alloc(4 + pad4(value.length));
    w16(record, 0, 1, this.le);
    w16(record, 2, value.length, this.le);
    value.copy(record, 4);
    return this.block(BlockType.NameResolution, Buffer.concat([record, Buffer.alloc(4)]));
  }

  /** Any block: type, body (padded here), both lengths. */
  block(type: number, body: Uint8Array): Buffer {
    const length = 12 + pad4(body.length);
    const b = Buffer.alloc(length);
    w32(b, 0, type, this.le);
    w32(b, 4, length, this.le);
    b.set(body, 8);
    w32(b, length - 4, length, this.le);
    return b;
  }

  private option(code: number, value: Buffer): Buffer {
    const b = Buffer.alloc(4 + pad4(value.length));
    w16(b, 0, code, this.le);
    w16(b, 2, value.length, this.le);
    value.copy(b, 4);
    return b;
  }

  /** Timestamp (high) | Timestamp (low) in the interface's units (§4.3). */
  private timestampInto(buf: Uint8Array, o: number, iface: WriterInterface, seconds: number, nanos: number): void {
    let high: number;
    let low: number;
    const units = iface.unitsPerSecond;
    if (units !== 0 && seconds >= 0 && seconds < TWO_32) {
      // seconds·10^k, in 16-bit halves of seconds so every product stays below 2^53; packets
      // come many to a second, so the last second's value is kept.
      if (seconds !== iface.lastSeconds) {
        const a = Math.floor(seconds / 65536) * units;
        const c = (a % 65536) * 65536 + (seconds % 65536) * units;
        iface.lastSeconds = seconds;
        iface.lastHigh = Math.floor(a / 65536) + Math.floor(c / TWO_32);
        iface.lastLow = c % TWO_32;
      }
      high = iface.lastHigh;
      low = iface.lastLow + Math.floor(nanos / iface.nanosPerUnit);
      if (low >= TWO_32) {
        high += 1;
        low -= TWO_32;
      }
    } else {
      const exponent = BigInt(iface.tsresol & 0x7f);
      const perSecond = (iface.tsresol & 0x80) !== 0 ? 1n << exponent : 10n ** exponent;
      const value = BigInt(seconds) * perSecond + (BigInt(nanos) * perSecond) / 1_000_000_000n;
      high = Number((value >> 32n) & 0xffffffffn);
      low = Number(value & 0xffffffffn);
    }
    w32(buf, o, high, this.le);
    w32(buf, o + 4, low, this.le);
  }
}

export interface PcapOptions {
  byteOrder?: ByteOrder;
  resolution?: 'us' | 'ns';
  /** LINKTYPE_* (default 1, Ethernet). May carry the FCS bits of §4 above the low 16 bits. */
  linkType?: number;
  snaplen?: number;
}

/** The 24-byte classic pcap file header (version 2.4). */
export function pcapFileHeader(options: PcapOptions = {}): Buffer {
  const le = (options.byteOrder ?? 'le') === 'le';
  const b = Buffer.alloc(PCAP_FILE_HEADER_LENGTH);
  w32(b, 0, options.resolution === 'ns' ? PCAP_MAGIC_NS : PCAP_MAGIC_US, le);
  w16(b, 4, 2, le);
  w16(b, 6, 4, le);
  w32(b, 16, options.snaplen ?? 262_144, le);
  w32(b, 20, options.linkType ?? 1, le);
  return b;
}

/** Writes one pcap record at buf[offset]; returns its length (16 + captured). */
export function pcapRecordInto(buf: Uint8Array, offset: number, p: WritablePacket, options: PcapOptions = {}): number {
  const le = (options.byteOrder ?? 'le') === 'le';
  w32(buf, offset, p.seconds, le);
  w32(buf, offset + 4, options.resolution === 'ns' ? p.nanos : Math.floor(p.nanos / 1000), le);
  w32(buf, offset + 8, p.data.length, le);
  w32(buf, offset + 12, p.originalLength ?? p.data.length, le);
  copyInto(buf, offset + PCAP_RECORD_HEADER_LENGTH, p.data);
  return PCAP_RECORD_HEADER_LENGTH + p.data.length;
}

/** A whole classic pcap file. */
export function writePcap(packets: Iterable<WritablePacket>, options: PcapOptions = {}): Buffer {
  const list = [...packets];
  let total = PCAP_FILE_HEADER_LENGTH;
  for (const p of list) total += PCAP_RECORD_HEADER_LENGTH + p.data.length;
  const b = Buffer.allocUnsafe(total);
  pcapFileHeader(options).copy(b, 0);
  let o = PCAP_FILE_HEADER_LENGTH;
  for (const p of list) o += pcapRecordInto(b, o, p, options);
  return b;
}
