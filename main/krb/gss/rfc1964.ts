/**
 * The pre-CFX per-message tokens of RFC 1964 §1.2 (DES, and DES3 / RC4-HMAC which reuse the
 * format): MIC (TOK_ID 01 01), Wrap (02 01) and delete-context (01 02). Unlike RFC 4121 tokens
 * they are framed per RFC 2743 (0x60, Kerberos OID, TOK_ID). This module names the fields; the
 * RC4-HMAC algorithms (SGN_ALG 0x11, SEAL_ALG 0x10) are opened by rfc4757.ts, DES/DES3 are not.
 *
 *   TOK_ID(2) SGN_ALG(2, LE) SEAL_ALG(2, LE) | Filler… (to 8 bytes) SND_SEQ(8, encrypted)
 *   SGN_CKSUM(8, or 20 for DES3) [Wrap: confounder(8) | data | padding, maybe encrypted]
 */
import { BinaryReader } from '../binary';
import { KrbDecodeError } from '../errors';
import type { TreeNode } from '../tree';
import { readField } from './fields';
import { hex16, isInitialContextToken, isKerberosMech, parseInitialContextToken } from './framing';

export const Rfc1964TokId = { MIC: 0x0101, WRAP: 0x0201, DELETE: 0x0102 } as const;

const TOKEN_NAMES: Record<number, string> = {
  [Rfc1964TokId.MIC]: 'RFC 1964 MIC token',
  [Rfc1964TokId.WRAP]: 'RFC 1964 Wrap token',
  [Rfc1964TokId.DELETE]: 'RFC 1964 delete-context token',
};

/** SGN_ALG values (stored little-endian: "11 00" on the wire is 0x0011). */
export const SGN_ALG: Record<number, string> = {
  0x0000: 'DES MAC MD5',
  0x0001: 'MD2.5',
  0x0002: 'DES MAC',
  0x0004: 'HMAC SHA1 DES3-KD',
  0x0011: 'HMAC MD5 (RC4-HMAC, RFC 4757)',
};

/** SEAL_ALG values (little-endian like SGN_ALG). */
export const SEAL_ALG: Record<number, string> = {
  0x0000: 'DES',
  0x0002: 'DES3-KD',
  0x0010: 'RC4 (RFC 4757)',
  0xffff: 'none (integrity only)',
};

export const SGN_ALG_HMAC_MD5 = 0x0011;
export const SEAL_ALG_RC4 = 0x0010;
export const SEAL_ALG_NONE = 0xffff;

export const RFC1964_SUMMARY = 'RFC 1964 token (DES/RC4-era format): decoded header only';

/** DES3's SGN_CKSUM is a whole HMAC-SHA1; the others are 8 bytes. */
export function sgnCksumLength(sgnAlg: number): number {
  return sgnAlg === 0x0004 ? 20 : 8;
}

export function isRfc1964TokId(tokId: number): boolean {
  return tokId in TOKEN_NAMES;
}

export interface Rfc1964Token {
  framed: boolean;
  tokId: number;
  sgnAlg: number;
  /** Wrap tokens only. */
  sealAlg?: number;
  /** Absolute offset of TOK_ID. */
  headerOffset: number;
  /** The 8 bytes TOK_ID..Filler that the checksum covers. */
  header: Buffer;
  /** SND_SEQ as sent (encrypted with the sequence key). */
  sndSeq: Buffer;
  sgnCksum: Buffer;
  /** Wrap tokens: confounder | data | padding as sent (encrypted when SEAL_ALG is not none). */
  body?: Buffer;
  bodyOffset?: number;
}

const algName = (names: Record<number, string>, value: number): string => `${names[value] ?? 'unknown'} (${hex16(((value & 0xff) << 8) | (value >> 8))})`;

