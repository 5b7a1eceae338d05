/**
 * The byte-level reading of a PAC (MS-PAC, MS-RPCE NDR): a little-endian reader that links each
 * field to its bytes and names errors by their path, NDR alignment, pointers, conformant and varying
 * arrays, RPC_UNICODE_STRING, SIDs, and the type serialization headers (MS-RPCE §2.2.6) in front of
 * every NDR-encoded buffer. The buffer decoders (pac.ts, pac-claims.ts) are built from these.
 */
import { BinaryReader } from '../binary';
import { leaf, type TreeNode } from '../tree';

export const PAC_STRUCTURE = 'PAC';
const STRUCTURE = PAC_STRUCTURE;

/** MS-DTYP §2.4.2: a SID has at most 15 sub-authorities. */
const MAX_SUB_AUTHORITIES = 15;

// ---- Display helpers -----------------------------------------------------------------------

export type Shown = TreeNode['value'];

const FILETIME_NEVER = 0x7fffffffffffffffn;
const FILETIME_TICKS_PER_SECOND = 10_000_000n;
/** Seconds from 1601-01-01 (FILETIME epoch) to 1970-01-01. */
const FILETIME_UNIX_EPOCH_SECONDS = 11_644_473_600n;

/** FILETIME (100 ns ticks since 1601) as ISO-8601 UTC with all seven fractional digits kept. */
export function formatFiletime(ticks: bigint): string {
  if (ticks === 0n) return 'not set';
  if (ticks === FILETIME_NEVER) return 'never';
  // Every uint64 tick count lands between years 1601 and 60056, inside Date's range: no RangeError.
  const seconds = ticks / FILETIME_TICKS_PER_SECOND - FILETIME_UNIX_EPOCH_SECONDS;
  const fraction = ticks % FILETIME_TICKS_PER_SECOND;
  const iso = new Date(Number(seconds) * 1000).toISOString();
  return iso.replace('.000Z', fraction === 0n ? 'Z' : `.${fraction.toString().padStart(7, '0')}Z`);
}

/** MS-DTYP §2.4.2.1 string form: S-Revision-IdentifierAuthority-SubAuthority…. */
export function formatSid(revision: number, identifierAuthority: Uint8Array, subAuthorities: readonly number[]): string {
  const authority = identifierAuthority.reduce((acc, byte) => acc * 256 + byte, 0);
  // MS-DTYP: authorities of 2^32 and above are written in hex.
  const shown = authority < 2 ** 32 ? String(authority) : `0x${authority.toString(16).toUpperCase().padStart(12, '0')}`;
  return ['S', revision, shown, ...subAuthorities].join('-');
}

export function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

export function flagNames(value: number, names: Record<number, string>): string[] {
  const set: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    if (((value >>> bit) & 1) === 0) continue;
    const mask = 2 ** bit;
    set.push(names[mask] ?? hex32(mask));
  }
  return set;
}

export function showFlags(names: Record<number, string>): (value: number) => string {
  return (value) => {
    const set = flagNames(value, names);
    return set.length ? `${hex32(value)} (${set.join(', ')})` : hex32(value);
  };
}

export function showHex(bytes: Buffer): string {
  return bytes.toString('hex');
}

/** Short hex for small blobs; only the size for big ones (the hex dump shows the rest). */
export function showBlob(bytes: Buffer): string {
  return bytes.length <= 64 ? bytes.toString('hex') || '(empty)' : `${bytes.length} bytes`;
}

// ---- Reader --------------------------------------------------------------------------------

/**
 * A little-endian BinaryReader for one PAC buffer (or the PACTYPE header). It records each field
 * as a leaf, names errors by their full path ("buffer[0].KERB_VALIDATION_INFO.GroupIds[3].RelativeId")
 * and, for NDR streams, aligns each primitive to its size from the start of the stream.
 */
export class PacReader extends BinaryReader {
  private readonly scope: string[] = [];
  /** Where the buffer (and its NDR stream) begins, in `bytes`. */
  readonly origin: number;

  constructor(
    bytes: Uint8Array,
    base: number,
    start: number,
    end: number,
    private readonly path: string,
    private readonly ndr: boolean,
  ) {
    super(bytes, STRUCTURE, start, base, end);
    this.origin = start;
  }

  /** Bytes of the buffer, from its start to its end. */
  get size(): number {
    return this.end - this.origin;
  }

  field(name: string): string {
    return [this.path, ...this.scope, name]
      .filter((segment) => segment !== '')
      .reduce((path, segment) => (segment.startsWith('[') || path === '' ? path + segment : `${path}.${segment}`), '');
  }

  failField(name: string, reason: string, at = this.offset): never {
    return this.fail(this.field(name), reason, at);
  }

  /** NDR aligns a primitive of size n to a multiple of n from the start of the stream. */
  align(n: number): void {
    const pad = (n - ((this.offset - this.origin) % n)) % n;
    if (pad === 0) return;
    this.need(this.field('(alignment padding)'), pad);
    this.offset += pad;
  }

