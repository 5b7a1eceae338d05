/**
 * pcapng blocks (draft-ietf-opsawg-pcapng §3–§4). Every block is
 *
 *   Block Type (4) | Block Total Length (4) | Block Body … | Block Total Length (4)
 *
 * with the total length a multiple of 4, at least 12, and repeated at the end. A file is one or
 * more sections, each opened by a Section Header Block whose Byte-Order Magic (1A2B3C4D) says the
 * byte order of every block up to the next SHB (§4.1). Interface ids count the Interface
 * Description Blocks of the section from 0 (§4.2); across the file we number them in the order
 * the file lists them, as Wireshark does, so a second section's interface 0 is the file's
 * interface N.
 *
 * Timestamps (§4.3) are 64-bit counts of if_tsresol units (10^-k, or 2^-k when the high bit of
 * the option byte is set; 10^-6 when absent) since the epoch, plus if_tsoffset seconds. They
 * exceed 2^53 in nanoseconds, so seconds and nanoseconds are computed from the two 32-bit halves
 * with exact integer steps (BigInt only for resolutions no writer uses: finer than 10^-9 or 2^-32).
 *
 * Pure functions of (bytes, base): `base` is the file offset of `bytes[0]`.
 */
import { CaptureFormatError } from './errors';
import type { CapturePacket } from './types';

export const BlockType = {
  SectionHeader: 0x0a0d0d0a,
  InterfaceDescription: 0x00000001,
  /** Obsolete Packet Block (§A): still written by old tools, and still a frame to Wireshark. */
  Packet: 0x00000002,
  SimplePacket: 0x00000003,
  NameResolution: 0x00000004,
  InterfaceStatistics: 0x00000005,
  EnhancedPacket: 0x00000006,
} as const;

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const BLOCK_HEADER_LENGTH = 8;
/** Type + length + trailing length. */
export const MIN_BLOCK_LENGTH = 12;
/** SHB: 12 + byte-order magic, versions, section length. */
export const MIN_SHB_LENGTH = 28;
/**
 * The largest block accepted: Wireshark's MAX_BLOCK_SIZE order of magnitude (its largest packet,
 * D-Bus at 128 MiB, plus room for options). Refusing larger keeps a corrupt length from making
 * the reader buffer gigabytes.
 */
export const MAX_BLOCK_LENGTH = 128 * 1024 * 1024 + 131_072;

/** Option codes used here (§3.5, §4.2). */
const OPT_ENDOFOPT = 0;
const IF_NAME = 2;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;
/** if_tsresol when the option is absent: 10^-6 (§4.2). */
export const DEFAULT_TSRESOL = 6;

const BLOCK_NAMES: Record<number, string> = {
  [BlockType.SectionHeader]: 'Section Header Block',
  [BlockType.InterfaceDescription]: 'Interface Description Block',
  [BlockType.Packet]: 'Packet Block',
  [BlockType.SimplePacket]: 'Simple Packet Block',
  [BlockType.NameResolution]: 'Name Resolution Block',
  [BlockType.InterfaceStatistics]: 'Interface Statistics Block',
  [BlockType.EnhancedPacket]: 'Enhanced Packet Block',
};

/** "Enhanced Packet Block", "block of type 0x00000bad". */
export function blockName(type: number): string {
  return BLOCK_NAMES[type] ?? `block of type 0x${type.toString(16).padStart(8, '0')}`;
}

function fail(type: number, field: string, offset: number, reason: string): never {
  throw new CaptureFormatError(`pcapng ${blockName(type)}`, field, offset, reason);
}

export function u32(bytes: Uint8Array, o: number, le: boolean): number {
  return le
    ? (bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24)) >>> 0
    : ((bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!) >>> 0;
}

function u16(bytes: Uint8Array, o: number, le: boolean): number {
  return le ? bytes[o]! | (bytes[o + 1]! << 8) : (bytes[o]! << 8) | bytes[o + 1]!;
}

/** How an interface's timestamp units become seconds + nanoseconds. */
export interface PcapngInterface {
  linkType: number;
  /** 0: no limit. */
  snapLen: number;
  /** The raw if_tsresol byte (6 when absent). */
  tsresol: number;
  /** if_tsoffset: seconds added to every timestamp. */
  tsoffset: number;
  name?: string;
  /** 10^k or 2^k units per second, when the fast exact path applies; 0 when BigInt is needed. */
  readonly unitsPerSecond: number;
  /** Multiplier from a remainder in units to nanoseconds (decimal k ≤ 9). */
  readonly nanosPerUnit: number;
  readonly binary: boolean;
}

