/**
 * RFC 2743 §3.1 mechanism-independent token framing:
 *
 *   InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE {
 *       thisMech          MechType,                -- OBJECT IDENTIFIER
 *       innerContextToken ANY DEFINED BY thisMech }
 *
 * On the wire: 0x60, DER length, the mechanism OID, then the mechanism's own bytes. The inner
 * token is not DER-wrapped; for the Kerberos mechanism (RFC 4121 §4.1) it starts with a two-byte
 * TOK_ID and then the DER Kerberos message. Only the first context token must be framed; MIT
 * frames its AP-REP too, while RFC 4121 per-message tokens (MIC 04 04, Wrap 05 04) never are —
 * `readKerberosToken` accepts all of these.
 */
import { contentStart, nodeEnd, readTlv, UniversalTag, type DerInput, type DerNode } from '../der/reader';
import { ObjectIdentifier, OID_NAMES, type DecodeContext } from '../der/schema';
import { derOid, tlv } from '../der/writer';
import { KrbDecodeError } from '../errors';
import type { TreeNode } from '../tree';

export const KERBEROS_OIDS = {
  /** RFC 4121 / RFC 1964 Kerberos 5 mechanism. */
  krb5: '1.2.840.113554.1.2.2',
  /** The mis-encoded OID Windows 2000 used (48018 instead of 113554), still offered by Windows. */
  msKrb5: '1.2.840.48018.1.2.2',
  /** Kerberos user-to-user (draft-swift-win2k-krb-user2user). */
  krb5User2User: '1.2.840.113554.1.2.2.3',
  /** IAKERB (draft-ietf-kitten-iakerb). */
  iakerb: '1.3.6.1.5.2.5',
} as const;

export const SPNEGO_OID = '1.3.6.1.5.5.2';

/** Microsoft's NTLM SSP as a GSS mechanism (what SPNEGO offers next to Kerberos). */
export const NTLMSSP_OID = '1.3.6.1.4.1.311.2.2.10';

/** Mechanisms whose inner token starts with a two-byte TOK_ID. */
const TOK_ID_MECHS = new Set<string>(Object.values(KERBEROS_OIDS));

export function isKerberosMech(oid: string): boolean {
  return TOK_ID_MECHS.has(oid);
}

/** TOK_ID values of the Kerberos mechanism (RFC 4121 §4.1, RFC 1964 §1.2, user-to-user, IAKERB). */
export const TOK_IDS: Record<number, string> = {
  0x0100: 'KRB_AP_REQ',
  0x0200: 'KRB_AP_REP',
  0x0300: 'KRB_ERROR',
  0x0400: 'KRB_TGT_REQ',
  0x0401: 'KRB_TGT_REP',
  0x0501: 'IAKERB_PROXY',
  0x0101: 'RFC 1964 MIC',
  0x0201: 'RFC 1964 Wrap',
  0x0102: 'RFC 1964 delete context',
  0x0404: 'RFC 4121 MIC',
  0x0504: 'RFC 4121 Wrap',
};

export const TokId = {
  KRB_AP_REQ: 0x0100,
  KRB_AP_REP: 0x0200,
  KRB_ERROR: 0x0300,
} as const;

export function tokIdName(tokId: number): string | undefined {
  return TOK_IDS[tokId];
}

export const hex16 = (value: number): string => `${(value >> 8).toString(16).padStart(2, '0')} ${(value & 0xff).toString(16).padStart(2, '0')}`;

export interface InitialContextToken {
  /** thisMech, dotted. */
  mechOid: string;
  /** The two-byte TOK_ID when thisMech is a Kerberos mechanism. */
  tokId?: number;
  tokIdName?: string;
  /** Absolute offset of `inner` (after TOK_ID for Kerberos mechanisms). */
  innerOffset: number;
  /** The mechanism token: the DER Kerberos message for Kerberos, everything after the OID otherwise. */
  inner: Buffer;
  /**
   * Nodes for the framing, thisMech and TOK_ID, and a placeholder child "innerToken" spanning
   * `inner`, for the caller to replace with the decoded inner message.
   */
  tree: TreeNode;
}

const STRUCTURE = 'InitialContextToken';

function oidContext(input: DerInput): DecodeContext {
  return { input, structure: STRUCTURE, path: ['thisMech'], depth: 1, revealSecrets: false };
}

function readOuter(input: DerInput): DerNode {
  const outer = readTlv(input, input.base, input.base + input.bytes.length, STRUCTURE, '');
  if (outer.tagClass !== 'application' || outer.tagNumber !== 0 || !outer.constructed) {
    const first = input.bytes[0]!.toString(16).padStart(2, '0');
    throw new KrbDecodeError(STRUCTURE, '', input.base, `expected [APPLICATION 0] (0x60) framing per RFC 2743 §3.1 but the token starts with 0x${first}`);
  }
  return outer;
}

