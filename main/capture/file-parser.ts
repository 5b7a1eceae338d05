/**
 * A push parser for capture files: feed it the file's bytes in chunks of any size, it calls
 * `onPacket` for every pcap record / pcapng EPB, SPB or Packet Block, in file order.
 *
 * Memory: it keeps only the bytes of the one record or block that spans the chunk it was given
 * (the "carry"), so it holds at most the largest block of the file, never the file. Records that
 * lie wholly inside a chunk are read in place, and `data` is a view into that chunk (or into the
 * carry): valid during the callback only.
 *
 * Errors are CaptureFormatError: thrown by push() at the first corrupt record/block (every packet
 * before it has been delivered), by end() when the file stops inside a header, record or block,
 * and at the first four bytes when they are no capture magic. After an error the parser stays
 * failed and rethrows it.
 */
import { CaptureFormatError } from './errors';
import { isPcapMagic, PCAP_FILE_HEADER_LENGTH, PCAP_RECORD_HEADER_LENGTH, pcapRecordLength, pcapRecordPacket, readPcapFileHeader, type PcapFileHeader } from './pcap';
import {
  BLOCK_HEADER_LENGTH,
  blockName,
  BlockType,
  checkSkippedBlock,
  checkTrailingLength,
  MAX_BLOCK_LENGTH,
  pcapngBlockLength,
  readEnhancedPacket,
  readInterfaceDescription,
  readSectionHeader,
  readSimplePacket,
  sectionByteOrder,
  u32,
  type PcapngInterface,
  type PcapngSection,
} from './pcapng';
import type { CapturePacket } from './types';

export type CaptureFileFormat = 'pcap' | 'pcapng';

/** Bytes needed to tell an SHB's byte order: type, length, byte-order magic. */
const SHB_PREFIX_LENGTH = 12;
const MAGIC_LENGTH = 4;
const INITIAL_CARRY = 64 * 1024;

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

export class CaptureFileParser {
  private fileFormat: CaptureFileFormat | undefined;
  private pcapHeader: PcapFileHeader | undefined;
  private section: PcapngSection | undefined;
  private readonly interfaces: PcapngInterface[] = [];
  /** Frames delivered so far (the next one is number + 1). */
  private number = 0;
  /** Bytes pushed so far. */
  private total = 0;
  /** File offset of the first byte not yet consumed: the start of the carry when there is one. */
  private offset = 0;
  private carry = new Uint8Array(0);
  private carryLength = 0;
  /** How many bytes the unit in the carry needs before it can be read further. */
  private need = 0;
  private failure: CaptureFormatError | undefined;
  private ended = false;

  constructor(private readonly onPacket: (p: CapturePacket) => void) {}

  get bytesRead(): number {
    return this.total;
  }

  get format(): CaptureFileFormat | undefined {
    return this.fileFormat;
  }

  /** Frames delivered so far. */
  get packets(): number {
    return this.number;
  }

  /** The error this parser failed with, if any (to tell it from an error thrown by onPacket). */
  get error(): CaptureFormatError | undefined {
    return this.failure;
  }

  push(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (this.ended) throw new Error('CaptureFileParser: push() after end()');
    const chunkBase = this.total;
    this.total += chunk.length;
    try {
      let p = 0;
      if (this.carryLength > 0) {
        p = this.completeCarry(chunk);
        if (p < 0) return;
      }
      const q = this.scan(chunk, p, chunk.length, chunkBase);
      this.offset = chunkBase + q;
      if (q < chunk.length) this.append(chunk, q, chunk.length - q);
    } catch (error) {
      if (error instanceof CaptureFormatError) this.failure = error;
      throw error;
    }
  }

  end(): void {
    if (this.failure) throw this.failure;
    this.ended = true;
    if (this.total === 0) {
      this.failure = new CaptureFormatError('capture file', 'magic', 0, 'the file is empty: not a pcap or pcapng file');
    } else if (this.carryLength > 0) {
      this.failure = this.truncated();
    }
    if (this.failure) throw this.failure;
  }

  /**
   * Feeds the carry from `chunk` until its unit is complete and read. Returns where in `chunk`
   * scanning goes on, or -1 when the whole chunk went into the carry.
   */
  private completeCarry(chunk: Uint8Array): number {
    let p = 0;
    for (;;) {
      const take = Math.min(this.need - this.carryLength, chunk.length - p);
      this.append(chunk, p, take);
      p += take;
      if (this.carryLength < this.need) return -1;
      const length = this.unitLength(this.carry, 0, this.carryLength, this.offset);
      if (length > this.carryLength) {
        this.need = length;
        continue;
      }
      this.unit(this.carry, 0, length, this.offset);
      this.offset += length;
      this.carryLength = 0;
      return p;
    }
  }

