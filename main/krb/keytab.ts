/**
 * Keytab files: MIT's FILE: format, which Heimdal, Java and Windows ktpass also write.
 * Pure bytes ↔ model ↔ tree; the caller reads and writes the file.
 *
 * Layout (MIT docs, "Keytab file format"; MIT src/lib/krb5/keytab/kt_file.c):
 *
 *   keytab     ::= version (2 bytes: 0x05 0x01 or 0x05 0x02) record*
 *   record     ::= size (int32) then |size| bytes: an entry when size > 0, a hole when size < 0
 *                  (a deleted entry MIT zero-filled), and size 0 ends the keytab
 *   entry      ::= num_components (uint16; in 0x0501 it counts the realm too)
 *                  realm (uint16 length + bytes), component* (uint16 length + bytes),
 *                  name_type (int32; 0x0502 only), timestamp (uint32 unix seconds), vno8 (uint8),
 *                  keyblock (enctype int16, length uint16, key bytes),
 *                  [kvno32 (uint32): present when 4 bytes remain; non-zero overrides vno8]
 *                  [anything else: Heimdal's 32-bit flags, or zero fill from a reused hole]
 *
 * Byte order: 0x0502 is big-endian. 0x0501 is the writer's host order (MIT never swaps it), and
 * the file does not say which host that was. We read it big-endian first (network order, as
 * 0x0502 and as the old Sun/Java writers) and fall back to little-endian (x86) when the
 * big-endian reading does not decode: a wrong guess turns the first entry's size into a number
 * far larger than the file, so it fails at once and the guess cannot silently succeed.
 *
 * Tolerated quirks: Windows ktpass writes name_type 1 for host principals, 0 in vno8 with the
 * real kvno in kvno32, and entries whose size is larger than what they hold (padding); MIT
 * itself pads an entry it writes into a larger hole.
 */
import { Buffer } from 'node:buffer';
import { timingSafeEqual } from 'node:crypto';
import { BinaryReader, BinaryWriter } from './binary';
import { getEnctype, requireEnctype } from './crypto';
import { KrbDecodeError } from './errors';
import { enctypeName, formatName, formatPrincipal, NameType, nameTypeName, type Principal } from './names';
import type { TreeNode } from './tree';
import type { KeytabEntrySummary } from './reports';

export const KEYTAB_V1 = 0x501;
export const KEYTAB_V2 = 0x502;
const STRUCTURE = 'keytab';
const INT32_MIN = -0x80000000;

export interface KeytabEntry {
  principal: Principal;
  /** When the key was written, unix seconds. */
  timestamp: number;
  /** The effective key version: kvno32 when present and non-zero, else vno8. */
  kvno: number;
  enctype: number;
  key: Buffer;
  /** The 8-bit kvno as read (ktpass writes 0 there); written back as is when kvno ≠ 0. */
  vno8?: number;
  /** Bytes after kvno32 inside the entry (Heimdal flags, padding); kept and written back. */
  extra?: Buffer;
}

export interface Keytab {
  version: 0x501 | 0x502;
  entries: KeytabEntry[];
  /** Byte order the file was read in (0x0501 only can be little-endian). */
  byteOrder?: 'big-endian' | 'little-endian';
}

export interface KeytabParseOptions {
  /** Show key bytes as hex in the tree (default: "<32 bytes hidden>"). */
  revealKeys?: boolean;
  /** Recovery (keytab-recovery.ts): each entry's real length is its declared size minus this. */
  sizeAdjust?: number;
  /** Recovery: stop at the first bad record and return what came before it, and why, instead of throwing. */
  partial?: boolean;
}

export interface ParsedKeytab {
  keytab: Keytab;
  tree: TreeNode;
  /** With `partial`: where reading stopped and why (the entries before it are in `keytab`). */
  damage?: KrbDecodeError;
}

/** Cheap auto-detection: the two version bytes (ccaches start 0x05 0x03/0x04). */
export function isKeytab(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x05 && (bytes[1] === 0x01 || bytes[1] === 0x02);
}

function isKeytabVersion(version: number): version is Keytab['version'] {
  return version === KEYTAB_V1 || version === KEYTAB_V2;
}

// ---- reading ---------------------------------------------------------------------------------