/** Parses the RFC 2743 framing; the inner token is left for the caller to decode. */
export function parseInitialContextToken(bytes: Uint8Array, base = 0): InitialContextToken {
  const input: DerInput = { bytes, base };
  const outer = readOuter(input);
  const end = nodeEnd(outer);
  if (end !== base + bytes.length) {
    throw new KrbDecodeError(STRUCTURE, '', end, `${base + bytes.length - end} trailing byte(s) after the token`);
  }
  const oidNode = readTlv(input, contentStart(outer), end, STRUCTURE, 'thisMech');
  if (oidNode.tagClass !== 'universal' || oidNode.tagNumber !== UniversalTag.OID) {
    throw new KrbDecodeError(STRUCTURE, 'thisMech', oidNode.offset, 'the framing must start with the mechanism OBJECT IDENTIFIER (tag 0x06)');
  }
  const oid = ObjectIdentifier.decode(oidNode, oidContext(input), 'thisMech');
  const children: TreeNode[] = [oid.tree];
  let at = nodeEnd(oidNode);
  let tokId: number | undefined;
  if (isKerberosMech(oid.value)) {
    if (end - at < 2) throw new KrbDecodeError(STRUCTURE, 'TOK_ID', at, `the Kerberos mechanism token needs a 2-byte TOK_ID but ${end - at} byte(s) remain`);
    tokId = (bytes[at - base]! << 8) | bytes[at - base + 1]!;
    children.push({ name: 'TOK_ID', type: 'uint16', offset: at, length: 2, value: `${tokIdName(tokId) ?? 'unknown'} (${hex16(tokId)})` });
    at += 2;
  }
  const inner = Buffer.from(bytes.subarray(at - base, end - base));
  const innerName = tokId === undefined ? OID_NAMES[oid.value] ?? 'mechanism token' : tokIdName(tokId) ?? 'mechanism token';
  children.push({ name: 'innerToken', type: innerName, offset: at, length: inner.length });
  const tree: TreeNode = {
    name: STRUCTURE,
    type: '[APPLICATION 0] (RFC 2743 §3.1)',
    offset: outer.offset,
    length: outer.headerLength + outer.length,
    value: OID_NAMES[oid.value] ?? oid.value,
    children,
  };
  const result: InitialContextToken = { mechOid: oid.value, innerOffset: at, inner, tree };
  if (tokId !== undefined) {
    result.tokId = tokId;
    const name = tokIdName(tokId);
    if (name) result.tokIdName = name;
  }
  return result;
}

/** Frames a mechanism token: 0x60 | length | OID | [TOK_ID] | inner. */
export function frameInitialContextToken(mechOid: string, tokId: number | null, inner: Uint8Array): Buffer {
  const parts: Uint8Array[] = [derOid(mechOid)];
  if (tokId !== null) parts.push(Buffer.from([(tokId >> 8) & 0xff, tokId & 0xff]));
  parts.push(inner);
  return tlv('application', true, 0, Buffer.concat(parts));
}

export function isInitialContextToken(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] === 0x60;
}

/** First byte of the bare Kerberos messages a GSS peer may send unframed. */
const BARE_KERBEROS: Record<number, { tokId: number; name: string }> = {
  0x6e: { tokId: TokId.KRB_AP_REQ, name: 'KRB_AP_REQ' }, // [APPLICATION 14]
  0x6f: { tokId: TokId.KRB_AP_REP, name: 'KRB_AP_REP' }, // [APPLICATION 15]
  0x7e: { tokId: TokId.KRB_ERROR, name: 'KRB_ERROR' }, // [APPLICATION 30]
};

export interface KerberosContextToken {
  /** True when the token carried the RFC 2743 framing. */
  framed: boolean;
  mechOid?: string;
  tokId?: number;
  tokIdName?: string;
  innerOffset: number;
  inner: Buffer;
  /** The framing tree (framed tokens) or a placeholder "innerToken" node (bare ones). */
  tree: TreeNode;
}

/**
 * A Kerberos context-establishment token in any of the shapes seen in practice: framed
 * (60 … OID TOK_ID message), TOK_ID + message without framing, or the bare DER message.
 */
export function readKerberosToken(bytes: Uint8Array, base = 0): KerberosContextToken {
  if (bytes.length === 0) throw new KrbDecodeError('Kerberos GSS token', '', base, 'the token is empty');
  if (isInitialContextToken(bytes)) {
    const framed = parseInitialContextToken(bytes, base);
    if (!isKerberosMech(framed.mechOid)) {
      throw new KrbDecodeError('Kerberos GSS token', 'thisMech', base, `the token is for ${OID_NAMES[framed.mechOid] ?? framed.mechOid}, not Kerberos`);
    }
    return { framed: true, ...framed };
  }
  const bare = BARE_KERBEROS[bytes[0]!];
  if (bare) {
    return { framed: false, tokIdName: bare.name, innerOffset: base, inner: Buffer.from(bytes), tree: { name: 'innerToken', type: bare.name, offset: base, length: bytes.length } };
  }
  if (bytes.length >= 3) {
    const tokId = (bytes[0]! << 8) | bytes[1]!;
    const name = tokIdName(tokId);
    if (name && BARE_KERBEROS[bytes[2]!]?.tokId === tokId) {
      const tree: TreeNode = {
        name: 'Kerberos GSS token',
        type: 'TOK_ID + message (unframed)',
        offset: base,
        length: bytes.length,
        children: [
          { name: 'TOK_ID', type: 'uint16', offset: base, length: 2, value: `${name} (${hex16(tokId)})` },
          { name: 'innerToken', type: name, offset: base + 2, length: bytes.length - 2 },
        ],
      };
      return { framed: false, tokId, tokIdName: name, innerOffset: base + 2, inner: Buffer.from(bytes.subarray(2)), tree };
    }
  }
  const first = bytes[0]!.toString(16).padStart(2, '0');
  throw new KrbDecodeError('Kerberos GSS token', '', base, `not a Kerberos context token: starts with 0x${first} (expected 0x60 framing, a TOK_ID, or an AP-REQ/AP-REP/KRB-ERROR)`);
}
