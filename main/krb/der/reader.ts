import { KrbDecodeError } from '../errors';

/** ASN.1 tag classes (X.690 §8.1.2.2). */
export type TagClass = 'universal' | 'application' | 'context' | 'private';

const CLASSES: TagClass[] = ['universal', 'application', 'context', 'private'];

/** Universal tag numbers used by Kerberos, SPNEGO and GSS. */
export const UniversalTag = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  ENUMERATED: 10,
  UTF8String: 12,
  SEQUENCE: 16,
  IA5String: 22,
  GeneralizedTime: 24,
  GeneralString: 27,
} as const;

/** One DER TLV: where it is and what it holds. Offsets are absolute in the original input. */
export interface DerNode {
  tagClass: TagClass;
  constructed: boolean;
  tagNumber: number;
  /** Offset of the first tag byte. */
  offset: number;
  /** Tag + length bytes. */
  headerLength: number;
  /** Content length. */
  length: number;
}

/** The input a DER walk reads from; `base` maps indices in `bytes` to absolute offsets. */
export interface DerInput {
  bytes: Uint8Array;
  /** Absolute offset of bytes[0] (non-zero when decoding a slice, e.g. decrypted plaintext). */
  base: number;
}

export const contentStart = (node: DerNode): number => node.offset + node.headerLength;
export const nodeEnd = (node: DerNode): number => node.offset + node.headerLength + node.length;

export function describeTag(node: Pick<DerNode, 'tagClass' | 'tagNumber' | 'constructed'>): string {
  if (node.tagClass === 'universal') {
    const name = Object.entries(UniversalTag).find(([, n]) => n === node.tagNumber)?.[0];
    return name ?? `UNIVERSAL ${node.tagNumber}`;
  }
  const prefix = node.tagClass === 'application' ? 'APPLICATION ' : node.tagClass === 'private' ? 'PRIVATE ' : '';
  return `[${prefix}${node.tagNumber}]`;
}

/**
 * The field an error names: a dotted path, or something holding the path's parts, joined only
 * when an error is thrown (a decode reads thousands of TLVs and fails at most once).
 */
export type FieldName = string | { readonly path: readonly string[] };

function fieldText(field: FieldName): string {
  return typeof field === 'string' ? field : field.path.join('.');
}

function tlvError(structure: string, field: FieldName, where: number, reason: string): KrbDecodeError {
  return new KrbDecodeError(structure, fieldText(field), where, reason);
}

/**
 * Reads one TLV at absolute offset `at` that must end by absolute offset `end`.
 * Strict DER where it matters for safety: definite lengths only, no length beyond the input,
 * minimal long-form length bytes not enforced (BER-ish encoders exist in the wild).
 */
export function readTlv(input: DerInput, at: number, end: number, structure: string, field: FieldName): DerNode {
  // No closure for the errors: one made per call would hold `i` in a context for the whole walk,
  // and this runs for every TLV of every message.
  const { bytes, base } = input;
  let i = at - base;
  const limit = end - base;
  if (i >= limit) throw tlvError(structure, field, i + base, 'expected a DER tag but the input ended');
  const first = bytes[i++]!;
  const tagClass = CLASSES[first >> 6]!;
  const constructed = (first & 0x20) !== 0;
  let tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) {
    // High-tag-number form: base-128 digits, at most 4 (tags above 2^28 are not used by anyone).
    tagNumber = 0;
    for (let digits = 0; ; digits++) {
      if (i >= limit) throw tlvError(structure, field, i + base, 'tag number runs past the end of the input');
      if (digits === 4) throw tlvError(structure, field, i + base, 'tag number too large');
      const b = bytes[i++]!;
      tagNumber = (tagNumber << 7) | (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  if (i >= limit) throw tlvError(structure, field, i + base, 'length missing after the tag');
  const lengthByte = bytes[i++]!;
  let length: number;
  if (lengthByte < 0x80) {
    length = lengthByte;
  } else if (lengthByte === 0x80) {
    throw tlvError(structure, field, i - 1 + base, 'indefinite length is not allowed in DER');
  } else {
    const count = lengthByte & 0x7f;
    if (count > 4) throw tlvError(structure, field, i - 1 + base, `length uses ${count} bytes; at most 4 are supported`);
    if (i + count > limit) throw tlvError(structure, field, i + base, 'length bytes run past the end of the input');
    length = 0;
    for (let k = 0; k < count; k++) length = length * 256 + bytes[i++]!;
  }
  const headerLength = i - (at - base);
  if (i + length > limit) {
    throw tlvError(structure, field, at, `declared length ${length} runs past the end of the enclosing data (${limit - i} byte(s) left)`);
  }
  return { tagClass, constructed, tagNumber, offset: at, headerLength, length };
}

/** The TLVs inside a constructed node, in order. */
export function readChildren(input: DerInput, node: DerNode, structure: string, field: FieldName): DerNode[] {
  if (!node.constructed) throw tlvError(structure, field, node.offset, `${describeTag(node)} is primitive where a constructed value was expected`);
  const children: DerNode[] = [];
  const end = nodeEnd(node);
  for (let at = contentStart(node); at < end; ) {
    const child = readTlv(input, at, end, structure, field);
    children.push(child);
    at = nodeEnd(child);
  }
  return children;
}

/** The content bytes of a node (a view, not a copy). */
export function contentOf(input: DerInput, node: DerNode): Uint8Array {
  const start = contentStart(node) - input.base;
  return input.bytes.subarray(start, start + node.length);
}

/** The whole TLV's bytes, header included (for checksums over the original encoding). */
export function encodingOf(input: DerInput, node: DerNode): Uint8Array {
  const start = node.offset - input.base;
  return input.bytes.subarray(start, start + node.headerLength + node.length);
}
