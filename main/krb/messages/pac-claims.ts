/**
 * PAC_CLIENT_CLAIMS_INFO (13) and PAC_DEVICE_CLAIMS_INFO (15), MS-PAC §2.11–2.12: an NDR
 * CLAIMS_SET_METADATA whose ClaimsSet bytes are themselves a serialized CLAIMS_SET (MS-ADTS
 * §2.2.18), possibly compressed. Windows KDCs compress bigger sets with XPRESS_HUFF; those are
 * decompressed and their fields linked to the decompressed bytes (a part of their own, like a
 * decrypted one). Claim values come out typed: INT64, UINT64, STRING, BOOLEAN (MS-ADTS §2.2.18.2).
 */
import { decompressXpressHuffman } from '../compression/xpress-huffman';
import { KrbDecodeError } from '../errors';
import type { TreeNode } from '../tree';
import { PacReader, readNdrHeaders, readVaryingCounts, showBlob } from './pac-ndr';

/** CLAIMS_COMPRESSION_FORMAT (MS-ADTS §2.2.18.4). */
export const CLAIMS_COMPRESSION: Record<number, string> = {
  0: 'COMPRESSION_FORMAT_NONE',
  2: 'COMPRESSION_FORMAT_LZNT1',
  3: 'COMPRESSION_FORMAT_XPRESS',
  4: 'COMPRESSION_FORMAT_XPRESS_HUFF',
};
const XPRESS_HUFF = 4;

/** CLAIMS_SOURCE_TYPE (MS-ADTS §2.2.18.3). */
const CLAIMS_SOURCE_TYPES: Record<number, string> = { 1: 'CLAIMS_SOURCE_TYPE_AD', 2: 'CLAIMS_SOURCE_TYPE_CERTIFICATE' };

/** CLAIM_TYPE (MS-ADTS §2.2.18.2) and the size of one value in its union arm's array. */
const CLAIM_TYPES: Record<number, { name: string; size: number }> = {
  1: { name: 'CLAIM_TYPE_INT64', size: 8 },
  2: { name: 'CLAIM_TYPE_UINT64', size: 8 },
  3: { name: 'CLAIM_TYPE_STRING', size: 4 },
  6: { name: 'CLAIM_TYPE_BOOLEAN', size: 8 },
};

export type ClaimValue = number | string | boolean;

export interface ClaimEntry {
  /** The claim's ID, e.g. "ad://ext/department:88d5d9085ea5c0c0". */
  id: string;
  type: number;
  typeName: string;
  /** INT64/UINT64 values beyond 2^53 are decimal strings. */
  values: ClaimValue[];
}

export interface ClaimsArray {
  sourceType: number;
  sourceTypeName: string;
  claims: ClaimEntry[];
}

export interface PacClaimsInfo {
  compressionFormat: number;
  compressionName: string;
  claimsSetSize: number;
  uncompressedClaimsSetSize: number;
  /** The claims, when the set could be read. */
  claimsArrays?: ClaimsArray[];
  /** Why the claims set was not decoded (a compression we do not read, a broken set). */
  problem?: string;
}

const nameOf = (table: Record<number, string>, value: number): string => table[value] ?? `unknown (${value})`;