/** Decodes a keytab; throws KrbDecodeError (structure "keytab", field, byte offset) on bad bytes. */
export function parseKeytab(bytes: Uint8Array, options: KeytabParseOptions = {}): ParsedKeytab {
  const reader = new BinaryReader(bytes, STRUCTURE);
  const version = reader.uint16('version');
  if (!isKeytabVersion(version)) {
    throw new KrbDecodeError(STRUCTURE, 'version', 0, `0x${version.toString(16).padStart(4, '0')} is not a keytab version (0x0501 or 0x0502)`);
  }
  if (version === KEYTAB_V2) return parseBody(bytes, version, false, options);
  if (options.partial) {
    // Both byte orders read as far as they can: the one that reads more entries is the likelier.
    const [big, little] = [parseBody(bytes, version, false, options), parseBody(bytes, version, true, options)];
    return little.keytab.entries.length > big.keytab.entries.length ? little : big;
  }
  try {
    return parseBody(bytes, version, false, options);
  } catch (bigEndianError) {
    if (!(bigEndianError instanceof KrbDecodeError)) throw bigEndianError;
    try {
      return parseBody(bytes, version, true, options);
    } catch (littleEndianError) {
      // Report the reading that got further: it is the likelier byte order.
      if (littleEndianError instanceof KrbDecodeError && littleEndianError.offset > bigEndianError.offset) throw littleEndianError;
      throw bigEndianError;
    }
  }
}

interface EntryContext {
  version: 0x501 | 0x502;
  /** 0x0501 read in little-endian order. */
  le: boolean;
  revealKeys: boolean;
}

function parseBody(bytes: Uint8Array, version: 0x501 | 0x502, le: boolean, options: KeytabParseOptions): ParsedKeytab {
  const reader = new BinaryReader(bytes, STRUCTURE, 2);
  const context: EntryContext = { version, le, revealKeys: options.revealKeys ?? false };
  const byteOrder = le ? 'little-endian' : 'big-endian';
  const shownVersion = version === KEYTAB_V2 ? '0x0502' : `0x0501 (host byte order, read as ${byteOrder})`;
  const children: TreeNode[] = [{ name: 'version', type: 'uint16', offset: 0, length: 2, value: shownVersion }];
  const entries: KeytabEntry[] = [];
  const holes = { count: 0 };
  let damage: KrbDecodeError | undefined;
  while (reader.remaining > 0) {
    const start = reader.offset;
    try {
      if (readRecord(reader, context, options.sizeAdjust ?? 0, entries, children, holes) === 'end') break;
    } catch (error) {
      if (!options.partial || !(error instanceof KrbDecodeError)) throw error;
      damage = error;
      children.push({ name: 'damaged', type: 'octets', offset: start, length: bytes.length - start, error: error.message });
      break;
    }
  }
  const keytab: Keytab = { version, entries, byteOrder };
  const tree: TreeNode = {
    name: 'keytab',
    type: 'keytab',
    offset: 0,
    length: bytes.length,
    value: `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}${holes.count ? `, ${holes.count} hole(s)` : ''}`,
    children,
  };
  return damage ? { keytab, tree, damage } : { keytab, tree };
}

/** One record at the reader's position: an entry, a hole, or the end (size 0). */
function readRecord(reader: BinaryReader, context: EntryContext, sizeAdjust: number, entries: KeytabEntry[], children: TreeNode[], holes: { count: number }): 'end' | 'more' {
  const start = reader.offset;
  const label = `entry[${entries.length}]`;
  const declared = reader.int32(`${label}.size`, context.le);
  const sizeNode: TreeNode = { name: 'size', type: 'int32', offset: start, length: 4, value: declared };
  if (declared === 0) {
    children.push(endNode(reader, start, sizeNode));
    return 'end';
  }
  if (declared < 0) {
    children.push(holeNode(reader, start, declared, sizeNode, `hole[${holes.count++}]`));
    return 'more';
  }
  const size = declared - sizeAdjust;
  if (sizeAdjust) sizeNode.value = `${declared} (read as ${size}: the writer's lengths are off by ${sizeAdjust})`;
  if (size <= 0 || size > reader.remaining) {
    reader.fail(`${label}.size`, `entry size ${size} runs past the end of the input (${reader.remaining} bytes remain)`, start);
  }
  const entryReader = new BinaryReader(reader.bytes, STRUCTURE, reader.offset, 0, reader.offset + size);
  const { entry, node } = parseEntry(entryReader, label, context, sizeNode);
  entries.push(entry);
  children.push(node);
  reader.offset += size;
  return 'more';
}