  private append(chunk: Uint8Array, from: number, count: number): void {
    const needed = this.carryLength + count;
    if (needed > this.carry.length) {
      // Grow with the bytes actually held (doubling, capped by the unit's length): a corrupt
      // length field must not allocate its claimed size before the bytes arrive.
      const grown = new Uint8Array(Math.max(needed, Math.min(Math.max(INITIAL_CARRY, this.carry.length * 2), this.need)));
      grown.set(this.carry.subarray(0, this.carryLength));
      this.carry = grown;
    }
    this.carry.set(chunk.subarray(from, from + count), this.carryLength);
    this.carryLength += count;
  }

  /** Reads every complete unit of buf[p, end); returns where the first incomplete one starts. */
  private scan(buf: Uint8Array, p: number, end: number, base: number): number {
    for (;;) {
      if (this.section !== undefined) p = this.scanBlocks(buf, p, end, base);
      else if (this.pcapHeader !== undefined) p = this.scanRecords(buf, p, end, base);
      const available = end - p;
      if (available === 0) return p;
      const length = this.unitLength(buf, p, available, base);
      if (length > available) {
        this.need = length;
        return p;
      }
      this.unit(buf, p, length, base);
      p += length;
    }
  }

  /**
   * The hot loop of a pcapng section: packet blocks read in place, everything else (and every
   * error) through the general unit(). Returns at the first block it cannot read whole, or at an
   * SHB (a new byte order).
   */
  private scanBlocks(buf: Uint8Array, p: number, end: number, base: number): number {
    const section = this.section!;
    const le = section.littleEndian;
    const interfaces = this.interfaces;
    while (end - p >= BLOCK_HEADER_LENGTH) {
      const type = u32(buf, p, le);
      const length = u32(buf, p + 4, le);
      if (type === BlockType.SectionHeader || length < 12 || (length & 3) !== 0 || length > end - p || length > MAX_BLOCK_LENGTH) return p;
      if (type === BlockType.EnhancedPacket && u32(buf, p + length - 4, le) === length) {
        this.onPacket(readEnhancedPacket(buf, p, length, section, interfaces, base, ++this.number));
      } else {
        this.unit(buf, p, length, base);
      }
      p += length;
    }
    return p;
  }

  /** The hot loop of a pcap file: records read in place until one is not whole. */
  private scanRecords(buf: Uint8Array, p: number, end: number, base: number): number {
    const header = this.pcapHeader!;
    while (end - p >= PCAP_RECORD_HEADER_LENGTH) {
      const length = pcapRecordLength(buf, p, header, base);
      if (length > end - p) return p;
      this.onPacket(pcapRecordPacket(buf, p, header, base, ++this.number));
      p += length;
    }
    return p;
  }

  /**
   * The length of the unit (file header, record, block) at buf[p], or as many bytes as must be
   * there to tell it (a header's length) when fewer are available.
   */
  private unitLength(buf: Uint8Array, p: number, available: number, base: number): number {
    switch (this.fileFormat) {
      case 'pcap':
        if (this.pcapHeader === undefined) return PCAP_FILE_HEADER_LENGTH;
        if (available < PCAP_RECORD_HEADER_LENGTH) return PCAP_RECORD_HEADER_LENGTH;
        return pcapRecordLength(buf, p, this.pcapHeader!, base);
      case 'pcapng': {
        if (available < BLOCK_HEADER_LENGTH) return BLOCK_HEADER_LENGTH;
        // The SHB's type reads the same in both byte orders; its length needs its byte order.
        if (buf[p] === 0x0a && buf[p + 1] === 0x0d && buf[p + 2] === 0x0d && buf[p + 3] === 0x0a) {
          if (available < SHB_PREFIX_LENGTH) return SHB_PREFIX_LENGTH;
          return pcapngBlockLength(buf, p, sectionByteOrder(buf, p, base), base);
        }
        return pcapngBlockLength(buf, p, this.section!.littleEndian, base);
      }
      default:
        if (available < MAGIC_LENGTH) return MAGIC_LENGTH;
        this.detect(buf, p, base);
        return this.unitLength(buf, p, available, base);
    }
  }