  private record<T>(out: TreeNode[], name: string, type: string, alignment: number, read: (field: string) => T, show: (value: T) => Shown): T {
    if (this.ndr && alignment > 1) this.align(alignment);
    const start = this.position;
    const value = read(this.field(name));
    out.push(leaf(name, type, start, this.position - start, show(value)));
    return value;
  }

  u8(out: TreeNode[], name: string, show: (v: number) => Shown = (v) => v): number {
    return this.record(out, name, 'uint8', 1, (f) => this.uint8(f), show);
  }

  u16(out: TreeNode[], name: string, show: (v: number) => Shown = (v) => v): number {
    return this.record(out, name, 'uint16', 2, (f) => this.uint16(f, true), show);
  }

  u32(out: TreeNode[], name: string, show: (v: number) => Shown = (v) => v, type = 'uint32'): number {
    return this.record(out, name, type, 4, (f) => this.uint32(f, true), show);
  }

  i32(out: TreeNode[], name: string, show: (v: number) => Shown = (v) => v): number {
    return this.record(out, name, 'int32', 4, (f) => this.int32(f, true), show);
  }

  u64(out: TreeNode[], name: string, show: (v: bigint) => Shown): bigint {
    return this.record(out, name, 'uint64', 8, (f) => this.uint64(f, true), show);
  }

  /** An NDR unique pointer: its referent ID, 0 meaning NULL. */
  pointer(out: TreeNode[], name: string): number {
    return this.u32(out, name, (v) => (v === 0 ? 'NULL' : `referent ${hex32(v)}`), 'pointer');
  }

  /** FILETIME: two little-endian DWORDs (low first), so 4-byte aligned in NDR. */
  filetime(out: TreeNode[], name: string): string {
    return formatFiletime(this.record(out, name, 'FILETIME', 4, (f) => this.uint64(f, true), formatFiletime));
  }

  raw(out: TreeNode[], name: string, type: string, length: number, show: (b: Buffer) => Shown, alignment = 1): Buffer {
    return this.record(out, name, type, alignment, (f) => this.bytesOf(f, length), show);
  }

  utf16(out: TreeNode[], name: string, byteLength: number): string {
    return this.raw(out, name, 'UTF-16LE', byteLength, (b) => b.toString('utf16le')).toString('utf16le');
  }

  /**
   * Checks an element count against the bytes left, before any loop or allocation. The error
   * points at the count field, which was just read (`countSize` bytes back).
   */
  requireCount(name: string, count: number, elementSize: number, countSize = 4): void {
    if (count * elementSize > this.remaining) {
      this.failField(name, `${count} element(s) of ${elementSize} bytes need ${count * elementSize} bytes but only ${this.remaining} remain`, this.offset - countSize);
    }
  }

  /**
   * Records a composite node. It is added to `out` before `read` runs so that, if `read` throws,
   * the fields decoded so far stay in the tree. `scope` is the segment added to error paths.
   */
  group<T>(
    out: TreeNode[],
    name: string,
    type: string,
    read: (children: TreeNode[], node: TreeNode) => T,
    show?: (value: T) => Shown,
    scope = name,
  ): T {
    // Every NDR construct in a PAC (structures with pointers or ULONGs, conformant arrays, RPC_SID)
    // is 4-byte aligned: skip the padding first so the node starts at its first real byte.
    if (this.ndr) this.align(4);
    const children: TreeNode[] = [];
    const node: TreeNode = { name, type, offset: this.position, length: 0, children };
    out.push(node);
    this.scope.push(scope);
    try {
      const value = read(children, node);
      const shown = show?.(value);
      if (shown !== undefined) node.value = shown;
      return value;
    } finally {
      this.scope.pop();
      node.length = Math.max(0, this.position - node.offset);
    }
  }

  /** Reads at `relative` bytes from the buffer start (UPN_DNS_INFO strings), then comes back. */
  at<T>(relative: number, read: () => T): T {
    const saved = this.offset;
    this.offset = this.origin + relative;
    try {
      return read();
    } finally {
      this.offset = saved;
    }
  }
}

// ---- SIDs ----------------------------------------------------------------------------------

/** SID fields (MS-DTYP §2.4.2.2): Revision, SubAuthorityCount, IdentifierAuthority, SubAuthority[]. */
function readSidFields(r: PacReader, c: TreeNode[], maxCount?: number): string {
  const revision = r.u8(c, 'Revision');
  const count = r.u8(c, 'SubAuthorityCount');
  if (count > MAX_SUB_AUTHORITIES) r.failField('SubAuthorityCount', `${count} sub-authorities; a SID has at most ${MAX_SUB_AUTHORITIES}`, r.offset - 1);
  if (maxCount !== undefined && maxCount !== count) {
    r.failField('SubAuthorityCount', `${count} differs from the NDR MaxCount ${maxCount}`, r.offset - 1);
  }
  // IdentifierAuthority is a big-endian 48-bit value, unlike everything else in the PAC.
  const authority = r.raw(c, 'IdentifierAuthority', 'uint8[6] (big-endian)', 6, showHex);
  const subAuthorities: number[] = [];
  for (let i = 0; i < count; i++) subAuthorities.push(r.u32(c, `SubAuthority[${i}]`));
  return formatSid(revision, authority, subAuthorities);
}