function int64Text(value: bigint): ClaimValue {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

// ---- CLAIMS_SET (MS-ADTS §2.2.18.8) --------------------------------------------------------

/** An LPWSTR referent: a conformant varying, NUL-terminated WCHAR array. */
function readWideString(r: PacReader, out: TreeNode[], field: string, scope = field): string {
  return r.group(
    out,
    field,
    'LPWSTR',
    (c) => {
      const actualCount = readVaryingCounts(r, c);
      r.requireCount('ActualCount', actualCount, 2);
      const text = r.utf16(c, 'Buffer', actualCount * 2);
      return text.endsWith('\0') ? text.slice(0, -1) : text;
    },
    (text) => text,
    scope,
  );
}

/** Conformance of a deferred array: its MaxCount must be the count that sized it. */
function readConformance(r: PacReader, c: TreeNode[], countName: string, count: number, elementSize: number): void {
  const maxCount = r.u32(c, 'MaxCount');
  if (maxCount !== count) r.failField('MaxCount', `${maxCount} differs from ${countName} ${count}`, r.offset - 4);
  r.requireCount('MaxCount', maxCount, elementSize);
}

interface EntryHeader {
  idPointer: number;
  type: number;
  valueCount: number;
  valuesPointer: number;
}

/** CLAIM_ENTRY as embedded: the Id pointer, Type, the union's discriminant and its arm. */
function readEntryHeader(r: PacReader, out: TreeNode[], index: number): EntryHeader {
  return r.group(
    out,
    `[${index}]`,
    'CLAIM_ENTRY',
    (c) => {
      const idPointer = r.pointer(c, 'Id');
      const type = r.u16(c, 'Type', (v) => `${v} (${CLAIM_TYPES[v]?.name ?? 'unknown'})`);
      // A non-encapsulated union: its discriminant is marshalled again, then the chosen arm.
      const discriminant = r.u16(c, 'Values (switch)');
      if (discriminant !== type) r.failField('Values (switch)', `union discriminant ${discriminant} differs from Type ${type}`, r.offset - 2);
      if (!CLAIM_TYPES[type]) r.failField('Type', `claim type ${type} is none of INT64 (1), UINT64 (2), STRING (3), BOOLEAN (6)`, r.offset - 4);
      const valueCount = r.u32(c, 'ValueCount');
      const valuesPointer = r.pointer(c, 'Values');
      return { idPointer, type, valueCount, valuesPointer };
    },
  );
}

function readValues(r: PacReader, out: TreeNode[], header: EntryHeader): ClaimValue[] {
  const { type, valueCount } = header;
  const spec = CLAIM_TYPES[type]!;
  return r.group(
    out,
    'Values',
    `${spec.name.replace('CLAIM_TYPE_', '')}[${valueCount}]`,
    (c) => {
      readConformance(r, c, 'ValueCount', valueCount, spec.size);
      if (type === 3) {
        const pointers: number[] = [];
        for (let i = 0; i < valueCount; i++) pointers.push(r.pointer(c, `[${i}]`));
        return pointers.map((p, i) => (p === 0 ? '' : readWideString(r, c, `[${i}]`)));
      }
      const values: ClaimValue[] = [];
      for (let i = 0; i < valueCount; i++) {
        if (type === 6) values.push(r.u64(c, `[${i}]`, (v) => v !== 0n) !== 0n);
        else if (type === 2) values.push(int64Text(r.u64(c, `[${i}]`, (v) => String(int64Text(v)))));
        else values.push(int64Text(BigInt.asIntN(64, r.u64(c, `[${i}]`, (v) => String(int64Text(BigInt.asIntN(64, v)))))));
      }
      return values;
    },
    (values) => values.map(String),
  );
}

function readEntries(r: PacReader, out: TreeNode[], field: string, count: number): ClaimEntry[] {
  return r.group(
    out,
    field,
    `CLAIM_ENTRY[${count}]`,
    (c) => {
      readConformance(r, c, 'ulClaimsCount', count, 16);
      const headers: EntryHeader[] = [];
      for (let i = 0; i < count; i++) headers.push(readEntryHeader(r, c, i));
      // The entries' referents follow the whole array, entry by entry.
      return headers.map((header, i) => {
        const id = header.idPointer ? readWideString(r, c, `[${i}].Id`) : '';
        const values = header.valuesPointer ? readValues(r, c, header) : [];
        return { id, type: header.type, typeName: CLAIM_TYPES[header.type]!.name, values };
      });
    },
  );
}

function readClaimsArrays(r: PacReader, out: TreeNode[], count: number): ClaimsArray[] {
  return r.group(
    out,
    'ClaimsArrays',
    `CLAIMS_ARRAY[${count}]`,
    (c) => {
      readConformance(r, c, 'ulClaimsArrayCount', count, 12);
      const headers: { sourceType: number; claimsCount: number; entries: number }[] = [];
      for (let i = 0; i < count; i++) {
        headers.push(
          r.group(c, `[${i}]`, 'CLAIMS_ARRAY', (a) => ({
            sourceType: r.u16(a, 'usClaimsSourceType', (v) => `${v} (${nameOf(CLAIMS_SOURCE_TYPES, v)})`),
            claimsCount: r.u32(a, 'ulClaimsCount'),
            entries: r.pointer(a, 'ClaimEntries'),
          })),
        );
      }
      // Each array's entries follow all the CLAIMS_ARRAY structures, array by array.
      return headers.map((h, i) => ({
        sourceType: h.sourceType,
        sourceTypeName: nameOf(CLAIMS_SOURCE_TYPES, h.sourceType),
        claims: h.entries ? readEntries(r, c, `[${i}].ClaimEntries`, h.claimsCount) : [],
      }));
    },
  );
}

function readReservedField(r: PacReader, out: TreeNode[], size: number): void {
  r.group(out, 'ReservedField', 'BYTE[]', (c) => {
    readConformance(r, c, 'ulReservedFieldSize', size, 1);
    r.raw(c, 'bytes', 'BYTE[]', size, showBlob);
  });
}

/** A serialized CLAIMS_SET: its own type serialization headers, then the structure. */
function readClaimsSet(r: PacReader, out: TreeNode[]): ClaimsArray[] {
  readNdrHeaders(r, out);
  return r.group(
    out,
    'CLAIMS_SET',
    'CLAIMS_SET',
    (c) => {
      const arrayCount = r.u32(c, 'ulClaimsArrayCount');
      const arraysPointer = r.pointer(c, 'ClaimsArrays');
      r.u16(c, 'usReservedType');
      const reservedSize = r.u32(c, 'ulReservedFieldSize');
      const reservedPointer = r.pointer(c, 'ReservedField');
      const arrays = arraysPointer ? readClaimsArrays(r, c, arrayCount) : [];
      if (reservedPointer) readReservedField(r, c, reservedSize);
      return arrays;
    },
    summarizeClaims,
    '',
  );
}

function summarizeClaims(arrays: ClaimsArray[]): string {
  const claims = arrays.flatMap((a) => a.claims);
  if (claims.length === 0) return '(no claims)';
  return claims.map((claim) => `${claim.id} = ${claim.values.map(String).join(', ')}`).join('; ');
}

// ---- CLAIMS_SET_METADATA (MS-ADTS §2.2.18.9) -----------------------------------------------

interface Metadata {
  info: PacClaimsInfo;
  setPointer: number;
  reservedPointer: number;
  reservedSize: number;
}

function readMetadata(r: PacReader, out: TreeNode[]): Metadata {
  return r.group(out, 'CLAIMS_SET_METADATA', 'CLAIMS_SET_METADATA', (c) => {
    const claimsSetSize = r.u32(c, 'ulClaimsSetSize');
    const setPointer = r.pointer(c, 'ClaimsSet');
    const compressionFormat = r.u16(c, 'usCompressionFormat', (v) => `${v} (${nameOf(CLAIMS_COMPRESSION, v)})`);
    const uncompressedClaimsSetSize = r.u32(c, 'ulUncompressedClaimsSetSize');
    r.u16(c, 'usReservedType');
    const reservedSize = r.u32(c, 'ulReservedFieldSize');
    const reservedPointer = r.pointer(c, 'ReservedField');
    const info: PacClaimsInfo = { compressionFormat, compressionName: nameOf(CLAIMS_COMPRESSION, compressionFormat), claimsSetSize, uncompressedClaimsSetSize };
    return { info, setPointer, reservedPointer, reservedSize };
  });
}

/** The set's bytes, in place: a reader of their own, since NDR aligns from a stream's start. */
function decodeInPlace(r: PacReader, out: TreeNode[], info: PacClaimsInfo, path: string): void {
  const inner = new PacReader(r.bytes, r.base, r.offset, r.offset + info.claimsSetSize, `${path}.ClaimsSet`, true);
  info.claimsArrays = readClaimsSet(inner, out);
}

/** Compressed bytes, shown as such; their decompression becomes a part of its own, like a plaintext. */
function decodeCompressed(r: PacReader, out: TreeNode[], node: TreeNode, info: PacClaimsInfo, path: string): void {
  const size = info.claimsSetSize;
  const compressed = r.raw(out, 'bytes', `${info.compressionName} data`, size, showBlob);
  if (info.compressionFormat !== XPRESS_HUFF) {
    info.problem = `${info.compressionName} is not decompressed here (Windows KDCs use XPRESS_HUFF); the claims set is shown as bytes`;
    node.error = info.problem;
    return;
  }
  const plain = decompressXpressHuffman(compressed, info.uncompressedClaimsSetSize, r.position - size);
  const children: TreeNode[] = [];
  const tree: TreeNode = { name: 'ClaimsSet', type: 'CLAIMS_SET', offset: 0, length: plain.length, children };
  node.decrypted = { kind: 'decompressed', keyUsage: '', keySource: `${info.compressionName}, ${size} → ${plain.length} bytes`, tree, plaintext: plain.toString('hex') };
  info.claimsArrays = readClaimsSet(new PacReader(plain, 0, 0, plain.length, `${path}.ClaimsSet (decompressed)`, true), children);
  tree.value = summarizeClaims(info.claimsArrays);
}

/** PAC_CLIENT_CLAIMS_INFO / PAC_DEVICE_CLAIMS_INFO: the buffer `r` reads, from its NDR headers on. */
export function decodeClaimsInfo(r: PacReader, out: TreeNode[], path: string): PacClaimsInfo {
  readNdrHeaders(r, out);
  const { info, setPointer, reservedPointer, reservedSize } = readMetadata(r, out);
  if (setPointer) {
    r.group(out, 'ClaimsSet', 'BYTE[] (serialized CLAIMS_SET)', (c, node) => {
      readConformance(r, c, 'ulClaimsSetSize', info.claimsSetSize, 1);
      const start = r.offset;
      // A broken claims set is a problem on its node; the metadata and the other buffers stay shown.
      try {
        if (info.compressionFormat === 0) decodeInPlace(r, c, info, path);
        else decodeCompressed(r, c, node, info, path);
      } catch (error) {
        if (!(error instanceof KrbDecodeError)) throw error;
        info.problem = node.error = error.message;
      }
      r.offset = start + info.claimsSetSize;
    });
  }
  if (reservedPointer) readReservedField(r, out, reservedSize);
  return info;
}

export function summarizeClaimsInfo(info: PacClaimsInfo): string {
  if (info.claimsArrays) return summarizeClaims(info.claimsArrays);
  return info.problem ?? `${info.claimsSetSize} bytes, ${info.compressionName}`;
}