/** A negative size: |size| bytes left by a deleted entry. MIT skips them, and so do we. */
function holeNode(reader: BinaryReader, start: number, size: number, sizeNode: TreeNode, label: string): TreeNode {
  if (size === INT32_MIN) reader.fail(`${label}.size`, 'hole size -2147483648 cannot be negated (MIT: KRB5_KT_FORMAT)', start);
  const length = -size;
  if (length > reader.remaining) {
    reader.fail(`${label}.size`, `hole of ${length} bytes runs past the end of the input (${reader.remaining} bytes remain)`, start);
  }
  const skipped = skippedNode('deleted', reader, length);
  return { name: 'hole', type: 'keytab_hole', offset: start, length: 4 + length, value: `${length} bytes left by a deleted entry`, children: [sizeNode, skipped] };
}

/** Bytes we step over (a hole's old entry, what follows the end): shown, never decoded. */
function skippedNode(name: string, reader: BinaryReader, length: number): TreeNode {
  const offset = reader.position;
  const bytes = reader.bytes.subarray(reader.offset, reader.offset + length);
  reader.offset += length;
  const zero = bytes.every((b) => b === 0);
  return { name, type: 'octets', offset, length, value: zero ? `${length} zero bytes` : `${length} bytes, not all zero` };
}

/** Size 0 ends the keytab for MIT, whatever follows (usually zero fill). */
function endNode(reader: BinaryReader, start: number, sizeNode: TreeNode): TreeNode {
  const rest = reader.remaining;
  return {
    name: 'end',
    type: 'keytab_end',
    offset: start,
    length: 4 + rest,
    value: rest ? `size 0 ends the keytab; ${rest} byte(s) after it ignored` : 'size 0 ends the keytab',
    children: rest ? [sizeNode, skippedNode('ignored', reader, rest)] : [sizeNode],
  };
}

function parseEntry(r: BinaryReader, label: string, context: EntryContext, sizeNode: TreeNode): { entry: KeytabEntry; node: TreeNode } {
  const start = r.position - 4;
  const children: TreeNode[] = [sizeNode];
  const count = r.node('num_components', 'uint16', () => r.uint16(`${label}.num_components`, context.le));
  children.push(count.node);
  let componentCount = count.value;
  if (context.version === KEYTAB_V1) {
    if (componentCount === 0) r.fail(`${label}.num_components`, 'is 0, but in a 0x0501 keytab it counts the realm too', count.node.offset);
    componentCount -= 1;
  }
  const realm = readCountedString(r, `${label}.realm`, 'realm', context.le);
  children.push(realm.node);
  const components = readComponents(r, label, componentCount, context.le);
  children.push(components.node);
  let nameType: number = NameType.UNKNOWN; // what MIT assigns to 0x0501 entries
  if (context.version === KEYTAB_V2) {
    const read = r.node('name_type', 'int32', () => r.int32(`${label}.name_type`), (v) => `${nameTypeName(v)} (${v})`);
    nameType = read.value;
    children.push(read.node);
  }
  const timestamp = r.node('timestamp', 'uint32', () => r.uint32(`${label}.timestamp`, context.le), isoTime);
  const vno8 = r.node('vno8', 'uint8', () => r.uint8(`${label}.vno8`));
  children.push(timestamp.node, vno8.node);
  const keyblock = readKeyblock(r, label, context);
  children.push(keyblock.node);

  let kvno = vno8.value;
  // The 32-bit kvno extension: present when the entry has room for it; 0 means zero fill.
  if (r.remaining >= 4) {
    const kvno32 = r.node('kvno32', 'uint32', () => r.uint32(`${label}.kvno32`, context.le));
    if (kvno32.value !== 0) kvno = kvno32.value;
    else kvno32.node.value = '0 (zero fill: vno8 applies)';
    children.push(kvno32.node);
  }
  const entry: KeytabEntry = {
    principal: { nameType, components: components.value, realm: realm.value },
    timestamp: timestamp.value,
    kvno,
    enctype: keyblock.enctype,
    key: keyblock.key,
    vno8: vno8.value,
  };
  if (r.remaining > 0) {
    entry.extra = r.bytesOf(`${label}.extra`, r.remaining);
    children.push(extraNode(entry.extra, r.position - entry.extra.length));
  }
  const node: TreeNode = {
    name: 'entry',
    type: 'keytab_entry',
    offset: start,
    length: r.position - start,
    value: `${formatPrincipal(entry.principal)} kvno ${kvno} ${enctypeName(entry.enctype)}`,
    children,
  };
  return { entry, node };
}