/** A plain binary SID (UPN_DNS_INFO Sid, PAC_REQUESTOR). */
export function readSid(r: PacReader, out: TreeNode[], name: string): string {
  return r.group(out, name, 'SID', (c) => readSidFields(r, c), (sid) => sid);
}

/** RPC_SID in NDR: a conformant structure, so its MaxCount comes first. */
export function readRpcSid(r: PacReader, out: TreeNode[], name: string, scope = name): string {
  return r.group(
    out,
    name,
    'RPC_SID',
    (c) => readSidFields(r, c, r.u32(c, 'MaxCount')),
    (sid) => sid,
    scope,
  );
}

// ---- NDR building blocks -------------------------------------------------------------------

export interface UnicodeStringHeader {
  node: TreeNode;
  Length: number;
  MaximumLength: number;
  Buffer: number;
}

/** RPC_UNICODE_STRING as embedded in a structure: the characters come later (deferred). */
export function readUnicodeStringHeader(r: PacReader, out: TreeNode[], name: string, scope = name): UnicodeStringHeader {
  return r.group(
    out,
    name,
    'RPC_UNICODE_STRING',
    (c, node) => ({ node, Length: r.u16(c, 'Length'), MaximumLength: r.u16(c, 'MaximumLength'), Buffer: r.pointer(c, 'Buffer') }),
    undefined,
    scope,
  );
}

/**
 * The counts in front of a conformant varying array (MaxCount, Offset, ActualCount); returns
 * ActualCount once it is known to fit MaxCount and the offset is 0, as every PAC writer sends.
 */
export function readVaryingCounts(r: PacReader, c: TreeNode[]): number {
  const maxCount = r.u32(c, 'MaxCount');
  const offset = r.u32(c, 'Offset');
  const actualCount = r.u32(c, 'ActualCount');
  if (offset !== 0) r.failField('Offset', `varying-array Offset ${offset} should be 0`, r.offset - 8);
  if (actualCount > maxCount) r.failField('ActualCount', `ActualCount ${actualCount} exceeds MaxCount ${maxCount}`, r.offset - 4);
  return actualCount;
}

/** The deferred characters of an RPC_UNICODE_STRING: a conformant varying WCHAR array. */
export function readUnicodeStringBody(r: PacReader, out: TreeNode[], name: string, header: UnicodeStringHeader, scope = name): string {
  if (header.Buffer === 0) {
    header.node.value = '';
    return '';
  }
  const text = r.group(
    out,
    name,
    'WCHAR[] (conformant varying)',
    (c) => {
      const actualCount = readVaryingCounts(r, c);
      if (actualCount * 2 !== header.Length) {
        r.failField('ActualCount', `${actualCount} characters but the string's Length says ${header.Length} bytes`, r.offset - 4);
      }
      r.requireCount('ActualCount', actualCount, 2);
      return r.utf16(c, 'Buffer', actualCount * 2);
    },
    (value) => value,
    scope,
  );
  header.node.value = text;
  return text;
}

/** MS-RPCE §2.2.6: the common type header and private header before the top-level pointer. */
export function readNdrHeaders(r: PacReader, out: TreeNode[]): void {
  r.group(out, 'CommonHeader', 'MS-RPCE common type header', (c) => {
    const version = r.u8(c, 'Version');
    if (version !== 1) r.failField('Version', `serialization version ${version}; only version 1 exists`, r.offset - 1);
    const endianness = r.u8(c, 'Endianness', (v) => (v === 0x10 ? '0x10 (little-endian)' : `0x${v.toString(16)}`));
    if (endianness !== 0x10) r.failField('Endianness', `0x${endianness.toString(16)}: only little-endian (0x10) PAC data is supported`, r.offset - 1);
    const length = r.u16(c, 'CommonHeaderLength');
    if (length !== 8) r.failField('CommonHeaderLength', `${length}; must be 8`, r.offset - 2);
    r.raw(c, 'Filler', 'uint32', 4, showHex);
  });
  r.group(out, 'PrivateHeader', 'MS-RPCE private header', (c) => {
    // Informational only: implementations disagree on whether it counts the trailing padding.
    r.u32(c, 'ObjectBufferLength');
    r.raw(c, 'Filler', 'uint32', 4, showHex);
  });
  if (r.pointer(out, 'ReferentId') === 0) r.failField('ReferentId', 'NULL top-level pointer: the buffer carries no structure', r.offset - 4);
}

/** The conformance (MaxCount) of a deferred array must match the count field that sized it. */
export function readMaxCount(r: PacReader, c: TreeNode[], countName: string, count: number, elementSize: number): number {
  const maxCount = r.u32(c, 'MaxCount');
  if (maxCount !== count) r.failField('MaxCount', `${maxCount} differs from ${countName} ${count}`, r.offset - 4);
  r.requireCount('MaxCount', maxCount, elementSize);
  return maxCount;
}
