/**
 * Classic libpcap files (draft-ietf-opsawg-pcap §4–§5): a 24-byte file header, then records of a
 * 16-byte header and the captured bytes.
 *
 *   File Header:  Magic Number (4) | Major (2) | Minor (2) | Reserved1 (4) | Reserved2 (4)
 *                 SnapLen (4) | FCS len (4 bits) R P Reserved3 | LinkType (16 bits)
 *   Record:       Timestamp (seconds) (4) | Timestamp (µs or ns) (4)
 *                 Captured Packet Length (4) | Original Packet Length (4) | Packet Data
 *
 * The magic says both the byte order and the resolution: a1b2c3d4 µs, a1b23c4d ns, read in the
 * writer's byte order (so d4c3b2a1 / 4d3cb2a1 mean "the other byte order"). The pcap file is read
 * in whichever order makes the magic one of those. Pure functions of (bytes, base): `base` is the
 * file offset of `bytes[0]`, so every error names an absolute offset.
 */
import { CaptureFormatError } from './errors';
import type { CapturePacket } from './types';

/** Magic Number, microsecond timestamps (§4). */
export const PCAP_MAGIC_US = 0xa1b2c3d4;
/** Magic Number, nanosecond timestamps (§4). */
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_FILE_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;
/**
 * The largest record accepted whatever the header's SnapLen says: Wireshark's
 * WTAP_MAX_PACKET_SIZE_STANDARD. A larger Captured Packet Length means a corrupt record, and
 * refusing it keeps the reader from buffering gigabytes on the word of one bad field.
 */
export const PCAP_MAX_CAPTURED_LENGTH = 262_144;
/** The ceiling whatever SnapLen says (some writers put 0xffffffff there): the pcapng reader's. */
const PCAP_MAX_RECORD_LENGTH = 128 * 1024 * 1024;

export interface PcapFileHeader {
  littleEndian: boolean;
  /** Timestamp fraction in nanoseconds (magic a1b23c4d) rather than microseconds. */
  nanosecond: boolean;
  versionMajor: number;
  versionMinor: number;
  snapLen: number;
  /** LINKTYPE_*, the low 16 bits of the LinkType field (the FCS bits above it masked off). */
  linkType: number;
  /** FCS length in bytes when the P bit says it is given (§4: FCS len counts 16-bit words). */
  fcsLength?: number;
  /** The largest Captured Packet Length a record may declare. */
  maxCapturedLength: number;
}

const STRUCTURE_HEADER = 'pcap file header';
const STRUCTURE_RECORD = 'pcap record';

function u32(bytes: Uint8Array, o: number, le: boolean): number {
  return le
    ? (bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24)) >>> 0
    : ((bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!) >>> 0;
}

function u16(bytes: Uint8Array, o: number, le: boolean): number {
  return le ? bytes[o]! | (bytes[o + 1]! << 8) : (bytes[o]! << 8) | bytes[o + 1]!;
}

/** Whether these four bytes open a classic pcap file (either byte order, either resolution). */
export function isPcapMagic(bytes: Uint8Array, o: number): boolean {
  const be = u32(bytes, o, false);
  const le = u32(bytes, o, true);
  return be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS || le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS;
}

/** Reads the 24-byte file header at `bytes[o]` (file offset `base + o`). */
export function readPcapFileHeader(bytes: Uint8Array, o: number, base: number): PcapFileHeader {
  const at = base + o;
  if (bytes.length - o < PCAP_FILE_HEADER_LENGTH) {
    throw new CaptureFormatError(STRUCTURE_HEADER, '', at, `truncated: the header is ${PCAP_FILE_HEADER_LENGTH} bytes, only ${bytes.length - o} are there`);
  }
  let littleEndian: boolean;
  const magicBe = u32(bytes, o, false);
  if (magicBe === PCAP_MAGIC_US || magicBe === PCAP_MAGIC_NS) littleEndian = false;
  else if (u32(bytes, o, true) === PCAP_MAGIC_US || u32(bytes, o, true) === PCAP_MAGIC_NS) littleEndian = true;
  else throw new CaptureFormatError(STRUCTURE_HEADER, 'magic number', at, `0x${magicBe.toString(16).padStart(8, '0')} is not a pcap magic`);
  const magic = u32(bytes, o, littleEndian);
  const versionMajor = u16(bytes, o + 4, littleEndian);
  const versionMinor = u16(bytes, o + 6, littleEndian);
  if (versionMajor !== 2) {
    throw new CaptureFormatError(STRUCTURE_HEADER, 'major version', at + 4, `version ${versionMajor}.${versionMinor} is not 2.x`);
  }
  const snapLen = u32(bytes, o + 16, littleEndian);
  const linkField = u32(bytes, o + 20, littleEndian);
  // §4: bits 28–31 FCS len (16-bit words), bit 26 P "FCS len present", bits 16–25 reserved.
  const fcsPresent = (linkField & 0x0400_0000) !== 0;
  return {
    littleEndian,
    nanosecond: magic === PCAP_MAGIC_NS,
    versionMajor,
    versionMinor,
    snapLen,
    linkType: linkField & 0xffff,
    ...(fcsPresent ? { fcsLength: (linkField >>> 28) * 2 } : {}),
    maxCapturedLength: Math.min(Math.max(snapLen, PCAP_MAX_CAPTURED_LENGTH), PCAP_MAX_RECORD_LENGTH),
  };
}

/**
 * The whole length (record header + captured bytes) of the record whose header starts at
 * `bytes[o]`; the caller must have the 16 header bytes. Throws on a Captured Packet Length no
 * reader would accept.
 */
export function pcapRecordLength(bytes: Uint8Array, o: number, header: PcapFileHeader, base: number): number {
  const captured = u32(bytes, o + 8, header.littleEndian);
  if (captured > header.maxCapturedLength) {
    throw new CaptureFormatError(
      STRUCTURE_RECORD,
      'captured packet length',
      base + o + 8,
      `${captured} bytes is more than the ${header.maxCapturedLength} a record may hold (corrupt record?)`,
    );
  }
  return PCAP_RECORD_HEADER_LENGTH + captured;
}

/**
 * The packet of the complete record at `bytes[o]` (`pcapRecordLength` bytes must be there).
 * `data` is a view into `bytes`.
 */
export function pcapRecordPacket(bytes: Uint8Array, o: number, header: PcapFileHeader, base: number, number: number): CapturePacket {
  const le = header.littleEndian;
  let seconds = u32(bytes, o, le);
  let fraction = u32(bytes, o + 4, le);
  const captured = u32(bytes, o + 8, le);
  // Some writers leave the fraction ≥ one second; carry it like Wireshark's display would.
  let nanos: number;
  if (header.nanosecond) {
    if (fraction >= 1_000_000_000) {
      seconds += Math.floor(fraction / 1_000_000_000);
      fraction %= 1_000_000_000;
    }
    nanos = fraction;
  } else {
    if (fraction >= 1_000_000) {
      seconds += Math.floor(fraction / 1_000_000);
      fraction %= 1_000_000;
    }
    nanos = fraction * 1000;
  }
  return {
    number,
    seconds,
    nanos,
    linkType: header.linkType,
    data: bytes.subarray(o + PCAP_RECORD_HEADER_LENGTH, o + PCAP_RECORD_HEADER_LENGTH + captured),
    originalLength: u32(bytes, o + 12, le),
    interfaceId: 0,
    fileOffset: base + o,
  };
}