/** The byte order and interface numbering of one section. */
export interface PcapngSection {
  littleEndian: boolean;
  versionMajor: number;
  versionMinor: number;
  /** The file-wide id of this section's interface 0. */
  interfaceBase: number;
  /** Interfaces this section has described so far. */
  interfaceCount: number;
}

/** Builds the timestamp conversion for an if_tsresol byte. */
export function pcapngInterface(linkType: number, snapLen: number, tsresol = DEFAULT_TSRESOL, tsoffset = 0, name?: string): PcapngInterface {
  const binary = (tsresol & 0x80) !== 0;
  const exponent = tsresol & 0x7f;
  let unitsPerSecond = 0;
  let nanosPerUnit = 0;
  if (!binary && exponent <= 9) {
    unitsPerSecond = 10 ** exponent;
    nanosPerUnit = 10 ** (9 - exponent);
  } else if (binary && exponent <= 32) {
    unitsPerSecond = 2 ** exponent;
  }
  return { linkType, snapLen, tsresol, tsoffset, ...(name !== undefined ? { name } : {}), unitsPerSecond, nanosPerUnit, binary };
}

const TWO_32 = 4294967296;
/** 10^9 = 2^9 · 5^9: scaling a 32-bit fraction by 5^9 stays below 2^53, and the 2^9 is exact. */
const FIVE_9 = 1_953_125;

/**
 * Sets `out.seconds` / `out.nanos` from a 64-bit timestamp (high and low 32 bits) in `iface`'s
 * units. Wireshark truncates the sub-nanosecond part; so do we.
 */
export function setPcapngTime(out: { seconds: number; nanos: number }, high: number, low: number, iface: PcapngInterface): void {
  const units = iface.unitsPerSecond;
  if (units !== 0 && !iface.binary) {
    // Long division of high·2^32 + low by 10^k in 16-bit steps: every intermediate < 2^53.
    const q1 = Math.floor(high / units);
    const r1 = high - q1 * units;
    const x = r1 * 65536 + (low >>> 16);
    const q2 = Math.floor(x / units);
    const r2 = x - q2 * units;
    const y = r2 * 65536 + (low & 0xffff);
    const q3 = Math.floor(y / units);
    out.seconds = q1 * TWO_32 + q2 * 65536 + q3 + iface.tsoffset;
    out.nanos = (y - q3 * units) * iface.nanosPerUnit;
    return;
  }
  if (units !== 0) {
    const lowSeconds = Math.floor(low / units);
    const fraction = low - lowSeconds * units;
    out.seconds = high * (TWO_32 / units) + lowSeconds + iface.tsoffset;
    const shift = iface.tsresol & 0x7f;
    out.nanos = shift >= 9 ? Math.floor((fraction * FIVE_9) / 2 ** (shift - 9)) : fraction * FIVE_9 * 2 ** (9 - shift);
    return;
  }
  const value = (BigInt(high) << 32n) | BigInt(low);
  const exponent = BigInt(iface.tsresol & 0x7f);
  const perSecond = iface.binary ? 1n << exponent : 10n ** exponent;
  const seconds = value / perSecond;
  const remainder = value - seconds * perSecond;
  out.seconds = Number(seconds) + iface.tsoffset;
  out.nanos = Number((remainder * 1_000_000_000n) / perSecond);
}

/**
 * The Block Total Length of the block at `bytes[o]` (8 header bytes must be there), checked:
 * a multiple of 4, at least 12 (28 for an SHB), at most MAX_BLOCK_LENGTH.
 */
export function pcapngBlockLength(bytes: Uint8Array, o: number, le: boolean, base: number): number {
  const type = u32(bytes, o, le);
  const length = u32(bytes, o + 4, le);
  const minimum = type === BlockType.SectionHeader ? MIN_SHB_LENGTH : MIN_BLOCK_LENGTH;
  if (length < minimum || length % 4 !== 0 || length > MAX_BLOCK_LENGTH) {
    fail(type, 'block total length', base + o + 4, `${length} is not a valid length (a multiple of 4, ${minimum} to ${MAX_BLOCK_LENGTH})`);
  }
  return length;
}