function readCountedString(r: BinaryReader, field: string, name: string, le: boolean): { value: string; node: TreeNode } {
  const start = r.position;
  const length = r.uint16(`${field}.length`, le);
  const data = r.bytesOf(`${field}.data`, length);
  const value = data.toString('utf8');
  return { value, node: { name, type: 'counted_octet_string', offset: start, length: 2 + length, value } };
}

function readComponents(r: BinaryReader, label: string, count: number, le: boolean): { value: string[]; node: TreeNode } {
  const start = r.position;
  const value: string[] = [];
  const children: TreeNode[] = [];
  for (let i = 0; i < count; i++) {
    const component = readCountedString(r, `${label}.components[${i}]`, `component[${i}]`, le);
    value.push(component.value);
    children.push(component.node);
  }
  return { value, node: { name: 'components', type: 'counted_octet_string[]', offset: start, length: r.position - start, value: formatName(value), children } };
}

function readKeyblock(r: BinaryReader, label: string, context: EntryContext): { enctype: number; key: Buffer; node: TreeNode } {
  const start = r.position;
  const enctype = r.node('enctype', 'int16', () => r.int16(`${label}.keyblock.enctype`, context.le), (v) => `${enctypeName(v)} (${v})`);
  const length = r.node('length', 'uint16', () => r.uint16(`${label}.keyblock.length`, context.le));
  const keyStart = r.position;
  const key = r.bytesOf(`${label}.keyblock.key`, length.value);
  const shown = context.revealKeys ? key.toString('hex') : `<${key.length} bytes hidden>`;
  const keyNode: TreeNode = { name: 'key', type: 'octets', offset: keyStart, length: key.length, value: shown };
  const node: TreeNode = {
    name: 'keyblock',
    type: 'keyblock',
    offset: start,
    length: r.position - start,
    value: enctypeName(enctype.value),
    children: [enctype.node, length.node, keyNode],
  };
  return { enctype: enctype.value, key, node };
}

function extraNode(extra: Buffer, offset: number): TreeNode {
  const zero = extra.every((b) => b === 0);
  const what = extra.length === 4 ? 'Heimdal flags (uint32) or padding' : zero ? 'zero padding' : 'unknown trailing bytes';
  return { name: 'extra', type: 'octets', offset, length: extra.length, value: `${what}: ${extra.toString('hex')}` };
}

/** Unix seconds → "2026-01-02T03:04:05Z". */
export function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

// ---- writing ---------------------------------------------------------------------------------

/**
 * Encodes a keytab as MIT writes it: version 0x0502, big-endian, kvno32 always present (MIT ≥ 1.14
 * does, so MIT-written files round-trip byte for byte). Holes are not kept.
 */
export function writeKeytab(keytab: Keytab): Buffer {
  const writer = new BinaryWriter().uint16(KEYTAB_V2);
  for (const entry of keytab.entries) {
    const body = encodeEntry(entry);
    writer.int32(body.length).bytes(body);
  }
  return writer.toBuffer();
}

function encodeEntry(entry: KeytabEntry): Buffer {
  const { principal } = entry;
  checkRange('num_components', principal.components.length, 0, 0xffff);
  checkRange('name_type', principal.nameType, INT32_MIN, 0x7fffffff);
  checkRange('timestamp', entry.timestamp, 0, 0xffffffff);
  checkRange('kvno', entry.kvno, 0, 0xffffffff);
  checkRange('enctype', entry.enctype, -0x8000, 0x7fff);
  checkRange('key length', entry.key.length, 0, 0xffff);
  const writer = new BinaryWriter().uint16(principal.components.length);
  writeCounted(writer, 'realm', principal.realm);
  principal.components.forEach((c, i) => writeCounted(writer, `component ${i}`, c));
  // vno8 only matters to readers when kvno32 is 0, so a ktpass entry keeps its byte.
  const vno8 = entry.kvno === 0 ? 0 : (entry.vno8 ?? entry.kvno & 0xff);
  writer.int32(principal.nameType).uint32(entry.timestamp).uint8(vno8);
  writer.int16(entry.enctype).uint16(entry.key.length).bytes(entry.key);
  writer.uint32(entry.kvno);
  if (entry.extra) writer.bytes(entry.extra);
  return writer.toBuffer();
}