  /** Sets the format from the magic at buf[p], or throws naming the bytes seen. */
  private detect(buf: Uint8Array, p: number, base: number): void {
    if (isPcapMagic(buf, p)) {
      this.fileFormat = 'pcap';
      return;
    }
    if (u32(buf, p, false) === BlockType.SectionHeader) {
      this.fileFormat = 'pcapng';
      return;
    }
    const seen = hex(buf.subarray(p, p + MAGIC_LENGTH));
    const hint = buf[p] === 0x1f && buf[p + 1] === 0x8b ? ' (a gzip stream: decompress it first)' : '';
    throw new CaptureFormatError('capture file', 'magic', base + p, `${seen} is neither a pcap nor a pcapng magic${hint}`);
  }

  /** Reads the complete unit buf[p, p + length). */
  private unit(buf: Uint8Array, p: number, length: number, base: number): void {
    if (this.fileFormat === 'pcap') {
      if (this.pcapHeader === undefined) this.pcapHeader = readPcapFileHeader(buf, p, base);
      else this.onPacket(pcapRecordPacket(buf, p, this.pcapHeader, base, ++this.number));
      return;
    }
    // pcapng: unitLength only says "pcapng" at an SHB, so the first block read is one.
    const type = buf[p] === 0x0a && buf[p + 1] === 0x0d && buf[p + 2] === 0x0d && buf[p + 3] === 0x0a ? BlockType.SectionHeader : -1;
    if (type === BlockType.SectionHeader) {
      const section = readSectionHeader(buf, p, base, this.interfaces.length);
      checkTrailingLength(buf, p, length, section.littleEndian, base);
      this.section = section;
      return;
    }
    const section = this.section!;
    const le = section.littleEndian;
    checkTrailingLength(buf, p, length, le, base);
    switch (u32(buf, p, le)) {
      case BlockType.EnhancedPacket:
      case BlockType.Packet:
        this.onPacket(readEnhancedPacket(buf, p, length, section, this.interfaces, base, ++this.number));
        return;
      case BlockType.SimplePacket:
        this.onPacket(readSimplePacket(buf, p, length, section, this.interfaces, base, ++this.number));
        return;
      case BlockType.InterfaceDescription:
        this.interfaces.push(readInterfaceDescription(buf, p, length, le, base));
        section.interfaceCount++;
        return;
      case BlockType.InterfaceStatistics:
      case BlockType.NameResolution:
        checkSkippedBlock(buf, p, length, le, base);
        return;
      default:
        // Unknown and unneeded blocks (DSB, custom, …) are skipped by their length (§3.1).
        return;
    }
  }

  /** The error for a file that ends inside the unit held in the carry. */
  private truncated(): CaptureFormatError {
    const have = this.carryLength;
    const at = this.offset;
    const c = this.carry;
    switch (this.fileFormat) {
      case 'pcap':
        if (this.pcapHeader === undefined) {
          return new CaptureFormatError('pcap file header', '', at, `truncated: the header is ${PCAP_FILE_HEADER_LENGTH} bytes, the file ends after ${have}`);
        }
        if (have < PCAP_RECORD_HEADER_LENGTH) {
          return new CaptureFormatError('pcap record', 'header', at, `truncated: the file ends ${have} bytes into the ${PCAP_RECORD_HEADER_LENGTH}-byte header of frame ${this.number + 1}`);
        }
        return new CaptureFormatError(
          'pcap record',
          '',
          at,
          `truncated: frame ${this.number + 1} declares ${this.need} bytes (header and captured data), the file ends after ${have}`,
        );
      case 'pcapng': {
        if (have < BLOCK_HEADER_LENGTH) {
          return new CaptureFormatError('pcapng block', 'header', at, `truncated: the file ends ${have} bytes into an ${BLOCK_HEADER_LENGTH}-byte block header`);
        }
        const shb = c[0] === 0x0a && c[1] === 0x0d && c[2] === 0x0d && c[3] === 0x0a;
        if (shb && have < SHB_PREFIX_LENGTH) {
          return new CaptureFormatError('pcapng Section Header Block', '', at, `truncated: the file ends ${have} bytes into the block, before its byte-order magic`);
        }
        const name = blockName(shb ? BlockType.SectionHeader : u32(c, 0, this.section!.littleEndian));
        return new CaptureFormatError(`pcapng ${name}`, '', at, `truncated: the block declares ${this.need} bytes, the file ends after ${have}`);
      }
      default:
        return new CaptureFormatError('capture file', 'magic', at, `the file is only ${have} bytes long (${hex(c.subarray(0, have))}): not a pcap or pcapng file`);
    }
  }
}