/** Checks the trailing copy of the Block Total Length of the complete block at `bytes[o]`. */
export function checkTrailingLength(bytes: Uint8Array, o: number, length: number, le: boolean, base: number): void {
  const trailing = u32(bytes, o + length - 4, le);
  if (trailing !== length) {
    fail(u32(bytes, o, le), 'trailing block total length', base + o + length - 4, `${trailing} differs from the leading ${length}`);
  }
}

/**
 * The byte order of the SHB at `bytes[o]` (12 bytes must be there), from its Byte-Order Magic.
 */
export function sectionByteOrder(bytes: Uint8Array, o: number, base: number): boolean {
  if (u32(bytes, o + 8, true) === BYTE_ORDER_MAGIC) return true;
  if (u32(bytes, o + 8, false) === BYTE_ORDER_MAGIC) return false;
  const seen = Array.from(bytes.subarray(o + 8, o + 12), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return fail(BlockType.SectionHeader, 'byte-order magic', base + o + 8, `${seen} is neither 1a2b3c4d nor 4d3c2b1a`);
}

/** Reads the complete SHB at `bytes[o]` into a new section numbering interfaces from `interfaceBase`. */
export function readSectionHeader(bytes: Uint8Array, o: number, base: number, interfaceBase: number): PcapngSection {
  const littleEndian = sectionByteOrder(bytes, o, base);
  const versionMajor = u16(bytes, o + 12, littleEndian);
  const versionMinor = u16(bytes, o + 14, littleEndian);
  if (versionMajor !== 1) {
    fail(BlockType.SectionHeader, 'major version', base + o + 12, `version ${versionMajor}.${versionMinor} is not 1.x`);
  }
  return { littleEndian, versionMajor, versionMinor, interfaceBase, interfaceCount: 0 };
}

/**
 * Walks the options from `start` to the block's trailing length (§3.5), calling `visit` for each;
 * stops at opt_endofopt. Throws if an option runs past the block.
 */
function walkOptions(
  bytes: Uint8Array,
  start: number,
  blockStart: number,
  length: number,
  le: boolean,
  base: number,
  visit: (code: number, value: Uint8Array, at: number) => void,
): void {
  const end = blockStart + length - 4;
  let p = start;
  while (p + 4 <= end) {
    const code = u16(bytes, p, le);
    const optionLength = u16(bytes, p + 2, le);
    if (code === OPT_ENDOFOPT) return;
    const next = p + 4 + ((optionLength + 3) & ~3);
    if (next > end) {
      fail(u32(bytes, blockStart, le), `option ${code}`, base + p, `its ${optionLength} bytes run past the end of the block`);
    }
    visit(code, bytes.subarray(p + 4, p + 4 + optionLength), base + p);
    p = next;
  }
}

/** Reads the complete IDB at `bytes[o]` (§4.2): link type, snap length, if_name, if_tsresol, if_tsoffset. */
export function readInterfaceDescription(bytes: Uint8Array, o: number, length: number, le: boolean, base: number): PcapngInterface {
  if (length < 20) fail(BlockType.InterfaceDescription, 'block total length', base + o + 4, `${length} is less than the 20 an IDB needs`);
  const linkType = u16(bytes, o + 8, le);
  const snapLen = u32(bytes, o + 12, le);
  let tsresol = DEFAULT_TSRESOL;
  let tsoffset = 0;
  let name: string | undefined;
  walkOptions(bytes, o + 16, o, length, le, base, (code, value, at) => {
    if (code === IF_TSRESOL) {
      if (value.length !== 1) fail(BlockType.InterfaceDescription, 'if_tsresol', at, `length ${value.length}, not 1`);
      tsresol = value[0]!;
    } else if (code === IF_TSOFFSET) {
      if (value.length !== 8) fail(BlockType.InterfaceDescription, 'if_tsoffset', at, `length ${value.length}, not 8`);
      const high = u32(value, le ? 4 : 0, le) | 0;
      tsoffset = high * TWO_32 + u32(value, le ? 0 : 4, le);
    } else if (code === IF_NAME) {
      name = new TextDecoder().decode(value);
    }
  });
  return pcapngInterface(linkType, snapLen, tsresol, tsoffset, name);
}

function interfaceOf(
  type: number,
  id: number,
  section: PcapngSection,
  interfaces: readonly PcapngInterface[],
  at: number,
): PcapngInterface {
  if (id >= section.interfaceCount) {
    fail(type, 'interface id', at, `interface ${id} is not described in this section (it has ${section.interfaceCount})`);
  }
  return interfaces[section.interfaceBase + id]!;
}

/**
 * The packet of the complete EPB (§4.3) or obsolete Packet Block (§A) at `bytes[o]`; `data` is
 * a view into `bytes`.
 */
export function readEnhancedPacket(
  bytes: Uint8Array,
  o: number,
  length: number,
  section: PcapngSection,
  interfaces: readonly PcapngInterface[],
  base: number,
  number: number,
): CapturePacket {
  const le = section.littleEndian;
  const type = u32(bytes, o, le);
  if (length < 32) fail(type, 'block total length', base + o + 4, `${length} is less than the 32 a packet block needs`);
  const obsolete = type === BlockType.Packet;
  const localId = obsolete ? u16(bytes, o + 8, le) : u32(bytes, o + 8, le);
  const iface = interfaceOf(type, localId, section, interfaces, base + o + 8);
  const captured = u32(bytes, o + 20, le);
  if (captured > length - 32) {
    fail(type, 'captured packet length', base + o + 20, `${captured} bytes do not fit in a block of ${length}`);
  }
  const packet: CapturePacket = {
    number,
    seconds: 0,
    nanos: 0,
    linkType: iface.linkType,
    data: bytes.subarray(o + 28, o + 28 + captured),
    originalLength: u32(bytes, o + 24, le),
    interfaceId: section.interfaceBase + localId,
    fileOffset: base + o,
  };
  setPcapngTime(packet, u32(bytes, o + 12, le), u32(bytes, o + 16, le), iface);
  return packet;
}

/**
 * The packet of the complete SPB at `bytes[o]` (§4.4): interface 0, no timestamp (0), captured
 * length = min(Original Packet Length, interface 0's SnapLen, the room in the block).
 */
export function readSimplePacket(
  bytes: Uint8Array,
  o: number,
  length: number,
  section: PcapngSection,
  interfaces: readonly PcapngInterface[],
  base: number,
  number: number,
): CapturePacket {
  const le = section.littleEndian;
  if (length < 16) fail(BlockType.SimplePacket, 'block total length', base + o + 4, `${length} is less than the 16 an SPB needs`);
  const iface = interfaceOf(BlockType.SimplePacket, 0, section, interfaces, base + o);
  const originalLength = u32(bytes, o + 8, le);
  let captured = Math.min(originalLength, length - 16);
  if (iface.snapLen !== 0 && iface.snapLen < captured) captured = iface.snapLen;
  return {
    number,
    seconds: 0,
    nanos: 0,
    linkType: iface.linkType,
    data: bytes.subarray(o + 12, o + 12 + captured),
    originalLength,
    interfaceId: section.interfaceBase,
    fileOffset: base + o,
  };
}

/** Checks the inner lengths of a complete ISB (§4.6) or NRB (§4.5), which the reader otherwise skips. */
export function checkSkippedBlock(bytes: Uint8Array, o: number, length: number, le: boolean, base: number): void {
  const type = u32(bytes, o, le);
  if (type === BlockType.InterfaceStatistics) {
    if (length < 24) fail(type, 'block total length', base + o + 4, `${length} is less than the 24 an ISB needs`);
    walkOptions(bytes, o + 20, o, length, le, base, () => undefined);
    return;
  }
  if (type === BlockType.NameResolution) {
    // Records: Record Type (2) | Record Value Length (2) | value padded to 4, up to nrb_record_end.
    const end = o + length - 4;
    let p = o + 8;
    while (p + 4 <= end) {
      const recordType = u16(bytes, p, le);
      const recordLength = u16(bytes, p + 2, le);
      if (recordType === 0) {
        walkOptions(bytes, p + 4, o, length, le, base, () => undefined);
        return;
      }
      const next = p + 4 + ((recordLength + 3) & ~3);
      if (next > end) fail(type, `record ${recordType}`, base + p, `its ${recordLength} bytes run past the end of the block`);
      p = next;
    }
  }
}