function writeCounted(writer: BinaryWriter, what: string, text: string): void {
  const data = Buffer.from(text, 'utf8');
  checkRange(`${what} length`, data.length, 0, 0xffff);
  writer.uint16(data.length).bytes(data);
}

function checkRange(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`keytab ${what} ${value} is outside ${min}..${max}`);
}

// ---- keys ------------------------------------------------------------------------------------

/** MIT's "normal" salt: the realm followed by every name component, no separators. */
export function defaultSalt(principal: Pick<Principal, 'realm' | 'components'>): string {
  return principal.realm + principal.components.join('');
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** An entry whose key is derived from a password (what ktutil addent -password does). */
export function keytabEntryFromPassword(
  principal: Principal,
  password: string,
  enctype: number,
  kvno: number,
  salt: string | Uint8Array = defaultSalt(principal),
  timestamp = nowSeconds(),
): KeytabEntry {
  const key = requireEnctype(enctype).stringToKey(password, salt);
  return { principal, timestamp, kvno, enctype, key };
}

/** An entry with a fresh random key (what kadmin's randkey does). */
export function keytabEntryRandom(principal: Principal, enctype: number, kvno: number, timestamp = nowSeconds()): KeytabEntry {
  return { principal, timestamp, kvno, enctype, key: requireEnctype(enctype).randomKey() };
}

export interface PasswordCheck {
  entry: KeytabEntry;
  /** null: the enctype is not supported here, so the key could not be derived. */
  match: boolean | null;
}

/** Derives each entry's key from the password (its own default salt unless `salt`) and compares. */
export function checkPassword(keytab: Keytab, password: string, salt?: string | Uint8Array): PasswordCheck[] {
  const derived = new Map<string, Buffer>(); // one PBKDF2 run per (enctype, salt), not per kvno
  return keytab.entries.map((entry) => {
    const enctype = getEnctype(entry.enctype);
    if (!enctype) return { entry, match: null };
    const entrySalt = salt ?? defaultSalt(entry.principal);
    const cacheKey = `${entry.enctype}:${Buffer.from(entrySalt).toString('hex')}`;
    let key = derived.get(cacheKey);
    if (!key) {
      key = enctype.stringToKey(password, entrySalt);
      derived.set(cacheKey, key);
    }
    return { entry, match: key.length === entry.key.length && timingSafeEqual(key, entry.key) };
  });
}

// ---- editing ---------------------------------------------------------------------------------

export function samePrincipal(a: Pick<Principal, 'realm' | 'components'>, b: Pick<Principal, 'realm' | 'components'>): boolean {
  return a.realm === b.realm && a.components.length === b.components.length && a.components.every((c, i) => c === b.components[i]);
}

/** Two entries occupy the same slot when principal, kvno and enctype agree (the key may differ). */
export function sameSlot(a: KeytabEntry, b: KeytabEntry): boolean {
  return a.kvno === b.kvno && a.enctype === b.enctype && samePrincipal(a.principal, b.principal);
}

/** Merges keytabs in order; a later entry replaces an earlier one in the same slot, in place. */
export function mergeKeytabs(keytabs: readonly Keytab[]): Keytab {
  const entries: KeytabEntry[] = [];
  for (const keytab of keytabs) {
    for (const entry of keytab.entries) {
      const index = entries.findIndex((e) => sameSlot(e, entry));
      if (index >= 0) entries[index] = entry;
      else entries.push(entry);
    }
  }
  return { version: KEYTAB_V2, entries };
}

export type { KeytabEntrySummary };

/** The JSON shape `kbench keytab show --json` prints (and the Keytab view shows). */
export function summarizeEntry(entry: KeytabEntry, revealKey = false): KeytabEntrySummary {
  const summary: KeytabEntrySummary = {
    principal: formatPrincipal(entry.principal),
    kvno: entry.kvno,
    timestamp: isoTime(entry.timestamp),
    enctype: enctypeName(entry.enctype),
    enctypeId: entry.enctype,
  };
  if (revealKey) summary.key = entry.key.toString('hex');
  return summary;
}
