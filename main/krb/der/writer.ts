import type { TagClass } from './reader';
import { UniversalTag } from './reader';

const CLASS_BITS: Record<TagClass, number> = { universal: 0x00, application: 0x40, context: 0x80, private: 0xc0 };

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function encodeTag(tagClass: TagClass, constructed: boolean, tagNumber: number): Buffer {
  const lead = CLASS_BITS[tagClass] | (constructed ? 0x20 : 0);
  if (tagNumber < 0x1f) return Buffer.from([lead | tagNumber]);
  const digits: number[] = [];
  for (let n = tagNumber; n > 0; n >>>= 7) digits.unshift(n & 0x7f);
  return Buffer.from([lead | 0x1f, ...digits.map((d, i) => (i < digits.length - 1 ? d | 0x80 : d))]);
}

/** One TLV. */
export function tlv(tagClass: TagClass, constructed: boolean, tagNumber: number, content: Uint8Array): Buffer {
  return Buffer.concat([encodeTag(tagClass, constructed, tagNumber), encodeLength(content.length), content]);
}

export const derSequence = (children: Uint8Array[]): Buffer => tlv('universal', true, UniversalTag.SEQUENCE, Buffer.concat(children));
export const derExplicit = (tagClass: TagClass, tagNumber: number, inner: Uint8Array): Buffer => tlv(tagClass, true, tagNumber, inner);
export const derOctetString = (bytes: Uint8Array): Buffer => tlv('universal', false, UniversalTag.OCTET_STRING, bytes);

/** Minimal two's-complement INTEGER. */
export function derInteger(value: number | bigint): Buffer {
  let n = BigInt(value);
  const bytes: number[] = [];
  for (;;) {
    bytes.unshift(Number(n & 0xffn));
    const rest = n >> 8n;
    const signBit = (bytes[0]! & 0x80) !== 0;
    if ((rest === 0n && !signBit) || (rest === -1n && signBit)) break;
    n = rest;
  }
  return tlv('universal', false, UniversalTag.INTEGER, Buffer.from(bytes));
}

export function derOid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => BigInt(a));
  if (arcs.length < 2) throw new Error(`OID needs at least two arcs: ${dotted}`);
  const out: number[] = [];
  const push = (arc: bigint) => {
    const digits: number[] = [];
    for (let n = arc; ; n >>= 7n) {
      digits.unshift(Number(n & 0x7fn));
      if (n < 0x80n) break;
    }
    out.push(...digits.map((d, i) => (i < digits.length - 1 ? d | 0x80 : d)));
  };
  push(arcs[0]! * 40n + arcs[1]!);
  for (const arc of arcs.slice(2)) push(arc);
  return tlv('universal', false, UniversalTag.OID, Buffer.from(out));
}

/** KerberosTime: GeneralizedTime "YYYYMMDDHHMMSSZ", no fractions (RFC 4120 §5.2.3). */
export function derKerberosTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return tlv('universal', false, UniversalTag.GeneralizedTime, Buffer.from(text, 'ascii'));
}

/** BIT STRING from a 32-bit flag word (KerberosFlags: bit 0 is the most significant). */
export function derFlags(bits: number): Buffer {
  const content = Buffer.alloc(5);
  content[0] = 0; // no unused bits
  content.writeUInt32BE(bits >>> 0, 1);
  return tlv('universal', false, UniversalTag.BIT_STRING, content);
}