/** The token from its TOK_ID on; `base` is the absolute offset of TOK_ID. */
function decodeBody(bytes: Uint8Array, base: number, framed: boolean): { value: Rfc1964Token; nodes: TreeNode[] } {
  const r = new BinaryReader(bytes, 'RFC 1964 token', 0, base);
  const tokId = r.node('TOK_ID', 'uint16', () => r.uint16('TOK_ID'), (v) => `${TOKEN_NAMES[v] ?? 'unknown'} (${hex16(v)})`);
  if (!isRfc1964TokId(tokId.value)) r.fail('TOK_ID', `TOK_ID ${hex16(tokId.value)} is not an RFC 1964 per-message token`, 0);
  const sgnAlg = r.node('SGN_ALG', 'uint16 (LE)', () => r.uint16('SGN_ALG', true), (v) => algName(SGN_ALG, v));
  if (!(sgnAlg.value in SGN_ALG)) sgnAlg.node.error = 'unknown SGN_ALG';
  const nodes = [tokId.node, sgnAlg.node];
  let sealAlg: number | undefined;
  if (tokId.value === Rfc1964TokId.WRAP) {
    const seal = r.node('SEAL_ALG', 'uint16 (LE)', () => r.uint16('SEAL_ALG', true), (v) => algName(SEAL_ALG, v));
    if (!(seal.value in SEAL_ALG)) seal.node.error = 'unknown SEAL_ALG';
    sealAlg = seal.value;
    nodes.push(seal.node);
  }
  const fillerLength = 8 - r.offset;
  const filler = readField(r, 'Filler', `${fillerLength} bytes`, () => r.bytesOf('Filler', fillerLength), (v) => v.toString('hex'));
  if (!filler.value.equals(Buffer.alloc(fillerLength, 0xff))) filler.node.error = 'Filler must be all 0xFF';
  nodes.push(filler.node);
  const sndSeq = readField(r, 'SND_SEQ', '8 bytes (encrypted)', () => r.bytesOf('SND_SEQ', 8), (v) => v.toString('hex'));
  const cksumLength = sgnCksumLength(sgnAlg.value);
  const sgnCksum = readField(r, 'SGN_CKSUM', `${cksumLength} bytes`, () => r.bytesOf('SGN_CKSUM', cksumLength), (v) => v.toString('hex'));
  nodes.push(sndSeq.node, sgnCksum.node);
  const value: Rfc1964Token = {
    framed,
    tokId: tokId.value,
    sgnAlg: sgnAlg.value,
    headerOffset: base,
    header: Buffer.from(bytes.subarray(0, 8)),
    sndSeq: sndSeq.value,
    sgnCksum: sgnCksum.value,
  };
  if (sealAlg !== undefined) value.sealAlg = sealAlg;
  if (tokId.value === Rfc1964TokId.WRAP) {
    if (r.remaining < 8) r.fail('Confounder', `a Wrap token carries an 8-byte confounder but only ${r.remaining} byte(s) remain`);
    value.bodyOffset = r.position;
    value.body = r.bytesOf('Data', r.remaining);
    nodes.push(bodyNode(value, sealAlg!));
  } else if (r.remaining > 0) {
    nodes.push({ name: 'trailing bytes', type: 'bytes', offset: r.position, length: r.remaining, error: `${r.remaining} unexpected byte(s) after SGN_CKSUM` });
  }
  return { value, nodes };
}

function bodyNode(token: Rfc1964Token, sealAlg: number): TreeNode {
  const offset = token.bodyOffset!;
  const body = token.body!;
  if (sealAlg !== SEAL_ALG_NONE) {
    return { name: 'Data', type: 'confounder | data | padding (encrypted)', offset, length: body.length, value: `${body.length} bytes encrypted with ${SEAL_ALG[sealAlg] ?? 'an unknown SEAL_ALG'}` };
  }
  return {
    name: 'Data',
    type: 'confounder | data | padding',
    offset,
    length: body.length,
    children: [
      { name: 'Confounder', type: '8 bytes', offset, length: 8, value: body.subarray(0, 8).toString('hex') },
      { name: 'data | padding', type: 'bytes', offset: offset + 8, length: body.length - 8, value: body.subarray(8).toString('hex') },
    ],
  };
}

/**
 * Decodes an RFC 1964 MIC, Wrap or delete-context token, framed (0x60 …) or starting at TOK_ID.
 * The tree names every header field; encrypted parts stay opaque here.
 */
export function decodeRfc1964Token(bytes: Uint8Array, base = 0): { value: Rfc1964Token; tree: TreeNode } {
  if (isInitialContextToken(bytes)) {
    const framing = parseInitialContextToken(bytes, base);
    if (!isKerberosMech(framing.mechOid) || framing.tokId === undefined) {
      throw new KrbDecodeError('RFC 1964 token', 'thisMech', base, `framed for ${framing.mechOid}, not the Kerberos mechanism`);
    }
    const tokIdOffset = framing.innerOffset - 2;
    const { value, nodes } = decodeBody(bytes.subarray(tokIdOffset - base), tokIdOffset, true);
    const tree = framing.tree;
    const inner = tokenTree(value, nodes, tokIdOffset, bytes.length - (tokIdOffset - base));
    // The framing tree's TOK_ID and innerToken placeholder are replaced by the token's own tree.
    tree.children = [tree.children![0]!, inner];
    tree.value = TOKEN_NAMES[value.tokId]!;
    return { value, tree };
  }
  const { value, nodes } = decodeBody(bytes, base, false);
  return { value, tree: tokenTree(value, nodes, base, bytes.length) };
}

function tokenTree(value: Rfc1964Token, children: TreeNode[], offset: number, length: number): TreeNode {
  return { name: TOKEN_NAMES[value.tokId]!, type: 'RFC 1964 per-message token', offset, length, value: RFC1964_SUMMARY, children };
}
